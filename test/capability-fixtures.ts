// Plans for the feature and capability tests: one route "team-a/store" with the given rules on a
// gateway "infra/gw", compiled. A test helper: stays in test/.

import { compile } from "../routing/compile";
import { GatewayPlan } from "../routing/plan";
import { HTTPRouteRule, Listener } from "../routing/types";

const HTTP: Listener[] = [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }];

export function planOf(rules: HTTPRouteRule[], listeners: Listener[] = HTTP, controllerName = "gatewaykit.dev/aws-alb"): GatewayPlan {
    const plan = compile({
        gatewayClasses: [{ name: "lb", controllerName }],
        gateways: [{ name: "gw", namespace: "infra", gatewayClassName: "lb", listeners }],
        routes: [{ name: "store", namespace: "team-a", parentRefs: [{ name: "gw", namespace: "infra" }], rules }],
        services: ["store", "store-v2", "audit", "audit-2"].map(name => ({ name, namespace: "team-a", ports: [{ port: 8080 }] })),
    });
    return plan.gateways[0];
}

export const backend = (name: string, weight?: number) => ({ name, port: 8080, ...(weight !== undefined ? { weight } : {}) });
export const mirror = (name: string, percent?: number) => ({ type: "RequestMirror" as const, requestMirror: { backendRef: backend(name), ...(percent !== undefined ? { percent } : {}) } });
