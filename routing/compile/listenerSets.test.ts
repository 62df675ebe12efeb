// ListenerSets: admission by allowedListeners, the merged listener list and its precedence, conflicts
// (the later listener is the Conflicted one), route attachment through parentRef kind ListenerSet, and
// the statuses of ListenerSets, their listeners, the Gateway and routes.
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { compile } from ".";
import { featuresOfGateway } from "../features";
import { CompileInput, RoutingPlan } from "../plan";
import { simulate } from "../simulate";
import { GatewaySpec, Listener, ListenerSetSpec } from "../types";
import { validateInput } from "../validate";
import { CLASS, httpListener, route, service } from "../../test/fixtures/build";

const backend = (name: string) => [{ name, port: 8080 }];

function operatorGateway(from: "All" | "Same" | "Selector" | "None" | undefined, listeners: Listener[] = [httpListener("http", 80, { hostname: "gw.example.com", allowedRoutes: { namespaces: { from: "All" } } })]): GatewaySpec {
    return {
        name: "gw", namespace: "infra", gatewayClassName: CLASS.name, listeners,
        ...(from ? { allowedListeners: { namespaces: { from, ...(from === "Selector" ? { selector: { matchLabels: { "listeners": "yes" } } } : {}) } } } : {}),
    };
}

function listenerSet(name: string, namespace: string, listeners: Listener[], gateway = "gw"): ListenerSetSpec {
    return { name, namespace, parentRef: { name: gateway, namespace: "infra" }, listeners };
}

function inputOf(gw: GatewaySpec, listenerSets: ListenerSetSpec[], extra: Partial<CompileInput> = {}): CompileInput {
    return {
        gatewayClasses: [CLASS], gateways: [gw], listenerSets,
        services: [service("shop", 8080, "team-a"), service("blog", 8080, "team-b"), service("web", 8080, "infra")],
        namespaces: [{ name: "team-a", labels: { listeners: "yes" } }, { name: "team-b" }, { name: "infra" }],
        routes: [], ...extra,
    };
}

function lsStatus(plan: RoutingPlan, k: string) {
    const s = plan.listenerSets?.find(x => x.listenerSet === k);
    assert.ok(s, `no status for ListenerSet ${k}`);
    return s;
}

const condition = (conds: { type: string; status: string; reason: string; message: string }[], type: string) => {
    const c = conds.find(x => x.type === type);
    assert.ok(c, `no ${type} condition`);
    return c;
};

describe("ListenerSet", () => {
    it("merges an admitted ListenerSet's listeners after the Gateway's, named by namespace/listenerSet/listener, and routes attach through it", () => {
        const plan = compile(inputOf(operatorGateway("All"), [listenerSet("shop", "team-a", [httpListener("shop", 80, { hostname: "shop.example.com" })])], {
            routes: [{ name: "shop", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "shop", sectionName: "shop" }], rules: [{ backendRefs: backend("shop") }] }],
        }));
        const gw = plan.gateways[0];
        assert.deepEqual(gw.listeners.map(l => l.name), ["http", "team-a/shop/shop"]);
        assert.deepEqual(gw.listeners[1].listenerSet, { namespace: "team-a", name: "shop", sectionName: "shop" });
        assert.deepEqual(gw.ports.map(p => [p.port, p.listeners]), [[80, ["team-a/shop/shop", "http"]]]);
        assert.equal(lsStatus(plan, "team-a/shop").conditions.map(c => `${c.type}=${c.status}`).join(","), "Accepted=True,Programmed=True");
        assert.equal(lsStatus(plan, "team-a/shop").listeners[0].attachedRoutes, 1);
        assert.equal(gw.status.attachedListenerSets, 1);
        assert.deepEqual(gw.status.listeners.map(l => l.name), ["http"]);
        const r = plan.routes.find(x => x.route === "team-a/shop")!;
        assert.equal(condition(r.parents[0].conditions, "Accepted").status, "True");
        assert.equal(r.parents[0].controllerName, CLASS.controllerName);
        const served = simulate(plan, { host: "shop.example.com", path: "/x" });
        assert.equal(served.status, 200);
        assert.equal(served.listener, "team-a/shop/shop");
        assert.equal(served.outcomes[0].backend?.service, "team-a/shop");
        assert.equal(simulate(plan, { host: "gw.example.com", path: "/" }).listener, "http");
    });

    it("admits namespaces by allowedListeners: None (the default) refuses with NotAllowed, Same, All and Selector", () => {
        const sets = [listenerSet("a", "team-a", [httpListener("l", 80, { hostname: "a.example.com" })]), listenerSet("b", "team-b", [httpListener("l", 80, { hostname: "b.example.com" })]),
            listenerSet("i", "infra", [httpListener("l", 80, { hostname: "i.example.com" })])];
        const cases: [Parameters<typeof operatorGateway>[0], string[]][] = [
            [undefined, []], ["None", []], ["Same", ["infra/i"]], ["All", ["infra/i", "team-a/a", "team-b/b"]], ["Selector", ["team-a/a"]],
        ];
        for (const [from, accepted] of cases) {
            const plan = compile(inputOf(operatorGateway(from), sets));
            const ok = plan.listenerSets!.filter(s => s.conditions[0].status === "True").map(s => s.listenerSet);
            assert.deepEqual(ok, accepted, String(from));
            for (const s of plan.listenerSets!.filter(x => !accepted.includes(x.listenerSet))) {
                assert.equal(s.conditions[0].reason, "NotAllowed", `${from} ${s.listenerSet}`);
                assert.match(s.conditions[0].message, new RegExp(`does not admit ListenerSets from namespace ${s.listenerSet.split("/")[0]}`));
                assert.equal(s.conditions[1].status, "False");
            }
            assert.equal(plan.gateways[0].listeners.length, 1 + accepted.length, String(from));
            assert.equal(plan.gateways[0].status.attachedListenerSets, accepted.length);
        }
    });

    it("reports a missing parent Gateway, and a route naming a refused or missing ListenerSet gets NoMatchingParent", () => {
        const plan = compile(inputOf(operatorGateway("Same"), [listenerSet("a", "team-a", [httpListener("l", 80, { hostname: "a.example.com" })]), listenerSet("lost", "team-a", [httpListener("l", 80)], "nope")], {
            routes: [
                { name: "r", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "a" }], rules: [{ backendRefs: backend("shop") }] },
                { name: "s", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "missing" }] },
            ],
        }));
        const lost = lsStatus(plan, "team-a/lost").conditions[0];
        assert.equal(lost.reason, "ParentNotAccepted");
        assert.match(lost.message, /Gateway infra\/nope does not exist/);
        const r = condition(plan.routes.find(x => x.route === "team-a/r")!.parents[0].conditions, "Accepted");
        assert.equal(r.reason, "NoMatchingParent");
        assert.match(r.message, /not accepted by its Gateway/);
        assert.match(plan.routes.find(x => x.route === "team-a/s")!.parents[0].conditions[0].message, /ListenerSet team-a\/missing does not exist/);
        assert.equal(simulate(plan, { host: "a.example.com", path: "/" }).status, 404);
    });

    it("a Gateway parentRef does not reach a ListenerSet's listeners, and its sectionName cannot name one", () => {
        const plan = compile(inputOf(operatorGateway("All"), [listenerSet("a", "team-a", [httpListener("ls-only", 80, { hostname: "ls.example.com" })])], {
            routes: [
                { name: "via-gw", namespace: "team-a", parentRefs: [{ name: "gw", namespace: "infra" }], rules: [{ backendRefs: backend("shop") }] },
                { name: "via-gw-section", namespace: "team-a", parentRefs: [{ name: "gw", namespace: "infra", sectionName: "ls-only" }], rules: [{ backendRefs: backend("shop") }] },
            ],
        }));
        assert.equal(plan.gateways[0].listeners.find(l => l.name === "team-a/a/ls-only")!.rules.length, 0);
        assert.equal(plan.routes.find(x => x.route === "team-a/via-gw-section")!.parents[0].conditions[0].reason, "NoMatchingParent");
        assert.equal(simulate(plan, { host: "ls.example.com", path: "/" }).status, 404);
    });

    it("the ListenerSet listener is the Conflicted one on a hostname or protocol collision, and stays out of the plan", () => {
        const plan = compile(inputOf(operatorGateway("All", [
            httpListener("http", 80, { hostname: "gw.example.com", allowedRoutes: { namespaces: { from: "All" } } }),
        ]), [listenerSet("a", "team-a", [
            httpListener("dup", 80, { hostname: "gw.example.com" }),
            { name: "tls-on-80", port: 80, protocol: "HTTPS", hostname: "x.example.com", tls: { certificateRefs: [{ name: "x" }] } },
            httpListener("ok", 80, { hostname: "ok.example.com" }),
        ])], {
            routes: [{ name: "r", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "a", sectionName: "dup" }], rules: [{ backendRefs: backend("shop") }] }],
        }));
        const s = lsStatus(plan, "team-a/a");
        const byName = new Map(s.listeners.map(l => [l.name, l]));
        assert.equal(condition(byName.get("dup")!.conditions, "Conflicted").reason, "HostnameConflict");
        assert.equal(condition(byName.get("dup")!.conditions, "Accepted").status, "False");
        assert.equal(condition(byName.get("tls-on-80")!.conditions, "Conflicted").reason, "ProtocolConflict");
        assert.equal(condition(byName.get("ok")!.conditions, "Conflicted").status, "False");
        assert.equal(condition(s.conditions, "Accepted").status, "True", "a partly valid ListenerSet is Accepted");
        assert.equal(condition(plan.gateways[0].status.listeners[0].conditions, "Conflicted").status, "False", "the Gateway's listener keeps its place");
        assert.deepEqual(plan.gateways[0].listeners.map(l => l.name), ["http", "team-a/a/ok"]);
        assert.equal(plan.gateways[0].ports[0].protocol, "HTTP");
        // The route attached to the conflicted listener serves nothing; the Gateway's listener keeps its host.
        assert.equal(simulate(plan, { host: "gw.example.com", path: "/" }).listener, "http");
    });

    it("a ListenerSet whose every listener conflicts is not Accepted (ListenersNotValid)", () => {
        const plan = compile(inputOf(operatorGateway("All"), [listenerSet("a", "team-a", [httpListener("dup", 80, { hostname: "gw.example.com" })])]));
        assert.equal(lsStatus(plan, "team-a/a").conditions[0].reason, "ListenersNotValid");
        assert.equal(plan.gateways[0].status.attachedListenerSets, 0);
    });

    it("certificateRefs default to the ListenerSet's namespace and need a grant from kind ListenerSet, not the Gateway's", () => {
        const https = (name: string, host: string, ref: { name: string; namespace?: string }): Listener =>
            ({ name, port: 443, protocol: "HTTPS", hostname: host, tls: { certificateRefs: [ref] } });
        const gw = operatorGateway("All", [httpListener("http", 80), https("https", "gw.example.com", { name: "gw-cert" })]);
        const plan = compile(inputOf(gw, [listenerSet("a", "team-a", [
            https("own", "shop.example.com", { name: "shop-cert" }),
            https("borrowed", "b.example.com", { name: "gw-cert", namespace: "infra" }),
        ])], {
            // The grant lets Gateways of team-a read infra's certs, not ListenerSets.
            referenceGrants: [{ name: "g", namespace: "infra", from: [{ group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "team-a" }], to: [{ group: "", kind: "Secret" }] }],
        }));
        const own = plan.gateways[0].listeners.find(l => l.name === "team-a/a/own")!;
        assert.deepEqual(own.tls?.certificateKeys, ["team-a/shop-cert"]);
        const borrowed = lsStatus(plan, "team-a/a").listeners.find(l => l.name === "borrowed")!;
        assert.equal(condition(borrowed.conditions, "ResolvedRefs").reason, "RefNotPermitted");
        const granted = compile(inputOf(gw, [listenerSet("a", "team-a", [https("borrowed", "b.example.com", { name: "gw-cert", namespace: "infra" })])], {
            referenceGrants: [{ name: "g", namespace: "infra", from: [{ group: "gateway.networking.k8s.io", kind: "ListenerSet", namespace: "team-a" }], to: [{ group: "", kind: "Secret" }] }],
        }));
        assert.equal(condition(lsStatus(granted, "team-a/a").listeners[0].conditions, "ResolvedRefs").status, "True");
    });

    it("allowedRoutes Same on a ListenerSet listener means the ListenerSet's namespace", () => {
        const plan = compile(inputOf(operatorGateway("All"), [listenerSet("a", "team-a", [httpListener("l", 80, { hostname: "a.example.com" })])], {
            routes: [
                { name: "mine", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "a", namespace: "team-a" }], rules: [{ backendRefs: backend("shop") }] },
                { name: "theirs", namespace: "team-b", parentRefs: [{ kind: "ListenerSet", name: "a", namespace: "team-a" }], rules: [{ backendRefs: backend("blog") }] },
            ],
        }));
        assert.equal(plan.routes.find(r => r.route === "team-a/mine")!.parents[0].conditions[0].status, "True");
        assert.equal(plan.routes.find(r => r.route === "team-b/theirs")!.parents[0].conditions[0].reason, "NotAllowedByListeners");
    });

    it("feature uses: ListenerSet, and ListenerSetNewPort for a port the Gateway's own listeners lack", () => {
        const plan = compile(inputOf(operatorGateway("All"), [listenerSet("a", "team-a", [httpListener("same", 80, { hostname: "a.example.com" }), httpListener("new", 8081)])]));
        const uses = featuresOfGateway(plan.gateways[0]).filter(u => u.feature.startsWith("ListenerSet")).map(u => [u.feature, u.listeners]);
        assert.deepEqual(uses, [["ListenerSet", ["team-a/a/same", "team-a/a/new"]], ["ListenerSetNewPort", ["team-a/a/new"]]]);
    });

    it("validation names the field and the fix", () => {
        const bad = inputOf({ ...operatorGateway(undefined), allowedListeners: { namespaces: { from: "Everyone" as "All" } } }, [
            { name: "a", namespace: "team-a", parentRef: { name: "gw", kind: "Service" }, listeners: [httpListener("l", 80), httpListener("l", 81)] },
            { name: "b", namespace: "team-a", listeners: [] } as unknown as ListenerSetSpec,
        ]);
        const issues = validateInput(bad).map(i => `${i.resource} ${i.field}: ${i.message}`);
        const expect = [
            /^Gateway infra\/gw spec.allowedListeners.namespaces.from: /,
            /^ListenerSet team-a\/a spec.parentRef.kind: must be 'Gateway'/,
            /^ListenerSet team-a\/a spec.listeners\[1\].name: must be unique within the ListenerSet/,
            /^ListenerSet team-a\/b spec.parentRef: is required/,
            /^ListenerSet team-a\/b spec.listeners: must have at least 1 listeners/,
        ];
        for (const re of expect) assert.ok(issues.some(i => re.test(i)), `${re} not in\n${issues.join("\n")}`);
        assert.equal(issues.length, expect.length, issues.join("\n"));
        assert.throws(() => compile(bad), /ListenerSet team-a\/a/);
    });

    it("property: merge precedence — the Gateway's listeners, then ListenerSets by namespace/name; a listener is Conflicted exactly when an earlier one has its port and hostname or its port and another protocol", () => {
        const hosts = ["a.example.com", "b.example.com", undefined];
        const arbListener = fc.record({ port: fc.constantFrom(80, 81), protocol: fc.constantFrom<"HTTP" | "HTTPS">("HTTP", "HTTPS"), hostname: fc.constantFrom(...hosts) });
        const toListener = (name: string, l: { port: number; protocol: "HTTP" | "HTTPS"; hostname: string | undefined }): Listener => ({
            name, port: l.port, protocol: l.protocol, ...(l.hostname ? { hostname: l.hostname } : {}),
            ...(l.protocol === "HTTPS" ? { tls: { certificateRefs: [{ name: "c" }] } } : {}),
        });
        const uniqueCombos = <T extends { port: number; protocol: string; hostname: string | undefined }>(ls: T[]) =>
            ls.filter((l, i) => ls.findIndex(o => o.port === l.port && o.protocol === l.protocol && o.hostname === l.hostname) === i);
        fc.assert(fc.property(
            fc.array(arbListener, { minLength: 1, maxLength: 3 }).map(uniqueCombos),
            fc.array(fc.record({ ns: fc.constantFrom("team-a", "team-b"), name: fc.constantFrom("x", "y", "z"), listeners: fc.array(arbListener, { minLength: 1, maxLength: 3 }).map(uniqueCombos) }), { maxLength: 4 })
                .map(sets => sets.filter((s, i) => sets.findIndex(o => o.ns === s.ns && o.name === s.name) === i)),
            (gwListeners, sets) => {
                // The Gateway's own listeners must not conflict among themselves (that is the Gateway's own rule, tested elsewhere).
                fc.pre(new Set(gwListeners.map(l => `${l.port}`)).size === new Set(gwListeners.map(l => `${l.port}|${l.protocol}`)).size);
                const gw = operatorGateway("All", gwListeners.map((l, i) => toListener(`g${i}`, l)));
                const specs = sets.map(s => listenerSet(s.name, s.ns, s.listeners.map((l, i) => toListener(`l${i}`, l))));
                const plan = compile(inputOf(gw, [...specs].reverse()));
                // The reference: walk the merged list in the spec's order.
                const ordered = [...sets].sort((a, b) => (`${a.ns}/${a.name}` < `${b.ns}/${b.name}` ? -1 : 1));
                const kept: { name: string; port: number; protocol: string; hostname: string | undefined }[] = gwListeners.map((l, i) => ({ name: `g${i}`, ...l }));
                const conflicted = new Map<string, string>();
                for (const s of ordered) {
                    s.listeners.forEach((l, i) => {
                        const name = `${s.ns}/${s.name}/l${i}`;
                        const proto = kept.some(k => k.port === l.port && k.protocol !== l.protocol);
                        const host = kept.some(k => k.port === l.port && k.protocol === l.protocol && k.hostname === l.hostname);
                        if (proto) conflicted.set(name, "ProtocolConflict");
                        else if (host) conflicted.set(name, "HostnameConflict");
                        else kept.push({ name, ...l });
                    });
                }
                assert.deepEqual(plan.gateways[0].listeners.map(l => l.name), kept.map(k => k.name));
                for (const st of plan.listenerSets!) {
                    for (const l of st.listeners) {
                        const c = condition(l.conditions, "Conflicted");
                        const want = conflicted.get(`${st.listenerSet}/${l.name}`);
                        assert.equal(c.status, want ? "True" : "False", `${st.listenerSet}/${l.name}`);
                        if (want) assert.equal(c.reason, want);
                    }
                }
                for (const l of plan.gateways[0].status.listeners) assert.equal(condition(l.conditions, "Conflicted").status, "False");
                // Every port the plan carries has one protocol: the merge never creates a port conflict.
                for (const p of plan.gateways[0].ports) assert.ok(p.protocol, `port ${p.port} conflicted`);
            }), { numRuns: 300 });
    });
});
