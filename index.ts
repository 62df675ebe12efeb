// gatewaykit: Kubernetes Gateway API as Pulumi components, reconciled into vendor data planes.

export * from "./components";
export * from "./routing/types";
export * from "./routing/plan";
export * from "./routing/errors";
export { compile } from "./routing/compile";
export type { CompileOptions } from "./routing/compile";
export { simulate, simulateGRPC, pickBackend } from "./routing/simulate";
export type { SimRequest, SimResult, SimOutcome, SimMirror, SimOptions, SimReason, SimMatched, HeaderChanges, GRPCCall, GRPCSimResult, GRPCSimOutcome } from "./routing/simulate";
export { GRPC_STATUS, grpcStatusOfHTTP } from "./routing/grpc";
export type { GRPCStatusName } from "./routing/grpc";
export { routingTable, routingTableRows } from "./routing/table";
export type { RoutingTableRow } from "./routing/table";
export { FEATURES, featuresOfRule, featuresOfGateway } from "./routing/features";
export type { Feature, FeatureUse } from "./routing/features";
export {
    registerAdapter, unregisterAdapter, adapterFor, allAdapters, checkCapabilities, checkPortability, portabilityReport, preflightFindings, planAdapter,
} from "./providers";
export type {
    Adapter, AdapterLimits, RealizeContext, RealizeResult, PortabilityFinding,
    AwsClassParameters, GcpClassParameters, KubernetesClassParameters, NginxClassParameters,
} from "./providers";
export { EchoBackend } from "./local/echo";
