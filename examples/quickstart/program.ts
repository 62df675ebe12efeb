// The seed's scenario: an infrastructure provider's GatewayClass, the cluster operator's
// Gateway "mygroup-external", and an application team's HTTPRoute sending /groups on mygroup.io
// 90/10 to a stable and a canary service. index.ts runs it on nginx with two echo backends; the
// tests run it under mocks on the plan adapter.
import * as gk from "../../index";
import { ADMITTED, canaryRoute } from "../seed";

export interface QuickstartOptions {
    /** Which data plane realises the gateway; "gatewaykit.dev/plan" (the default here) computes routing only. */
    controllerName?: string;
    /** The GatewayClass parameters, keyed by adapter name (e.g. { nginx: { workDir } }). */
    classParameters?: gk.GatewayClassParameters;
    canaryWeight?: number;
    /** The HTTP listener's port; defaults to 8080. */
    port?: number;
    /** The two backends; by default Services with placeholder endpoints (127.0.0.1:9101 and :9102). */
    backends?: { groups: gk.Service; canary: gk.Service };
}

export function quickstart(options: QuickstartOptions = {}) {
    const port = options.port ?? 8080;
    const externalLb = new gk.GatewayClass("external-lb", {
        controllerName: options.controllerName ?? "gatewaykit.dev/plan",
        description: "external load balancers for application teams",
        ...(options.classParameters ? { parameters: options.classParameters } : {}),
    });

    const gateway = new gk.Gateway("mygroup-external", {
        gatewayClass: externalLb,
        namespace: "mygroup",
        listeners: [{ name: "http", protocol: "HTTP", port }],
    });

    const groups = options.backends?.groups
        ?? new gk.Service("mygroup-groups", { namespace: "mygroup", port: 8080, endpoints: [{ address: "127.0.0.1", port: 9101 }] });
    const groupsCanary = options.backends?.canary
        ?? new gk.Service("mygroup-groups-canary", { namespace: "mygroup", port: 8080, endpoints: [{ address: "127.0.0.1", port: 9102 }] });

    const route = canaryRoute({ gateway, services: { groups, canary: groupsCanary }, canaryWeight: options.canaryWeight, labels: ADMITTED });

    return { gateway, route, routingTable: gateway.routingTable, routeStatus: route.status };
}
