// Names of ALB objects: Pulumi resource names from identity, AWS names (≤ 32 chars) content-hashed.

import { createHash } from "crypto";
import { holdsPayloadToken, payloadToken } from "../../payload-token";

export function shortHash(s: string, n = 8): string {
    return createHash("sha256").update(s).digest("hex").slice(0, n);
}

export function slug(s: string): string {
    return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

/** An AWS-style name ≤ 32 chars: readable stem, then a hash of everything that makes the object what it is. */
export function awsName(stem: string, content: string): string {
    // Hashed from a value unknown in this preview (e.g. the VPC id): the name is unknown too.
    if (holdsPayloadToken(content)) return payloadToken();
    const head = slug(stem).slice(0, 23).replace(/-+$/, "");
    return `${head}-${shortHash(content)}`;
}
