export { Service, localService } from "./service";
export type { ServiceArgs, ServicePortArgs, EndpointArgs, ServiceRealizationsArgs, LocalBackend } from "./service";
export { GatewayClass } from "./gatewayClass";
export type { GatewayClassArgs, GatewayClassParameters } from "./gatewayClass";
export { Gateway } from "./gateway";
export type { GatewayArgs, GatewayListenerArgs, GatewayClassRefArgs, GatewayReference, GatewayRender } from "./gateway";
export { HTTPRoute } from "./httpRoute";
export type { HTTPRouteArgs, HTTPRouteParentRefArgs, HTTPRouteRuleArgs, HTTPBackendRefArgs } from "./httpRoute";
