// Which GCP object serves each backend of the plan, chosen by what the Service says about itself:
//   realizations.gcp.backendService      → that existing backend service, used as is
//   realizations.gcp.backendBucket       → that existing backend bucket, used as is
//   realizations.gcp.bucket              → a BackendBucket over that Cloud Storage bucket
//   realizations.gcp.networkEndpointGroup → a BackendService over that existing NEG
//   realizations.gcp.cloudRun / cloudFunction / appEngine → a serverless NEG (region) + BackendService
//   endpoints in private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)
//                                        → a zonal GCE_VM_IP_PORT NEG (zone, network) + BackendService
//   one public IP / one hostname         → a global INTERNET_IP_PORT / INTERNET_FQDN_PORT NEG + BackendService
// Pure: no Pulumi. Problems are collected (each names the service and the fix), never thrown.

import { backendProtocol } from "../../../routing/protocols";
import { Endpoint, ServiceSpec } from "../../../routing/types";
import { GatewayPlan, PlanBackend, PlanBackendTLS, PlanBackendTraffic, PlanMirror } from "../../../routing/plan";
import { ruleLabel } from "../../../routing/labels";
import { GcpHealthCheckParameters, GcpServiceRealization } from "../parameters";
import { gcpName } from "./names";
import { holdsPayloadToken, payloadToken } from "../../payload-token";
import { GcpBackendTls, GcpTraffic, RulePersistence, withBackendPolicies } from "./policies";

/** One backend of the plan, as collectBackendRefs gathers it. */
export interface BackendRef {
    service: string;
    port?: number;
    spec?: ServiceSpec;
    endpoints: Endpoint[];
    usedBy: string;
    grpc?: boolean;
    tls?: PlanBackendTLS;
    traffic?: PlanBackendTraffic;
    /** Every rule forwarding to it, with the sessionPersistence it asks for. */
    rules: RulePersistence[];
}

export type BackendKind =
    | "vpc" | "internet-ip" | "internet-fqdn" | "serverless" | "neg" | "existing-service" | "bucket" | "existing-bucket";

export interface NegEndpoint { ipAddress?: string; fqdn?: string; port: number; instance?: string }

export interface BackendTarget {
    /** "namespace/name:port" (port omitted when the ref has none). */
    key: string;
    service: string;
    port?: number;
    kind: BackendKind;
    /** Backend buckets cannot take part in weighted splits, mirrors or fault injection. */
    isBucket: boolean;
    /** What the URL map references (partial URL). */
    link: string;
    /** Physical names of what the adapter creates (absent for existing objects). */
    backendServiceName?: string;
    backendBucketName?: string;
    bucketName?: string;
    negName?: string;
    neg?: {
        type: "GCE_VM_IP_PORT" | "INTERNET_IP_PORT" | "INTERNET_FQDN_PORT" | "SERVERLESS" | "EXISTING";
        link?: string;
        zone?: string;
        region?: string;
        network?: string;
        endpoints: NegEndpoint[];
        cloudRun?: string;
        cloudFunction?: string;
        appEngine?: { service?: string; version?: string };
    };
    /** H2C: cleartext HTTP/2, the default for a GRPCRoute's backends (HTTP2 is HTTP/2 over TLS). */
    protocol: "HTTP" | "HTTPS" | "HTTP2" | "H2C";
    /** Undefined: no health check (serverless and internet NEGs, buckets, existing services). */
    healthCheck?: GcpHealthCheckParameters & { custom: boolean };
    /** The Service's realizations.gcp.protocol was given (not derived). */
    explicitProtocol?: boolean;
    /** Load balancing, affinity and outlier detection from backend policies (policies.ts). */
    traffic?: GcpTraffic;
    /** TLS to the backend from its BackendTLSPolicy (policies.ts). */
    tls?: GcpBackendTls;
}

export interface NamingContext {
    /** Readable head of physical names, e.g. "gk-mygroup-external". */
    prefix: string;
    /** Mixed into every hash so that two stacks never collide on a name. */
    scope: string;
    project?: string;
}

export interface BackendParameters {
    network?: string;
    region?: string;
    zone?: string;
    scheme: string;
    healthCheck?: GcpHealthCheckParameters;
}

export function globalLink(ctx: NamingContext, collection: string, name: string): string {
    if (name.includes("/")) return name; // already a link
    return `${ctx.project ? `projects/${ctx.project}/` : ""}global/${collection}/${name}`;
}

/** A service port's backend; a GRPCRoute rule's (`grpc`) is a backend service of its own, speaking HTTP/2. */
export function backendKey(service: string, port: number | undefined, grpc = false): string {
    return (port === undefined ? service : `${service}:${port}`) + (grpc ? ":grpc" : "");
}

function ipv4(a: string): number[] | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
    if (!m) return undefined;
    const o = m.slice(1).map(Number);
    return o.every(x => x <= 255) ? o : undefined;
}

export type AddressClass = "private" | "public" | "hostname" | "unreachable";

/** Where an endpoint address lives, as far as a global LB is concerned. */
export function classifyAddress(address: string): AddressClass {
    const o = ipv4(address);
    if (o) {
        if (o[0] === 127 || o[0] === 0 || (o[0] === 169 && o[1] === 254)) return "unreachable";
        if (o[0] === 10 || (o[0] === 172 && o[1] >= 16 && o[1] <= 31) || (o[0] === 192 && o[1] === 168) || (o[0] === 100 && o[1] >= 64 && o[1] <= 127)) return "private";
        return "public";
    }
    if (address.includes(":")) {
        const a = address.toLowerCase().replace(/^\[|\]$/g, "");
        if (a === "::1" || a.startsWith("fe80:")) return "unreachable";
        return /^f[cd]/.test(a) ? "private" : "public";
    }
    return "hostname";
}

/** Every valid backend (weight 0 included) and valid mirror target of the plan, keyed by backendKey. */
export function collectBackendRefs(plan: GatewayPlan): Map<string, BackendRef> {
    const out = new Map<string, BackendRef>();
    let grpc = false;
    const add = (b: PlanBackend | PlanMirror, service: string, spec: ServiceSpec | undefined, usedBy: string): BackendRef => {
        const key = backendKey(service, b.port, grpc);
        const traffic = "traffic" in b ? b.traffic : undefined;
        let ref = out.get(key);
        if (!ref) {
            ref = { service, port: b.port, spec, endpoints: b.endpoints, usedBy, ...(grpc ? { grpc } : {}), ...(b.tls ? { tls: b.tls } : {}), ...(traffic ? { traffic } : {}), rules: [] };
            out.set(key, ref);
        }
        // A mirror target carries no BackendTrafficPolicy (PlanMirror has none): a later backendRef to the same Service does.
        if (!ref.traffic && traffic) ref.traffic = traffic;
        if (!ref.tls && b.tls) ref.tls = b.tls;
        return ref;
    };
    for (const l of plan.listeners) {
        for (const r of l.rules) {
            grpc = r.protocol === "grpc";
            const usedBy = r.label ?? ruleLabel(r);
            const mirrors = [...r.filters.requestMirrors];
            for (const b of r.backends) {
                mirrors.push(...b.filters.requestMirrors);
                // Weight-0 backends are kept: a canary step to 0/100 and back must not delete and
                // re-create the stable's NEG and backend service (urlmap.ts lists them at weight 0).
                if (b.invalidReason) continue;
                const ref = add(b, b.service, b.serviceSpec, usedBy);
                if (!ref.rules.some(x => x.who === usedBy)) ref.rules.push({ who: usedBy, ...(r.sessionPersistence ? { persistence: r.sessionPersistence } : {}) });
            }
            for (const m of mirrors) if (m.service !== undefined && !m.invalidReason) add(m, m.service, m.serviceSpec, usedBy);
        }
    }
    return out;
}

/** The GCP form of one backend, with its backend policies applied. */
export function resolveBackendWithPolicies(key: string, ref: BackendRef, specs: Map<string, ServiceSpec>, params: BackendParameters, ctx: NamingContext, problems: string[], notes: string[]): BackendTarget | undefined {
    const t = resolveBackend(key, ref, specs, params, ctx, problems);
    if (!t) return undefined;
    const spec = ref.spec ?? specs.get(ref.service);
    const explicitHealthCheck = ((spec?.realizations?.gcp ?? {}) as GcpServiceRealization).healthCheck !== undefined;
    return withBackendPolicies(t, ref, explicitHealthCheck, ctx.scope, problems, notes);
}

/** Decides the GCP form of one backend. */
export function resolveBackend(
    key: string, ref: Omit<BackendRef, "rules"> & { rules?: RulePersistence[] },
    specs: Map<string, ServiceSpec>, params: BackendParameters, ctx: NamingContext, problems: string[],
): BackendTarget | undefined {
    const spec = ref.spec ?? specs.get(ref.service);
    const r = (spec?.realizations?.gcp ?? {}) as GcpServiceRealization;
    const where = `Service ${ref.service}${ref.port !== undefined ? ` port ${ref.port}` : ""} (used by ${ref.usedBy})`;
    const readable = `${ctx.prefix}-${ref.service.replace("/", "-")}${ref.port !== undefined ? "-" + ref.port : ""}`;
    // gRPC needs HTTP/2 to the backend: over TLS (HTTP2) when the Service says it speaks TLS, else cleartext (H2C).
    // Otherwise the Service port's appProtocol kubernetes.io/h2c: HTTP/2 with prior knowledge to the endpoints.
    const appProtocol = spec?.ports.find(p => p.port === ref.port)?.appProtocol;
    const protocol = ref.grpc ? (r.protocol === "HTTPS" || r.protocol === "HTTP2" ? "HTTP2" : "H2C") : r.protocol ?? (backendProtocol(appProtocol) === "h2c" ? "H2C" : "HTTP");
    const base = { key, service: ref.service, port: ref.port, protocol, ...(r.protocol !== undefined ? { explicitProtocol: true } : {}) } as const;
    const bsName = (...forceNew: unknown[]) => gcpName(`${readable}`, ctx.scope, "bs", key, params.scheme, ...forceNew);
    const hc = (): BackendTarget["healthCheck"] =>
        r.healthCheck === false ? undefined : r.healthCheck ? { ...r.healthCheck, custom: true }
            // A gRPC server need not speak HTTP/1.1: its default check is the gRPC health protocol, in a
            // health check of its own (the gateway's shared default one is HTTP).
            : ref.grpc ? { ...(params.healthCheck ?? {}), protocol: "GRPC" as const, custom: true } : { ...(params.healthCheck ?? {}), custom: false };

    if (r.backendService) return { ...base, kind: "existing-service", isBucket: false, link: globalLink(ctx, "backendServices", r.backendService) };
    if (r.backendBucket) return { ...base, kind: "existing-bucket", isBucket: true, link: globalLink(ctx, "backendBuckets", r.backendBucket) };
    if (r.bucket) {
        const name = gcpName(readable, ctx.scope, "bb", key);
        return { ...base, kind: "bucket", isBucket: true, bucketName: r.bucket, backendBucketName: name, link: globalLink(ctx, "backendBuckets", name) };
    }
    if (r.networkEndpointGroup) {
        const name = bsName();
        return {
            ...base, kind: "neg", isBucket: false, backendServiceName: name, link: globalLink(ctx, "backendServices", name),
            neg: { type: "EXISTING", link: r.networkEndpointGroup, endpoints: [] }, healthCheck: hc(),
        };
    }
    const serverless = [r.cloudRun, r.cloudFunction, r.appEngine].filter(x => x !== undefined).length;
    if (serverless > 1) {
        problems.push(`${where}: realizations.gcp names more than one of cloudRun, cloudFunction, appEngine; keep one`);
        return undefined;
    }
    if (serverless === 1) {
        const region = r.region ?? params.region;
        if (!region) {
            problems.push(`${where}: a serverless backend needs a region; set realizations.gcp.region or the GatewayClass parameters.gcp.region`);
            return undefined;
        }
        const neg = { type: "SERVERLESS" as const, region, endpoints: [], cloudRun: r.cloudRun, cloudFunction: r.cloudFunction, appEngine: r.appEngine };
        const negName = gcpName(`${readable}-neg`, ctx.scope, "neg", key, neg);
        const name = bsName();
        return { ...base, kind: "serverless", isBucket: false, backendServiceName: name, negName, link: globalLink(ctx, "backendServices", name), neg };
    }

    const endpoints = ref.endpoints;
    if (endpoints.length === 0) {
        problems.push(`${where}: has no endpoints and no realizations.gcp; give it endpoints (VM IPs in the VPC, or one external hostname/IP) ` +
            "or realizations.gcp.{backendService, networkEndpointGroup, cloudRun, cloudFunction, bucket}");
        return undefined;
    }
    // An address unknown in this preview (a payload token) is a VM's VPC address when the
    // realization names its instance or zone, else an internet endpoint: the NEG kind the update
    // will create for such a Service.
    const classOf = (address: string): AddressClass => holdsPayloadToken(address)
        ? (r.instance !== undefined || r.instances !== undefined || r.zone !== undefined ? "private" : "hostname")
        : classifyAddress(address);
    const classes = new Set(endpoints.map(e => classOf(e.address)));
    if (classes.has("unreachable")) {
        const bad = endpoints.filter(e => classOf(e.address) === "unreachable").map(e => e.address);
        problems.push(`${where}: endpoint ${bad.join(", ")} is loopback or link-local, which a global load balancer cannot reach; use the VM's VPC address or an external hostname`);
        return undefined;
    }
    if (classes.size > 1) {
        problems.push(`${where}: mixes VPC addresses, public IPs and hostnames (${endpoints.map(e => e.address).join(", ")}); a NEG holds one kind, so split the service`);
        return undefined;
    }
    const cls = [...classes][0];
    const portOf = (e: Endpoint) => e.port ?? ref.port;
    if (endpoints.some(e => portOf(e) === undefined)) {
        problems.push(`${where}: an endpoint has no port; give the backendRef or the endpoint a port`);
        return undefined;
    }
    if (cls === "private") {
        const zone = r.zone ?? params.zone;
        if (!zone) {
            problems.push(`${where}: VPC endpoints go into a zonal GCE_VM_IP_PORT NEG, which needs a zone; set realizations.gcp.zone or the GatewayClass parameters.gcp.zone`);
            return undefined;
        }
        // An unknown address cannot be looked up in instances: its instance is unknown as well.
        const instanceOf = (address: string) => r.instances?.[address] ?? r.instance
            ?? (holdsPayloadToken(address) && r.instances !== undefined ? payloadToken() : undefined);
        const missing = endpoints.filter(e => !instanceOf(e.address)).map(e => e.address);
        if (missing.length > 0) {
            problems.push(`${where}: GCE_VM_IP_PORT endpoints need the VM instance that owns them (${missing.join(", ")}); set realizations.gcp.instance or realizations.gcp.instances[address]`);
            return undefined;
        }
        const network = params.network ?? "default";
        const negSpec = { type: "GCE_VM_IP_PORT" as const, zone, network, defaultPort: ref.port };
        const negName = gcpName(`${readable}-neg`, ctx.scope, "neg", key, negSpec);
        const name = bsName();
        return {
            ...base, kind: "vpc", isBucket: false, backendServiceName: name, negName, link: globalLink(ctx, "backendServices", name),
            neg: { ...negSpec, endpoints: endpoints.map(e => ({ ipAddress: e.address, port: portOf(e)!, instance: instanceOf(e.address) })) },
            healthCheck: hc(),
        };
    }
    // Internet NEGs hold exactly one endpoint; the endpoint is part of the NEG's name so that a
    // changed endpoint makes a new NEG (created before the old one goes), never a second endpoint.
    if (endpoints.length > 1) {
        problems.push(`${where}: ${endpoints.length} external endpoints (${endpoints.map(e => e.address).join(", ")}); an internet NEG holds exactly one, ` +
            "so put them behind one hostname or split the service");
        return undefined;
    }
    const e = endpoints[0];
    const type = cls === "hostname" ? "INTERNET_FQDN_PORT" as const : "INTERNET_IP_PORT" as const;
    const endpoint: NegEndpoint = cls === "hostname" ? { fqdn: e.address, port: portOf(e)! } : { ipAddress: e.address, port: portOf(e)! };
    const negName = gcpName(`${readable}-neg`, ctx.scope, "neg", key, type, endpoint);
    const name = bsName();
    return {
        ...base, kind: cls === "hostname" ? "internet-fqdn" : "internet-ip", isBucket: false, backendServiceName: name, negName,
        link: globalLink(ctx, "backendServices", name), neg: { type, endpoints: [endpoint] },
    };
}
