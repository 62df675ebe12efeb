// The testing kit used the way a user's own mocha tests would use it.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../index";
import { failureOf, outputOf, recordedResources, resourcesOfType, routeRequest, runProgram, setupMocks } from ".";

// Safe to call in every test file: the mocks are installed once per process.
setupMocks();

/** A user's program: one team's canary behind a shared gateway of the "plan" class. */
function program(canaryWeight: number) {
    const cls = new GatewayClass("dry-run", { controllerName: "gatewaykit.dev/plan" });
    const gateway = new Gateway("web", { gatewayClass: cls, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
    const stable = new Service("api", { port: 8080, endpoints: [{ address: "10.0.0.10" }] });
    const canary = new Service("api-canary", { port: 8080, endpoints: [{ address: "10.0.0.11" }] });
    const route = new HTTPRoute("api", {
        parentRefs: [{ gateway }],
        hostnames: ["api.example.com"],
        rules: [{ backendRefs: [{ service: stable, weight: 100 - canaryWeight }, { service: canary, weight: canaryWeight }] }],
    });
    return { gateway, route };
}

describe("testing kit", () => {
    it("runs a program, records its resources and resolves its outputs", async () => {
        let made!: ReturnType<typeof program>;
        const { resources, outputs } = await runProgram(() => {
            made = program(25);
            return { address: made.gateway.addresses, attached: made.gateway.status.apply(s => s.listeners[0].attachedRoutes) };
        });
        assert.deepStrictEqual(resources.map(r => r.type).sort(), [
            "gatewaykit:index:Gateway", "gatewaykit:index:GatewayClass", "gatewaykit:index:HTTPRoute",
            "gatewaykit:index:Service", "gatewaykit:index:Service",
        ]);
        assert.deepStrictEqual(outputs, { address: [], attached: 1 });
        assert.deepStrictEqual(resourcesOfType("gatewaykit:index:Service").map(r => r.name), ["api", "api-canary"]);

        const result = await routeRequest(made.gateway, { host: "api.example.com", path: "/v1/users" });
        assert.deepStrictEqual(result.outcomes.map(o => [o.backend?.endpoints[0].address, o.probability]), [["10.0.0.10", 0.75], ["10.0.0.11", 0.25]]);
        assert.match(await outputOf(made.route.routingTable), /api\.example\.com · PathPrefix \/ → default\/api:8080 75%, default\/api-canary:8080 25%/);
    });

    it("starts each run with fresh records, so runs do not see each other's resources", async () => {
        await runProgram(() => { program(10); });
        const first = recordedResources().length;
        await runProgram(() => { new Service("lonely", { port: 80 }); });
        assert.ok(first > 1);
        assert.deepStrictEqual(recordedResources().map(r => r.name), ["lonely"]);
    });

    it("rejects runProgram with the Gateway's failure", async () => {
        await assert.rejects(runProgram(() => {
            const { gateway } = program(10);
            new HTTPRoute("broken", { parentRefs: [{ gateway }], hostnames: ["Bad_Host"], rules: [{ backendRefs: [{ name: "api", port: 8080 }] }] });
        }), (e: Error) => /HTTPRoute default\/broken: spec\.hostnames\[0\]/.test(e.message));
    });

    it("failureOf returns a program's failure and itself fails when the program succeeds", async () => {
        const err = await failureOf(runProgram(() => { throw new Error("boom"); }));
        assert.match(err.message, /boom/);
        await assert.rejects(failureOf(Promise.resolve(1)), /expected a failure, but it succeeded/);
    });

    it("outputOf resolves plain values, promises and outputs alike", async () => {
        assert.strictEqual(await outputOf(7), 7);
        assert.deepStrictEqual(await outputOf(pulumi.output({ a: Promise.resolve("x") })), { a: "x" });
        await assert.rejects(outputOf(pulumi.output(Promise.reject(new Error("boom")))), /boom/);
    });
});
