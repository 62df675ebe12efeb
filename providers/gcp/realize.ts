// Pulumi resources of the GCP data plane, from the plain data of model/dataplane.ts. Every resource is a
// child of the Gateway; logical names come from identity (gateway, port, "namespace/name:port"),
// physical names from the model (identity + replacement-forcing inputs hashed), so:
// - adding or removing a route updates the URL map in place and creates / deletes only the
//   backends that route alone uses;
// - a backend service or NEG that must be replaced gets a new physical name, so Pulumi creates it,
//   repoints its users, then deletes the old one (no deleteBeforeReplace, no resourceInUse error).
// The only deleteBeforeReplace is on forwarding rules: two rules cannot hold one IP:port at once.

import * as pulumi from "@pulumi/pulumi";
import type * as computeModule from "@pulumi/gcp/compute";
import type * as certificateManagerModule from "@pulumi/gcp/certificatemanager";
import type * as networkSecurityModule from "@pulumi/gcp/networksecurity";
import { lazyPeer } from "../peer";
import { GatewayPlan } from "../../routing/plan";
import { ListenerSetRealizeContext, RealizeContext, RealizeResult, TlsCertificate } from "../adapter";
import { CapabilityError } from "../../routing/errors";
import { listenerSetNotServedReason } from "../served";
import { GcpHealthCheckParameters } from "./parameters";
import { BackendTarget } from "./model/backends";
import { GcpDataPlane, buildDataPlane } from "./model/dataplane";
import { gcpName, withContentHash } from "./model/names";

// @pulumi/gcp is an optional peer: loaded when the first resource is created.
const compute = lazyPeer<typeof computeModule>("@pulumi/gcp/compute", "gcp");
const certificateManager = lazyPeer<typeof certificateManagerModule>("@pulumi/gcp/certificatemanager", "gcp");
const networkSecurity = lazyPeer<typeof networkSecurityModule>("@pulumi/gcp/networksecurity", "gcp");

export class GcpRefusedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "GcpRefusedError";
    }
}

/** Stack and project, so physical names of two stacks never collide. */
export function namingScope(): string {
    return `${pulumi.getProject()}/${pulumi.getStack()}`;
}

function healthCheckArgs(name: string, hc: GcpHealthCheckParameters, project: string | undefined, description: string): computeModule.HealthCheckArgs {
    const block = {
        ...(hc.port !== undefined ? { port: hc.port } : { portSpecification: "USE_SERVING_PORT" }),
        requestPath: hc.path ?? "/",
    };
    const protocol = hc.protocol ?? "HTTP";
    return {
        name, project, description,
        checkIntervalSec: hc.checkIntervalSec ?? 5,
        timeoutSec: hc.timeoutSec ?? 5,
        healthyThreshold: hc.healthyThreshold ?? 2,
        unhealthyThreshold: hc.unhealthyThreshold ?? 2,
        ...(protocol === "GRPC"
            ? { grpcHealthCheck: { ...(hc.port !== undefined ? { port: hc.port } : { portSpecification: "USE_SERVING_PORT" }), ...(hc.grpcServiceName !== undefined ? { grpcServiceName: hc.grpcServiceName } : {}) } }
            : protocol === "HTTPS" ? { httpsHealthCheck: block } : protocol === "HTTP2" ? { http2HealthCheck: block } : { httpHealthCheck: block }),
    };
}

/** The Gateway's backend client certificate as Certificate Manager has it: its id, and the name its content hashes into. */
interface ClientCertificate { id: pulumi.Output<string>; name: pulumi.Output<string> }

/**
 * A BackendTLSPolicy's verification: a BackendAuthenticationConfig over a TrustConfig of its CA
 * bundles (or Google's public roots), and the backend service's tlsSettings naming it. With the
 * Gateway's client certificate, the config also presents it (clientCertificate, which GCP cannot
 * change in place: the config's name hashes the certificate's, so a new one is created first).
 */
function backendTls(t: BackendTarget, id: (kind: string, key: string) => string, project: string | undefined, description: string, opts: pulumi.CustomResourceOptions,
    clientCertificate: ClientCertificate | undefined): computeModule.BackendServiceArgs["tlsSettings"] {
    const tls = t.tls!;
    const desc = `${description}: BackendTLSPolicy ${tls.policy}`;
    const trustConfig = tls.trust.kind === "pem"
        ? new certificateManager.TrustConfig(id("trustconfig", t.key), {
            project, name: tls.trust.trustConfigName, location: "global", description: desc,
            trustStores: [{ trustAnchors: tls.trust.pems.map(pemCertificate => ({ pemCertificate })) }],
        }, opts)
        : undefined;
    const auth = new networkSecurity.BackendAuthenticationConfig(id("backendauth", t.key), {
        project, location: "global", description: desc,
        name: clientCertificate ? clientCertificate.name.apply(n => withContentHash(tls.authenticationConfigName, n)) : tls.authenticationConfigName,
        // PEM bundles: only they are trusted; wellKnownCACertificates System: Google's public roots.
        ...(trustConfig ? { trustConfig: trustConfig.id, wellKnownRoots: "NONE" } : { wellKnownRoots: "PUBLIC_ROOTS" }),
        ...(clientCertificate ? { clientCertificate: clientCertificate.id } : {}),
    }, opts);
    return {
        sni: tls.sni,
        ...(tls.subjectAltNames.length > 0 ? { subjectAltNames: tls.subjectAltNames } : {}),
        authenticationConfig: pulumi.interpolate`//networksecurity.googleapis.com/${auth.id}`,
    };
}

export function realizeGcp(plan: GatewayPlan, ctx: RealizeContext): RealizeResult {
    // Built once by the adapter's model() (the Gateway refused its problems); direct callers get it built here.
    const dp = (ctx.model as GcpDataPlane | undefined) ?? buildDataPlane(plan, ctx.parameters, { scope: namingScope() });
    if (dp.problems.length > 0) {
        throw new GcpRefusedError(`Gateway ${plan.gateway}: the gcp adapter refuses this plan:\n` + dp.problems.map(p => "  - " + p).join("\n"));
    }
    const missing = dp.frontends.flatMap(fe => (fe.clientValidation?.caCertificateKeys ?? [])
        .filter(key => !(ctx.caCertificateKeys ?? []).includes(key))
        .map(key => `port ${fe.port}: no CA bundle for caCertificateRef ConfigMap ${key}; give its ca.crt as the Gateway's caCertificates["${key}"]`));
    if (missing.length > 0) throw new GcpRefusedError(`Gateway ${plan.gateway}: the gcp adapter refuses this plan:\n` + [...new Set(missing)].map(p => "  - " + p).join("\n"));
    for (const n of dp.notes) pulumi.log.warn(`Gateway ${plan.gateway}: ${n}`, ctx.parent);
    return createResources(plan, dp, ctx.parent, ctx.certificates, ctx.caCertificates);
}

/** The PEM certificates of the bundles named by `keys` ("namespace/name"; a bare "name" key is in `namespace`), each a trust anchor. */
function trustAnchors(cas: Record<string, string>, keys: string[], namespace: string): { pemCertificate: string }[] {
    return keys.flatMap(key => {
        const pem = cas[key] ?? (key.startsWith(`${namespace}/`) ? cas[key.slice(namespace.length + 1)] : undefined) ?? "";
        return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map(m => ({ pemCertificate: m[0] + "\n" }));
    });
}

/**
 * spec.tls.backend's client certificate: a Certificate Manager certificate of scope CLIENT_AUTH (the
 * scope a BackendAuthenticationConfig's clientCertificate must have), global as the configs are, from
 * the Gateway's certificates. The key stays secret; the name hashes the (public) certificate only.
 */
function backendClientCertificate(plan: GatewayPlan, cc: NonNullable<GcpDataPlane["backendClientCertificate"]>, certificates: pulumi.Output<Record<string, TlsCertificate>> | undefined,
    project: string | undefined, description: string, id: (kind: string, key: string) => string, opts: pulumi.CustomResourceOptions): ClientCertificate {
    const missing = () => new GcpRefusedError(`Gateway ${plan.gateway} spec.tls.backend.clientCertificateRef: no certificate material for Secret ${cc.key}; give it as the Gateway's certificates["${cc.key}"] ({ certificate, privateKey })`);
    if (certificates === undefined) throw missing();
    const bare = cc.key.startsWith(`${plan.namespace}/`) ? cc.key.slice(plan.namespace.length + 1) : undefined;
    const material = certificates.apply(c => {
        const m = c[cc.key] ?? (bare !== undefined ? c[bare] : undefined);
        if (m === undefined) throw missing();
        return m;
    });
    const name = pulumi.unsecret(material.apply(m => withContentHash(cc.name, m.certificate)));
    const certificate = new certificateManager.Certificate(id("backendclientcertificate", cc.key), {
        project, name, location: "global", scope: "CLIENT_AUTH",
        description: `${description}: spec.tls.backend.clientCertificateRef ${cc.key}, presented to TLS backends`,
        selfManaged: { pemCertificate: material.apply(m => m.certificate), pemPrivateKey: pulumi.secret(material.apply(m => m.privateKey)) },
    }, opts);
    return { id: certificate.id, name };
}

export function createResources(plan: GatewayPlan, dp: GcpDataPlane, parent: pulumi.Resource, certificates?: pulumi.Output<Record<string, TlsCertificate>>,
    caCertificates?: pulumi.Output<Record<string, string>>): RealizeResult {
    const p = dp.params;
    const project = p.project;
    const opts: pulumi.CustomResourceOptions = { parent };
    const id = (kind: string, key: string) => `${plan.gateway}/${kind}/${key}`;
    const description = `gatewaykit: Gateway ${plan.gateway}`;
    const common = {
        project,
        loadBalancingScheme: dp.scheme,
        ...(p.logSampleRate !== undefined ? { logConfig: { enable: true, sampleRate: p.logSampleRate } } : {}),
        ...(p.securityPolicy !== undefined ? { securityPolicy: p.securityPolicy } : {}),
        ...(p.connectionDrainingTimeoutSec !== undefined ? { connectionDrainingTimeoutSec: p.connectionDrainingTimeoutSec } : {}),
    };

    // The sink: a backend service with no backends that 404/500 fault-injection actions aim at.
    const sink = new compute.BackendService(id("backend", "notfound"), {
        ...common, name: dp.sinkName, protocol: "HTTP", description: `${description}: answers nothing; URL map aborts aimed here return 404/500`,
    }, opts);

    let sharedHc: computeModule.HealthCheck | undefined;
    const healthCheckFor = (t: BackendTarget): pulumi.Input<string> | undefined => {
        if (!t.healthCheck) return undefined;
        if (t.healthCheck.custom) {
            const hc = new compute.HealthCheck(id("healthcheck", t.key),
                healthCheckArgs(gcpName(`${t.backendServiceName}-hc`, dp.sinkName, t.key, t.healthCheck.protocol ?? "HTTP"), t.healthCheck, project, `${description}: ${t.key}`), opts);
            return hc.id;
        }
        sharedHc ??= new compute.HealthCheck(id("healthcheck", "default"), healthCheckArgs(dp.defaultHealthCheckName, p.healthCheck ?? {}, project, description), opts);
        return sharedHc.id;
    };

    const clientCertificate = dp.backendClientCertificate && backendClientCertificate(plan, dp.backendClientCertificate, certificates, project, description, id, opts);
    const dependencies: pulumi.Resource[] = [sink];
    for (const t of dp.backends) {
        if (t.kind === "existing-service" || t.kind === "existing-bucket") continue;
        const desc = `${description}: backend ${t.key}`;
        if (t.kind === "bucket") {
            dependencies.push(new compute.BackendBucket(id("bucket", t.key), {
                project, name: t.backendBucketName, bucketName: t.bucketName!, enableCdn: p.enableCdn ?? false, description: desc,
            }, opts));
            continue;
        }
        let group: pulumi.Input<string>;
        const neg = t.neg!;
        if (neg.type === "GCE_VM_IP_PORT") {
            const g = new compute.NetworkEndpointGroup(id("neg", t.key), {
                project, name: t.negName, zone: neg.zone, network: neg.network!, networkEndpointType: neg.type, defaultPort: t.port, description: desc,
            }, opts);
            new compute.NetworkEndpointList(id("endpoints", t.key), {
                project, networkEndpointGroup: g.name, zone: neg.zone,
                networkEndpoints: neg.endpoints.map(e => ({ ipAddress: e.ipAddress, port: e.port, instance: e.instance })),
            }, opts);
            group = g.id;
        } else if (neg.type === "INTERNET_FQDN_PORT" || neg.type === "INTERNET_IP_PORT") {
            const g = new compute.GlobalNetworkEndpointGroup(id("neg", t.key), {
                project, name: t.negName, networkEndpointType: neg.type, defaultPort: neg.endpoints[0].port, description: desc,
            }, opts);
            const e = neg.endpoints[0];
            new compute.GlobalNetworkEndpoint(id("endpoint", t.key), {
                project, globalNetworkEndpointGroup: g.name, port: e.port, ...(e.fqdn ? { fqdn: e.fqdn } : { ipAddress: e.ipAddress }),
            }, opts);
            group = g.id;
        } else if (neg.type === "SERVERLESS") {
            const g = new compute.RegionNetworkEndpointGroup(id("neg", t.key), {
                project, name: t.negName, region: neg.region!, networkEndpointType: "SERVERLESS", description: desc,
                ...(neg.cloudRun ? { cloudRun: { service: neg.cloudRun } } : {}),
                ...(neg.cloudFunction ? { cloudFunction: { function: neg.cloudFunction } } : {}),
                ...(neg.appEngine ? { appEngine: neg.appEngine } : {}),
            }, opts);
            group = g.id;
        } else {
            group = neg.link!;
        }
        const zonal = neg.type === "GCE_VM_IP_PORT" || (neg.type === "EXISTING" && t.healthCheck !== undefined);
        const hc = healthCheckFor(t);
        const tlsSettings = t.tls ? backendTls(t, id, project, desc, opts, clientCertificate) : undefined;
        const tr = t.traffic;
        dependencies.push(new compute.BackendService(id("backend", t.key), {
            ...common,
            name: t.backendServiceName,
            description: desc,
            protocol: t.protocol,
            enableCdn: p.enableCdn ?? false,
            ...(neg.type === "SERVERLESS" ? {} : { timeoutSec: p.backendTimeoutSec ?? 30 }),
            ...(hc ? { healthChecks: hc } : {}),
            // Backend policies (model/policies.ts).
            ...(tr?.localityLbPolicy ? { localityLbPolicy: tr.localityLbPolicy } : {}),
            ...(tr?.sessionAffinity ? { sessionAffinity: tr.sessionAffinity } : {}),
            ...(tr?.consistentHash ? { consistentHash: tr.consistentHash } : {}),
            ...(tr?.strongSessionAffinityCookie ? { strongSessionAffinityCookie: tr.strongSessionAffinityCookie } : {}),
            ...(tr?.outlierDetection ? { outlierDetection: tr.outlierDetection } : {}),
            ...(tlsSettings ? { tlsSettings } : {}),
            // Zonal NEGs on EXTERNAL_MANAGED need a RATE capacity; serverless and internet NEGs take none.
            backends: [zonal ? { group, balancingMode: "RATE", maxRatePerEndpoint: p.maxRatePerEndpoint ?? 100 } : { group }],
        }, opts));
    }

    // SSL certificates from PEM material (a ListenerSet's, imported; or the Gateway's own): the key stays secret.
    const uploaded = new Map<string, computeModule.SSLCertificate>();
    for (const u of dp.uploads) {
        if (certificates === undefined) throw new GcpRefusedError(`Gateway ${plan.gateway}: certificate ${u.key} has no PEM material (a bug: the model was told it has)`);
        // The Gateway's own certificates may be keyed by bare name in its namespace.
        const bare = u.key.startsWith(`${plan.namespace}/`) ? u.key.slice(plan.namespace.length + 1) : undefined;
        const material = certificates.apply(c => {
            const m = c[u.key] ?? (bare !== undefined ? c[bare] : undefined);
            if (m === undefined) throw new GcpRefusedError(`Gateway ${plan.gateway}: certificate ${u.key} has no PEM material (a bug: the model was told it has)`);
            return m;
        });
        uploaded.set(u.key, new compute.SSLCertificate(id("certificate", u.key), {
            project, namePrefix: u.namePrefix, description: `${description}: certificate ${u.key}`,
            certificate: material.apply(m => m.certificate),
            privateKey: pulumi.secret(material.apply(m => m.privateKey)),
        }, opts));
    }

    const address = dp.addressName
        ? new compute.GlobalAddress(id("address", "ip"), {
            project, name: dp.addressName, addressType: "EXTERNAL", ipVersion: p.ipVersion ?? "IPV4", labels: dp.labels ?? p.labels, description,
        }, opts)
        : undefined;
    const ip: pulumi.Input<string> = address ? address.address : p.address!;

    for (const fe of dp.frontends) {
        const port = String(fe.port);
        // Backends are referenced by their (known) links: dependsOn orders creation and keeps
        // preview's URL map fully known, so `pulumi preview` shows the routing diff.
        const urlMap = new compute.URLMap(id("urlmap", port), { project, ...fe.urlMap }, { parent, dependsOn: dependencies });
        let serverTlsPolicy: networkSecurityModule.ServerTlsPolicy | undefined;
        const cv = fe.protocol === "HTTPS" ? fe.clientValidation : undefined;
        if (cv) {
            const trustConfig = new certificateManager.TrustConfig(id("trustconfig", port), {
                project, name: cv.trustConfigName, location: "global", description,
                trustStores: [{ trustAnchors: pulumi.output(caCertificates ?? {}).apply(cas => trustAnchors(cas, cv.caCertificateKeys, plan.namespace)) }],
            }, opts);
            serverTlsPolicy = new networkSecurity.ServerTlsPolicy(id("servertlspolicy", port), {
                project, name: cv.serverTlsPolicyName, location: "global", description,
                mtlsPolicy: { clientValidationMode: cv.mode, clientValidationTrustConfig: trustConfig.id },
            }, opts);
        }
        const proxy = fe.protocol === "HTTPS"
            ? new compute.TargetHttpsProxy(id("proxy", port), {
                project, name: fe.proxyName, urlMap: urlMap.id, description,
                ...(fe.certificateMap ? { certificateMap: fe.certificateMap } : {}),
                ...(fe.sslCertificates.length + fe.uploadedCertificates.length
                    ? { sslCertificates: [...fe.sslCertificates, ...fe.uploadedCertificates.map(k => uploaded.get(k)!.selfLink)] } : {}),
                ...(fe.certificateManagerCertificates.length ? { certificateManagerCertificates: fe.certificateManagerCertificates } : {}),
                ...(p.sslPolicy ? { sslPolicy: p.sslPolicy } : {}),
                ...(p.quicOverride ? { quicOverride: p.quicOverride } : {}),
                ...(serverTlsPolicy ? { serverTlsPolicy: serverTlsPolicy.id } : {}),
            }, opts)
            : new compute.TargetHttpProxy(id("proxy", port), { project, name: fe.proxyName, urlMap: urlMap.id, description }, opts);
        new compute.GlobalForwardingRule(id("forwarding", port), {
            project, name: fe.forwardingRuleName, target: proxy.id, portRange: port, ipAddress: ip, ipProtocol: "TCP",
            loadBalancingScheme: dp.scheme, labels: dp.labels ?? p.labels, description,
        }, { parent, deleteBeforeReplace: true });
    }
    return { addresses: pulumi.output(ip).apply(a => [a]) };
}

/**
 * A team's ListenerSet on another stack's GCP gateway: its stack creates nothing (the target proxy and
 * URL map are the operator's), so this checks in the team's own `up` what the operator's import would
 * skip — served by the gateway, every listener on a port the gateway has, every HTTPS certificateRef
 * supplied as material — and says how it travels: publishRoutes(routes, [listenerSet]).
 */
export function checkGcpListenerSet(ctx: ListenerSetRealizeContext): pulumi.Resource[] {
    const namespace = ctx.spec.namespace ?? "default";
    const key = `${namespace}/${ctx.spec.name}`;
    const problems: string[] = [];
    const notServed = listenerSetNotServedReason(key, [ctx.status], ctx.gateway);
    if (notServed) problems.push(notServed);
    const ports = new Map(ctx.input.gateway.listeners.map(l => [l.port, l.protocol] as const));
    const material = new Set(ctx.certificateKeys ?? []);
    for (const l of ctx.spec.listeners) {
        const protocol = ports.get(l.port);
        if (protocol === undefined) {
            problems.push(`listener ${l.name}: Gateway ${ctx.gateway} has no listener on port ${l.port}, and a new port is a new forwarding rule and target proxy, which only the operator's stack creates: ` +
                `ask the operator to add a listener on port ${l.port} (protocol ${l.protocol}) to the Gateway's spec.listeners and run the operator's \`up\`, or use one of its ports (${[...ports].map(([p, x]) => `${p} ${x}`).join(", ")})`);
            continue;
        }
        (l.tls?.certificateRefs ?? []).forEach((c, i) => {
            const certKey = `${c.namespace ?? namespace}/${c.name}`;
            if (!material.has(certKey)) {
                problems.push(`listener ${l.name} tls.certificateRefs[${i}]: supply ${certKey} in the ListenerSet's certificates (PEM certificate and key): ` +
                    "on gcp the operator's stack uploads a team's certificates as SSL certificates of the target HTTPS proxy, and takes no other");
            }
        });
    }
    if (problems.length > 0) {
        throw new CapabilityError(`ListenerSet ${key}: the gcp adapter refuses it on Gateway ${ctx.gateway}:\n` + problems.map(p => "  - " + p).join("\n"));
    }
    void pulumi.log.info(`ListenerSet ${key}: checked against Gateway ${ctx.gateway}; it reaches the gateway's target proxy and URL map when this stack exports publishRoutes(routes, [listenerSet]) ` +
        "and the operator's Gateway imports that output (importedRoutes) on its next `up`", ctx.parent);
    return [];
}
