// What HTTPRoute and GRPCRoute components share: a team's routing rules, attached to gateways by
// parentRefs. A parentRef to a Gateway component (or by name to one declared in this program)
// registers the route with it right in the constructor; the gateway renders all its routes once the
// program body has finished. A parentRef to a GatewayReference (another stack's gateway) computes
// this route's status locally against that gateway's listeners, and the adapter's realizeRoutes
// (when it has one) realises it on that gateway's data plane from this stack (kubernetes: route
// objects; nginx: a route file the gateway's nginx recompiles). The kinds differ only in their rules
// (./httpRoute.ts, ./grpcRoute.ts).

import * as pulumi from "@pulumi/pulumi";
import { compileGateway } from "../routing/compile";
import { gatewayInputOf } from "./compileInput";
import { GatewayValidationError } from "../routing/errors";
import { GatewayPlan, RouteKind, RouteParentStatus, RouteStatus, RoutingPlan } from "../routing/plan";
import { routingTable } from "../routing/table";
import { GRPCRouteSpec, HTTPRouteSpec, ListenerSetSpec, ServiceSpec } from "../routing/types";
import { allAdapters, checkCapabilities } from "../providers";
import { CapabilityError } from "../routing/errors";
import { Gateway, GatewayReference } from "./gateway";
import type { ListenerSet } from "./listenerSet";
import type { GatewayClassParameters } from "./gatewayClass";
import { declarations, labelOf, resolveOutput } from "./registry";
import { attachedServiceSpecs, policyCulprits } from "./backendPolicies";
import { Service } from "./service";
import { describeUnknowns, payloadTransformation, resourcesOf, splitGatewayInputs, withoutUndefined } from "./payload";
import { reportFailure, unlessReported } from "./failures";

export interface RouteParentRefArgs {
    /** The Gateway component, or a GatewayReference exported by another stack. */
    gateway?: Gateway | pulumi.Input<GatewayReference>;
    /** A ListenerSet component: attach to its listeners (sectionName: one of its listener names). */
    listenerSet?: ListenerSet;
    /** "ListenerSet" to name a ListenerSet (declared in this program) by name; defaults to "Gateway". */
    kind?: pulumi.Input<string>;
    /** A gateway (or, with kind "ListenerSet", a ListenerSet) by name, like a manifest (resolves to one declared in this program). */
    name?: pulumi.Input<string>;
    /** Defaults to the route's namespace. */
    namespace?: pulumi.Input<string>;
    /** Attach to one listener, by name. */
    sectionName?: pulumi.Input<string>;
    /** Attach to the listeners on this port. */
    port?: pulumi.Input<number>;
}

/** A backend of a rule; `filters` are the route kind's own filter type. */
export interface RouteBackendRefArgs<Filter> {
    /** The backend as a Service component. */
    service?: Service;
    /** The backend by name, like a manifest. */
    name?: pulumi.Input<string>;
    /** Older spelling of name (the seed's forwardTo[].serviceName). */
    serviceName?: pulumi.Input<string>;
    namespace?: pulumi.Input<string>;
    /** Defaults to the Service's port when it has exactly one. */
    port?: pulumi.Input<number>;
    /** 0–1,000,000; defaults to 1. */
    weight?: pulumi.Input<number>;
    group?: pulumi.Input<string>;
    kind?: pulumi.Input<string>;
    filters?: pulumi.Input<pulumi.Input<Filter>[]>;
}

/** What every route kind's args have besides its rules. */
export interface RouteArgsBase {
    /** Defaults to the resource name. */
    name?: pulumi.Input<string>;
    /** The owning team; defaults to "default". */
    namespace?: pulumi.Input<string>;
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    parentRefs: RouteParentRefArgs[];
    hostnames?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Adapter parameters (keyed by adapter name, like GatewayClass parameters) for realising this
     * route on another stack's gateway (a GatewayReference parentRef), where the adapter makes
     * routes objects of their own, e.g. { kubernetes: { provider } }. Unused for Gateway components.
     */
    parameters?: pulumi.Input<GatewayClassParameters>;
}

/**
 * Where this route's status comes from: a gateway rendered here, or a local compile. `again`: a
 * reference another parentRef of this route already named (compiled and realised once, by that one).
 */
type StatusSource = () => Promise<{ known: boolean; again?: boolean; routing?: RoutingPlan; gateway?: GatewayPlan }>;

/** What a Gateway and the registry keep of a route component, whatever its kind. */
export interface DeclaredRoute extends pulumi.Resource {
    readonly kind: RouteKind;
    readonly label: string;
    readonly rawSpec: pulumi.Output<unknown>;
    readonly settled: Promise<void>;
}

export abstract class RouteComponent<K extends RouteKind = RouteKind, Spec extends HTTPRouteSpec | GRPCRouteSpec = HTTPRouteSpec | GRPCRouteSpec> extends pulumi.ComponentResource {
    /** "HTTPRoute" or "GRPCRoute". */
    readonly kind: K;
    readonly name: pulumi.Output<string>;
    readonly namespace: pulumi.Output<string>;
    /** The route as a Gateway API spec, with Service components replaced by their names. */
    readonly spec: pulumi.Output<Spec>;
    /**
     * The spec before unset members are dropped: an Output over the arguments as given, so a
     * Gateway resolving it during a preview sees which field is unknown (an apply would hide it).
     */
    readonly rawSpec: pulumi.Output<Spec>;
    /** Per-parent conditions (Accepted, ResolvedRefs) and warnings. */
    readonly status: pulumi.Output<RouteStatus>;
    /** This route's rules as its gateways placed them, in precedence order. */
    readonly routingTable: pulumi.Output<string>;
    /** "namespace/name" as far as known at construction. */
    readonly label: string;
    /** Resolves once the status is computed (and, on another stack's gateway, the route realised); rejects with its failure. */
    readonly settled: Promise<void>;
    private readonly adapterParameters: pulumi.Output<GatewayClassParameters>;
    /** The resources compileAgainst's inputs came from: what realizeRoutes' objects depend on. */
    private readonly payloadDependencies: pulumi.Resource[];
    /** The GatewayReference parentRefs (other stacks' gateways, also through a ListenerSet on one). */
    private readonly references: pulumi.Output<GatewayReference>[];
    /** The GatewayReference parentRefs (for programPlanOn). */
    referencesOf(): pulumi.Output<GatewayReference>[] {
        return this.references;
    }
    /** The references (controller, namespace/name) already compiled against: each is realised once. */
    private readonly compiledOn = new Set<string>();

    /**
     * `rules` builds the kind's spec rules from the args (it may throw, naming the field); it runs
     * before anything registers.
     */
    protected constructor(kind: K, name: string, args: RouteArgsBase, rules: (label: string) => unknown[], opts?: pulumi.ComponentResourceOptions) {
        const label = labelOf(args.namespace, args.name, name);
        const gateways = gatewaysOf(args, label);
        // Refuse before registering anything, so a late route leaves no half-made resource behind.
        for (const gw of gateways) if (gw.isSealed) throw gw.lateRouteError(label, kind);
        const specRules = rules(label);
        // The payload transformation (components/payload.ts) reaches the objects realizeRoutes declares under this route.
        const payloadDependencies: pulumi.Resource[] = [];
        super(`gatewaykit:index:${kind}`, name, {}, { ...opts, transformations: [...(opts?.transformations ?? []), payloadTransformation(() => payloadDependencies)] });
        this.kind = kind;
        this.label = label;
        this.payloadDependencies = payloadDependencies;
        this.adapterParameters = pulumi.output(args.parameters ?? {}) as pulumi.Output<GatewayClassParameters>;
        for (const gw of gateways) gw.attachRoute(this);

        const namespace = args.namespace ?? "default";
        const references: pulumi.Output<GatewayReference>[] = [];
        this.references = references;
        const parentRefs = (args.parentRefs ?? []).map((p, i) => {
            const common = { sectionName: p.sectionName, port: p.port };
            if (p.listenerSet !== undefined) {
                // A ListenerSet on another stack's gateway: this route is realised on that gateway, after the ListenerSet.
                if (p.listenerSet.reference !== undefined) references.push(p.listenerSet.reference);
                return { kind: "ListenerSet", name: p.listenerSet.name, namespace: p.listenerSet.namespace, ...common };
            }
            if (p.gateway instanceof Gateway) return { name: p.gateway.name, namespace: p.gateway.namespace, ...common };
            if (p.gateway !== undefined) {
                const ref = pulumi.output(p.gateway) as pulumi.Output<GatewayReference>;
                references.push(ref);
                return { name: ref.apply(r => r.name), namespace: ref.apply(r => r.namespace), ...common };
            }
            if (p.name === undefined) {
                throw new Error(`${kind} ${label}: spec.parentRefs[${i}]: set gateway (a Gateway component or a GatewayReference), listenerSet (a ListenerSet component) or name`);
            }
            return { kind: p.kind, name: p.name, namespace: p.namespace, ...common };
        });
        this.rawSpec = pulumi.output({
            name: args.name ?? name,
            namespace,
            labels: args.labels,
            parentRefs,
            hostnames: args.hostnames,
            rules: specRules,
        }) as unknown as pulumi.Output<Spec>;
        this.spec = this.rawSpec.apply(withoutUndefined);
        this.name = this.spec.apply(s => s.name);
        this.namespace = this.spec.apply(s => s.namespace ?? "default");

        const sources: StatusSource[] = [
            ...gateways.map(gw => async () => {
                const r = await gw.rendered;
                return r.known ? { known: true, routing: r.routing, gateway: r.plan } : { known: false };
            }),
            ...references.map(ref => () => this.compileAgainst(ref)),
        ];
        const computed = this.computeStatus(sources);
        computed.catch(() => undefined); // logged on the resource at fault; the outputs turn unknown
        this.settled = computed.then(() => undefined);
        this.settled.catch(() => undefined);
        declarations().routes.push(this);
        const part = <T>(pick: (c: { status: RouteStatus; table: string }) => T): pulumi.Output<T> =>
            pulumi.output(unlessReported(computed).then(c => c === undefined || pulumi.isUnknown(c) ? pulumi.unknown as unknown as T : pick(c))) as pulumi.Output<T>;
        this.status = part(c => c.status);
        this.routingTable = part(c => c.table);
        this.registerOutputs({ name: this.name, namespace: this.namespace, status: this.status, routingTable: this.routingTable });
    }

    /** Status against another stack's gateway: compile this route alone against its listeners. */
    private async compileAgainst(refOutput: pulumi.Output<GatewayReference>): Promise<{ known: boolean; again?: boolean; routing?: RoutingPlan; gateway?: GatewayPlan }> {
        // Let the program body finish declaring services first.
        await new Promise(resolve => setImmediate(resolve));
        const declaredServices = [...declarations().services];
        const inputs = pulumi.output({
            ref: refOutput,
            spec: this.rawSpec,
            services: attachedServiceSpecs(declaredServices),
            parameters: this.adapterParameters,
        });
        const resolved = await resolveOutput(inputs);
        this.payloadDependencies.push(...await resourcesOf(inputs));
        const listenerSets = await this.listenerSetsOn();
        let value = resolved.value;
        if (!resolved.known) {
            // As a Gateway does (components/payload.ts): compile from the routing-relevant values.
            const ref = value.ref as Partial<GatewayReference> | undefined;
            const gatewayLabel = typeof ref?.name === "string" && typeof ref.namespace === "string" ? `${ref.namespace}/${ref.name}` : "<reference>";
            const split = splitGatewayInputs(
                { reference: value.ref, labels: {}, parameters: value.parameters as Record<string, unknown>, routes: [value.spec], services: value.services },
                { gateway: gatewayLabel, gatewayClass: typeof ref?.className === "string" ? ref.className : "<class>", routes: [this.label], kinds: [this.kind], services: declaredServices.map(s => s.label) },
                controllerName => allAdapters().find(a => a.controllerNames.includes(controllerName))?.name ?? "");
            if (split.unknowns.length > 0) {
                pulumi.log.info(`${this.kind} ${this.label}: its status on Gateway ${gatewayLabel} is computed once its inputs are known (during update): ` +
                    `${describeUnknowns(split.unknowns)} ${split.unknowns.length === 1 ? "is" : "are"} not known in this preview`, this);
                return { known: false };
            }
            value = {
                ref: split.value.reference as unknown as typeof value.ref, spec: split.value.routes[0] as typeof value.spec,
                services: split.value.services as typeof value.services, parameters: split.value.parameters as typeof value.parameters,
            };
        }
        const ref = value.ref;
        const refKey = `${ref.controllerName} ${ref.namespace}/${ref.name}`;
        if (this.compiledOn.has(refKey)) return { known: true, again: true };
        this.compiledOn.add(refKey);
        const spec = withoutUndefined(value.spec);
        try {
            const own = this.kind === "GRPCRoute"
                ? gatewayInputOf(ref, [], value.services as ServiceSpec[], undefined, [spec as GRPCRouteSpec])
                : gatewayInputOf(ref, [spec as HTTPRouteSpec], value.services as ServiceSpec[]);
            const sameGateway = listenerSets.filter(l => l.spec.parentRef.name === ref.name && (l.spec.parentRef.namespace ?? l.spec.namespace ?? "default") === ref.namespace);
            const input = sameGateway.length > 0 ? { ...own, listenerSets: sameGateway.map(l => l.spec) } : own;
            const routing = compileGateway(input);
            const adapter = allAdapters().find(a => a.controllerNames.includes(ref.controllerName));
            // Refused here, in the team's own `up`, what the gateway's data plane cannot carry.
            if (adapter && !adapter.planOnly) checkCapabilities(routing.gateways[0], adapter, allAdapters());
            // Adapters whose routes are objects of their own (kubernetes, aws) emit them in this stack.
            if (adapter?.realizeRoutes) {
                const parameters = ((value.parameters as GatewayClassParameters)[adapter.name] ?? {}) as Record<string, unknown>;
                const attachment = ref.attachments?.[adapter.name];
                const programPlan = await this.programPlan(ref, spec, value.services as ServiceSpec[]);
                adapter.realizeRoutes(routing.gateways[0], {
                    parent: this, gatewayName: ref.name, parameters, shared: declarations().adapterState, input,
                    namespaces: input.namespaces,
                    routeStatuses: routing.routes.filter(r => r.route === `${spec.namespace ?? "default"}/${spec.name}`),
                    ...(routing.listenerSets ? { listenerSetStatuses: routing.listenerSets } : {}),
                    programPlan,
                    ...(attachment ? { attachment } : {}),
                });
            }
            return { known: true, routing, gateway: routing.gateways[0] };
        } catch (err) {
            throw err instanceof GatewayValidationError || err instanceof CapabilityError ? reportFailure(err, this, new Map(
                [...(value.services as ServiceSpec[]).map((svc, i) => [`Service ${svc.namespace ?? "default"}/${svc.name}`, declaredServices[i]] as const), ...policyCulprits()])) : err;
        }
    }

    /**
     * This program's ListenerSets on other stacks' gateways, with their specs (those known), once each is
     * realised: this route's objects depend on their resources, so a route on a ListenerSet reaches the
     * gateway after the ListenerSet (and leaves before it). One that failed is left out (reported on it).
     */
    private async listenerSetsOn(): Promise<{ spec: ListenerSetSpec }[]> {
        const out: { spec: ListenerSetSpec }[] = [];
        for (const ls of declarations().listenerSets) {
            if (ls.reference === undefined) continue;
            const { known, value } = await resolveOutput(ls.spec);
            if (!known) continue;
            const resources = await ls.realized.catch(() => undefined);
            if (resources === undefined) continue;
            this.payloadDependencies.push(ls, ...resources);
            out.push({ spec: value as ListenerSetSpec });
        }
        return out;
    }

    /** This route with the program's others on the same reference (programPlanOn). */
    private programPlan(ref: GatewayReference, spec: HTTPRouteSpec | GRPCRouteSpec, services: ServiceSpec[]): Promise<GatewayPlan> {
        return programPlanOn(ref, services, { route: this, kind: this.kind, spec });
    }

    private async computeStatus(sources: StatusSource[]): Promise<{ status: RouteStatus; table: string } | undefined> {
        const { known, value: spec } = await resolveOutput(this.spec);
        if (!known) return undefined;
        const key = `${spec.namespace ?? "default"}/${spec.name}`;
        const parents: RouteParentStatus[] = [];
        const warnings: string[] = [];
        const tables: string[] = [];
        for (const source of sources) {
            const s = await source();
            if (!s.known) return undefined;
            if (s.again) continue;
            const gw = s.gateway!;
            const own = s.routing!.routes.find(r => r.route === key && (r.kind ?? "HTTPRoute") === this.kind);
            if (!own) continue;
            // This gateway's parents: itself, and its ListenerSets (whose statuses name it as their parent).
            const isGateway = (ref: { namespace: string; name: string }) => ref.name === gw.name && ref.namespace === gw.namespace;
            parents.push(...own.parents.filter(p => p.parentRef.kind === "ListenerSet"
                ? (s.routing!.listenerSets ?? []).some(l => l.listenerSet === `${p.parentRef.namespace}/${p.parentRef.name}` && isGateway(l.parentRef))
                : isGateway(p.parentRef)));
            for (const w of own.warnings) if (!warnings.includes(w)) warnings.push(w);
            tables.push(routingTable(onlyRoute(gw, key, this.kind)));
        }
        return { status: { route: key, ...(this.kind === "GRPCRoute" ? { kind: "GRPCRoute" as const } : {}), parents, warnings }, table: tables.join("\n") };
    }
}

const sameReference = (a: GatewayReference, b: GatewayReference) => a.name === b.name && a.namespace === b.namespace && a.controllerName === b.controllerName;

/**
 * The specs of this program's ListenerSets on another stack's gateway `ref` that are known and valid
 * on their own against it: what every realisation of this program on `ref` compiles with.
 */
export async function programListenerSetsOn(ref: GatewayReference): Promise<ListenerSetSpec[]> {
    const out: ListenerSetSpec[] = [];
    for (const ls of declarations().listenerSets) {
        if (ls.reference === undefined) continue;
        const { known, value } = await resolveOutput(pulumi.output({ ref: ls.reference, spec: ls.spec }));
        if (!known || !sameReference(value.ref as GatewayReference, ref)) continue;
        const spec = value.spec as ListenerSetSpec;
        try {
            compileGateway({ ...gatewayInputOf(ref, [], []), listenerSets: [spec] });
            out.push(spec);
        } catch {
            // Reported on that ListenerSet by its own compile.
        }
    }
    return out;
}

/**
 * Every route and ListenerSet of this program on the same reference that is valid on its own,
 * compiled together (`first`, a route, leads): what an adapter numbering rules across routes reads
 * (ctx.programPlan), so that every realisation of this program on `ref` numbers them alike. A route
 * whose spec or reference is unknown in this preview is left out.
 */
export async function programPlanOn(ref: GatewayReference, services: ServiceSpec[], first?: { route: DeclaredRoute; kind: RouteKind; spec: HTTPRouteSpec | GRPCRouteSpec }): Promise<GatewayPlan> {
    const listenerSets = await programListenerSetsOn(ref);
    const inputOf = (specs: { kind: RouteKind; spec: HTTPRouteSpec | GRPCRouteSpec }[]) => ({
        ...gatewayInputOf(ref, specs.filter(s => s.kind === "HTTPRoute").map(s => s.spec as HTTPRouteSpec), services, undefined,
            specs.filter(s => s.kind === "GRPCRoute").map(s => s.spec as GRPCRouteSpec)),
        ...(listenerSets.length > 0 ? { listenerSets } : {}),
    });
    const specs: { kind: RouteKind; spec: HTTPRouteSpec | GRPCRouteSpec }[] = first ? [{ kind: first.kind, spec: first.spec }] : [];
    for (const other of declarations().routes) {
        if (other === first?.route || !(other instanceof RouteComponent) || other.referencesOf().length === 0) continue;
        const { known, value } = await resolveOutput(pulumi.output({ refs: other.referencesOf(), spec: other.spec }));
        if (!known) continue;
        if (!(value.refs as GatewayReference[]).some(r => sameReference(r, ref))) continue;
        const entry = { kind: other.kind, spec: value.spec as HTTPRouteSpec | GRPCRouteSpec };
        try {
            compileGateway(inputOf([entry]));
            specs.push(entry);
        } catch {
            // Reported on that route by its own compile.
        }
    }
    return compileGateway(inputOf(specs)).gateways[0];
}

/** The Gateway components this route attaches to, found synchronously. */
function gatewaysOf(args: RouteArgsBase, label: string): Gateway[] {
    const found: Gateway[] = [];
    const routeNamespace = label.split("/")[0];
    for (const p of args.parentRefs ?? []) {
        let gw: Gateway | undefined;
        if (p.listenerSet !== undefined) gw = p.listenerSet.gateway;
        else if (p.kind === "ListenerSet" && typeof p.name === "string") {
            const wanted = `${typeof p.namespace === "string" ? p.namespace : routeNamespace}/${p.name}`;
            gw = declarations().listenerSets.find(l => l.label === wanted)?.gateway;
        } else if (p.gateway instanceof Gateway) gw = p.gateway;
        else if (p.gateway === undefined && typeof p.name === "string") {
            const wanted = `${typeof p.namespace === "string" ? p.namespace : routeNamespace}/${p.name}`;
            gw = declarations().gateways.find(g => g.label === wanted);
        }
        if (gw && !found.includes(gw)) found.push(gw);
    }
    return found;
}

/** A backendRef's args as the spec writes it (a Service component becomes its name, namespace and default port). */
export function backendRef<F>(b: RouteBackendRefArgs<F>, where: string) {
    const name = b.service ? b.service.name : b.name ?? b.serviceName;
    if (name === undefined) throw new Error(`${where}: set service (a Service component) or name (the backend's name)`);
    return {
        group: b.group,
        kind: b.kind,
        name,
        namespace: b.service ? b.service.namespace : b.namespace,
        port: b.port ?? b.service?.defaultPort,
        weight: b.weight,
        filters: b.filters,
    };
}

/** The gateway plan with only this route's rules: the route's own view of the routing table. */
function onlyRoute(plan: GatewayPlan, key: string, kind: RouteKind): GatewayPlan {
    const protocol = kind === "GRPCRoute" ? "grpc" : undefined;
    return { ...plan, listeners: plan.listeners.map(l => ({ ...l, rules: l.rules.filter(r => r.route === key && r.protocol === protocol) })) };
}
