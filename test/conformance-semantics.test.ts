// The semantic cases of upstream Gateway API conformance tests that need no data plane, named after
// the upstream tests, answered by compile() + simulate(). Fixtures are ours, shaped like theirs.
import { strict as assert } from "assert";
import { compile } from "../routing/compile";
import { CompileInput, RoutingPlan } from "../routing/plan";
import { simulate, SimRequest } from "../routing/simulate";
import { GatewaySpec, HTTPRouteRule, HTTPRouteSpec, Listener } from "../routing/types";

const NS = "infra";
const SERVICES = ["v1", "v2", "v3"].map(v => ({ name: `backend-${v}`, namespace: NS, ports: [{ port: 8080 }], endpoints: [{ address: `10.0.0.${v.slice(1)}` }] }));

function gw(listeners: Listener[] = [{ name: "http", port: 80, protocol: "HTTP" }], name = "same-namespace"): GatewaySpec {
    return { name, namespace: NS, gatewayClassName: "conformance", listeners };
}

function rt(name: string, spec: Partial<HTTPRouteSpec>): HTTPRouteSpec {
    return { name, namespace: NS, parentRefs: [{ name: "same-namespace" }], ...spec };
}

function to(v: string): HTTPRouteRule["backendRefs"] {
    return [{ name: `backend-${v}`, port: 8080 }];
}

function plan(routes: HTTPRouteSpec[], gateways: GatewaySpec[] = [gw()], extra: Partial<CompileInput> = {}): RoutingPlan {
    return compile({ gatewayClasses: [{ name: "conformance", controllerName: "gatewaykit.dev/plan" }], gateways, routes, services: SERVICES, ...extra });
}

/** Where a request goes: the single backend's short name ("v1"), or the status when there is no backend. */
function dest(p: RoutingPlan, req: Partial<SimRequest> & { path: string }, gateway?: string): string | number {
    const r = simulate(p, { host: "example.com", ...req }, gateway ? { gateway } : {});
    if (r.outcomes.length === 1 && r.outcomes[0].backend && r.outcomes[0].status === 200) {
        return r.outcomes[0].backend.service.replace(`${NS}/backend-`, "");
    }
    return r.status;
}

function expectRoutes(p: RoutingPlan, cases: [Partial<SimRequest> & { path: string }, string | number][], gateway?: string) {
    for (const [req, want] of cases) assert.equal(dest(p, req, gateway), want, `${req.method ?? "GET"} ${req.host ?? "example.com"}${req.path} ${JSON.stringify(req.headers ?? {})}`);
}

describe("conformance semantics (routing/ only)", () => {
    it("HTTPRouteMatching: path prefixes and headers in one route", () => {
        const p = plan([rt("matching", {
            rules: [
                { matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: to("v1") },
                { matches: [{ path: { type: "PathPrefix", value: "/v2" } }, { headers: [{ name: "version", value: "two" }] }], backendRefs: to("v2") },
            ],
        })]);
        expectRoutes(p, [
            [{ path: "/" }, "v1"], [{ path: "/example" }, "v1"], [{ path: "/" , headers: { version: "one" } }, "v1"],
            [{ path: "/v2" }, "v2"], [{ path: "/v2/example" }, "v2"], [{ path: "/", headers: { version: "two" } }, "v2"],
            [{ path: "/v2example" }, "v1"], [{ path: "/foo/v2/example" }, "v1"],
        ]);
    });

    it("HTTPRouteMatchingAcrossRoutes: rules of two routes merge by precedence, per hostname", () => {
        const p = plan([
            rt("matching-part1", { hostnames: ["example.com", "example.net"], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }, { headers: [{ name: "version", value: "one" }] }], backendRefs: to("v1") }] }),
            rt("matching-part2", { hostnames: ["example.com"], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/v2" } }, { headers: [{ name: "version", value: "two" }] }], backendRefs: to("v2") }] }),
        ]);
        expectRoutes(p, [
            [{ path: "/" }, "v1"], [{ path: "/example" }, "v1"], [{ host: "example.net", path: "/example" }, "v1"],
            [{ path: "/example", headers: { version: "one" } }, "v1"],
            [{ path: "/v2" }, "v2"], [{ path: "/v2/example" }, "v2"], [{ path: "/", headers: { version: "two" } }, "v2"],
            [{ host: "example.net", path: "/v2" }, "v1"], [{ host: "example.net", path: "/", headers: { version: "two" } }, "v1"],
            [{ host: "example.org", path: "/" }, 404],
        ]);
    });

    it("HTTPRoutePathMatchOrder: Exact beats prefixes, longest prefix wins, trailing slash is a segment", () => {
        const exact = (v: string, b: string) => ({ matches: [{ path: { type: "Exact" as const, value: v } }], backendRefs: to(b) });
        const prefix = (v: string, b: string) => ({ matches: [{ path: { type: "PathPrefix" as const, value: v } }], backendRefs: to(b) });
        const p = plan([rt("path-matching-order", {
            rules: [exact("/match", "v1"), exact("/match/exact", "v2"), exact("/match/exact/one", "v3"),
                prefix("/match/", "v3"), prefix("/match/prefix/", "v1"), prefix("/match/prefix/one", "v2")],
        })]);
        expectRoutes(p, [
            [{ path: "/match" }, "v1"], [{ path: "/match/exact" }, "v2"], [{ path: "/match/exact/one" }, "v3"],
            [{ path: "/match/" }, "v3"], [{ path: "/match/exact/two" }, "v3"], [{ path: "/match/prefix/" }, "v1"],
            [{ path: "/match/prefix/two" }, "v1"], [{ path: "/match/prefix/one" }, "v2"], [{ path: "/match/prefix/one/two" }, "v2"],
            [{ path: "/matchx" }, 404], [{ path: "/" }, 404],
        ]);
    });

    it("HTTPRouteExactPathMatching: Exact matches only the exact path", () => {
        const p = plan([rt("exact-matching", {
            rules: [
                { matches: [{ path: { type: "Exact", value: "/one" } }], backendRefs: to("v1") },
                { matches: [{ path: { type: "Exact", value: "/two" } }], backendRefs: to("v2") },
            ],
        })]);
        expectRoutes(p, [
            [{ path: "/one" }, "v1"], [{ path: "/two" }, "v2"], [{ path: "/" }, 404], [{ path: "/one/example" }, 404],
            [{ path: "/two/" }, 404], [{ path: "/one?x=1" }, "v1"],
        ]);
    });

    it("HTTPRouteHeaderMatching: names are case-insensitive, values exact; more header matches win", () => {
        const p = plan([rt("header-matching", {
            rules: [
                { matches: [{ headers: [{ name: "version", value: "one" }] }], backendRefs: to("v1") },
                { matches: [{ headers: [{ name: "version", value: "two" }] }], backendRefs: to("v2") },
                { matches: [{ headers: [{ name: "version", value: "two" }, { name: "color", value: "orange" }] }], backendRefs: to("v1") },
                { matches: [{ headers: [{ name: "color", value: "blue" }] }, { headers: [{ name: "color", value: "green" }] }], backendRefs: to("v1") },
                { matches: [{ headers: [{ name: "color", value: "red" }] }, { headers: [{ name: "color", value: "yellow" }] }], backendRefs: to("v2") },
                { matches: [{ headers: [{ type: "RegularExpression", name: "build", value: "[0-9]+-rc" }] }], backendRefs: to("v3") },
            ],
        })]);
        expectRoutes(p, [
            [{ path: "/", headers: { version: "one" } }, "v1"], [{ path: "/", headers: { Version: "one" } }, "v1"],
            [{ path: "/", headers: { version: "two" } }, "v2"], [{ path: "/", headers: { version: "two", color: "orange" } }, "v1"],
            [{ path: "/", headers: { version: "one", color: "orange" } }, "v1"],
            [{ path: "/", headers: { color: "blue" } }, "v1"], [{ path: "/", headers: { color: "green" } }, "v1"],
            [{ path: "/", headers: { color: "red" } }, "v2"], [{ path: "/", headers: { color: "yellow" } }, "v2"],
            [{ path: "/", headers: { version: "ONE" } }, 404], [{ path: "/", headers: { color: "purple" } }, 404], [{ path: "/" }, 404],
            [{ path: "/", headers: { build: "123-rc" } }, "v3"], [{ path: "/", headers: { build: "x123-rc" } }, 404],
        ]);
    });

    it("HTTPRouteQueryParamMatching: exact name and value; more params win", () => {
        const p = plan([rt("query-param-matching", {
            rules: [
                { matches: [{ queryParams: [{ name: "animal", value: "whale" }] }], backendRefs: to("v1") },
                { matches: [{ queryParams: [{ name: "animal", value: "dolphin" }] }], backendRefs: to("v2") },
                { matches: [{ queryParams: [{ name: "animal", value: "dolphin" }, { name: "color", value: "blue" }] }, { queryParams: [{ name: "ANIMAL", value: "Whale" }] }], backendRefs: to("v3") },
            ],
        })]);
        expectRoutes(p, [
            [{ path: "/?animal=whale" }, "v1"], [{ path: "/?animal=dolphin" }, "v2"], [{ path: "/?animal=dolphin&color=blue" }, "v3"],
            [{ path: "/?ANIMAL=Whale" }, "v3"], [{ path: "/?animal=whale&otherparam=irrelevant" }, "v1"],
            [{ path: "/?animal=dolphin&color=yellow" }, "v2"], [{ path: "/?color=blue" }, 404], [{ path: "/?animal=Whale" }, 404], [{ path: "/" }, 404],
        ]);
    });

    it("HTTPRouteMethodMatching: method matches, and a method match outranks none", () => {
        const p = plan([rt("method-matching", {
            rules: [
                { matches: [{ method: "POST" }], backendRefs: to("v1") },
                { matches: [{ method: "GET" }], backendRefs: to("v2") },
                { matches: [{ path: { type: "PathPrefix", value: "/path1" }, method: "GET" }], backendRefs: to("v1") },
                { matches: [{ path: { type: "PathPrefix", value: "/path1" } }], backendRefs: to("v3") },
            ],
        })]);
        expectRoutes(p, [
            [{ method: "POST", path: "/" }, "v1"], [{ method: "GET", path: "/" }, "v2"], [{ method: "HEAD", path: "/" }, 404],
            [{ method: "GET", path: "/path1" }, "v1"], [{ method: "POST", path: "/path1" }, "v3"], [{ method: "DELETE", path: "/path1/x" }, "v3"],
        ]);
    });

    it("HTTPRouteHostnameIntersection: only the intersection of route and listener hostnames is served", () => {
        const listeners: Listener[] = [
            { name: "listener-1", port: 80, protocol: "HTTP", hostname: "very.specific.com" },
            { name: "listener-2", port: 80, protocol: "HTTP", hostname: "*.wildcard.io" },
            { name: "listener-3", port: 80, protocol: "HTTP", hostname: "*.anotherwildcard.io" },
        ];
        const on = (name: string, hostnames: string[], prefix: string, v: string) => rt(name, { parentRefs: [{ name: "hostname-intersection" }], hostnames, rules: [{ matches: [{ path: { value: prefix } }], backendRefs: to(v) }] });
        const p = plan([
            on("specific-host-matches-listener-specific-host", ["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"], "/s1", "v1"),
            on("specific-host-matches-listener-wildcard-host", ["non.matching.com", "wildcard.io", "foo.wildcard.io", "bar.wildcard.io", "foo.bar.wildcard.io"], "/s2", "v2"),
            on("wildcard-host-matches-listener-specific-host", ["non.matching.com", "*.specific.com"], "/s3", "v3"),
            on("wildcard-host-matches-listener-wildcard-host", ["*.anotherwildcard.io"], "/s4", "v1"),
            on("no-intersecting-hosts", ["specific.but.wrong.com", "wildcard.io"], "/s5", "v2"),
        ], [gw(listeners, "hostname-intersection")]);
        expectRoutes(p, [
            [{ host: "very.specific.com", path: "/s1" }, "v1"], [{ host: "non.matching.com", path: "/s1" }, 404],
            [{ host: "foo.nonmatchingwildcard.io", path: "/s1" }, 404], [{ host: "very.specific.com", path: "/non-matching-prefix" }, 404],
            [{ host: "foo.wildcard.io", path: "/s2" }, "v2"], [{ host: "bar.wildcard.io", path: "/s2" }, "v2"], [{ host: "foo.bar.wildcard.io", path: "/s2" }, "v2"],
            [{ host: "baz.wildcard.io", path: "/s2" }, 404], [{ host: "wildcard.io", path: "/s2" }, 404], [{ host: "non.matching.com", path: "/s2" }, 404],
            [{ host: "very.specific.com", path: "/s3" }, "v3"], [{ host: "other.specific.com", path: "/s3" }, 404],
            [{ host: "foo.anotherwildcard.io", path: "/s4" }, "v1"], [{ host: "foo.bar.anotherwildcard.io", path: "/s4" }, "v1"], [{ host: "anotherwildcard.io", path: "/s4" }, 404],
            [{ host: "specific.but.wrong.com", path: "/s5" }, 404], [{ host: "wildcard.io", path: "/s5" }, 404],
        ]);
        const status = (r: string) => p.routes.find(x => x.route === `${NS}/${r}`)!.parents[0].conditions.find(c => c.type === "Accepted")!;
        assert.equal(status("no-intersecting-hosts").reason, "NoMatchingListenerHostname");
        assert.equal(status("wildcard-host-matches-listener-wildcard-host").status, "True");
    });

    it("HTTPRouteListenerHostnameMatching: the most specific listener takes the request (listener isolation)", () => {
        const listeners: Listener[] = [
            { name: "listener-1", port: 80, protocol: "HTTP", hostname: "bar.com" },
            { name: "listener-2", port: 80, protocol: "HTTP", hostname: "foo.bar.com" },
            { name: "listener-3", port: 80, protocol: "HTTP", hostname: "*.bar.com" },
            { name: "listener-4", port: 80, protocol: "HTTP", hostname: "*.foo.com" },
        ];
        const via = (name: string, sections: string[], v: string) => rt(name, { parentRefs: sections.map(s => ({ name: "httproute-listener-hostname-matching", sectionName: s })), rules: [{ backendRefs: to(v) }] });
        const p = plan([via("backend-v1", ["listener-1"], "v1"), via("backend-v2", ["listener-2"], "v2"), via("backend-v3", ["listener-3", "listener-4"], "v3")],
            [gw(listeners, "httproute-listener-hostname-matching")]);
        expectRoutes(p, [
            [{ host: "bar.com", path: "/" }, "v1"], [{ host: "foo.bar.com", path: "/" }, "v2"],
            [{ host: "baz.bar.com", path: "/" }, "v3"], [{ host: "boo.bar.com", path: "/" }, "v3"], [{ host: "multiple.prefixes.bar.com", path: "/" }, "v3"],
            [{ host: "multiple.prefixes.foo.com", path: "/" }, "v3"], [{ host: "foo.com", path: "/" }, 404], [{ host: "no.matching.host", path: "/" }, 404],
            [{ host: "FOO.BAR.COM:80", path: "/" }, "v2"],
        ]);
    });

    it("HTTPRouteWeight: backends receive traffic in proportion to weight; weight 0 receives none", () => {
        const p = plan([rt("weighted-backends", {
            rules: [{ backendRefs: [{ name: "backend-v1", port: 8080, weight: 70 }, { name: "backend-v2", port: 8080, weight: 30 }, { name: "backend-v3", port: 8080, weight: 0 }] }],
        })]);
        const r = simulate(p, { host: "example.com", path: "/" });
        const share = Object.fromEntries(r.outcomes.map(o => [o.backend!.service, o.probability]));
        assert.ok(Math.abs(share[`${NS}/backend-v1`] - 0.7) < 1e-9);
        assert.ok(Math.abs(share[`${NS}/backend-v2`] - 0.3) < 1e-9);
        assert.ok(!share[`${NS}/backend-v3`], "a weight-0 backend must receive no traffic");
        assert.equal(r.status, 200);
    });

    it("HTTPRouteRequestHeaderModifier: set, add and remove request headers", () => {
        const p = plan([rt("request-header-modifier", {
            rules: [
                { matches: [{ path: { value: "/set" } }], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "X-Header-Set", value: "set-overwrites-values" }] } }], backendRefs: to("v1") },
                { matches: [{ path: { value: "/add" } }], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { add: [{ name: "X-Header-Add", value: "add-appends-values" }] } }], backendRefs: to("v1") },
                { matches: [{ path: { value: "/remove" } }], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { remove: ["X-Header-Remove"] } }], backendRefs: to("v1") },
            ],
        })]);
        const seen = (path: string, headers: Record<string, string>) => simulate(p, { host: "example.com", path, headers }).outcomes[0].request.headers;
        assert.equal(seen("/set", { "Some-Other-Header": "val" })["x-header-set"], "set-overwrites-values");
        assert.equal(seen("/set", { "X-Header-Set": "some-other-value" })["x-header-set"], "set-overwrites-values");
        assert.equal(seen("/add", {})["x-header-add"], "add-appends-values");
        assert.match(seen("/add", { "X-Header-Add": "some-other-value" })["x-header-add"], /some-other-value.*add-appends-values/);
        const removed = seen("/remove", { "X-Header-Remove": "val", keep: "me" });
        assert.equal(removed["x-header-remove"], undefined);
        assert.equal(removed["keep"], "me");
    });

    it("HTTPRouteRedirectHostAndStatus: redirect host and status code", () => {
        const p = plan([rt("redirect-host-and-status", {
            rules: [
                { matches: [{ path: { value: "/hostname-redirect" } }], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org" } }] },
                { matches: [{ path: { value: "/host-and-status" } }], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org", statusCode: 301 } }] },
            ],
        })]);
        const a = simulate(p, { host: "example.com", path: "/hostname-redirect" });
        assert.deepEqual([a.status, a.redirect?.location], [302, "http://example.org/hostname-redirect"]);
        const b = simulate(p, { host: "example.com", path: "/host-and-status?q=1" });
        assert.deepEqual([b.status, b.redirect?.location], [301, "http://example.org/host-and-status?q=1"]);
        assert.equal(b.outcomes.length, 1);
        assert.equal(b.outcomes[0].backend, undefined);
    });

    it("HTTPRouteRewritePath: ReplacePrefixMatch and ReplaceFullPath", () => {
        const p = plan([rt("rewrite-path", {
            rules: [
                { matches: [{ path: { value: "/prefix/one" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/one" } } }], backendRefs: to("v1") },
                { matches: [{ path: { value: "/full/one" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/one" } } }], backendRefs: to("v1") },
                { matches: [{ path: { value: "/full/rewrite-path-and-modify-headers" } }], filters: [
                    { type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/test" } } },
                    { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "X-Header-Set", value: "set-overwrites-values" }] } },
                ], backendRefs: to("v1") },
                { matches: [{ path: { value: "/strip-prefix" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }], backendRefs: to("v1") },
            ],
        })]);
        const seenPath = (path: string) => simulate(p, { host: "example.com", path }).outcomes[0].request.path;
        assert.equal(seenPath("/prefix/one/two"), "/one/two");
        assert.equal(seenPath("/prefix/one"), "/one");
        assert.equal(seenPath("/full/one/two"), "/one");
        assert.equal(seenPath("/full/rewrite-path-and-modify-headers/x"), "/test");
        assert.equal(simulate(p, { host: "example.com", path: "/full/rewrite-path-and-modify-headers" }).outcomes[0].request.headers["x-header-set"], "set-overwrites-values");
        assert.equal(seenPath("/strip-prefix/three"), "/three");
        assert.equal(seenPath("/strip-prefix"), "/");
        assert.equal(seenPath("/prefix/one/two?x=1"), "/one/two?x=1");
    });

    it("HTTPRouteNoBackendRefs / invalid backends: 500 for the share that has no valid backend", () => {
        const p = plan([rt("invalid", {
            rules: [
                { matches: [{ path: { value: "/none" } }] },
                { matches: [{ path: { value: "/missing" } }], backendRefs: [{ name: "does-not-exist", port: 8080 }] },
                { matches: [{ path: { value: "/half" } }], backendRefs: [{ name: "backend-v1", port: 8080, weight: 1 }, { name: "does-not-exist", port: 8080, weight: 1 }] },
                { matches: [{ path: { value: "/zero" } }], backendRefs: [{ name: "backend-v1", port: 8080, weight: 0 }] },
                { matches: [{ path: { value: "/kind" } }], backendRefs: [{ group: "example.com", kind: "Bucket", name: "b" }] },
            ],
        })]);
        for (const path of ["/none", "/missing", "/zero", "/kind"]) assert.equal(simulate(p, { host: "example.com", path }).status, 500, path);
        const half = simulate(p, { host: "example.com", path: "/half" });
        const byStatus = Object.fromEntries(half.outcomes.map(o => [o.status, o.probability]));
        assert.ok(Math.abs(byStatus[200] - 0.5) < 1e-9 && Math.abs(byStatus[500] - 0.5) < 1e-9, JSON.stringify(half.outcomes));
    });

    it("HTTPRouteInvalidCrossNamespaceBackendRef: a cross-namespace backend without a grant answers 500", () => {
        const p = plan([rt("invalid-cross-ns", { rules: [{ backendRefs: [{ name: "web", namespace: "other", port: 8080 }] }] })],
            [gw()], { services: [...SERVICES, { name: "web", namespace: "other", ports: [{ port: 8080 }] }] });
        assert.equal(simulate(p, { host: "example.com", path: "/" }).status, 500);
        assert.equal(p.routes[0].parents[0].conditions.find(c => c.type === "ResolvedRefs")!.reason, "RefNotPermitted");
    });

    it("HTTPRouteListenerPortMatching: a parentRef port attaches only to listeners on that port", () => {
        const listeners: Listener[] = [{ name: "http-80", port: 80, protocol: "HTTP" }, { name: "http-8080", port: 8080, protocol: "HTTP" }];
        const p = plan([rt("port-8080", { parentRefs: [{ name: "same-namespace", port: 8080 }], rules: [{ backendRefs: to("v2") }] })], [gw(listeners)]);
        assert.equal(dest(p, { port: 8080, path: "/" }), "v2");
        assert.equal(dest(p, { port: 80, path: "/" }), 404);
        assert.equal(simulate(p, { host: "example.com", port: 9999, path: "/" }).status, 0);
    });
});
