// The whole GCP data plane of one gateway as plain data: names, backends, one URL map, proxy and
// forwarding rule per listener port, and every problem found on the way. Built once by the
// adapter's model(): the Gateway refuses its problems before any resource exists, realize() turns the
// same data into Pulumi resources, and evaluate.ts routes requests through it. Pure: no Pulumi.

import { GatewayPlan, ListenerPlan } from "../../../routing/plan";
import { ServiceSpec } from "../../../routing/types";
import { GCP_LIMITS, GcpClassParameters, GcpLimits } from "../parameters";
import { BackendTarget, NamingContext, collectBackendRefs, globalLink, resolveBackendWithPolicies } from "./backends";
import { gcpName, sanitize } from "./names";
import { buildUrlMap, urlMapBytes } from "./urlmap";
import { UrlMapSpec } from "./urlmapTypes";

export interface Frontend {
    port: number;
    protocol: "HTTP" | "HTTPS";
    listeners: string[];
    urlMap: UrlMapSpec;
    urlMapBytes: number;
    proxyName: string;
    forwardingRuleName: string;
    sslCertificates: string[];
    /** Keys ("namespace/name") of the certificates uploaded from PEM material as SSL certificates (GcpDataPlane.uploads), after sslCertificates. */
    uploadedCertificates: string[];
    certificateManagerCertificates: string[];
    certificateMap?: string;
    /**
     * HTTPS only, from PortPlan.frontendValidation: the target proxy's ServerTlsPolicy (mTLS) and the
     * Certificate Manager TrustConfig whose trust anchors are the port's CA bundles.
     * REJECT_INVALID is AllowValidOnly; ALLOW_INVALID_OR_MISSING_CLIENT_CERT is AllowInsecureFallback
     * (the load balancer still validates and tells the backend the result in mTLS headers).
     */
    clientValidation?: {
        mode: "REJECT_INVALID" | "ALLOW_INVALID_OR_MISSING_CLIENT_CERT";
        serverTlsPolicyName: string;
        trustConfigName: string;
        /** "namespace/name" of the CA bundles (the Gateway's caCertificates), in order. */
        caCertificateKeys: string[];
    };
}

/** A compute SSL certificate the gateway's stack creates from PEM material it was given (a certificates key). */
export interface UploadedCertificate {
    key: string;
    /** namePrefix of the SSL certificate: GCP appends a unique suffix, so a new certificate is created before the old one is deleted. */
    namePrefix: string;
}

export interface GcpDataPlane {
    gateway: string;
    params: GcpClassParameters;
    scheme: string;
    /** Reserved address name, or undefined when parameters.address names an existing one. */
    addressName?: string;
    /** Labels of the address and forwarding rules: parameters.gcp.labels and the Gateway's spec.infrastructure.labels. */
    labels?: Record<string, string>;
    /** The backend service (no backends) that 404/500 fault-injection actions aim at. */
    sinkName: string;
    sinkLink: string;
    defaultHealthCheckName: string;
    frontends: Frontend[];
    /** SSL certificates to create from PEM material (the material itself stays in the secret certificates Output). */
    uploads: UploadedCertificate[];
    /**
     * The Gateway's spec.tls.backend client certificate (GatewayPlan.backendTLS), when some backend
     * speaks TLS (a BackendTLSPolicy): one CLIENT_AUTH Certificate Manager certificate, named
     * `name` with the certificate PEM hashed in (names.withContentHash), that every backend's
     * BackendAuthenticationConfig presents. Without a TLS backend there is nothing to present it on.
     */
    backendClientCertificate?: { key: string; name: string };
    backends: BackendTarget[];
    /** Refusals: the data plane cannot be built. */
    problems: string[];
    /** Non-fatal: e.g. weights rounded to fit 0–1000. */
    notes: string[];
}

export interface BuildOptions {
    /** Mixed into every physical name's hash: stack and project, so stacks never collide. */
    scope?: string;
    /** certificateRef keys whose PEM material the program supplies (ModelContext.certificateKeys): uploaded as SSL certificates. */
    certificateKeys?: string[];
}

export function buildDataPlane(plan: GatewayPlan, parameters: Record<string, unknown>, opts: BuildOptions = {}): GcpDataPlane {
    let params = parameters as GcpClassParameters;
    const problems: string[] = [], notes: string[] = [];
    const scheme = params.scheme ?? "EXTERNAL_MANAGED";
    if (scheme !== "EXTERNAL_MANAGED") {
        problems.push(`Gateway ${plan.gateway}: parameters.gcp.scheme ${JSON.stringify(scheme)} is not supported; the classic ALB ("EXTERNAL") lacks the fault injection, ` +
            "weighted backends and mirroring this adapter relies on — use \"EXTERNAL_MANAGED\"");
    }
    const prefix = sanitize(params.namePrefix ?? `gk-${plan.name}`).slice(0, 30);
    const ctx: NamingContext = { prefix, scope: `${opts.scope ?? ""}|${plan.gateway}`, project: params.project };
    const limits: GcpLimits = { ...GCP_LIMITS, ...(params.limits ?? {}) };
    const requested = requestedAddress(plan, params, problems);
    if (requested !== undefined) params = { ...params, address: requested };
    const labels = gcpLabels(plan, params, problems, notes);

    // Backends.
    const specs = new Map<string, ServiceSpec>();
    for (const l of plan.listeners) for (const r of l.rules) for (const b of r.backends) if (b.serviceSpec) specs.set(b.service, b.serviceSpec);
    const links = new Map<string, BackendTarget>();
    for (const [key, ref] of collectBackendRefs(plan)) {
        const t = resolveBackendWithPolicies(key, ref, specs, { network: params.network, region: params.region, zone: params.zone, scheme, healthCheck: params.healthCheck }, ctx, problems, notes);
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
    if (!plan.ports) throw new Error(`gcp: internal error: the plan of Gateway ${plan.gateway} has no ports (compile sets them)`);
    const frontends: Frontend[] = [];
    for (const portPlan of plan.ports) {
        const port = portPlan.port;
        if (portPlan.conflict) {
            problems.push(portPlan.conflict.message);
            continue;
        }
        // Declaration order, as certificateRefs are collected.
        const listeners = plan.listeners.filter(l => l.port === port);
        const protocol = portPlan.protocol as Frontend["protocol"];
        const urlMapName = gcpName(`${prefix}-${port}`, ctx.scope, "um", port);
        const built = buildUrlMap({ name: urlMapName, plan, port: portPlan, links, sinkLink });
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
            sslCertificates: [], uploadedCertificates: [], certificateManagerCertificates: [],
        };
        if (protocol === "HTTPS") certificates(plan, fe, listeners, params, problems, limits, new Set(opts.certificateKeys ?? []));
        const validation = plan.ports.find(p => p.port === port)?.frontendValidation;
        if (protocol === "HTTPS" && validation) {
            fe.clientValidation = {
                mode: validation.mode === "AllowInsecureFallback" ? "ALLOW_INVALID_OR_MISSING_CLIENT_CERT" : "REJECT_INVALID",
                serverTlsPolicyName: gcpName(`${prefix}-${port}-mtls`, ctx.scope, "mtls", port),
                trustConfigName: gcpName(`${prefix}-${port}-trust`, ctx.scope, "trust", port, validation.caCertificateKeys.join(",")),
                caCertificateKeys: [...validation.caCertificateKeys],
            };
        }
        frontends.push(fe);
    }

    const backendClientCertificate = plan.backendTLS && [...links.values()].some(t => t.tls)
        ? { key: plan.backendTLS.clientCertificateKey, name: gcpName(`${prefix}-backend-client`, ctx.scope, "bcc", plan.backendTLS.clientCertificateKey) }
        : undefined;
    if (backendClientCertificate && !(opts.certificateKeys ?? []).includes(backendClientCertificate.key)) {
        problems.push(`Gateway ${plan.gateway} spec.tls.backend.clientCertificateRef: no certificate material for Secret ${backendClientCertificate.key}; ` +
            `give it as the Gateway's certificates["${backendClientCertificate.key}"] ({ certificate, privateKey }): the gcp adapter uploads it as a Certificate Manager certificate its backend services present`);
    }

    return {
        gateway: plan.gateway, params, scheme,
        ...(backendClientCertificate ? { backendClientCertificate } : {}),
        addressName: params.address ? undefined : gcpName(`${prefix}-ip`, ctx.scope, "addr", params.ipVersion ?? "IPV4"),
        ...(labels ? { labels } : {}),
        sinkName, sinkLink,
        defaultHealthCheckName: gcpName(`${prefix}-hc`, ctx.scope, "hc", params.healthCheck?.protocol ?? "HTTP"),
        frontends, backends: [...links.values()], problems, notes,
        uploads: [...new Set(frontends.flatMap(f => f.uploadedCertificates))].map(key => ({ key, namePrefix: `${sanitize(`${prefix}-${key}`).slice(0, 36)}-` })),
    };
}

/**
 * The Gateway's spec.addresses as the global address to serve on (parameters.gcp.address's path): an
 * IPAddress value is a reserved global IP, a NamedAddress value the name or link of a reserved global
 * address; an empty value asks for any address, so one is reserved as without spec.addresses.
 */
function requestedAddress(plan: GatewayPlan, params: GcpClassParameters, problems: string[]): string | undefined {
    const given: { i: number; value: string }[] = [];
    (plan.addresses ?? []).forEach((a, i) => {
        const type = a.type ?? "IPAddress";
        if (type !== "IPAddress" && type !== "NamedAddress") {
            problems.push(`Gateway ${plan.gateway} spec.addresses[${i}].type ${JSON.stringify(type)}: a GCP load balancer serves on a global IP address; use type "IPAddress" (a reserved global IP) or "NamedAddress" (a reserved global address's name)`);
        } else if (a.value) given.push({ i, value: a.value });
    });
    if (given.length === 0) return undefined;
    if (given.length > 1) {
        problems.push(`Gateway ${plan.gateway} spec.addresses[${given[1].i}]: every forwarding rule of the gateway serves on one global address, and spec.addresses[${given[0].i}] already gives it; keep one address`);
    }
    if (params.address !== undefined && params.address !== given[0].value) {
        problems.push(`Gateway ${plan.gateway} spec.addresses[${given[0].i}].value ${JSON.stringify(given[0].value)} differs from the GatewayClass parameters.gcp.address ${JSON.stringify(params.address)}: ` +
            "the gateway serves on one address; remove one of them, or give both the same");
    }
    return given[0].value;
}

/** GCP label syntax: keys start with a lower-case letter; keys and values hold lower-case letters, digits, '_' and '-' (at most 63). */
const GCP_LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const GCP_LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/**
 * parameters.gcp.labels and the Gateway's spec.infrastructure.labels, for the resources that take labels
 * (the global address and forwarding rules). A Kubernetes label GCP's syntax cannot hold is refused
 * with a form it can (never rewritten or dropped); annotations have no place on these resources: a note says so.
 */
function gcpLabels(plan: GatewayPlan, params: GcpClassParameters, problems: string[], notes: string[]): Record<string, string> | undefined {
    const own = plan.infrastructure?.labels ?? {};
    const annotations = Object.keys(plan.infrastructure?.annotations ?? {});
    if (annotations.length > 0) {
        notes.push(`spec.infrastructure.annotations (${annotations.join(", ")}) are not carried: the GCP resources of a load balancer take labels, not annotations; give what must reach GCP as labels`);
    }
    if (Object.keys(own).length === 0) return params.labels;
    const suggest = (v: string, key: boolean) => {
        let s = v.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
        if (key && !/^[a-z]/.test(s)) s = `l${s}`.slice(0, 63);
        return s;
    };
    const labels: Record<string, string> = { ...(params.labels ?? {}) };
    for (const [k, v] of Object.entries(own)) {
        const at = `Gateway ${plan.gateway} spec.infrastructure.labels[${JSON.stringify(k)}]`;
        if (!GCP_LABEL_KEY.test(k)) {
            problems.push(`${at}: GCP label keys start with a lower-case letter and hold lower-case letters, digits, '_' and '-' only (no '.', '/' or capitals); use a key such as ${JSON.stringify(suggest(k, true))}`);
            continue;
        }
        if (!GCP_LABEL_VALUE.test(v)) {
            problems.push(`${at}: GCP label values hold lower-case letters, digits, '_' and '-' only; ${JSON.stringify(v)} does not fit — use a value such as ${JSON.stringify(suggest(v, false))}`);
            continue;
        }
        if (params.labels?.[k] !== undefined && params.labels[k] !== v) {
            problems.push(`${at}: the GatewayClass parameters.gcp.labels give label ${JSON.stringify(k)} another value (${JSON.stringify(params.labels[k])}); remove one of them`);
            continue;
        }
        labels[k] = v;
    }
    if (Object.keys(labels).length > 64) problems.push(`Gateway ${plan.gateway}: spec.infrastructure.labels and parameters.gcp.labels make ${Object.keys(labels).length} labels, over GCP's 64 per resource; remove some`);
    return labels;
}

const CM = "//certificatemanager.googleapis.com/";

function certificates(plan: GatewayPlan, fe: Frontend, listeners: ListenerPlan[], params: GcpClassParameters, problems: string[], limits: GcpLimits, material: Set<string>): void {
    if (params.certificateMap) {
        // A map is the operator's; PEM material of a ListenerSet has no place in it.
        for (const l of listeners) {
            for (const key of l.tls?.certificateKeys ?? []) {
                if (material.has(key) && params.certificates?.[key] === undefined) {
                    problems.push(`Gateway ${plan.gateway} listener ${l.name}: certificate ${key} is given as PEM material, but parameters.gcp.certificateMap serves every HTTPS listener from the operator's certificate map; ` +
                        "add the certificate to that map (and its map entry), or remove certificateMap");
                }
            }
        }
        if (params.certificateMap.startsWith(CM)) fe.certificateMap = params.certificateMap;
        else if (params.project) fe.certificateMap = `${CM}projects/${params.project}/locations/global/certificateMaps/${params.certificateMap}`;
        else problems.push(`Gateway ${plan.gateway}: parameters.gcp.certificateMap ${JSON.stringify(params.certificateMap)} is a bare name; set parameters.gcp.project or give the full ${CM}projects/…/certificateMaps/… link`);
        return;
    }
    const seen = new Set<string>();
    for (const l of listeners) {
        const refs = l.tls?.certificateRefs ?? [];
        refs.forEach((ref, i) => {
            const key = l.tls!.certificateKeys![i];
            const mapped = params.certificates?.[key] ?? params.certificates?.[ref.name];
            if (mapped === undefined && material.has(key)) {
                // PEM material the program supplies: uploaded as an SSL certificate (realize.ts).
                if (!fe.uploadedCertificates.includes(key)) fe.uploadedCertificates.push(key);
                return;
            }
            const target = mapped ?? ref.name;
            if (seen.has(target)) return;
            seen.add(target);
            if (target.startsWith(CM)) fe.certificateManagerCertificates.push(target);
            else fe.sslCertificates.push(globalLink({ prefix: "", scope: "", project: params.project }, "sslCertificates", target));
        });
    }
    if (fe.sslCertificates.length + fe.uploadedCertificates.length > 0 && fe.certificateManagerCertificates.length > 0) {
        problems.push(`Gateway ${plan.gateway} port ${fe.port}: certificateRefs mix compute SSL certificates and Certificate Manager certificates; a target HTTPS proxy takes one kind`);
    }
    if (fe.sslCertificates.length + fe.uploadedCertificates.length > limits.sslCertificatesPerProxy) {
        problems.push(`Gateway ${plan.gateway} port ${fe.port}: ${fe.sslCertificates.length + fe.uploadedCertificates.length} SSL certificates on one target HTTPS proxy; GCP allows ${limits.sslCertificatesPerProxy} — ` +
            "use a Certificate Manager certificate map (parameters.gcp.certificateMap)");
    }
}
