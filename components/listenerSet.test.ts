// Pulumi-mock tests of the ListenerSet component: it registers with its Gateway like a route, the
// Gateway compiles its listeners in, routes name it by component or by name, and its status shows
// what the Gateway decided; certificates stay in the ListenerSet's namespace.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, GatewayReference, HTTPRoute, ListenerSet, Service } from ".";
import { resolveOutput } from "./registry";
import { routeRequest, runProgram, setupMocks, failureOf } from "../testing";
import { withLoggedInfo } from "../test/log-kit";

/** A resource whose `value` output is unknown in an all-unknown preview. */
class Made<T> extends pulumi.CustomResource {
    declare readonly value: pulumi.Output<T>;
    constructor(name: string, value: T) {
        super("test:index:Made", name, { value });
    }
}

setupMocks();

function operator(from: "All" | "Same" | "None" = "All") {
    const cls = new GatewayClass("plan", { controllerName: "gatewaykit.dev/plan" });
    return new Gateway("gw", {
        gatewayClass: cls, namespace: "infra",
        listeners: [{ name: "http", port: 80, protocol: "HTTP", hostname: "gw.example.com" }],
        allowedListeners: { namespaces: { from } },
    });
}

describe("ListenerSet component", () => {
    it("adds a team's listener to the Gateway; a route attached to it serves there; statuses on both", async () => {
        let gateway!: Gateway;
        const { outputs } = await runProgram(() => {
            gateway = operator();
            const shop = new ListenerSet("shop", { namespace: "team-a", gateway, listeners: [{ name: "shop", port: 80, protocol: "HTTP", hostname: "shop.example.com" }] });
            new Service("shop", { namespace: "team-a", port: 8080, endpoints: [{ address: "10.0.0.1" }] });
            const byComponent = new HTTPRoute("shop", { namespace: "team-a", parentRefs: [{ listenerSet: shop, sectionName: "shop" }], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] });
            const byName = new HTTPRoute("shop-api", { namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "shop" }], rules: [{ matches: [{ path: { value: "/api" } }], backendRefs: [{ name: "shop", port: 8080 }] }] });
            return { ls: shop.status, gw: gateway.status, plan: gateway.plan, r1: byComponent.status, r2: byName.status };
        });
        assert.deepStrictEqual(outputs.ls.conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["Programmed", "True"]]);
        assert.strictEqual(outputs.ls.listeners[0].attachedRoutes, 2);
        assert.strictEqual(outputs.gw.attachedListenerSets, 1);
        assert.deepStrictEqual(outputs.plan.listeners.map(l => l.name), ["http", "team-a/shop/shop"]);
        for (const r of [outputs.r1, outputs.r2]) {
            assert.strictEqual(r.parents.length, 1, JSON.stringify(r));
            assert.deepStrictEqual([r.parents[0].parentRef.kind, r.parents[0].conditions[0].status], ["ListenerSet", "True"]);
        }
        const sim = await routeRequest(gateway, { host: "shop.example.com", path: "/api/x" });
        assert.strictEqual(sim.listener, "team-a/shop/shop");
        assert.strictEqual(sim.matched?.route, "team-a/shop-api");
    });

    it("a Gateway that does not admit the namespace leaves the ListenerSet NotAllowed and its routes unattached", async () => {
        const { outputs } = await runProgram(() => {
            const gateway = operator("Same");
            const shop = new ListenerSet("shop", { namespace: "team-a", gateway, listeners: [{ name: "shop", port: 80, protocol: "HTTP", hostname: "shop.example.com" }] });
            const route = new HTTPRoute("shop", { namespace: "team-a", parentRefs: [{ listenerSet: shop }], rules: [{}] });
            return { ls: shop.status, route: route.status, plan: gateway.plan };
        });
        assert.strictEqual(outputs.ls.conditions[0].reason, "NotAllowed");
        assert.match(outputs.ls.conditions[0].message, /does not admit ListenerSets from namespace team-a/);
        assert.strictEqual(outputs.route.parents[0].conditions[0].reason, "NoMatchingParent");
        assert.strictEqual(outputs.plan.listeners.length, 1);
    });

    it("refuses certificates keyed in another namespace, and a bad ListenerSet is reported on itself", async () => {
        assert.throws(() => {
            const gateway = operator();
            new ListenerSet("steal", {
                namespace: "team-a", gateway,
                listeners: [{ name: "https", port: 443, protocol: "HTTPS", hostname: "gw.example.com", tls: { certificateRefs: [{ name: "gw-cert", namespace: "infra" }] } }],
                certificates: { "infra/gw-cert": { certificate: "x", privateKey: "y" } },
            });
        }, /ListenerSet team-a\/steal: certificates\["infra\/gw-cert"\] names namespace infra; a ListenerSet supplies certificates in its own namespace only/);
        const err = await failureOf(runProgram(() => {
            const gateway = operator();
            new ListenerSet("bad", { namespace: "team-a", gateway, listeners: [{ name: "Bad_Name", port: 80, protocol: "HTTP" }] });
        }));
        assert.match(err.message, /ListenerSet team-a\/bad: spec\.listeners\[0\]\.name/);
    });

    it("a ListenerSet declared after the gateway rendered is refused, naming both", async () => {
        let late: Error | undefined;
        await runProgram(async () => {
            const gateway = operator();
            await gateway.rendered;
            try { new ListenerSet("late", { namespace: "team-a", gateway, listeners: [{ name: "l", port: 80, protocol: "HTTP" }] }); } catch (e) { late = e as Error; }
        });
        assert.match(String(late), /ListenerSet team-a\/late named Gateway infra\/gw after the gateway rendered/);
    });

    it("in a preview, a ListenerSet hostname not yet known makes the Gateway wait, naming the ListenerSet, with no failure", async () => {
        setupMocks({ preview: true, unknownOutputs: true });
        try {
            const { messages } = await withLoggedInfo(async () => {
                let gateway!: Gateway;
                let shop!: ListenerSet;
                await runProgram(() => {
                    gateway = operator();
                    shop = new ListenerSet("shop", { namespace: "team-a", gateway, listeners: [{ name: "shop", port: 80, protocol: "HTTP", hostname: new Made("host", "shop.example.com").value }] });
            });
            assert.strictEqual((await resolveOutput(gateway.plan)).known, false);
            assert.strictEqual((await resolveOutput(shop.status)).known, false);
            });
            assert.ok(messages.some(m => /routing plan is computed once its inputs are known.*ListenerSet team-a\/shop spec\.listeners\[0\]\.hostname is not known in this preview/.test(m)), messages.join("\n"));
        } finally {
            setupMocks();
        }
    });
});

/** Another stack's gateway as its `gateway.reference` exports it. */
function referenceOf(controllerName: string, attachments?: GatewayReference["attachments"]): GatewayReference {
    return {
        name: "gw", namespace: "infra", className: "cls", controllerName,
        listeners: [{ name: "http", port: 80, protocol: "HTTP", hostname: "gw.example.com" }],
        allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: { listeners: "team" } } } },
        namespaceLabels: { "team-a": { listeners: "team" }, "team-b": {} },
        ...(attachments ? { attachments } : {}),
    } as GatewayReference;
}

describe("ListenerSet component in a team's stack (another stack's GatewayReference)", () => {
    const nginxRef = referenceOf("gatewaykit.dev/nginx", { nginx: { home: "/tmp/gk-ls-home-not-used" } });

    it("nginx: compiles its status against the reference and delivers it (and a route on it, after it) from this stack", async () => {
        const { outputs, resources } = await runProgram(() => {
            const ref = pulumi.output(nginxRef);
            const ls = new ListenerSet("shop", {
                namespace: "team-a", gateway: ref,
                listeners: [{ name: "shop", port: 80, protocol: "HTTP", hostname: "shop.example.com" }],
            });
            new Service("shop", { namespace: "team-a", port: 8080, endpoints: [{ address: "10.0.0.1" }] });
            const route = new HTTPRoute("shop", { namespace: "team-a", parentRefs: [{ listenerSet: ls }], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] });
            // Two parentRefs on one reference (the ListenerSet's and the gateway's, one Output): realised once.
            const both = new HTTPRoute("both", { namespace: "team-a", parentRefs: [{ listenerSet: ls }, { gateway: ref }], hostnames: ["shop.example.com"], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] });
            return { ls: ls.status, route: route.status, both: both.status };
        });
        assert.deepStrictEqual(outputs.ls.conditions.map(c => c.reason), ["Accepted", "Programmed"]);
        assert.deepStrictEqual(outputs.route.parents.map(p => [p.parentRef.kind, p.parentRef.name, p.conditions[0].reason]), [["ListenerSet", "shop", "Accepted"]]);
        const attachment = resources.find(r => r.name === "team-a-shop--infra-gw-nginx" && r.inputs.listenerSet !== undefined);
        assert.ok(attachment, `a ListenerSet attachment: ${resources.map(r => r.name).join(", ")}`);
        assert.strictEqual(attachment.inputs.listenerSet, "team-a/shop");
        assert.strictEqual(attachment.inputs.home, "/tmp/gk-ls-home-not-used");
        assert.deepStrictEqual(JSON.parse(attachment.inputs.spec as string).parentRef, { name: "gw", namespace: "infra" });
        assert.ok(resources.some(r => r.inputs.route === "team-a/shop"), "the route's attachment");
        assert.equal(resources.filter(r => r.inputs.route === "team-a/both").length, 1, "one attachment for two parentRefs on one reference");
        // The reference's own listener admits its namespace only (allowedRoutes default Same): only the ListenerSet parent accepts team-a.
        assert.deepStrictEqual(outputs.both.parents.map(p => [p.parentRef.kind, p.conditions[0].reason]), [["ListenerSet", "Accepted"], ["Gateway", "NotAllowedByListeners"]]);
    });

    it("nginx: a namespace the gateway's allowedListeners does not admit gets NotAllowed (the gateway refuses it at up)", async () => {
        const { outputs } = await runProgram(() => {
            const ls = new ListenerSet("shop", { namespace: "team-b", gateway: nginxRef, listeners: [{ name: "shop", port: 80, protocol: "HTTP", hostname: "b.example.com" }] });
            return { ls: ls.status };
        });
        assert.strictEqual(outputs.ls.conditions[0].reason, "NotAllowed");
        assert.match(outputs.ls.conditions[0].message, /does not admit ListenerSets from namespace team-b/);
    });

    it("an adapter that cannot take a team's ListenerSet, and a bad spec, are refused on the ListenerSet", async () => {
        let refused: unknown, bad: unknown;
        await runProgram(async () => {
            const plan = new ListenerSet("ref", { namespace: "team-a", gateway: referenceOf("gatewaykit.dev/plan"), listeners: [{ name: "l", port: 80, protocol: "HTTP", hostname: "a.example.com" }] });
            refused = await plan.realized.then(() => undefined, e => e);
            const empty = new ListenerSet("empty", { namespace: "team-a", gateway: nginxRef, listeners: [] });
            bad = await empty.realized.then(() => undefined, e => e);
        });
        assert.match(String(refused), /ListenerSet team-a\/ref: Gateway infra\/gw \(gatewaykit.dev\/plan\) cannot take a ListenerSet from another stack/);
        assert.match(String(bad), /ListenerSet team-a\/empty: spec\.listeners/);
    });
});
