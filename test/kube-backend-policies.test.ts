// Backend policies on the kubernetes adapter (Pulumi mocks): BackendTLSPolicy objects with a
// ConfigMap (ca.crt) per CA bundle; XBackendTrafficPolicy and the HTTPRoute rule's retry and
// sessionPersistence only for a cluster with the experimental CRDs (gatewayAPIChannel), refused
// by name otherwise; loadBalancer and healthCheck, which no upstream object carries, refused with
// what to use instead. The same objects against a real API server: test/kube-backend-policies-dry-run.test.ts.

import * as assert from "assert";
import { BackendTLSPolicy, BackendTrafficPolicy, Gateway, HTTPRoute, Service } from "../components";
import type { BackendTrafficPolicyArgs } from "../components/backendPolicies";
import { celProblems } from "../providers/kubernetes/model/checks";
import type { Manifest } from "../providers/kubernetes/model/manifests";
import { RecordedResource, failureOf, recordedResources, runProgram, setupMocks } from "../testing";

setupMocks();

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const CR = (kind: string, group = "gateway.networking.k8s.io/v1") => `kubernetes:${group}:${kind}`;

function program(k8s: Record<string, unknown>, opts: { traffic?: Omit<BackendTrafficPolicyArgs, "targetRefs">; retry?: boolean; tls?: boolean } = {}) {
    return () => {
        const gateway = new Gateway("edge", { namespace: "infra", gatewayClass: { name: "eg", controllerName: "gatewaykit.dev/kubernetes", parameters: { kubernetes: k8s } },
            listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] });
        const api = new Service("api", { namespace: "shop", ports: [{ name: "https", port: 8443 }], endpoints: [{ address: "10.0.0.1" }] });
        if (opts.tls ?? true) {
            new BackendTLSPolicy("api-tls", { targetRefs: [{ service: api, sectionName: "https" }], validation: { hostname: "api.shop.internal", caCertificates: { "api-ca": CA }, subjectAltNames: [{ type: "Hostname", hostname: "api.shop.internal" }] } });
        }
        if (opts.traffic) new BackendTrafficPolicy("api-traffic", { targetRefs: [api], ...opts.traffic });
        new HTTPRoute("store", {
            namespace: "shop", parentRefs: [{ gateway }],
            rules: [{ backendRefs: [{ service: api, port: 8443 }], ...(opts.retry ? { retry: { codes: [503], attempts: 2, backoff: "100ms" }, sessionPersistence: { sessionName: "cart", type: "Cookie" as const } } : {}) }],
        });
    };
}

const ofType = (type: string): RecordedResource[] => recordedResources().filter(r => r.type === type);

describe("kubernetes adapter: backend policies (mocks)", () => {
    it("emits the BackendTLSPolicy and its CA bundle's ConfigMap (ca.crt), before the route", async () => {
        await runProgram(program({}));
        const [cm] = ofType("kubernetes:core/v1:ConfigMap");
        assert.equal(cm.name, "shop/api-ca");
        assert.deepEqual(cm.inputs.data, { "ca.crt": CA });
        const [policy] = ofType(CR("BackendTLSPolicy"));
        assert.deepEqual((policy.inputs.metadata as { namespace: string }).namespace, "shop");
        assert.deepEqual(policy.inputs.spec, {
            targetRefs: [{ group: "", kind: "Service", name: "api", sectionName: "https" }],
            validation: { caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "api-ca" }], hostname: "api.shop.internal", subjectAltNames: [{ type: "Hostname", hostname: "api.shop.internal" }] },
        });
    });

    it("runs the BackendTLSPolicy CRD's CEL rules on the emitted object: it passes them, and a broken copy fails them with the CRD's messages", async () => {
        await runProgram(program({}));
        const [policy] = ofType(CR("BackendTLSPolicy"));
        const m = { apiVersion: "gateway.networking.k8s.io/v1", kind: "BackendTLSPolicy", ...policy.inputs } as unknown as Manifest;
        assert.deepEqual(celProblems(m), []);
        const spec = m.spec as { validation: Record<string, unknown>; targetRefs: Record<string, unknown>[] };
        const broken = { ...m, spec: { ...spec, validation: { ...spec.validation, wellKnownCACertificates: "System" }, targetRefs: [...spec.targetRefs, { group: "", kind: "Service", name: "api" }] } };
        const problems = celProblems(broken).join("\n");
        assert.match(problems, /must not contain both CACertificateRefs and WellKnownCACertificates/);
        assert.match(problems, /sectionName must be specified when targetRefs includes 2 or more references to the same target/);
    });

    it("with the experimental channel: XBackendTrafficPolicy for sessionPersistence and retryConstraint, and the rule's retry and sessionPersistence", async () => {
        await runProgram(program({ gatewayAPIChannel: "experimental" }, {
            retry: true,
            traffic: { sessionPersistence: { type: "Header", sessionName: "x-session", absoluteTimeout: "1h" }, retryConstraint: { budget: { percent: 20, interval: "10s" } } },
        }));
        const [x] = ofType(CR("XBackendTrafficPolicy", "gateway.networking.x-k8s.io/v1alpha1"));
        assert.deepEqual(x.inputs.spec, {
            targetRefs: [{ group: "", kind: "Service", name: "api" }],
            retryConstraint: { budget: { percent: 20, interval: "10s" } },
            sessionPersistence: { sessionName: "x-session", absoluteTimeout: "1h", type: "Header" },
        });
        const [route] = ofType(CR("HTTPRoute"));
        const [rule] = (route.inputs.spec as { rules: Record<string, unknown>[] }).rules;
        assert.deepEqual(rule.retry, { codes: [503], attempts: 2, backoff: "100ms" });
        assert.deepEqual(rule.sessionPersistence, { sessionName: "cart", type: "Cookie" });
    });

    it("on the standard channel refuses the experimental fields and objects by name, never dropping them", async () => {
        const err = await failureOf(runProgram(program({}, { retry: true, traffic: { retryConstraint: { budget: { percent: 20 } } } })));
        assert.match(err.message, /HTTPRoute shop\/store rule 0 retry exists only in the Gateway API experimental channel, .*set parameters\.kubernetes\.gatewayAPIChannel: "experimental"/);
        assert.match(err.message, /HTTPRoute shop\/store rule 0 sessionPersistence exists only in the Gateway API experimental channel/);
        assert.match(err.message, /BackendTrafficPolicy shop\/api-traffic \(an XBackendTrafficPolicy\) exists only in the Gateway API experimental channel/);
        assert.deepEqual(recordedResources().filter(r => r.type.startsWith("kubernetes:")), []);
    });

    it("refuses loadBalancer and healthCheck, which no upstream object carries, naming what to use instead", async () => {
        const lb = await failureOf(runProgram(program({}, { traffic: { loadBalancer: { type: "LeastRequest" } } })));
        assert.match(lb.message, /uses BackendLoadBalancingLeastRequest, which the kubernetes adapter does not support \(the Gateway API has no object for a load-balancing algorithm, .*Envoy Gateway's BackendTrafficPolicy loadBalancer\)/);
        const hc = await failureOf(runProgram(program({}, { traffic: { healthCheck: { passive: { consecutiveFailures: 3 } } } })));
        assert.match(hc.message, /uses BackendPassiveHealthCheck, .*the Gateway API has no object for health checks/);
        const rr = await failureOf(runProgram(program({}, { traffic: { loadBalancer: { type: "RoundRobin" } } })));
        assert.match(rr.message, /BackendTrafficPolicy shop\/api-traffic: loadBalancer has no upstream Gateway API object for a controller to read/);
        assert.deepEqual(recordedResources().filter(r => r.type.startsWith("kubernetes:")), []);
    });
});
