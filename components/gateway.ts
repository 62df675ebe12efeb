// Gateway: listeners on a data plane chosen by its class. A whole-table data plane (a URL map, an
// nginx config) needs every route at once, so the Gateway renders once the program body has
// finished declaring:
//   1. HTTPRoutes that name this Gateway register with it synchronously in their constructors;
//   2. the Gateway seals when a setImmediate tick passes with no new registration (each
//      registration re-arms the tick); a later registration throws, naming route and gateway;
//   3. it resolves every route's and service's inputs, compiles, checks the adapter's
//      capabilities and preflight, and asks the adapter to realise the plan (children of this
//      component). In a preview, unknown payload values (addresses, ARNs, subnets, …) do not stop
//      it: components/payload.ts splits them from the routing-relevant values;
//   4. a validation failure is logged once, on the HTTPRoute or Service at fault
//      (components/failures.ts), and the outputs turn unknown instead of repeating it.
// Rendering runs inside the promise handed to registerOutputs, so the Pulumi runtime's
// outstanding-RPC tracking (rpcKeepAlive in registerResourceOutputs) keeps the program alive
// until the data plane is declared.

import * as pulumi from "@pulumi/pulumi";
import {
    PortabilityFinding, TlsCertificate, UnknownControllerError, adapterFor, allAdapters, checkCapabilities, checkPortability,
} from "../providers";
/** Kept importable from here: it moved beside the adapter registry (providers/index.ts). */
export { checkPortability } from "../providers";
import { compileGateway } from "../routing/compile";
import { gatewayInputOf } from "./compileInput";
import { CapabilityError, GatewayValidationError } from "../routing/errors";
import { GatewayInput, GatewayPlan, GatewayStatus, ListenerSetStatus, RouteStatus, RoutingPlan } from "../routing/plan";
import { routingTable } from "../routing/table";
import { AllowedListeners, AllowedRoutes, GatewayClassSpec, GatewayInfrastructure, GatewayTLS, GatewaySpecAddress, ListenerSetSpec, GatewayTLSConfig, GRPCRouteSpec, HTTPRouteSpec, Labels, Listener, ProtocolType, ServiceSpec } from "../routing/types";
import { GatewayClass, GatewayClassParameters } from "./gatewayClass";
import type { DeclaredRoute } from "./route";
import type { ListenerSet } from "./listenerSet";
import { describeUnknowns, payloadTransformation, resourcesOf, splitGatewayInputs, unknownPaths, withoutUndefined } from "./payload";
import { reportFailure, unlessReported } from "./failures";
import { ImportedRoutesArgs, PublishedRoutes, ResolvedImport, admitImportedRoutes } from "./importedRoutes";
import { declarations, labelOf, resolveOutput } from "./registry";
import { attachedServiceSpecs, policyCulprits } from "./backendPolicies";

export interface GatewayListenerArgs {
    name: pulumi.Input<string>;
    hostname?: pulumi.Input<string>;
    port: pulumi.Input<number>;
    protocol: pulumi.Input<ProtocolType>;
    tls?: pulumi.Input<GatewayTLSConfig>;
    allowedRoutes?: pulumi.Input<AllowedRoutes>;
}

/** A class given inline instead of as a GatewayClass component. */
export interface GatewayClassRefArgs {
    name: pulumi.Input<string>;
    controllerName: pulumi.Input<string>;
    parameters?: pulumi.Input<GatewayClassParameters>;
}

export interface GatewayArgs {
    gatewayClass: GatewayClass | GatewayClassRefArgs;
    /** Defaults to the resource name. */
    name?: pulumi.Input<string>;
    /** Defaults to "default". */
    namespace?: pulumi.Input<string>;
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    listeners: pulumi.Input<pulumi.Input<GatewayListenerArgs>[]>;
    /**
     * Which namespaces' ListenerSets may add listeners to this Gateway (spec.allowedListeners);
     * absent: none. Namespace labels for from "Selector" come from namespaceLabels.
     */
    allowedListeners?: pulumi.Input<AllowedListeners>;
    /**
     * Labels and annotations for every resource the data plane creates (spec.infrastructure): AWS
     * tags, GCP labels (labels only, in GCP's label syntax), Kubernetes metadata; nginx has none to carry.
     */
    infrastructure?: pulumi.Input<GatewayInfrastructure>;
    /** The addresses the Gateway asks its data plane for (spec.addresses); absent: the data plane picks. */
    addresses?: pulumi.Input<pulumi.Input<GatewaySpecAddress>[]>;
    /**
     * spec.tls: client-certificate validation on HTTPS ports (frontend: default and perPort, CA bundles
     * from caCertificates) and the client certificate presented to TLS backends (backend, from certificates).
     */
    tls?: pulumi.Input<GatewayTLS>;
    /** Labels of route namespaces, for listeners[].allowedRoutes.namespaces.from = "Selector". */
    namespaceLabels?: pulumi.Input<Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>>;
    /**
     * TLS material for HTTPS listeners, keyed by certificateRef "namespace/name" (or "name" in the
     * gateway's namespace). Kept secret end to end; only data planes that terminate TLS use it.
     */
    certificates?: Record<string, { certificate: pulumi.Input<string>; privateKey: pulumi.Input<string> }>;
    /**
     * CA bundles (PEM) for spec.tls.frontend's caCertificateRefs, keyed by ref "namespace/name" (or
     * "name" in the gateway's namespace): the `ca.crt` of each referenced ConfigMap.
     */
    caCertificates?: Record<string, pulumi.Input<string>>;
    /**
     * controllerNames to check the routes against before a provider swap: what each target class
     * would reject shows as warnings in `pulumi preview` and in the `portability` output, while the
     * gateway keeps its current class.
     */
    portabilityTargets?: string[];
    /**
     * Routes other stacks published for this gateway (their publishRoutes output, read through a
     * StackReference), each with the namespaces that stack owns: they join this gateway's own routes
     * on its next `up`. A route that is invalid, outside its stack's namespaces or refused by the
     * adapter is skipped with its status (routeStatuses, reason NotImported) instead of failing the
     * gateway. Published ListenerSets join the same way (their listeners on this gateway's ports,
     * their certificates secret), or are skipped with theirs (listenerSetStatuses). For data planes
     * that are one object for every route (gcp's URL map); see components/importedRoutes.ts.
     */
    importedRoutes?: ImportedRoutesArgs[];
}

/**
 * A plain, serialisable description of a Gateway: export it from one stack and pass it as an
 * HTTPRoute parentRef in another (via StackReference) to compute that route's status locally.
 */
export interface GatewayReference {
    name: string;
    namespace: string;
    className: string;
    controllerName: string;
    listeners: Listener[];
    /** The Gateway's spec.allowedListeners, when set. */
    allowedListeners?: AllowedListeners;
    /** The Gateway's spec.infrastructure, when set: a team's resources on this gateway carry it too. */
    infrastructure?: GatewayInfrastructure;
    /** The Gateway's spec.addresses, when set. */
    addresses?: GatewaySpecAddress[];
    /** The Gateway's spec.tls, when set (its CA and certificate material stays with the Gateway). */
    tls?: GatewayTLS;
    namespaceLabels: Record<string, Labels>;
    /**
     * Per adapter (keyed by adapter name), what another stack needs to attach routes to this
     * gateway's data plane, e.g. { nginx: { home } }: plain data, known once the gateway rendered.
     */
    attachments?: Record<string, Record<string, unknown>>;
}

/** What rendering produced; `known` is false during a preview whose inputs are not yet known. */
export type GatewayRender =
    | {
        known: true; plan: GatewayPlan; input: GatewayInput; routing: RoutingPlan; routingTable: string; addresses: pulumi.Output<string[]>; adapter: string;
        attachment?: Record<string, unknown>;
        /** Imported routes left out, with why (GatewayArgs.importedRoutes). */
        skippedImports: RouteStatus[];
        /** Imported ListenerSets left out, with why (GatewayArgs.importedRoutes). */
        skippedListenerSets: ListenerSetStatus[];
    }
    | { known: false };

const GATEWAY_TYPE = "gatewaykit:index:Gateway";

export class Gateway extends pulumi.ComponentResource {
    readonly name: pulumi.Output<string>;
    readonly namespace: pulumi.Output<string>;
    readonly reference: pulumi.Output<GatewayReference>;
    readonly plan: pulumi.Output<GatewayPlan>;
    readonly status: pulumi.Output<GatewayStatus>;
    readonly routeStatuses: pulumi.Output<RouteStatus[]>;
    /** Every ListenerSet naming this gateway (its program's and imported ones), with the skipped imports' statuses. */
    readonly listenerSetStatuses: pulumi.Output<ListenerSetStatus[]>;
    readonly routingTable: pulumi.Output<string>;
    readonly addresses: pulumi.Output<string[]>;
    /** Per portabilityTargets controllerName, what that class would reject (empty: the swap is safe). */
    readonly portability: pulumi.Output<Record<string, PortabilityFinding[]>>;
    /** "namespace/name" as far as known at construction (for messages and by-name parentRefs). */
    readonly label: string;
    private readonly classLabel: string;
    /** The resources the inputs came from, once resolved: every resource of the data plane depends on them. */
    private readonly payloadDependencies: pulumi.Resource[];
    /** Resolves once the data plane is declared; rejects with the Gateway's failure. */
    readonly rendered: Promise<GatewayRender>;

    /** HTTPRoute and GRPCRoute components, in declaration order. */
    private readonly routes: DeclaredRoute[] = [];
    /** ListenerSet components naming this Gateway, in declaration order. */
    private readonly listenerSets: ListenerSet[] = [];
    /** The reference without adapter attachments: what rendering reads (the attachments come from rendering). */
    private readonly baseReference: pulumi.Output<GatewayReference>;
    private readonly certificates: pulumi.Output<Record<string, TlsCertificate>> | undefined;
    private readonly caCertificates: pulumi.Output<Record<string, string>> | undefined;
    private readonly caCertificatesArg: Record<string, unknown> | undefined;
    /** The keys of `certificates` as given ("namespace/name" or "name"). */
    private readonly certificateKeys: string[];
    private sealed = false;
    private sealTimer: NodeJS.Immediate | undefined;
    private onSealed!: () => void;
    private readonly portabilityTargets: string[];
    private readonly importedRoutes: ImportedRoutesArgs[];
    private onPortability!: (report: Record<string, PortabilityFinding[]>) => void;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        // The payload transformation reaches every resource an adapter declares under this Gateway.
        const payloadDependencies: pulumi.Resource[] = [];
        super(GATEWAY_TYPE, name, {}, { ...opts, transformations: [...(opts?.transformations ?? []), payloadTransformation(() => payloadDependencies)] });
        this.label = labelOf(args.namespace, args.name, name);
        this.payloadDependencies = payloadDependencies;
        this.classLabel = args.gatewayClass instanceof GatewayClass
            ? args.gatewayClass.label
            : typeof args.gatewayClass.name === "string" ? args.gatewayClass.name : "<class>";
        this.certificateKeys = Object.keys(args.certificates ?? {});
        this.certificates = args.certificates === undefined
            ? undefined
            : pulumi.secret(args.certificates) as pulumi.Output<Record<string, TlsCertificate>>;
        this.caCertificatesArg = args.caCertificates;
        this.caCertificates = args.caCertificates === undefined ? undefined : pulumi.output(args.caCertificates) as pulumi.Output<Record<string, string>>;
        const cls = args.gatewayClass instanceof GatewayClass
            ? { name: args.gatewayClass.name, controllerName: args.gatewayClass.controllerName, parameters: args.gatewayClass.parameters }
            : { name: pulumi.output(args.gatewayClass.name), controllerName: pulumi.output(args.gatewayClass.controllerName), parameters: pulumi.output(args.gatewayClass.parameters ?? {}) };
        if (!(args.gatewayClass instanceof GatewayClass) && typeof args.gatewayClass.controllerName === "string") {
            adapterFor(args.gatewayClass.controllerName); // fail now on a typo
        }
        this.portabilityTargets = [...(args.portabilityTargets ?? [])];
        this.importedRoutes = [...(args.importedRoutes ?? [])];
        for (const target of this.portabilityTargets) adapterFor(target); // fail now on a typo
        this.name = pulumi.output(args.name ?? name);
        this.namespace = pulumi.output(args.namespace ?? "default");
        this.baseReference = pulumi.output({
            name: this.name,
            namespace: this.namespace,
            className: cls.name,
            controllerName: cls.controllerName,
            listeners: args.listeners,
            ...(args.allowedListeners !== undefined ? { allowedListeners: args.allowedListeners } : {}),
            ...(args.infrastructure !== undefined ? { infrastructure: args.infrastructure } : {}),
            ...(args.addresses !== undefined ? { addresses: args.addresses } : {}),
            ...(args.tls !== undefined ? { tls: args.tls } : {}),
            namespaceLabels: args.namespaceLabels ?? {},
        }) as unknown as pulumi.Output<GatewayReference>;

        const sealedPromise = new Promise<void>(resolve => { this.onSealed = resolve; });
        this.armSeal();
        this.rendered = this.render(sealedPromise, cls.parameters, args.labels);
        // A user-facing failure is logged on the resource at fault (failures.ts) and the outputs
        // below turn unknown; any other surfaces through them. This only stops Node from reporting
        // the rejection of this promise once more.
        this.rendered.catch(() => undefined);
        const attachments = pulumi.output(unlessReported(this.rendered).then(r => !pulumi.isUnknown(r) && r.known
            ? (r.attachment ? { [r.adapter]: r.attachment } : {})
            : pulumi.unknown as unknown as Record<string, Record<string, unknown>>));
        this.reference = pulumi.all([this.baseReference, attachments]).apply(([base, att]) =>
            Object.keys(att ?? {}).length > 0 ? { ...base, attachments: att } : base) as pulumi.Output<GatewayReference>;
        // Settled by render once the plan is compiled, so the findings show even when the current
        // class then refuses the plan; the fallbacks (no-ops once settled) cover a gateway without
        // targets, a preview with unknown inputs and a render that failed before compiling.
        const portability = new Promise<Record<string, PortabilityFinding[]> | undefined>((resolve, reject) => {
            this.onPortability = resolve;
            unlessReported(this.rendered).then(r => resolve(!pulumi.isUnknown(r) && r.known ? {} : undefined), reject);
        });
        portability.catch(() => undefined);

        const part = <T>(pick: (r: Extract<GatewayRender, { known: true }>) => T): pulumi.Output<T> =>
            pulumi.output(unlessReported(this.rendered).then(r => !pulumi.isUnknown(r) && r.known ? pick(r) : pulumi.unknown as unknown as T)) as pulumi.Output<T>;
        this.plan = part(r => r.plan);
        this.status = part(r => r.plan.status);
        this.routeStatuses = part(r => [...r.routing.routes, ...r.skippedImports]);
        this.listenerSetStatuses = part(r => [...r.routing.listenerSets ?? [], ...r.skippedListenerSets]);
        this.routingTable = part(r => r.routingTable);
        this.addresses = part(r => r.addresses) as unknown as pulumi.Output<string[]>;
        this.portability = pulumi.output(portability.then(p => p ?? pulumi.unknown)) as pulumi.Output<Record<string, PortabilityFinding[]>>;
        declarations().gateways.push(this);
        this.registerOutputs({
            reference: this.reference,
            status: this.status,
            routeStatuses: this.routeStatuses,
            listenerSetStatuses: this.listenerSetStatuses,
            routingTable: this.routingTable,
            addresses: this.addresses,
            ...(this.portabilityTargets.length > 0 ? { portability: this.portability } : {}),
        });
    }

    /** True once the gateway stopped accepting routes. */
    get isSealed(): boolean {
        return this.sealed;
    }

    /** Called by HTTPRoute and GRPCRoute constructors. Throws when the gateway has already rendered. */
    attachRoute(route: DeclaredRoute): void {
        if (this.routes.includes(route)) return;
        if (this.sealed) throw this.lateRouteError(route.label, route.kind);
        this.routes.push(route);
        this.armSeal();
    }

    /** The error for a route that tries to attach after this gateway sealed. */
    lateRouteError(routeLabel: string, kind: "HTTPRoute" | "GRPCRoute" = "HTTPRoute"): Error {
        return new Error(`${kind} ${routeLabel} attached to Gateway ${this.label} after the gateway rendered its data plane; ` +
            "declare routes in the program body right after the gateway (not inside apply() or after an await)");
    }

    /** Called by ListenerSet constructors. Throws when the gateway has already rendered. */
    attachListenerSet(listenerSet: ListenerSet): void {
        if (this.listenerSets.includes(listenerSet)) return;
        if (this.sealed) throw this.lateListenerSetError(listenerSet.label);
        this.listenerSets.push(listenerSet);
        this.armSeal();
    }

    /** The error for a ListenerSet that names this gateway after it sealed. */
    lateListenerSetError(label: string): Error {
        return new Error(`ListenerSet ${label} named Gateway ${this.label} after the gateway rendered its data plane; ` +
            "declare ListenerSets in the program body right after the gateway (not inside apply() or after an await)");
    }

    private armSeal(): void {
        if (this.sealTimer !== undefined) clearImmediate(this.sealTimer);
        this.sealTimer = setImmediate(() => {
            this.sealed = true;
            this.onSealed();
        });
    }

    private async render(
        sealedPromise: Promise<void>,
        parameters: pulumi.Output<GatewayClassParameters>,
        labels: GatewayArgs["labels"],
    ): Promise<GatewayRender> {
        await sealedPromise;
        const routes = [...this.routes];
        const listenerSets = [...this.listenerSets];
        const services = [...declarations().services];
        const own = { reference: this.baseReference, labels: labels ?? {}, parameters, routes: routes.map(r => r.rawSpec) };
        const serviceSpecs = attachedServiceSpecs(services);
        const resolved = await resolveOutput(pulumi.output({ ...own, services: serviceSpecs }));
        let value = resolved.value;
        if (!resolved.known) {
            // A preview: compile from the routing-relevant values; unknown payload values become
            // tokens that the payload transformation turns back into unknown resource arguments.
            const split = splitGatewayInputs(value, {
                gateway: this.label, gatewayClass: this.classLabel, routes: routes.map(r => r.label), kinds: routes.map(r => r.kind), services: services.map(s => s.label),
            }, controllerName => allAdapters().find(a => a.controllerNames.includes(controllerName))?.name ?? "");
            if (split.unknowns.length > 0) {
                const which = describeUnknowns(split.unknowns);
                if (!pulumi.runtime.isDryRun()) throw new pulumi.ResourceError(`Gateway ${this.label}: ${which} unknown outside a preview`, this, true);
                pulumi.log.info(`Gateway ${this.label}: routing plan is computed once its inputs are known (during update): ` +
                    `${which} ${split.unknowns.length === 1 ? "is" : "are"} not known in this preview`, this);
                return { known: false };
            }
            value = split.value;
        }
        value = { ...value, routes: value.routes.map(withoutUndefined) };
        const imports = await this.resolveImports();
        if (imports === undefined) return { known: false };
        const listenerSetSpecs = await this.listenerSetSpecs(listenerSets);
        if (listenerSetSpecs === undefined) return { known: false };
        const ref = value.reference;
        // Who a validation issue names ("HTTPRoute team-a/store"), as components of this program.
        const culprits = new Map<string, pulumi.Resource>();
        const key = (kind: string, spec: { name?: unknown; namespace?: unknown }) => `${kind} ${spec.namespace ?? "default"}/${spec.name}`;
        value.routes.forEach((spec, i) => culprits.set(key(routes[i].kind, spec as { name?: unknown }), routes[i]));
        (value.services as { name?: unknown }[]).forEach((spec, i) => culprits.set(key("Service", spec), services[i]));
        listenerSetSpecs.forEach((spec, i) => culprits.set(key("ListenerSet", spec), listenerSets[i]));
        for (const [label, policy] of policyCulprits()) culprits.set(label, policy);
        try {
            const adapter = adapterFor(ref.controllerName);
            const ofKind = <S>(kind: string) => value.routes.filter((_, i) => routes[i].kind === kind) as S[];
            const adapterParameters = ((value.parameters as GatewayClassParameters)[adapter.name] ?? {}) as Record<string, unknown>;
            const ownCertificateKeys = [
                ...this.certificateKeys.map(k => k.includes("/") ? k : `${ref.namespace}/${k}`),
                ...listenerSets.flatMap(l => l.certificateKeys),
            ];
            const admitted = admitImportedRoutes(ref, {
                routes: ofKind<HTTPRouteSpec>("HTTPRoute"), services: value.services as ServiceSpec[], listenerSets: listenerSetSpecs, certificateKeys: ownCertificateKeys,
            }, imports, adapter, adapterParameters);
            for (const s of admitted.skipped) pulumi.log.warn(s.parents[0].conditions[0].message, this);
            for (const s of admitted.skippedListenerSets) pulumi.log.warn(s.conditions[0].message, this);
            const allListenerSets = [...listenerSetSpecs, ...admitted.listenerSets];
            const input = {
                ...gatewayInputOf(ref, [...ofKind<HTTPRouteSpec>("HTTPRoute"), ...admitted.routes], [...value.services as ServiceSpec[], ...admitted.services], value.labels as Labels, ofKind<GRPCRouteSpec>("GRPCRoute")),
                ...(allListenerSets.length > 0 ? { listenerSets: allListenerSets } : {}),
            };
            const certificateKeys = [...ownCertificateKeys, ...admitted.certificateSources.flatMap(c => c.keys)];
            const routing = compileGateway(input);
            const plan = routing.gateways[0];
            // What the data plane's resources depend on: where this gateway's inputs and the Services
            // its plan uses came from (not every Service the program declares).
            const used = servicesUsedBy(plan);
            this.payloadDependencies.push(...await resourcesOf(pulumi.output({
                ...own, services: serviceSpecs.filter((_, i) => used.has(`${(value.services[i] as ServiceSpec).namespace ?? "default"}/${(value.services[i] as ServiceSpec).name}`)),
            })));
            this.reportPortability(plan, value.parameters as GatewayClassParameters, input);
            checkCapabilities(plan, adapter, allAdapters());
            if (!adapter.realize) {
                throw new CapabilityError(`Gateway ${plan.gateway}: the ${adapter.name} adapter (controllerName ${ref.controllerName}) ` +
                    "cannot create a data plane in this version of gatewaykit; use controllerName \"gatewaykit.dev/plan\" " +
                    "to compute the plan, status and routing table without a data plane");
            }
            // The vendor model is built once: its problems refuse the plan before anything exists,
            // and realize receives the same model.
            const built = adapter.model?.(plan, { parameters: adapterParameters, input, ...(certificateKeys.length > 0 ? { certificateKeys } : {}) });
            if (built && built.problems.length > 0) {
                throw new CapabilityError(`Gateway ${plan.gateway}: the ${adapter.name} adapter refuses this plan:\n` + built.problems.map(p => "  - " + p).join("\n"));
            }
            const certificates = this.withImportedCertificates(this.certificatesWith(listenerSets), admitted.certificateSources);
            const result = adapter.realize(plan, {
                parent: this, gatewayName: ref.name, parameters: adapterParameters, shared: declarations().adapterState, input,
                ...(built?.model !== undefined ? { model: built.model } : {}),
                namespaces: Object.entries(ref.namespaceLabels).map(([name, l]) => ({ name, labels: l })),
                ...(certificates ? { certificates } : {}),
                ...(this.caCertificates ? { caCertificates: this.caCertificates, caCertificateKeys: this.caCertificateKeys(plan.namespace) } : {}),
            });
            return {
                known: true, plan, input, routing, routingTable: routingTable(plan), addresses: result.addresses, adapter: adapter.name,
                ...(result.attachment ? { attachment: result.attachment } : {}),
                skippedImports: admitted.skipped,
                skippedListenerSets: admitted.skippedListenerSets,
            };
        } catch (err) {
            throw this.failure(err, culprits);
        }
    }

    /** The importedRoutes as plain values; undefined in a preview where they are not known yet (logged). */
    private async resolveImports(): Promise<ResolvedImport[] | undefined> {
        if (this.importedRoutes.length === 0) return [];
        const { known, value } = await resolveOutput(pulumi.output(this.importedRoutes.map(i => ({ published: i.published, namespaces: i.namespaces }))));
        if (!known) {
            const message = `Gateway ${this.label}: importedRoutes are not known`;
            if (!pulumi.runtime.isDryRun()) throw new pulumi.ResourceError(`${message} outside a preview`, this, true);
            pulumi.log.info(`${message} in this preview; the routing plan is computed once they are (during update)`, this);
            return undefined;
        }
        return value.map(v => ({ published: v.published as PublishedRoutes, namespaces: (v.namespaces ?? []) as string[] }));
    }

    /**
     * The ListenerSets' specs, resolved; undefined in a preview where one is not known yet (logged).
     * Outside a preview an unknown spec is an error.
     */
    private async listenerSetSpecs(listenerSets: ListenerSet[]): Promise<ListenerSetSpec[] | undefined> {
        if (listenerSets.length === 0) return [];
        const resolved = await resolveOutput(pulumi.output(listenerSets.map(l => l.rawSpec)));
        if (!resolved.known) {
            const unknowns = listenerSets.flatMap((l, i) => (pulumi.isUnknown(resolved.value[i]) ? [""] : unknownPaths(resolved.value[i], "")).map(p => ({
                resource: `ListenerSet ${l.label}`, field: p === "" ? "spec" : `${/^(name|namespace|labels)\b/.test(p) ? "metadata" : "spec"}.${p}`,
            })));
            const which = describeUnknowns(unknowns);
            if (!pulumi.runtime.isDryRun()) throw new pulumi.ResourceError(`Gateway ${this.label}: ${which} unknown outside a preview`, this, true);
            pulumi.log.info(`Gateway ${this.label}: routing plan is computed once its inputs are known (during update): ` +
                `${which} ${unknowns.length === 1 ? "is" : "are"} not known in this preview`, this);
            return undefined;
        }
        return (resolved.value as unknown[]).map(s => withoutUndefined(s) as ListenerSetSpec);
    }

    /**
     * The Gateway's certificates with its ListenerSets' (each keyed in its own namespace, checked by
     * the ListenerSet); a key supplied twice is refused rather than one silently replacing the other.
     */
    private certificatesWith(listenerSets: ListenerSet[]): pulumi.Output<Record<string, TlsCertificate>> | undefined {
        const sources = listenerSets.filter(l => l.certificates !== undefined);
        if (sources.length === 0) return this.certificates;
        const all = [this.certificates ?? pulumi.output({}), ...sources.map(l => l.certificates!)];
        const owners = ["the Gateway", ...sources.map(l => `ListenerSet ${l.label}`)];
        return pulumi.secret(pulumi.all(all).apply(maps => {
            const merged: Record<string, TlsCertificate> = {};
            const from = new Map<string, string>();
            maps.forEach((m, i) => {
                for (const [k, v] of Object.entries(m as Record<string, TlsCertificate>)) {
                    if (from.has(k)) throw new Error(`Gateway ${this.label}: certificate ${k} is supplied by both ${from.get(k)} and ${owners[i]}; supply it once`);
                    from.set(k, owners[i]);
                    merged[k] = v;
                }
            });
            return merged;
        }));
    }

    /** The caCertificates keys as "namespace/name" (a bare "name" is in the gateway's namespace). */
    private caCertificateKeys(namespace: string): string[] {
        return Object.keys(this.caCertificatesArg ?? {}).map(k => (k.includes("/") ? k : `${namespace}/${k}`));
    }

    /**
     * `own` with the certificates of the admitted imported ListenerSets, read from the imports' Outputs
     * (never from the resolved values), so their private keys stay secret.
     */
    private withImportedCertificates(own: pulumi.Output<Record<string, TlsCertificate>> | undefined,
        sources: { import: number; listenerSet: number; keys: string[] }[]): pulumi.Output<Record<string, TlsCertificate>> | undefined {
        if (sources.length === 0) return own;
        const imported = sources.map(src => pulumi.output(this.importedRoutes[src.import].published).apply(p => {
            const certificates = (p.listenerSets?.[src.listenerSet]?.certificates ?? {}) as Record<string, TlsCertificate>;
            return Object.fromEntries(src.keys.map(k => [k, certificates[k]]));
        }));
        return pulumi.secret(pulumi.all([own ?? pulumi.output({}), ...imported]).apply(maps => Object.assign({}, ...maps) as Record<string, TlsCertificate>));
    }

    /** Checks the plan against each portability target and shows the findings as preview warnings. */
    private reportPortability(plan: GatewayPlan, parameters: GatewayClassParameters, input: GatewayInput): void {
        if (this.portabilityTargets.length === 0) return;
        const report: Record<string, PortabilityFinding[]> = {};
        for (const target of this.portabilityTargets) {
            const findings = checkPortability(plan, target, parameters, input);
            report[target] = findings;
            const adapter = adapterFor(target).name;
            if (findings.length === 0) {
                pulumi.log.info(`Gateway ${plan.gateway}: portability to ${target} (${adapter}): nothing the routes use would be rejected`, this);
            }
            for (const f of findings) pulumi.log.warn(`Gateway ${plan.gateway}: portability to ${target} (${adapter}): ${f.message}`, this);
        }
        this.onPortability(report);
    }

    /**
     * A user-facing failure (the message names the resource and field) is logged once on the
     * resource at fault; anything else (a bug) keeps its stack and surfaces through the outputs.
     */
    private failure(err: unknown, culprits: ReadonlyMap<string, pulumi.Resource>): Error {
        if (err instanceof GatewayValidationError || err instanceof CapabilityError || err instanceof UnknownControllerError) {
            return reportFailure(err, this, culprits);
        }
        const message = err instanceof Error ? err.message : String(err);
        const failure = new pulumi.ResourceError(`Gateway ${this.label}: ${message}`, this, false);
        (failure as { cause?: unknown }).cause = err;
        return failure;
    }
}

/** "namespace/name" of every Service a plan's rules forward or mirror to. */
function servicesUsedBy(plan: GatewayPlan): Set<string> {
    const used = new Set<string>();
    const mirrors = (f: { requestMirrors: { service?: string }[] }) => f.requestMirrors.forEach(m => m.service && used.add(m.service));
    for (const l of plan.listeners) {
        for (const r of l.rules) {
            mirrors(r.filters);
            for (const b of r.backends) { used.add(b.service); mirrors(b.filters); }
        }
    }
    return used;
}
