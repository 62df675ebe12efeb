// The seed's canary rollout: the application team moves /groups of mygroup.io from the stable
// service to the canary in steps, 90/10 → 50/50 → 0/100, each step one `pulumi up` that changes
// only the route's weights (the data plane is updated in place, never replaced).
import * as gk from "../../index";
import { CONTROLLERS, canaryRoute, mygroupGateway, mygroupListeners, seedClassParameters, seedServices } from "../seed";

/** Percent sent to the canary at each step of the rollout. */
export const ROLLOUT_STEPS = [10, 50, 100] as const;

export interface CanaryRolloutOptions {
    /** Percent of /groups sent to the canary; defaults to the first step (10). */
    canaryWeight?: number;
    /** The data plane; defaults to nginx. */
    controllerName?: string;
    classParameters?: gk.GatewayClassParameters;
    /** The HTTP listener's port; defaults to the seed's 8080. */
    port?: number;
    /** The two backends; defaults to the seed's (VM addresses). */
    backends?: { groups: gk.Service; canary: gk.Service };
}

export function canaryRollout(options: CanaryRolloutOptions = {}) {
    const canaryWeight = options.canaryWeight ?? ROLLOUT_STEPS[0];
    if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100) {
        throw new Error(`canary-rollout: canaryWeight must be an integer percent 0–100 (got ${canaryWeight}); the steps are ${ROLLOUT_STEPS.join(", ")}`);
    }
    const externalLb = new gk.GatewayClass("external-lb", {
        controllerName: options.controllerName ?? CONTROLLERS.nginx,
        parameters: options.classParameters ?? seedClassParameters(),
    });
    const gateway = mygroupGateway(externalLb, options.port !== undefined ? { listeners: mygroupListeners(options.port) } : {});
    const services = options.backends ?? seedServices();
    const route = canaryRoute({ gateway, services, canaryWeight });
    return { gateway, route, routingTable: gateway.routingTable, routeStatus: route.status };
}
