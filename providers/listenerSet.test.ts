// ListenerSet across adapters: every adapter carries merged listeners; aws and gcp refuse a
// ListenerSet listener on a port the Gateway does not already have (a new ALB listener / forwarding
// rule is the operator's), naming why.

import * as assert from "assert";
import { adapterFor, allAdapters, checkCapabilities } from ".";
import { CapabilityError } from "../routing/errors";
import { compile } from "../routing/compile";
import { GatewayPlan } from "../routing/plan";

function planWith(port: number): GatewayPlan {
    return compile({
        gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/plan" }],
        gateways: [{ name: "gw", namespace: "infra", gatewayClassName: "c", listeners: [{ name: "http", port: 80, protocol: "HTTP" }], allowedListeners: { namespaces: { from: "All" } } }],
        listenerSets: [{ name: "shop", namespace: "team-a", parentRef: { name: "gw", namespace: "infra" }, listeners: [{ name: "shop", port, protocol: "HTTP", hostname: "shop.example.com" }] }],
        routes: [{ name: "r", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "shop" }] }],
    }).gateways[0];
}

describe("ListenerSet capabilities", () => {
    it("every adapter carries a ListenerSet listener on one of the Gateway's ports", () => {
        const plan = planWith(80);
        for (const c of ["gatewaykit.dev/nginx", "gatewaykit.dev/aws-alb", "gatewaykit.dev/gcp-alb", "gatewaykit.dev/kubernetes"]) {
            assert.doesNotThrow(() => checkCapabilities(plan, adapterFor(c), allAdapters()), c);
        }
    });

    it("aws and gcp refuse a new port, saying the operator must add it; nginx and kubernetes open it", () => {
        const plan = planWith(8081);
        for (const [c, what] of [["gatewaykit.dev/aws-alb", "ALB listener"], ["gatewaykit.dev/gcp-alb", "forwarding rule"]]) {
            assert.throws(() => checkCapabilities(plan, adapterFor(c), allAdapters()), (e: Error) => {
                assert.ok(e instanceof CapabilityError);
                assert.match(e.message, /listener team-a\/shop\/shop uses ListenerSetNewPort/);
                assert.match(e.message, new RegExp(`a new port is a new ${what}.*ask the operator to add a listener on that port to the Gateway`));
                assert.match(e.message, /adapters that support it: nginx, kubernetes$/);
                return true;
            }, c);
        }
        for (const c of ["gatewaykit.dev/nginx", "gatewaykit.dev/kubernetes"]) assert.doesNotThrow(() => checkCapabilities(plan, adapterFor(c), allAdapters()), c);
    });
});
