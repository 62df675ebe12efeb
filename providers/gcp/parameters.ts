// What users write for the gcp adapter: the GatewayClass parameters (parameters.gcp), what a
// Service says about itself (realizations.gcp), and the GCP limits the model checks.

/** GatewayClass parameters for the gcp adapter (parameters.gcp). */
export interface GcpClassParameters {
    /** Project of every resource; defaults to the provider's project. Needed for Certificate Manager links built from names. */
    project?: string;
    /** VPC network of zonal NEGs (VM endpoints); defaults to "default". */
    network?: string;
    /** Region of serverless NEGs (Cloud Run / Cloud Functions / App Engine backends). */
    region?: string;
    /** Zone of zonal NEGs, unless a Service's realizations.gcp.zone says otherwise. */
    zone?: string;
    /** Load balancing scheme: only "EXTERNAL_MANAGED" (the Envoy-based global external ALB) carries URL map route rules, fault injection and mirroring. */
    scheme?: "EXTERNAL_MANAGED";
    /** Readable head of physical resource names; defaults to "gk-<gateway name>". */
    namePrefix?: string;
    /** An existing global address (name, link or IP) to serve on, instead of reserving one. */
    address?: string;
    /** IP version of the reserved address; defaults to "IPV4". */
    ipVersion?: "IPV4" | "IPV6";
    /** Certificate Manager certificate map (name or //certificatemanager.googleapis.com/… link) for HTTPS listeners; replaces certificateRefs. */
    certificateMap?: string;
    /**
     * certificateRef name ("name" or "namespace/name") → certificate: a compute SSL certificate
     * (managed or self-managed; name or link) or a Certificate Manager certificate link
     * (//certificatemanager.googleapis.com/projects/…/certificates/…). Unmapped refs name a compute
     * SSL certificate of the same name.
     */
    certificates?: Record<string, string>;
    /** SSL policy (name or link) of HTTPS proxies. */
    sslPolicy?: string;
    /** QUIC negotiation of HTTPS proxies; defaults to GCP's ("NONE"). */
    quicOverride?: "NONE" | "ENABLE" | "DISABLE";
    /** Request logging sample rate 0–1 on every backend service; logging is off when unset. */
    logSampleRate?: number;
    /** Backend service timeout in seconds (default 30); a rule's timeouts override it per route. */
    backendTimeoutSec?: number;
    /** Cloud CDN on backend services and buckets; defaults to false. */
    enableCdn?: boolean;
    /** Cloud Armor security policy (name or link) on every backend service the adapter creates. */
    securityPolicy?: string;
    connectionDrainingTimeoutSec?: number;
    /** RATE balancing capacity per endpoint of zonal NEGs; defaults to 100 requests/s. */
    maxRatePerEndpoint?: number;
    /** Defaults of the shared health check of VM/NEG backends (HTTP "/" on the serving port). */
    healthCheck?: GcpHealthCheckParameters;
    /** Labels on the address and forwarding rules. */
    labels?: Record<string, string>;
    /** Overrides of the limits preflight checks (see GCP_LIMITS). */
    limits?: Partial<GcpLimits>;
}

/** Limits from the Cloud Load Balancing quotas page (system limits, not raisable). */
export interface GcpLimits {
    /** One URL map of an Envoy-based ALB: 1 MB (the classic ALB: 64 KB). Checked against the emitted JSON. */
    urlMapBytes: number;
    /** SSL certificates per target HTTPS proxy: 15. */
    sslCertificatesPerProxy: number;
    /** GCE_VM_IP_PORT NEG backends per backend service: 50 (the adapter attaches one NEG per backend service). */
    negBackendsPerBackendService: number;
    /** Route rules per path matcher: no documented figure found; unlimited unless set. */
    routeRulesPerPathMatcher: number;
    /** Host rules per URL map: unlimited unless set. */
    hostRules: number;
}

export const GCP_LIMITS: GcpLimits = {
    urlMapBytes: 1_000_000,
    sslCertificatesPerProxy: 15,
    negBackendsPerBackendService: 50,
    routeRulesPerPathMatcher: Number.POSITIVE_INFINITY,
    hostRules: Number.POSITIVE_INFINITY,
};

export interface GcpHealthCheckParameters {
    /**
     * Defaults to "HTTP"; for the backends of GRPCRoute rules to "GRPC" (the gRPC health-checking
     * protocol, grpc.health.v1.Health/Check) unless the Service's realizations.gcp.healthCheck says otherwise.
     */
    protocol?: "HTTP" | "HTTPS" | "HTTP2" | "GRPC";
    /** GRPC only: the service name the health check asks about; unset: the server's overall health. */
    grpcServiceName?: string;
    /** Defaults to "/". */
    path?: string;
    /** Defaults to the serving port of each endpoint. */
    port?: number;
    checkIntervalSec?: number;
    timeoutSec?: number;
    healthyThreshold?: number;
    unhealthyThreshold?: number;
}

/** What a Service may say about itself to the gcp adapter (Service realizations.gcp). */
export interface GcpServiceRealization {
    backendService?: string;
    backendBucket?: string;
    /** A Cloud Storage bucket name: served through a BackendBucket. */
    bucket?: string;
    networkEndpointGroup?: string;
    /** Cloud Run service name (serverless NEG). */
    cloudRun?: string;
    /** Cloud Functions function name (serverless NEG). */
    cloudFunction?: string;
    appEngine?: { service?: string; version?: string };
    /** Region of the serverless NEG; defaults to the class's region. */
    region?: string;
    /** Zone of the zonal NEG; defaults to the class's zone. */
    zone?: string;
    /** VM instance that owns every endpoint (GCE_VM_IP_PORT endpoints need one). */
    instance?: string;
    /** VM instance per endpoint address, when they differ. */
    instances?: Record<string, string>;
    /** Backend protocol; defaults to "HTTP". */
    protocol?: "HTTP" | "HTTPS" | "HTTP2" | "H2C";
    /** Health check override, or false for none. A BackendTrafficPolicy healthCheck.active says the same: giving both is refused. */
    healthCheck?: false | GcpHealthCheckParameters;
}
