// The one place that turns a gateway (a Gateway component's reference, or another stack's
// GatewayReference) and the routes and services declared for it into the compile input. Pure:
// both the Gateway's render and an HTTPRoute's status against a reference call it, and the
// adapters receive the same GatewayInput (ctx.input) as the specs the plan came from.

import type { GatewayInput } from "../routing/plan";
import type { GRPCRouteSpec, HTTPRouteSpec, Labels, ServiceSpec } from "../routing/types";
import type { GatewayReference } from "./gateway";

export function gatewayInputOf(ref: GatewayReference, routes: HTTPRouteSpec[], services: ServiceSpec[], labels?: Labels, grpcRoutes?: GRPCRouteSpec[]): GatewayInput {
    return {
        gatewayClass: { name: ref.className, controllerName: ref.controllerName },
        gateway: {
            name: ref.name, namespace: ref.namespace, gatewayClassName: ref.className, listeners: ref.listeners,
            ...(ref.allowedListeners !== undefined ? { allowedListeners: ref.allowedListeners } : {}),
            ...(ref.infrastructure !== undefined ? { infrastructure: ref.infrastructure } : {}),
            ...(ref.addresses !== undefined ? { addresses: ref.addresses } : {}),
            ...(ref.tls !== undefined ? { tls: ref.tls } : {}),
            ...(labels !== undefined ? { labels } : {}),
        },
        routes,
        ...(grpcRoutes && grpcRoutes.length > 0 ? { grpcRoutes } : {}),
        services,
        namespaces: Object.entries(ref.namespaceLabels ?? {}).map(([name, l]) => ({ name, labels: l })),
    };
}
