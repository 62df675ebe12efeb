// Shared by the compile stages: namespace/name keys, conditions, the tie-break order and the
// lookup context (classes, services, grants, namespaces) built once per compile.

import { grpcRouteAsHTTPRoute } from "../grpc";
import { CompileInput, Condition, PlanBackend, PlanFilters, PlanForward, PlanMatch, PlanRule, RouteKind } from "../plan";
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

/**
 * Routes in the tie-break order, so status lists and warnings are deterministic, each with its key,
 * made once (not per comparison, nor again by each stage). The sort is stable: routes sharing a
 * key keep input order.
 */
export function sortedRoutes(routes: HTTPRouteSpec[]): { route: HTTPRouteSpec; key: string }[] {
    const keyed = routes.map(route => ({ route, key: key(route) }));
    return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A rule's filters and backends, resolved. */
export interface ResolvedRule { filters: PlanFilters; backends: PlanBackend[] }

/**
 * One route's resolutions, by rule index (and match index), made once per compile and shared by
 * every match, hostname and listener of the rule. Keyed by "namespace/name", so routes that repeat a
 * name and kind (only possible under skipValidation) share the first one's.
 */
export interface ResolvedRoute {
    rules: (ResolvedRule | undefined)[];
    /** Forwards of the rules whose URLRewrite reads the match (match-free ones: Context.forwards). */
    forwards: (PlanForward | undefined)[][];
}

/** One rule's share of its PlanRules that no listener or hostname changes. */
export interface RuleParts {
    ruleIndex: number;
    ruleName?: string;
    /** "grpc" for a GRPCRoute's rule (PlanRule.protocol). */
    protocol?: PlanRule["protocol"];
    /** The rule's part of PlanRule.id: its name, else its index. */
    ruleId: string;
    label: string;
    timeouts?: PlanRule["timeouts"];
    retry?: PlanRule["retry"];
    sessionPersistence?: PlanRule["sessionPersistence"];
    filters: PlanFilters;
    backends: PlanBackend[];
    /** Its filters and backends, as resolved (maybe shared with other rules). */
    resolved: ResolvedRule;
    /** No URLRewrite (rule or backend) reads the match, so one forward serves every match of the rule. */
    matchFree: boolean;
    matches: PlanMatch[];
}

export class Context {
    readonly classes = new Map<string, GatewayClassSpec>();
    readonly services = new Map<string, ServiceSpec>();
    /** The input's services, as listed. */
    readonly serviceList: readonly ServiceSpec[];
    readonly grants = new Map<string, ReferenceGrantSpec[]>();
    readonly namespaceLabels = new Map<string, Labels>();
    /** Gateways by "namespace/name"; the first of that name when names repeat. */
    readonly gateways = new Map<string, GatewaySpec>();
    /** Resolutions of same-namespace Service refs, by "namespace/name" then port (./resolve.ts). */
    readonly localRefs = new Map<string, Map<unknown, Pick<PlanBackend, "service" | "kind" | "group" | "port" | "endpoints" | "serviceSpec" | "invalidReason" | "protocol" | "tls" | "traffic">>>();
    /** Shared backends by resolution (only the shared ones have an entry), then weight; and their ids. */
    readonly sharedBackends = new Map<object, Map<number, PlanBackend>>();
    readonly backendIds = new Map<PlanBackend, number>();
    /** Shared filter-less rules by their backends' ids. */
    readonly sharedRules = new Map<string, ResolvedRule>();
    /** The one forward of each match-free resolved rule (./order.ts). */
    readonly forwards = new Map<ResolvedRule, PlanForward>();
    /**
     * Per route kind, then route "namespace/name": its resolved rules and forward actions (./resolve.ts).
     * By kind first: a GRPCRoute and an HTTPRoute of one name (validation refuses them) never share one.
     */
    readonly resolvedRoutes: Record<RouteKind, Map<string, ResolvedRoute>> = { HTTPRoute: new Map(), GRPCRoute: new Map() };
    /** Per route: the parts of its PlanRules no listener or hostname changes (./order.ts). */
    readonly ruleParts = new Map<HTTPRouteSpec, RuleParts[]>();
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
        for (const g of input.gateways) if (!this.gateways.has(key(g))) this.gateways.set(key(g), g);
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

    /** Is a route (or Gateway, or ListenerSet) of `fromKind` in `fromNs` allowed to reference `kind` `name` in `toNs`? */
    referencePermitted(fromNs: string, toNs: string, group: string, kind: string, name: string, fromKind: RouteKind | "Gateway" | "ListenerSet" = "HTTPRoute"): boolean {
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
