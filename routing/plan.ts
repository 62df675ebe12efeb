// The RoutingPlan: what compile() produces from validated specs and what every adapter consumes.
// Adapters never re-derive precedence: listener.rules is already in the order the spec demands.

import {
    GatewayClassSpec, GatewaySpec, HTTPHeaderFilter, HTTPMethod, HTTPPathModifier, HTTPRequestRedirectFilter,
    HTTPRouteSpec, HTTPURLRewriteFilter, NamespaceSpec, ProtocolType, ReferenceGrantSpec, SecretObjectReference,
    ServiceSpec, HeaderMatchType, PathMatchType, Endpoint,
} from "./types";

// ---------------------------------------------------------------- input

export interface CompileInput {
    gatewayClasses?: GatewayClassSpec[];
    gateways: GatewaySpec[];
    routes: HTTPRouteSpec[];
    services?: ServiceSpec[];
    referenceGrants?: ReferenceGrantSpec[];
    /** Labels of namespaces, for allowedRoutes.namespaces.from = Selector. */
    namespaces?: NamespaceSpec[];
}

// ---------------------------------------------------------------- status

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
    type: string;
    status: ConditionStatus;
    reason: string;
    message: string;
}

export interface ListenerStatus {
    name: string;
    attachedRoutes: number;
    supportedKinds: { group: string; kind: string }[];
    conditions: Condition[];
}

export interface GatewayStatus {
    conditions: Condition[];
    listeners: ListenerStatus[];
}

export interface RouteParentStatus {
    /** The parentRef as written, with defaults filled in. */
    parentRef: { group: string; kind: string; namespace: string; name: string; sectionName?: string; port?: number };
    controllerName?: string;
    conditions: Condition[];
}

export interface RouteStatus {
    /** "namespace/name". */
    route: string;
    parents: RouteParentStatus[];
    /** Non-fatal findings, e.g. a match shadowed by an identical match of a route that wins the tie. */
    warnings: string[];
}

// ---------------------------------------------------------------- plan

/** A path match with defaults applied. */
export interface PlanPathMatch { type: PathMatchType; value: string }
export interface PlanValueMatch { type: HeaderMatchType; name: string; value: string }

/** One HTTPRouteMatch with defaults applied; header names are lower-cased, query names are not. */
export interface PlanMatch {
    path: PlanPathMatch;
    headers: PlanValueMatch[];
    queryParams: PlanValueMatch[];
    method?: HTTPMethod;
}

export interface PlanMirror {
    /** "namespace/name" of the service, or undefined when the ref did not resolve. */
    service?: string;
    port?: number;
    endpoints: Endpoint[];
    /** The resolved service (for per-vendor realisations), when it resolved. */
    serviceSpec?: ServiceSpec;
    /** Share of requests mirrored, 0–100 (fractions are converted). */
    percent: number;
    /** Why the mirror target is invalid, when it is. */
    invalidReason?: string;
    /**
     * The request filters of the same list listed before this mirror: filters apply in the order
     * listed, so the mirrored copy carries exactly these changes (absent: none).
     */
    after?: ("RequestHeaderModifier" | "URLRewrite")[];
}

/** Filters in the order they were written, normalised. */
export interface PlanFilters {
    requestHeaderModifier?: HTTPHeaderFilter;
    responseHeaderModifier?: HTTPHeaderFilter;
    requestRedirect?: HTTPRequestRedirectFilter;
    urlRewrite?: HTTPURLRewriteFilter;
    requestMirrors: PlanMirror[];
}

export interface PlanBackend {
    /** "namespace/name" of the referenced object. */
    service: string;
    kind: string;
    group: string;
    port?: number;
    weight: number;
    /** The service's endpoints, when it resolved; targetPort applied. */
    endpoints: Endpoint[];
    /** The resolved service (for per-vendor realisations), when it resolved. */
    serviceSpec?: ServiceSpec;
    filters: PlanFilters;
    /** Set when the ref cannot be used: requests sent to this share answer 500. */
    invalidReason?: "BackendNotFound" | "RefNotPermitted" | "InvalidKind" | "UnsupportedProtocol";
}

/**
 * One (rule × match × hostname) of an attached route, in precedence order within its listener.
 * `id` is stable across reorders of unrelated routes: it names route, rule (by name or index) and match.
 */
export interface PlanRule {
    id: string;
    /** "namespace/name" of the route. */
    route: string;
    routeNamespace: string;
    routeName: string;
    ruleIndex: number;
    ruleName?: string;
    matchIndex: number;
    /** The effective hostname (route ∩ listener); undefined means any host. */
    hostname?: string;
    match: PlanMatch;
    filters: PlanFilters;
    backends: PlanBackend[];
    /** Rule timeouts as written (Gateway API duration strings). */
    timeouts?: { request?: string; backendRequest?: string };
}

export interface PlanTLS {
    mode: "Terminate";
    certificateRefs: SecretObjectReference[];
}

export interface ListenerPlan {
    name: string;
    port: number;
    protocol: ProtocolType;
    hostname?: string;
    tls?: PlanTLS;
    /** Highest precedence first. Empty when the listener is not programmed. */
    rules: PlanRule[];
}

export interface GatewayPlan {
    /** "namespace/name". */
    gateway: string;
    name: string;
    namespace: string;
    className: string;
    controllerName?: string;
    listeners: ListenerPlan[];
    status: GatewayStatus;
    /** The specs this plan was compiled from, as written (validated). */
    sources?: PlanSources;
}

/**
 * For adapters that emit the Gateway API objects themselves (kubernetes) rather than flattened
 * rules: the gateway, the routes whose parentRefs name it (in namespace/name order) and the
 * existing services those routes reference (backendRefs and mirrors).
 */
export interface PlanSources {
    gateway: GatewaySpec;
    routes: HTTPRouteSpec[];
    services: ServiceSpec[];
}

export interface RoutingPlan {
    gateways: GatewayPlan[];
    routes: RouteStatus[];
}

export type { HTTPPathModifier };
