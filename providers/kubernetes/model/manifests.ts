// GatewayInput → Kubernetes objects, as plain JSON (pure: no Pulumi import, so tests validate the
// objects against the upstream CRD schemas without mocks). Routes are emitted from their specs as
// written (the input the plan was compiled from), one HTTPRoute object per route, so the field
// list is the spec's own; only names change: namespaces are mapped to the cluster's, backendRefs
// to the Kubernetes Service each gatewaykit Service is realised as.

import { GatewayInput, RouteKind } from "../../../routing/plan";
import {
    BackendObjectReference, DEFAULT_NAMESPACE, GATEWAY_GROUP, GRPCRouteMatch, GRPCRouteRule, GRPCRouteSpec, HTTPBackendRef, HTTPRouteFilter,
    HTTPRouteMatch, HTTPRouteRule, HTTPRouteSpec, Listener, ListenerSetSpec, ParentReference, ServiceSpec, GatewayTLS, TLSConfig,
    BackendTLSPolicySpec, BackendTrafficPolicySpec, SessionPersistence,
} from "../../../routing/types";
import { ruleLabel } from "../../../routing/labels";
import { ResolvedParameters } from "../parameters";

export const GATEWAY_API_VERSION = `${GATEWAY_GROUP}/v1`;
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "gatewaykit" };
/** EndpointSlices gatewaykit writes carry this, so the cluster's EndpointSlice controller leaves them alone. */
export const SLICE_MANAGER = "gatewaykit.dev";

export interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    [field: string]: unknown;
}

/** A cross-namespace reference from a route to a Service, which the cluster allows only with a ReferenceGrant. */
export interface GrantNeed {
    /** gatewaykit "namespace/name" of the route. */
    route: string;
    /** The route's kind: the grant's `from` names it. */
    fromKind: RouteKind;
    /** Where in it, for messages: "HTTPRoute ns/name rule 0 backendRefs[1]". */
    where: string;
    fromNamespace: string;
    toNamespace: string;
    service: string;
}

export interface Rendered {
    /** v1 Namespaces for the cluster namespaces the other objects are written into (parameters.kubernetes.createNamespaces). */
    namespaces: Manifest[];
    gatewayClass?: Manifest;
    gateway?: Manifest;
    /** ListenerSets declared with the gateway (scope "gateway"), as written: the cluster decides their admission too. */
    listenerSets: Manifest[];
    routes: Manifest[];
    services: Manifest[];
    endpointSlices: Manifest[];
    referenceGrants: Manifest[];
    /** BackendTLSPolicies and XBackendTrafficPolicies of the Services the routes reference, and the ConfigMaps of their CA bundles (policies()). */
    policies: Manifest[];
    grantNeeds: GrantNeed[];
    /** What the objects cannot carry as written (a policy field with no upstream object, an experimental field on a standard cluster). */
    problems: string[];
}

/** "gateway": everything the gateway's stack owns; "routes": only the routes and their backends (another stack owns the gateway). */
/** "gateway": the Gateway's stack; "routes": a team's routes on another stack's gateway; "listenerSet": a team's ListenerSet on one. */
export type RenderScope = "gateway" | "routes" | "listenerSet";

export function allManifests(r: Rendered): Manifest[] {
    return [
        ...r.namespaces, ...(r.gatewayClass ? [r.gatewayClass] : []), ...(r.gateway ? [r.gateway] : []), ...r.listenerSets,
        ...r.services, ...r.endpointSlices, ...r.referenceGrants, ...r.policies, ...r.routes,
    ];
}

/** The key one object has in the cluster (and in the per-program registry of emitted objects). */
export function objectKey(m: Manifest): string {
    return `${m.kind}/${m.metadata.namespace ? m.metadata.namespace + "/" : ""}${m.metadata.name}`;
}

const nsOf = (o: { namespace?: string }) => o.namespace ?? DEFAULT_NAMESPACE;

/** Copies the members that are set, in the order given (so emitted objects read like the spec). */
function pick<T extends object>(o: T, keys: (keyof T)[]): Partial<T> {
    const out: Partial<T> = {};
    for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
    return out;
}

export class ManifestRenderer {
    private readonly services = new Map<string, ServiceSpec>();
    private readonly grantNeeds: GrantNeed[] = [];
    private readonly createdServices = new Map<string, ServiceSpec>();
    /** The kind of the route being rendered (route() sets it; objectRef notes it on grant needs). */
    private routeKind: RouteKind = "HTTPRoute";
    /** Services the rendered routes reference, by gatewaykit "namespace/name": their policies are emitted. */
    private readonly referenced = new Map<string, ServiceSpec>();
    private readonly problems: string[] = [];

    constructor(private readonly input: GatewayInput, private readonly params: ResolvedParameters) {
        for (const s of input.services) this.services.set(`${nsOf(s)}/${s.name}`, s);
    }

    /** gatewaykit namespace → cluster namespace. */
    clusterNamespace(ns: string): string {
        return this.params.namespaces[ns] ?? ns;
    }

    render(scope: RenderScope): Rendered {
        // In tie-break order ("namespace/name"), whatever order the routes were declared in.
        const routes = [
            ...this.input.routes.map(spec => ({ kind: "HTTPRoute" as const, spec })),
            ...(this.input.grpcRoutes ?? []).map(spec => ({ kind: "GRPCRoute" as const, spec })),
        ].sort((a, b) => key(a.spec) < key(b.spec) ? -1 : key(a.spec) > key(b.spec) ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0)
            .map(r => this.route(r.spec, r.kind));
        const services = [...this.createdServices.values()].sort((a, b) => key(a) < key(b) ? -1 : 1);
        const rendered: Rendered = {
            namespaces: [],
            ...(scope === "gateway" && this.params.controllerName !== undefined ? { gatewayClass: this.gatewayClass() } : {}),
            ...(scope === "gateway" ? { gateway: this.gateway() } : {}),
            listenerSets: scope !== "routes"
                ? [...this.input.listenerSets ?? []].sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0).map(l => this.listenerSet(l))
                : [],
            routes,
            services: services.map(s => this.service(s)),
            endpointSlices: services.flatMap(s => this.endpointSlices(s)),
            referenceGrants: this.params.manageReferenceGrants ? this.referenceGrants() : [],
            policies: this.policies(),
            grantNeeds: this.grantNeeds,
            problems: this.problems,
        };
        if (this.params.createNamespaces) rendered.namespaces = this.namespaces(allManifests(rendered));
        return rendered;
    }

    /** The cluster namespaces the objects are written into, each labelled as the Gateway's namespaceLabels say (its Selector listeners match them). */
    private namespaces(objects: Manifest[]): Manifest[] {
        const names = [...new Set(objects.flatMap(m => m.metadata.namespace !== undefined ? [m.metadata.namespace] : []))].sort();
        return names.map(name => {
            // Labels of every gatewaykit namespace mapped onto this cluster namespace.
            const own: Record<string, string> = {};
            for (const n of this.input.namespaces ?? []) if (this.clusterNamespace(n.name) === name) Object.assign(own, n.labels ?? {});
            // Not the Gateway's infrastructure labels: a namespace's labels decide which routes and ListenerSets Selector listeners admit.
            return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: this.labels(own, false) } };
        });
    }

    /**
     * An object's labels: its own, then the Gateway's spec.infrastructure.labels (every object made for
     * the Gateway carries them; they win over the object's own), then the class parameters' labels and
     * the managed-by label, which the adapter relies on.
     */
    private labels(own?: Record<string, string>, withInfrastructure = true): Record<string, string> {
        return { ...(own ?? {}), ...(withInfrastructure ? this.input.gateway.infrastructure?.labels : {}), ...this.params.labels, ...MANAGED_BY };
    }

    /** The Gateway's spec.infrastructure.annotations with the object's own (the await annotations, which win), or nothing. */
    private annotated(own?: Record<string, string>): { annotations?: Record<string, string> } {
        const all = { ...(this.input.gateway.infrastructure?.annotations ?? {}), ...(own ?? {}) };
        return Object.keys(all).length > 0 ? { annotations: all } : {};
    }

    clusterClassName(): string {
        return this.params.gatewayClassName ?? this.input.gateway.gatewayClassName;
    }

    private gatewayClass(): Manifest {
        return {
            apiVersion: GATEWAY_API_VERSION,
            kind: "GatewayClass",
            // Not the Gateway's infrastructure labels: a class may be shared by several Gateways.
            metadata: { name: this.clusterClassName(), labels: this.labels(undefined, false) },
            spec: { controllerName: this.params.controllerName, ...pick(this.params, ["description"]) },
        };
    }

    private awaitAnnotations(waitFor: string): Record<string, string> | undefined {
        const w = this.params.await;
        if (!w) return undefined;
        // No pulumi.com/timeoutSeconds: it bounds deletes too, and a Gateway's foreground delete
        // outlasted a 5 s await on a real cluster. realize sets customTimeouts create/update instead.
        return { "pulumi.com/waitFor": waitFor };
    }

    private gateway(): Manifest {
        const gw = this.input.gateway;
        const annotations = this.awaitAnnotations("condition=Programmed");
        return {
            apiVersion: GATEWAY_API_VERSION,
            kind: "Gateway",
            metadata: {
                name: gw.name, namespace: this.clusterNamespace(nsOf(gw)), labels: this.labels(gw.labels),
                ...this.annotated(annotations),
            },
            spec: {
                gatewayClassName: this.clusterClassName(), listeners: gw.listeners.map(l => this.listener(l, nsOf(gw))),
                ...(gw.allowedListeners ? { allowedListeners: gw.allowedListeners } : {}),
                // As the CRD defines them: the cluster's controller applies them to what it creates.
                ...(gw.infrastructure ? { infrastructure: gw.infrastructure } : {}),
                ...(gw.addresses && gw.addresses.length > 0 ? { addresses: gw.addresses.map(a => ({ type: a.type ?? "IPAddress", ...(a.value !== undefined ? { value: a.value } : {}) })) } : {}),
                ...(gw.tls ? { tls: this.gatewayTLS(gw.tls, nsOf(gw)) } : {}),
            },
        };
    }

    /**
     * spec.tls as the CRD defines it, refs into other namespaces mapped to the cluster's namespaces as
     * certificateRefs are. The ConfigMaps and Secrets it names are the cluster's (as listener certificates are).
     */
    private gatewayTLS(tls: GatewayTLS, gwNs: string): Record<string, unknown> {
        const refNs = (namespace: string | undefined) => namespace !== undefined && namespace !== gwNs ? { namespace: this.clusterNamespace(namespace) } : {};
        const config = (c: TLSConfig) => c.validation ? {
            validation: {
                caCertificateRefs: c.validation.caCertificateRefs.map(r => ({ group: r.group, kind: r.kind, name: r.name, ...refNs(r.namespace) })),
                ...pick(c.validation, ["mode"]),
            },
        } : {};
        const out: Record<string, unknown> = {};
        if (tls.frontend) {
            out.frontend = {
                default: config(tls.frontend.default),
                ...(tls.frontend.perPort ? { perPort: tls.frontend.perPort.map(p => ({ port: p.port, tls: config(p.tls) })) } : {}),
            };
        }
        if (tls.backend) {
            const ref = tls.backend.clientCertificateRef;
            out.backend = ref ? { clientCertificateRef: { ...pick(ref, ["group", "kind", "name"]), ...refNs(ref.namespace) } } : {};
        }
        return out;
    }

    /** A ListenerSet object: its listeners as a Gateway's are written (certificateRefs relative to its own namespace). */
    private listenerSet(ls: ListenerSetSpec): Manifest {
        const lsNs = nsOf(ls);
        const parentNs = this.clusterNamespace(ls.parentRef.namespace ?? lsNs);
        return {
            apiVersion: GATEWAY_API_VERSION,
            kind: "ListenerSet",
            metadata: { name: ls.name, namespace: this.clusterNamespace(lsNs), labels: this.labels(ls.labels), ...this.annotated() },
            spec: {
                parentRef: {
                    ...pick(ls.parentRef, ["group", "kind"]),
                    name: ls.parentRef.name,
                    ...(parentNs !== this.clusterNamespace(lsNs) ? { namespace: parentNs } : {}),
                },
                listeners: ls.listeners.map(l => this.listener(l, lsNs)),
            },
        };
    }

    private listener(l: Listener, gwNs: string): Record<string, unknown> {
        const out: Record<string, unknown> = pick(l, ["name", "hostname", "port", "protocol"]);
        if (l.tls) {
            out.tls = {
                ...pick(l.tls, ["mode"]),
                ...(l.tls.certificateRefs ? {
                    certificateRefs: l.tls.certificateRefs.map(c => ({
                        ...pick(c, ["group", "kind", "name"]),
                        ...(c.namespace !== undefined && c.namespace !== gwNs ? { namespace: this.clusterNamespace(c.namespace) } : {}),
                    })),
                } : {}),
                ...pick(l.tls, ["options"]),
            };
        }
        if (l.allowedRoutes) out.allowedRoutes = l.allowedRoutes;
        return out;
    }

    private route(spec: HTTPRouteSpec | GRPCRouteSpec, kind: RouteKind): Manifest {
        this.routeKind = kind;
        const routeNs = nsOf(spec);
        const clusterNs = this.clusterNamespace(routeNs);
        const routeKey = `${routeNs}/${spec.name}`;
        const annotations = this.awaitAnnotations(`jsonpath={.status.parents[*].conditions[?(@.type=="Accepted")].status}=True`);
        const body: Record<string, unknown> = {};
        if (spec.parentRefs) body.parentRefs = spec.parentRefs.map(p => this.parentRef(p, routeNs, clusterNs));
        if (spec.hostnames) body.hostnames = spec.hostnames;
        if (spec.rules) {
            const where = (r: { name?: string }, i: number) => ruleLabel({ route: routeKey, ruleIndex: i, ruleName: r.name, kind });
            body.rules = kind === "GRPCRoute"
                ? (spec.rules as GRPCRouteRule[]).map((r, i) => this.grpcRule(r, where(r, i), routeKey, routeNs, clusterNs))
                : (spec.rules as HTTPRouteRule[]).map((r, i) => this.rule(r, where(r, i), routeKey, routeNs, clusterNs));
        }
        return {
            apiVersion: GATEWAY_API_VERSION,
            kind,
            metadata: { name: spec.name, namespace: clusterNs, labels: this.labels(spec.labels), ...this.annotated(annotations) },
            spec: body,
        };
    }

    private parentRef(p: ParentReference, routeNs: string, clusterNs: string): Record<string, unknown> {
        const ns = this.clusterNamespace(p.namespace ?? routeNs);
        return {
            ...pick(p, ["group", "kind"]),
            ...(ns !== clusterNs ? { namespace: ns } : {}),
            name: p.name,
            ...pick(p, ["sectionName", "port"]),
        };
    }

    private rule(r: HTTPRouteRule, where: string, routeKey: string, routeNs: string, clusterNs: string): Record<string, unknown> {
        const out: Record<string, unknown> = pick(r, ["name"]);
        if (r.matches) out.matches = r.matches.map(m => match(m));
        if (r.filters) out.filters = r.filters.map((f, i) => this.filter(f, `${where} filters[${i}]`, routeKey, routeNs, clusterNs));
        if (r.backendRefs) {
            out.backendRefs = r.backendRefs.map((b, j) => this.backendRef(b, `${where} backendRefs[${j}]`, routeKey, routeNs, clusterNs));
        }
        if (r.timeouts) out.timeouts = pick(r.timeouts, ["request", "backendRequest"]);
        // Experimental-channel fields: emitted only for a cluster that has them (gatewayAPIChannel).
        for (const field of ["retry", "sessionPersistence"] as const) {
            if (r[field] === undefined) continue;
            if (this.experimental(`${where} ${field}`)) out[field] = field === "retry" ? pick(r.retry!, ["codes", "attempts", "backoff"]) : sessionPersistence(r.sessionPersistence!);
        }
        return out;
    }

    /** Whether experimental-channel content may be emitted; notes the problem when not. */
    private experimental(what: string, object = false): boolean {
        if (this.params.gatewayAPIChannel === "experimental") return true;
        this.problems.push(`${what} exists only in the Gateway API experimental channel, and a cluster with the standard CRDs ${object ? "has no such kind" : "drops the field without a word"}; ` +
            "install the experimental-channel CRDs and set parameters.kubernetes.gatewayAPIChannel: \"experimental\", or remove it");
        return false;
    }

    /** A GRPCRoute rule: its own match shape; filters and backendRefs as an HTTPRoute's (GRPCRoute's types are a subset). */
    private grpcRule(r: GRPCRouteRule, where: string, routeKey: string, routeNs: string, clusterNs: string): Record<string, unknown> {
        const out: Record<string, unknown> = pick(r, ["name"]);
        if (r.matches) out.matches = r.matches.map(m => grpcMatch(m));
        if (r.filters) out.filters = r.filters.map((f, i) => this.filter(f as HTTPRouteFilter, `${where} filters[${i}]`, routeKey, routeNs, clusterNs));
        if (r.backendRefs) {
            out.backendRefs = r.backendRefs.map((b, j) => this.backendRef(b as HTTPBackendRef, `${where} backendRefs[${j}]`, routeKey, routeNs, clusterNs));
        }
        return out;
    }

    private filter(f: HTTPRouteFilter, where: string, routeKey: string, routeNs: string, clusterNs: string): Record<string, unknown> {
        switch (f.type) {
            case "RequestHeaderModifier": return { type: f.type, requestHeaderModifier: headerFilter(f.requestHeaderModifier!) };
            case "ResponseHeaderModifier": return { type: f.type, responseHeaderModifier: headerFilter(f.responseHeaderModifier!) };
            case "RequestRedirect": return { type: f.type, requestRedirect: pick(f.requestRedirect!, ["scheme", "hostname", "path", "port", "statusCode"]) };
            case "URLRewrite": return { type: f.type, urlRewrite: pick(f.urlRewrite!, ["hostname", "path"]) };
            case "RequestMirror": {
                const m = f.requestMirror!;
                return {
                    type: f.type,
                    requestMirror: { backendRef: this.objectRef(m.backendRef, `${where} (mirror)`, routeKey, routeNs, clusterNs), ...pick(m, ["percent", "fraction"]) },
                };
            }
            case "ExtensionRef": return { type: f.type, extensionRef: f.extensionRef };
            case "CORS": return { type: f.type, cors: pick(f.cors!, ["allowOrigins", "allowCredentials", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge"]) };
        }
    }

    private backendRef(b: HTTPBackendRef, where: string, routeKey: string, routeNs: string, clusterNs: string): Record<string, unknown> {
        return {
            ...this.objectRef(b, where, routeKey, routeNs, clusterNs),
            ...pick(b, ["weight"]),
            ...(b.filters ? { filters: b.filters.map((f, i) => this.filter(f, `${where} filters[${i}]`, routeKey, routeNs, clusterNs)) } : {}),
        };
    }

    /**
     * A backend reference in cluster terms: the Service a gatewaykit Service is realised as
     * (realizations.kubernetes, a created Service for endpoint backends, or an existing Service of
     * the same name). Notes the ReferenceGrant a same-team reference needs once realised elsewhere.
     */
    private objectRef(b: BackendObjectReference, where: string, routeKey: string, routeNs: string, clusterNs: string): Record<string, unknown> {
        const refNs = b.namespace ?? routeNs;
        const isService = (b.group ?? "") === "" && (b.kind ?? "Service") === "Service";
        const svc = isService ? this.services.get(`${refNs}/${b.name}`) : undefined;
        const realization = svc?.realizations?.kubernetes as { serviceName?: string; namespace?: string } | undefined;
        let name = b.name;
        let ns = this.clusterNamespace(refNs);
        if (svc) this.referenced.set(`${refNs}/${svc.name}`, svc);
        if (svc && realization) {
            name = realization.serviceName ?? svc.name;
            ns = realization.namespace ?? ns;
        } else if (svc && (svc.endpoints ?? []).length > 0) {
            this.createdServices.set(`${refNs}/${svc.name}`, svc);
        }
        // gatewaykit declares no grants, so a reference across teams is RefNotPermitted there (its
        // share answers 500); it is emitted as written and the cluster agrees. A same-team reference
        // realised in another cluster namespace is allowed by gatewaykit, so it gets its grant.
        if (isService && svc && refNs === routeNs && ns !== clusterNs) {
            this.grantNeeds.push({ route: routeKey, fromKind: this.routeKind, where, fromNamespace: clusterNs, toNamespace: ns, service: name });
        }
        return {
            ...pick(b, ["group", "kind"]),
            name,
            ...(ns !== clusterNs ? { namespace: ns } : {}),
            ...pick(b, ["port"]),
        };
    }

    private service(s: ServiceSpec): Manifest {
        return {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: s.name, namespace: this.clusterNamespace(nsOf(s)), labels: this.labels(s.labels), ...this.annotated() },
            // No selector: the endpoints are the EndpointSlices written beside it.
            spec: {
                type: "ClusterIP",
                // appProtocol tells the controller how to speak to the backend (kubernetes.io/ws, kubernetes.io/h2c, …).
                ports: s.ports.map(p => ({ name: servicePortName(p), port: p.port, targetPort: p.targetPort ?? p.port, protocol: "TCP", ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
            },
        };
    }

    /** One slice per address family and endpoint port override (a slice has one port list). */
    private endpointSlices(s: ServiceSpec): Manifest[] {
        const groups = new Map<string, { family: "IPv4" | "IPv6"; port?: number; addresses: string[] }>();
        for (const e of s.endpoints ?? []) {
            const family = e.address.includes(":") ? "IPv6" : "IPv4";
            const k = `${family}/${e.port ?? ""}`;
            const g = groups.get(k) ?? { family, ...(e.port !== undefined ? { port: e.port } : {}), addresses: [] };
            if (!g.addresses.includes(e.address)) g.addresses.push(e.address);
            groups.set(k, g);
        }
        return [...groups.values()].map(g => ({
            apiVersion: "discovery.k8s.io/v1",
            kind: "EndpointSlice",
            metadata: {
                name: `${s.name}-${g.family.toLowerCase()}${g.port !== undefined ? `-${g.port}` : ""}`,
                namespace: this.clusterNamespace(nsOf(s)),
                labels: { ...this.labels(), "kubernetes.io/service-name": s.name, "endpointslice.kubernetes.io/managed-by": SLICE_MANAGER },
                ...this.annotated(),
            },
            addressType: g.family,
            endpoints: g.addresses.map(a => ({ addresses: [a], conditions: { ready: true } })),
            ports: s.ports.map(p => ({ name: servicePortName(p), port: g.port ?? p.targetPort ?? p.port, protocol: "TCP", ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
        }));
    }

    /** A gatewaykit Service (namespace/name) as the cluster Service it is realised as. */
    private clusterService(ns: string, name: string): { name: string; namespace: string } {
        const svc = this.services.get(`${ns}/${name}`);
        const realization = svc?.realizations?.kubernetes as { serviceName?: string; namespace?: string } | undefined;
        return { name: realization?.serviceName ?? name, namespace: realization?.namespace ?? this.clusterNamespace(ns) };
    }

    /**
     * The policies of every referenced Service, once each: BackendTLSPolicy (v1) with a ConfigMap
     * (key ca.crt) per CA bundle, and XBackendTrafficPolicy (experimental) for sessionPersistence and
     * retryConstraint. loadBalancer and healthCheck are gatewaykit's fields with no upstream object:
     * the adapter refuses them (its capabilities; RoundRobin here, which has no feature of its own).
     */
    private policies(): Manifest[] {
        const tls = new Map<string, BackendTLSPolicySpec>(), traffic = new Map<string, BackendTrafficPolicySpec>();
        for (const svc of this.referenced.values()) {
            for (const p of svc.backendTLSPolicies ?? []) tls.set(key(p), p);
            for (const p of svc.backendTrafficPolicies ?? []) traffic.set(key(p), p);
        }
        const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(([, v]) => v);
        const out: Manifest[] = [];
        const configMaps = new Map<string, Manifest>();
        const targetsOf = (p: BackendTLSPolicySpec | BackendTrafficPolicySpec, what: string, sections: boolean) => {
            const targets = p.targetRefs.map(t => ({ ...this.clusterService(nsOf(p), t.name), sectionName: sections ? t.sectionName : undefined }));
            const namespaces = [...new Set(targets.map(t => t.namespace))];
            if (namespaces.length > 1) {
                this.problems.push(`${what}: its target Services are realised in different cluster namespaces (${namespaces.join(", ")}), and a policy targets Services of its own namespace; split the policy per namespace`);
            }
            return {
                namespace: namespaces[0],
                targetRefs: targets.map(t => ({ group: "", kind: "Service", name: t.name, ...(t.sectionName !== undefined ? { sectionName: t.sectionName } : {}) })),
            };
        };
        for (const p of sorted(tls)) {
            const what = `BackendTLSPolicy ${key(p)}`;
            const { namespace, targetRefs } = targetsOf(p, what, true);
            for (const ref of p.validation.caCertificateRefs ?? []) {
                const cm: Manifest = {
                    apiVersion: "v1", kind: "ConfigMap",
                    metadata: { name: ref.name, namespace, labels: this.labels(), ...this.annotated() },
                    data: { "ca.crt": p.caCertificates?.[ref.name] ?? "" },
                };
                const prior = configMaps.get(objectKey(cm));
                if (prior && JSON.stringify(prior) !== JSON.stringify(cm)) {
                    this.problems.push(`${what}: CA bundle ${ref.name} differs from another policy's bundle of that name in namespace ${namespace} (both are ConfigMap ${namespace}/${ref.name}); give them one content, or different names`);
                }
                configMaps.set(objectKey(cm), cm);
            }
            out.push({
                apiVersion: GATEWAY_API_VERSION, kind: "BackendTLSPolicy",
                metadata: { name: p.name, namespace, labels: this.labels(p.labels), ...this.annotated() },
                spec: {
                    targetRefs,
                    validation: {
                        ...(p.validation.caCertificateRefs ? { caCertificateRefs: p.validation.caCertificateRefs.map(r => pick(r, ["group", "kind", "name"])) } : {}),
                        ...pick(p.validation, ["wellKnownCACertificates", "hostname", "subjectAltNames"]),
                    },
                    ...(p.options ? { options: p.options } : {}),
                },
            });
        }
        for (const p of sorted(traffic)) {
            const what = `BackendTrafficPolicy ${key(p)}`;
            if (p.loadBalancer?.type === "RoundRobin") {
                this.problems.push(`${what}: loadBalancer has no upstream Gateway API object for a controller to read (and RoundRobin is not every controller's default); ` +
                    "remove it and set the algorithm with your controller's own policy (e.g. Envoy Gateway's BackendTrafficPolicy loadBalancer)");
            }
            const body = { ...(p.retryConstraint ? { retryConstraint: p.retryConstraint } : {}), ...(p.sessionPersistence ? { sessionPersistence: sessionPersistence(p.sessionPersistence) } : {}) };
            if (Object.keys(body).length === 0 || !this.experimental(`${what} (an XBackendTrafficPolicy)`, true)) continue;
            const { namespace, targetRefs } = targetsOf(p, what, false);
            out.push({
                apiVersion: `${X_GATEWAY_GROUP}/v1alpha1`, kind: "XBackendTrafficPolicy",
                metadata: { name: p.name, namespace, labels: this.labels(p.labels), ...this.annotated() },
                spec: { targetRefs, ...body },
            });
        }
        return [...[...configMaps.values()], ...out];
    }

    /** One grant per (route, target namespace), naming each Service: the route's owner owns its grants. */
    private referenceGrants(): Manifest[] {
        const byTarget = new Map<string, { route: string; kind: RouteKind; from: string; to: string; services: Set<string> }>();
        for (const n of this.grantNeeds) {
            const k = `${n.fromKind}\u0000${n.route}\u0000${n.toNamespace}`;
            const g = byTarget.get(k) ?? { route: n.route, kind: n.fromKind, from: n.fromNamespace, to: n.toNamespace, services: new Set<string>() };
            g.services.add(n.service);
            byTarget.set(k, g);
        }
        return [...byTarget.values()].map(g => ({
            apiVersion: GATEWAY_API_VERSION,
            kind: "ReferenceGrant",
            metadata: { name: grantName(`${g.from}/${g.route.slice(g.route.indexOf("/") + 1)}`, g.kind), namespace: g.to, labels: this.labels(), ...this.annotated() },
            spec: {
                from: [{ group: GATEWAY_GROUP, kind: g.kind, namespace: g.from }],
                to: [...g.services].sort().map(name => ({ group: "", kind: "Service", name })),
            },
        }));
    }
}

/** The experimental channel's API group (XBackendTrafficPolicy). */
export const X_GATEWAY_GROUP = "gateway.networking.x-k8s.io";

function sessionPersistence(sp: SessionPersistence): Record<string, unknown> {
    return pick(sp, ["sessionName", "absoluteTimeout", "type", "cookieConfig"]);
}

function key(s: { name: string; namespace?: string }): string {
    return `${nsOf(s)}/${s.name}`;
}

function match(m: HTTPRouteMatch): Record<string, unknown> {
    return {
        ...(m.path ? { path: pick(m.path, ["type", "value"]) } : {}),
        ...(m.headers ? { headers: m.headers.map(h => pick(h, ["type", "name", "value"])) } : {}),
        ...(m.queryParams ? { queryParams: m.queryParams.map(q => pick(q, ["type", "name", "value"])) } : {}),
        ...pick(m, ["method"]),
    };
}

function grpcMatch(m: GRPCRouteMatch): Record<string, unknown> {
    return {
        ...(m.method ? { method: pick(m.method, ["type", "service", "method"]) } : {}),
        ...(m.headers ? { headers: m.headers.map(h => pick(h, ["type", "name", "value"])) } : {}),
    };
}

function headerFilter(f: NonNullable<HTTPRouteFilter["requestHeaderModifier"]>): Record<string, unknown> {
    return pick(f, ["set", "add", "remove"]);
}

/** Service port names are IANA service names (≤15 characters); an unnamed port gets "port-<n>". */
export function servicePortName(p: { name?: string; port: number }): string {
    return p.name ?? `port-${p.port}`;
}

/** "httproute-<route's cluster namespace>-<route name>" ("grpcroute-…" for a GRPCRoute), shortened with a hash beyond the 253-character limit. */
export function grantName(routeKey: string, kind: RouteKind = "HTTPRoute"): string {
    const name = `${kind.toLowerCase()}-${routeKey.replace("/", "-")}`;
    if (name.length <= 253) return name;
    let h = 0;
    for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
    return `${name.slice(0, 244)}-${h.toString(16).padStart(8, "0")}`;
}
