// Which resources of two runs of a program differ: the measure behind "adding a route updates the
// URL map in place and adds its backends". Works on recorded mock registrations (testing kit);
// used by the gcp tests and bench/gcp.ts.

export interface Registration { type: string; name: string; inputs: Record<string, unknown>; custom: boolean }

export interface Churn {
    created: string[];
    deleted: string[];
    /** Resources present in both runs whose inputs differ. */
    changed: string[];
}

export function churn(before: Registration[], after: Registration[]): Churn {
    const key = (r: Registration) => `${r.type}::${r.name}`;
    const a = new Map(before.filter(r => r.custom).map(r => [key(r), r]));
    const b = new Map(after.filter(r => r.custom).map(r => [key(r), r]));
    const out: Churn = { created: [], deleted: [], changed: [] };
    for (const [k, r] of b) {
        const old = a.get(k);
        if (!old) out.created.push(k);
        else if (JSON.stringify(old.inputs) !== JSON.stringify(r.inputs)) out.changed.push(k);
    }
    for (const k of a.keys()) if (!b.has(k)) out.deleted.push(k);
    return out;
}
