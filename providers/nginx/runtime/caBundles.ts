// The trust anchors BackendTLSPolicy verification reads on this machine. A policy's own CA PEMs are
// rendered files (model/http.ts caFile, written with the generation); wellKnownCACertificates "System"
// is the Debian bundle, which must exist before nginx is asked to load it — else nginx -t fails with a
// message naming a file, not the policy.

import * as fs from "fs";
import { GatewayPlan, PlanBackendTLS } from "../../../routing/plan";
import { SYSTEM_CA_BUNDLE } from "../model/backendPolicies";

/** The policies that ask for the system CAs when this machine has no readable bundle, as problems. */
export function systemCABundleProblems(plan: GatewayPlan, bundle = SYSTEM_CA_BUNDLE): string[] {
    const policies = new Set<string>();
    const note = (t: PlanBackendTLS | undefined) => { if (t?.ca.kind === "system") policies.add(t.policy); };
    for (const l of plan.listeners) for (const r of l.rules) {
        for (const b of r.backends) note(b.tls);
        for (const m of [...r.filters.requestMirrors, ...r.backends.flatMap(b => b.filters.requestMirrors)]) note(m.tls);
    }
    if (policies.size === 0) return [];
    try {
        fs.accessSync(bundle, fs.constants.R_OK);
        if (fs.statSync(bundle).isFile()) return [];
    } catch { /* reported below */ }
    return [...policies].sort().map(p =>
        `BackendTLSPolicy ${p} spec.validation.wellKnownCACertificates: "System" means the system CA bundle ${bundle} for the nginx adapter, and it is missing or unreadable on this machine: install the ca-certificates package (apt-get install ca-certificates), or give the CA with caCertificateRefs`);
}
