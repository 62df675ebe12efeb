// Creates the rendered objects with @pulumi/kubernetes, as children of the Gateway component (the
// platform's stack) or of an HTTPRoute component (an application team's stack, whose routes attach
// to another stack's gateway). An object several gateways of one program need (a route naming two
// of them, a shared backend Service) is created once: the per-program registry hands out the first.

import * as pulumi from "@pulumi/pulumi";
import type * as apiextensionsModule from "@pulumi/kubernetes/apiextensions";
import type * as coreV1Module from "@pulumi/kubernetes/core/v1";
import type * as discoveryV1Module from "@pulumi/kubernetes/discovery/v1";
import { lazyPeer } from "../peer";
import { CapabilityError } from "../../routing/errors";
import { GatewayPlan } from "../../routing/plan";
import { ListenerSetRealizeContext, RealizeContext, RealizeResult } from "../adapter";
import { KubernetesModel, kubernetesModel } from "./model";
import { Manifest, RenderScope, objectKey } from "./model/manifests";
import { listenerSetNotServedReason, notServedReason } from "../served";

// @pulumi/kubernetes is an optional peer: loaded when the first object is created.
const apiextensions = lazyPeer<typeof apiextensionsModule>("@pulumi/kubernetes/apiextensions", "kubernetes");
const coreV1 = lazyPeer<typeof coreV1Module>("@pulumi/kubernetes/core/v1", "kubernetes");
const discoveryV1 = lazyPeer<typeof discoveryV1Module>("@pulumi/kubernetes/discovery/v1", "kubernetes");

export interface ClusterCondition {
    type: string;
    status: string;
    reason?: string;
    message?: string;
}

export interface ClusterRouteStatus {
    /** "namespace/name" of the HTTPRoute object in the cluster. */
    route: string;
    /** status.parents as the controller wrote it: parentRef, controllerName, conditions (Accepted, ResolvedRefs …). */
    parents: { parentRef: Record<string, unknown>; controllerName?: string; conditions: ClusterCondition[] }[];
}

/** What the cluster's controller reports about the objects one Gateway (or HTTPRoute) component emitted. */
export interface ClusterStatus {
    gateway?: {
        /** "namespace/name" of the Gateway object in the cluster. */
        name: string;
        /** The Programmed condition; status "Unknown" (reason "Pending") until the controller reports one. */
        programmed: ClusterCondition;
        addresses: string[];
        conditions: ClusterCondition[];
    };
    routes: ClusterRouteStatus[];
}

const PENDING: ClusterCondition = { type: "Programmed", status: "Unknown", reason: "Pending", message: "the controller has not reported status (yet)" };

const statuses = new WeakMap<pulumi.Resource, pulumi.Output<ClusterStatus>>();

interface Emitted {
    json: string;
    resource: pulumi.CustomResource;
}

/** An object's status as the controller writes it (absent until it does). */
export type ObjectStatus = { conditions?: ClusterCondition[]; addresses?: { type?: string; value: string }[]; parents?: ClusterRouteStatus["parents"] } | undefined;
type Status = ObjectStatus;

/** The Gateway's status, summarised: Programmed (Unknown/Pending until reported) and addresses. */
export function gatewaySummary(name: string, s: ObjectStatus): NonNullable<ClusterStatus["gateway"]> {
    return {
        name,
        programmed: (s?.conditions ?? []).find(c => c.type === "Programmed") ?? PENDING,
        addresses: (s?.addresses ?? []).map(a => a.value),
        conditions: s?.conditions ?? [],
    };
}

export function routeSummary(name: string, s: ObjectStatus): ClusterRouteStatus {
    return { route: name, parents: s?.parents ?? [] };
}

/** The `status` output of an object (CustomResource declares no such member: it is requested as an output). */
function statusOf(r: pulumi.CustomResource): pulumi.Output<Status> {
    return (r as unknown as { status: pulumi.Output<Status> }).status;
}

export function realizeGateway(plan: GatewayPlan, ctx: RealizeContext): RealizeResult {
    const { gateway, routes, model } = create(plan, ctx, "gateway");
    const gwStatus = statusOf(gateway!.resource);
    const name = gateway!.name;
    const wait = model.params.await;
    if (wait) {
        // pulumi-kubernetes only says "timed out waiting for the condition": say here what is awaited and what a timeout means.
        const cls = model.rendered.gateway!.spec as { gatewayClassName: string };
        pulumi.log.info(`Gateway ${name}: waiting ${wait.timeoutSeconds !== undefined ? `up to ${wait.timeoutSeconds} s` : "(the provider's default timeout)"} ` +
            `(parameters.kubernetes.await) for the controller of GatewayClass ${cls.gatewayClassName}${model.params.controllerName ? ` (${model.params.controllerName})` : ""} ` +
            `to set the Gateway's Programmed condition True and each HTTPRoute's Accepted condition True. "timed out waiting for the condition" means no controller did: ` +
            "check that it runs and handles this GatewayClass (kubectl get gatewayclass, the Gateway's status.conditions), or raise await.timeoutSeconds",
            // On the component: a log on the object itself waits for its URN, i.e. for the wait to end.
            ctx.parent);
    }
    statuses.set(ctx.parent, pulumi.all([gwStatus, routeStatuses(routes)]).apply(([s, rs]) => ({ gateway: gatewaySummary(name, s), routes: rs })));
    return { addresses: gwStatus.apply(s => gatewaySummary(name, s).addresses) };
}

/** Routes attached to another stack's gateway: this stack owns the route objects (and their backends, grants). */
export function realizeRoutes(plan: GatewayPlan, ctx: RealizeContext): void {
    // Warned, not refused: the object is still emitted, and the cluster's controller decides (a label
    // the operator adds later admits it without a new `up` of this stack).
    for (const route of ctx.input.routes) {
        const why = notServedReason(`${route.namespace ?? "default"}/${route.name}`, ctx.routeStatuses ?? [], ctx.input.gateway, ctx.listenerSetStatuses);
        if (why) pulumi.log.warn(`${why} (the HTTPRoute object is emitted anyway: the cluster's controller decides, and writes its own status)`, ctx.parent);
    }
    const { routes } = create(plan, ctx, "routes");
    const previous = statuses.get(ctx.parent);
    const own = routeStatuses(routes).apply(rs => ({ routes: rs }));
    // One HTTPRoute component may name several remote gateways: merge what each call emitted.
    statuses.set(ctx.parent, previous === undefined ? own : pulumi.all([previous, own]).apply(([a, b]) => ({
        routes: [...a.routes, ...b.routes.filter(r => !a.routes.some(x => x.route === r.route))],
    })));
}

/**
 * A ListenerSet of this stack on another stack's gateway: this stack owns the ListenerSet object (the
 * cluster's controller decides its admission, as for the Gateway's own). Routes on it wait for it.
 */
export function realizeListenerSet(ctx: ListenerSetRealizeContext): pulumi.Resource[] {
    const why = listenerSetNotServedReason(`${ctx.spec.namespace ?? "default"}/${ctx.spec.name}`, [ctx.status], ctx.gateway);
    if (why) pulumi.log.warn(`${why} (the ListenerSet object is emitted anyway: the cluster's controller decides, and writes its own status)`, ctx.parent);
    const { listenerSets } = create(ctx.plan, { parent: ctx.parent, gatewayName: ctx.gateway.split("/")[1], parameters: ctx.parameters, input: ctx.input, ...(ctx.shared ? { shared: ctx.shared } : {}) }, "listenerSet");
    return listenerSets;
}

/**
 * The controller's view of what a Gateway or HTTPRoute component emitted through the kubernetes
 * adapter: the Gateway's Programmed condition and addresses, each route's parent conditions.
 * Undefined for a component of another adapter. Under Pulumi mocks no controller runs, so
 * programmed is Unknown/Pending and the lists are empty.
 */
export function clusterStatus(component: pulumi.Resource & { rendered?: Promise<unknown>; status?: pulumi.Output<unknown> }): pulumi.Output<ClusterStatus | undefined> {
    const status = component.status as pulumi.Output<unknown> | undefined;
    const ready: Promise<unknown> = component.rendered ?? new Promise<unknown>(resolve => {
        if (status === undefined) resolve(undefined);
        else status.apply(v => { resolve(v); return v; });
    });
    return pulumi.output(ready.then(() => statuses.get(component))) as pulumi.Output<ClusterStatus | undefined>;
}

function routeStatuses(routes: Created[]): pulumi.Output<ClusterRouteStatus[]> {
    return pulumi.all(routes.map(r => statusOf(r.resource).apply(s => routeSummary(r.name, s))));
}

interface Created {
    /** "namespace/name" in the cluster. */
    name: string;
    resource: pulumi.CustomResource;
}

function create(plan: GatewayPlan, ctx: RealizeContext, scope: RenderScope): { gateway?: Created; routes: Created[]; listenerSets: pulumi.CustomResource[]; model: KubernetesModel } {
    // The Gateway hands over the model Adapter.model built; routes of another stack's gateway (and
    // direct callers) build theirs here.
    const model = (scope === "gateway" ? ctx.model as KubernetesModel | undefined : undefined) ?? kubernetesModel(plan, ctx.input, ctx.parameters, scope);
    const { params, rendered, problems } = model;
    if (problems.length > 0) {
        throw new CapabilityError(`Gateway ${plan.gateway}: the kubernetes adapter refuses this plan:\n` + problems.map(p => "  - " + p).join("\n"));
    }
    const registry = (ctx.shared ?? new Map<string, unknown>()) as Map<string, unknown>;
    const provider = params.provider as pulumi.ProviderResource | undefined;
    const make = <R extends pulumi.CustomResource>(m: Manifest, dependsOn: pulumi.Resource[], build: (name: string, opts: pulumi.CustomResourceOptions) => R): R => {
        const key = `kubernetes:${objectKey(m)}`;
        const json = JSON.stringify(m);
        const prior = registry.get(key) as Emitted | undefined;
        if (prior) {
            if (prior.json !== json) {
                throw new CapabilityError(`Gateway ${plan.gateway}: ${objectKey(m)} is emitted by two gateways with different contents ` +
                    "(their classes' kubernetes parameters differ); give the gateways one class, or the same parameters");
            }
            return prior.resource as R;
        }
        const name = m.metadata.namespace ? `${m.metadata.namespace}/${m.metadata.name}` : m.metadata.name;
        const resource = build(name, { parent: ctx.parent, ...(provider ? { provider } : {}), ...(dependsOn.length > 0 ? { dependsOn } : {}) });
        registry.set(key, { json, resource } satisfies Emitted);
        return resource;
    };
    // await.timeoutSeconds bounds the create and update waits of the awaited objects (not their deletes).
    const waitSeconds = params.await?.timeoutSeconds;
    const awaited = (m: Manifest) => waitSeconds !== undefined && m.metadata.annotations?.["pulumi.com/waitFor"] !== undefined;
    const custom = (m: Manifest, dependsOn: pulumi.Resource[] = []) =>
        make(m, dependsOn, (name, opts) => new apiextensions.CustomResource(name, { ...m, status: undefined } as unknown as ConstructorParameters<typeof apiextensionsModule.CustomResource>[1],
            awaited(m) ? { ...opts, customTimeouts: { create: `${waitSeconds}s`, update: `${waitSeconds}s` } } : opts));

    // Namespaces (createNamespaces) before the objects in them, so they are also deleted after them.
    const namespaces = new Map(rendered.namespaces.map(m => [m.metadata.name,
        make(m, [], (name, opts) => new coreV1.Namespace(name, m as ConstructorParameters<typeof coreV1Module.Namespace>[1], opts))]));
    const inNamespace = (m: Manifest): pulumi.Resource[] => {
        const ns = m.metadata.namespace !== undefined ? namespaces.get(m.metadata.namespace) : undefined;
        return ns ? [ns] : [];
    };
    const cls = rendered.gatewayClass ? custom(rendered.gatewayClass) : undefined;
    const gateway = rendered.gateway ? custom(rendered.gateway, [...(cls ? [cls] : []), ...inNamespace(rendered.gateway)]) : undefined;
    const services = rendered.services.map(m => make(m, inNamespace(m), (name, opts) => new coreV1.Service(name, m as ConstructorParameters<typeof coreV1Module.Service>[1], opts)));
    const slices = rendered.endpointSlices.map(m => {
        const i = rendered.services.findIndex(x => x.metadata.namespace === m.metadata.namespace && x.metadata.name === m.metadata.labels?.["kubernetes.io/service-name"]);
        return make(m, [...(i >= 0 ? [services[i]] : []), ...inNamespace(m)], (name, opts) => new discoveryV1.EndpointSlice(name, m as unknown as ConstructorParameters<typeof discoveryV1Module.EndpointSlice>[1], opts));
    });
    const listenerSets = rendered.listenerSets.map(m => custom(m, [...(gateway ? [gateway] : []), ...inNamespace(m)]));
    const grants = rendered.referenceGrants.map(m => custom(m, inNamespace(m)));
    // Backend policies (and their CA ConfigMaps, first) before the routes, so the controller applies them from the first request.
    const configMaps = rendered.policies.filter(m => m.kind === "ConfigMap")
        .map(m => make(m, inNamespace(m), (name, opts) => new coreV1.ConfigMap(name, m as ConstructorParameters<typeof coreV1Module.ConfigMap>[1], opts)));
    const policies = rendered.policies.filter(m => m.kind !== "ConfigMap").map(m => custom(m, [...services, ...configMaps, ...inNamespace(m)]));
    // Backends and grants first, so the controller resolves a new route's references at once.
    const routes = rendered.routes.map(m => ({ name: `${m.metadata.namespace}/${m.metadata.name}`, resource: custom(m, [...(gateway ? [gateway] : []), ...listenerSets, ...services, ...slices, ...grants, ...policies, ...inNamespace(m)]) }));
    return {
        ...(gateway && rendered.gateway ? { gateway: { name: `${rendered.gateway.metadata.namespace}/${rendered.gateway.metadata.name}`, resource: gateway } } : {}),
        routes,
        listenerSets,
        model,
    };
}
