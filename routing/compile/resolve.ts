// Stage 2, resolve: backendRefs and mirrors to services (ReferenceGrant for cross-namespace refs),
// and the rule's filters normalised.

import { corsPolicyOf } from "../cors";
import { PlanBackend, PlanFilters, PlanMirror, RouteKind } from "../plan";
import { backendProtocol } from "../protocols";
import { BackendObjectReference, HTTPRouteFilter, HTTPRouteSpec } from "../types";
import { Context, key, ns, rulesOf } from "./context";

// ---------------------------------------------------------------- backend resolution

export type RefResolution = Pick<PlanBackend, "service" | "kind" | "group" | "port" | "endpoints" | "serviceSpec" | "invalidReason" | "protocol">;

export function resolveRef(ref: BackendObjectReference, routeNs: string, ctx: Context, fromKind: RouteKind = "HTTPRoute"): RefResolution {
    const group = ref.group ?? "";
    const kind = ref.kind ?? "Service";
    const refNs = ref.namespace ?? routeNs;
    const service = `${refNs}/${ref.name}`;
    const base = { service, kind, group, ...(ref.port !== undefined ? { port: ref.port } : {}), endpoints: [] };
    if (group !== "" || kind !== "Service") return { ...base, invalidReason: "InvalidKind" };
    if (!ctx.referencePermitted(routeNs, refNs, "", "Service", ref.name, fromKind)) return { ...base, invalidReason: "RefNotPermitted" };
    const svc = ctx.services.get(service);
    if (!svc) return { ...base, invalidReason: "BackendNotFound" };
    const sp = svc.ports.find(p => p.port === ref.port);
    if (!sp) return { ...base, serviceSpec: svc, invalidReason: "BackendNotFound" };
    const target = sp.targetPort ?? sp.port;
    const protocol = backendProtocol(sp.appProtocol);
    return { ...base, serviceSpec: svc, endpoints: (svc.endpoints ?? []).map(e => ({ address: e.address, port: e.port ?? target })), ...(protocol ? { protocol } : {}) };
}

export function planFilters(filters: HTTPRouteFilter[] | undefined, routeNs: string, ctx: Context, fromKind: RouteKind = "HTTPRoute"): PlanFilters {
    const out: PlanFilters = { requestMirrors: [] };
    for (const f of filters ?? []) {
        switch (f.type) {
            case "RequestHeaderModifier": out.requestHeaderModifier = f.requestHeaderModifier; break;
            case "ResponseHeaderModifier": out.responseHeaderModifier = f.responseHeaderModifier; break;
            case "RequestRedirect": out.requestRedirect = f.requestRedirect; break;
            case "URLRewrite": out.urlRewrite = f.urlRewrite; break;
            case "RequestMirror": {
                const m = f.requestMirror!;
                const r = resolveRef(m.backendRef, routeNs, ctx, fromKind);
                const percent = m.percent ?? (m.fraction ? (100 * m.fraction.numerator) / (m.fraction.denominator ?? 100) : 100);
                const mirror: PlanMirror = {
                    ...(r.invalidReason === "InvalidKind" ? {} : { service: r.service }),
                    ...(r.port !== undefined ? { port: r.port } : {}),
                    endpoints: r.endpoints,
                    ...(r.serviceSpec && !r.invalidReason ? { serviceSpec: r.serviceSpec } : {}),
                    percent,
                    ...(r.invalidReason ? { invalidReason: r.invalidReason } : {}),
                    after: [
                        ...(out.requestHeaderModifier ? ["RequestHeaderModifier" as const] : []),
                        ...(out.urlRewrite ? ["URLRewrite" as const] : []),
                    ],
                };
                out.requestMirrors.push(mirror);
                break;
            }
            case "CORS": if (f.cors) out.cors = corsPolicyOf(f.cors); break;
            case "ExtensionRef": break; // rejected by validation
        }
    }
    return out;
}

export function resolveRule(route: HTTPRouteSpec, ruleIndex: number, ctx: Context): { filters: PlanFilters; backends: PlanBackend[] } {
    const cacheKey = `${ctx.kindOf(route)} ${key(route)}#${ruleIndex}`;
    const cached = ctx.ruleCache.get(cacheKey);
    if (cached) return cached;
    const rule = rulesOf(route)[ruleIndex];
    const routeNs = ns(route);
    const kind = ctx.kindOf(route);
    const backends: PlanBackend[] = (rule.backendRefs ?? []).map(b => ({
        ...resolveRef(b, routeNs, ctx, kind),
        weight: b.weight ?? 1,
        filters: planFilters(b.filters, routeNs, ctx, kind),
    }));
    const resolved = { filters: planFilters(rule.filters, routeNs, ctx, kind), backends };
    ctx.ruleCache.set(cacheKey, resolved);
    return resolved;
}
