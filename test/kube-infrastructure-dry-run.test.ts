// The kubernetes adapter's objects for a Gateway with spec.infrastructure and spec.addresses against a
// real API server (server-side dry run, upstream v1.6.1 CRDs): every emitted object is accepted; what
// gatewaykit's validation refuses by the CRD's limits (9 labels, a non-IP IPAddress) the server refuses too.

import { strict as assert } from "assert";
import { ManifestRenderer, allManifests } from "../providers/kubernetes/model/manifests";
import { resolveParameters } from "../providers/kubernetes/parameters";
import { GatewayInput } from "../routing/plan";
import { GatewaySpec } from "../routing/types";
import { validateGateway, validateInput } from "../routing/validate";
import { dryRunApplyAll, KubeObject } from "./kube/dry-run";
import { ControlPlane, KubeTools, kubeGate } from "./kube/harness";

const NAMESPACES = ["infra", "team-a"];

function inputOf(gateway: Partial<GatewaySpec>): GatewayInput {
    return {
        gatewayClass: { name: "eg", controllerName: "gatewaykit.dev/kubernetes" },
        gateway: { name: "gw", namespace: "infra", gatewayClassName: "eg", listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }], ...gateway },
        routes: [{ name: "shop", namespace: "team-a", parentRefs: [{ name: "gw", namespace: "infra" }], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] }],
        services: [{ name: "shop", namespace: "team-a", ports: [{ port: 8080 }], endpoints: [{ address: "10.0.0.5" }] }],
        namespaces: [],
    };
}

describe("kubernetes adapter: Gateway infrastructure and addresses vs a real API server (server-side dry run)", function () {
    this.timeout(10 * 60_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;

    before(async function () {
        this.timeout(50 * 60_000);
        tools = kubeGate(this, "the kubernetes infrastructure dry run");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin, namespaces: NAMESPACES });
    });
    after(async function () {
        this.timeout(60_000);
        await cp?.stop();
    });

    it("accepts every emitted object carrying the Gateway's labels and annotations; refuses what gatewaykit's validation refuses", async () => {
        const { params } = resolveParameters({});
        const variants: Partial<GatewaySpec>[] = [
            { infrastructure: { labels: { "example.com/team": "Edge.1", env: "" }, annotations: { "example.com/note": "free text; \"quoted\"", long: "x".repeat(4096) } } },
            { addresses: [{ type: "IPAddress", value: "10.0.0.1" }, { type: "IPAddress", value: "2001:db8::1" }, { type: "Hostname", value: "*.example.com" }, { type: "NamedAddress", value: "edge-ip" }] },
            { addresses: [{ type: "IPAddress" }], infrastructure: { labels: { a: "b" } } },
        ];
        const objects: KubeObject[] = [];
        for (const v of variants) {
            const input = inputOf(v);
            assert.deepEqual(validateInput({ gatewayClasses: [input.gatewayClass], gateways: [input.gateway], routes: input.routes, services: input.services }).map(i => i.message), []);
            objects.push(...allManifests(new ManifestRenderer(input, params).render("gateway")).filter(m => m.kind !== "Namespace") as KubeObject[]);
        }
        const verdicts = await dryRunApplyAll(cp!, objects);
        const refused = verdicts.map((v, i) => [v, objects[i]] as const).filter(([v]) => !v.accepted).map(([v, o]) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${v.status} ${v.message}`);
        assert.deepEqual(refused, []);

        const tooMany = inputOf({ infrastructure: { labels: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`l${i}`, "v"])) } });
        const notIp = inputOf({ addresses: [{ type: "IPAddress", value: "not-an-ip" }] });
        for (const [input, server, ours] of [[tooMany, /labels|Too many|must have at most 8/i, /at most 8 entries/], [notIp, /value|format|ipv4|ipv6/i, /must be an IPv4 or IPv6 address/]] as const) {
            assert.match(validateGateway(input.gateway).map(i => i.message).join("\n"), ours);
            const gw = allManifests(new ManifestRenderer(input, params).render("gateway")).find(m => m.kind === "Gateway")! as KubeObject;
            const [verdict] = await dryRunApplyAll(cp!, [gw]);
            assert.equal(verdict.accepted, false, JSON.stringify(gw.spec));
            assert.match(verdict.message, server);
        }
        console.log(`      ${objects.length} emitted objects accepted by kube-apiserver; 9 labels and a non-IP IPAddress refused by it and by gatewaykit`);
    });
});
