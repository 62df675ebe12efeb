// examples/backend-policy under Pulumi mocks, once per adapter (the controllerName is its one
// changing line): what gcp creates, what aws and kubernetes refuse and why, and the portability
// report a gcp gateway gives for the others. nginx carries the LeastRequest policy, the verified TLS
// and the retry (test/nginx-backend-policies.test.ts proves them on real traffic) but not the SPIFFE
// subjectAltName the example verifies.

import { strict as assert } from "assert";
import { CONTROLLERS } from "../examples/seed";
import { TEAM_CA, backendPolicyExample } from "../examples/backend-policy/program";
import { failureOf, outputOf, recordedResources, resourcesOfType, runProgram, setupMocks } from "../testing";

setupMocks();

describe("examples/backend-policy on each adapter (mocks)", () => {
    it("gcp: a LEAST_REQUEST backend service over verified HTTPS, and a URL map that retries gateway errors", async () => {
        await runProgram(() => { backendPolicyExample({ controllerName: CONTROLLERS.gcp }); });
        const [api] = resourcesOfType("gcp:compute/backendService:BackendService").filter(b => b.name.endsWith("/backend/shop/api:8443"));
        assert.equal(api.inputs.localityLbPolicy, "LEAST_REQUEST");
        assert.equal(api.inputs.protocol, "HTTPS");
        const tls = api.inputs.tlsSettings as { sni: string; subjectAltNames: unknown[] };
        assert.equal(tls.sni, "api.shop.internal");
        assert.deepEqual(tls.subjectAltNames, [{ uniformResourceIdentifier: "spiffe://shop.example/api" }]);
        const [trust] = resourcesOfType("gcp:certificatemanager/trustConfig:TrustConfig");
        assert.deepEqual(trust.inputs.trustStores, [{ trustAnchors: [{ pemCertificate: TEAM_CA }] }]);
        const [urlMap] = resourcesOfType("gcp:compute/uRLMap:URLMap");
        const rule = (urlMap.inputs.pathMatchers as { routeRules: { routeAction: Record<string, unknown> }[] }[])[0].routeRules[0];
        assert.deepEqual(rule.routeAction.retryPolicy, { numRetries: 2, retryConditions: ["connect-failure", "refused-stream", "reset", "gateway-error"], perTryTimeout: { seconds: "2" } });
        assert.deepEqual(rule.routeAction.timeout, { seconds: "10" });
    });

    it("aws: refused before any resource, naming BackendTLSPolicy (ALB verifies no certificate) and HTTPRouteRetry (ALB never retries)", async () => {
        const err = await failureOf(runProgram(() => { backendPolicyExample({ controllerName: CONTROLLERS.aws }); }));
        assert.match(err.message, /HTTPRoute shop\/shop-api rule 0 \(api\) uses HTTPRouteRetry, which the aws adapter does not support \(an ALB never retries/);
        assert.match(err.message, /uses BackendTLSPolicy, which the aws adapter does not support \(an ALB encrypts to HTTPS targets .* but verifies no certificate/);
        assert.doesNotMatch(err.message, /BackendLoadBalancingLeastRequest/, "least_outstanding_requests carries LeastRequest");
        assert.deepEqual(recordedResources().filter(r => r.type.startsWith("aws:")), []);
    });

    it("kubernetes: refused before any object, naming the load-balancing algorithm no upstream object carries", async () => {
        const err = await failureOf(runProgram(() => { backendPolicyExample({ controllerName: CONTROLLERS.kubernetes }); }));
        assert.match(err.message, /uses BackendLoadBalancingLeastRequest, which the kubernetes adapter does not support \(the Gateway API has no object for a load-balancing algorithm/);
        assert.doesNotMatch(err.message, /BackendTLSPolicy|HTTPRouteRetry/, "both are emitted objects and fields");
        assert.deepEqual(recordedResources().filter(r => r.type.startsWith("kubernetes:")), []);
    });

    it("nginx: refused before any process, naming only the subjectAltName check (nginx verifies the SNI name alone)", async () => {
        const err = await failureOf(runProgram(() => { backendPolicyExample({ controllerName: CONTROLLERS.nginx }); }));
        assert.match(err.message, /HTTPRoute shop\/shop-api rule 0 \(api\) uses BackendTLSPolicySANValidation, which the nginx adapter does not support/);
        assert.doesNotMatch(err.message, /uses (BackendLoadBalancingLeastRequest|HTTPRouteRetry|BackendTLSPolicy,)/, "least_conn, proxy_next_upstream and proxy_ssl_verify carry these");
        assert.deepEqual(recordedResources().filter(r => r.type.startsWith("gatewaykit:nginx")), []);
    });

    it("a gcp gateway's portability report names what aws and kubernetes would reject", async () => {
        let made!: ReturnType<typeof backendPolicyExample>;
        const { warn } = console;
        console.warn = () => undefined; // the portability warnings; the report is checked below
        try {
            await runProgram(() => { made = backendPolicyExample({ controllerName: CONTROLLERS.gcp, portabilityTargets: [CONTROLLERS.aws, CONTROLLERS.kubernetes] }); });
        } finally {
            console.warn = warn;
        }
        const report = await outputOf(made.gateway.portability);
        const summary = Object.fromEntries(Object.entries(report).map(([t, fs]) => [t, fs.map(f => f.feature)]));
        assert.deepEqual(summary, {
            // ALB has no per-rule timeouts either.
            [CONTROLLERS.aws]: ["HTTPRouteRequestTimeout", "HTTPRouteBackendTimeout", "HTTPRouteRetry", "HTTPRouteRetryBackendTimeout", "HTTPRouteRetryConnectionError", "BackendTLSPolicy", "BackendTLSPolicySANValidation"],
            [CONTROLLERS.kubernetes]: ["BackendLoadBalancingLeastRequest"],
        });
    });
});
