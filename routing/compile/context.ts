// Shared by the compile stages: namespace/name keys, conditions, the tie-break order and the
// lookup context (classes, services, grants, namespaces) built once per compile.

import { grpcRouteAsHTTPRoute } from "../grpc";
import { CompileInput, Condition, PlanBackend, PlanFilters, PlanForward, RouteKind } from "../plan";
import { DEFAULT_NAMESPACE, GATEWAY_GROUP, GatewayClassSpec, GatewaySpec, GRPCRouteSpec, ListenerSetSpec, HTTPRouteRule, HTTPRouteSpec, Labels, ReferenceGrantSpec, ServiceSpec } from "../types";

export function ns(o: { namespace?: string }): string {
    return o.namespace ?? DEFAULT_NAMESPACE;
}

export function key(o: { name: string; namespace?: string }): string {
    return `${ns(o)}/${o.name}`;
}

export function cond(type: string, ok: boolean, reason: string, message: string): Condition {
    return { type, status: ok ? "True" : "False", reason, message };
}

/** Routes in the tie-break order, so status lists and warnings are deterministic. */
export function sortedRoutes(routes: HTTPRouteSpec[]): HTTPRouteSpec[] {
    return [...routes].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export class Context {
    readonly classes = new Map<string, GatewayClassSpec>();
    readonly services = new Map<string, ServiceSpec>();
    /** The input's services, as listed. */
    readonly serviceList: readonly ServiceSpec[];
    readonly grants = new Map<string, ReferenceGrantSpec[]>();
    readonly namespaceLabels = new Map<string, Labels>();
    /** Resolved backends per (route, rule), shared by every match and hostname of the rule. */
    readonly ruleCache = new Map<string, { filters: PlanFilters; backends: PlanBackend[] }>();
    /** Forward actions per (route, rule, match), shared by every hostname and listener. */
    readonly forwardCache = new Map<string, PlanForward>();
    /** The GRPCRoute each HTTPRoute-shaped spec of `routes` came from (routing/grpc.ts grpcRouteAsHTTPRoute). */
    readonly grpcOrigin = new Map<HTTPRouteSpec, GRPCRouteSpec>();
    /** Every route compile attaches: the HTTPRoutes as given, then the GRPCRoutes in HTTPRoute shape. */
    readonly routes: HTTPRouteSpec[];
    /** The input's ListenerSets by "namespace/name". */
    readonly listenerSets = new Map<string, ListenerSetSpec>();
    /** The Gateway each Accepted ListenerSet is merged into (set by ./listenerSets.ts). */
    readonly listenerSetParents = new Map<ListenerSetSpec, GatewaySpec>();

    constructor(input: CompileInput) {
        for (const c of input.gatewayClasses ?? []) this.classes.set(c.name, c);
        this.serviceList = input.services ?? [];
        for (const s of this.serviceList) this.services.set(key(s), s);
        for (const g of input.referenceGrants ?? []) {
            const list = this.grants.get(ns(g)) ?? [];
            list.push(g);
            this.grants.set(ns(g), list);
        }
        for (const n of input.namespaces ?? []) this.namespaceLabels.set(n.name, n.labels ?? {});
        for (const l of input.listenerSets ?? []) this.listenerSets.set(key(l), l);
        this.routes = [...input.routes];
        for (const g of input.grpcRoutes ?? []) {
            const shaped = grpcRouteAsHTTPRoute(g);
            this.grpcOrigin.set(shaped, g);
            this.routes.push(shaped);
        }
    }

    kindOf(route: HTTPRouteSpec): RouteKind {
        return this.grpcOrigin.has(route) ? "GRPCRoute" : "HTTPRoute";
    }

    /** Is a route of `fromKind` in `fromNs` allowed to reference `kind` `name` in `toNs`? */
    referencePermitted(fromNs: string, toNs: string, group: string, kind: string, name: string, fromKind: RouteKind = "HTTPRoute"): boolean {
        if (fromNs === toNs) return true;
        return (this.grants.get(toNs) ?? []).some(g =>
            g.from.some(f => f.group === GATEWAY_GROUP && f.kind === fromKind && f.namespace === fromNs) &&
            g.to.some(t => t.group === group && t.kind === kind && (t.name === undefined || t.name === "" || t.name === name)));
    }
}

// ---------------------------------------------------------------- ordering

export const DEFAULT_MATCH = [{}];
/** The CRD's default: one rule matching PathPrefix "/" with no backends. */
export const DEFAULT_RULES: HTTPRouteRule[] = [{}];

export function rulesOf(route: HTTPRouteSpec): HTTPRouteRule[] {
    return route.rules ?? DEFAULT_RULES;
}
