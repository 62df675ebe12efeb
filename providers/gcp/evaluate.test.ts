// The gcp data plane proven without GCP: a differential test of evaluate(URL map) against
// routing/simulate over generated route sets.

import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from "../../routing/compile";
import { RoutingPlan } from "../../routing/plan";
import { simulate } from "../../routing/simulate";
import { normalizeHost } from "../../routing/hostname";
import { HTTPRouteFilter, HTTPRouteRule, Listener } from "../../routing/types";
import { build, input, mismatch, route, svc } from "../../test/gcp-fixtures";

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
