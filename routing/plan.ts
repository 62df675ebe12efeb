// The RoutingPlan: what compile() produces from validated specs and what every adapter consumes.
// Adapters never re-derive precedence: listener.rules is already in the order the spec demands.

import {
    GatewayClassSpec, GatewaySpec, GRPCMethodMatchType, GRPCRouteSpec, HTTPHeaderFilter, HTTPMethod, HTTPPathModifier, HTTPRequestRedirectFilter,
    HTTPRouteSpec, HTTPURLRewriteFilter, ListenerSetSpec, NamespaceSpec, ProtocolType, ReferenceGrantSpec, SecretObjectReference,
    ServiceSpec, HeaderMatchType, PathMatchType, Endpoint, GatewaySpecAddress, Labels, BackendLoadBalancer, FrontendValidationMode,
} from "./types";
import type { PlanCORS } from "./cors";

// ---------------------------------------------------------------- input

export interface CompileInput {
    gatewayClasses?: GatewayClassSpec[];
    gateways: GatewaySpec[];
    routes: HTTPRouteSpec[];
    /** GRPCRoutes; a GRPCRoute's namespace/name must differ from every HTTPRoute's (plan rule ids name the route). */
    grpcRoutes?: GRPCRouteSpec[];
    services?: ServiceSpec[];
    referenceGrants?: ReferenceGrantSpec[];
    /** Labels of namespaces, for allowedRoutes.namespaces.from = Selector. */
    namespaces?: NamespaceSpec[];
    /** ListenerSets adding listeners to the gateways (admitted by each Gateway's allowedListeners). */
    listenerSets?: ListenerSetSpec[];
}

/** The route kinds gatewaykit compiles. */
export type RouteKind = "HTTPRoute" | "GRPCRoute";

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
    /** The Gateway's own listeners (a ListenerSet's are in its ListenerSetStatus). */
    listeners: ListenerStatus[];
    /** How many ListenerSets are Accepted on this Gateway; absent when none names it. */
    attachedListenerSets?: number;
}

/** A ListenerSet's status: Accepted / Programmed, and per listener the same conditions as a Gateway's. */
export interface ListenerSetStatus {
    /** "namespace/name" of the ListenerSet. */
    listenerSet: string;
    /** The parentRef with defaults filled in. */
    parentRef: { group: string; kind: string; namespace: string; name: string };
    /** "namespace/name" of the Gateway it is merged into, when it is Accepted. */
    gateway?: string;
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
    /** Set for a GRPCRoute; absent means HTTPRoute. */
    kind?: "GRPCRoute";
    parents: RouteParentStatus[];
    /** Non-fatal findings, e.g. a match shadowed by an identical match of a route that wins the tie. */
    warnings: string[];
}

// ---------------------------------------------------------------- plan

/** A path match with defaults applied. */
export interface PlanPathMatch {
    type: PathMatchType;
    value: string;
    /**
     * PathPrefix only: the value without its trailing "/" ("" for "/"). The prefix matches a path
     * equal to it or followed by "/" (whole segments: "/foo" matches "/foo/x", never "/foobar").
     */
    prefix?: string;
}
export interface PlanValueMatch { type: HeaderMatchType; name: string; value: string }

/**
 * One HTTPRouteMatch with defaults applied. Header names are lower-cased, query names are not.
 * At most one matcher per header name (case-insensitively) and per query name (case-sensitively):
 * the first as written, as the spec says; compile drops the others even under skipValidation.
 */
export interface PlanMatch {
    path: PlanPathMatch;
    headers: PlanValueMatch[];
    queryParams: PlanValueMatch[];
    method?: HTTPMethod;
    /**
     * GRPCRoute rules only: the GRPCMethodMatch as written (type defaulted), when the match has one.
     * `path` and `method` are derived from it (routing/grpc.ts grpcPathMatch) and are what matches;
     * this is kept for precedence and for adapters that state the match in gRPC terms.
     */
    grpc?: PlanGRPCMethodMatch;
}

export interface PlanGRPCMethodMatch {
    type: GRPCMethodMatchType;
    service?: string;
    method?: string;
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
    /** The target's BackendTLSPolicy, when one applies (the copy goes over TLS like the original would). */
    tls?: PlanBackendTLS;
}

/** Filters in the order they were written, normalised. */
export interface PlanFilters {
    requestHeaderModifier?: HTTPHeaderFilter;
    responseHeaderModifier?: HTTPHeaderFilter;
    requestRedirect?: HTTPRequestRedirectFilter;
    urlRewrite?: HTTPURLRewriteFilter;
    requestMirrors: PlanMirror[];
    /**
     * The rule's CORS filter, resolved (routing/cors.ts): the gateway answers preflights with
     * corsHeaders(cors, true) and adds corsHeaders(cors, false) to the rule's other answers. Rule level
     * only (validation refuses it on backendRefs).
     */
    cors?: PlanCORS;
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
    /**
     * The protocol the Service port's appProtocol names (routing/compile/resolve.ts backendProtocol):
     * "ws" / "wss" WebSocket (upgrades pass through), "h2c" HTTP/2 cleartext; absent: HTTP/1.1. Each
     * adapter realises it or refuses it by name.
     */
    protocol?: BackendProtocol;
    /** The BackendTLSPolicy of this Service port (routing/policies.ts): the gateway speaks TLS to it and verifies it. */
    tls?: PlanBackendTLS;
    /** The BackendTrafficPolicy of this Service (routing/policies.ts): how its endpoints share requests. */
    traffic?: PlanBackendTraffic;
}

/**
 * A resolved BackendTLSPolicy: TLS to the backend, SNI `hostname`, the certificate verified against
 * `ca` and named by one of `subjectAltNames` (or, when there are none, by `hostname`).
 */
export interface PlanBackendTLS {
    /** "namespace/name" of the policy. */
    policy: string;
    /** The SNI sent, and the verified name when subjectAltNames is empty. */
    hostname: string;
    /** The trust anchors: PEM bundles of the caCertificateRefs in order ("namespace/name" each), or the system's. */
    ca: { kind: "pem"; refs: string[]; pem: string[] } | { kind: "system" };
    /** The certificate must carry one of these; empty: `hostname`. */
    subjectAltNames: { type: "Hostname" | "URI"; value: string }[];
}

/** A resolved BackendTrafficPolicy: only what the policy sets is present. */
export interface PlanBackendTraffic {
    /** "namespace/name" of the policy. */
    policy: string;
    loadBalancer?: BackendLoadBalancer;
    sessionPersistence?: PlanSessionPersistence;
    /** Defaults applied; durations in ms. */
    healthCheck?: {
        active?: { path: string; intervalMs: number; timeoutMs: number; healthyThreshold: number; unhealthyThreshold: number };
        passive?: { consecutiveFailures: number; intervalMs: number };
    };
    /** A retry budget: no adapter but kubernetes carries it (an object a controller reads). */
    retryConstraint?: { budget?: { percent: number; intervalMs: number }; minRetryRate?: { count: number; intervalMs: number } };
}

/** Session persistence with defaults applied (from a rule, or a BackendTrafficPolicy). */
export interface PlanSessionPersistence {
    type: "Cookie" | "Header";
    /** Absent: the data plane's own name. */
    sessionName?: string;
    /** "Session" unless a cookie is Permanent. */
    lifetimeType: "Permanent" | "Session";
    absoluteTimeoutMs?: number;
}

/** A rule's retry, defaults applied: which codes, how many retries, and the least wait. */
export interface PlanRetry {
    /** Ascending, no repeats; empty: only connection errors and timeouts are retried. */
    codes: number[];
    /** Absent: the data plane's own count. */
    attempts?: number;
    backoffMs?: number;
}

/** Backend protocols gatewaykit knows by their Kubernetes appProtocol. */
export type BackendProtocol = "ws" | "wss" | "h2c";

/**
 * One (rule × match × hostname) of an attached route, in precedence order within its listener.
 * `id` is stable across reorders of unrelated routes: it names route, rule (by name or index) and match.
 */
export interface PlanRule {
    id: string;
    /**
     * "grpc" on the rules of a GRPCRoute (absent: an HTTPRoute rule). Such a rule matches HTTP/2 POST
     * requests on gRPC paths (`match.path`: "/pkg.Service/Method" Exact, "/pkg.Service/" PathPrefix, or
     * RegularExpression; `match.method` "POST"; `match.headers`), and its backends speak gRPC (HTTP/2).
     * Filters are header modifiers and mirrors only (no redirect, no rewrite). An unmatched gRPC
     * request answers UNIMPLEMENTED (HTTP 404 maps to it) and an invalid backend share UNAVAILABLE
     * (routing/grpc.ts GRPC_STATUS; simulate/grpc.ts).
     */
    protocol?: "grpc";
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
    /**
     * Rule timeouts as written (Gateway API duration strings), and in milliseconds (routing/durations.ts)
     * when they parse. Which one an adapter applies is its own stated choice (see issue 12 R1).
     */
    timeouts?: { request?: string; backendRequest?: string; requestMs?: number; backendRequestMs?: number };
    /** The rule's retry (HTTPRouteRetry). */
    retry?: PlanRetry;
    /** The rule's session persistence: a client's requests that match it stay on one endpoint. */
    sessionPersistence?: PlanSessionPersistence;
    /**
     * "HTTPRoute team-a/shop rule 2 (canary)": the one wording of every message about this rule
     * (routing/labels.ts ruleLabel).
     */
    label: string;
    /** Field-path heads for messages: { rule: "spec.rules[2]", match: "spec.rules[2].matches[0]" }. */
    field: { rule: string; match: string };
    /**
     * What the rule does with a request it matched, fully resolved: exactly one of a redirect or a
     * forward. simulate reads it, so it is by construction what simulate answers.
     */
    action: PlanRedirect | PlanForward;
}

/**
 * A resolved HTTPPathModifier, applied to the normalised request path (routing/paths.ts rewritePath):
 * - keep: the path is unchanged;
 * - full: the path becomes `path` (ReplaceFullPath, or ReplacePrefixMatch on a non-PathPrefix match,
 *   which validation refuses, replaces the whole path rather than guess a prefix);
 * - prefix: ReplacePrefixMatch on a PathPrefix match. `matchedPrefix` and `replacement` carry no
 *   trailing "/"; the path's `matchedPrefix` (whole segments) is replaced by `replacement`, an empty
 *   result is "/" ("/foo/bar" with "/foo"→"" is "/bar"; "/foo/" with "/foo"→"/xyz" is "/xyz/").
 */
export type PlanPathRewrite =
    | { kind: "keep" }
    | { kind: "full"; path: string }
    | { kind: "prefix"; matchedPrefix: string; replacement: string };

/** A resolved URLRewrite filter. */
export interface PlanURLRewrite {
    /** The Host the backend receives; undefined keeps the request's. */
    hostname?: string;
    path: PlanPathRewrite;
}

/**
 * A RequestRedirect with every default applied. The Location is
 * `${scheme}://${hostname ?? host}${omitPort ? "" : ":" + port}${rewritePath(path, normalised path)}${?query}`,
 * where host is the request's Host normalised (routing/hostname.ts normalizeHost: lower-cased, port
 * and trailing dot stripped) and the query string is passed on as sent.
 */
export interface PlanRedirect {
    kind: "redirect";
    /** The filter's, default 302. */
    statusCode: 301 | 302 | 303 | 307 | 308;
    /** The filter's, else the listener's protocol ("http" for HTTP, "https" for HTTPS). */
    scheme: "http" | "https";
    /** The filter's; undefined means the request's (normalised) host. */
    hostname?: string;
    /** The filter's, else the default port of the filter's scheme when it sets one, else the listener's port. */
    port: number;
    /** (http, 80) and (https, 443): the Location carries no port. */
    omitPort: boolean;
    /** Which of these the filter set itself (an ALB leaves the rest to #{protocol}/#{port}; GCP cannot set a port). */
    explicit: { scheme: boolean; hostname: boolean; port: boolean };
    path: PlanPathRewrite;
}

/** One backendRef's part of a forward. */
export interface PlanShare {
    /** Index in the rule's backendRefs (and in PlanRule.backends). */
    ref: number;
    backend: PlanBackend;
    weight: number;
    /** weight / (sum of the weights of ALL refs, invalid ones included); 0 for weight ≤ 0 and when noBackends. */
    share: number;
    /** The backend's own RequestMirrors whose target resolved. */
    mirrors: PlanMirror[];
    /** The backend's own URLRewrite, applied after the rule's. */
    urlRewrite?: PlanURLRewrite;
}

export interface PlanInvalidShare extends PlanShare {
    reason: NonNullable<PlanBackend["invalidReason"]>;
}

/**
 * Forward to backends. Σ valid[].share + invalidShare = 1 unless noBackends (then the rule answers
 * 500 and every share is 0). Header modifiers stay in PlanRule.filters / PlanShare.backend.filters.
 */
export interface PlanForward {
    kind: "forward";
    /** Valid refs in backendRefs order, weight 0 included (share 0). */
    valid: PlanShare[];
    /** Invalid refs in backendRefs order: their share answers 500. */
    invalid: PlanInvalidShare[];
    /** Σ invalid[].share. */
    invalidShare: number;
    /** The whole rule answers 500: it has no backendRefs, or all weights are 0. */
    noBackends?: "no-backendRefs" | "all-weights-zero";
    /** The rule's RequestMirrors whose target resolved (the others are dropped, as the spec says). */
    mirrors: PlanMirror[];
    /** The rule's URLRewrite. */
    urlRewrite?: PlanURLRewrite;
}

/** A forward's valid and invalid shares merged back into backendRefs order (PlanShare.ref). */
export function sharesInRefOrder(action: PlanForward): (PlanShare | PlanInvalidShare)[] {
    if (action.invalid.length === 0) return action.valid;
    return [...action.valid, ...action.invalid].sort((a, b) => a.ref - b.ref);
}

export interface PlanTLS {
    mode: "Terminate";
    certificateRefs: SecretObjectReference[];
    /** "namespace/name" of each certificateRef, in order; the namespace defaults to the gateway's. */
    certificateKeys: string[];
}

export interface ListenerPlan {
    /**
     * Unique within the gateway plan: the listener's name for a Gateway listener, and
     * "{namespace}/{listenerSet}/{name}" for a ListenerSet's (a "/" no Gateway listener name contains).
     */
    name: string;
    /** Set on a listener merged from a ListenerSet: where it comes from (status, messages, emitted objects). */
    listenerSet?: { namespace: string; name: string; sectionName: string };
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
    /** Per port (ascending): its protocol and which listener owns which host, decided once. */
    ports: PortPlan[];
    status: GatewayStatus;
    /** The Gateway's spec.infrastructure labels and annotations, when it has some: every adapter resource carries them. */
    infrastructure?: { labels?: Labels; annotations?: Record<string, string> };
    /** The Gateway's spec.addresses, when set: the addresses it asks its data plane for. */
    addresses?: GatewaySpecAddress[];
    /**
     * The client certificate the Gateway presents to TLS backends (spec.tls.backend.clientCertificateRef),
     * when set and usable: its "namespace/name" in the Gateway's `certificates` argument. Whether a
     * backend speaks TLS is BackendTLSPolicy's to say; this is only what the Gateway presents then.
     */
    backendTLS?: { clientCertificateKey: string };
}

/** One port: what one nginx listen socket, ALB listener or GCP forwarding rule carries. */
export interface PortPlan {
    port: number;
    /** The port's one protocol; absent when its listeners conflict. */
    protocol?: ProtocolType;
    /**
     * Every listener on the port, in ownership order: precise hostname > longer wildcard > no
     * hostname, declaration order among equals (the first wins a tie). Invalid listeners are included:
     * they still own their hostnames and answer 404 (their rules are empty), as simulate does.
     * On a conflict: declaration order.
     */
    listeners: string[];
    /** Listeners of different protocols share the port: compile marked them all ProtocolConflict. */
    conflict?: { listeners: string[]; message: string };
    /**
     * Host ownership: every listener hostname and every rule hostname on the port, most specific first
     * (ties in specificity cannot match one host; they are in text order), then `pattern: undefined`
     * when a listener has no hostname. A request's host belongs to the FIRST entry whose pattern matches
     * it (routing/hostname.ts hostnameMatches); no entry → 404 (HTTPS: handshake refused). Empty on a
     * conflict: every listener there is invalid, so every request answers 404.
     */
    hosts: HostOwner[];
    /**
     * HTTPS ports only: the client-certificate validation of every listener on the port
     * (spec.tls.frontend, its perPort entry else its default), decided once per port because one TLS
     * handshake serves every hostname of the port (HTTP/2 coalesces connections across them).
     * Absent: no client certificate is asked for. When none of the refs is usable the port's
     * listeners are not Accepted (NoValidCACertificate) and this is absent too.
     */
    frontendValidation?: PlanFrontendValidation;
}

/** Client-certificate validation of one HTTPS port. */
export interface PlanFrontendValidation {
    /** "namespace/name" of each usable CA ref (ConfigMap), in order: keys of the Gateway's `caCertificates` argument. */
    caCertificateKeys: string[];
    /** AllowValidOnly: a handshake without a valid client certificate fails; AllowInsecureFallback: it succeeds anyway. */
    mode: FrontendValidationMode;
    /** Where it is written, for messages: "spec.tls.frontend.perPort[0].tls.validation". */
    field: string;
}

export interface HostOwner {
    /** A precise name or "*.suffix"; undefined = any host. */
    pattern?: string;
    /** A listener's hostname (or no hostname), or only a rule's. */
    origin: "listener" | "rule";
    /** The most specific listener covering the pattern (the first on a tie). */
    listener: string;
    /** The owning listener's rules that serve EVERY host of the pattern (and so exactly the hosts this entry gets), precedence order. */
    ruleIds: string[];
    /** The other listeners on the port that also match these hosts and must not see them (ALB isolation). */
    shadows: string[];
}

/**
 * The specs one gateway is compiled from (compileGateway). Not inside the plan: adapters that emit
 * Gateway API objects themselves (kubernetes) and runtimes that recompile (nginx) keep this instead.
 */
export interface GatewayInput {
    gatewayClass: GatewayClassSpec;
    gateway: GatewaySpec;
    /** The routes naming this gateway, in declaration order (compile orders them for ties itself). */
    routes: HTTPRouteSpec[];
    /** The GRPCRoutes naming this gateway, in declaration order. */
    grpcRoutes?: GRPCRouteSpec[];
    /** The services declared with them; validated whole, used where the routes reference them. */
    services: ServiceSpec[];
    /** Labels of namespaces, for allowedRoutes.namespaces.from = Selector. */
    namespaces: NamespaceSpec[];
    referenceGrants?: ReferenceGrantSpec[];
    /** The ListenerSets naming this gateway. */
    listenerSets?: ListenerSetSpec[];
}


/** A BackendTLSPolicy's or BackendTrafficPolicy's status (Accepted, or Conflicted with the one that wins). */
export interface PolicyStatus {
    kind: "BackendTLSPolicy" | "BackendTrafficPolicy";
    /** "namespace/name". */
    policy: string;
    conditions: Condition[];
}

export interface RoutingPlan {
    gateways: GatewayPlan[];
    routes: RouteStatus[];
    /** Every policy attached to an input Service, in (kind, "namespace/name") order; absent when there are none. */
    policies?: PolicyStatus[];
    /** One per input ListenerSet, in "namespace/name" order; absent when the input has none. */
    listenerSets?: ListenerSetStatus[];
}

export type { HTTPPathModifier, PlanCORS };
