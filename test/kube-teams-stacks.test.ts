// examples/kubernetes-teams on the real engine: four stacks (infrastructure, operator, team-a,
// team-b) and a fifth team not admitted (team-c), wired by StackReferences on one file backend,
// through the real pulumi-kubernetes provider against a real kube-apiserver (test/kube/harness.ts).
// The infrastructure stack creates the labelled namespaces and the GatewayClass; the operator's the
// Gateway (allowedRoutes and allowedListeners by Selector) and exports its reference; each team's
// its Services and HTTPRoute in its own namespace (team-a also a ListenerSet). Read back from the
// API server: each team's objects in its namespace with its parentRefs; team-b's change writes team-b's
// route only (every other object keeps its resourceVersion); team-c gets NotAllowedByListeners from
// gatewaykit while its object is still emitted (no controller runs here: the cluster status stays
// empty until the test plays one) and is admitted once the infrastructure labels its namespace and
// the operator's reference carries the label; team-a's destroy removes its objects only.
// Gated like the other e2e tests (CI=true or GATEWAYKIT_E2E=1).

import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayReference } from "../components";
import { NAMESPACES, ROUTE_ACCESS, TeamsClassReference, infrastructure, operator, team } from "../examples/kubernetes-teams/program";
import { ControlPlane, KubeStack, KubeTools, kubeGate, kubeStack } from "./kube/harness";

const GW_API = "/apis/gateway.networking.k8s.io/v1";
const INFRA_PROJECT = "gk-kt-infrastructure", OPERATOR_PROJECT = "gk-kt-operator", TEAM_PROJECT = "gk-kt-team";
const GROUP = "teams";

type K8s = typeof import("@pulumi/kubernetes");
/** A program's kubernetes provider for the control plane (loaded inside the program: the SDK is big). */
const providerFor = (kubeconfig: string) => new (require("@pulumi/kubernetes") as K8s).Provider("control-plane", { kubeconfig });

interface TeamOptions { canaryWeight?: number; listenerHostname?: string }

/** An object's path under the API, e.g. objectPath("httproutes", "team-a", "shop"). */
function objectPath(kind: string, namespace: string | undefined, name: string): string {
    const core = ["namespaces", "services"].includes(kind);
    const base = kind === "endpointslices" ? "/apis/discovery.k8s.io/v1" : core ? "/api/v1" : GW_API;
    return `${base}${namespace ? `/namespaces/${namespace}` : ""}/${kind}/${name}`;
}

/** Every object one team's stack writes (the example's team()): kind, namespace, name. */
function teamObjects(ns: string, listenerSet: boolean): [string, string, string][] {
    return [
        ["httproutes", ns, "shop"], ["services", ns, "shop"], ["services", ns, "shop-canary"],
        ["endpointslices", ns, "shop-ipv4"], ["endpointslices", ns, "shop-canary-ipv4"],
        ...(listenerSet ? [["listenersets", ns, "shop"] as [string, string, string]] : []),
    ];
}

describe("examples/kubernetes-teams on the real engine: infrastructure, operator and team stacks on a real kube-apiserver", function () {
    this.timeout(10 * 60_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;
    const stacks: KubeStack[] = [];
    const t0 = Date.now();

    before(async function () {
        this.timeout(50 * 60_000);
        tools = kubeGate(this, "the kubernetes teams-stacks e2e test");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin });
        console.log(`      control plane up in ${cp.timings.start} ms`);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        // What a failed test left: destroyed last made first, then the stacks removed.
        for (const s of [...stacks].reverse()) {
            await s.stack.destroy().catch(e => console.error(`cleanup: destroy of ${s.stack.name} failed: ${(e as Error).message.split("\n").slice(-3).join(" ")}`));
            await s.remove();
        }
        await cp?.stop();
        if (cp) console.log(`      total with control plane start and stop: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    const get = async (p: string) => {
        const r = await cp!.request("GET", p);
        assert.equal(r.status, 200, `GET ${p}: ${r.status} ${r.body}`);
        return r.json;
    };
    const absent = async (p: string) => (await cp!.request("GET", p)).status === 404;
    const versions = async (objects: [string, string | undefined, string][]) =>
        Object.fromEntries(await Promise.all(objects.map(async ([k, ns, n]) => [`${k}/${ns ?? ""}/${n}`, (await get(objectPath(k, ns, n))).metadata.resourceVersion])));

    it("each role's own up writes its own objects; team-b's change and team-a's destroy touch no one else's; team-c is NotAllowedByListeners", async () => {
        const phase = (name: string) => console.log(`      ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const kubeconfig = cp!.kubeconfig;
        let namespaces = NAMESPACES;
        const infraStack = await kubeStack(cp!, tools!, INFRA_PROJECT, async () => {
            const made = infrastructure({ provider: providerFor(kubeconfig), namespaces });
            return { gatewayClass: made.classReference, namespaceLabels: made.namespaceLabels };
        }, { group: GROUP, stackName: "dev" });
        stacks.push(infraStack);
        const operatorStack = await kubeStack(cp!, tools!, OPERATOR_PROJECT, async () => {
            const ref = new pulumi.StackReference(`organization/${INFRA_PROJECT}/dev`);
            const made = operator({
                gatewayClass: ref.requireOutput("gatewayClass") as pulumi.Output<TeamsClassReference>,
                namespaceLabels: ref.requireOutput("namespaceLabels") as pulumi.Output<Record<string, Record<string, string>>>,
                provider: providerFor(kubeconfig),
            });
            return { gatewayReference: made.reference, gatewayStatus: made.clusterStatus };
        }, { group: GROUP, stackName: "dev" });
        stacks.push(operatorStack);
        const teamOptions: Record<string, TeamOptions> = { "team-a": { listenerHostname: "shop.team-a.example" }, "team-b": {}, "team-c": {} };
        const teamStack = async (ns: string) => {
            const s = await kubeStack(cp!, tools!, TEAM_PROJECT, async () => {
                const gateway = new pulumi.StackReference(`organization/${OPERATOR_PROJECT}/dev`).requireOutput("gatewayReference") as pulumi.Output<GatewayReference>;
                const made = team({ gateway, namespace: ns, provider: providerFor(kubeconfig), ...teamOptions[ns] });
                return { status: made.status, listenerSetStatus: made.listenerSetStatus, clusterStatus: made.clusterStatus };
            }, { group: GROUP, stackName: ns });
            stacks.push(s);
            return s;
        };
        const up = async (s: KubeStack) => {
            const r = await s.stack.up();
            assert.equal(r.summary.result, "succeeded");
            return r;
        };

        // 1. Infrastructure: the labelled namespaces and the GatewayClass.
        const infra = await up(infraStack);
        for (const [ns, labels] of Object.entries(NAMESPACES)) {
            const got = (await get(objectPath("namespaces", undefined, ns))).metadata.labels;
            assert.deepEqual(got, { ...labels, "kubernetes.io/metadata.name": ns }, `namespace ${ns}'s labels`);
        }
        const cls = await get(`${GW_API}/gatewayclasses/teams-lb`);
        assert.equal(cls.spec.controllerName, "gateway.envoyproxy.io/gatewayclass-controller");
        assert.deepEqual(infra.outputs.gatewayClass.value, { name: "teams-lb", controllerName: "gatewaykit.dev/kubernetes" });
        phase("infrastructure up");

        // 2. Operator: the Gateway referencing the class by name (not creating one), its reference exported.
        const op = await up(operatorStack);
        const gw = await get(`${GW_API}/namespaces/infra/gateways/shared`);
        assert.equal(gw.spec.gatewayClassName, "teams-lb");
        assert.deepEqual(gw.spec.listeners.map((l: any) => [l.name, l.protocol, l.port, l.allowedRoutes]),
            [["http", "HTTP", 8080, { namespaces: { from: "Selector", selector: { matchLabels: { "gateway-access": "true" } } } }]]);
        assert.deepEqual(gw.spec.allowedListeners, { namespaces: { from: "Selector", selector: { matchLabels: { "own-listeners": "true" } } } });
        assert.deepEqual((await get(`${GW_API}/gatewayclasses`)).items.map((c: any) => c.metadata.name), ["teams-lb"], "the operator created no class");
        const reference = op.outputs.gatewayReference.value as GatewayReference;
        assert.deepEqual([reference.namespace, reference.name, reference.className, reference.controllerName], ["infra", "shared", "teams-lb", "gatewaykit.dev/kubernetes"]);
        assert.deepEqual(reference.namespaceLabels["team-c"], { "kubernetes.io/metadata.name": "team-c" }, "the labels the cluster holds");
        assert.equal(op.outputs.gatewayStatus.value.gateway.programmed.status, "Unknown", "no controller runs: Programmed is Pending");
        phase("operator up");

        // 3. team-a: a ListenerSet (its own hostname) and the route on it; team-b: a route on the Gateway.
        const teamA = await teamStack("team-a");
        const a1 = await up(teamA);
        const ls = await get(objectPath("listenersets", "team-a", "shop"));
        // As written, with the CRD's defaults (parentRef group and kind, a listener's allowedRoutes Same).
        assert.deepEqual(ls.spec, {
            parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "shared", namespace: "infra" },
            listeners: [{ name: "shop", hostname: "shop.team-a.example", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }],
        });
        const routeA = await get(objectPath("httproutes", "team-a", "shop"));
        assert.deepEqual(routeA.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "ListenerSet", name: "shop" }]);
        assert.equal(routeA.spec.hostnames, undefined);
        assert.deepEqual(routeA.spec.rules[0].backendRefs, [{ group: "", kind: "Service", name: "shop", port: 8080, weight: 90 }, { group: "", kind: "Service", name: "shop-canary", port: 8080, weight: 10 }]);
        const sliceA = await get(objectPath("endpointslices", "team-a", "shop-ipv4"));
        assert.deepEqual(sliceA.endpoints.map((e: any) => e.addresses[0]), ["10.0.0.10", "10.0.0.11"]);
        assert.deepEqual(a1.outputs.listenerSetStatus.value.conditions.map((c: any) => [c.type, c.status]), [["Accepted", "True"], ["Programmed", "True"]]);
        assert.deepEqual(a1.outputs.status.value.parents.map((p: any) => [p.parentRef.kind, p.conditions.map((c: any) => c.reason)]), [["ListenerSet", ["Accepted", "ResolvedRefs"]]]);
        assert.deepEqual(a1.outputs.clusterStatus.value.routes, [{ route: "team-a/shop", parents: [] }], "no controller has written the route's status");
        phase("team-a up");

        const teamB = await teamStack("team-b");
        const b1 = await up(teamB);
        const routeB = await get(objectPath("httproutes", "team-b", "shop"));
        assert.deepEqual(routeB.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "shared", namespace: "infra" }]);
        assert.deepEqual(routeB.spec.hostnames, ["team-b.example"]);
        assert.deepEqual(b1.outputs.status.value.parents.map((p: any) => p.conditions.map((c: any) => [c.type, c.status])), [[["Accepted", "True"], ["ResolvedRefs", "True"]]]);
        assert.equal(b1.outputs.listenerSetStatus?.value, undefined);
        assert.equal(await absent(objectPath("listenersets", "team-b", "shop")), true);
        for (const [k, ns, n] of [...teamObjects("team-a", true), ...teamObjects("team-b", false)]) {
            const o = await get(objectPath(k, ns, n));
            assert.equal(o.metadata.labels["app.kubernetes.io/managed-by"], "gatewaykit", `${k} ${ns}/${n}`);
        }
        phase("team-b up");

        // 4. team-b changes its weights: one patch of team-b's route; nothing else is written.
        const others: [string, string | undefined, string][] = [
            ["namespaces", undefined, "infra"], ["namespaces", undefined, "team-a"], ["namespaces", undefined, "team-b"], ["gateways", "infra", "shared"],
            ...teamObjects("team-a", true), ...teamObjects("team-b", false).filter(([k]) => k !== "httproutes"),
        ];
        const before = await versions(others);
        const classBefore = (await get(`${GW_API}/gatewayclasses/teams-lb`)).metadata.resourceVersion;
        teamOptions["team-b"].canaryWeight = 50;
        const b2 = await up(teamB);
        assert.deepEqual(Object.fromEntries(Object.entries(b2.summary.resourceChanges ?? {}).filter(([o]) => o !== "same")), { update: 1 }, JSON.stringify(b2.summary.resourceChanges));
        const routeB2 = await get(objectPath("httproutes", "team-b", "shop"));
        assert.deepEqual(routeB2.spec.rules[0].backendRefs.map((b: any) => b.weight), [50, 50]);
        assert.equal(routeB2.metadata.generation, routeB.metadata.generation + 1);
        assert.equal(routeB2.metadata.uid, routeB.metadata.uid, "patched, not replaced");
        assert.deepEqual(await versions(others), before, "the operator's, team-a's and team-b's other objects keep their resourceVersion");
        assert.equal((await get(`${GW_API}/gatewayclasses/teams-lb`)).metadata.resourceVersion, classBefore);
        phase("team-b change");

        // 5. team-c: its namespace lacks gateway-access=true. gatewaykit says so in team-c's status; the
        // object is still emitted (the cluster's controller is the one to refuse it), and the cluster's
        // own status stays empty until a controller writes one.
        const teamC = await teamStack("team-c");
        const c1 = await up(teamC);
        const [parentC] = c1.outputs.status.value.parents;
        assert.deepEqual(parentC.conditions[0], {
            type: "Accepted", status: "False", reason: "NotAllowedByListeners",
            message: "no listener of Gateway infra/shared admits HTTPRoutes from namespace team-c (allowedRoutes)",
        });
        const routeC = await get(objectPath("httproutes", "team-c", "shop"));
        assert.deepEqual(routeC.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "shared", namespace: "infra" }]);
        assert.deepEqual(c1.outputs.clusterStatus.value.routes, [{ route: "team-c/shop", parents: [] }]);
        // Played here: the controller's refusal, which team-c's next up (with refresh) reads back.
        const patched = await cp!.request("PATCH", `${objectPath("httproutes", "team-c", "shop")}/status`, JSON.stringify({
            status: {
                parents: [{
                    parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "shared", namespace: "infra" },
                    controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
                    conditions: [{ type: "Accepted", status: "False", reason: "NotAllowedByListeners", message: "played by the test", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"), observedGeneration: routeC.metadata.generation }],
                }],
            },
        }), "application/merge-patch+json");
        assert.equal(patched.status, 200, patched.body);
        const c2 = await teamC.stack.up({ refresh: true });
        assert.deepEqual(c2.outputs.clusterStatus.value.routes[0].parents.map((p: any) => [p.controllerName, p.conditions.map((c: any) => c.reason)]),
            [["gateway.envoyproxy.io/gatewayclass-controller", ["NotAllowedByListeners"]]]);
        phase("team-c not admitted");

        // 6. Access is the namespace's label: the infrastructure's up grants it, the operator's up carries
        // the new labels in its reference (its Gateway object is not written), team-c's next up reads Accepted.
        const gatewayVersion = (await get(objectPath("gateways", "infra", "shared"))).metadata.resourceVersion;
        const routeCVersion = (await get(objectPath("httproutes", "team-c", "shop"))).metadata.resourceVersion;
        namespaces = { ...NAMESPACES, "team-c": ROUTE_ACCESS };
        await up(infraStack);
        assert.equal((await get(objectPath("namespaces", undefined, "team-c"))).metadata.labels["gateway-access"], "true");
        const op2 = await up(operatorStack);
        assert.deepEqual((op2.outputs.gatewayReference.value as GatewayReference).namespaceLabels["team-c"], { ...ROUTE_ACCESS, "kubernetes.io/metadata.name": "team-c" });
        assert.equal((await get(objectPath("gateways", "infra", "shared"))).metadata.resourceVersion, gatewayVersion, "the Gateway object is not written");
        const c3 = await up(teamC);
        assert.deepEqual(c3.outputs.status.value.parents[0].conditions.map((c: any) => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]]);
        assert.equal((await get(objectPath("httproutes", "team-c", "shop"))).metadata.resourceVersion, routeCVersion, "nor team-c's route: only gatewaykit's view changed");
        phase("team-c admitted by its namespace's label");

        // 7. team-a destroys its stack: its objects go; the operator's, team-b's and team-c's stay untouched.
        const kept: [string, string | undefined, string][] = [["gateways", "infra", "shared"], ...teamObjects("team-b", false), ...teamObjects("team-c", false)];
        const keptBefore = await versions(kept);
        const d = await teamA.stack.destroy();
        assert.equal(d.summary.result, "succeeded");
        for (const [k, ns, n] of teamObjects("team-a", true)) assert.ok(await absent(objectPath(k, ns, n)), `${k} ${ns}/${n} still there`);
        assert.deepEqual(await versions(kept), keptBefore, "no other stack's object was written");
        assert.ok(!(await absent(objectPath("namespaces", undefined, "team-a"))), "team-a's namespace is the infrastructure's: it stays");
        phase("team-a destroy");

        // 8. The rest, last made first: nothing of any stack is left.
        for (const s of [teamC, teamB, operatorStack, infraStack]) assert.equal((await s.stack.destroy()).summary.result, "succeeded", s.stack.name);
        for (const kind of ["httproutes", "listenersets", "gateways"]) assert.deepEqual((await get(`${GW_API}/${kind}`)).items, [], kind);
        assert.deepEqual((await get(`${GW_API}/gatewayclasses`)).items, []);
        const deadline = Date.now() + 60_000;
        const left = async () => (await get("/api/v1/namespaces")).items.map((n: any) => n.metadata.name).filter((n: string) => n in NAMESPACES);
        while ((await left()).length > 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 500));
        assert.deepEqual(await left(), [], "the namespace controller removed the teams' namespaces");
        phase("all destroyed");
    });
});
