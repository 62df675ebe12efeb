// The whole GCP data plane of one gateway as plain data: names, backends, one URL map, proxy and
// forwarding rule per listener port, and every problem found on the way. preflight() reports the
// problems before any resource exists; realize() turns the same data into Pulumi resources, and
// evaluate.ts routes requests through it. Pure: no Pulumi.

import { GatewayPlan, ListenerPlan } from "../../routing/plan";
import { ServiceSpec } from "../../routing/types";
import { BackendTarget, GcpHealthCheckParameters, NamingContext, collectBackendRefs, globalLink, resolveBackend } from "./backends";
import { gcpName, sanitize } from "./names";
import { UrlMapSpec, buildUrlMap, urlMapBytes } from "./urlmap";

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

export interface Frontend {
    port: number;
    protocol: "HTTP" | "HTTPS";
    listeners: string[];
    urlMap: UrlMapSpec;
    urlMapBytes: number;
    proxyName: string;
    forwardingRuleName: string;
    sslCertificates: string[];
    certificateManagerCertificates: string[];
    certificateMap?: string;
}

export interface GcpDataPlane {
    gateway: string;
    params: GcpClassParameters;
    scheme: string;
    /** Reserved address name, or undefined when parameters.address names an existing one. */
    addressName?: string;
    /** The backend service (no backends) that 404/500 fault-injection actions aim at. */
    sinkName: string;
    sinkLink: string;
    defaultHealthCheckName: string;
    frontends: Frontend[];
    backends: BackendTarget[];
    /** Refusals: the data plane cannot be built. */
    problems: string[];
    /** Non-fatal: e.g. weights rounded to fit 0–1000. */
    notes: string[];
}

export interface BuildOptions {
    /** Mixed into every physical name's hash: stack and project, so stacks never collide. */
    scope?: string;
}

export function buildDataPlane(plan: GatewayPlan, parameters: Record<string, unknown>, opts: BuildOptions = {}): GcpDataPlane {
    const params = parameters as GcpClassParameters;
    const problems: string[] = [], notes: string[] = [];
    const scheme = params.scheme ?? "EXTERNAL_MANAGED";
    if (scheme !== "EXTERNAL_MANAGED") {
        problems.push(`Gateway ${plan.gateway}: parameters.gcp.scheme ${JSON.stringify(scheme)} is not supported; the classic ALB ("EXTERNAL") lacks the fault injection, ` +
            "weighted backends and mirroring this adapter relies on — use \"EXTERNAL_MANAGED\"");
    }
    const prefix = sanitize(params.namePrefix ?? `gk-${plan.name}`).slice(0, 30);
    const ctx: NamingContext = { prefix, scope: `${opts.scope ?? ""}|${plan.gateway}`, project: params.project };
    const limits: GcpLimits = { ...GCP_LIMITS, ...(params.limits ?? {}) };

    // Backends.
    const specs = new Map<string, ServiceSpec>();
    for (const l of plan.listeners) for (const r of l.rules) for (const b of r.backends) if (b.serviceSpec) specs.set(b.service, b.serviceSpec);
    const links = new Map<string, BackendTarget>();
    for (const [key, ref] of collectBackendRefs(plan)) {
        const t = resolveBackend(key, ref, specs, { network: params.network, region: params.region, zone: params.zone, scheme, healthCheck: params.healthCheck }, ctx, problems);
        if (t) links.set(key, t);
    }
    for (const t of links.values()) {
        const negs = t.neg ? 1 : 0;
        if (negs > limits.negBackendsPerBackendService) {
            problems.push(`Service ${t.service}: ${negs} NEG backends on one backend service; GCP allows ${limits.negBackendsPerBackendService}`);
        }
    }

    const sinkName = gcpName(`${prefix}-notfound`, ctx.scope, "sink", scheme);
    const sinkLink = globalLink(ctx, "backendServices", sinkName);

    // Frontends: one URL map, proxy and forwarding rule per port.
    const ports = new Map<number, ListenerPlan[]>();
    for (const l of plan.listeners) ports.set(l.port, [...(ports.get(l.port) ?? []), l]);
    const frontends: Frontend[] = [];
    for (const [port, listeners] of [...ports].sort((a, b) => a[0] - b[0])) {
        const protocols = new Set(listeners.map(l => l.protocol));
        if (protocols.size > 1) {
            problems.push(`Gateway ${plan.gateway} port ${port}: listeners ${listeners.map(l => l.name).join(", ")} mix HTTP and HTTPS on one port; a forwarding rule has one target proxy — use separate ports`);
            continue;
        }
        const protocol = listeners[0].protocol;
        const urlMapName = gcpName(`${prefix}-${port}`, ctx.scope, "um", port);
        const built = buildUrlMap({ name: urlMapName, plan, port, listeners, links, sinkLink });
        problems.push(...built.problems);
        notes.push(...built.notes);
        const bytes = urlMapBytes(built.urlMap, params.project);
        if (bytes > limits.urlMapBytes) {
            problems.push(`Gateway ${plan.gateway} port ${port}: the URL map would be ${bytes} bytes; GCP allows ${limits.urlMapBytes} per URL map — ` +
                "split the routes across gateways, or give hostnames to any-host routes (their rules are copied into every host's path matcher)");
        }
        if ((built.urlMap.hostRules?.length ?? 0) > limits.hostRules) {
            problems.push(`Gateway ${plan.gateway} port ${port}: ${built.urlMap.hostRules!.length} host rules; the limit is ${limits.hostRules}`);
        }
        for (const pm of built.urlMap.pathMatchers ?? []) {
            if ((pm.routeRules?.length ?? 0) > limits.routeRulesPerPathMatcher) {
                problems.push(`Gateway ${plan.gateway} port ${port}: path matcher for hosts ${built.urlMap.hostRules!.find(h => h.pathMatcher === pm.name)!.hosts.join(", ")} ` +
                    `has ${pm.routeRules!.length} route rules; the limit is ${limits.routeRulesPerPathMatcher}`);
            }
        }
        const fe: Frontend = {
            port, protocol, listeners: listeners.map(l => l.name), urlMap: built.urlMap, urlMapBytes: bytes,
            proxyName: gcpName(`${prefix}-${port}-${protocol.toLowerCase()}`, ctx.scope, "proxy", port, protocol),
            forwardingRuleName: gcpName(`${prefix}-${port}`, ctx.scope, "fr", port, protocol, scheme, params.address ?? "", params.ipVersion ?? "IPV4"),
            sslCertificates: [], certificateManagerCertificates: [],
        };
        if (protocol === "HTTPS") certificates(plan, fe, listeners, params, problems, limits);
        frontends.push(fe);
    }

    return {
        gateway: plan.gateway, params, scheme,
        addressName: params.address ? undefined : gcpName(`${prefix}-ip`, ctx.scope, "addr", params.ipVersion ?? "IPV4"),
        sinkName, sinkLink,
        defaultHealthCheckName: gcpName(`${prefix}-hc`, ctx.scope, "hc", params.healthCheck?.protocol ?? "HTTP"),
        frontends, backends: [...links.values()], problems, notes,
    };
}

const CM = "//certificatemanager.googleapis.com/";

function certificates(plan: GatewayPlan, fe: Frontend, listeners: ListenerPlan[], params: GcpClassParameters, problems: string[], limits: GcpLimits): void {
    if (params.certificateMap) {
        if (params.certificateMap.startsWith(CM)) fe.certificateMap = params.certificateMap;
        else if (params.project) fe.certificateMap = `${CM}projects/${params.project}/locations/global/certificateMaps/${params.certificateMap}`;
        else problems.push(`Gateway ${plan.gateway}: parameters.gcp.certificateMap ${JSON.stringify(params.certificateMap)} is a bare name; set parameters.gcp.project or give the full ${CM}projects/…/certificateMaps/… link`);
        return;
    }
    const seen = new Set<string>();
    for (const l of listeners) {
        for (const ref of l.tls?.certificateRefs ?? []) {
            const ns = ref.namespace ?? plan.namespace;
            const target = params.certificates?.[`${ns}/${ref.name}`] ?? params.certificates?.[ref.name] ?? ref.name;
            if (seen.has(target)) continue;
            seen.add(target);
            if (target.startsWith(CM)) fe.certificateManagerCertificates.push(target);
            else fe.sslCertificates.push(globalLink({ prefix: "", scope: "", project: params.project }, "sslCertificates", target));
        }
    }
    if (fe.sslCertificates.length > 0 && fe.certificateManagerCertificates.length > 0) {
        problems.push(`Gateway ${plan.gateway} port ${fe.port}: certificateRefs mix compute SSL certificates and Certificate Manager certificates; a target HTTPS proxy takes one kind`);
    }
    if (fe.sslCertificates.length > limits.sslCertificatesPerProxy) {
        problems.push(`Gateway ${plan.gateway} port ${fe.port}: ${fe.sslCertificates.length} SSL certificates on one target HTTPS proxy; GCP allows ${limits.sslCertificatesPerProxy} — ` +
            "use a Certificate Manager certificate map (parameters.gcp.certificateMap)");
    }
}
