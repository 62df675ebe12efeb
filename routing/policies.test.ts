// Backend policies in the plan: which BackendTLSPolicy / BackendTrafficPolicy applies to a backend
// (sectionName over the whole Service, then the first by namespace/name), their statuses, the
// features they need, and validation of their CRD rules; rule retry and sessionPersistence.

import { strict as assert } from "assert";
import { compile } from "./compile";
import { GatewayValidationError } from "./errors";
import { featuresOfRule } from "./features";
import { PlanRule } from "./plan";
import { CompileInput } from "./plan";
import { BackendTLSPolicySpec, BackendTrafficPolicySpec, HTTPRouteRule, ServiceSpec } from "./types";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function tlsPolicy(name: string, target: { name: string; sectionName?: string }, extra: Partial<BackendTLSPolicySpec["validation"]> = {}): BackendTLSPolicySpec {
    return {
        name, namespace: "shop",
        targetRefs: [{ group: "", kind: "Service", ...target }],
        validation: { hostname: "api.internal", caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "ca" }], ...extra },
        caCertificates: { ca: CA },
    };
}

function input(svc: ServiceSpec, rules: HTTPRouteRule[] = [{ backendRefs: [{ name: "api", port: 443 }, { name: "api", port: 8080 }] }]): CompileInput {
    return {
        gatewayClasses: [{ name: "gk", controllerName: "gatewaykit.dev/plan" }],
        gateways: [{ name: "gw", namespace: "shop", gatewayClassName: "gk", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
        routes: [{ name: "r", namespace: "shop", parentRefs: [{ name: "gw" }], rules }],
        services: [svc],
    };
}

const SERVICE: ServiceSpec = { name: "api", namespace: "shop", ports: [{ port: 443, name: "https" }, { port: 8080, name: "http" }], endpoints: [{ address: "10.0.0.1" }] };

function rules(i: CompileInput): PlanRule[] {
    return compile(i).gateways[0].listeners[0].rules;
}

describe("backend policies: BackendTLSPolicy in the plan", () => {
    it("a policy naming the port by sectionName beats one on the whole Service; the first by name wins among equals", () => {
        const svc: ServiceSpec = { ...SERVICE, backendTLSPolicies: [
            tlsPolicy("b-whole", { name: "api" }),
            tlsPolicy("a-whole", { name: "api" }, { hostname: "whole.internal" }),
            tlsPolicy("z-port", { name: "api", sectionName: "https" }, { hostname: "port.internal" }),
        ] };
        const plan = compile(input(svc));
        const [r] = plan.gateways[0].listeners[0].rules;
        assert.equal(r.backends[0].tls?.policy, "shop/z-port");
        assert.equal(r.backends[0].tls?.hostname, "port.internal");
        assert.deepEqual(r.backends[0].tls?.ca, { kind: "pem", refs: ["shop/ca"], pem: [CA] });
        assert.equal(r.backends[1].tls?.policy, "shop/a-whole");
        const statuses = Object.fromEntries(plan.policies!.map(p => [p.policy, p.conditions[0]]));
        assert.equal(statuses["shop/z-port"].status, "True");
        assert.equal(statuses["shop/a-whole"].status, "True");
        assert.equal(statuses["shop/b-whole"].reason, "Conflicted");
        assert.match(statuses["shop/b-whole"].message, /shop\/a-whole/);
    });

    it("wellKnownCACertificates System and subjectAltNames; the features name BackendTLSPolicy and its SAN validation", () => {
        const svc: ServiceSpec = { ...SERVICE, backendTLSPolicies: [{
            name: "sys", namespace: "shop", targetRefs: [{ group: "", kind: "Service", name: "api" }],
            validation: { hostname: "api.internal", wellKnownCACertificates: "System", subjectAltNames: [{ type: "URI", uri: "spiffe://c/ns/shop/sa/api" }] },
        }] };
        const [r] = rules(input(svc));
        assert.deepEqual(r.backends[0].tls?.ca, { kind: "system" });
        assert.deepEqual(r.backends[0].tls?.subjectAltNames, [{ type: "URI", value: "spiffe://c/ns/shop/sa/api" }]);
        assert.deepEqual(featuresOfRule(r).filter(f => f.startsWith("BackendTLS")), ["BackendTLSPolicy", "BackendTLSPolicySANValidation"]);
    });

    it("a Service without policies gives backends without tls or traffic", () => {
        const [r] = rules(input(SERVICE));
        assert.equal(r.backends[0].tls, undefined);
        assert.equal(r.backends[0].traffic, undefined);
        assert.equal(compile(input(SERVICE)).policies, undefined);
    });

    it("refuses, naming the policy and field: both CA kinds, neither, a missing PEM, an unknown port name, another kind, options", () => {
        const cases: [Partial<BackendTLSPolicySpec>, RegExp][] = [
            [{ validation: { hostname: "a.b", wellKnownCACertificates: "System", caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "ca" }] } }, /must not contain both caCertificateRefs and wellKnownCACertificates/],
            [{ validation: { hostname: "a.b" }, caCertificates: undefined }, /must specify either caCertificateRefs or wellKnownCACertificates/],
            [{ caCertificates: {} }, /spec\.caCertificates\.ca.*InvalidCACertificateRef/],
            [{ targetRefs: [{ group: "", kind: "Service", name: "api", sectionName: "grpc" }] }, /sectionName.*names no port of Service shop\/api.*'https', 'http'/],
            [{ targetRefs: [{ group: "", kind: "Deployment", name: "api" }] }, /kind.*must be 'Service'/],
            [{ options: { "tls.minVersion": "1.3" } }, /spec\.options\.tls\.minVersion.*remove it/],
            [{ validation: { hostname: "*.internal", wellKnownCACertificates: "System" }, caCertificates: undefined }, /hostname.*without a wildcard/],
        ];
        for (const [patch, want] of cases) {
            const svc: ServiceSpec = { ...SERVICE, backendTLSPolicies: [{ ...tlsPolicy("p", { name: "api" }), ...patch }] };
            assert.throws(() => compile(input(svc)), (e: unknown) => e instanceof GatewayValidationError && /BackendTLSPolicy shop\/p/.test(e.message) && want.test(e.message), JSON.stringify(patch));
        }
    });
});

describe("backend policies: BackendTrafficPolicy in the plan", () => {
    const traffic = (name: string, extra: Partial<BackendTrafficPolicySpec>): BackendTrafficPolicySpec =>
        ({ name, namespace: "shop", targetRefs: [{ group: "", kind: "Service", name: "api" }], ...extra });

    it("resolves loadBalancer, sessionPersistence and health-check defaults onto every port's backends", () => {
        const svc: ServiceSpec = { ...SERVICE, backendTrafficPolicies: [traffic("lb", {
            loadBalancer: { type: "ConsistentHash", consistentHash: { type: "Header", header: { name: "x-user" } } },
            sessionPersistence: { sessionName: "gk", type: "Cookie", cookieConfig: { lifetimeType: "Permanent" }, absoluteTimeout: "1h" },
            healthCheck: { active: { path: "/healthz" }, passive: {} },
        })] };
        const [r] = rules(input(svc));
        for (const b of r.backends) {
            assert.equal(b.traffic?.policy, "shop/lb");
            assert.deepEqual(b.traffic?.sessionPersistence, { type: "Cookie", sessionName: "gk", lifetimeType: "Permanent", absoluteTimeoutMs: 3_600_000 });
            assert.deepEqual(b.traffic?.healthCheck, {
                active: { path: "/healthz", intervalMs: 10_000, timeoutMs: 5_000, healthyThreshold: 2, unhealthyThreshold: 2 },
                passive: { consecutiveFailures: 5, intervalMs: 10_000 },
            });
        }
        const f = featuresOfRule(r);
        for (const want of ["BackendLoadBalancingConsistentHash", "SessionPersistenceCookie", "BackendActiveHealthCheck", "BackendPassiveHealthCheck"]) assert.ok(f.includes(want as never), want);
    });

    it("refuses a sectionName, a Permanent cookie without absoluteTimeout, consistentHash without ConsistentHash, a timeout above the interval", () => {
        const cases: [Partial<BackendTrafficPolicySpec>, RegExp][] = [
            [{ targetRefs: [{ group: "", kind: "Service", name: "api", sectionName: "http" }] }, /sectionName.*whole Service/],
            [{ sessionPersistence: { cookieConfig: { lifetimeType: "Permanent" } } }, /absoluteTimeout.*is required when cookieConfig\.lifetimeType is Permanent/],
            [{ sessionPersistence: { type: "Header", cookieConfig: {} } }, /cookieConfig.*only be set with type Cookie/],
            [{ loadBalancer: { type: "Random", consistentHash: { type: "SourceIP" } } }, /consistentHash.*only be set with type ConsistentHash/],
            [{ loadBalancer: { type: "ConsistentHash" } }, /consistentHash.*is required/],
            [{ loadBalancer: { type: "ConsistentHash", consistentHash: { type: "Cookie", cookie: { name: "a;b" } } } }, /cookie\.name.*cookie name/],
            [{ healthCheck: { active: { interval: "2s", timeout: "3s" } } }, /timeout.*must not be longer than the interval/],
        ];
        for (const [patch, want] of cases) {
            const svc: ServiceSpec = { ...SERVICE, backendTrafficPolicies: [traffic("p", patch)] };
            assert.throws(() => compile(input(svc)), (e: unknown) => e instanceof GatewayValidationError && /BackendTrafficPolicy shop\/p/.test(e.message) && want.test(e.message), JSON.stringify(patch));
        }
    });
});

describe("backend policies: rule retry and sessionPersistence", () => {
    it("a rule's retry is sorted and de-duplicated with backoff in ms, and needs HTTPRouteRetry (+ BackendTimeout with a backendRequest timeout)", () => {
        const [r] = rules(input(SERVICE, [{ backendRefs: [{ name: "api", port: 8080 }], retry: { codes: [503, 500], attempts: 2, backoff: "100ms" }, timeouts: { backendRequest: "1s" } }]));
        assert.deepEqual(r.retry, { codes: [500, 503], attempts: 2, backoffMs: 100 });
        const f = featuresOfRule(r);
        for (const want of ["HTTPRouteRetry", "HTTPRouteRetryConnectionError", "HTTPRouteRetryBackendTimeout"]) assert.ok(f.includes(want as never), want);
    });

    it("refuses codes outside 400–599, repeated codes, attempts below 1, a bad session name", () => {
        const cases: [HTTPRouteRule, RegExp][] = [
            [{ retry: { codes: [302] } }, /retry\.codes\[0\]/],
            [{ retry: { codes: [503, 503] } }, /codes\[1\].*listed twice/],
            [{ retry: { attempts: 0 } }, /retry\.attempts/],
            [{ sessionPersistence: { sessionName: "a b" } }, /sessionName.*HTTP token/],
        ];
        for (const [rule, want] of cases) {
            assert.throws(() => compile(input(SERVICE, [{ backendRefs: [{ name: "api", port: 8080 }], ...rule }])), (e: unknown) => e instanceof GatewayValidationError && want.test(e.message), JSON.stringify(rule));
        }
    });
});
