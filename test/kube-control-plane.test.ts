// Smoke test of test/kube/harness.ts: a real control plane (etcd, kube-apiserver v1.37.2,
// kube-controller-manager) on loopback with the standard Gateway API v1.6.1 CRDs, the server-side
// checks gatewaykit's Kubernetes adapter meets there (CEL rules, EndpointSlice validation), and one
// `pulumi up`/`destroy` through the real pulumi-kubernetes provider. Gated like the other e2e tests
// (CI=true or GATEWAYKIT_E2E=1); binaries come from scripts/ensure-kube.sh.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { processesNaming } from "./nginx-e2e-kit";
import { ControlPlane, KUBE_VERSION, KUBERNETES_PLUGIN_VERSION, KubeTools, kubeGate, pulumiConfigMapUpDestroy } from "./kube/harness";

const NS = "gk-smoke";

function route(name: string, filters: object[] | undefined, backendRefs: object[] | undefined): object {
    return {
        apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute",
        metadata: { name, namespace: NS },
        spec: {
            parentRefs: [{ name: "edge" }],
            hostnames: ["shop.example.com"],
            rules: [{ ...(filters ? { filters } : {}), ...(backendRefs ? { backendRefs } : {}) }],
        },
    };
}

const redirect = [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }];
const backend = [{ name: "shop", port: 8080 }];

describe("Kubernetes control plane: real etcd, kube-apiserver, kube-controller-manager and pulumi-kubernetes", function () {
    this.timeout(120_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;

    before(async function () {
        this.timeout(50 * 60_000);   // under CI a cold scripts/ensure-kube.sh build takes ~14 minutes
        tools = kubeGate(this, "the Kubernetes control-plane smoke test");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin, namespaces: [NS] });
        console.log(`      control plane up in ${cp.timings.start} ms (${JSON.stringify(cp.timings)})`);
    });

    after(async function () {
        this.timeout(60_000);
        await cp?.stop();
    });

    it(`serves Kubernetes ${KUBE_VERSION} with the standard Gateway API CRDs Established`, async () => {
        const version = await cp!.request("GET", "/version");
        assert.strictEqual(version.status, 200);
        assert.strictEqual(version.json.gitVersion, KUBE_VERSION);
        const expected = ControlPlane.standardCrdFiles().map(c => c.name).sort();
        assert.ok(expected.includes("httproutes.gateway.networking.k8s.io") && expected.includes("gateways.gateway.networking.k8s.io"), `standard CRDs: ${expected}`);
        const crds = JSON.parse(cp!.kubectl(["get", "crd", "-o", "json"])).items as any[];
        assert.deepStrictEqual(crds.map(c => c.metadata.name).sort(), expected);
        for (const c of crds) {
            assert.ok(c.status.conditions.some((k: any) => k.type === "Established" && k.status === "True"), `${c.metadata.name} not Established`);
            assert.strictEqual(c.metadata.annotations["gateway.networking.k8s.io/bundle-version"], "v1.6.1");
        }
        const ns = JSON.parse(cp!.kubectl(["get", "namespace", NS, "-o", "json"]));
        assert.strictEqual(ns.status.phase, "Active");
    });

    it("applies an HTTPRoute with kubectl server-side apply and reads it back with the CRD's defaults", () => {
        const out = cp!.kubectl(["apply", "--server-side", "-f", "-"], YAML.stringify(route("shop", undefined, backend)));
        assert.match(out, /httproute\.gateway\.networking\.k8s\.io\/shop serverside-applied/);
        const got = JSON.parse(cp!.kubectl(["get", "httproute", "shop", "-n", NS, "-o", "json", "--show-managed-fields"]));
        assert.deepStrictEqual(got.spec.hostnames, ["shop.example.com"]);
        assert.deepStrictEqual(got.spec.rules[0].backendRefs.map((b: any) => [b.name, b.port]), [["shop", 8080]]);
        // Filled in by the CRD's defaults, i.e. by the real server, not by us.
        assert.deepStrictEqual(got.spec.rules[0].matches, [{ path: { type: "PathPrefix", value: "/" } }]);
        assert.strictEqual(got.spec.parentRefs[0].group, "gateway.networking.k8s.io");
        assert.deepStrictEqual([got.spec.rules[0].backendRefs[0].kind, got.spec.rules[0].backendRefs[0].weight], ["Service", 1]);
        assert.ok(got.metadata.managedFields.some((m: any) => m.manager === "kubectl" && m.operation === "Apply"), JSON.stringify(got.metadata.managedFields));
    });

    it("refuses RequestRedirect together with backendRefs with HTTP 422 and the CRD's CEL message (redirect alone is accepted)", async () => {
        const apply = (body: object, name: string) => cp!.request("PATCH",
            `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes/${name}?fieldManager=gatewaykit-test`,
            JSON.stringify(body), "application/apply-patch+yaml");
        const bad = await apply(route("redirect-and-backend", redirect, backend), "redirect-and-backend");
        assert.strictEqual(bad.status, 422, bad.body);
        assert.strictEqual(bad.json.reason, "Invalid");
        assert.match(bad.json.message, /RequestRedirect filter must not be used together with backendRefs/);
        const notStored = cp!.kubectlResult(["get", "httproute", "redirect-and-backend", "-n", NS]);
        assert.notStrictEqual(notStored.status, 0);
        assert.match(notStored.stderr, /NotFound|not found/);

        const good = await apply(route("redirect-only", redirect, undefined), "redirect-only");
        assert.ok(good.status === 200 || good.status === 201, `${good.status} ${good.body}`);

        // kubectl shows the same refusal to a person.
        const viaKubectl = cp!.kubectlResult(["apply", "--server-side", "-f", "-"], YAML.stringify(route("redirect-and-backend", redirect, backend)));
        assert.notStrictEqual(viaKubectl.status, 0);
        assert.match(viaKubectl.stderr, /is invalid.*RequestRedirect filter must not be used together with backendRefs/s);
    });

    it("refuses an EndpointSlice with address 127.0.0.1 ('may not be in the loopback range'); 10.1.2.3 is accepted", async () => {
        const slice = (name: string, address: string) => JSON.stringify({
            apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
            metadata: { name, namespace: NS, labels: { "kubernetes.io/service-name": "shop" } },
            addressType: "IPv4", ports: [{ name: "http", port: 8080, protocol: "TCP" }],
            endpoints: [{ addresses: [address] }],
        });
        const loop = await cp!.request("POST", `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, slice("shop-loopback", "127.0.0.1"));
        assert.strictEqual(loop.status, 422, loop.body);
        assert.match(loop.json.message, /may not be in the loopback range/);
        const ok = await cp!.request("POST", `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, slice("shop-pod", "10.1.2.3"));
        assert.strictEqual(ok.status, 201, ok.body);
    });

    it("runs pulumi up and destroy of a ConfigMap through the real pulumi-kubernetes provider", async function () {
        this.timeout(15 * 60_000);
        const r = await pulumiConfigMapUpDestroy(cp!, tools!, NS);
        console.log(`      plugin install ${r.timings.pluginInstall} ms, up ${r.timings.up} ms, destroy ${r.timings.destroy} ms`);
        assert.deepStrictEqual(r.plugins, [`resource/kubernetes@${KUBERNETES_PLUGIN_VERSION}`], "only the plugin built by scripts/ensure-kube.sh, in the run's own PULUMI_HOME");
        assert.deepStrictEqual(r.upSummary, { create: 3 }, "the stack, the explicit provider and the ConfigMap");
        assert.deepStrictEqual(r.upState.data, { greeting: "hello from pulumi-kubernetes" });
        console.log(`      field managers: ${r.upState.managedBy.join(", ")}`);
        assert.ok(r.upState.managedBy.some(m => m.startsWith("pulumi-kubernetes") && m.endsWith("/Apply")), `managed by ${r.upState.managedBy}`);
        assert.match(r.afterDestroy, /NotFound|not found/);
        assert.strictEqual(r.destroySummary.delete, r.upSummary.create);
    });

    it("reports a start failure with the failing process, its exit and its log tail, leaving no process", async function () {
        this.timeout(60_000);
        // A bin dir whose kube-apiserver dies at once: the real etcd starts, the apiserver does not.
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "gk-kube-badbin-"));
        try {
            fs.symlinkSync(path.join(tools!.kubeBin, "etcd"), path.join(bin, "etcd"));
            fs.writeFileSync(path.join(bin, "kube-apiserver"), "#!/bin/sh\necho 'E1201 bad flag: --no-such-flag (planted failure)' >&2\nexit 3\n", { mode: 0o755 });
            const err: Error = await ControlPlane.start({ kubeBin: bin }).then(() => { throw new Error("started with a broken kube-apiserver"); }, e => e);
            assert.match(err.message, /kube-apiserver \/readyz: exited while starting: kube-apiserver \(pid \d+, exit 3\)/);
            assert.match(err.message, /planted failure/);
            const runDir = /last lines of (\/\S+)\/kube-apiserver\.log/.exec(err.message)?.[1];
            assert.ok(runDir, err.message);
            assert.deepStrictEqual(processesNaming(runDir), [], "etcd of the failed start still runs");
            assert.ok(!fs.existsSync(runDir), `${runDir} left behind`);
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });

    it("stops the controller manager, the apiserver and etcd in that order, leaving no process", async function () {
        const pids = cp!.pids;
        assert.strictEqual(pids.length, 3, `running: ${pids}`);
        await cp!.stop();
        assert.deepStrictEqual(cp!.exitOrder, ["kube-controller-manager", "kube-apiserver", "etcd"]);
        assert.deepStrictEqual(cp!.pids, []);
        for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} still exists`);
        assert.deepStrictEqual(processesNaming(cp!.dir), []);
        console.log(`      stopped in ${cp!.timings.stop} ms`);
    });
});
