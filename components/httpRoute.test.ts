// Pulumi-mock tests of the HTTPRoute component against a GatewayReference from another stack:
// its status is compiled against the reference's listeners, and no data plane is created here.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GatewayReference, HTTPRoute, Service } from ".";
import { runProgram, setupMocks } from "../testing";

setupMocks();

describe("components with a GatewayReference from another stack", () => {
    const reference: GatewayReference = {
        name: "edge",
        namespace: "infra",
        className: "external-lb",
        controllerName: "gatewaykit.dev/aws-alb",
        listeners: [
            { name: "http", port: 80, protocol: "HTTP" },
            { name: "teams", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { shared: "yes" } } } } },
        ],
        namespaceLabels: { "team-b": { shared: "yes" } },
    };

    it("reports NotAllowedByListeners for a namespace the listener does not admit", async () => {
        const { outputs } = await runProgram(() => {
            const route = new HTTPRoute("app", {
                namespace: "team-c",
                parentRefs: [{ gateway: pulumi.output(reference), sectionName: "http" }],
                rules: [{ backendRefs: [{ name: "app", port: 80 }] }],
            });
            return { status: route.status };
        });
        assert.strictEqual(outputs.status.route, "team-c/app");
        const accepted = outputs.status.parents[0].conditions.find(c => c.type === "Accepted")!;
        assert.deepStrictEqual([accepted.status, accepted.reason], ["False", "NotAllowedByListeners"]);
        assert.deepStrictEqual(outputs.status.parents[0].parentRef, { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "infra", name: "edge", sectionName: "http" });
    });

    it("accepts a route from a namespace the listener's selector admits, creating no data plane", async () => {
        const { outputs, resources } = await runProgram(() => {
            new Service("app", { namespace: "team-b", port: 80 });
            const route = new HTTPRoute("app", {
                namespace: "team-b",
                parentRefs: [{ gateway: reference, sectionName: "teams" }],
                rules: [{ backendRefs: [{ name: "app", port: 80 }] }],
            });
            return { status: route.status, table: route.routingTable };
        });
        const conditions = outputs.status.parents[0].conditions;
        assert.deepStrictEqual(conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]]);
        assert.match(outputs.table, /listener teams HTTP :8080/);
        assert.deepStrictEqual(resources.filter(r => r.custom), []);
    });
});
