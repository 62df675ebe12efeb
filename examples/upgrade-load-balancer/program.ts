// The seed's "Upgrade Load Balancer": the infrastructure provider offers a new class of the same
// vendor, new-external-lb, next to external-lb; the cluster operator moves the Gateway to it by
// changing one line (className). The team's routes and services are not touched.
import * as gk from "../../index";
import { CONTROLLERS, canaryRoute, mygroupGateway, mygroupListeners, seedClassParameters, seedServices } from "../seed";

export const CLASS_NAMES = ["external-lb", "new-external-lb"] as const;
export type ClassName = typeof CLASS_NAMES[number];

/** The new generation's parameters: the seed's, with each vendor's newer settings. */
export function newExternalLbParameters(): gk.GatewayClassParameters {
    const base = seedClassParameters();
    return {
        ...base,
        aws: { ...base.aws, idleTimeout: 120, loadBalancingAlgorithm: "least_outstanding_requests" },
        gcp: { ...base.gcp, logSampleRate: 1, backendTimeoutSec: 60 },
    };
}

export interface UpgradeOptions {
    /** The class the operator's Gateway uses: the one line the upgrade changes. */
    className?: ClassName;
    /** The vendor of both classes; defaults to nginx. */
    controllerName?: string;
    /** The HTTP listener's port; defaults to the seed's 8080. */
    port?: number;
}

export function upgradeLoadBalancer(options: UpgradeOptions = {}) {
    const controllerName = options.controllerName ?? CONTROLLERS.nginx;
    // Infrastructure provider: both generations stay offered while gateways move over.
    const classes: Record<ClassName, gk.GatewayClass> = {
        "external-lb": new gk.GatewayClass("external-lb", {
            controllerName, description: "external load balancers (current generation)", parameters: seedClassParameters(),
        }),
        "new-external-lb": new gk.GatewayClass("new-external-lb", {
            controllerName, description: "external load balancers (next generation)", parameters: newExternalLbParameters(),
        }),
    };
    // Cluster operator.
    const gateway = mygroupGateway(classes[options.className ?? "external-lb"], options.port !== undefined ? { listeners: mygroupListeners(options.port) } : {});
    // Application developer: unchanged by the upgrade.
    const services = seedServices();
    const route = canaryRoute({ gateway, services });
    return { classes, gateway, services, route, routingTable: gateway.routingTable };
}
