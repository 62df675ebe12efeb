// The kubernetes adapter's public surface beyond the Adapter object: the controller's status of
// what a component emitted, and the renderer (plan → plain Kubernetes objects) for tooling.
export { kubernetesAdapter } from "./capabilities";
export type { KubernetesClassParameters } from "./capabilities";
export { clusterStatus, gatewaySummary, routeSummary } from "./realize";
export type { ClusterStatus, ClusterRouteStatus, ClusterCondition, ObjectStatus } from "./realize";
export { ManifestRenderer, allManifests, objectKey } from "./manifests";
export type { Manifest, Rendered, RenderScope, GrantNeed } from "./manifests";
export { celProblems } from "./checks";
export { resolveParameters } from "./parameters";
export type { ResolvedParameters } from "./parameters";
