// kubernetes: emits gateway.networking.k8s.io/v1 objects for an in-cluster controller, so it can
// carry everything the spec has; whether the controller implements it is the controller's status.

import { FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";

/** GatewayClass parameters for the kubernetes adapter (parameters.kubernetes). */
export interface KubernetesClassParameters {
    /** The in-cluster GatewayClass the emitted Gateway names (e.g. "eg", "istio", "gke-l7-global-external-managed"). */
    gatewayClassName?: string;
    /** Kubeconfig contents; defaults to the ambient configuration. */
    kubeconfig?: string;
}

export const kubernetesAdapter: Adapter = {
    name: "kubernetes",
    controllerNames: ["gatewaykit.dev/kubernetes"],
    capabilities: new Set<Feature>(FEATURES),
};
