// simulate: what a matched rule answers (backends and shares, filters, redirects), on plans built by
// test/plan-builder.ts and on plans compiled from specs.

import * as assert from "assert";
import { pickBackend, replacePrefix, simulate, SimRequest } from ".";
import { CompileInput, ListenerPlan, PlanFilters, PlanMatch, PlanRule, RoutingPlan } from "../plan";
import { compile } from "../compile";
import { HTTPRouteSpec } from "../types";
import {
    planBackend as backend, planGateway as gateway, planListener as listener, planRule, routingPlan as plan, RuleOpts, sortedPlan as planOf,
} from "../../test/plan-builder";

const rule = (o: RuleOpts = {}): PlanRule => planRule({ backends: [backend("svc")], ...o });

function sim(p: RoutingPlan, req: Partial<SimRequest> & { path: string }, gw?: string) {
    return simulate(p, { host: "example.com", ...req }, gw ? { gateway: gw } : {});
}

describe("simulate", () => {
    describe("backends", () => {
        it("turns weights into probabilities and the most probable status", () => {
            const p = planOf(rule({ backends: [backend("a", 90), backend("b", 10)] }));
            const r = sim(p, { path: "/" });
            assert.deepStrictEqual(r.outcomes.map(o => [o.backend?.service, o.probability, o.status]), [["default/a", 0.9, 200], ["default/b", 0.1, 200]]);
            assert.strictEqual(r.status, 200);
            assert.strictEqual(r.reason, "forwarded");
            assert.deepStrictEqual(r.outcomes[0].backend?.endpoints, [{ address: "10.0.0.1", port: 8080 }]);
        });

        it("drops weight-0 backends", () => {
            const r = sim(planOf(rule({ backends: [backend("a", 0), backend("b", 3)] })), { path: "/" });
            assert.deepStrictEqual(r.outcomes.map(o => [o.backend?.service, o.probability]), [["default/b", 1]]);
        });

        it("an invalid backend's share answers 500, counted in the weight sum", () => {
            const r = sim(planOf(rule({ backends: [backend("ok", 1), backend("missing", 3, { invalidReason: "BackendNotFound", endpoints: [] })] })), { path: "/" });
            assert.deepStrictEqual(r.outcomes.map(o => [o.status, o.probability, o.invalidReason]), [[200, 0.25, undefined], [500, 0.75, "BackendNotFound"]]);
            assert.strictEqual(r.status, 500);
            assert.strictEqual(r.reason, "invalid-backend");
        });

        it("no backendRefs, or all weights 0, answers 500", () => {
            for (const backends of [[], [backend("a", 0), backend("b", 0)]]) {
                const r = sim(planOf(rule({ backends })), { path: "/" });
                assert.strictEqual(r.status, 500);
                assert.strictEqual(r.reason, "no-backends");
                assert.deepStrictEqual(r.outcomes.map(o => [o.status, o.probability]), [[500, 1]]);
            }
        });

        it("pickBackend samples outcomes by probability", () => {
            const r = sim(planOf(rule({ backends: [backend("a", 1), backend("b", 3)] })), { path: "/" });
            assert.strictEqual(pickBackend(r, () => 0).backend?.service, "default/a");
            assert.strictEqual(pickBackend(r, () => 0.2499).backend?.service, "default/a");
            assert.strictEqual(pickBackend(r, () => 0.25).backend?.service, "default/b");
            assert.strictEqual(pickBackend(r, () => 0.9999999).backend?.service, "default/b");
            let seed = 7;
            const lcg = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
            let b = 0;
            for (let i = 0; i < 20000; i++) if (pickBackend(r, lcg).backend?.service === "default/b") b++;
            assert.ok(Math.abs(b / 20000 - 0.75) < 0.02, `share of b was ${b / 20000}`);
        });
    });

    describe("filters", () => {
        it("RequestHeaderModifier: remove, set, add (appending) on lower-cased names", () => {
            const p = planOf(rule({
                filters: { requestHeaderModifier: { set: [{ name: "X-Set", value: "new" }], add: [{ name: "X-Add", value: "b" }, { name: "X-New", value: "n" }], remove: ["X-Gone"] } },
            }));
            const r = sim(p, { path: "/", headers: { "X-Set": "old", "x-add": "a", "X-Gone": "bye", "X-Keep": "k" } });
            assert.deepStrictEqual(r.outcomes[0].request.headers, { "x-set": "new", "x-add": "a,b", "x-new": "n", "x-keep": "k" });
            assert.deepStrictEqual(r.requestHeaderChanges, { set: { "x-set": "new" }, add: { "x-add": "b", "x-new": "n" }, remove: ["x-gone"] });
        });

        it("ResponseHeaderModifier is reported as changes on the result and outcome", () => {
            const p = planOf(rule({ filters: { responseHeaderModifier: { set: [{ name: "Cache-Control", value: "no-store" }], remove: ["Server"] } } }));
            const r = sim(p, { path: "/" });
            assert.deepStrictEqual(r.responseHeaderChanges, { set: { "cache-control": "no-store" }, add: {}, remove: ["server"] });
            assert.deepStrictEqual(r.outcomes[0].responseHeaders, r.responseHeaderChanges);
        });

        it("per-backend filters apply only to that backend's outcome", () => {
            const p = planOf(rule({
                filters: { requestHeaderModifier: { set: [{ name: "x-rule", value: "1" }] } },
                backends: [
                    backend("a", 1, { filters: { requestHeaderModifier: { add: [{ name: "x-rule", value: "a" }] }, responseHeaderModifier: { set: [{ name: "x-from", value: "a" }] }, requestMirrors: [] } }),
                    backend("b", 1),
                ],
            }));
            const [a, b] = sim(p, { path: "/" }).outcomes;
            assert.deepStrictEqual(a.request.headers, { "x-rule": "1,a" });
            assert.deepStrictEqual(a.responseHeaders.set, { "x-from": "a" });
            assert.deepStrictEqual(b.request.headers, { "x-rule": "1" });
            assert.deepStrictEqual(b.responseHeaders.set, {});
        });

        it("URLRewrite hostname sets the Host; ReplaceFullPath keeps the query", () => {
            const p = planOf(rule({ path: ["PathPrefix", "/full"], filters: { urlRewrite: { hostname: "internal.svc", path: { type: "ReplaceFullPath", replaceFullPath: "/one" } } } }));
            const r = sim(p, { host: "Example.com:80", path: "/full/x/y?z=1" });
            assert.deepStrictEqual(r.outcomes[0].request, { host: "internal.svc", path: "/one?z=1", headers: {} });
            const untouched = sim(planOf(rule()), { host: "Example.com:80", path: "/p" });
            assert.strictEqual(untouched.outcomes[0].request.host, "Example.com:80"); // Host forwarded as sent
        });

        it("URLRewrite ReplacePrefixMatch follows the spec's slash table", () => {
            const cases: [string, string, string, string][] = [
                // request path, prefix match, replacement, result
                ["/foo/bar", "/foo", "/xyz", "/xyz/bar"],
                ["/foo/bar", "/foo", "/xyz/", "/xyz/bar"],
                ["/foo/bar", "/foo/", "/xyz", "/xyz/bar"],
                ["/foo/bar", "/foo/", "/xyz/", "/xyz/bar"],
                ["/foo", "/foo", "/xyz", "/xyz"],
                ["/foo/", "/foo", "/xyz", "/xyz/"],
                ["/foo/bar", "/foo", "", "/bar"],
                ["/foo/", "/foo", "", "/"],
                ["/foo", "/foo", "", "/"],
                ["/foo/", "/foo", "/", "/"],
                ["/foo", "/foo", "/", "/"],
                ["/foo/bar", "/foo", "/", "/bar"],
                ["/prefix/one/two", "/prefix/one", "/one", "/one/two"],
                ["/anything", "/", "/base", "/base/anything"],
            ];
            for (const [path, prefix, repl, want] of cases) {
                assert.strictEqual(replacePrefix(path, prefix, repl), want, `${path} ${prefix} → ${repl}`);
                const p = planOf(rule({ path: ["PathPrefix", prefix], filters: { urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: repl } } } }));
                assert.strictEqual(sim(p, { path: path + "?q=1" }).outcomes[0].request.path, want + "?q=1", `simulate ${path} ${prefix} → ${repl}`);
            }
        });

        it("header modifiers and rewrites combine", () => {
            const p = planOf(rule({
                path: ["PathPrefix", "/prefix"],
                filters: { urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/p" } }, requestHeaderModifier: { set: [{ name: "x-h", value: "v" }] } },
            }));
            const out = sim(p, { path: "/prefix/a" }).outcomes[0].request;
            assert.deepStrictEqual([out.path, out.headers["x-h"]], ["/p/a", "v"]);
        });

        it("RequestMirror targets and percent; invalid mirrors dropped", () => {
            const p = planOf(rule({
                filters: {
                    requestMirrors: [
                        { service: "default/shadow", port: 8080, endpoints: [], percent: 50 },
                        { service: undefined, endpoints: [], percent: 100, invalidReason: "BackendNotFound" },
                    ],
                },
                backends: [backend("a", 1, { filters: { requestMirrors: [{ service: "default/a-shadow", port: 9, endpoints: [], percent: 100 }] } }), backend("b")],
            }));
            const r = sim(p, { path: "/" });
            assert.deepStrictEqual(r.mirrors, [{ service: "default/shadow", port: 8080, percent: 50, request: { host: "example.com", path: "/", headers: {} } }]);
            assert.deepStrictEqual(r.outcomes[0].mirrors.map(m => m.service), ["default/shadow", "default/a-shadow"]);
            assert.deepStrictEqual(r.outcomes[1].mirrors.map(m => m.service), ["default/shadow"]);
        });
    });

    describe("RequestRedirect", () => {
        const redirectPlan = (rd: NonNullable<PlanFilters["requestRedirect"]>, path: [PlanMatch["path"]["type"], string] = ["PathPrefix", "/"], l: Partial<ListenerPlan> = {}) =>
            plan(gateway([listener([rule({ path, backends: [], filters: { requestRedirect: rd } })], l)]));

        it("defaults to 302 on the same scheme, host, port and path, keeping the query", () => {
            const r = sim(redirectPlan({}), { host: "Shop.Example.com:80", path: "/a/b?x=1&y=2" });
            assert.deepStrictEqual(r.redirect, { statusCode: 302, location: "http://shop.example.com/a/b?x=1&y=2" });
            assert.strictEqual(r.status, 302);
            assert.strictEqual(r.reason, "redirect");
            assert.deepStrictEqual(r.outcomes.map(o => [o.status, o.probability, o.backend]), [[302, 1, undefined]]);
            assert.deepStrictEqual(r.mirrors, []);
        });

        it("scheme without port uses the scheme's well-known port (and omits it)", () => {
            const r = sim(redirectPlan({ scheme: "https", statusCode: 301 }, undefined, { port: 8080 }), { port: 8080, path: "/x" });
            assert.deepStrictEqual(r.redirect, { statusCode: 301, location: "https://example.com/x" });
        });

        it("no scheme and no port uses the listener port", () => {
            const r = sim(redirectPlan({ hostname: "example.org" }, undefined, { port: 8080 }), { port: 8080, path: "/x" });
            assert.strictEqual(r.redirect?.location, "http://example.org:8080/x");
        });

        it("an explicit port is shown unless well-known for the scheme", () => {
            assert.strictEqual(sim(redirectPlan({ port: 8443, scheme: "https" }), { path: "/" }).redirect?.location, "https://example.com:8443/");
            assert.strictEqual(sim(redirectPlan({ port: 443, scheme: "https" }), { path: "/" }).redirect?.location, "https://example.com/");
            assert.strictEqual(sim(redirectPlan({ port: 443 }), { path: "/" }).redirect?.location, "http://example.com:443/");
            assert.strictEqual(sim(redirectPlan({ port: 80, scheme: "https" }), { path: "/" }).redirect?.location, "https://example.com:80/");
        });

        it("rewrites the path by ReplaceFullPath or ReplacePrefixMatch", () => {
            const full = sim(redirectPlan({ path: { type: "ReplaceFullPath", replaceFullPath: "/new" } }, ["PathPrefix", "/full"]), { path: "/full/a?q=1" });
            assert.strictEqual(full.redirect?.location, "http://example.com/new?q=1");
            const pre = sim(redirectPlan({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/replacement-prefix" } }, ["PathPrefix", "/original-prefix"]), { path: "/original-prefix/lemon" });
            assert.strictEqual(pre.redirect?.location, "http://example.com/replacement-prefix/lemon");
        });

        it("short-circuits: no backend and no mirrors even when the rule has them", () => {
            const p = planOf(rule({
                backends: [backend("a")],
                filters: { requestRedirect: { statusCode: 308 }, requestMirrors: [{ service: "default/m", endpoints: [], percent: 100 }] },
            }));
            const r = sim(p, { path: "/" });
            assert.strictEqual(r.status, 308);
            assert.strictEqual(r.outcomes.length, 1);
            assert.strictEqual(r.outcomes[0].backend, undefined);
            assert.deepStrictEqual(r.mirrors, []);
        });
    });

    describe("spec → compile → simulate", () => {
        const services = ["home", "api", "api-v2", "shadow"].map((name, i) => ({ name, namespace: "web", ports: [{ port: 8080, targetPort: 9000 }], endpoints: [{ address: `10.1.0.${i + 1}` }] }));
        const compiled = (routes: HTTPRouteSpec[], extra: Partial<CompileInput> = {}) => compile({
            gatewayClasses: [{ name: "nginx", controllerName: "gatewaykit.dev/nginx" }],
            gateways: [{
                name: "edge", namespace: "web", gatewayClassName: "nginx",
                listeners: [
                    { name: "http", port: 80, protocol: "HTTP", hostname: "*.example.com" },
                    { name: "https", port: 443, protocol: "HTTPS", hostname: "*.example.com", tls: { certificateRefs: [{ name: "cert" }] } },
                ],
            }],
            routes, services, ...extra,
        });
        const route = (name: string, spec: Partial<HTTPRouteSpec>): HTTPRouteSpec => ({ name, namespace: "web", parentRefs: [{ name: "edge" }], ...spec });

        it("routes by hostname intersection and precedence across routes", () => {
            const p = compiled([
                route("site", { hostnames: ["*.example.com"], rules: [{ backendRefs: [{ name: "home", port: 8080 }] }] }),
                route("api", {
                    hostnames: ["api.example.com"],
                    rules: [
                        { matches: [{ path: { type: "PathPrefix", value: "/v1" } }], backendRefs: [{ name: "api", port: 8080 }] },
                        { matches: [{ path: { type: "PathPrefix", value: "/v1" }, headers: [{ name: "X-Version", value: "2" }] }], backendRefs: [{ name: "api-v2", port: 8080 }] },
                    ],
                }),
            ]);
            const svc = (host: string, path: string, headers?: Record<string, string>, scheme?: "https") => simulate(p, { host, path, headers, scheme }).outcomes[0].backend?.service;
            assert.strictEqual(svc("api.example.com", "/v1/users"), "web/api");
            assert.strictEqual(svc("api.example.com", "/v1/users", { "x-version": "2" }), "web/api-v2"); // more header matches win
            assert.strictEqual(svc("api.example.com", "/v1/users", { "x-version": "2" }, "https"), "web/api-v2");
            assert.strictEqual(svc("api.example.com", "/v10"), "web/home"); // not a segment match: falls to the wildcard route
            assert.strictEqual(svc("www.example.com", "/v1"), "web/home");
            assert.strictEqual(simulate(p, { host: "example.com", path: "/" }).reason, "no-matching-listener");
            const r = simulate(p, { host: "api.example.com", path: "/v1" });
            assert.deepStrictEqual(r.outcomes[0].backend?.endpoints, [{ address: "10.1.0.2", port: 9000 }]); // targetPort applied
            assert.strictEqual(r.matched?.route, "web/api");
            assert.strictEqual(r.matched?.hostname, "api.example.com");
        });

        it("weights, a missing backend's share and mirrors come through compile", () => {
            const p = compiled([route("canary", {
                hostnames: ["app.example.com"],
                rules: [{
                    filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "shadow", port: 8080 }, fraction: { numerator: 1, denominator: 4 } } }],
                    backendRefs: [{ name: "api", port: 8080, weight: 6 }, { name: "api-v2", port: 8080, weight: 2 }, { name: "nope", port: 8080, weight: 2 }],
                }],
            })]);
            const r = simulate(p, { host: "app.example.com", path: "/x" });
            assert.deepStrictEqual(r.outcomes.map(o => [o.backend?.service, o.status, o.probability]), [["web/api", 200, 0.6], ["web/api-v2", 200, 0.2], ["web/nope", 500, 0.2]]);
            assert.deepStrictEqual(r.mirrors, [{ service: "web/shadow", port: 8080, percent: 25, request: { host: "app.example.com", path: "/x", headers: {} } }]);
            assert.strictEqual(r.status, 200);
        });

        it("an http→https redirect and a prefix rewrite, as users write them", () => {
            const p = compiled([
                route("to-https", {
                    hostnames: ["app.example.com"], parentRefs: [{ name: "edge", sectionName: "http" }],
                    rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
                }),
                route("app", {
                    hostnames: ["app.example.com"], parentRefs: [{ name: "edge", sectionName: "https" }],
                    rules: [{
                        matches: [{ path: { type: "PathPrefix", value: "/api" } }],
                        filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }],
                        backendRefs: [{ name: "api", port: 8080 }],
                    }],
                }),
            ]);
            const http = simulate(p, { host: "app.example.com", path: "/api/items?id=3" });
            assert.deepStrictEqual(http.redirect, { statusCode: 301, location: "https://app.example.com/api/items?id=3" });
            const https = simulate(p, { scheme: "https", host: "app.example.com", path: "/api/items?id=3" });
            assert.strictEqual(https.outcomes[0].request.path, "/items?id=3");
            assert.strictEqual(https.listener, "https");
            assert.strictEqual(simulate(p, { scheme: "https", host: "app.example.com", path: "/api" }).outcomes[0].request.path, "/");
        });
    });
});
