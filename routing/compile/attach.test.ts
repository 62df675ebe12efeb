// Attachment and status: parentRefs × listeners × allowedRoutes × hostnames, with the spec's reasons.
import { strict as assert } from "assert";
import { compile } from ".";
import { RoutingPlan } from "../plan";
import { gateway, httpListener, input, route, service } from "../../test/fixtures/build";

function parentCondition(plan: RoutingPlan, routeKey: string, type: string, parent = 0) {
    const r = plan.routes.find(x => x.route === routeKey);
    assert.ok(r, `no status for ${routeKey}`);
    const c = r.parents[parent].conditions.find(x => x.type === type);
    assert.ok(c, `no ${type} condition on ${routeKey}`);
    return c;
}

function listenerStatus(plan: RoutingPlan, name: string, gw = 0) {
    const s = plan.gateways[gw].status.listeners.find(l => l.name === name);
    assert.ok(s);
    return s;
}

const backend = [{ name: "web", port: 8080 }];

describe("attachment", () => {
    it("accepts a route on every listener its parentRef names and counts attachedRoutes", () => {
        const plan = compile(input({
            gateways: [gateway("gw", [httpListener("a", 80), httpListener("b", 8080)])],
            services: [service("web")],
            routes: [route("r1", { rules: [{ backendRefs: backend }] }), route("r2", { parentRefs: [{ name: "gw", sectionName: "b" }], rules: [{ backendRefs: backend }] })],
        }));
        assert.equal(parentCondition(plan, "default/r1", "Accepted").status, "True");
        assert.equal(parentCondition(plan, "default/r1", "ResolvedRefs").status, "True");
        assert.equal(listenerStatus(plan, "a").attachedRoutes, 1);
        assert.equal(listenerStatus(plan, "b").attachedRoutes, 2);
        assert.deepEqual(plan.gateways[0].listeners.map(l => l.rules.length), [1, 2]);
    });

    it("reports NoMatchingParent for an unknown sectionName, a port no listener has, and a missing gateway", () => {
        const plan = compile(input({
            routes: [
                route("bad-section", { parentRefs: [{ name: "gw", sectionName: "nope" }] }),
                route("bad-port", { parentRefs: [{ name: "gw", port: 8443 }] }),
                route("section-port-mismatch", { parentRefs: [{ name: "gw", sectionName: "http", port: 8080 }] }),
                route("no-gw", { parentRefs: [{ name: "missing" }] }),
            ],
        }));
        for (const r of ["bad-section", "bad-port", "section-port-mismatch", "no-gw"]) {
            const c = parentCondition(plan, `default/${r}`, "Accepted");
            assert.equal(c.status, "False", r);
            assert.equal(c.reason, "NoMatchingParent", r);
        }
        assert.match(parentCondition(plan, "default/no-gw", "Accepted").message, /default\/missing does not exist/);
        assert.equal(listenerStatus(plan, "http").attachedRoutes, 0);
    });

    it("enforces allowedRoutes namespaces Same, All and Selector", () => {
        const gw = gateway("gw", [
            httpListener("same", 80),
            httpListener("all", 81, { allowedRoutes: { namespaces: { from: "All" } } }),
            httpListener("sel", 82, { allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { team: "shop" }, matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] } } } }),
        ], "infra");
        const teamRoute = (name: string, namespace: string, sectionName: string) =>
            ({ name, namespace, parentRefs: [{ name: "gw", namespace: "infra", sectionName }] });
        const plan = compile(input({
            gateways: [gw],
            namespaces: [{ name: "shop", labels: { team: "shop", env: "prod" } }, { name: "blog", labels: { team: "blog", env: "prod" } }],
            routes: [
                teamRoute("same-other", "shop", "same"), teamRoute("same-ok", "infra", "same"),
                teamRoute("all-ok", "blog", "all"),
                teamRoute("sel-ok", "shop", "sel"), teamRoute("sel-no", "blog", "sel"), teamRoute("sel-unlabelled", "misc", "sel"),
            ],
        }));
        const accepted = (k: string) => parentCondition(plan, k, "Accepted");
        assert.equal(accepted("shop/same-other").reason, "NotAllowedByListeners");
        assert.equal(accepted("infra/same-ok").status, "True");
        assert.equal(accepted("blog/all-ok").status, "True");
        assert.equal(accepted("shop/sel-ok").status, "True");
        assert.equal(accepted("blog/sel-no").reason, "NotAllowedByListeners");
        assert.equal(accepted("misc/sel-unlabelled").reason, "NotAllowedByListeners");
        assert.match(accepted("blog/sel-no").message, /namespace blog/);
    });

    it("rejects routes on a listener whose kinds exclude HTTPRoute and flags InvalidRouteKinds", () => {
        const plan = compile(input({
            gateways: [gateway("gw", [httpListener("http", 80, { allowedRoutes: { kinds: [{ kind: "TCPRoute" }] } })])],
            routes: [route("r")],
        }));
        const rk = listenerStatus(plan, "http").conditions.find(c => c.type === "ResolvedRefs")!;
        assert.equal(rk.status, "False");
        assert.equal(rk.reason, "InvalidRouteKinds");
        assert.deepEqual(listenerStatus(plan, "http").supportedKinds, []);
        assert.equal(parentCondition(plan, "default/r", "Accepted").reason, "NotAllowedByListeners");
    });

    it("intersects route and listener hostnames, keeping only the intersecting names", () => {
        const plan = compile(input({
            gateways: [gateway("gw", [httpListener("wild", 80, { hostname: "*.example.com" }), httpListener("exact", 81, { hostname: "foo.example.com" })])],
            routes: [
                route("some", { hostnames: ["a.example.com", "other.net", "*.b.example.com"] }),
                route("wildroute", { hostnames: ["*.example.com"] }),
                route("none", { hostnames: ["example.com", "x.example.net"] }),
            ],
        }));
        const wild = plan.gateways[0].listeners[0];
        const exact = plan.gateways[0].listeners[1];
        const hostsOf = (l: typeof wild, r: string) => l.rules.filter(x => x.route === r).map(x => x.hostname).sort();
        assert.deepEqual(hostsOf(wild, "default/some"), ["*.b.example.com", "a.example.com"]);
        assert.deepEqual(hostsOf(exact, "default/wildroute"), ["foo.example.com"]);
        assert.deepEqual(hostsOf(exact, "default/some"), []);
        assert.equal(parentCondition(plan, "default/some", "Accepted").status, "True");
        const none = parentCondition(plan, "default/none", "Accepted");
        assert.equal(none.status, "False");
        assert.equal(none.reason, "NoMatchingListenerHostname");
    });

    it("keeps a rule with an unresolved backend (its share answers 500) and reports ResolvedRefs False", () => {
        const plan = compile(input({
            services: [service("web")],
            routes: [route("r", { rules: [{ backendRefs: [{ name: "web", port: 8080, weight: 3 }, { name: "ghost", port: 8080, weight: 1 }] }] })],
        }));
        const rr = parentCondition(plan, "default/r", "ResolvedRefs");
        assert.equal(rr.status, "False");
        assert.equal(rr.reason, "BackendNotFound");
        assert.equal(parentCondition(plan, "default/r", "Accepted").status, "True");
        const rule = plan.gateways[0].listeners[0].rules[0];
        assert.deepEqual(rule.backends.map(b => [b.service, b.weight, b.invalidReason]), [["default/web", 3, undefined], ["default/ghost", 1, "BackendNotFound"]]);
        assert.deepEqual(rule.backends[0].endpoints, [{ address: "127.0.0.1", port: 9000 }]);
    });

    it("treats a port the service does not expose as BackendNotFound", () => {
        const plan = compile(input({ services: [service("web", 8080)], routes: [route("r", { rules: [{ backendRefs: [{ name: "web", port: 9999 }] }] })] }));
        assert.equal(parentCondition(plan, "default/r", "ResolvedRefs").reason, "BackendNotFound");
    });

    it("requires a ReferenceGrant for a backend in another namespace", () => {
        const rules = [{ backendRefs: [{ name: "db-api", namespace: "data", port: 8080 }] }];
        const base = { services: [service("db-api", 8080, "data")], routes: [route("r", { rules })] };
        const denied = compile(input(base));
        assert.equal(parentCondition(denied, "default/r", "ResolvedRefs").reason, "RefNotPermitted");
        assert.equal(denied.gateways[0].listeners[0].rules[0].backends[0].invalidReason, "RefNotPermitted");
        const granted = compile(input({
            ...base,
            referenceGrants: [{ name: "allow-default", namespace: "data", from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "default" }], to: [{ group: "", kind: "Service" }] }],
        }));
        assert.equal(parentCondition(granted, "default/r", "ResolvedRefs").status, "True");
        const wrongName = compile(input({
            ...base,
            referenceGrants: [{ name: "allow-other", namespace: "data", from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "default" }], to: [{ group: "", kind: "Service", name: "other" }] }],
        }));
        assert.equal(parentCondition(wrongName, "default/r", "ResolvedRefs").reason, "RefNotPermitted");
    });

    it("flags InvalidKind for a backendRef that is not a Service", () => {
        const plan = compile(input({ routes: [route("r", { rules: [{ backendRefs: [{ group: "example.com", kind: "Bucket", name: "b" }] }] })] }));
        assert.equal(parentCondition(plan, "default/r", "ResolvedRefs").reason, "InvalidKind");
    });

    it("marks listeners that share a port with different protocols as conflicted and programs neither", () => {
        const plan = compile(input({
            gateways: [gateway("gw", [httpListener("http", 8000), { name: "https", port: 8000, protocol: "HTTPS", tls: { certificateRefs: [{ name: "cert" }] } }])],
            routes: [route("r")],
        }));
        for (const l of ["http", "https"]) {
            const st = listenerStatus(plan, l);
            assert.equal(st.conditions.find(c => c.type === "Conflicted")!.status, "True");
            assert.equal(st.conditions.find(c => c.type === "Programmed")!.status, "False");
        }
        assert.equal(plan.gateways[0].listeners[0].rules.length, 0);
        assert.equal(plan.gateways[0].status.conditions.find(c => c.type === "Accepted")!.reason, "ListenersNotValid");
    });

    it("rejects a certificate in another namespace without a grant", () => {
        const plan = compile(input({
            gateways: [gateway("gw", [{ name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "cert", namespace: "certs" }] } }])],
        }));
        const rr = listenerStatus(plan, "https").conditions.find(c => c.type === "ResolvedRefs")!;
        assert.equal(rr.reason, "RefNotPermitted");
    });

    it("reports a missing GatewayClass on the gateway", () => {
        const plan = compile(input({ gateways: [{ ...gateway(), gatewayClassName: "nope" }] }));
        const acc = plan.gateways[0].status.conditions.find(c => c.type === "Accepted")!;
        assert.equal(acc.status, "False");
        assert.match(acc.message, /GatewayClass nope does not exist/);
    });

    it("warns the losing route when two routes declare an identical match", () => {
        const rules = [{ matches: [{ path: { type: "Exact" as const, value: "/same" } }], backendRefs: backend }];
        const plan = compile(input({ services: [service("web")], routes: [route("zeta", { rules }), route("alpha", { rules })] }));
        const rules0 = plan.gateways[0].listeners[0].rules;
        assert.equal(rules0[0].route, "default/alpha");
        assert.deepEqual(plan.routes.find(r => r.route === "default/alpha")!.warnings, []);
        const w = plan.routes.find(r => r.route === "default/zeta")!.warnings;
        assert.equal(w.length, 1);
        assert.match(w[0], /identical to a match of default\/alpha/);
    });

    it("gives each plan rule an id from route, rule name and match, not from list position of routes", () => {
        const mk = (extra: string[]) => compile(input({
            routes: [...extra.map(n => route(n)), route("store", { rules: [{ name: "cart", matches: [{ path: { value: "/cart" } }] }] })],
        })).gateways[0].listeners[0].rules.find(r => r.route === "default/store")!.id;
        assert.equal(mk([]), "default/store/cart/0");
        assert.equal(mk(["aaa", "bbb"]), "default/store/cart/0");
    });
});
