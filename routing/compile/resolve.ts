// Stage 2, resolve: backendRefs and mirrors to services (ReferenceGrant for cross-namespace refs),
// and the rule's filters normalised.

import { corsPolicyOf } from "../cors";
import { PlanBackend, PlanFilters, PlanMirror, RouteKind } from "../plan";
import { backendTLSPolicyFor, backendTrafficPolicyFor, planBackendTLS, planBackendTraffic } from "../policies";
import { backendProtocol } from "../protocols";
import { BackendObjectReference, HTTPBackendRef, HTTPRouteFilter, HTTPRouteSpec } from "../types";
import { Context, ResolvedRoute, ResolvedRule, key, ns, rulesOf } from "./context";

// ---------------------------------------------------------------- backend resolution

export type RefResolution = Pick<PlanBackend, "service" | "kind" | "group" | "port" | "endpoints" | "serviceSpec" | "invalidReason" | "protocol" | "tls" | "traffic">;

export function resolveRef(ref: BackendObjectReference, routeNs: string, ctx: Context, fromKind: RouteKind = "HTTPRoute"): RefResolution {
    const group = ref.group ?? "";
    const kind = ref.kind ?? "Service";
    const refNs = ref.namespace ?? routeNs;
    const service = `${refNs}/${ref.name}`;
    // A Service in the route's own namespace (the common case) resolves the same for every route that
    // names it with that port: resolved once, its endpoints shared (plans are immutable).
    if (group === "" && kind === "Service" && refNs === routeNs) {
        let byPort = ctx.localRefs.get(service);
        if (!byPort) ctx.localRefs.set(service, byPort = new Map());
        let r = byPort.get(ref.port);
        if (!r) {
            byPort.set(ref.port, r = resolveService(ref, routeNs, refNs, service, group, kind, ctx, fromKind));
            ctx.sharedBackends.set(r, new Map());
        }
        return r;
    }
    return resolveService(ref, routeNs, refNs, service, group, kind, ctx, fromKind);
}

function resolveService(ref: BackendObjectReference, routeNs: string, refNs: string, service: string, group: string, kind: string, ctx: Context, fromKind: RouteKind): RefResolution {
    const base = { service, kind, group, ...(ref.port !== undefined ? { port: ref.port } : {}), endpoints: [] };
    if (group !== "" || kind !== "Service") return { ...base, invalidReason: "InvalidKind" };
    if (!ctx.referencePermitted(routeNs, refNs, "", "Service", ref.name, fromKind)) return { ...base, invalidReason: "RefNotPermitted" };
    const svc = ctx.services.get(service);
    if (!svc) return { ...base, invalidReason: "BackendNotFound" };
    const sp = svc.ports.find(p => p.port === ref.port);
    if (!sp) return { ...base, serviceSpec: svc, invalidReason: "BackendNotFound" };
    const target = sp.targetPort ?? sp.port;
    const protocol = backendProtocol(sp.appProtocol);
    const tls = backendTLSPolicyFor(svc, sp);
    const traffic = backendTrafficPolicyFor(svc);
    return {
        ...base, serviceSpec: svc, endpoints: (svc.endpoints ?? []).map(e => ({ address: e.address, port: e.port ?? target })), ...(protocol ? { protocol } : {}),
        ...(tls ? { tls: planBackendTLS(tls) } : {}),
        ...(traffic ? { traffic: planBackendTraffic(traffic) } : {}),
    };
}

/** The filters of a rule or backendRef that has none: one frozen object, shared (plans are immutable). */
export const NO_FILTERS: PlanFilters = Object.freeze({ requestMirrors: Object.freeze([]) as unknown as PlanMirror[] });

export function planFilters(filters: HTTPRouteFilter[] | undefined, routeNs: string, ctx: Context, fromKind: RouteKind = "HTTPRoute"): PlanFilters {
    if (filters === undefined || filters.length === 0) return NO_FILTERS;
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
                    ...(r.tls && !r.invalidReason ? { tls: r.tls } : {}),
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

/** The route's entry in ctx.resolvedRoutes (by kind, then "namespace/name"), made empty when first asked for. */
export function resolvedRoute(routeKey: string, kind: RouteKind, ctx: Context): ResolvedRoute {
    const byKey = ctx.resolvedRoutes[kind];
    let resolved = byKey.get(routeKey);
    if (!resolved) byKey.set(routeKey, resolved = { rules: [], forwards: [] });
    return resolved;
}

export function resolveRule(route: HTTPRouteSpec, ruleIndex: number, ctx: Context, resolved = resolvedRoute(key(route), ctx.kindOf(route), ctx)): ResolvedRule {
    const cached = resolved.rules[ruleIndex];
    if (cached) return cached;
    const rule = rulesOf(route)[ruleIndex];
    const routeNs = ns(route);
    const kind = ctx.kindOf(route);
    const backends = (rule.backendRefs ?? []).map(b => planBackend(b, routeNs, ctx, kind));
    const filters = planFilters(rule.filters, routeNs, ctx, kind);
    const out = filters === NO_FILTERS ? sharedRule(backends, ctx) : { filters, backends };
    resolved.rules[ruleIndex] = out;
    return out;
}

/**
 * A backendRef. One with no filters, to a Service whose resolution is shared (./resolveRef), with a
 * whole weight, is the same for every rule that has it: made once, shared (plans are immutable).
 */
function planBackend(b: HTTPBackendRef, routeNs: string, ctx: Context, fromKind: RouteKind): PlanBackend {
    const resolution = resolveRef(b, routeNs, ctx, fromKind);
    const weight = b.weight ?? 1;
    const filters = planFilters(b.filters, routeNs, ctx, fromKind);
    const byWeight = ctx.sharedBackends.get(resolution);
    // -0 and fractions are kept as written (a Map key would fold -0 into 0).
    if (!byWeight || filters !== NO_FILTERS || !Number.isSafeInteger(weight) || Object.is(weight, -0)) return { ...resolution, weight, filters };
    let backend = byWeight.get(weight);
    if (!backend) {
        byWeight.set(weight, backend = { ...resolution, weight, filters });
        ctx.backendIds.set(backend, ctx.backendIds.size);
    }
    return backend;
}

/** A rule with no filters whose backends are all shared is the same as every rule with the same backends: shared. */
function sharedRule(backends: PlanBackend[], ctx: Context): ResolvedRule {
    const ids: number[] = [];
    for (const b of backends) {
        const id = ctx.backendIds.get(b);
        if (id === undefined) return { filters: NO_FILTERS, backends };
        ids.push(id);
    }
    const k = ids.join(",");
    let rule = ctx.sharedRules.get(k);
    if (!rule) ctx.sharedRules.set(k, rule = { filters: NO_FILTERS, backends });
    return rule;
}
