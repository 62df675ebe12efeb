// The ALB condition set (conditions.ts): each kind's own checks and rendered block, the 5-value
// limit's splitting, and the case-collision warning.

import * as assert from "assert";
import { AlbRule } from "./types";
import { HostHeader, HttpHeader, HttpRequestMethod, PathPattern, QueryString, caseCollisions, conditionSets } from "./conditions";

const WHO = "HTTPRoute ns/r rule 0";

describe("aws conditions: each kind checks and renders itself", () => {
    it("host-header adds the :port form only off the protocol's default port", () => {
        assert.deepStrictEqual(HostHeader.forHostname("a.io", 80, "HTTP").render(), { hostHeader: { values: ["a.io"] } });
        assert.deepStrictEqual(HostHeader.forHostname("a.io", 443, "HTTPS").render(), { hostHeader: { values: ["a.io"] } });
        assert.deepStrictEqual(HostHeader.forHostname("a.io", 443, "HTTP").render(), { hostHeader: { values: ["a.io", "a.io:443"] } });
        assert.deepStrictEqual(HostHeader.forHostname("*.a.io", 8080, "HTTP").alternatives().map(h => h.render()),
            [{ hostHeader: { values: ["*.a.io"] } }, { hostHeader: { values: ["*.a.io:8080"] } }]);
        const long = "x".repeat(126) + ".io";
        assert.deepStrictEqual(new HostHeader([long]).problems(WHO), [`${WHO}: condition value "${long}" is longer than ALB's 128 characters; shorten it`]);
    });

    it("path-pattern: Exact as written, PathPrefix as the prefix and its subtree, \"/\" as no condition", () => {
        assert.deepStrictEqual(PathPattern.forMatch({ type: "Exact", value: "/a/" }, WHO).pattern?.render(), { pathPattern: { values: ["/a/"] } });
        assert.deepStrictEqual(PathPattern.forMatch({ type: "PathPrefix", value: "/a/", prefix: "/a" }, WHO).pattern?.render(), { pathPattern: { values: ["/a", "/a/*"] } });
        assert.deepStrictEqual(PathPattern.forMatch({ type: "PathPrefix", value: "/", prefix: "" }, WHO), {});
        assert.throws(() => PathPattern.forMatch({ type: "PathPrefix", value: "/a" }, WHO), /the plan has no match\.path\.prefix; build plans with routing\/compile/);
    });

    it("path-pattern refuses what ALB patterns cannot say: regexes, wildcards, characters outside its set", () => {
        assert.match(PathPattern.forMatch({ type: "RegularExpression", value: "/a.*" }, WHO).refusal!, /RegularExpression paths are not supported on ALB/);
        for (const value of ["/a*", "/a?b"]) {
            assert.match(PathPattern.forMatch({ type: "Exact", value }, WHO).refusal!, /contains "\*" or "\?", which ALB path patterns read as wildcards/);
        }
        assert.match(PathPattern.forMatch({ type: "PathPrefix", value: "/a b", prefix: "/a b" }, WHO).refusal!, /has characters ALB path patterns do not accept/);
    });

    it("http-header refuses Host (any case), long names, wildcard and long values", () => {
        assert.deepStrictEqual(new HttpHeader("x-env", "prod").render(), { httpHeader: { httpHeaderName: "x-env", values: ["prod"] } });
        assert.deepStrictEqual(new HttpHeader("x-env", "prod").problems(WHO), []);
        assert.deepStrictEqual(new HttpHeader("Host", "a").problems(WHO), [`${WHO}: a header match on Host cannot be an ALB http-header condition; use the route's hostnames`]);
        assert.match(new HttpHeader("x".repeat(41), "a").problems(WHO)[0], /header name "x{41}" is longer than ALB's 40 characters/);
        assert.deepStrictEqual(new HttpHeader("x-a", "v*").problems(WHO).length, 1);
        assert.match(new HttpHeader("x-a", "v".repeat(129)).problems(WHO)[0], /header x-a value is longer than ALB's 128 characters/);
    });

    it("query-string and http-request-method", () => {
        assert.deepStrictEqual(new QueryString("q", "1").render(), { queryStrings: [{ key: "q", value: "1" }] });
        assert.deepStrictEqual(new QueryString("q", "1").problems(WHO), []);
        assert.deepStrictEqual(new QueryString("q?", "1").problems(WHO), [`${WHO}: query param q?=1 contains "*" or "?", which ALB reads as wildcards; an exact match cannot be expressed`]);
        assert.deepStrictEqual(new HttpRequestMethod("POST").render(), { httpRequestMethod: { values: ["POST"] } });
    });
});

describe("aws conditions: at most 5 values per rule", () => {
    const host = new HostHeader(["a.io", "a.io:8080"]);
    const path = new PathPattern(["/a", "/a/*"]);
    const singles = (n: number) => Array.from({ length: n }, (_, i) => new HttpHeader(`x-${i}`, "v"));
    const valuesOf = (sets: ReturnType<typeof conditionSets>) => ("sets" in sets ? sets.sets.map(s => s.map(c => Object.values(c)[0].values ?? [Object.values(c)[0]]).flat().length) : sets.needed);

    it("keeps a rule whole when it fits, and splits hosts, then paths, then both", () => {
        assert.deepStrictEqual(valuesOf(conditionSets(host, path, singles(1))), [5]);
        // 2 + 2 + 2 = 6: one host per rule.
        const hostsSplit = conditionSets(host, path, singles(2));
        assert.ok("sets" in hostsSplit);
        assert.deepStrictEqual(hostsSplit.sets.map(s => s[0]), [{ hostHeader: { values: ["a.io"] } }, { hostHeader: { values: ["a.io:8080"] } }]);
        assert.deepStrictEqual(valuesOf(hostsSplit), [5, 5]);
        // 2 + 2 + 3 = 7: neither alone is enough, both are: 4 rules of 1 + 1 + 3.
        assert.deepStrictEqual(valuesOf(conditionSets(host, path, singles(3))), [5, 5, 5, 5]);
        // Paths only: 0 + 2 + 4 = 6 → 2 rules.
        assert.deepStrictEqual(valuesOf(conditionSets(undefined, path, singles(4))), [5, 5]);
    });

    it("reports the values needed when one of each does not fit, and gives a bare rule the catch-all", () => {
        assert.deepStrictEqual(conditionSets(host, path, singles(4)), { needed: 6 });
        assert.deepStrictEqual(conditionSets(undefined, undefined, []), { sets: [[{ pathPattern: { values: ["/*"] } }]] });
        assert.deepStrictEqual(conditionSets(undefined, undefined, [new HttpRequestMethod("GET")]), { sets: [[{ httpRequestMethod: { values: ["GET"] } }]] });
    });
});

describe("aws conditions: case collisions", () => {
    const rule = (label: string, header: string, value: string): AlbRule => ({
        key: label, resourceName: label, priority: 1, actions: [], targetGroups: [],
        conditions: [new HttpHeader(header, value).render()],
        source: { ruleId: label, label, route: "ns/r", ruleIndex: 0, matchIndex: 0 },
    });
    it("warns where two rules differ only by case, naming both", () => {
        assert.deepStrictEqual(caseCollisions([rule("A", "x-env", "Prod"), rule("B", "X-Env", "prod"), rule("C", "x-env", "prod")]), [
            "B and A match header x-env as \"prod\" and \"Prod\"; ALB compares header and query values (and query names) case-insensitively, " +
            "so the rule of higher precedence takes both: make them differ by more than case",
            "C and A match header x-env as \"prod\" and \"Prod\"; ALB compares header and query values (and query names) case-insensitively, " +
            "so the rule of higher precedence takes both: make them differ by more than case",
        ]);
        assert.deepStrictEqual(caseCollisions([rule("A", "x-env", "prod"), rule("B", "x-env", "prod"), rule("C", "x-env", "dev")]), []);
    });
});
