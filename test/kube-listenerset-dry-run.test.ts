// The kubernetes adapter's ListenerSet objects against a real API server (server-side dry run with
// the upstream v1.6.1 CRDs installed): every ListenerSet, Gateway with allowedListeners and route
// attached to a ListenerSet that gatewaykit emits for valid inputs is accepted, and a ListenerSet the
// CRD refuses (tls on an HTTP listener) is refused by the server too.

import { strict as assert } from "assert";
import { ManifestRenderer, allManifests } from "../providers/kubernetes/model/manifests";
import { resolveParameters } from "../providers/kubernetes/parameters";
import { GatewayInput } from "../routing/plan";
import { Listener } from "../routing/types";
import { validateInput } from "../routing/validate";
import { dryRunApplyAll, KubeObject } from "./kube/dry-run";
import { ControlPlane, KubeTools, kubeGate } from "./kube/harness";

const NAMESPACES = ["infra", "team-a", "team-b"];

function inputOf(listeners: Listener[], from: "All" | "Same" | "Selector"): GatewayInput {
    return {
        gatewayClass: { name: "eg", controllerName: "gatewaykit.dev/kubernetes" },
        gateway: {
            name: "gw", namespace: "infra", gatewayClassName: "eg",
            listeners: [{ name: "http", port: 80, protocol: "HTTP" }, { name: "https", port: 443, protocol: "HTTPS", hostname: "gw.example.com", tls: { certificateRefs: [{ name: "gw-cert" }] } }],
            allowedListeners: { namespaces: { from, ...(from === "Selector" ? { selector: { matchLabels: { listeners: "team" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["x"] }] } } : {}) } },
        },
        listenerSets: [
            { name: "shop", namespace: "team-a", parentRef: { name: "gw", namespace: "infra" }, listeners },
            { name: "blog", namespace: "team-b", parentRef: { name: "gw", namespace: "infra", kind: "Gateway", group: "gateway.networking.k8s.io" }, listeners: [{ name: "web", port: 80, protocol: "HTTP", hostname: "*.blog.example.com" }] },
        ],
        routes: [
            { name: "shop", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "shop", sectionName: listeners[0].name }], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] },
            { name: "blog", namespace: "team-b", parentRefs: [{ group: "gateway.networking.k8s.io", kind: "ListenerSet", name: "blog" }, { name: "gw", namespace: "infra", sectionName: "http" }], rules: [{}] },
        ],
        services: [],
        namespaces: [{ name: "team-a", labels: { listeners: "team" } }],
    };
}

describe("kubernetes adapter: ListenerSet objects vs a real API server (server-side dry run)", function () {
    this.timeout(10 * 60_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;

    before(async function () {
        this.timeout(50 * 60_000);
        tools = kubeGate(this, "the kubernetes ListenerSet dry run");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin, namespaces: NAMESPACES });
    });
    after(async function () {
        this.timeout(60_000);
        await cp?.stop();
    });

    it("accepts every emitted ListenerSet, Gateway and route; refuses what the CRD refuses", async () => {
        const { params } = resolveParameters({});
        const variants: [Listener[], "All" | "Same" | "Selector"][] = [
            [[{ name: "web", port: 80, protocol: "HTTP", hostname: "shop.example.com", allowedRoutes: { namespaces: { from: "Same" } } }], "All"],
            [[{ name: "secure", port: 443, protocol: "HTTPS", hostname: "shop.example.com", tls: { mode: "Terminate", certificateRefs: [{ name: "shop-cert" }, { name: "shared", namespace: "infra", kind: "Secret", group: "" }] } },
                { name: "admin", port: 8081, protocol: "HTTP" }], "Selector"],
            [[{ name: "wild", port: 80, protocol: "HTTP", hostname: "*.shop.example.com", allowedRoutes: { namespaces: { from: "All" }, kinds: [{ kind: "HTTPRoute" }] } }], "Same"],
        ];
        const objects: KubeObject[] = [];
        for (const [listeners, from] of variants) {
            const input = inputOf(listeners, from);
            assert.deepEqual(validateInput({ gatewayClasses: [input.gatewayClass], gateways: [input.gateway], routes: input.routes, listenerSets: input.listenerSets, namespaces: input.namespaces }).map(i => i.message), []);
            objects.push(...allManifests(new ManifestRenderer(input, params).render("gateway")).filter(m => m.apiVersion.startsWith("gateway.networking.k8s.io/")) as KubeObject[]);
        }
        const kinds = new Set(objects.map(o => o.kind));
        assert.ok(kinds.has("ListenerSet") && kinds.has("Gateway") && kinds.has("HTTPRoute"), [...kinds].join(","));
        const verdicts = await dryRunApplyAll(cp!, objects);
        const refused = verdicts.map((v, i) => [v, objects[i]] as const).filter(([v]) => !v.accepted).map(([v, o]) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${v.status} ${v.message}`);
        assert.deepEqual(refused, []);
        const bad: KubeObject = {
            apiVersion: "gateway.networking.k8s.io/v1", kind: "ListenerSet", metadata: { name: "bad", namespace: "team-a" },
            spec: { parentRef: { name: "gw", namespace: "infra" }, listeners: [{ name: "web", port: 80, protocol: "HTTP", tls: { certificateRefs: [{ name: "c" }] } }] },
        };
        const [verdict] = await dryRunApplyAll(cp!, [bad]);
        assert.equal(verdict.accepted, false);
        assert.match(verdict.message, /tls must not be specified/);
        console.log(`      ${objects.length} emitted objects (${objects.filter(o => o.kind === "ListenerSet").length} ListenerSets) accepted by kube-apiserver; the CRD's refusal reproduced`);
    });
});
