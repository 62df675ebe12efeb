// Spec validation: ReferenceGrant.

import { ValidationIssue } from "../errors";
import { ReferenceGrantSpec } from "../types";
import { begin } from "./checker";

export function validateReferenceGrant(spec: ReferenceGrantSpec): ValidationIssue[] {
    const [c, s] = begin("ReferenceGrant", spec);
    if (!s) return c.issues;
    const from = c.list("spec.from", s.from, { min: 1, max: 16, required: true, what: "sources ({ group, kind, namespace })" });
    from?.forEach((raw, i) => {
        const p = `spec.from[${i}]`;
        const f = c.obj(p, raw);
        if (!f) return;
        c.group(`${p}.group`, f.group, true);
        c.kind(`${p}.kind`, f.kind, true);
        c.label(`${p}.namespace`, f.namespace, true);
    });
    const to = c.list("spec.to", s.to, { min: 1, max: 16, required: true, what: "targets ({ group, kind, name? })" });
    to?.forEach((raw, i) => {
        const p = `spec.to[${i}]`;
        const t = c.obj(p, raw);
        if (!t) return;
        c.group(`${p}.group`, t.group, true);
        c.kind(`${p}.kind`, t.kind, true);
        c.str(`${p}.name`, t.name, { min: 1, max: 253 });
    });
    return c.issues;
}
