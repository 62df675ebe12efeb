// Three roles, four stacks, one cluster: the kubernetes adapter's Gateway API objects written by
// the stack of the role that owns each, wired by exported references read through StackReferences.
//   infrastructure provider → the teams' Namespaces (their labels decide who may attach) and the
//                             in-cluster GatewayClass "teams-lb", served by the cluster's controller;
//   cluster operator        → the Gateway "infra/shared": routes from namespaces labelled
//                             gateway-access=true (allowedRoutes), ListenerSets from namespaces
//                             labelled own-listeners=true (allowedListeners); exports its reference;
//   application teams       → each its Services and an HTTPRoute on that Gateway, in its own
//                             namespace; a team admitted for listeners adds its own hostname with a
//                             ListenerSet and attaches its route there.
// A team's `pulumi up` writes only its own objects; the cluster's controller admits or refuses them
// (gatewaykit computes the same status in the team's stack from the operator's reference).
import * as pulumi from "@pulumi/pulumi";
import * as apiextensions from "@pulumi/kubernetes/apiextensions";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as gk from "../../index";
import { clusterStatus } from "../../providers/kubernetes";

/** The namespace label the Gateway's listener admits routes from. */
export const ROUTE_ACCESS = { "gateway-access": "true" };
/** The namespace label the Gateway admits ListenerSets from. */
export const LISTENER_ACCESS = { "own-listeners": "true" };

/**
 * The namespaces the infrastructure provider creates, with their labels: team-a may attach routes and
 * add listeners, team-b may attach routes, team-c has not been granted access (its route is refused).
 */
export const NAMESPACES: Record<string, Record<string, string>> = {
    "infra": {},
    "team-a": { ...ROUTE_ACCESS, ...LISTENER_ACCESS },
    "team-b": { ...ROUTE_ACCESS },
    "team-c": {},
};

/** What the infrastructure stack exports for the operator: the class as plain data. */
export interface TeamsClassReference {
    /** The in-cluster GatewayClass (the gatewaykit class of the same name names it). */
    name: string;
    /** gatewaykit's controllerName: the kubernetes adapter. */
    controllerName: string;
}

export interface InfrastructureOptions {
    /** The cluster; defaults to the ambient kubeconfig. */
    provider?: pulumi.ProviderResource;
    /** The in-cluster controller serving the class; defaults to Envoy Gateway's. */
    controllerName?: string;
    /** Namespaces and their labels; defaults to NAMESPACES. */
    namespaces?: Record<string, Record<string, string>>;
}

/** Infrastructure provider: the namespaces (and the labels that grant access) and the in-cluster GatewayClass. */
export function infrastructure(options: InfrastructureOptions = {}) {
    const opts = options.provider ? { provider: options.provider } : {};
    const namespaces = Object.entries(options.namespaces ?? NAMESPACES).map(([name, labels]) =>
        new corev1.Namespace(name, { metadata: { name, labels } }, opts));
    const gatewayClass = new apiextensions.CustomResource("teams-lb", {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name: "teams-lb" },
        spec: { controllerName: options.controllerName ?? "gateway.envoyproxy.io/gatewayclass-controller", description: "shared load balancers for application teams" },
    }, opts);
    const classReference = pulumi.output({ name: gatewayClass.metadata.name, controllerName: "gatewaykit.dev/kubernetes" }) as pulumi.Output<TeamsClassReference>;
    // The labels as the cluster holds them: what the operator's Gateway computes admission from.
    const namespaceLabels = pulumi.all(namespaces.map(ns => pulumi.all([ns.metadata.name, ns.metadata.labels])))
        .apply(pairs => Object.fromEntries(pairs.map(([name, labels]) => [name, labels ?? {}])));
    return { namespaces, gatewayClass, classReference, namespaceLabels };
}

export interface OperatorOptions {
    /** The infrastructure stack's classReference. */
    gatewayClass: pulumi.Input<TeamsClassReference>;
    /** The infrastructure stack's namespaceLabels. */
    namespaceLabels: pulumi.Input<Record<string, Record<string, string>>>;
    provider?: pulumi.ProviderResource;
    /** The HTTP listener's port; defaults to 8080. */
    port?: number;
}

/** Cluster operator: the Gateway — one HTTP listener, who may attach routes and add listeners. */
export function operator(options: OperatorOptions) {
    const ref = pulumi.output(options.gatewayClass);
    const gateway = new gk.Gateway("shared", {
        gatewayClass: {
            name: ref.name, controllerName: ref.controllerName,
            // No controllerName here: the class is the infrastructure stack's object, referenced by name.
            parameters: { kubernetes: { ...(options.provider ? { provider: options.provider } : {}) } },
        },
        namespace: "infra",
        listeners: [{
            name: "http", protocol: "HTTP", port: options.port ?? 8080,
            allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: ROUTE_ACCESS } } },
        }],
        allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: LISTENER_ACCESS } } },
        namespaceLabels: options.namespaceLabels,
    });
    return { gateway, reference: gateway.reference, clusterStatus: clusterStatus(gateway) };
}

export interface TeamOptions {
    /** The operator stack's exported gateway reference. */
    gateway: pulumi.Input<gk.GatewayReference>;
    /** The team's namespace (the infrastructure stack's). */
    namespace: string;
    provider?: pulumi.ProviderResource;
    /** Percent of the team's traffic sent to its canary; defaults to 10. */
    canaryWeight?: number;
    /** When set, the team adds this hostname as its own listener (a ListenerSet) and attaches its route there. */
    listenerHostname?: string;
    /** The Gateway's port, for the ListenerSet's listener; defaults to 8080. */
    port?: number;
}

/** Application team: its Services (endpoint backends) and its HTTPRoute, realised as objects in its own namespace. */
export function team(options: TeamOptions) {
    const { namespace } = options;
    const parameters = { kubernetes: { ...(options.provider ? { provider: options.provider } : {}) } };
    const stable = new gk.Service("shop", { namespace, port: 8080, endpoints: [{ address: "10.0.0.10" }, { address: "10.0.0.11" }] });
    const canary = new gk.Service("shop-canary", { namespace, port: 8080, endpoints: [{ address: "10.0.0.20" }] });
    const listenerSet = options.listenerHostname === undefined ? undefined : new gk.ListenerSet("shop", {
        namespace, gateway: options.gateway, parameters,
        listeners: [{ name: "shop", protocol: "HTTP", port: options.port ?? 8080, hostname: options.listenerHostname }],
    });
    const weight = options.canaryWeight ?? 10;
    const route = new gk.HTTPRoute("shop", {
        namespace,
        // On its own listener the route takes the listener's hostname; on the Gateway's it names one.
        parentRefs: [listenerSet ? { listenerSet } : { gateway: options.gateway }],
        ...(listenerSet ? {} : { hostnames: [`${namespace}.example`] }),
        rules: [{
            name: "shop",
            matches: [{ path: { type: "PathPrefix", value: "/shop" } }],
            backendRefs: [{ service: stable, weight: 100 - weight }, { service: canary, weight }],
        }],
        parameters,
    });
    return {
        route, listenerSet,
        /** gatewaykit's status, computed in this stack against the operator's reference. */
        status: route.status,
        listenerSetStatus: listenerSet?.status,
        /** What the cluster's controller wrote (nothing until one runs). */
        clusterStatus: clusterStatus(route),
        routingTable: route.routingTable,
    };
}
