// GCP resource names: [a-z]([-a-z0-9]*[a-z0-9])?, at most 63 characters. Physical names carry a
// short hash of everything that would force a replacement (and of the stack), so a replacement
// gets a new name and Pulumi can create it before deleting the old one (no deleteBeforeReplace).

import { createHash } from "crypto";
import { containsPayloadToken, payloadToken } from "../../payload-token";

export const MAX_NAME = 63;

export function shortHash(...parts: unknown[]): string {
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 7);
}

/** Lower-case, dashes for anything else, no leading digit or dash, no trailing dash. */
export function sanitize(s: string): string {
    let out = s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-+/, "");
    if (!/^[a-z]/.test(out)) out = "g" + out;
    return out.replace(/-+$/, "");
}

/** `<readable>-<hash>` within 63 characters; the readable part is truncated, never the hash. */
export function gcpName(readable: string, ...hashOf: unknown[]): string {
    // Hashed from a value unknown in this preview: the name is unknown too, not a wrong known one.
    if (containsPayloadToken(hashOf)) return payloadToken();
    const hash = shortHash(...hashOf);
    const head = sanitize(readable).slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, "");
    return `${head}-${hash}`;
}

/**
 * `name` (a gcpName) with its hash also over `content` only realize sees (PEM material from a
 * secret Output): a new content is a new name, so the replacement is created before the old one goes.
 */
export function withContentHash(name: string, content: unknown): string {
    return gcpName(name.replace(/-[0-9a-f]{7}$/, ""), name, content);
}
