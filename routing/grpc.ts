// How gRPC maps onto HTTP, once: a gRPC call is an HTTP/2 POST to "/{service}/{method}" (gRPC over
// HTTP/2, "Path → ':path' '/' Service-Name '/' {method name}"), so a GRPCRouteMatch becomes a path
// match, method POST and its header matches. compile builds GRPCRoute rules with these (PlanRule
// protocol "grpc"), simulate matches them as it matches any rule, and adapters read the result from
// the plan — none of them derives a gRPC path itself.

import { PlanGRPCMethodMatch } from "./plan";
import { GRPCMethodMatch, GRPCRouteMatch, GRPCRouteSpec, HTTPPathMatch, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteSpec } from "./types";

/** Every gRPC call is a POST. */
export const GRPC_HTTP_METHOD = "POST" as const;

/** One path segment: what a service or method left unset matches. */
const ANY_SEGMENT = "[^/]+";

/**
 * The HTTP status of an answer the gateway itself makes on a gRPC rule (an invalid backend share, no
 * backends): 503, which every gRPC client reads as UNAVAILABLE — what the GRPCRoute spec demands
 * (HTTPRoute rules answer 500 instead). An unmatched call answers 404, read as UNIMPLEMENTED.
 */
export const GRPC_GATEWAY_ERROR_STATUS = 503;

/** The gRPC status codes gatewaykit answers or reports (grpc/doc/statuscodes.md). */
export const GRPC_STATUS = { OK: 0, UNKNOWN: 2, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;
export type GRPCStatusName = keyof typeof GRPC_STATUS;

/**
 * The gRPC status a client reports for an HTTP answer that carries no grpc-status of its own
 * (grpc/doc/http-grpc-status-mapping.md): 404 → UNIMPLEMENTED, 502/503/504/429 → UNAVAILABLE, …
 */
export function grpcStatusOfHTTP(status: number): GRPCStatusName {
    switch (status) {
        case 200: return "OK";
        case 400: return "INTERNAL";
        case 401: return "UNAUTHENTICATED";
        case 403: return "PERMISSION_DENIED";
        case 404: return "UNIMPLEMENTED";
        case 0: case 429: case 502: case 503: case 504: return "UNAVAILABLE";
        default: return "UNKNOWN";
    }
}

/** The method matcher with its default type; undefined when it selects every call. */
export function planGRPCMethod(m: GRPCMethodMatch | undefined): PlanGRPCMethodMatch | undefined {
    if (!m || (!m.service && !m.method)) return undefined;
    return { type: m.type ?? "Exact", ...(m.service ? { service: m.service } : {}), ...(m.method ? { method: m.method } : {}) };
}

/**
 * The path match a gRPC method matcher stands for:
 * - none: PathPrefix "/" (every call);
 * - Exact service and method: Exact "/{service}/{method}";
 * - Exact service only: PathPrefix "/{service}/" (whole segments: "/a.B/" never matches "/a.BC/x");
 * - Exact method only: RegularExpression "/[^/]+/{method}" (the CRD limits an Exact method to
 *   [A-Za-z_0-9], so it needs no escaping);
 * - RegularExpression: "/(?:{service})/(?:{method})", an unset part being "[^/]+"; the patterns are
 *   the user's, anchored like every RegularExpression match (the whole path).
 */
export function grpcPathMatch(m: PlanGRPCMethodMatch | undefined): Required<HTTPPathMatch> {
    if (!m) return { type: "PathPrefix", value: "/" };
    if (m.type === "RegularExpression") {
        return { type: "RegularExpression", value: `/(?:${m.service ?? ANY_SEGMENT})/(?:${m.method ?? ANY_SEGMENT})` };
    }
    if (m.service !== undefined && m.method !== undefined) return { type: "Exact", value: `/${m.service}/${m.method}` };
    if (m.service !== undefined) return { type: "PathPrefix", value: `/${m.service}/` };
    return { type: "RegularExpression", value: `/${ANY_SEGMENT}/${m.method}` };
}

/** A GRPCRouteMatch as the HTTP match it stands for (path, POST, headers). */
export function httpMatchOfGRPC(m: GRPCRouteMatch): HTTPRouteMatch {
    return {
        path: grpcPathMatch(planGRPCMethod(m.method)),
        method: GRPC_HTTP_METHOD,
        ...(m.headers ? { headers: m.headers } : {}),
    };
}

/** A GRPCRoute's matches with the spec's default: no matches means every gRPC request. */
export function grpcMatchesOf(matches: GRPCRouteMatch[] | undefined): GRPCRouteMatch[] {
    return matches && matches.length > 0 ? matches : [{}];
}

/**
 * The GRPCRoute as the HTTPRoute-shaped spec compile's stages read (attachment, backends, filters
 * are the same concepts); compile remembers which spec came from a GRPCRoute and builds its rules'
 * matches and precedence from the GRPCRoute itself. No rules stays no rules (the CRD has no default).
 */
export function grpcRouteAsHTTPRoute(spec: GRPCRouteSpec): HTTPRouteSpec {
    return {
        name: spec.name,
        ...(spec.namespace !== undefined ? { namespace: spec.namespace } : {}),
        ...(spec.labels !== undefined ? { labels: spec.labels } : {}),
        ...(spec.parentRefs !== undefined ? { parentRefs: spec.parentRefs } : {}),
        ...(spec.hostnames !== undefined ? { hostnames: spec.hostnames } : {}),
        rules: (spec.rules ?? []).map(r => ({
            ...(r.name !== undefined ? { name: r.name } : {}),
            matches: grpcMatchesOf(r.matches).map(httpMatchOfGRPC),
            ...(r.filters !== undefined ? { filters: r.filters as HTTPRouteFilter[] } : {}),
            ...(r.backendRefs !== undefined ? { backendRefs: r.backendRefs.map(b => ({ ...b, ...(b.filters ? { filters: b.filters as HTTPRouteFilter[] } : {}) })) } : {}),
        })),
    };
}

/** "/{service}/{method}": the path a gRPC call is sent on. */
export function grpcCallPath(service: string, method: string): string {
    return `/${service}/${method}`;
}
