// Pulumi-mock tests of the GRPCRoute component: on a Gateway beside HTTPRoutes, against another
// stack's GatewayReference, and refused by adapters that do not carry gRPC yet.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayReference, GRPCRoute, HTTPRoute, Service } from ".";
import { simulateGRPC } from "../routing/simulate";
import { failureOf, outputOf, routeGRPCCall, runProgram, setupMocks } from "../testing";

setupMocks();

const HTTP = [{ name: "http", port: 80, protocol: "HTTP" as const }];
const PLAN = { name: "plan", controllerName: "gatewaykit.dev/plan" };

describe("GRPCRoute component", () => {
    it("routes by service and method beside an HTTPRoute on another hostname: plan, status, table and gRPC calls", async () => {
        let gateway!: Gateway;
        const { outputs, resources } = await runProgram(() => {
            gateway = new Gateway("gw", { gatewayClass: PLAN, listeners: HTTP });
            const stable = new Service("greeter", { port: 50051, endpoints: [{ address: "10.0.0.1" }] });
            const canary = new Service("greeter-canary", { port: 50051, endpoints: [{ address: "10.0.0.2" }] });
            const grpc = new GRPCRoute("greeter", {
                parentRefs: [{ gateway }],
                hostnames: ["grpc.example.com"],
                rules: [
                    { name: "say-hello", matches: [{ method: { service: "helloworld.Greeter", method: "SayHello" } }], backendRefs: [{ service: stable, weight: 90 }, { service: canary, weight: 10 }] },
                    { matches: [{ method: { service: "helloworld.Greeter" }, headers: [{ name: "x-canary", value: "1" }] }], backendRefs: [{ service: canary }] },
                ],
            });
            const web = new HTTPRoute("web", { parentRefs: [{ gateway }], hostnames: ["www.example.com"], rules: [{ backendRefs: [{ name: "greeter", port: 50051 }] }] });
            return { plan: gateway.plan, grpc: grpc.status, grpcTable: grpc.routingTable, web: web.status, spec: grpc.spec };
        });
        const rules = outputs.plan.listeners[0].rules;
        assert.deepStrictEqual(rules.map(r => [r.route, r.protocol ?? "http"]), [
            ["default/greeter", "grpc"], ["default/greeter", "grpc"], ["default/web", "http"],
        ]);
        assert.strictEqual(outputs.grpc.kind, "GRPCRoute");
        assert.deepStrictEqual(outputs.grpc.parents[0].conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]]);
        assert.deepStrictEqual(outputs.web.parents[0].conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]]);
        // The route's own table has only its lines, in gRPC terms.
        assert.match(outputs.grpcTable, /grpc\.example\.com · gRPC helloworld\.Greeter\/SayHello → default\/greeter:50051 90%, default\/greeter-canary:50051 10%  \[GRPCRoute default\/greeter rule say-hello\]/);
        assert.match(outputs.grpcTable, /gRPC helloworld\.Greeter\/\* · header x-canary=1 → default\/greeter-canary:50051/);
        assert.doesNotMatch(outputs.grpcTable, /www\.example\.com/);
        // Service components became names and their one port.
        assert.deepStrictEqual(outputs.spec.rules![0].backendRefs!.map(b => [b.name, b.port, b.weight]), [["greeter", 50051, 90], ["greeter-canary", 50051, 10]]);
        assert.strictEqual(resources.filter(r => r.type === "gatewaykit:index:GRPCRoute").length, 1);

        const routing = { gateways: [outputs.plan], routes: [] };
        const hello = simulateGRPC(routing, { host: "grpc.example.com", service: "helloworld.Greeter", method: "SayHello" });
        assert.deepStrictEqual(hello.outcomes.map(o => [o.backend?.service, o.probability]), [["default/greeter", 0.9], ["default/greeter-canary", 0.1]]);
        assert.strictEqual(simulateGRPC(routing, { host: "grpc.example.com", service: "helloworld.Greeter", method: "Other" }).grpcStatus, "UNIMPLEMENTED");
        assert.strictEqual(simulateGRPC(routing, { host: "grpc.example.com", service: "helloworld.Greeter", method: "Other", metadata: { "X-Canary": "1" } }).outcomes[0].backend?.service, "default/greeter-canary");
        const viaKit = await routeGRPCCall(gateway, { host: "www.example.com", service: "helloworld.Greeter", method: "SayHello" });
        assert.strictEqual(viaKit.matched?.route, "default/web"); // that host is the HTTPRoute's
        assert.strictEqual((await routeGRPCCall(gateway, { host: "other.example.com", service: "a.B", method: "C" })).grpcStatus, "UNIMPLEMENTED");
    });

    it("reports the HTTPRoute that wins a shared hostname on the GRPCRoute's status", async () => {
        const { outputs } = await runProgram(() => {
            const gateway = new Gateway("gw", { gatewayClass: PLAN, listeners: HTTP });
            const grpc = new GRPCRoute("b-api", { parentRefs: [{ gateway }], hostnames: ["api.example.com"], rules: [{ backendRefs: [{ name: "api", port: 50051 }] }] });
            new HTTPRoute("a-api", { parentRefs: [{ gateway }], hostnames: ["api.example.com"], rules: [{ backendRefs: [{ name: "api", port: 8080 }] }] });
            return { status: grpc.status, table: grpc.routingTable };
        });
        const accepted = outputs.status.parents[0].conditions.find(c => c.type === "Accepted")!;
        assert.deepStrictEqual([accepted.status, accepted.reason], ["False", "NotAllowedByListeners"]);
        assert.match(accepted.message, /HTTPRoute default\/a-api claims the same hostnames/);
        assert.match(outputs.status.warnings.join("\n"), /shares a hostname with this GRPCRoute/);
        assert.match(outputs.table, /\(no rules\)/);
    });

    it("names the GRPCRoute and field of an invalid route in the failure", async () => {
        const err = await failureOf(runProgram(() => {
            const gateway = new Gateway("gw", { gatewayClass: PLAN, listeners: HTTP });
            new GRPCRoute("bad", { parentRefs: [{ gateway }], rules: [{ matches: [{ method: { service: "helloworld/Greeter" } }] }] });
        }));
        assert.ok(pulumi.ResourceError.isInstance(err), `expected a ResourceError, got ${err}`);
        assert.match(err.message, /GRPCRoute default\/bad: spec\.rules\[0\]\.matches\[0\]\.method\.service: must be a gRPC service name/);
    });

    it("is refused on an nginx gateway when it shares a cleartext port with an HTTPRoute, before anything is created, saying why", async () => {
        const err = await failureOf(runProgram(() => {
            const gateway = new Gateway("edge", { gatewayClass: { name: "nginx", controllerName: "gatewaykit.dev/nginx" }, listeners: HTTP });
            new GRPCRoute("greeter", { hostnames: ["rpc.example.com"], parentRefs: [{ gateway }], rules: [{ backendRefs: [{ name: "greeter", port: 50051 }] }] });
            new HTTPRoute("web", { hostnames: ["www.example.com"], parentRefs: [{ gateway }], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] });
        }));
        assert.match(err.message, /Gateway default\/edge: the nginx data plane refuses this configuration: .*GRPCRoute default\/greeter and HTTPRoute default\/web share the cleartext port/);
    });

    it("computes its status against another stack's GatewayReference, and is refused there by an adapter that cannot carry its match", async () => {
        const reference: GatewayReference = {
            name: "edge", namespace: "infra", className: "shared", controllerName: "gatewaykit.dev/plan",
            listeners: [{ name: "grpc", port: 8443, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" }, kinds: [{ kind: "GRPCRoute" }] } }],
            namespaceLabels: {},
        };
        const { outputs } = await runProgram(() => {
            const route = new GRPCRoute("greeter", { namespace: "team-a", parentRefs: [{ gateway: reference }], rules: [{ backendRefs: [{ name: "greeter", port: 50051 }] }] });
            const web = new HTTPRoute("web", { namespace: "team-a", parentRefs: [{ gateway: reference }], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] });
            return { status: route.status, web: web.status };
        });
        assert.deepStrictEqual(outputs.status.parents[0].conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "False"]]);
        const web = outputs.web.parents[0].conditions.find(c => c.type === "Accepted")!;
        assert.deepStrictEqual([web.status, web.reason], ["False", "NotAllowedByListeners"]);

        // A method without a service is a regex path, which an ALB cannot match: refused in the team's stack.
        const err = await failureOf(runProgram(() => {
            new GRPCRoute("greeter", { namespace: "team-a", parentRefs: [{ gateway: { ...reference, controllerName: "gatewaykit.dev/aws-alb" } }], rules: [{ matches: [{ method: { method: "SayHello" } }] }] });
        }));
        assert.match(err.message, /GRPCRoute team-a\/greeter rule 0 uses GRPCRouteRegexMethodMatching, which the aws adapter does not support/);
    });

    it("refuses a late GRPCRoute with the route's kind in the message", async () => {
        let gateway!: Gateway;
        await runProgram(() => { gateway = new Gateway("gw", { gatewayClass: PLAN, listeners: HTTP }); });
        await outputOf(gateway.plan);
        assert.throws(() => new GRPCRoute("late", { parentRefs: [{ gateway }] }), /GRPCRoute default\/late attached to Gateway default\/gw after the gateway rendered/);
    });
});
