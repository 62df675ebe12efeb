// Backend policies on the aws adapter under Pulumi mocks: a BackendTrafficPolicy becomes attributes
// of its Service's target groups (algorithm, stickiness, health check) and wins over the class
// parameters for that Service only; a rule's sessionPersistence becomes stickiness where every rule
// on the group agrees (and forward.stickiness on a weighted rule); what ALB cannot do is refused
// before any resource exists, with the reason.

import * as assert from "assert";
import { BackendTLSPolicy, BackendTrafficPolicy, Gateway, HTTPRoute, Service } from "../components";
import type { BackendTrafficPolicyArgs } from "../components/backendPolicies";
import { RecordedResource, failureOf, resourcesOfType, runProgram, setupMocks } from "../testing";

setupMocks();

const BASE = { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1" };
const LB = "aws:lb/loadBalancer:LoadBalancer";
const TG = "aws:lb/targetGroup:TargetGroup";
const RULE = "aws:lb/listenerRule:ListenerRule";

type Rules = ConstructorParameters<typeof HTTPRoute>[1]["rules"];

/** A gateway with Services api and web (team-a) and the route's rules; `policy` goes on api. */
function program(aws: Record<string, unknown>, rules: Rules, policy?: Omit<BackendTrafficPolicyArgs, "targetRefs">, tls = false) {
    return () => {
        const gateway = new Gateway("edge", { namespace: "infra", gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws } },
            listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] });
        const api = new Service("api", { namespace: "team-a", port: 8080, endpoints: [{ address: "10.0.0.1" }, { address: "10.0.0.2" }] });
        new Service("web", { namespace: "team-a", port: 8080, endpoints: [{ address: "10.0.0.3" }] });
        if (policy) new BackendTrafficPolicy("api-traffic", { targetRefs: [api], ...policy });
        if (tls) new BackendTLSPolicy("api-tls", { targetRefs: [api], validation: { hostname: "api.internal", wellKnownCACertificates: "System" } });
        new HTTPRoute("app", { namespace: "team-a", parentRefs: [{ gateway }], rules });
    };
}

const both: Rules = [
    { name: "api", matches: [{ path: { value: "/api" } }], backendRefs: [{ name: "api", port: 8080 }] },
    { name: "web", matches: [{ path: { value: "/" } }], backendRefs: [{ name: "web", port: 8080 }] },
];

const groupOf = (service: string): RecordedResource => {
    const g = resourcesOfType(TG).find(t => (t.inputs.tags as Record<string, string>)["gatewaykit:service"] === `team-a/${service}:8080`);
    assert.ok(g, `a target group for ${service}`);
    return g;
};

async function refusal(p: () => void): Promise<string> {
    const err = await failureOf(runProgram(p));
    assert.deepStrictEqual(resourcesOfType(LB), [], "no ALB was declared");
    assert.deepStrictEqual(resourcesOfType(TG), []);
    return err.message;
}

describe("aws: backend policies on target groups (mocks)", () => {
    it("LeastRequest, Cookie persistence and an active health check become the api group's attributes; the policy wins over the class's for api only", async () => {
        await runProgram(program({ ...BASE, loadBalancingAlgorithm: "weighted_random", healthCheck: { path: "/healthz", intervalSeconds: 30 } }, both, {
            loadBalancer: { type: "LeastRequest" },
            sessionPersistence: { type: "Cookie", absoluteTimeout: "1h", cookieConfig: { lifetimeType: "Permanent" } },
            healthCheck: { active: { path: "/ready", interval: "15s", timeout: "3s", healthyThreshold: 3, unhealthyThreshold: 4 } },
        }));
        const api = groupOf("api"), web = groupOf("web");
        assert.strictEqual(api.inputs.loadBalancingAlgorithmType, "least_outstanding_requests");
        assert.deepStrictEqual(api.inputs.stickiness, { type: "lb_cookie", cookieDuration: 3600, enabled: true });
        assert.deepStrictEqual(api.inputs.healthCheck, { enabled: true, path: "/ready", matcher: "200-399", interval: 15, timeout: 3, healthyThreshold: 3, unhealthyThreshold: 4 });
        // web has no policy: the class's algorithm and health check, no stickiness.
        assert.strictEqual(web.inputs.loadBalancingAlgorithmType, "weighted_random");
        assert.strictEqual(web.inputs.stickiness, undefined);
        assert.deepStrictEqual(web.inputs.healthCheck, { enabled: true, path: "/healthz", matcher: "200-399", interval: 30 });
    });

    it("Random is weighted_random; RoundRobin is round_robin even when the class says otherwise", async () => {
        await runProgram(program(BASE, both, { loadBalancer: { type: "Random" } }));
        assert.strictEqual(groupOf("api").inputs.loadBalancingAlgorithmType, "weighted_random");
        assert.strictEqual(groupOf("web").inputs.loadBalancingAlgorithmType, undefined);
        await runProgram(program({ ...BASE, loadBalancingAlgorithm: "least_outstanding_requests" }, both, { loadBalancer: { type: "RoundRobin" } }));
        assert.strictEqual(groupOf("api").inputs.loadBalancingAlgorithmType, "round_robin");
        assert.strictEqual(groupOf("web").inputs.loadBalancingAlgorithmType, "least_outstanding_requests");
    });

    it("a weighted rule's sessionPersistence: stickiness on both groups and forward.stickiness on the rule", async () => {
        await runProgram(program(BASE, [{
            matches: [{ path: { value: "/" } }], sessionPersistence: { absoluteTimeout: "10m" },
            backendRefs: [{ name: "api", port: 8080, weight: 90 }, { name: "web", port: 8080, weight: 10 }],
        }]));
        for (const s of ["api", "web"]) assert.deepStrictEqual(groupOf(s).inputs.stickiness, { type: "lb_cookie", cookieDuration: 600, enabled: true });
        const [rule] = resourcesOfType(RULE);
        const forward = (rule.inputs.actions as { forward: { stickiness?: unknown } }[])[0].forward;
        assert.deepStrictEqual(forward.stickiness, { enabled: true, duration: 600 });
    });

    it("refuses a rule's sessionPersistence on a group another rule forwards to without it, naming both rules", async () => {
        const message = await refusal(program(BASE, [
            { name: "sticky", matches: [{ path: { value: "/cart" } }], sessionPersistence: { absoluteTimeout: "10m" }, backendRefs: [{ name: "api", port: 8080 }] },
            { name: "plain", matches: [{ path: { value: "/" } }], backendRefs: [{ name: "api", port: 8080 }] },
        ]));
        assert.match(message, /HTTPRoute team-a\/app rule 0 \(sticky\): its sessionPersistence makes the target group of Service team-a\/api port 8080 sticky, .*which HTTPRoute team-a\/app rule 1 \(plain\) forwards to without persistence/);
    });

    it("refuses a sessionName (ALB's cookie is AWSALB) and health-check values outside ALB's ranges", async () => {
        const message = await refusal(program(BASE, both, {
            sessionPersistence: { sessionName: "SHOP" },
            healthCheck: { active: { interval: "3s", timeout: "3s", healthyThreshold: 1 } },
        }));
        assert.match(message, /BackendTrafficPolicy team-a\/api-traffic \(on Service team-a\/api port 8080\): sessionPersistence\.sessionName "SHOP" cannot be carried: an ALB names the cookie it issues AWSALB/);
        assert.match(message, /healthCheck\.active\.interval of 3000 ms: ALB takes whole seconds from 5 to 300/);
        assert.match(message, /healthCheck\.active\.timeout \(3 s\) must be below its interval \(3 s\)/);
        assert.match(message, /healthCheck\.active\.healthyThreshold 1: ALB takes 2 to 10/);
    });

    it("refuses ConsistentHash, Header persistence, passive health checks, retries and BackendTLSPolicy, each with ALB's reason", async () => {
        const cases: [Omit<BackendTrafficPolicyArgs, "targetRefs"> | undefined, Rules, boolean, RegExp][] = [
            [{ loadBalancer: { type: "ConsistentHash", consistentHash: { type: "SourceIP" } } }, both, false, /uses BackendLoadBalancingConsistentHash, which the aws adapter does not support \(ALB's target-group algorithms are round_robin/],
            [{ sessionPersistence: { type: "Header", sessionName: "x-session" } }, both, false, /uses SessionPersistenceHeader, .*ALB stickiness is a cookie \(AWSALB\) only/],
            [{ healthCheck: { passive: { consecutiveFailures: 3 } } }, both, false, /uses BackendPassiveHealthCheck, .*anomaly mitigation\), which runs only with the weighted_random algorithm/],
            [undefined, [{ retry: { codes: [503], attempts: 2 }, backendRefs: [{ name: "api", port: 8080 }] }], false, /uses HTTPRouteRetry, which the aws adapter does not support \(an ALB never retries a request/],
            [undefined, both, true, /uses BackendTLSPolicy, which the aws adapter does not support \(an ALB encrypts to HTTPS targets \(target group protocol HTTPS\) but verifies no certificate/],
        ];
        for (const [policy, rules, tls, expected] of cases) {
            assert.match(await refusal(program(BASE, rules, policy, tls)), expected);
        }
    });
});
