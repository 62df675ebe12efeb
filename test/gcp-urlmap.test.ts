// The gcp adapter's URL map, proven without GCP: unit checks of its shape and preflight, and a
// differential test of evaluate(URL map) against routing/simulate over generated route sets.

import { strict as assert } from "assert";
import fc from "fast-check";
import { buildDataPlane, GcpDataPlane } from "../providers/gcp/dataplane";
import { evaluate, applyResponseHeaders, GcpResult } from "../providers/gcp/evaluate";
import { composeHeaderFilters, RouteRuleSpec, scaleWeights } from "../providers/gcp/urlmap";
import { gcpAdapter } from "../providers/gcp/capabilities";
import { checkCapabilities } from "../providers/adapter";
import { compile } from "../routing/compile";
import { CompileInput, RoutingPlan } from "../routing/plan";
import { HeaderChanges, SimRequest, SimResult, simulate } from "../routing/simulate";
import { normalizeHost } from "../routing/hostname";
import { HTTPRouteFilter, HTTPRouteRule, HTTPRouteSpec, Listener, ServiceSpec } from "../routing/types";

const PARAMS = { project: "proj", zone: "europe-west1-b", region: "europe-west1" };
const GCP = { zone: "europe-west1-b", instance: "vm-1" };

function svc(name: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
    return { name, namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: `10.0.0.${name.length}` }], realizations: { gcp: GCP }, ...extra };
}

function input(routes: HTTPRouteSpec[], listeners: Listener[] = [{ name: "http", port: 80, protocol: "HTTP" }], services = ["s0", "s1", "s2", "s3"].map(n => svc(n))): CompileInput {
    return {
        gatewayClasses: [{ name: "gcp", controllerName: "gatewaykit.dev/gcp-alb" }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "gcp", listeners }],
        routes, services,
    };
}

function route(name: string, rules: HTTPRouteRule[], hostnames?: string[]): HTTPRouteSpec {
    return { name, namespace: "default", parentRefs: [{ name: "gw" }], ...(hostnames ? { hostnames } : {}), rules };
}

function build(routing: RoutingPlan, params: Record<string, unknown> = PARAMS): GcpDataPlane {
    return buildDataPlane(routing.gateways[0], params, { scope: "test" });
}

function rulesOf(dp: GcpDataPlane, host: string): RouteRuleSpec[] {
    const u = dp.frontends[0].urlMap;
    const hr = u.hostRules!.find(h => h.hosts.includes(host))!;
    return u.pathMatchers!.find(p => p.name === hr.pathMatcher)!.routeRules ?? [];
}

// ---------------------------------------------------------------- comparison

type Dist = Map<string, number>;

function add(d: Dist, k: string, p: number): void {
    d.set(k, (d.get(k) ?? 0) + p);
}

function applyChanges(h: Record<string, string>, c: HeaderChanges): void {
    for (const n of c.remove) delete h[n];
    for (const [k, v] of Object.entries(c.set)) h[k] = v;
    for (const [k, v] of Object.entries(c.add)) h[k] = k in h ? `${h[k]},${v}` : v;
}

const SAMPLE = ["x-a", "x-b", "x-c"];
function sample(): Record<string, string> {
    return Object.fromEntries(SAMPLE.map(n => [n, "orig"]));
}

/**
 * Differences between simulate and the URL map for one request, beyond the declared deviations:
 * (1) an invalid backend's 500 share is answered by the LB itself: no mirror, no response headers;
 * (2) an explicit same-scheme redirect keeps the listener's port (simulate: the scheme's default port);
 * (3) a mirror at 0% is not emitted.
 */
function mismatch(routing: RoutingPlan, dp: GcpDataPlane, req: SimRequest): string | undefined {
    const sim: SimResult = simulate(routing, req);
    const gcp: GcpResult = evaluate(dp.frontends, req);
    const keyOf = new Map(dp.backends.map(b => [b.link, b.key]));
    const where = () => `request ${JSON.stringify(req)}\n  simulate: ${JSON.stringify(sim.outcomes)}\n  gcp: ${JSON.stringify(gcp)}`;
    if (sim.status === 0 || gcp.status === 0) return sim.status === gcp.status ? undefined : `refused differs: ${where()}`;
    if (sim.redirect || gcp.redirect) {
        if (!sim.redirect || !gcp.redirect) return `redirect on one side only: ${where()}`;
        if (sim.redirect.statusCode !== gcp.redirect.statusCode) return `redirect code: ${where()}`;
        const rd = routing.gateways[0].listeners.flatMap(l => l.rules).find(r => r.id === sim.matched!.ruleId)!.filters.requestRedirect!;
        const sameSchemeNonDefault = rd.scheme !== undefined && rd.scheme === (req.scheme ?? "http") && (req.port ?? 80) !== (rd.scheme === "https" ? 443 : 80);
        if (!sameSchemeNonDefault && sim.redirect.location !== gcp.redirect.location) return `redirect location: ${where()}`;
        return responseHeadersDiffer(sim.outcomes[0].responseHeaders, gcp.outcomes[0].responseHeaderActions) ? `redirect response headers: ${where()}` : undefined;
    }
    const ds: Dist = new Map(), dg: Dist = new Map();
    for (const o of sim.outcomes) add(ds, o.status === 200 ? `200 ${o.backend!.service}:${o.backend!.port}` : String(o.status), o.probability);
    for (const o of gcp.outcomes) add(dg, o.status === 200 ? `200 ${keyOf.get(o.backend!)}` : String(o.status), o.probability);
    const keys = new Set([...ds.keys(), ...dg.keys()]);
    for (const k of keys) if (Math.abs((ds.get(k) ?? 0) - (dg.get(k) ?? 0)) > 1e-9) return `share of ${k}: ${where()}`;
    // Per forwarded outcome (a backend may appear twice with different filters): the same request,
    // response header effect and mirrors, with the same total probability.
    const fingerprint = (key: string, req: { host: string; path: string; headers: Record<string, string> }, resp: string, mirrors: string[]) =>
        JSON.stringify([key, req.host, req.path, Object.entries(req.headers).sort(), resp, mirrors]);
    const fs: Dist = new Map(), fg: Dist = new Map();
    for (const o of sim.outcomes.filter(x => x.status === 200)) {
        const sm = o.mirrors.filter(m => m.percent > 0).map(m => `${m.service}:${m.port} ${m.percent}`);
        add(fs, fingerprint(`${o.backend!.service}:${o.backend!.port}`, o.request, responseEffect(o.responseHeaders, []), sm), o.probability);
    }
    for (const o of gcp.outcomes.filter(x => x.status === 200)) {
        const gm = o.mirror ? [`${keyOf.get(o.mirror.backend)} ${o.mirror.percent}`] : [];
        add(fg, fingerprint(keyOf.get(o.backend!)!, o.request, responseEffect(undefined, o.responseHeaderActions), gm), o.probability);
    }
    for (const k of new Set([...fs.keys(), ...fg.keys()])) {
        if (Math.abs((fs.get(k) ?? 0) - (fg.get(k) ?? 0)) > 1e-9) return `forwarded request ${k}: ${where()}`;
    }
    return undefined;
}

/** What a response's headers become, on two sample responses. */
function responseEffect(c: HeaderChanges | undefined, actions: GcpResult["outcomes"][number]["responseHeaderActions"]): string {
    return JSON.stringify([sample(), {} as Record<string, string>].map(base => {
        const h = { ...base };
        if (c) applyChanges(h, c);
        for (const a of actions) applyResponseHeaders(h, a);
        return Object.entries(h).sort();
    }));
}

function responseHeadersDiffer(c: HeaderChanges, actions: GcpResult["outcomes"][number]["responseHeaderActions"]): boolean {
    return responseEffect(c, []) !== responseEffect(undefined, actions);
}

// ---------------------------------------------------------------- unit checks

describe("gcp URL map", () => {
    it("realises the seed's 90/10 canary: one host rule, segment-wise prefix, weights as written", () => {
        const routing = compile(input([route("mygroup", [{ name: "groups", matches: [{ path: { type: "PathPrefix", value: "/groups" } }], backendRefs: [{ name: "s0", port: 8080, weight: 90 }, { name: "s1", port: 8080, weight: 10 }] }], ["mygroup.io"])]));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        const u = dp.frontends[0].urlMap;
        assert.deepEqual(u.hostRules!.map(h => h.hosts), [["mygroup.io"]]);
        const [rr] = rulesOf(dp, "mygroup.io");
        assert.deepEqual(rr.matchRules, [{ fullPathMatch: "/groups" }, { prefixMatch: "/groups/" }]);
        assert.equal(rulesOf(dp, "mygroup.io").length, 1);
        assert.deepEqual(rr.routeAction!.weightedBackendServices!.map(w => w.weight), [90, 10]);
        assert.match(rr.routeAction!.weightedBackendServices![0].backendService, /^projects\/proj\/global\/backendServices\/gk-gw-default-s0-8080-[0-9a-f]{7}$/);
        // 404: unmatched hosts and paths abort with 404 at the sink.
        assert.deepEqual(u.defaultRouteAction.faultInjectionPolicy, { abort: { httpStatus: 404, percentage: 100 } });
        assert.equal(evaluate(dp.frontends, { host: "other.io", path: "/groups" }).status, 404);
        assert.equal(evaluate(dp.frontends, { host: "mygroup.io", path: "/groupsx" }).status, 404);
        assert.equal(evaluate(dp.frontends, { host: "mygroup.io", path: "/groups" }).status, 200);
    });

    it("copies wildcard and any-host rules into a precise host's path matcher (hostname fall-through)", () => {
        const routing = compile(input([
            route("precise", [{ matches: [{ path: { type: "Exact", value: "/a" } }], backendRefs: [{ name: "s0", port: 8080 }] }], ["a.example.com"]),
            route("wild", [{ matches: [{ path: { value: "/b" } }], backendRefs: [{ name: "s1", port: 8080 }] }], ["*.example.com"]),
            route("any", [{ matches: [{ path: { value: "/" } }], backendRefs: [{ name: "s2", port: 8080 }] }]),
        ]));
        const dp = build(routing);
        const hosts = dp.frontends[0].urlMap.hostRules!.map(h => h.hosts.join(","));
        assert.deepEqual(hosts.sort(), ["*", "*.example.com", "a.example.com"]);
        assert.equal(rulesOf(dp, "a.example.com").length, 3);
        assert.equal(rulesOf(dp, "*.example.com").length, 2);
        assert.equal(rulesOf(dp, "*").length, 1);
        const to = (host: string, path: string) => evaluate(dp.frontends, { host, path }).outcomes[0].backend;
        assert.match(to("a.example.com", "/b/x")!, /s1/);
        assert.match(to("a.example.com", "/zzz")!, /s2/);
        assert.match(to("q.example.com", "/a")!, /s2/);
    });

    it("answers the invalid backend's share with a 500 abort and splits the rest by weight", () => {
        const routing = compile(input([route("r", [{ backendRefs: [{ name: "s0", port: 8080, weight: 3 }, { name: "missing", port: 8080, weight: 1 }] }])]));
        const dp = build(routing);
        const [rr] = rulesOf(dp, "*");
        assert.deepEqual(rr.routeAction!.faultInjectionPolicy, { abort: { httpStatus: 500, percentage: 25 } });
        const r = evaluate(dp.frontends, { host: "x", path: "/" });
        assert.deepEqual(r.outcomes.map(o => [o.status, o.probability]), [[500, 0.25], [200, 0.75]]);
    });

    it("lists a weight-0 backend with weight 0 (never chosen) and keeps its backend service", () => {
        const routing = compile(input([route("r", [{ backendRefs: [{ name: "s0", port: 8080, weight: 0 }, { name: "s1", port: 8080, weight: 100 }, { name: "s0", port: 8080, weight: 0 }] }])]));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        const link = (k: string) => dp.backends.find(b => b.key === k)!.link;
        const [rr] = rulesOf(dp, "*");
        assert.deepEqual(rr.routeAction!.weightedBackendServices, [{ backendService: link("default/s0:8080"), weight: 0 }, { backendService: link("default/s1:8080"), weight: 100 }]);
        const req = { host: "x", path: "/a" };
        assert.deepEqual(evaluate(dp.frontends, req).outcomes.map(o => [o.backend, o.probability]), [[link("default/s1:8080"), 1]]);
        assert.equal(mismatch(routing, dp, req), undefined);
    });

    it("aborts 500 like simulate when no valid backend carries weight, keeping the weight-0 backends' resources", () => {
        const buckets = [...["s0", "s1", "s2"].map(n => svc(n)), svc("assets", { endpoints: [], realizations: { gcp: { bucket: "my-assets" } } })];
        const routing = compile(input([route("r", [
            { matches: [{ path: { value: "/zero" } }], backendRefs: [{ name: "s0", port: 8080, weight: 0 }, { name: "s1", port: 8080, weight: 0 }] },
            { matches: [{ path: { value: "/invalid" } }], backendRefs: [{ name: "s2", port: 8080, weight: 0 }, { name: "missing", port: 8080, weight: 2 }] },
            { matches: [{ path: { value: "/bucket" } }], backendRefs: [{ name: "assets", port: 8080, weight: 0 }, { name: "s1", port: 8080, weight: 3 }] },
        ])], undefined, buckets));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        assert.deepEqual(dp.backends.map(b => b.key).sort(), ["default/assets:8080", "default/s0:8080", "default/s1:8080", "default/s2:8080"]);
        for (const path of ["/zero", "/invalid"]) {
            const rr = rulesOf(dp, "*").find(r => r.matchRules.some(m => m.fullPathMatch === path))!;
            assert.deepEqual(rr.routeAction, { weightedBackendServices: [{ backendService: dp.sinkLink, weight: 1 }], faultInjectionPolicy: { abort: { httpStatus: 500, percentage: 100 } } });
            assert.deepEqual(simulate(routing, { host: "x", path }).outcomes.map(o => [o.status, o.probability]), [[500, 1]]);
            assert.equal(mismatch(routing, dp, { host: "x", path }), undefined);
        }
        // A bucket cannot be a weighted backend: at weight 0 it is left out of the split, not deleted.
        const bucketRule = rulesOf(dp, "*").find(r => r.matchRules.some(m => m.fullPathMatch === "/bucket"))!;
        assert.deepEqual(bucketRule.routeAction!.weightedBackendServices!.map(w => w.weight), [3]);
    });

    it("scales weights above 1000 and reports the rounding", () => {
        assert.deepEqual(scaleWeights([90, 10]), { weights: [90, 10], changed: false });
        const s = scaleWeights([1_000_000, 1]);
        assert.deepEqual(s.weights, [1000, 1]);
        assert.equal(s.changed, true);
        const routing = compile(input([route("r", [{ name: "big", backendRefs: [{ name: "s0", port: 8080, weight: 999_999 }, { name: "s1", port: 8080, weight: 1 }] }])]));
        const dp = build(routing);
        assert.equal(dp.notes.length, 1);
        assert.match(dp.notes[0], /HTTPRoute default\/r rule 0 \(big\): weights 999999\/1 scaled to 1000\/1/);
    });

    it("composes rule and backend header filters in the Gateway API order (GCP applies the backend's first)", () => {
        const f = composeHeaderFilters({ set: [{ name: "X-A", value: "rule" }], add: [{ name: "x-b", value: "r" }] }, { set: [{ name: "x-a", value: "backend" }], add: [{ name: "x-b", value: "b" }] });
        assert.deepEqual(f, { remove: [], set: [{ name: "x-a", value: "backend" }], add: [{ name: "x-b", value: "r" }, { name: "x-b", value: "b" }] });
    });

    it("gives priorities from specificity bands: a new route renumbers nothing outside its own band", () => {
        const base = [
            route("a", [{ matches: [{ path: { type: "Exact", value: "/x" } }], backendRefs: [{ name: "s0", port: 8080 }] }], ["h.io"]),
            route("b", [{ matches: [{ path: { value: "/long/path" } }], backendRefs: [{ name: "s1", port: 8080 }] }], ["h.io"]),
            route("c", [{ matches: [{ path: { value: "/" } }], backendRefs: [{ name: "s2", port: 8080 }] }], ["h.io"]),
        ];
        const before = rulesOf(build(compile(input(base))), "h.io").map(r => r.priority);
        const after = rulesOf(build(compile(input([...base, route("d", [{ matches: [{ path: { value: "/abc" } }], backendRefs: [{ name: "s3", port: 8080 }] }], ["h.io"])]))), "h.io").map(r => r.priority);
        assert.equal(after.length, 4);
        for (const p of before) assert.ok(after.includes(p), `priority ${p} kept`);
        assert.deepEqual([...after].sort((x, y) => x - y), after, "emitted in priority order");
    });

    it("refuses, before any resource, what the global LB cannot express — naming route, rule and fix", () => {
        const spec = input([
            route("rw", [{ name: "full", matches: [{ path: { value: "/p" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/new" } } }], backendRefs: [{ name: "s0", port: 8080 }] }]),
            route("lo", [{ matches: [{ path: { value: "/lo" } }], backendRefs: [{ name: "local", port: 8080 }] }]),
        ], undefined, [svc("s0"), { name: "local", namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: "127.0.0.1" }] }]);
        const routing = compile(spec);
        const problems = gcpAdapter.model!(routing.gateways[0], {
            parameters: PARAMS,
            input: { gatewayClass: spec.gatewayClasses![0], gateway: spec.gateways[0], routes: spec.routes, services: spec.services ?? [], namespaces: [] },
        }).problems;
        assert.equal(problems.length, 2, problems.join("\n"));
        assert.match(problems.join("\n"), /HTTPRoute default\/rw rule 0 \(full\): URLRewrite ReplaceFullPath on a PathPrefix match cannot be expressed/);
        assert.match(problems.join("\n"), /Service default\/local port 8080 \(used by HTTPRoute default\/lo rule 0\): endpoint 127\.0\.0\.1 is loopback/);
    });

    it("checks the URL map size and certificates per proxy against GCP's limits", () => {
        const routes = Array.from({ length: 20 }, (_, i) => route(`r${i}`, [{ matches: [{ path: { value: `/p${i}` } }], backendRefs: [{ name: "s0", port: 8080 }] }], [`h${i}.io`]));
        const routing = compile(input(routes));
        assert.deepEqual(build(routing).problems, []);
        const small = build(routing, { ...PARAMS, limits: { urlMapBytes: 2000 } }).problems;
        assert.equal(small.length, 1);
        assert.match(small[0], /Gateway default\/gw port 80: the URL map would be \d+ bytes; GCP allows 2000 per URL map/);
        const refs = Array.from({ length: 16 }, (_, i) => ({ name: `cert-${i}` }));
        const tls = compile(input([], [{ name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: refs } }]));
        assert.match(build(tls).problems.join(""), /16 SSL certificates on one target HTTPS proxy; GCP allows 15/);
    });

    it("fails the capability check for method matching and regex, naming the feature", () => {
        const routing = compile(input([route("m", [{ matches: [{ path: { type: "RegularExpression", value: "/a.*" }, method: "POST" }], backendRefs: [{ name: "s0", port: 8080 }] }])]));
        assert.throws(() => checkCapabilities(routing.gateways[0], gcpAdapter, [gcpAdapter]), /HTTPRouteMethodMatching[\s\S]*HTTPRouteRegexPathMatching|HTTPRouteRegexPathMatching[\s\S]*HTTPRouteMethodMatching/);
    });
});

// ---------------------------------------------------------------- differential

const HOSTS = ["a.example.com", "*.example.com", "b.example.com", "x.a.example.com", "*.a.example.com", "other.org"];
const PATHS = ["/", "/foo", "/foo/", "/foo/bar", "/bar", "/foo/bar/baz"];
const REQ_HOSTS = ["a.example.com", "b.example.com", "x.a.example.com", "y.a.example.com", "zzz.example.com", "other.org", "nope.net", "A.Example.com:80"];
const REQ_PATHS = ["/", "/foo", "/foo/", "/foo/bar", "/foobar", "/foo/bar/baz", "/bar", "/bar/x", "/foo?q=1", "/foo/bar?q=2&q=1", "/?q=1", "/foo/?q=1&r=2", "/foo/bar/baz?r=1", "/x"];
const LISTENER_SETS: Listener[][] = [
    [{ name: "http", port: 80, protocol: "HTTP" }],
    [{ name: "wild", port: 80, protocol: "HTTP", hostname: "*.example.com" }, { name: "a", port: 80, protocol: "HTTP", hostname: "a.example.com" }],
    [{ name: "http", port: 80, protocol: "HTTP" }, { name: "alt", port: 8080, protocol: "HTTP", hostname: "*.example.com" }],
    [{ name: "http", port: 80, protocol: "HTTP" }, { name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: [{ name: "cert" }] } }],
];

/** `value` in `a` of `a + b` cases, otherwise undefined. */
function sometimes<T>(value: fc.Arbitrary<T>, a: number, b: number): fc.Arbitrary<T | undefined> {
    return fc.oneof({ arbitrary: value, weight: a }, { arbitrary: fc.constant(undefined), weight: b });
}

const header = fc.record({ name: fc.constantFrom("x-a", "x-b", "x-c"), value: fc.constantFrom("1", "2") });
const headerFilter = fc.record({
    set: fc.array(header, { maxLength: 1 }),
    add: fc.array(header, { maxLength: 1 }),
    remove: fc.array(fc.constantFrom("x-a", "x-b", "x-c"), { maxLength: 1 }),
}).map(f => {
    // The CRD forbids one name twice within a modifier.
    const seen = new Set<string>();
    const uniq = <T>(xs: T[], name: (x: T) => string) => xs.filter(x => !seen.has(name(x)) && !!seen.add(name(x)));
    return { set: uniq(f.set, h => h.name), add: uniq(f.add, h => h.name), remove: uniq(f.remove, n => n) };
});
const backendRef = fc.record({
    name: fc.constantFrom("s0", "s1", "s2", "missing"),
    weight: fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 1000 }), weight: 5 }),
    filters: fc.option(headerFilter.map(h => [{ type: "RequestHeaderModifier", requestHeaderModifier: h } as HTTPRouteFilter]), { nil: undefined }),
}).map(b => ({ name: b.name, port: 8080, weight: b.weight, ...(b.filters ? { filters: b.filters } : {}) }));
const match = fc.record({
    type: fc.constantFrom("Exact" as const, "PathPrefix" as const),
    value: fc.constantFrom(...PATHS),
    headers: sometimes(fc.uniqueArray(fc.record({ name: fc.constantFrom("x-h", "X-H", "x-i"), value: fc.constantFrom("1", "2") }), { minLength: 1, maxLength: 2, selector: h => h.name.toLowerCase() }), 1, 2).map(h => h ?? []),
    queryParams: sometimes(fc.array(fc.record({ name: fc.constantFrom("q", "r"), value: fc.constantFrom("1", "2") }), { minLength: 1, maxLength: 1 }), 1, 3).map(q => q ?? []),
}).map(m => ({ path: { type: m.type, value: m.value }, headers: m.headers, queryParams: m.queryParams }));
const redirect = fc.record({
    scheme: fc.option(fc.constantFrom("http" as const, "https" as const), { nil: undefined }),
    hostname: fc.option(fc.constantFrom("r.example.com"), { nil: undefined }),
    path: fc.option(fc.oneof(
        fc.constantFrom("/", "/new", "/new/").map(v => ({ type: "ReplacePrefixMatch" as const, replacePrefixMatch: v })),
        fc.constantFrom("/full").map(v => ({ type: "ReplaceFullPath" as const, replaceFullPath: v }))), { nil: undefined }),
    statusCode: fc.constantFrom(301 as const, 302 as const, 303 as const, 307 as const, 308 as const),
});
const rewrite = fc.record({
    hostname: fc.option(fc.constantFrom("rw.internal"), { nil: undefined }),
    path: fc.option(fc.constantFrom("/", "/new", "/new/").map(v => ({ type: "ReplacePrefixMatch" as const, replacePrefixMatch: v })), { nil: undefined }),
});
const rule = fc.record({
    matches: fc.array(match, { minLength: 1, maxLength: 2 }),
    backendRefs: fc.array(backendRef, { minLength: 1, maxLength: 3 }),
    reqHeaders: fc.option(headerFilter, { nil: undefined }),
    respHeaders: fc.option(headerFilter, { nil: undefined }),
    redirect: sometimes(redirect, 1, 4),
    rewrite: sometimes(rewrite, 1, 2),
    mirror: sometimes(fc.record({ name: fc.constantFrom("s3", "missing"), percent: fc.constantFrom(0, 25, 100) }), 1, 2),
}).map(r => {
    const filters: HTTPRouteFilter[] = [];
    if (r.reqHeaders) filters.push({ type: "RequestHeaderModifier", requestHeaderModifier: r.reqHeaders });
    if (r.respHeaders) filters.push({ type: "ResponseHeaderModifier", responseHeaderModifier: r.respHeaders });
    // ReplacePrefixMatch needs exactly one PathPrefix match (a CRD rule).
    const prefixOnly = r.matches.length === 1 && r.matches[0].path.type === "PathPrefix";
    if (r.redirect) {
        const rd = { ...r.redirect };
        if (rd.path?.type === "ReplacePrefixMatch" && !prefixOnly) delete rd.path;
        filters.push({ type: "RequestRedirect", requestRedirect: rd });
        return { matches: r.matches, filters } as HTTPRouteRule;
    }
    if (r.rewrite) {
        const rw = { ...r.rewrite };
        if (!prefixOnly) delete rw.path;
        filters.push({ type: "URLRewrite", urlRewrite: rw });
    }
    if (r.mirror) filters.push({ type: "RequestMirror", requestMirror: { backendRef: { name: r.mirror.name, port: 8080 }, percent: r.mirror.percent } });
    return { matches: r.matches, filters, backendRefs: r.backendRefs } as HTTPRouteRule;
});
const routeSet = fc.record({
    listeners: fc.integer({ min: 0, max: LISTENER_SETS.length - 1 }),
    routes: fc.array(fc.record({
        hostnames: fc.option(fc.uniqueArray(fc.constantFrom(...HOSTS), { minLength: 1, maxLength: 2 }), { nil: undefined }),
        rules: fc.array(rule, { minLength: 1, maxLength: 2 }),
    }), { minLength: 1, maxLength: 5 }),
});
const request = fc.record({
    port: fc.constantFrom(80, 80, 80, 8080, 443),
    host: fc.constantFrom(...REQ_HOSTS),
    path: fc.constantFrom(...REQ_PATHS),
    headers: fc.record({ "x-h": fc.constantFrom("1", "1", "2"), "x-a": fc.constantFrom("v"), "x-i": fc.constantFrom("1") }, { requiredKeys: ["x-h"] }).chain(h =>
        fc.subarray(Object.keys(h)).map(keep => Object.fromEntries(keep.map(k => [k, String(h[k as keyof typeof h])])) as Record<string, string>)),
}).map(r => ({ ...r, scheme: r.port === 443 ? "https" as const : "http" as const }));

describe("gcp URL map vs routing/simulate (differential)", () => {
    it("routes generated requests through generated route sets exactly as simulate does, beyond declared deviations", () => {
        let checked = 0, sets = 0, refused = 0;
        const kinds: Record<string, number> = {};
        fc.assert(fc.property(routeSet, fc.array(request, { minLength: 20, maxLength: 20 }), (gen, requests) => {
            const routes = gen.routes.map((r, i) => route(`r${i}`, r.rules, r.hostnames));
            let routing: RoutingPlan;
            try {
                routing = compile(input(routes, LISTENER_SETS[gen.listeners], ["s0", "s1", "s2", "s3"].map(n => svc(n))));
            } catch (e) {
                if (process.env.GCP_DEBUG) console.log((e as Error).message.slice(0, 300));
                return; // an invalid generated spec: the CRD rules already refuse it
            }
            const dp = build(routing);
            if (dp.problems.length > 0) {
                if (process.env.GCP_DEBUG) console.log(dp.problems[0].slice(0, 200));
                refused++;
                return;
            }
            sets++;
            for (const req of requests) {
                const m = mismatch(routing, dp, req);
                if (m) throw new Error(m);
                const sim = simulate(routing, req);
                const kind = `${sim.reason}${sim.outcomes.length > 1 ? "+split" : ""}${sim.matched?.hostname !== undefined && sim.matched.hostname !== normalizeHost(req.host) ? "+fallthrough" : ""}`;
                kinds[kind] = (kinds[kind] ?? 0) + 1;
                checked++;
            }
        }), { numRuns: 150, seed: 20240601 });
        if (process.env.GCP_DEBUG) console.log(JSON.stringify({ sets, refused, checked, kinds }));
        assert.ok(sets > 100, `only ${sets} generated route sets were valid (refused by preflight: ${refused})`);
        assert.ok(checked > 2000, `only ${checked} requests checked`);
    });
});
