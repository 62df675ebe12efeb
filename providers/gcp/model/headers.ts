// Header filters as GCP headerActions. GCP applies a backend's headerAction BEFORE the rule's (the
// reverse of the Gateway API order), so a rule whose backends carry their own header filters gets
// the composition on each backend and none on the rule.

import { HTTPHeaderFilter } from "../../../routing/types";
import { HeaderActionSpec, HeaderToAdd } from "./urlmapTypes";

function lowerSet(names: string[] | undefined): Set<string> {
    return new Set((names ?? []).map(n => n.toLowerCase()));
}

/** `b` applied after `a`, as one filter. */
export function composeHeaderFilters(a: HTTPHeaderFilter | undefined, b: HTTPHeaderFilter | undefined): HTTPHeaderFilter | undefined {
    if (!a) return b;
    if (!b) return a;
    const bTouched = new Set([...lowerSet(b.remove), ...lowerSet((b.set ?? []).map(h => h.name))]);
    const keep = (n: string) => !bTouched.has(n.toLowerCase());
    return {
        remove: [...(a.remove ?? []).filter(keep), ...(b.remove ?? [])],
        set: [...(a.set ?? []).filter(h => keep(h.name)), ...(b.set ?? [])],
        add: [...(a.add ?? []).filter(h => keep(h.name)), ...(b.add ?? [])],
    };
}

function headerAdds(f: HTTPHeaderFilter): HeaderToAdd[] {
    return [
        ...(f.set ?? []).map(h => ({ headerName: h.name, headerValue: h.value, replace: true })),
        ...(f.add ?? []).map(h => ({ headerName: h.name, headerValue: h.value, replace: false })),
    ];
}

export function headerAction(request: HTTPHeaderFilter | undefined, response: HTTPHeaderFilter | undefined): HeaderActionSpec | undefined {
    const out: HeaderActionSpec = {};
    if (request) {
        const adds = headerAdds(request);
        if (adds.length) out.requestHeadersToAdds = adds;
        if (request.remove?.length) out.requestHeadersToRemoves = [...request.remove];
    }
    if (response) {
        const adds = headerAdds(response);
        if (adds.length) out.responseHeadersToAdds = adds;
        if (response.remove?.length) out.responseHeadersToRemoves = [...response.remove];
    }
    return Object.keys(out).length ? out : undefined;
}
