// The kubernetes adapter on the real engine against a real kube-apiserver (test/kube/harness.ts),
// through the real pulumi-kubernetes provider configured with the control plane's kubeconfig via
// the class parameters' provider: the seed's scenario up, its 90/10 → 50/50 canary change (one
// server-side-apply patch of one HTTPRoute), destroy; the objects read back from the API and
// compared with the plan; the EndpointSlice addresses the server refuses, tried against it; missing
// and created namespaces; and status readback with the test playing the Gateway API controller.
// Gated like the other e2e tests (CI=true or GATEWAYKIT_E2E=1).

import * as assert from "assert";
import * as gk from "../index";
import { clusterStatus, endpointAddressProblem } from "../providers/kubernetes";
import { ADMITTED, CONTROLLERS, canaryRoute, mygroupGateway, seedServices } from "../examples/seed";
import { ACCEPTED_ADDRESSES, ControlPlane, KubeStack, KubeTools, REFUSED_ADDRESSES, kubeGate, kubeStack } from "./kube/harness";

const GW_API = "/apis/gateway.networking.k8s.io/v1";
const PROBE_NS = "gk-addresses";

interface SeedOptions {
    canaryWeight: number;
    createNamespaces?: boolean;
    await?: boolean | { timeoutSeconds: number };
    /** The route's and backends' namespace (default mygroup). */
    namespace?: string;
}

/** The seed (examples/seed.ts) on the kubernetes adapter, the provider built from the control plane's kubeconfig. */
function seedProgram(kubeconfig: string, options: () => SeedOptions) {
    return async () => {
        const o = options();
        const k8s: typeof import("@pulumi/kubernetes") = require("@pulumi/kubernetes");
        const provider = new k8s.Provider("control-plane", { kubeconfig });
        const cls = new gk.GatewayClass("external-lb", {
            controllerName: CONTROLLERS.kubernetes,
            parameters: {
                kubernetes: {
                    controllerName: "gateway.envoyproxy.io/gatewayclass-controller", provider,
                    ...(o.createNamespaces !== undefined ? { createNamespaces: o.createNamespaces } : {}),
                    ...(o.await !== undefined ? { await: o.await } : {}),
                },
            },
        });
        const ns = o.namespace ?? "mygroup";
        const gateway = mygroupGateway(cls, ns === "mygroup" ? {} : { namespace: ns, namespaceLabels: { [ns]: ADMITTED } });
        const services = seedServices(ns);
        canaryRoute({ gateway, services, canaryWeight: o.canaryWeight, namespace: ns });
        return {
            plan: gateway.plan.apply(p => ({
                listeners: p.listeners.map(l => ({ name: l.name, port: l.port, protocol: l.protocol, hostname: l.hostname ?? null })),
                rules: p.listeners.flatMap(l => l.rules.map(r => ({
                    route: r.route, hostname: r.hostname ?? null, path: r.match.path,
                    backends: r.backends.map(b => ({ service: b.service, port: b.port ?? null, weight: b.weight, endpoints: b.endpoints.map(e => e.address) })),
                }))),
            })),
            status: clusterStatus(gateway),
        };
    };
}

describe("kubernetes adapter on the real engine: real kube-apiserver, real pulumi-kubernetes", function () {
    this.timeout(10 * 60_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;
    const stacks: KubeStack[] = [];

    before(async function () {
        this.timeout(50 * 60_000);
        tools = kubeGate(this, "the kubernetes adapter e2e tests");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin, namespaces: [PROBE_NS] });
        console.log(`      control plane up in ${cp.timings.start} ms (${JSON.stringify(cp.timings)})`);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        for (const s of stacks) await s.remove();
        await cp?.stop();
    });

    const get = async (p: string) => {
        const r = await cp!.request("GET", p);
        assert.strictEqual(r.status, 200, `GET ${p}: ${r.status} ${r.body}`);
        return r.json;
    };
    const absent = async (p: string) => (await cp!.request("GET", p)).status === 404;

    it("agrees with the server on every EndpointSlice address: gatewaykit refuses exactly what the apiserver refuses", async () => {
        const refusedByServer: string[] = [];
        const cases = [...REFUSED_ADDRESSES.map(([a]) => a), ...ACCEPTED_ADDRESSES];
        for (const [i, address] of cases.entries()) {
            const body = JSON.stringify({
                apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
                metadata: { name: `probe-${i}`, namespace: PROBE_NS, labels: { "kubernetes.io/service-name": "probe" } },
                addressType: address.includes(":") ? "IPv6" : "IPv4",
                ports: [{ name: "http", port: 8080, protocol: "TCP" }], endpoints: [{ addresses: [address] }],
            });
            const r = await cp!.request("POST", `/apis/discovery.k8s.io/v1/namespaces/${PROBE_NS}/endpointslices?dryRun=All`, body);
            assert.ok(r.status === 201 || r.status === 422, `${address}: ${r.status} ${r.body}`);
            if (r.status === 422) refusedByServer.push(`${address}: ${r.json.message.replace(/^.*Invalid value: /, "")}`);
            assert.strictEqual(endpointAddressProblem(address) !== undefined, r.status === 422,
                `${address}: server ${r.status === 422 ? "refuses" : "accepts"} (${r.json?.message ?? ""}), gatewaykit ${endpointAddressProblem(address) ?? "accepts"}`);
        }
        console.log(`      the server refused ${refusedByServer.length} of ${cases.length}:\n        ${refusedByServer.join("\n        ")}`);
    });

    let seed: KubeStack;
    const seedOptions: SeedOptions = { canaryWeight: 10, createNamespaces: true };

    it("refuses a loopback Service endpoint at preview, on the Service, before the cluster sees anything", async () => {
        const s = await kubeStack(cp!, tools!, "gk-kube-loopback", async () => {
            const k8s: typeof import("@pulumi/kubernetes") = require("@pulumi/kubernetes");
            const provider = new k8s.Provider("control-plane", { kubeconfig: cp!.kubeconfig });
            const cls = new gk.GatewayClass("external-lb", { controllerName: CONTROLLERS.kubernetes, parameters: { kubernetes: { provider, createNamespaces: true } } });
            const gateway = mygroupGateway(cls, { namespace: "loopback" });
            const local = new gk.Service("local-app", { namespace: "loopback", port: 8080, endpoints: [{ address: "127.0.0.1" }] });
            new gk.HTTPRoute("local", { namespace: "loopback", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: local }] }] });
        });
        stacks.push(s);
        const events: string[] = [];
        const err: Error = await s.stack.preview({ onEvent: e => { if (e.diagnosticEvent?.severity === "error") events.push(`${e.diagnosticEvent.urn ?? ""} ${e.diagnosticEvent.message}`); } })
            .then(() => { throw new Error("preview succeeded with a loopback endpoint"); }, e => e);
        const logged = events.join("\n");
        assert.match(logged, /Service loopback\/local-app: spec\.endpoints\[0\]\.address: the cluster refuses loopback addresses \(127\.0\.0\.0\/8\)/, logged || err.message);
        assert.match(logged, /gatewaykit:index:Service::local-app/, `reported on the Service: ${logged}`);
        assert.ok(await absent("/api/v1/namespaces/loopback"), "preview created the namespace");
    });

    it("without createNamespaces, a namespace that does not exist fails naming it (the server's error, after the provider's retries)", async () => {
        const s = await kubeStack(cp!, tools!, "gk-kube-nons", seedProgram(cp!.kubeconfig, () => ({ canaryWeight: 10, namespace: "nowhere" })));
        stacks.push(s);
        const events: string[] = [];
        const err: Error = await s.stack.up({ onEvent: e => { if (e.diagnosticEvent?.severity === "error") events.push(e.diagnosticEvent.message); } })
            .then(() => { throw new Error("up succeeded into a missing namespace"); }, e => e);
        const logged = events.join("\n");
        console.log(`      missing namespace: ${logged.split("\n").filter(l => /nowhere/.test(l)).slice(0, 2).join(" | ")}`);
        assert.match(logged, /namespaces "nowhere" not found/, logged || err.message);
        await s.stack.destroy();
    });

    it("pulumi up of the seed creates the objects of the plan (listeners, hostnames, matches, backendRefs, weights), namespace included", async function () {
        seed = await kubeStack(cp!, tools!, "gk-kube-seed", seedProgram(cp!.kubeconfig, () => seedOptions));
        stacks.push(seed);
        const t = Date.now();
        const up = await seed.stack.up();
        console.log(`      seed up ${Date.now() - t} ms: ${JSON.stringify(up.summary.resourceChanges)}`);
        const plan = up.outputs.plan.value as { listeners: any[]; rules: any[] };

        const ns = await get("/api/v1/namespaces/mygroup");
        assert.deepStrictEqual(ns.metadata.labels.gateway, ADMITTED.gateway, "the namespace carries the labels the Selector listener admits");
        const gw = await get(`${GW_API}/namespaces/mygroup/gateways/mygroup-external`);
        assert.strictEqual(gw.spec.gatewayClassName, "external-lb");
        assert.deepStrictEqual(gw.spec.listeners.map((l: any) => ({ name: l.name, port: l.port, protocol: l.protocol, hostname: l.hostname ?? null })), plan.listeners);
        assert.deepStrictEqual(gw.spec.listeners[0].allowedRoutes.namespaces, { from: "Selector", selector: { matchLabels: ADMITTED } });
        const cls = await get(`${GW_API}/gatewayclasses/external-lb`);
        assert.strictEqual(cls.spec.controllerName, "gateway.envoyproxy.io/gatewayclass-controller");

        const route = await get(`${GW_API}/namespaces/mygroup/httproutes/mygroup`);
        assert.deepStrictEqual(plan.rules.map(r => r.route), ["mygroup/mygroup"]);
        const [rule] = plan.rules;
        assert.deepStrictEqual(route.spec.hostnames, [rule.hostname]);
        assert.deepStrictEqual(route.spec.parentRefs.map((p: any) => p.name), ["mygroup-external"]);
        assert.deepStrictEqual(route.spec.rules.map((r: any) => r.matches.map((m: any) => m.path)), [[{ type: rule.path.type, value: rule.path.value }]]);
        assert.deepStrictEqual(route.spec.rules[0].backendRefs.map((b: any) => ({ service: `mygroup/${b.name}`, port: b.port, weight: b.weight })),
            rule.backends.map((b: any) => ({ service: b.service, port: b.port, weight: b.weight })));
        assert.deepStrictEqual(rule.backends.map((b: any) => b.weight), [90, 10]);
        for (const b of rule.backends) {
            const name = b.service.split("/")[1];
            const svc = await get(`/api/v1/namespaces/mygroup/services/${name}`);
            assert.deepStrictEqual(svc.spec.ports.map((p: any) => p.port), [b.port]);
            const slices = await get(`/apis/discovery.k8s.io/v1/namespaces/mygroup/endpointslices?labelSelector=kubernetes.io/service-name=${name}`);
            assert.deepStrictEqual(slices.items.flatMap((s: any) => s.endpoints.flatMap((e: any) => e.addresses)).sort(), [...b.endpoints].sort());
        }
        // No controller runs: the CRD's default status, read back as Pending.
        const status = up.outputs.status.value;
        assert.strictEqual(status.gateway.name, "mygroup/mygroup-external");
        assert.strictEqual(status.gateway.programmed.status, "Unknown");
        assert.deepStrictEqual(status.gateway.addresses, []);
    });

    it("the 90/10 → 50/50 change is one server-side-apply patch of the one HTTPRoute", async function () {
        assert.ok(seed, "the seed is up");
        const kinds = ["gateways/mygroup-external", "httproutes/mygroup"].map(k => `${GW_API}/namespaces/mygroup/${k}`);
        const others = [...kinds.slice(0, 1), "/api/v1/namespaces/mygroup/services/mygroup-groups", "/api/v1/namespaces/mygroup/services/mygroup-groups-canary", "/api/v1/namespaces/mygroup"];
        const before = await get(kinds[1]);
        const othersBefore = await Promise.all(others.map(p => get(p).then(o => o.metadata.resourceVersion)));
        seedOptions.canaryWeight = 50;
        const t = Date.now();
        const up = await seed.stack.up();
        console.log(`      update ${Date.now() - t} ms: ${JSON.stringify(up.summary.resourceChanges)}`);
        assert.strictEqual(up.summary.resourceChanges?.update, 1, JSON.stringify(up.summary.resourceChanges));
        assert.deepStrictEqual(Object.keys(up.summary.resourceChanges ?? {}).sort(), ["same", "update"]);
        const after = await get(kinds[1]);
        assert.deepStrictEqual(after.spec.rules[0].backendRefs.map((b: any) => b.weight), [50, 50]);
        assert.notStrictEqual(after.metadata.resourceVersion, before.metadata.resourceVersion);
        assert.strictEqual(after.metadata.generation, before.metadata.generation + 1, "one spec change");
        assert.strictEqual(after.metadata.uid, before.metadata.uid, "patched, not replaced");
        const applied = (after.metadata.managedFields as any[]).filter(m => m.operation === "Apply");
        assert.ok(applied.length === 1 && applied[0].manager.startsWith("pulumi-kubernetes"), JSON.stringify(after.metadata.managedFields));
        assert.ok(!(after.metadata.managedFields as any[]).some(m => m.operation === "Update" && m.manager.startsWith("pulumi")), "no client-side update");
        assert.deepStrictEqual(await Promise.all(others.map(p => get(p).then(o => o.metadata.resourceVersion))), othersBefore, "nothing else was written");
    });

    it("clusterStatus() reads back the Programmed condition, addresses and route conditions the controller writes", async function () {
        assert.ok(seed, "the seed is up");
        await playController(cp!, "mygroup", "mygroup-external", "mygroup");
        const t = Date.now();
        const up = await seed.stack.up({ refresh: true });
        console.log(`      refresh + up ${Date.now() - t} ms: ${JSON.stringify(up.summary.resourceChanges)}`);
        const status = up.outputs.status.value;
        assert.deepStrictEqual({ ...status.gateway.programmed, lastTransitionTime: undefined, observedGeneration: undefined },
            { type: "Programmed", status: "True", reason: "Programmed", message: "played by the test", lastTransitionTime: undefined, observedGeneration: undefined });
        assert.deepStrictEqual(status.gateway.addresses, ["10.96.0.50"]);
        assert.deepStrictEqual(status.routes.map((r: any) => [r.route, r.parents.map((p: any) => p.conditions.find((c: any) => c.type === "Accepted")?.status)]), [["mygroup/mygroup", ["True"]]]);
    });

    it("pulumi destroy removes every object, then the namespace", async function () {
        assert.ok(seed, "the seed is up");
        const t = Date.now();
        const d = await seed.stack.destroy();
        console.log(`      destroy ${Date.now() - t} ms: ${JSON.stringify(d.summary.resourceChanges)}`);
        for (const p of [`${GW_API}/namespaces/mygroup/httproutes/mygroup`, `${GW_API}/namespaces/mygroup/gateways/mygroup-external`, `${GW_API}/gatewayclasses/external-lb`,
            "/api/v1/namespaces/mygroup/services/mygroup-groups"]) {
            assert.ok(await absent(p), `${p} still there`);
        }
        // The namespace controller finishes the deletion after the objects are gone.
        const deadline = Date.now() + 60_000;
        while (!(await absent("/api/v1/namespaces/mygroup")) && Date.now() < deadline) await new Promise(r => setTimeout(r, 500));
        assert.ok(await absent("/api/v1/namespaces/mygroup"), "namespace mygroup still there");
    });

    it("await: true waits until the controller programs the gateway and accepts the route", async function () {
        const opts: SeedOptions = { canaryWeight: 10, createNamespaces: true, namespace: "awaited", await: { timeoutSeconds: 120 } };
        const s = await kubeStack(cp!, tools!, "gk-kube-await", seedProgram(cp!.kubeconfig, () => opts));
        stacks.push(s);
        let played = 0;
        const controller = (async () => {
            // The controller: programs the Gateway once it exists, accepts the route once it exists.
            const deadline = Date.now() + 120_000;
            while (Date.now() < deadline) {
                const gw = await cp!.request("GET", `${GW_API}/namespaces/awaited/gateways/mygroup-external`);
                const rt = await cp!.request("GET", `${GW_API}/namespaces/awaited/httproutes/mygroup`);
                if (gw.status === 200 && rt.status === 200) { played = Date.now(); await playController(cp!, "awaited", "mygroup-external", "mygroup"); return; }
                if (gw.status === 200 && played === 0) { played = -1; await playController(cp!, "awaited", "mygroup-external", undefined); }
                await new Promise(r => setTimeout(r, 300));
            }
        })();
        const t = Date.now();
        const up = await s.stack.up();
        await controller;
        console.log(`      awaited up ${Date.now() - t} ms (the controller answered after ${played - t} ms)`);
        assert.ok(played > 0, "the route was never created");
        assert.strictEqual(up.outputs.status.value.gateway.programmed.status, "True");
        await s.stack.destroy();
    });

    it("await with nothing programming the gateway fails after timeoutSeconds, and the Gateway says what it waited for", async function () {
        const s = await kubeStack(cp!, tools!, "gk-kube-timeout", seedProgram(cp!.kubeconfig, () => ({ canaryWeight: 10, createNamespaces: true, namespace: "unprogrammed", await: { timeoutSeconds: 5 } })));
        stacks.push(s);
        const errors: string[] = [];
        const infos: string[] = [];
        const t = Date.now();
        const err: Error = await s.stack.up({
            onEvent: e => {
                if (e.diagnosticEvent?.severity === "error") errors.push(e.diagnosticEvent.message);
                if (e.diagnosticEvent?.severity === "info") infos.push(`${e.diagnosticEvent.urn} ${e.diagnosticEvent.message}`);
            },
        }).then(() => { throw new Error("up succeeded with no controller"); }, e => e);
        const took = Date.now() - t;
        const logged = errors.join("\n");
        console.log(`      timed out after ${took} ms: ${logged.split("\n").filter(l => /timed out/.test(l)).slice(0, 1).join("")}`);
        assert.match(logged, /Gateway::unprogrammed\/mygroup-external" was successfully created, but .* timed out waiting for the condition/, logged || err.message);
        const said = infos.find(i => /waiting up to 5 s/.test(i)) ?? "";
        assert.match(said, /gatewaykit:index:Gateway::mygroup-external Gateway unprogrammed\/mygroup-external: waiting up to 5 s \(parameters\.kubernetes\.await\) for the controller of GatewayClass external-lb \(gateway\.envoyproxy\.io\/gatewayclass-controller\) to set the Gateway's Programmed condition True/, infos.join("\n"));
        assert.match(said, /"timed out waiting for the condition" means no controller did/);
        assert.ok(took < 60_000, `timeoutSeconds 5 took ${took} ms`);
        await s.stack.destroy();
    });
});

/** Plays the Gateway API controller: Accepted + Programmed and an address on the Gateway, Accepted on the route's parent. */
async function playController(cp: ControlPlane, ns: string, gateway: string, route: string | undefined): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const gw = (await cp.request("GET", `${GW_API}/namespaces/${ns}/gateways/${gateway}`)).json;
    const cond = (type: string, reason: string) => ({ type, status: "True", reason, message: "played by the test", lastTransitionTime: now, observedGeneration: gw.metadata.generation });
    const patch = async (p: string, body: object) => {
        const r = await cp.request("PATCH", `${p}/status`, JSON.stringify(body), "application/merge-patch+json");
        assert.strictEqual(r.status, 200, `PATCH ${p}/status: ${r.status} ${r.body}`);
    };
    await patch(`${GW_API}/namespaces/${ns}/gateways/${gateway}`, {
        status: {
            conditions: [cond("Accepted", "Accepted"), cond("Programmed", "Programmed")],
            addresses: [{ type: "IPAddress", value: "10.96.0.50" }],
        },
    });
    if (route === undefined) return;
    const rt = (await cp.request("GET", `${GW_API}/namespaces/${ns}/httproutes/${route}`)).json;
    await patch(`${GW_API}/namespaces/${ns}/httproutes/${route}`, {
        status: {
            parents: [{
                parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: gateway },
                controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
                conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "played by the test", lastTransitionTime: now, observedGeneration: rt.metadata.generation },
                    { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "played by the test", lastTransitionTime: now, observedGeneration: rt.metadata.generation }],
            }],
        },
    });
}
