// examples/kubernetes: the seed's scenario as two stacks — the platform's (class + gateway) and the
// mygroup team's (routes + backends) — each run as a program under Pulumi mocks.
import { strict as assert } from "assert";
import { app } from "../examples/kubernetes/app/program";
import { platform } from "../examples/kubernetes/platform/program";
import { GatewayReference } from "../components";
import { celProblems } from "../providers/kubernetes/model/checks";
import { Manifest } from "../providers/kubernetes/model/manifests";
import { clusterStatus } from "../providers/kubernetes/realize";
import { RecordedResource, runProgram, setupMocks } from "../testing";

setupMocks();

const kube = (resources: RecordedResource[]) => resources.filter(r => r.type.startsWith("kubernetes:"));
const kinds = (resources: RecordedResource[]) => kube(resources).map(r => `${(r.inputs as Manifest).kind} ${r.name}`).sort();

async function platformStack() {
    return runProgram(() => {
        const made = platform();
        return { reference: made.reference, status: clusterStatus(made.gateway) };
    });
}

describe("examples/kubernetes (the seed scenario as two stacks)", () => {
    it("platform stack: the external-lb GatewayClass and the mygroup-external Gateway, nothing of the teams'", async () => {
        const { resources, outputs } = await platformStack();
        assert.deepEqual(kinds(resources), ["Gateway mygroup/mygroup-external", "GatewayClass external-lb"]);
        const gw = kube(resources).find(r => (r.inputs as Manifest).kind === "Gateway")!.inputs as Manifest;
        assert.deepEqual(gw.spec, {
            gatewayClassName: "external-lb",
            listeners: [{ name: "http", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { gateway: "mygroup-external" } } } } }],
        });
        for (const r of kube(resources)) assert.deepEqual(celProblems(r.inputs as Manifest), []);
        assert.equal(outputs.status!.gateway!.programmed.status, "Unknown");
        assert.equal(outputs.reference.controllerName, "gatewaykit.dev/kubernetes");
    });

    it("app stack: the canary HTTPRoute, its endpoint Service and the grant to the canary's namespace, attached to the platform's gateway", async () => {
        const { outputs: platformOutputs } = await platformStack();
        const reference = platformOutputs.reference as GatewayReference;
        const { resources, outputs } = await runProgram(() => {
            const made = app({ gateway: reference });
            return { status: made.routeStatus, table: made.routingTable };
        });
        assert.deepEqual(kinds(resources), [
            "EndpointSlice mygroup/mygroup-groups-ipv4", "HTTPRoute mygroup/mygroup",
            "ReferenceGrant mygroup-canary/httproute-mygroup-mygroup", "Service mygroup/mygroup-groups",
        ]);
        const route = kube(resources).find(r => (r.inputs as Manifest).kind === "HTTPRoute")!.inputs as Manifest;
        assert.deepEqual(route.metadata.labels, { gateway: "mygroup-external", "app.kubernetes.io/managed-by": "gatewaykit" });
        assert.deepEqual(route.spec, {
            parentRefs: [{ name: "mygroup-external" }],
            hostnames: ["mygroup.io"],
            rules: [{
                name: "groups",
                matches: [{ path: { type: "PathPrefix", value: "/groups" } }],
                backendRefs: [{ name: "mygroup-groups", port: 8080, weight: 90 }, { name: "groups-canary", namespace: "mygroup-canary", port: 8080, weight: 10 }],
            }],
        });
        for (const r of kube(resources)) assert.deepEqual(celProblems(r.inputs as Manifest), []);
        // gatewaykit's own status, computed against the platform's listeners (the Selector admits mygroup).
        assert.deepEqual(outputs.status.parents[0].conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]]);
        assert.match(outputs.table, /mygroup\.io · PathPrefix \/groups → mygroup\/mygroup-groups:8080 90%, mygroup\/mygroup-groups-canary:8080 10%/);
    });
});
