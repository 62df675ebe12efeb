// simulate: gateway and listener selection, and matching, on plans built by test/plan-builder.ts
// (compile's own functions fill the decisions); what a matched rule answers is in ./outcome.test.ts.

import * as assert from "assert";
import { simulate, SimRequest } from ".";
import { PlanRule, RoutingPlan } from "../plan";
import {
    planBackend as backend, planGateway as gateway, planListener as listener, planRule, routingPlan as plan, RuleOpts, sortedPlan as planOf,
} from "../../test/plan-builder";

const rule = (o: RuleOpts = {}): PlanRule => planRule({ backends: [backend("svc")], ...o });

function sim(p: RoutingPlan, req: Partial<SimRequest> & { path: string }, gw?: string) {
    return simulate(p, { host: "example.com", ...req }, gw ? { gateway: gw } : {});
}

describe("simulate", () => {
    describe("gateway and listener selection", () => {
        it("refuses the connection when nothing listens on the port or scheme", () => {
            const p = planOf(rule());
            const r1 = sim(p, { path: "/", port: 8080 });
            assert.strictEqual(r1.status, 0);
            assert.strictEqual(r1.reason, "no-listener");
            const r2 = sim(p, { path: "/", scheme: "https" }); // port 443, no HTTPS listener
            assert.strictEqual(r2.reason, "no-listener");
            const r3 = sim(p, { path: "/", scheme: "https", port: 80 }); // HTTP listener does not take https
            assert.strictEqual(r3.reason, "no-listener");
        });

        it("defaults the port by scheme and matches HTTPS listeners", () => {
            const p = plan(gateway([listener([rule({ backends: [backend("tls")] })], { name: "https", port: 443, protocol: "HTTPS" })]));
            const r = sim(p, { path: "/x", scheme: "https" });
            assert.strictEqual(r.status, 200);
            assert.strictEqual(r.listener, "https");
            assert.strictEqual(r.outcomes[0].backend?.service, "default/tls");
        });

        it("picks the most specific listener hostname and isolates its rules", () => {
            const p = plan(gateway([
                listener([rule({ backends: [backend("any")] })], { name: "any" }),
                listener([rule({ hostname: "*.example.com", backends: [backend("wild")] })], { name: "wild", hostname: "*.example.com" }),
                listener([rule({ hostname: "foo.example.com", path: ["Exact", "/only"], backends: [backend("foo")] })], { name: "foo", hostname: "foo.example.com" }),
            ]));
            assert.strictEqual(sim(p, { host: "foo.example.com", path: "/only" }).listener, "foo");
            assert.strictEqual(sim(p, { host: "bar.example.com", path: "/" }).listener, "wild");
            assert.strictEqual(sim(p, { host: "other.org", path: "/" }).listener, "any");
            // Isolation: foo's listener has no rule for "/", and the wildcard listener's rule does not leak in.
            const r = sim(p, { host: "foo.example.com", path: "/" });
            assert.strictEqual(r.status, 404);
            assert.strictEqual(r.reason, "no-matching-rule");
            assert.strictEqual(r.listener, "foo");
        });

        it("answers 404 when no listener hostname matches", () => {
            const p = plan(gateway([listener([rule()], { hostname: "*.example.com" })]));
            const r = sim(p, { host: "example.com", path: "/" }); // a wildcard never matches its own suffix
            assert.strictEqual(r.status, 404);
            assert.strictEqual(r.reason, "no-matching-listener");
        });

        it("normalises the host: case, port and trailing dot", () => {
            const p = plan(gateway([listener([rule({ hostname: "foo.example.com" })], { hostname: "foo.example.com" })]));
            assert.strictEqual(sim(p, { host: "FOO.Example.com.:80", path: "/" }).status, 200);
        });

        it("requires opts.gateway when the plan has several gateways, and uses it", () => {
            const p = plan(gateway([listener([rule({ backends: [backend("a")] })])], "ns/a"), gateway([listener([rule({ backends: [backend("b")] })])], "ns/b"));
            assert.throws(() => sim(p, { path: "/" }), /2 gateways.*opts\.gateway/);
            assert.throws(() => sim(p, { path: "/" }, "ns/zzz"), /"ns\/zzz" is not in the plan.*"ns\/a"/);
            assert.strictEqual(sim(p, { path: "/" }, "ns/b").outcomes[0].backend?.service, "default/b");
            assert.strictEqual(sim(p, { path: "/" }, "ns/b").gateway, "ns/b");
        });
    });

    describe("matching", () => {
        it("Exact matches the exact path only, without the query", () => {
            const p = planOf(rule({ path: ["Exact", "/foo"] }));
            assert.strictEqual(sim(p, { path: "/foo" }).status, 200);
            assert.strictEqual(sim(p, { path: "/foo?x=1" }).status, 200);
            assert.strictEqual(sim(p, { path: "/foo/" }).status, 404);
            assert.strictEqual(sim(p, { path: "/FOO" }).status, 404);
            assert.strictEqual(sim(p, { path: "/foo/bar" }).status, 404);
        });

        it("PathPrefix matches whole segments", () => {
            const p = planOf(rule({ path: ["PathPrefix", "/foo"] }));
            for (const ok of ["/foo", "/foo/", "/foo/bar", "/foo?q"]) assert.strictEqual(sim(p, { path: ok }).status, 200, ok);
            for (const no of ["/foobar", "/fo", "/", "/bar/foo"]) assert.strictEqual(sim(p, { path: no }).status, 404, no);
        });

        it("PathPrefix ignores a trailing slash on the prefix", () => {
            const p = planOf(rule({ path: ["PathPrefix", "/foo/"] }));
            for (const ok of ["/foo", "/foo/", "/foo/x"]) assert.strictEqual(sim(p, { path: ok }).status, 200, ok);
            assert.strictEqual(sim(p, { path: "/foobar" }).status, 404);
        });

        it("PathPrefix / matches every path", () => {
            const p = planOf(rule({ path: ["PathPrefix", "/"] }));
            for (const ok of ["/", "/a", "/a/b/c"]) assert.strictEqual(sim(p, { path: ok }).status, 200, ok);
        });

        it("matches the raw path: no percent-decoding", () => {
            const p = planOf(rule({ path: ["Exact", "/a b"] }), rule({ route: "default/enc", path: ["Exact", "/a%20b"], backends: [backend("enc")] }));
            assert.strictEqual(sim(p, { path: "/a%20b" }).outcomes[0].backend?.service, "default/enc");
        });

        it("RegularExpression paths are anchored full matches", () => {
            const p = planOf(rule({ path: ["RegularExpression", "/v[0-9]+/items"] }));
            assert.strictEqual(sim(p, { path: "/v12/items" }).status, 200);
            assert.strictEqual(sim(p, { path: "/v12/items/3" }).status, 404);
            assert.strictEqual(sim(p, { path: "/x/v12/items" }).status, 404);
            // Alternation stays inside the anchors.
            const alt = planOf(rule({ path: ["RegularExpression", "/a|/b"] }));
            assert.strictEqual(sim(alt, { path: "/ab" }).status, 404);
            assert.strictEqual(sim(alt, { path: "/b" }).status, 200);
        });

        it("reports a bad regular expression with the rule it belongs to", () => {
            const p = planOf(rule({ route: "team/bad", path: ["RegularExpression", "/(unclosed"] }));
            assert.throws(() => sim(p, { path: "/x" }), /team\/bad.*match\.path\.value.*not a valid regular expression/);
        });

        it("headers: names case-insensitive, exact values case-sensitive, all must match", () => {
            const p = planOf(rule({ headers: [{ type: "Exact", name: "x-canary", value: "true" }, { type: "Exact", name: "x-team", value: "A" }] }));
            assert.strictEqual(sim(p, { path: "/", headers: { "X-Canary": "true", "X-TEAM": "A" } }).status, 200);
            assert.strictEqual(sim(p, { path: "/", headers: { "x-canary": "True", "x-team": "A" } }).status, 404);
            assert.strictEqual(sim(p, { path: "/", headers: { "x-canary": "true" } }).status, 404);
        });

        it("header matcher names in the plan are matched case-insensitively too", () => {
            const p = planOf(rule({ headers: [{ type: "Exact", name: "X-Canary", value: "1" }] }));
            assert.strictEqual(sim(p, { path: "/", headers: { "x-canary": "1" } }).status, 200);
        });

        it("header regular expressions are anchored; repeated headers are joined with ','", () => {
            const p = planOf(rule({ headers: [{ type: "RegularExpression", name: "x-v", value: "v[12]" }] }));
            assert.strictEqual(sim(p, { path: "/", headers: { "x-v": "v2" } }).status, 200);
            assert.strictEqual(sim(p, { path: "/", headers: { "x-v": "v22" } }).status, 404);
            const multi = planOf(rule({ headers: [{ type: "Exact", name: "x-a", value: "1,2" }] }));
            assert.strictEqual(sim(multi, { path: "/", headers: { "x-a": ["1", "2"] } }).status, 200);
        });

        it("only the first matcher for a header name counts", () => {
            const p = planOf(rule({ headers: [{ type: "Exact", name: "x-a", value: "1" }, { type: "Exact", name: "X-A", value: "2" }] }));
            assert.strictEqual(sim(p, { path: "/", headers: { "x-a": "1" } }).status, 200);
            assert.strictEqual(sim(p, { path: "/", headers: { "x-a": "2" } }).status, 404);
        });

        it("query params: exact name and value, first value wins, from path and request.query", () => {
            const p = planOf(rule({ queryParams: [{ type: "Exact", name: "env", value: "beta" }] }));
            assert.strictEqual(sim(p, { path: "/?env=beta" }).status, 200);
            assert.strictEqual(sim(p, { path: "/?ENV=beta" }).status, 404);
            assert.strictEqual(sim(p, { path: "/?env=Beta" }).status, 404);
            assert.strictEqual(sim(p, { path: "/?env=beta&env=prod" }).status, 200);
            assert.strictEqual(sim(p, { path: "/?env=prod&env=beta" }).status, 404);
            assert.strictEqual(sim(p, { path: "/", query: { env: "beta" } }).status, 200);
            assert.strictEqual(sim(p, { path: "/", query: { env: ["prod", "beta"] } }).status, 404);
            assert.strictEqual(sim(p, { path: "/?a=1", query: { env: "beta" } }).outcomes[0].request.path, "/?a=1&env=beta");
        });

        it("query regular expressions are anchored", () => {
            const p = planOf(rule({ queryParams: [{ type: "RegularExpression", name: "id", value: "[0-9]+" }] }));
            assert.strictEqual(sim(p, { path: "/?id=42" }).status, 200);
            assert.strictEqual(sim(p, { path: "/?id=42a" }).status, 404);
            assert.strictEqual(sim(p, { path: "/?id" }).status, 404);
        });

        it("method: exact, defaulting to GET", () => {
            const p = planOf(rule({ method: "POST" }));
            assert.strictEqual(sim(p, { path: "/", method: "POST" }).status, 200);
            assert.strictEqual(sim(p, { path: "/" }).status, 404);
            const get = planOf(rule({ method: "GET" }));
            assert.strictEqual(sim(get, { path: "/" }).status, 200);
        });

        it("walks rules in plan order and reports the first match", () => {
            // Deliberately not precedence-sorted: simulate must trust the plan's order.
            const first = rule({ route: "default/first", path: ["PathPrefix", "/"], backends: [backend("first")] });
            const second = rule({ route: "default/second", path: ["Exact", "/x"], backends: [backend("second")] });
            const p = plan(gateway([listener([first, second])]));
            const r = sim(p, { path: "/x" });
            assert.strictEqual(r.matched?.route, "default/first");
            assert.strictEqual(r.matched?.ruleId, first.id);
        });

        it("filters rules by their hostname, falling through to less specific hosts", () => {
            const p = planOf(
                rule({ route: "default/foo", hostname: "foo.example.com", path: ["Exact", "/foo-only"], backends: [backend("foo")] }),
                rule({ route: "default/wild", hostname: "*.example.com", path: ["PathPrefix", "/"], backends: [backend("wild")] }),
                rule({ route: "default/any", path: ["PathPrefix", "/"], backends: [backend("any")] }),
            );
            assert.strictEqual(sim(p, { host: "foo.example.com", path: "/foo-only" }).outcomes[0].backend?.service, "default/foo");
            assert.strictEqual(sim(p, { host: "foo.example.com", path: "/other" }).outcomes[0].backend?.service, "default/wild");
            assert.strictEqual(sim(p, { host: "bar.example.com", path: "/foo-only" }).outcomes[0].backend?.service, "default/wild");
            assert.strictEqual(sim(p, { host: "example.com", path: "/foo-only" }).outcomes[0].backend?.service, "default/any");
            const r = sim(p, { host: "foo.example.com", path: "/foo-only" });
            assert.strictEqual(r.matched?.hostname, "foo.example.com");
        });

        it("stays correct across many distinct hosts (host index cache eviction)", () => {
            const p = planOf(
                rule({ route: "default/wild", hostname: "*.example.com", path: ["Exact", "/w"], backends: [backend("wild")] }),
                rule({ route: "default/any", backends: [backend("any")] }),
            );
            for (let i = 0; i < 6000; i++) {
                const want = i % 2 ? "default/wild" : "default/any";
                const host = i % 2 ? `h${i}.example.com` : `h${i}.example.org`;
                assert.strictEqual(sim(p, { host, path: "/w" }).outcomes[0].backend?.service, want, host);
            }
        });

        it("merges segment-keyed and catch-all rules in precedence order", () => {
            const p = planOf(
                rule({ route: "default/a", path: ["PathPrefix", "/api/v1"], backends: [backend("v1")] }),
                rule({ route: "default/b", path: ["RegularExpression", "/api/v[0-9]+/special"], backends: [backend("re")] }),
                rule({ route: "default/c", path: ["PathPrefix", "/api"], backends: [backend("api")] }),
                rule({ route: "default/d", path: ["PathPrefix", "/"], backends: [backend("root")] }),
            );
            const svc = (path: string) => sim(p, { path }).outcomes[0].backend?.service;
            assert.strictEqual(svc("/api/v2/special"), "default/re"); // regex outranks prefixes (compareRules)
            assert.strictEqual(svc("/api/v1/x"), "default/v1");
            assert.strictEqual(svc("/api/v2"), "default/api");
            assert.strictEqual(svc("/apix"), "default/root");
            assert.strictEqual(svc("/"), "default/root");
        });

        it("reports 404 no-matching-rule with the listener", () => {
            const r = sim(planOf(rule({ path: ["Exact", "/a"] })), { path: "/b" });
            assert.deepStrictEqual([r.status, r.reason, r.listener, r.matched], [404, "no-matching-rule", "http", undefined]);
            assert.strictEqual(r.outcomes.length, 1);
            assert.strictEqual(r.outcomes[0].status, 404);
        });
    });
});
