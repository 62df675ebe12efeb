// Precedence as the HTTPRoute spec orders it, checked on examples and as properties over random rule sets.
import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from "./compile";
import { hostnameSpecificity } from "./hostname";
import { PlanMatch } from "./plan";
import { compareMatches, compareRules, matchRank, RuleOrderKey, sortRules } from "./precedence";
import { HTTPRouteMatch } from "./types";
import { input, route } from "../test/fixtures/build";

const PATH_TYPES = ["Exact", "PathPrefix", "RegularExpression"] as const;

const arbMatch: fc.Arbitrary<PlanMatch> = fc.record({
    path: fc.record({ type: fc.constantFrom(...PATH_TYPES), value: fc.constantFrom("/", "/a", "/a/b", "/abc", "/a/b/c/d") }),
    headers: fc.array(fc.record({ type: fc.constant("Exact" as const), name: fc.constantFrom("x-a", "x-b", "x-c"), value: fc.constant("1") }), { maxLength: 3 }),
    queryParams: fc.array(fc.record({ type: fc.constant("Exact" as const), name: fc.constantFrom("q", "r"), value: fc.constant("1") }), { maxLength: 2 }),
    method: fc.option(fc.constantFrom("GET" as const, "POST" as const), { nil: undefined }),
}).map(m => (m.method === undefined ? { path: m.path, headers: m.headers, queryParams: m.queryParams } : m));

const arbRule: fc.Arbitrary<RuleOrderKey> = fc.record({
    ns: fc.constantFrom("a", "b"),
    name: fc.constantFrom("r1", "r2", "r3"),
    ruleIndex: fc.nat(3),
    matchIndex: fc.nat(2),
    hostname: fc.option(fc.constantFrom("foo.example.com", "*.example.com", "*.foo.example.com", "bar.example.com"), { nil: undefined }),
    match: arbMatch,
}).map(r => ({
    id: `${r.ns}/${r.name}/${r.ruleIndex}/${r.matchIndex}`,
    route: `${r.ns}/${r.name}`, routeNamespace: r.ns, routeName: r.name,
    ruleIndex: r.ruleIndex, matchIndex: r.matchIndex,
    ...(r.hostname ? { hostname: r.hostname } : {}),
    match: r.match,
}));

/** The spec's criteria as a tuple, compared lexicographically: a reference independent of compareRules. */
function criteria(r: RuleOrderKey): (number | string)[] {
    const [nonWild, any] = hostnameSpecificity(r.hostname);
    const rank = { Exact: 3, RegularExpression: 2, PathPrefix: 1 }[r.match.path.type];
    return [-nonWild, -any, r.hostname ?? "", -rank, -r.match.path.value.length, r.match.method ? 0 : 1,
        -r.match.headers.length, -r.match.queryParams.length, r.route, r.ruleIndex, r.matchIndex];
}

function lexCompare(a: (number | string)[], b: (number | string)[]): number {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

describe("precedence", () => {
    it("agrees with the spec's criteria tuple on random rule pairs", () => {
        fc.assert(fc.property(arbRule, arbRule, (a, b) => {
            assert.equal(Math.sign(compareRules(a, b)), Math.sign(lexCompare(criteria(a), criteria(b))));
        }), { numRuns: 2000 });
    });

    it("is a total order: antisymmetric and transitive", () => {
        fc.assert(fc.property(arbRule, arbRule, arbRule, (a, b, c) => {
            assert.equal(Math.sign(compareRules(a, b)), -Math.sign(compareRules(b, a)));
            if (compareRules(a, b) <= 0 && compareRules(b, c) <= 0) assert.ok(compareRules(a, c) <= 0);
        }), { numRuns: 2000 });
    });

    it("matchRank orders matches as compareMatches does, and gives up where a count outgrows its bits", () => {
        const long = fc.record({
            path: fc.record({ type: fc.constantFrom(...PATH_TYPES), value: fc.constantFrom("/", "/a/b", "/" + "x".repeat(65534), "/" + "x".repeat(65535)) }),
            headers: fc.array(fc.constant({ type: "Exact" as const, name: "x", value: "1" }), { maxLength: 33 }),
            queryParams: fc.array(fc.constant({ type: "Exact" as const, name: "q", value: "1" }), { maxLength: 33 }),
            method: fc.option(fc.constant("GET" as const), { nil: undefined }),
        });
        fc.assert(fc.property(fc.oneof(arbMatch, long), fc.oneof(arbMatch, long), (a, b) => {
            const ra = matchRank(a), rb = matchRank(b);
            const fits = (m: PlanMatch) => m.path.value.length < 65536 && m.headers.length < 32 && m.queryParams.length < 32;
            assert.equal(ra !== undefined, fits(a));
            if (ra === undefined || rb === undefined) return;
            assert.equal(Math.sign(rb - ra), Math.sign(compareMatches(a, b)));
        }), { numRuns: 2000 });
    });

    it("sortRules puts rules where a stable sort by compareRules does, equal rules in input order", () => {
        // Tagged copies: equal keys (same route, rule and match) are told apart by their position.
        fc.assert(fc.property(fc.array(arbRule, { maxLength: 40 }), rules => {
            const tagged = rules.map((r, i) => ({ ...r, i }));
            const before = tagged.map(r => r.i);
            assert.deepStrictEqual(sortRules(tagged).map(r => r.i), [...tagged].sort(compareRules).map(r => r.i));
            assert.deepStrictEqual(tagged.map(r => r.i), before, "sortRules must not reorder its input");
        }), { numRuns: 1000 });
    });

    it("does not depend on declaration order of routes", () => {
        const arbRouteSpecs = fc.uniqueArray(fc.record({
            name: fc.constantFrom("alpha", "beta", "gamma", "delta"),
            paths: fc.array(fc.record({ type: fc.constantFrom("Exact" as const, "PathPrefix" as const), value: fc.constantFrom("/", "/x", "/x/y") }), { minLength: 1, maxLength: 3 }),
            header: fc.boolean(),
        }), { selector: r => r.name, minLength: 1, maxLength: 4 });
        fc.assert(fc.property(arbRouteSpecs, specs => {
            const routes = specs.map(s => route(s.name, {
                rules: [{ matches: s.paths.map(p => ({ path: p, ...(s.header ? { headers: [{ name: "X-Env", value: "prod" }] } : {}) }) as HTTPRouteMatch) }],
            }));
            const ids = (rs: typeof routes) => compile(input({ routes: rs })).gateways[0].listeners[0].rules.map(r => r.id);
            assert.deepEqual(ids([...routes].reverse()), ids(routes));
        }), { numRuns: 200 });
    });

    it("orders Exact over longer PathPrefix, longest prefix first, then method, headers, query params", () => {
        const plan = compile(input({
            routes: [route("r", {
                rules: [
                    { name: "prefix-short", matches: [{ path: { type: "PathPrefix", value: "/a" } }] },
                    { name: "query", matches: [{ path: { value: "/a" }, queryParams: [{ name: "q", value: "1" }] }] },
                    { name: "headers2", matches: [{ path: { value: "/a" }, headers: [{ name: "x", value: "1" }, { name: "y", value: "1" }] }] },
                    { name: "headers1-query2", matches: [{ path: { value: "/a" }, headers: [{ name: "x", value: "1" }], queryParams: [{ name: "q", value: "1" }, { name: "r", value: "1" }] }] },
                    { name: "method", matches: [{ path: { value: "/a" }, method: "GET" }] },
                    { name: "prefix-long", matches: [{ path: { type: "PathPrefix", value: "/a/b/c" } }] },
                    { name: "exact-short", matches: [{ path: { type: "Exact", value: "/a" } }] },
                    { name: "regex", matches: [{ path: { type: "RegularExpression", value: "/a/.*" } }] },
                ],
            })],
        }));
        assert.deepEqual(plan.gateways[0].listeners[0].rules.map(r => r.ruleName),
            ["exact-short", "regex", "prefix-long", "method", "headers2", "headers1-query2", "query", "prefix-short"]);
    });

    it("puts a precise hostname before a wildcard, a longer wildcard before a shorter, and any-host last", () => {
        const plan = compile(input({
            routes: [
                route("any", { rules: [{ matches: [{ path: { type: "Exact", value: "/very/specific/path" } }] }] }),
                route("wild", { hostnames: ["*.example.com"] }),
                route("deeper", { hostnames: ["*.foo.example.com"] }),
                route("precise", { hostnames: ["foo.example.com"] }),
            ],
        }));
        assert.deepEqual(plan.gateways[0].listeners[0].rules.map(r => r.routeName), ["precise", "deeper", "wild", "any"]);
    });

    it("breaks ties between routes by namespace/name, then by rule order within a route", () => {
        const same = { matches: [{ path: { value: "/tie" } }] };
        const plan = compile(input({
            gateways: [{ name: "gw", namespace: "default", gatewayClassName: "test-class", listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] }],
            routes: [
                { name: "a", namespace: "zz", parentRefs: [{ name: "gw", namespace: "default" }], rules: [same] },
                { name: "b", namespace: "aa", parentRefs: [{ name: "gw", namespace: "default" }], rules: [{ ...same, name: "first" }, { ...same, name: "second" }] },
                { name: "a", namespace: "aa", parentRefs: [{ name: "gw", namespace: "default" }], rules: [same] },
            ],
        }));
        assert.deepEqual(plan.gateways[0].listeners[0].rules.map(r => `${r.route}#${r.ruleIndex}`), ["aa/a#0", "aa/b#0", "aa/b#1", "zz/a#0"]);
    });
});
