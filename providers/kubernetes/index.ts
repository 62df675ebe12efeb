// kubernetes: emits gateway.networking.k8s.io/v1 objects for an in-cluster controller, so it can
// carry everything the spec has; whether the controller implements it is the controller's status.
// Beside the Adapter: the controller's status of what a component emitted, and the renderer
// (input → plain Kubernetes objects) for tooling.

import type * as pulumi from "@pulumi/pulumi";
import { FEATURES, Feature } from "../../routing/features";
import { GatewayValidationError } from "../../routing/errors";
import { ReferenceGrantSpec } from "../../routing/types";
import { Adapter } from "../adapter";
import { kubernetesModel } from "./model";
import { realizeGateway, realizeListenerSet, realizeRoutes } from "./realize";

export { clusterStatus, gatewaySummary, routeSummary } from "./realize";
export type { ClusterStatus, ClusterRouteStatus, ClusterCondition, ObjectStatus } from "./realize";
export { ManifestRenderer, allManifests, objectKey } from "./model/manifests";
export type { Manifest, Rendered, RenderScope, GrantNeed } from "./model/manifests";
export { celProblems } from "./model/checks";
export { kubernetesModel, endpointAddressProblem } from "./model";
export type { KubernetesModel } from "./model";
export { resolveParameters } from "./parameters";
export type { ResolvedParameters } from "./parameters";

/** GatewayClass parameters for the kubernetes adapter (parameters.kubernetes). */
export interface KubernetesClassParameters {
    /**
     * The in-cluster controller, e.g. "gateway.envoyproxy.io/gatewayclass-controller". Setting it
     * creates the in-cluster GatewayClass (named gatewayClassName) with this controllerName;
     * leaving it unset references an existing GatewayClass by name.
     */
    controllerName?: string;
    /** The in-cluster GatewayClass the emitted Gateway names (e.g. "eg", "istio"); defaults to the gatewaykit class name. */
    gatewayClassName?: string;
    /** Description of a created GatewayClass. */
    description?: string;
    /** The Kubernetes provider (cluster) every object is created with; defaults to the ambient one (or the component's providers option). */
    provider?: pulumi.ProviderResource;
    /**
     * gatewaykit namespace (team) → cluster namespace; unmapped namespaces keep their name. The
     * namespaces must exist, or be created with createNamespaces.
     */
    namespaces?: Record<string, string>;
    /**
     * Create the ReferenceGrants that cross-namespace backends need (default true). With false,
     * every such backend must be covered by a grant listed in referenceGrants, or the gateway fails
     * naming the grant to create.
     */
    manageReferenceGrants?: boolean;
    /** Grants that already exist in the cluster (cluster namespaces), for manageReferenceGrants: false. */
    referenceGrants?: ReferenceGrantSpec[];
    /**
     * Wait for the controller: the Gateway until Programmed, each HTTPRoute until Accepted
     * (pulumi.com/waitFor annotations). Off by default. timeoutSeconds bounds the create and
     * update waits (customTimeouts; deletes keep the provider's default); on a timeout the provider
     * says "timed out waiting for the condition", and the Gateway's info line says what was awaited.
     */
    await?: boolean | { timeoutSeconds?: number };
    /** Labels added to every emitted object. */
    labels?: Record<string, string>;
    /**
     * The Gateway API features the in-cluster controller implements (its GatewayClass
     * status.supportedFeatures or conformance report, in gatewaykit's feature names). When set, a
     * plan using any other feature fails before the cluster sees it; unset, the controller's status
     * reports what it cannot do.
     */
    supportedFeatures?: string[];
    /**
     * Create a v1 Namespace for each cluster namespace the emitted objects are written into (default
     * false), labelled with the Gateway's namespaceLabels for it; created before those objects and
     * deleted after them. Leave it off when the namespaces are someone else's (a namespace one stack
     * creates is deleted, with everything in it, when that stack is destroyed).
     */
    createNamespaces?: boolean;
    /**
     * The channel of the Gateway API CRDs installed in the cluster (default "standard"). HTTPRoute
     * rules' retry and sessionPersistence, and XBackendTrafficPolicy objects, exist only in the
     * experimental channel: a standard-channel API server would drop the fields without a word, so
     * they are refused unless this says "experimental".
     */
    gatewayAPIChannel?: "standard" | "experimental";
}

/**
 * gatewaykit's BackendTrafficPolicy fields with no upstream Gateway API object (loadBalancer,
 * healthCheck): nothing a controller reads could carry them, so they are refused, never dropped.
 * Retry, session persistence, BackendTLSPolicy and the retry budget are emitted (model/manifests.ts).
 */
const NO_UPSTREAM_OBJECT: readonly Feature[] = [
    "BackendLoadBalancingLeastRequest", "BackendLoadBalancingRandom", "BackendLoadBalancingConsistentHash",
    "BackendActiveHealthCheck", "BackendPassiveHealthCheck",
];
const LOAD_BALANCER_REASON = "the Gateway API has no object for a load-balancing algorithm, so no controller would read it; remove loadBalancer and set it with your controller's own policy " +
    "(e.g. Envoy Gateway's BackendTrafficPolicy loadBalancer)";
const HEALTH_CHECK_REASON = "the Gateway API has no object for health checks, so no controller would read it; remove healthCheck and set it with your controller's own policy " +
    "(e.g. Envoy Gateway's BackendTrafficPolicy healthCheck)";

export const kubernetesAdapter: Adapter = {
    name: "kubernetes",
    controllerNames: ["gatewaykit.dev/kubernetes"],
    capabilities: new Set<Feature>(FEATURES.filter(f => !NO_UPSTREAM_OBJECT.includes(f))),
    missingReasons: Object.fromEntries(NO_UPSTREAM_OBJECT.map(f => [f, f.startsWith("BackendLoadBalancing") ? LOAD_BALANCER_REASON : HEALTH_CHECK_REASON])),
    model: (plan, { parameters, input }) => {
        const model = kubernetesModel(plan, input, parameters, "gateway");
        // When every problem is a Service's (a name, port name or endpoint the cluster refuses), the
        // failure is reported on those Services; a mix is listed whole on the gateway.
        if (model.issues.length > 0 && model.issues.length === model.problems.length) throw new GatewayValidationError(model.issues);
        return { problems: model.problems, model };
    },
    realize: realizeGateway,
    realizeRoutes,
    realizeListenerSet,
};
