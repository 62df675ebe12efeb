// The seed's scenario: an infrastructure provider's GatewayClass, the cluster operator's
// Gateway "mygroup-external", and an application team's HTTPRoute sending /groups on mygroup.io
// 90/10 to a stable and a canary service.
import * as gk from "../..";

export interface QuickstartOptions {
    /** Which data plane realises the gateway; "gatewaykit.dev/plan" computes routing only. */
    controllerName?: string;
    canaryWeight?: number;
}

export function quickstart(options: QuickstartOptions = {}) {
    const canary = options.canaryWeight ?? 10;
    const externalLb = new gk.GatewayClass("external-lb", {
        controllerName: options.controllerName ?? "gatewaykit.dev/plan",
        description: "external load balancers for application teams",
    });

    const gateway = new gk.Gateway("mygroup-external", {
        gatewayClass: externalLb,
        namespace: "mygroup",
        listeners: [{ name: "http", protocol: "HTTP", port: 8080 }],
    });

    const groups = new gk.Service("mygroup-groups", { namespace: "mygroup", port: 8080, endpoints: [{ address: "127.0.0.1", port: 9101 }] });
    const groupsCanary = new gk.Service("mygroup-groups-canary", { namespace: "mygroup", port: 8080, endpoints: [{ address: "127.0.0.1", port: 9102 }] });

    const route = new gk.HTTPRoute("mygroup", {
        namespace: "mygroup",
        labels: { gateway: "mygroup-external" },
        parentRefs: [{ gateway }],
        hostnames: ["mygroup.io"],
        rules: [{
            name: "groups",
            matches: [{ path: { type: "PathPrefix", value: "/groups" } }],
            backendRefs: [
                { service: groups, weight: 100 - canary },
                { service: groupsCanary, weight: canary },
            ],
        }],
    });

    return { gateway, route, routingTable: gateway.routingTable, routeStatus: route.status };
}
