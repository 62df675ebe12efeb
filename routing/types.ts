// Gateway API v1 spec types, with the upstream field names in camelCase so that a manifest
// translates line by line. Pure data: no Pulumi, no behaviour. Validation lives in validate.ts.

export type Labels = Record<string, string>;

/** Identity shared by every object: a Kubernetes-style name in a namespace (a team). */
export interface ObjectMeta {
    name: string;
    /** The owning team. Defaults to "default". */
    namespace?: string;
    labels?: Labels;
}

// ---------------------------------------------------------------- GatewayClass

export interface GatewayClassSpec extends ObjectMeta {
    /** Selects the adapter (data plane) that realises gateways of this class, e.g. "gatewaykit.dev/nginx". */
    controllerName: string;
    description?: string;
    /** Adapter-specific parameters (typed per adapter in components/). */
    parameters?: Record<string, unknown>;
}

// ---------------------------------------------------------------- Gateway

export type ProtocolType = "HTTP" | "HTTPS";

export interface SecretObjectReference {
    group?: string;
    /** Defaults to "Secret". */
    kind?: string;
    name: string;
    namespace?: string;
}

export interface GatewayTLSConfig {
    /** Only "Terminate" is supported for HTTPS listeners. */
    mode?: "Terminate" | "Passthrough";
    certificateRefs?: SecretObjectReference[];
    options?: Record<string, string>;
}

export interface LabelSelectorRequirement {
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values?: string[];
}

export interface LabelSelector {
    matchLabels?: Labels;
    matchExpressions?: LabelSelectorRequirement[];
}

export type FromNamespaces = "All" | "Same" | "Selector";

export interface RouteNamespaces {
    /** Defaults to "Same". */
    from?: FromNamespaces;
    selector?: LabelSelector;
}

export interface RouteGroupKind {
    /** Defaults to "gateway.networking.k8s.io". */
    group?: string;
    kind: string;
}

export interface AllowedRoutes {
    namespaces?: RouteNamespaces;
    kinds?: RouteGroupKind[];
}

export interface Listener {
    name: string;
    hostname?: string;
    port: number;
    protocol: ProtocolType;
    tls?: GatewayTLSConfig;
    allowedRoutes?: AllowedRoutes;
}

/** Which namespaces' ListenerSets may attach to a Gateway. "None" (the default): none. */
export type FromListenerNamespaces = "All" | "Same" | "Selector" | "None";

export interface AllowedListeners {
    namespaces?: {
        /** Defaults to "None": only the Gateway's own listeners. */
        from?: FromListenerNamespaces;
        /** Required when from is "Selector". */
        selector?: LabelSelector;
    };
}

/**
 * What the Gateway's data plane resources carry (spec.infrastructure): labels become AWS tags, GCP
 * labels and Kubernetes metadata.labels; annotations AWS tags and Kubernetes metadata.annotations.
 */
export interface GatewayInfrastructure {
    /** At most 8; keys and values as Kubernetes labels. */
    labels?: Labels;
    /** At most 16; keys as label keys, values up to 4096 characters. */
    annotations?: Record<string, string>;
    /** Per-Gateway parameters; gatewaykit reads its parameters from the GatewayClass, so this is refused. */
    parametersRef?: { group: string; kind: string; name: string };
}

/** A requested address of the Gateway (spec.addresses[]). */
export interface GatewaySpecAddress {
    /** Defaults to "IPAddress"; also "Hostname", "NamedAddress" or a domain-prefixed type. */
    type?: string;
    /** Absent or empty: the data plane assigns an address of the type (GatewayAddressEmpty). */
    value?: string;
}

/** A reference to a Kubernetes object (CA certificate refs): group and kind are required, as in the CRD. */
export interface ObjectReference {
    /** "" for the core group (a ConfigMap). */
    group: string;
    /** "ConfigMap": gatewaykit reads CA bundles from ConfigMaps only (the CRD's Core support). */
    kind: string;
    name: string;
    /** Defaults to the Gateway's namespace; another namespace needs a ReferenceGrant there. */
    namespace?: string;
}

/** How a listener checks the client's certificate (spec.tls.frontend.*.validation.mode). */
export type FrontendValidationMode = "AllowValidOnly" | "AllowInsecureFallback";

/** Client-certificate validation: a TLS handshake asks the client for a certificate and checks it against these CAs. */
export interface FrontendTLSValidation {
    /** 1–16 CA bundles (PEM, key `ca.crt` of a ConfigMap); the certificates given by the Gateway's caCertificates argument. */
    caCertificateRefs: ObjectReference[];
    /**
     * Defaults to "AllowValidOnly": a connection without a valid client certificate is refused.
     * "AllowInsecureFallback" accepts it anyway (the backend decides): for testing or migration only.
     */
    mode?: FrontendValidationMode;
}

export interface TLSConfig {
    validation?: FrontendTLSValidation;
}

export interface TLSPortConfig {
    /** The port whose HTTPS listeners use `tls` instead of the default. */
    port: number;
    tls: TLSConfig;
}

/** TLS towards clients (spec.tls.frontend): per port, because connections are coalesced across the hostnames of one port. */
export interface FrontendTLSConfig {
    /** For every HTTPS port without a perPort entry. */
    default: TLSConfig;
    /** At most 64, ports unique. */
    perPort?: TLSPortConfig[];
}

/** TLS towards backends (spec.tls.backend): the client certificate the Gateway presents to TLS backends. */
export interface GatewayBackendTLS {
    /** A Secret (its certificate and key from the Gateway's certificates argument). */
    clientCertificateRef?: SecretObjectReference;
}

/** spec.tls: the Gateway's frontend (client-certificate validation) and backend (client certificate) TLS. */
export interface GatewayTLS {
    frontend?: FrontendTLSConfig;
    backend?: GatewayBackendTLS;
}

export interface GatewaySpec extends ObjectMeta {
    gatewayClassName: string;
    listeners: Listener[];
    /** Which ListenerSets may add listeners to this Gateway; absent: none. */
    allowedListeners?: AllowedListeners;
    /** Labels and annotations for every resource the adapter creates for this Gateway. */
    infrastructure?: GatewayInfrastructure;
    /** Addresses the Gateway asks for (at most 16); absent: the data plane picks. */
    addresses?: GatewaySpecAddress[];
    /** Client-certificate validation on HTTPS ports and the client certificate towards TLS backends. */
    tls?: GatewayTLS;
}

// ---------------------------------------------------------------- ListenerSet

/** The Gateway a ListenerSet adds its listeners to. */
export interface ParentGatewayReference {
    /** Defaults to "gateway.networking.k8s.io". */
    group?: string;
    /** Defaults to "Gateway". */
    kind?: string;
    name: string;
    /** Defaults to the ListenerSet's namespace. */
    namespace?: string;
}

/**
 * Listeners a team adds to an operator's Gateway that admits its namespace (Gateway
 * spec.allowedListeners). The Gateway is treated as having the merged list: its own listeners first,
 * then those of its ListenerSets ordered by "{namespace}/{name}" (gatewaykit has no creation
 * timestamps, so the CRD's first key, creation time, does not apply). A ListenerSet listener that
 * collides with an earlier one (same port and hostname, or same port and another protocol) is the one
 * Conflicted. Routes attach to it by a parentRef of kind ListenerSet (sectionName: its listener name).
 */
export interface ListenerSetSpec extends ObjectMeta {
    parentRef: ParentGatewayReference;
    /** 1–64; names unique within the ListenerSet (not across the Gateway). */
    listeners: Listener[];
}

// ---------------------------------------------------------------- HTTPRoute

export interface ParentReference {
    /** Defaults to "gateway.networking.k8s.io". */
    group?: string;
    /** Defaults to "Gateway". */
    kind?: string;
    /** Defaults to the route's namespace. */
    namespace?: string;
    name: string;
    sectionName?: string;
    port?: number;
}

export type PathMatchType = "Exact" | "PathPrefix" | "RegularExpression";
export type HeaderMatchType = "Exact" | "RegularExpression";
export type HTTPMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "CONNECT" | "OPTIONS" | "TRACE" | "PATCH";

export const HTTP_METHODS: readonly HTTPMethod[] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

export interface HTTPPathMatch {
    /** Defaults to "PathPrefix". */
    type?: PathMatchType;
    /** Defaults to "/". */
    value?: string;
}

export interface HTTPHeaderMatch {
    /** Defaults to "Exact". */
    type?: HeaderMatchType;
    name: string;
    value: string;
}

export interface HTTPQueryParamMatch {
    /** Defaults to "Exact". */
    type?: HeaderMatchType;
    name: string;
    value: string;
}

export interface HTTPRouteMatch {
    path?: HTTPPathMatch;
    headers?: HTTPHeaderMatch[];
    queryParams?: HTTPQueryParamMatch[];
    method?: HTTPMethod;
}

export interface HTTPHeader {
    name: string;
    value: string;
}

export interface HTTPHeaderFilter {
    set?: HTTPHeader[];
    add?: HTTPHeader[];
    remove?: string[];
}

export type HTTPPathModifierType = "ReplaceFullPath" | "ReplacePrefixMatch";

export interface HTTPPathModifier {
    type: HTTPPathModifierType;
    replaceFullPath?: string;
    replacePrefixMatch?: string;
}

export interface HTTPRequestRedirectFilter {
    scheme?: "http" | "https";
    hostname?: string;
    path?: HTTPPathModifier;
    port?: number;
    /** Defaults to 302. */
    statusCode?: 301 | 302 | 303 | 307 | 308;
}

export interface HTTPURLRewriteFilter {
    hostname?: string;
    path?: HTTPPathModifier;
}

export interface Fraction {
    numerator: number;
    /** Defaults to 100. */
    denominator?: number;
}

export interface HTTPRequestMirrorFilter {
    backendRef: BackendObjectReference;
    /** 0–100; defaults to 100 when neither percent nor fraction is set. */
    percent?: number;
    fraction?: Fraction;
}

export type HTTPRouteFilterType =
    | "RequestHeaderModifier"
    | "ResponseHeaderModifier"
    | "RequestMirror"
    | "RequestRedirect"
    | "URLRewrite"
    | "ExtensionRef"
    | "CORS";

/**
 * The CORS filter (HTTPCORSFilter, Extended, standard channel since v1.5): the gateway answers
 * preflight requests itself and adds the Access-Control-* headers to the rule's answers.
 * Semantics and limits: routing/cors.ts.
 */
export interface HTTPCORSFilter {
    /**
     * "*" alone (any origin), or `<scheme>://<host>(:<port>)` with scheme http or https; the host may
     * start with "*." (any number of labels) or be "*". Without a port, 80 (http) or 443 (https).
     */
    allowOrigins?: string[];
    /** true: Access-Control-Allow-Credentials: true; the gateway then never answers "*". */
    allowCredentials?: boolean;
    /** Methods (case-sensitive), or "*" alone. */
    allowMethods?: (HTTPMethod | "*")[];
    /** Header names, or "*" alone. */
    allowHeaders?: string[];
    /** Header names, or "*" (refused with allowCredentials: true, which makes it meaningless). */
    exposeHeaders?: string[];
    /** Seconds a client may cache a preflight answer; defaults to 5. */
    maxAge?: number;
}

export interface LocalObjectReference {
    group: string;
    kind: string;
    name: string;
}

export interface HTTPRouteFilter {
    type: HTTPRouteFilterType;
    requestHeaderModifier?: HTTPHeaderFilter;
    responseHeaderModifier?: HTTPHeaderFilter;
    requestMirror?: HTTPRequestMirrorFilter;
    requestRedirect?: HTTPRequestRedirectFilter;
    urlRewrite?: HTTPURLRewriteFilter;
    extensionRef?: LocalObjectReference;
    cors?: HTTPCORSFilter;
}

export interface BackendObjectReference {
    /** "" (core) for Service. */
    group?: string;
    /** Defaults to "Service". */
    kind?: string;
    name: string;
    /** Defaults to the route's namespace. */
    namespace?: string;
    /** Required for kind Service. */
    port?: number;
}

export interface HTTPBackendRef extends BackendObjectReference {
    /** 0–1,000,000; defaults to 1. */
    weight?: number;
    /** Filters applied only to requests sent to this backend. */
    filters?: HTTPRouteFilter[];
}

export interface HTTPRouteTimeouts {
    request?: string;
    backendRequest?: string;
}

export interface HTTPRouteRule {
    /** Optional rule name (SectionName syntax); makes the rule's identity stable across reorders. */
    name?: string;
    /** Defaults to one match: PathPrefix "/". */
    matches?: HTTPRouteMatch[];
    filters?: HTTPRouteFilter[];
    backendRefs?: HTTPBackendRef[];
    timeouts?: HTTPRouteTimeouts;
    /** When to retry a backend request (experimental channel, HTTPRouteRetry). */
    retry?: HTTPRouteRetry;
    /** Keep a client's requests on one backend endpoint (experimental channel). */
    sessionPersistence?: SessionPersistence;
}

/**
 * rules[].retry. A retry is a new backend request for the same client request: on a listed status
 * code, and (HTTPRouteRetryConnectionError) when the backend cannot be reached or
 * (HTTPRouteRetryBackendTimeout) its backendRequest timeout passes.
 */
export interface HTTPRouteRetry {
    /** Response codes (400–599) that are retried; 500, 502, 503 and 504 are the core ones. */
    codes?: number[];
    /** The most retries of one request (≥ 1); absent: the data plane's choice. */
    attempts?: number;
    /** The least wait between attempts, a Gateway API duration. */
    backoff?: string;
}

/** Session persistence (HTTPRoute rules[].sessionPersistence, XBackendTrafficPolicy spec.sessionPersistence). */
export interface SessionPersistence {
    /** The cookie's or header's name (at most 128 characters); absent: the data plane's. */
    sessionName?: string;
    /** How long a session lasts; required for a Permanent cookie. */
    absoluteTimeout?: string;
    /** Defaults to "Cookie". */
    type?: "Cookie" | "Header";
    /** Cookie sessions only. lifetimeType defaults to "Session" (a browser-session cookie). */
    cookieConfig?: { lifetimeType?: "Permanent" | "Session" };
}

export interface HTTPRouteSpec extends ObjectMeta {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    /** Defaults to one rule matching PathPrefix "/" with no backends (which answers 500). */
    rules?: HTTPRouteRule[];
}

// ---------------------------------------------------------------- GRPCRoute

export type GRPCMethodMatchType = "Exact" | "RegularExpression";

/**
 * Which gRPC service and method a match selects. At least one of service and method is set. Exact
 * values follow the CRD's character rules (service `^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$`,
 * method `^[A-Za-z_][A-Za-z_0-9]*$`); RegularExpression values are patterns on the whole service or
 * method name.
 */
export interface GRPCMethodMatch {
    /** Defaults to "Exact". */
    type?: GRPCMethodMatchType;
    /** The fully-qualified service, e.g. "helloworld.Greeter"; absent: any service. */
    service?: string;
    /** The method, e.g. "SayHello"; absent: any method of the service. */
    method?: string;
}

export interface GRPCHeaderMatch {
    /** Defaults to "Exact". */
    type?: HeaderMatchType;
    name: string;
    value: string;
}

export interface GRPCRouteMatch {
    /** Absent: every service and method. */
    method?: GRPCMethodMatch;
    headers?: GRPCHeaderMatch[];
}

/** The filter types a GRPCRoute allows (no redirect, no rewrite). */
export type GRPCRouteFilterType = "RequestHeaderModifier" | "ResponseHeaderModifier" | "RequestMirror" | "ExtensionRef";

export interface GRPCRouteFilter {
    type: GRPCRouteFilterType;
    requestHeaderModifier?: HTTPHeaderFilter;
    responseHeaderModifier?: HTTPHeaderFilter;
    requestMirror?: HTTPRequestMirrorFilter;
    extensionRef?: LocalObjectReference;
}

export interface GRPCBackendRef extends BackendObjectReference {
    /** 0–1,000,000; defaults to 1. */
    weight?: number;
    /** Filters applied only to requests sent to this backend. */
    filters?: GRPCRouteFilter[];
}

export interface GRPCRouteRule {
    /** Optional rule name (SectionName syntax); makes the rule's identity stable across reorders. */
    name?: string;
    /** Absent or empty: every gRPC request. */
    matches?: GRPCRouteMatch[];
    filters?: GRPCRouteFilter[];
    backendRefs?: GRPCBackendRef[];
}

export interface GRPCRouteSpec extends ObjectMeta {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    /** No default: a GRPCRoute without rules matches nothing. */
    rules?: GRPCRouteRule[];
}

// ---------------------------------------------------------------- backends and grants

/** One address a backend's traffic goes to. */
export interface Endpoint {
    /** An IP address or hostname. */
    address: string;
    port?: number;
}

export interface ServicePort {
    port: number;
    /** The port on the endpoints; defaults to port. */
    targetPort?: number;
    name?: string;
    /**
     * How to speak to the endpoints, as a Kubernetes Service port says it: "kubernetes.io/ws"
     * (WebSocket over cleartext), "kubernetes.io/wss" (WebSocket over TLS), "kubernetes.io/h2c"
     * (HTTP/2 with prior knowledge); absent (or "http"): HTTP/1.1. See PlanBackend.protocol.
     */
    appProtocol?: string;
}

/**
 * A vendor-neutral backend: what a backendRef of kind Service resolves to. The `realizations`
 * map lets an adapter find its own form (a target group, a NEG, a Kubernetes Service) without
 * routes ever naming a vendor.
 */
export interface ServiceSpec extends ObjectMeta {
    ports: ServicePort[];
    endpoints?: Endpoint[];
    /** Per-adapter realisation hints, keyed by adapter name ("aws", "gcp", "kubernetes", "nginx"). */
    realizations?: Record<string, Record<string, unknown>>;
    /**
     * The BackendTLSPolicies targeting this Service, in the Service's namespace. The component layer
     * attaches every declared policy to the Services it targets, so the policies travel with the
     * Service (to another stack's gateway, to a published route).
     */
    backendTLSPolicies?: BackendTLSPolicySpec[];
    /** The BackendTrafficPolicies targeting this Service (as backendTLSPolicies). */
    backendTrafficPolicies?: BackendTrafficPolicySpec[];
}

// ---------------------------------------------------------------- backend policies

/** A policy's target: a Service in the policy's own namespace (LocalPolicyTargetReferenceWithSectionName). */
export interface LocalPolicyTargetReference {
    /** Must be "" (core). */
    group: string;
    /** Must be "Service". */
    kind: string;
    name: string;
    /** A port name of the Service; absent: every port. (BackendTLSPolicy only.) */
    sectionName?: string;
}

export interface SubjectAltName {
    type: "Hostname" | "URI";
    /** type Hostname: a DNS name, "*." wildcards allowed. */
    hostname?: string;
    /** type URI: e.g. "spiffe://cluster.local/ns/shop/sa/api". */
    uri?: string;
}

/**
 * BackendTLSPolicy (gateway.networking.k8s.io/v1): the gateway speaks TLS to the targeted Service
 * ports and verifies the backend's certificate. Upstream keeps CA certificates in ConfigMaps (key
 * `ca.crt`); gatewaykit carries their PEM with the policy in `caCertificates`, keyed by the
 * caCertificateRef's name, so the policy is whole wherever the Service goes (another stack, a file).
 */
export interface BackendTLSPolicySpec extends ObjectMeta {
    /** 1–16 Services of the policy's namespace. */
    targetRefs: LocalPolicyTargetReference[];
    validation: {
        /** ConfigMaps (group "", kind "ConfigMap") holding the CA bundle; exclusive with wellKnownCACertificates. */
        caCertificateRefs?: { group: string; kind: string; name: string }[];
        /** "System": the platform's trusted CAs. */
        wellKnownCACertificates?: string;
        /** The SNI the gateway sends, and the name verified unless subjectAltNames is set. */
        hostname: string;
        /** At most 5: the certificate must carry one of them (then hostname is SNI only). */
        subjectAltNames?: SubjectAltName[];
    };
    /** Implementation-specific TLS options (at most 16); gatewaykit refuses every key it does not know. */
    options?: Record<string, string>;
    /** gatewaykit: the PEM CA bundle of each caCertificateRef, by its name. */
    caCertificates?: Record<string, string>;
}

/** How a backend's endpoints share its requests (gatewaykit's field of BackendTrafficPolicy). */
export interface BackendLoadBalancer {
    type: "RoundRobin" | "LeastRequest" | "Random" | "ConsistentHash";
    /** type ConsistentHash: what the hash reads. */
    consistentHash?: { type: "Header" | "Cookie" | "SourceIP"; header?: { name: string }; cookie?: { name: string } };
}

/** Health of a backend's endpoints (gatewaykit's field of BackendTrafficPolicy). */
export interface BackendHealthCheck {
    /** Probes the data plane sends. */
    active?: {
        /** Defaults to "/". */
        path?: string;
        /** Defaults to "10s". */
        interval?: string;
        /** Defaults to "5s". */
        timeout?: string;
        /** Successes before an endpoint is healthy again; defaults to 2. */
        healthyThreshold?: number;
        /** Failures before an endpoint is unhealthy; defaults to 2. */
        unhealthyThreshold?: number;
    };
    /** Ejection from real traffic (outlier detection). */
    passive?: {
        /** Failed requests that eject an endpoint; defaults to 5. */
        consecutiveFailures?: number;
        /** How often failures are counted, and how long an ejected endpoint is left out; defaults to "10s". */
        interval?: string;
    };
}

/**
 * BackendTrafficPolicy: the experimental XBackendTrafficPolicy (gateway.networking.x-k8s.io) —
 * targetRefs, retryConstraint, sessionPersistence — plus gatewaykit's loadBalancer and healthCheck,
 * the seed's "custom parameters (LB algorithms …)", which each adapter realises or refuses by name.
 */
export interface BackendTrafficPolicySpec extends ObjectMeta {
    /** 1–16 Services of the policy's namespace (no sectionName: the whole Service). */
    targetRefs: LocalPolicyTargetReference[];
    /** A budget for retries across requests to the targets. */
    retryConstraint?: { budget?: { percent?: number; interval?: string }; minRetryRate?: { count?: number; interval?: string } };
    sessionPersistence?: SessionPersistence;
    loadBalancer?: BackendLoadBalancer;
    healthCheck?: BackendHealthCheck;
}

/** Permits references from objects in other namespaces into `namespace` (Gateway API ReferenceGrant). */
export interface ReferenceGrantSpec extends ObjectMeta {
    from: { group: string; kind: string; namespace: string }[];
    to: { group: string; kind: string; name?: string }[];
}

export interface NamespaceSpec {
    name: string;
    labels?: Labels;
}

export const GATEWAY_GROUP = "gateway.networking.k8s.io";
export const DEFAULT_NAMESPACE = "default";
