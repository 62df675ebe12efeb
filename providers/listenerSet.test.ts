// ListenerSet across adapters: every adapter carries merged listeners; aws and gcp refuse a
// ListenerSet listener on a port the Gateway does not already have (a new ALB listener / forwarding
// rule is the operator's), naming why.

import * as assert from "assert";
import { adapterFor, allAdapters, checkCapabilities } from ".";
import { CapabilityError } from "../routing/errors";
import { compile } from "../routing/compile";
import { GatewayPlan } from "../routing/plan";
import { buildAlbModel } from "./aws/model";

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

    it("aws: a ListenerSet's HTTPS hostname and certificate ride on the Gateway's port-443 ALB listener (SNI)", () => {
        const arn = (n: string) => `arn:aws:acm:us-east-1:123456789012:certificate/${n}`;
        const plan = compile({
            gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/aws-alb" }],
            gateways: [{
                name: "gw", namespace: "infra", gatewayClassName: "c", allowedListeners: { namespaces: { from: "All" } },
                listeners: [{ name: "https", port: 443, protocol: "HTTPS", hostname: "gw.example.com", tls: { certificateRefs: [{ name: arn("gw") }] } }],
            }],
            listenerSets: [{ name: "shop", namespace: "team-a", parentRef: { name: "gw", namespace: "infra" }, listeners: [{ name: "secure", port: 443, protocol: "HTTPS", hostname: "shop.example.com", tls: { certificateRefs: [{ name: arn("shop") }] } }] }],
            services: [{ name: "shop", namespace: "team-a", ports: [{ port: 80 }], endpoints: [{ address: "10.0.0.1" }] }],
            routes: [{ name: "r", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "shop" }], rules: [{ backendRefs: [{ name: "shop", port: 80 }] }] }],
        }).gateways[0];
        assert.doesNotThrow(() => checkCapabilities(plan, adapterFor("gatewaykit.dev/aws-alb"), allAdapters()));
        const built = buildAlbModel(plan, { vpcId: "vpc-1", subnetIds: ["subnet-1", "subnet-2"] });
        assert.deepStrictEqual(built.problems, []);
        assert.deepStrictEqual(built.model.listeners.map(l => [l.port, l.gatewayListeners, [...l.certificateArns].sort()]),
            [[443, ["team-a/shop/secure", "https"], [arn("gw"), arn("shop")]]]);
    });
});
