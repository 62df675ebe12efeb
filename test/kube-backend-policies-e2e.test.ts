// A BackendTLSPolicy through the real engine and the real pulumi-kubernetes provider against a real
// kube-apiserver with the standard v1.6.1 CRDs (BackendTLSPolicy is standard): `pulumi up` creates
// the policy and its CA ConfigMap as the adapter renders them, a changed CA bundle changes the
// ConfigMap alone (pulumi-kubernetes replaces a ConfigMap whose data changes, unless its provider
// sets enableConfigMapMutable), and `pulumi destroy` removes both. Gated like the other e2e tests.

import * as assert from "assert";
import * as gk from "../index";
import { ControlPlane, KubeStack, KubeTools, kubeGate, kubeStack } from "./kube/harness";

const NS = "shop";
const CA_A = "-----BEGIN CERTIFICATE-----\nMIIBaaaa\n-----END CERTIFICATE-----\n";
const CA_B = "-----BEGIN CERTIFICATE-----\nMIIBbbbb\n-----END CERTIFICATE-----\n";

function program(kubeconfig: string, ca: () => string) {
    return async () => {
        const k8s: typeof import("@pulumi/kubernetes") = require("@pulumi/kubernetes");
        const provider = new k8s.Provider("control-plane", { kubeconfig });
        const gateway = new gk.Gateway("edge", {
            namespace: NS,
            gatewayClass: { name: "eg", controllerName: "gatewaykit.dev/kubernetes", parameters: { kubernetes: { provider, createNamespaces: true } } },
            listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
        });
        const api = new gk.Service("api", { namespace: NS, ports: [{ name: "https", port: 8443 }], endpoints: [{ address: "10.0.0.7" }] });
        new gk.BackendTLSPolicy("api-tls", {
            targetRefs: [{ service: api, sectionName: "https" }],
            validation: { hostname: "api.shop.internal", caCertificates: { "api-ca": ca() }, subjectAltNames: [{ type: "Hostname", hostname: "api.shop.internal" }] },
        });
        new gk.HTTPRoute("store", { namespace: NS, parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: api, port: 8443 }] }] });
    };
}

describe("kubernetes adapter: a BackendTLSPolicy on the real engine (real kube-apiserver, real pulumi-kubernetes)", function () {
    this.timeout(10 * 60_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;
    let s: KubeStack | undefined;
    let ca = CA_A;

    before(async function () {
        this.timeout(50 * 60_000);
        tools = kubeGate(this, "the kubernetes backend-policy e2e test");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin });
    });
    after(async function () {
        this.timeout(5 * 60_000);
        await s?.remove();
        await cp?.stop();
    });

    const get = async (p: string) => {
        const r = await cp!.request("GET", p);
        return { status: r.status, json: r.json };
    };

    it("up creates the policy and its ConfigMap, a new CA changes the ConfigMap only, destroy removes both", async () => {
        s = await kubeStack(cp!, tools!, "gk-kube-btls", program(cp!.kubeconfig, () => ca));
        const first = await s.stack.up();
        console.log(`      up: ${JSON.stringify(first.summary.resourceChanges)}`);
        const policy = await get(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/backendtlspolicies/api-tls`);
        assert.equal(policy.status, 200);
        assert.deepEqual(policy.json.spec.targetRefs, [{ group: "", kind: "Service", name: "api", sectionName: "https" }]);
        assert.deepEqual(policy.json.spec.validation.caCertificateRefs, [{ group: "", kind: "ConfigMap", name: "api-ca" }]);
        assert.equal(policy.json.spec.validation.hostname, "api.shop.internal");
        const cm = await get(`/api/v1/namespaces/${NS}/configmaps/api-ca`);
        assert.equal(cm.status, 200);
        assert.equal(cm.json.data["ca.crt"], CA_A);
        const policyVersion = policy.json.metadata.resourceVersion;

        ca = CA_B;
        const up = await s.stack.up();
        const changes = up.summary.resourceChanges ?? {};
        console.log(`      new CA: ${JSON.stringify(changes)}`);
        assert.equal((changes.update ?? 0) + (changes.replace ?? 0), 1, JSON.stringify(changes));
        assert.equal((await get(`/api/v1/namespaces/${NS}/configmaps/api-ca`)).json.data["ca.crt"], CA_B);
        assert.equal((await get(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/backendtlspolicies/api-tls`)).json.metadata.resourceVersion, policyVersion, "the policy is untouched");

        await s.stack.destroy();
        assert.equal((await get(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/backendtlspolicies/api-tls`)).status, 404);
        assert.equal((await get(`/api/v1/namespaces/${NS}/configmaps/api-ca`)).status, 404);
    });
});
