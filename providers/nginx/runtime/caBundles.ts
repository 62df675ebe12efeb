// The trust anchors BackendTLSPolicy verification reads on this machine. A policy's own CA PEMs are
// rendered files (model/http.ts caFile, written with the generation); wellKnownCACertificates "System"
// is the Debian bundle, which must exist before nginx is asked to load it — else nginx -t fails with a
// message naming a file, not the policy. A policy's PEMs must each hold certificates OpenSSL can read,
// for the same reason.

import * as crypto from "crypto";
import * as fs from "fs";
import { GatewayPlan, PlanBackendTLS } from "../../../routing/plan";
import { SYSTEM_CA_BUNDLE } from "../model/backendPolicies";

/** What keeps the plan's BackendTLSPolicy trust anchors from loading, as problems naming the policy: unreadable PEMs, a missing system bundle. */
export function backendCAProblems(plan: GatewayPlan, bundle = SYSTEM_CA_BUNDLE): string[] {
    const system = new Set<string>();
    const problems = new Set<string>();
    const note = (t: PlanBackendTLS | undefined) => {
        if (!t) return;
        if (t.ca.kind === "system") { system.add(t.policy); return; }
        t.ca.pem.forEach((pem, i) => {
            const why = pemProblem(pem);
            if (why) problems.add(`BackendTLSPolicy ${t.policy} spec.caCertificates (caCertificateRefs ${(t.ca as { refs: string[] }).refs[i]}): ${why}; give the PEM CA bundle (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)`);
        });
    };
    for (const l of plan.listeners) for (const r of l.rules) {
        for (const b of r.backends) note(b.tls);
        for (const m of [...r.filters.requestMirrors, ...r.backends.flatMap(b => b.filters.requestMirrors)]) note(m.tls);
    }
    if (system.size > 0 && !readableFile(bundle)) {
        for (const p of [...system].sort()) {
            problems.add(`BackendTLSPolicy ${p} spec.validation.wellKnownCACertificates: "System" means the system CA bundle ${bundle} for the nginx adapter, and it is missing or unreadable on this machine: install the ca-certificates package (apt-get install ca-certificates), or give the CA with caCertificateRefs`);
        }
    }
    return [...problems];
}

function readableFile(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.R_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/** Why `pem` is not a bundle of certificates OpenSSL reads, or undefined. */
function pemProblem(pem: string): string | undefined {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) return "holds no PEM certificate";
    for (const [i, b] of blocks.entries()) {
        try {
            new crypto.X509Certificate(b);
        } catch (e) {
            return `certificate ${i + 1} does not parse (${(e as Error).message})`;
        }
    }
    return undefined;
}
