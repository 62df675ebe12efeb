// Pulumi-mock tests of the Gateway component: rendering after the program body, adapters, failures.
// Routes against another stack's gateway (GatewayReference): httpRoute.test.ts.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, HTTPRoute, Service } from ".";
import { Adapter, registerAdapter, unregisterAdapter } from "../providers";
import { FEATURES } from "../routing/features";
import { GatewayPlan } from "../routing/plan";
import { outputOf, resourcesOfType, routeRequest, runProgram, setupMocks, waitForRegistrations, failureOf } from "../testing";

setupMocks();

const HTTP = [{ name: "http", port: 80, protocol: "HTTP" as const }];

/** The seed: a 90/10 canary on /groups of mygroup.io, declared route after gateway. */
function seedProgram(controllerName: string) {
    const cls = new GatewayClass("external-lb", { controllerName, parameters: { recorder: { zone: "test-zone" } } });
    const gateway = new Gateway("mygroup-external", { gatewayClass: cls, listeners: HTTP });
    const groups = new Service("mygroup-groups", { port: 8080, endpoints: [{ address: "10.0.0.1" }] });
    const canary = new Service("mygroup-groups-canary", { ports: [{ port: 8080, targetPort: 9090 }], endpoints: [{ address: "10.0.0.2" }] });
    const route = new HTTPRoute("mygroup", {
        parentRefs: [{ gateway }],
        hostnames: ["mygroup.io"],
        rules: [{
            name: "canary",
            matches: [{ path: { type: "PathPrefix", value: "/groups" } }],
            backendRefs: [{ service: groups, weight: 90 }, { service: canary, weight: 10 }],
        }],
    });
    return { gateway, route };
}

describe("components with the plan adapter", () => {
    it("renders the seed's 90/10 canary: plan, status, routing table and simulated traffic", async () => {
        let gateway!: Gateway;
        const { outputs, resources } = await runProgram(() => {
            const made = seedProgram("gatewaykit.dev/plan");
            gateway = made.gateway;
            return { plan: made.gateway.plan, status: made.gateway.status, route: made.route.status, table: made.gateway.routingTable };
        });
        const rule = outputs.plan.listeners[0].rules[0];
        assert.deepStrictEqual(rule.backends.map(b => [b.service, b.weight]), [["default/mygroup-groups", 90], ["default/mygroup-groups-canary", 10]]);
        assert.deepStrictEqual(rule.backends[1].endpoints, [{ address: "10.0.0.2", port: 9090 }]);
        assert.strictEqual(outputs.status.listeners[0].attachedRoutes, 1);
        const accepted = outputs.route.parents[0].conditions.find(c => c.type === "Accepted")!;
        assert.strictEqual(accepted.status, "True");
        assert.match(outputs.table, /mygroup\.io · PathPrefix \/groups → default\/mygroup-groups:8080 90%, default\/mygroup-groups-canary:8080 10%/);
        // The plan adapter creates nothing but the components themselves.
        assert.ok(resources.every(r => r.type.startsWith("gatewaykit:index:")), JSON.stringify(resources.map(r => r.type)));

        const sim = await routeRequest(gateway, { host: "mygroup.io", path: "/groups/42" });
        assert.deepStrictEqual(sim.outcomes.map(o => [o.backend?.service, o.probability]), [["default/mygroup-groups", 0.9], ["default/mygroup-groups-canary", 0.1]]);
        const miss = await routeRequest(gateway, { host: "other.io", path: "/groups" });
        assert.strictEqual(miss.status, 404);
    });

    it("honours two routes declared after the gateway, and counts both as attached", async () => {
        let gateway!: Gateway;
        const { outputs } = await runProgram(() => {
            const cls = new GatewayClass("plan", { controllerName: "gatewaykit.dev/plan" });
            gateway = new Gateway("shared", { gatewayClass: cls, listeners: HTTP });
            new Service("a", { port: 80 });
            new Service("b", { port: 80 });
            new HTTPRoute("route-a", { parentRefs: [{ gateway }], rules: [{ matches: [{ path: { value: "/a" } }], backendRefs: [{ name: "a", port: 80 }] }] });
            // By name, like a manifest: finds the Gateway declared above.
            new HTTPRoute("route-b", { parentRefs: [{ name: "shared" }], rules: [{ matches: [{ path: { value: "/b" } }], backendRefs: [{ name: "b", port: 80 }] }] });
            return { status: gateway.status, routes: gateway.routeStatuses };
        });
        assert.strictEqual(outputs.status.listeners[0].attachedRoutes, 2);
        assert.deepStrictEqual(outputs.routes.map(r => r.route).sort(), ["default/route-a", "default/route-b"]);
        assert.strictEqual((await routeRequest(gateway, { host: "x", path: "/a" })).outcomes[0].backend?.service, "default/a");
        assert.strictEqual((await routeRequest(gateway, { host: "x", path: "/b" })).outcomes[0].backend?.service, "default/b");
    });

    it("refuses a route that attaches after the gateway rendered, loudly and by name", async () => {
        let gateway!: Gateway;
        await runProgram(() => {
            gateway = new Gateway("early", {
                namespace: "infra",
                gatewayClass: { name: "plan", controllerName: "gatewaykit.dev/plan" },
                listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }],
            });
        });
        const late = await new Promise<unknown>(resolve => setTimeout(() => {
            try {
                new HTTPRoute("late", { namespace: "team-a", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ name: "x", port: 80 }] }] });
                resolve(undefined);
            } catch (err) {
                resolve(err);
            }
        }, 5));
        assert.ok(late instanceof Error, "a late route must throw");
        assert.strictEqual(late.message,
            "HTTPRoute team-a/late attached to Gateway infra/early after the gateway rendered its data plane; " +
            "declare routes in the program body right after the gateway (not inside apply() or after an await)");
        assert.deepStrictEqual(resourcesOfType("gatewaykit:index:HTTPRoute"), [], "the refused route registers no resource");
        assert.strictEqual((await outputOf(gateway.status)).listeners[0].attachedRoutes, 0);
    });

    it("names the route and field of an invalid route in the Gateway's failure, without a stack", async () => {
        const err = await failureOf(runProgram(() => {
            const gateway = new Gateway("gw", { gatewayClass: { name: "plan", controllerName: "gatewaykit.dev/plan" }, listeners: HTTP });
            new HTTPRoute("bad", { parentRefs: [{ gateway }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "groups" } }], backendRefs: [{ name: "x", port: 80 }] }] });
        }));
        assert.ok(pulumi.ResourceError.isInstance(err), `expected a ResourceError, got ${err}`);
        assert.strictEqual(err.hideStack, true);
        assert.match(err.message, /HTTPRoute default\/bad: spec\.rules\[0\]\.matches\[0\]\.path\.value: .*\(got "groups"\)/);
    });

    it("fails on an unknown controllerName, listing the known ones", () => {
        assert.throws(() => new GatewayClass("typo", { controllerName: "gatewaykit.dev/ngnix" }),
            (e: Error) => /unknown GatewayClass controllerName "gatewaykit.dev\/ngnix"/.test(e.message) &&
                e.message.includes("gatewaykit.dev/nginx (nginx)") && e.message.includes("gatewaykit.dev/aws-alb (aws)") &&
                e.message.includes("gatewaykit.dev/plan (plan)"));
    });

    it("fails on an unknown controllerName that arrives as an output, as the Gateway's failure", async () => {
        const err = await failureOf(runProgram(() => {
            new Gateway("gw", { gatewayClass: { name: "c", controllerName: pulumi.output("example.com/none") }, listeners: HTTP });
        }));
        assert.match(err.message, /unknown GatewayClass controllerName "example.com\/none"; known controllerNames: /);
    });

    it("fails a Gateway whose adapter cannot create a data plane in this version", async () => {
        // A capability-only adapter (as the cloud adapters were before their data planes existed).
        registerAdapter({ name: "declared-only", controllerNames: ["example.com/declared-only"], capabilities: new Set(FEATURES) });
        try {
            const err = await failureOf(runProgram(() => { seedProgram("example.com/declared-only"); }));
            assert.strictEqual(err.message, "Gateway default/mygroup-external: the declared-only adapter (controllerName example.com/declared-only) " +
                "cannot create a data plane in this version of gatewaykit; use controllerName \"gatewaykit.dev/plan\" " +
                "to compute the plan, status and routing table without a data plane");
        } finally {
            unregisterAdapter("declared-only");
        }
    });

    it("refuses a mirror on aws before creating anything, naming route, rule, feature and the adapters that support it", async () => {
        const err = await failureOf(runProgram(() => {
            const gateway = new Gateway("alb", {
                namespace: "infra",
                gatewayClass: new GatewayClass("alb", { controllerName: "gatewaykit.dev/aws-alb" }),
                listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }],
            });
            const store = new Service("store", { namespace: "team-a", port: 8080 });
            new HTTPRoute("store", {
                namespace: "team-a",
                parentRefs: [{ gateway }],
                rules: [{
                    name: "canary",
                    filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "store", port: 8080 } } }],
                    backendRefs: [{ service: store }],
                }],
            });
        }));
        assert.ok(err.message.includes(
            "HTTPRoute team-a/store rule 0 (canary) uses HTTPRouteRequestMirror, which the aws adapter does not support; " +
            "adapters that support it: nginx, gcp, kubernetes"), err.message);
        assert.deepStrictEqual(resourcesOfType("test:index:LoadBalancer"), []);
    });

    it("renders a routing table per gateway and per route (only that route's rules)", async () => {
        const { outputs } = await runProgram(() => {
            const gateway = new Gateway("gw", { gatewayClass: { name: "plan", controllerName: "gatewaykit.dev/plan" }, listeners: HTTP });
            const shop = new HTTPRoute("shop", { parentRefs: [{ gateway }], hostnames: ["shop.io"], rules: [{ matches: [{ path: { type: "Exact", value: "/cart" } }], backendRefs: [{ name: "cart", port: 80 }] }] });
            const blog = new HTTPRoute("blog", { parentRefs: [{ gateway }], hostnames: ["blog.io"], rules: [{ backendRefs: [{ name: "blog", port: 80 }] }] });
            new Service("cart", { port: 80 });
            new Service("blog", { port: 80 });
            return { gateway: gateway.routingTable, shop: shop.routingTable, blog: blog.routingTable };
        });
        assert.match(outputs.gateway, /^gateway default\/gw \(class plan\)\n  listener http HTTP :80\n/);
        assert.match(outputs.gateway, /shop\.io · Exact \/cart → default\/cart:80 +\[default\/shop rule 0\]/);
        assert.match(outputs.gateway, /blog\.io · PathPrefix \/ → default\/blog:80 +\[default\/blog rule 0\]/);
        assert.match(outputs.shop, /\[default\/shop rule 0\]/);
        assert.doesNotMatch(outputs.shop, /default\/blog/);
        assert.doesNotMatch(outputs.blog, /default\/shop/);
    });
});

/** A stand-in for a vendor resource the adapter would create. */
class TestLoadBalancer extends pulumi.CustomResource {
    constructor(name: string, props: { rules: number }, opts: pulumi.CustomResourceOptions) {
        super("test:index:LoadBalancer", name, props, opts);
    }
}

describe("components with a registered adapter", () => {
    const realized: GatewayPlan[] = [];
    const parameters: Record<string, unknown>[] = [];
    const created: TestLoadBalancer[] = [];
    const recorder: Adapter = {
        name: "recorder",
        controllerNames: ["test.gatewaykit.dev/recorder"],
        capabilities: new Set(FEATURES),
        realize(plan, ctx) {
            realized.push(plan);
            parameters.push(ctx.parameters);
            const lb = new TestLoadBalancer(`${ctx.gatewayName}-lb`, { rules: plan.listeners[0].rules.length }, { parent: ctx.parent });
            created.push(lb);
            return { addresses: lb.id.apply(id => [`${id}.example.net`]) };
        },
    };
    before(() => registerAdapter(recorder));
    after(() => unregisterAdapter("recorder"));
    beforeEach(() => {
        realized.length = 0;
        parameters.length = 0;
        created.length = 0;
    });

    it("hands realize the seed's plan with the 90/10 rule and parents its resources under the Gateway", async () => {
        const { outputs, resources } = await runProgram(() => {
            const { gateway } = seedProgram("test.gatewaykit.dev/recorder");
            return { addresses: gateway.addresses, gatewayUrn: gateway.urn };
        });
        assert.strictEqual(realized.length, 1);
        const rule = realized[0].listeners[0].rules[0];
        assert.deepStrictEqual([rule.route, rule.ruleName, rule.backends.map(b => b.weight)], ["default/mygroup", "canary", [90, 10]]);
        assert.deepStrictEqual(parameters[0], { zone: "test-zone" });
        const lb = resources.filter(r => r.type === "test:index:LoadBalancer");
        assert.deepStrictEqual(lb.map(r => [r.name, r.inputs]), [["mygroup-external-lb", { rules: 1 }]]);
        assert.deepStrictEqual(outputs.addresses, ["mygroup-external-lb-id.example.net"]);
        assert.ok(outputs.gatewayUrn.endsWith("::gatewaykit:index:Gateway::mygroup-external"), outputs.gatewayUrn);
        // A child's URN type is qualified by its parent's type.
        const lbUrn = await outputOf(created[0].urn);
        assert.ok(lbUrn.endsWith("::gatewaykit:index:Gateway$test:index:LoadBalancer::mygroup-external-lb"), lbUrn);
    });

    it("keeps the Pulumi runtime alive until the gateway has rendered (outstanding-RPC tracking)", async () => {
        // A backend address that resolves late: rendering cannot finish before it does.
        const slowAddress = new Promise<string>(resolve => setTimeout(() => resolve("10.9.9.9"), 50));
        let gateway!: Gateway;
        await pulumi.runtime.runInPulumiStack(async () => {
            gateway = new Gateway("keepalive", { gatewayClass: { name: "rec", controllerName: "test.gatewaykit.dev/recorder" }, listeners: HTTP });
            const svc = new Service("slow", { port: 80, endpoints: [{ address: slowAddress }] });
            new HTTPRoute("r", { parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: svc }] }] });
            return {};
        });
        assert.strictEqual(realized.length, 0, "the program body returned before rendering");
        await waitForRegistrations();
        assert.strictEqual(realized.length, 1, "the runtime's wait for outstanding RPCs covered rendering");
        assert.deepStrictEqual(realized[0].listeners[0].rules[0].backends[0].endpoints, [{ address: "10.9.9.9", port: 80 }]);
        assert.deepStrictEqual(await outputOf(gateway.addresses), ["keepalive-lb-id.example.net"]);
    });
});
