// The seed's scenario, application team side: the mygroup team's services and its canary route,
// attached to the platform stack's Gateway (a GatewayReference read from that stack). This stack
// owns the HTTPRoute object and the backends; the cluster's controller does the reconciling.
import * as pulumi from "@pulumi/pulumi";
import * as gk from "../../../index";
import { ADMITTED, canaryRoute } from "../../seed";

export interface AppOptions {
    /** The platform stack's exported gatewayReference. */
    gateway: pulumi.Input<gk.GatewayReference>;
    provider?: pulumi.ProviderResource;
    canaryWeight?: number;
}

export function app(options: AppOptions) {
    // Endpoint backends: the adapter writes a selector-less Service and its EndpointSlice.
    const groups = new gk.Service("mygroup-groups", { namespace: "mygroup", port: 8080, endpoints: [{ address: "10.0.0.10" }, { address: "10.0.0.11" }] });
    // An existing Service the team deploys itself, in its own namespace.
    const groupsCanary = new gk.Service("mygroup-groups-canary", {
        namespace: "mygroup", port: 8080,
        realizations: { kubernetes: { serviceName: "groups-canary", namespace: "mygroup-canary" } },
    });

    const route = canaryRoute({
        gateway: options.gateway,
        services: { groups, canary: groupsCanary },
        canaryWeight: options.canaryWeight,
        labels: ADMITTED,
        parameters: { kubernetes: { ...(options.provider ? { provider: options.provider } : {}) } },
    });

    return { route, routeStatus: route.status, routingTable: route.routingTable };
}
