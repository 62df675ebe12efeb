// The kubernetes adapter under Pulumi mocks with a ListenerSet component: the operator's program
// declares the Gateway (admitting team namespaces) and a team's ListenerSet and route; the cluster
// receives a ListenerSet object beside the Gateway, and the route's parentRef names it.

import { strict as assert } from "assert";
import { Gateway, GatewayClass, GatewayReference, HTTPRoute, ListenerSet, Service } from "../../components";
import { Manifest } from "./model/manifests";
import { runProgram, setupMocks } from "../../testing";

setupMocks();

const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const LS = "kubernetes:gateway.networking.k8s.io/v1:ListenerSet";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

describe("kubernetes adapter: ListenerSet objects (Pulumi mocks)", () => {
    it("emits the ListenerSet with its listeners, the Gateway's allowedListeners, and the route's ListenerSet parentRef", async () => {
        const { resources, outputs } = await runProgram(() => {
            const cls = new GatewayClass("external-lb", { controllerName: "gatewaykit.dev/kubernetes", parameters: { kubernetes: { namespaces: { "team-a": "cluster-team-a" } } } });
            const gateway = new Gateway("edge", {
                gatewayClass: cls, namespace: "infra",
                listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
                allowedListeners: { namespaces: { from: "All" } },
            });
            const shop = new ListenerSet("shop", {
                namespace: "team-a", gateway,
                listeners: [
                    { name: "web", protocol: "HTTP", port: 80, hostname: "shop.example.com" },
                    { name: "secure", protocol: "HTTPS", port: 443, hostname: "shop.example.com", tls: { certificateRefs: [{ name: "shop-cert" }] } },
                ],
            });
            new Service("shop", { namespace: "team-a", port: 8080, endpoints: [{ address: "10.0.0.1" }] });
            new HTTPRoute("shop", { namespace: "team-a", parentRefs: [{ listenerSet: shop, sectionName: "web" }], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] });
            return { status: shop.status };
        });
        const gw = resources.find(r => r.type === GW)!.inputs as Manifest;
        assert.deepEqual((gw.spec as { allowedListeners: unknown }).allowedListeners, { namespaces: { from: "All" } });
        const ls = resources.filter(r => r.type === LS);
        assert.deepEqual(ls.map(r => r.name), ["cluster-team-a/shop"]);
        const m = ls[0].inputs as Manifest;
        assert.equal(m.apiVersion, "gateway.networking.k8s.io/v1");
        assert.deepEqual(m.spec, {
            parentRef: { name: "edge", namespace: "infra" },
            listeners: [
                { name: "web", hostname: "shop.example.com", port: 80, protocol: "HTTP" },
                { name: "secure", hostname: "shop.example.com", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "shop-cert" }] } },
            ],
        });
        const route = resources.find(r => r.type === ROUTE)!.inputs as Manifest;
        assert.deepEqual((route.spec as { parentRefs: unknown }).parentRefs, [{ kind: "ListenerSet", name: "shop", sectionName: "web" }]);
        assert.equal(outputs.status.conditions[0].status, "True");
    });

    it("a team's stack: a ListenerSet on another stack's GatewayReference emits the ListenerSet object here, and a route on it waits for it", async () => {
        const reference = {
            name: "edge", namespace: "infra", className: "external-lb", controllerName: "gatewaykit.dev/kubernetes",
            listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
            allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: { listeners: "team" } } } },
            namespaceLabels: { "team-a": { listeners: "team" } },
        } as GatewayReference;
        const { resources, outputs } = await runProgram(() => {
            const shop = new ListenerSet("shop", {
                namespace: "team-a", gateway: reference,
                listeners: [{ name: "web", protocol: "HTTP", port: 80, hostname: "shop.example.com" }],
                parameters: { kubernetes: { namespaces: { "team-a": "cluster-team-a" } } },
            });
            new Service("shop", { namespace: "team-a", port: 8080, endpoints: [{ address: "10.0.0.1" }] });
            const route = new HTTPRoute("shop", {
                namespace: "team-a", parentRefs: [{ listenerSet: shop, sectionName: "web" }],
                parameters: { kubernetes: { namespaces: { "team-a": "cluster-team-a" } } },
                rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }],
            });
            return { status: shop.status, route: route.status };
        });
        assert.deepEqual(resources.filter(r => r.type === GW), [], "the Gateway is the operator's");
        const ls = resources.filter(r => r.type === LS);
        assert.deepEqual(ls.map(r => r.name), ["cluster-team-a/shop"]);
        assert.deepEqual((ls[0].inputs as Manifest).spec, {
            parentRef: { name: "edge", namespace: "infra" },
            listeners: [{ name: "web", hostname: "shop.example.com", port: 80, protocol: "HTTP" }],
        });
        const route = resources.find(r => r.type === ROUTE)!.inputs as Manifest;
        assert.deepEqual((route.spec as { parentRefs: unknown }).parentRefs, [{ kind: "ListenerSet", name: "shop", sectionName: "web" }]);
        assert.deepEqual(outputs.status.conditions.map(c => c.reason), ["Accepted", "Programmed"]);
        assert.deepEqual(outputs.route.parents.map(p => [p.parentRef.kind, p.conditions[0].reason]), [["ListenerSet", "Accepted"]]);
    });
});
