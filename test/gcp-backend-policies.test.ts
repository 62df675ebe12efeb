// Backend policies on the gcp adapter under Pulumi mocks: a BackendTrafficPolicy becomes its
// Service's backend service settings (localityLbPolicy, consistentHash, sessionAffinity, health
// check, outlierDetection), a BackendTLSPolicy HTTPS with tlsSettings over a
// BackendAuthenticationConfig and TrustConfig, a rule's retry the URL map's retryPolicy; what GCP
// cannot express is refused before any resource exists.

import { strict as assert } from "assert";
import { BackendTLSPolicy, BackendTrafficPolicy, Gateway, HTTPRoute, Service } from "../components";
import type { BackendTLSPolicyArgs, BackendTrafficPolicyArgs } from "../components/backendPolicies";
import { RecordedResource, failureOf, recordedResources, resourcesOfType, runProgram, setupMocks } from "../testing";

setupMocks();

const BS = "gcp:compute/backendService:BackendService";
const HC = "gcp:compute/healthCheck:HealthCheck";
const URL_MAP = "gcp:compute/uRLMap:URLMap";
const TRUST = "gcp:certificatemanager/trustConfig:TrustConfig";
const AUTH = "gcp:networksecurity/backendAuthenticationConfig:BackendAuthenticationConfig";
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

type Rules = ConstructorParameters<typeof HTTPRoute>[1]["rules"];

function program(rules: Rules, traffic?: Omit<BackendTrafficPolicyArgs, "targetRefs">, tls?: BackendTLSPolicyArgs["validation"], apiRealization: Record<string, unknown> = {}) {
    return () => {
        const gateway = new Gateway("edge", { namespace: "infra", gatewayClass: { name: "gcp", controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: { project: "p", zone: "z" } } },
            listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] });
        const api = new Service("api", { namespace: "team-a", port: 8443, endpoints: [{ address: "10.0.0.1" }, { address: "10.0.0.2" }], realizations: { gcp: { instance: "vm", ...apiRealization } } });
        new Service("web", { namespace: "team-a", port: 8080, endpoints: [{ address: "10.0.0.3" }], realizations: { gcp: { instance: "vm" } } });
        if (traffic) new BackendTrafficPolicy("api-traffic", { targetRefs: [api], ...traffic });
        if (tls) new BackendTLSPolicy("api-tls", { targetRefs: [api], validation: tls });
        new HTTPRoute("app", { namespace: "team-a", parentRefs: [{ gateway }], rules });
    };
}

const both: Rules = [
    { name: "api", matches: [{ path: { value: "/api" } }], backendRefs: [{ name: "api", port: 8443 }] },
    { name: "web", matches: [{ path: { value: "/" } }], backendRefs: [{ name: "web", port: 8080 }] },
];

const backendOf = (service: string): RecordedResource => {
    const b = resourcesOfType(BS).find(r => r.name.endsWith(`/backend/team-a/${service}`));
    assert.ok(b, `a backend service for ${service}`);
    return b;
};

type RouteRule = { routeAction?: { retryPolicy?: unknown; timeout?: unknown } };
const routeRules = (): RouteRule[] => (resourcesOfType(URL_MAP)[0].inputs.pathMatchers as { routeRules: RouteRule[] }[])[0].routeRules;

async function refusal(p: () => void): Promise<string> {
    const err = await failureOf(runProgram(p));
    assert.deepEqual(recordedResources().filter(r => r.type.startsWith("gcp:")), [], "no GCP resource was declared");
    return err.message;
}

describe("gcp: backend policies on backend services (mocks)", () => {
    it("ConsistentHash on a header is RING_HASH with HEADER_FIELD affinity; the other Service keeps GCP's defaults", async () => {
        await runProgram(program(both, { loadBalancer: { type: "ConsistentHash", consistentHash: { type: "Header", header: { name: "x-user" } } } }));
        const api = backendOf("api:8443"), web = backendOf("web:8080");
        assert.equal(api.inputs.localityLbPolicy, "RING_HASH");
        assert.equal(api.inputs.sessionAffinity, "HEADER_FIELD");
        assert.deepEqual(api.inputs.consistentHash, { httpHeaderName: "x-user" });
        for (const k of ["localityLbPolicy", "sessionAffinity", "consistentHash", "outlierDetection", "tlsSettings"]) assert.equal(web.inputs[k], undefined, k);
    });

    it("LeastRequest, a Permanent cookie, active and passive health checks", async () => {
        await runProgram(program(both, {
            loadBalancer: { type: "LeastRequest" },
            sessionPersistence: { sessionName: "shop", absoluteTimeout: "30m", cookieConfig: { lifetimeType: "Permanent" } },
            healthCheck: { active: { path: "/ready", interval: "20s", timeout: "4s", healthyThreshold: 3 }, passive: { consecutiveFailures: 4, interval: "30s" } },
        }));
        const api = backendOf("api:8443");
        assert.equal(api.inputs.localityLbPolicy, "LEAST_REQUEST");
        assert.equal(api.inputs.sessionAffinity, "STRONG_COOKIE_AFFINITY");
        assert.deepEqual(api.inputs.strongSessionAffinityCookie, { name: "shop", ttl: { seconds: 1800 } });
        assert.deepEqual(api.inputs.outlierDetection, { consecutiveErrors: 4, enforcingConsecutiveErrors: 100, enforcingSuccessRate: 0, interval: { seconds: 30 }, baseEjectionTime: { seconds: 30 } });
        const hc = resourcesOfType(HC).find(h => h.name.endsWith("/healthcheck/team-a/api:8443"));
        assert.ok(hc, "api has a health check of its own");
        assert.equal(hc.inputs.checkIntervalSec, 20);
        assert.equal(hc.inputs.timeoutSec, 4);
        assert.equal(hc.inputs.healthyThreshold, 3);
        assert.deepEqual(hc.inputs.httpHealthCheck, { portSpecification: "USE_SERVING_PORT", requestPath: "/ready" });
    });

    it("BackendTLSPolicy: HTTPS, sni and SANs, verified against a TrustConfig of the CA PEM (or Google's public roots)", async () => {
        await runProgram(program(both, undefined, { hostname: "api.internal", caCertificates: { "api-ca": CA }, subjectAltNames: [{ type: "URI", uri: "spiffe://shop/api" }] }));
        const api = backendOf("api:8443");
        assert.equal(api.inputs.protocol, "HTTPS");
        const tls = api.inputs.tlsSettings as { sni: string; subjectAltNames: unknown[]; authenticationConfig: string };
        assert.equal(tls.sni, "api.internal");
        assert.deepEqual(tls.subjectAltNames, [{ uniformResourceIdentifier: "spiffe://shop/api" }]);
        const [trust] = resourcesOfType(TRUST);
        assert.deepEqual(trust.inputs.trustStores, [{ trustAnchors: [{ pemCertificate: CA }] }]);
        const [auth] = resourcesOfType(AUTH);
        assert.equal(auth.inputs.wellKnownRoots, "NONE");
        assert.equal(auth.inputs.trustConfig, `${trust.name}-id`);
        assert.equal(tls.authenticationConfig, `//networksecurity.googleapis.com/${auth.name}-id`);
        assert.equal(backendOf("web:8080").inputs.protocol, "HTTP");

        await runProgram(program(both, undefined, { hostname: "api.example.com", wellKnownCACertificates: "System" }));
        assert.deepEqual(resourcesOfType(TRUST), []);
        assert.equal(resourcesOfType(AUTH)[0].inputs.wellKnownRoots, "PUBLIC_ROOTS");
        assert.equal((backendOf("api:8443").inputs.tlsSettings as { subjectAltNames?: unknown }).subjectAltNames, undefined);
    });

    it("a new CA is a new TrustConfig and BackendAuthenticationConfig (physical names hash it), the backend service kept", async () => {
        const names = async (ca: string) => {
            await runProgram(program(both, undefined, { hostname: "api.internal", caCertificates: { "api-ca": ca } }));
            return [TRUST, AUTH, BS].map(t => resourcesOfType(t).filter(r => r.type !== BS || r.name.endsWith("/backend/team-a/api:8443")).map(r => [r.name, r.inputs.name]));
        };
        const [trustA, authA, bsA] = await names(CA);
        const [trustB, authB, bsB] = await names(CA.replace("MIIB", "MIIC"));
        assert.deepEqual([trustA[0][0], authA[0][0]], [trustB[0][0], authB[0][0]], "logical names from identity");
        assert.notEqual(trustA[0][1], trustB[0][1]);
        assert.notEqual(authA[0][1], authB[0][1]);
        assert.deepEqual(bsA, bsB);
    });

    it("retry on 502/503/504 and 409: gateway-error and retriable-4xx, attempts as numRetries, backendRequest as the per-try timeout", async () => {
        await runProgram(program([{
            matches: [{ path: { value: "/" } }], backendRefs: [{ name: "api", port: 8443 }],
            retry: { codes: [503, 502, 504, 409], attempts: 3 }, timeouts: { request: "10s", backendRequest: "2s" },
        }]));
        const [rule] = routeRules();
        assert.deepEqual(rule.routeAction!.retryPolicy, { numRetries: 3, retryConditions: ["connect-failure", "refused-stream", "reset", "gateway-error", "retriable-4xx"], perTryTimeout: { seconds: "2" } });
        assert.deepEqual(rule.routeAction!.timeout, { seconds: "10" });
    });

    it("refuses retry codes GCP cannot name, a backoff, persistence with a ConsistentHash, and two health checks", async () => {
        const codes = await refusal(program([{ backendRefs: [{ name: "api", port: 8443 }], retry: { codes: [500, 503], backoff: "100ms" } }]));
        assert.match(codes, /HTTPRoute team-a\/app rule 0: retry codes 503 without 502, 504: GCP retries 502, 503 and 504 only together \(gateway-error\)/);
        assert.match(codes, /retry codes 500: GCP's retry conditions name 409 \(retriable-4xx\) and 502\+503\+504/);
        assert.match(codes, /retry backoff 100 ms: GCP's retry policy has no backoff to set/);
        const both2 = await refusal(program(both, {
            loadBalancer: { type: "ConsistentHash", consistentHash: { type: "SourceIP" } }, sessionPersistence: { type: "Cookie" },
            healthCheck: { active: { path: "/ready" } },
        }, undefined, { healthCheck: { path: "/hc" } }));
        assert.match(both2, /BackendTrafficPolicy team-a\/api-traffic \(on Service team-a\/api port 8443\): sessionPersistence and a ConsistentHash loadBalancer both need the backend service's one sessionAffinity/);
        assert.match(both2, /the Service's realizations\.gcp\.healthCheck also decides its health check \(false: none\); keep one of them/);
    });

    it("a rule's sessionPersistence: session affinity when every rule on the backend agrees, refused otherwise", async () => {
        await runProgram(program([{ matches: [{ path: { value: "/" } }], backendRefs: [{ name: "api", port: 8443 }], sessionPersistence: { type: "Header", sessionName: "x-session" } }]));
        const api = backendOf("api:8443");
        assert.equal(api.inputs.sessionAffinity, "HEADER_FIELD");
        assert.equal(api.inputs.localityLbPolicy, "RING_HASH");
        assert.deepEqual(api.inputs.consistentHash, { httpHeaderName: "x-session" });
        const message = await refusal(program([
            { name: "cart", matches: [{ path: { value: "/cart" } }], backendRefs: [{ name: "api", port: 8443 }], sessionPersistence: { type: "Cookie" } },
            { name: "rest", matches: [{ path: { value: "/" } }], backendRefs: [{ name: "api", port: 8443 }] },
        ]));
        assert.match(message, /HTTPRoute team-a\/app rule 0 \(cart\): its sessionPersistence sets session affinity on the backend service of Service team-a\/api port 8443, .*HTTPRoute team-a\/app rule 1 \(rest\) forwards to it without persistence/);
    });

    it("a Service first met as a mirror target still gets its BackendTrafficPolicy", async () => {
        await runProgram(program([
            { name: "shadow", matches: [{ path: { value: "/shadow" } }], backendRefs: [{ name: "web", port: 8080 }],
                filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "api", port: 8443 } } }] },
            { name: "api", matches: [{ path: { value: "/" } }], backendRefs: [{ name: "api", port: 8443 }] },
        ], { loadBalancer: { type: "Random" } }));
        assert.equal(backendOf("api:8443").inputs.localityLbPolicy, "RANDOM");
        assert.equal(backendOf("web:8080").inputs.localityLbPolicy, undefined);
    });

    it("refuses a retry budget, with the reason", async () => {
        const message = await refusal(program(both, { retryConstraint: { budget: { percent: 20 } } }));
        assert.match(message, /uses BackendRetryBudget, which the gcp adapter does not support \(GCP's retry policy has a count per request \(numRetries\) but no budget across requests/);
    });
});
