// Pulumi-mock tests of BackendTLSPolicy and BackendTrafficPolicy: they attach to the Services they
// target wherever a gateway reads them, their status, and failures reported on the policy.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { BackendTLSPolicy, BackendTrafficPolicy, Gateway, GatewayReference, HTTPRoute, PublishedRoutes, Service, publishRoutes } from ".";
import { failureOf, runProgram, setupMocks } from "../testing";
import { withLoggedErrors } from "../test/log-kit";

setupMocks();

const PLAN = { name: "plan", controllerName: "gatewaykit.dev/plan" };
const HTTP = [{ name: "http", port: 80, protocol: "HTTP" as const }];
const CA = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";

describe("components: backend policies", () => {
    it("a gateway's plan carries the policies of the Services its rules use; the route's retry; each policy's status", async () => {
        const { outputs } = await runProgram(() => {
            const gateway = new Gateway("gw", { gatewayClass: PLAN, listeners: HTTP });
            const api = new Service("api", { ports: [{ port: 443, name: "https" }], endpoints: [{ address: "10.0.0.1" }] });
            new HTTPRoute("r", {
                parentRefs: [{ gateway }],
                rules: [{ backendRefs: [{ service: api }], retry: { codes: [503], attempts: 2 } }],
            });
            const tls = new BackendTLSPolicy("api-tls", { targetRefs: [{ service: api, sectionName: "https" }], validation: { hostname: "api.internal", caCertificates: { "api-ca": CA } } });
            const lb = new BackendTrafficPolicy("api-lb", { targetRefs: [api], loadBalancer: { type: "LeastRequest" } });
            const later = new BackendTrafficPolicy("zz-lb", { targetRefs: [api], loadBalancer: { type: "Random" } });
            const lost = new BackendTrafficPolicy("lost", { targetRefs: [{ name: "nowhere" }], loadBalancer: { type: "Random" } });
            return { plan: gateway.plan, tls: tls.status, lb: lb.status, later: later.status, lost: lost.status };
        });
        const b = outputs.plan.listeners[0].rules[0].backends[0];
        assert.strictEqual(b.tls?.policy, "default/api-tls");
        assert.deepStrictEqual(b.tls?.ca, { kind: "pem", refs: ["default/api-ca"], pem: [CA] });
        assert.strictEqual(b.traffic?.policy, "default/api-lb");
        assert.deepStrictEqual(b.traffic?.loadBalancer, { type: "LeastRequest" });
        assert.deepStrictEqual(outputs.plan.listeners[0].rules[0].retry, { codes: [503], attempts: 2 });
        assert.strictEqual(outputs.tls.conditions[0].status, "True");
        assert.strictEqual(outputs.lb.conditions[0].status, "True");
        assert.strictEqual(outputs.later.conditions[0].reason, "Conflicted");
        assert.strictEqual(outputs.lost.conditions[0].reason, "TargetNotFound");
        assert.match(outputs.lost.conditions[0].message, /default\/nowhere/);
    });

    it("a bad policy fails the run, logged on the policy with its field and fix", async () => {
        const { errors: logged } = await withLoggedErrors(async () => {
            const err = await failureOf(runProgram(() => {
                const gateway = new Gateway("gw", { gatewayClass: PLAN, listeners: HTTP });
                const api = new Service("api", { port: 8080, endpoints: [{ address: "10.0.0.1" }] });
                new HTTPRoute("r", { parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: api }] }] });
                new BackendTLSPolicy("bad", { targetRefs: [api], validation: { hostname: "api.internal" } });
            }));
            assert.ok(pulumi.ResourceError.isInstance(err), String(err));
        });
        {
            const onPolicy = logged.find(l => /BackendTLSPolicy default\/bad/.test(l.message));
            assert.ok(onPolicy, JSON.stringify(logged.map(l => l.message)));
            assert.match(onPolicy.message, /spec\.validation: must specify either caCertificateRefs or wellKnownCACertificates/);
            assert.strictEqual((onPolicy.resource as { label?: string } | undefined)?.label, "default/bad");
        }
    });

    it("travel with their Service to another stack: a route against a GatewayReference, and publishRoutes", async () => {
        const operator = await runProgram(() => {
            const gateway = new Gateway("gw", { gatewayClass: PLAN, listeners: [{ ...HTTP[0], allowedRoutes: { namespaces: { from: "All" } } }] });
            return { reference: gateway.reference };
        });
        const team = await runProgram(() => {
            const api = new Service("api", { namespace: "team-a", port: 8080, endpoints: [{ address: "10.0.0.1" }] });
            const route = new HTTPRoute("r", { namespace: "team-a", parentRefs: [{ gateway: operator.outputs.reference as GatewayReference }], rules: [{ backendRefs: [{ service: api }] }] });
            new BackendTrafficPolicy("api-hash", { targetRefs: [api], loadBalancer: { type: "ConsistentHash", consistentHash: { type: "SourceIP" } } });
            return { published: publishRoutes([route]), status: route.status };
        });
        const published = team.outputs.published as PublishedRoutes;
        assert.strictEqual(published.services.length, 1);
        assert.deepStrictEqual(published.services[0].backendTrafficPolicies?.map(p => [p.namespace, p.name, p.loadBalancer?.type]), [["team-a", "api-hash", "ConsistentHash"]]);
        assert.strictEqual(team.outputs.status.parents[0].conditions.find(c => c.type === "Accepted")?.status, "True");
    });

    it("refuses a policy without targets at construction", () => {
        assert.throws(() => new BackendTrafficPolicy("none", { targetRefs: [] }), /BackendTrafficPolicy none: set targetRefs/);
    });
});
