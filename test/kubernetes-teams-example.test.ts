// examples/kubernetes-teams under Pulumi mocks (always runs; test/kube-teams-stacks.test.ts runs it
// on the real engine): each role's program declares only the objects its stack owns, the teams'
// against the operator's exported reference, passed along as a StackReference would.
import { strict as assert } from "assert";
import { GatewayReference } from "../components";
import { NAMESPACES, infrastructure, operator, team } from "../examples/kubernetes-teams/program";
import { celProblems } from "../providers/kubernetes/model/checks";
import { Manifest } from "../providers/kubernetes/model/manifests";
import { RecordedResource, runProgram, setupMocks } from "../testing";
import { withLoggedWarnings } from "./log-kit";

setupMocks();

const kube = (resources: RecordedResource[]) => resources.filter(r => r.type.startsWith("kubernetes:"));
const objects = (resources: RecordedResource[]) => kube(resources).map(r => {
    const m = r.inputs as Manifest;
    return `${m.kind} ${m.metadata.namespace ? m.metadata.namespace + "/" : ""}${m.metadata.name}`;
}).sort();

async function stacks() {
    const infra = await runProgram(() => {
        const made = infrastructure();
        return { gatewayClass: made.classReference, namespaceLabels: made.namespaceLabels };
    });
    const op = await runProgram(() => operator({ gatewayClass: infra.outputs.gatewayClass, namespaceLabels: infra.outputs.namespaceLabels }).reference);
    return { infra, reference: op.outputs as GatewayReference, operatorResources: op.resources };
}

async function teamStack(reference: GatewayReference, namespace: string, listenerHostname?: string) {
    return runProgram(() => {
        const made = team({ gateway: reference, namespace, ...(listenerHostname ? { listenerHostname } : {}) });
        return { status: made.status, listenerSetStatus: made.listenerSetStatus };
    });
}

describe("examples/kubernetes-teams (infrastructure, operator and team stacks) under mocks", () => {
    it("infrastructure: the labelled namespaces and the GatewayClass; operator: only the Gateway, referencing that class", async () => {
        const { infra, reference, operatorResources } = await stacks();
        assert.deepEqual(objects(infra.resources), ["GatewayClass teams-lb", "Namespace infra", "Namespace team-a", "Namespace team-b", "Namespace team-c"]);
        assert.deepEqual(infra.outputs.namespaceLabels, NAMESPACES);
        assert.deepEqual(objects(operatorResources), ["Gateway infra/shared"]);
        const gw = kube(operatorResources)[0].inputs as Manifest;
        assert.equal((gw.spec as { gatewayClassName: string }).gatewayClassName, "teams-lb");
        assert.deepEqual(celProblems(gw), []);
        assert.deepEqual(reference.namespaceLabels, NAMESPACES);
    });

    it("team-a: its ListenerSet, route on it and Services in team-a; team-b: its route on the Gateway; team-c: NotAllowedByListeners, still emitted", async () => {
        const { reference } = await stacks();
        const a = await teamStack(reference, "team-a", "shop.team-a.example");
        assert.deepEqual(objects(a.resources), [
            "EndpointSlice team-a/shop-canary-ipv4", "EndpointSlice team-a/shop-ipv4", "HTTPRoute team-a/shop", "ListenerSet team-a/shop",
            "Service team-a/shop", "Service team-a/shop-canary",
        ]);
        for (const r of kube(a.resources)) assert.deepEqual(celProblems(r.inputs as Manifest), []);
        const routeA = kube(a.resources).find(r => (r.inputs as Manifest).kind === "HTTPRoute")!.inputs as Manifest;
        assert.deepEqual((routeA.spec as { parentRefs: unknown }).parentRefs, [{ kind: "ListenerSet", name: "shop" }]);
        assert.equal(a.outputs.listenerSetStatus!.conditions[0].reason, "Accepted");

        const b = await teamStack(reference, "team-b");
        assert.deepEqual(objects(b.resources), ["EndpointSlice team-b/shop-canary-ipv4", "EndpointSlice team-b/shop-ipv4", "HTTPRoute team-b/shop", "Service team-b/shop", "Service team-b/shop-canary"]);
        assert.deepEqual(b.outputs.status.parents[0].conditions.map(c => c.reason), ["Accepted", "ResolvedRefs"]);

        const { result: c, warnings } = await withLoggedWarnings(() => teamStack(reference, "team-c"));
        assert.ok(warnings.some(w => /HTTPRoute team-c\/shop is not served by Gateway infra\/shared: .*NotAllowedByListeners.*Fix: ask the owner of Gateway infra\/shared to admit namespace team-c.*emitted anyway/.test(w.message)),
            warnings.map(w => w.message).join("\n"));
        assert.deepEqual(c.outputs.status.parents[0].conditions[0], {
            type: "Accepted", status: "False", reason: "NotAllowedByListeners",
            message: "no listener of Gateway infra/shared admits HTTPRoutes from namespace team-c (allowedRoutes)",
        });
        assert.ok(objects(c.resources).includes("HTTPRoute team-c/shop"), "the object is emitted: the cluster's controller is the one to refuse it");
    });
});
