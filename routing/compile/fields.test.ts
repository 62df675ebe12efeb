// The plan fields that are not actions or ports: de-duplicated matches, PathPrefix prefixes, rule
// labels and field paths, timeouts in ms, certificate keys, GatewayInput / compileGateway and
// referencedServices.

import { strict as assert } from "assert";
import fc from "fast-check";
import { compile, compileGateway, referencedServices } from ".";
import { DURATION, parseDuration } from "../durations";
import { ruleFields, ruleLabel } from "../labels";
import { GatewayInput, PlanRule } from "../plan";
import { HTTPRouteSpec } from "../types";
import { inputOf, routeSet } from "../../test/plan-generators";

const CLASS = { name: "gk", controllerName: "gatewaykit.dev/plan" };

function rulesOf(routes: HTTPRouteSpec[], opts: { skipValidation?: boolean } = {}, listeners = [{ name: "http", port: 80, protocol: "HTTP" as const }]): PlanRule[] {
    const plan = compile({ gatewayClasses: [CLASS], gateways: [{ name: "gw", namespace: "default", gatewayClassName: "gk", listeners }], routes }, opts);
    return plan.gateways[0].listeners.flatMap(l => l.rules);
}

describe("plan: matches", () => {
    it("keeps only the first matcher per header name (case-insensitively) and per query name (case-sensitively), even under skipValidation", () => {
        const [r] = rulesOf([{
            name: "r", namespace: "default", parentRefs: [{ name: "gw" }],
            rules: [{
                matches: [{
                    headers: [{ name: "X-Env", value: "a" }, { name: "x-env", value: "b" }, { name: "X-Other", value: "c", type: "RegularExpression" }],
                    queryParams: [{ name: "q", value: "1" }, { name: "Q", value: "2" }, { name: "q", value: "3" }],
                }],
            }],
        }], { skipValidation: true });
        assert.deepEqual(r.match.headers, [{ type: "Exact", name: "x-env", value: "a" }, { type: "RegularExpression", name: "x-other", value: "c" }]);
        assert.deepEqual(r.match.queryParams, [{ type: "Exact", name: "q", value: "1" }, { type: "Exact", name: "Q", value: "2" }]);
    });

    it("PathPrefix carries its prefix without the trailing slash; other types have none", () => {
        const rules = rulesOf([{
            name: "r", namespace: "default", parentRefs: [{ name: "gw" }],
            rules: [{ matches: [{ path: { type: "PathPrefix", value: "/a/b/" } }, { path: { type: "PathPrefix", value: "/" } }, { path: { type: "Exact", value: "/x/" } }] }, {}],
        }]);
        const byMatch = new Map(rules.map(r => [`${r.ruleIndex}/${r.matchIndex}`, r.match.path]));
        assert.deepEqual(byMatch.get("0/0"), { type: "PathPrefix", value: "/a/b/", prefix: "/a/b" });
        assert.deepEqual(byMatch.get("0/1"), { type: "PathPrefix", value: "/", prefix: "" });
        assert.deepEqual(byMatch.get("0/2"), { type: "Exact", value: "/x/" });
        assert.deepEqual(byMatch.get("1/0"), { type: "PathPrefix", value: "/", prefix: "" }); // the default match
    });
});

describe("plan: labels and field paths", () => {
    it("use the adapters' wording byte for byte", () => {
        assert.equal(ruleLabel({ route: "team-a/shop", ruleIndex: 2, ruleName: "canary" }), "HTTPRoute team-a/shop rule 2 (canary)");
        assert.equal(ruleLabel({ route: "team-a/shop", ruleIndex: 0 }), "HTTPRoute team-a/shop rule 0");
        assert.equal(ruleLabel({ route: "team-a/shop", ruleIndex: 0, ruleName: "" }), "HTTPRoute team-a/shop rule 0");
        assert.deepEqual(ruleFields(2, 0), { rule: "spec.rules[2]", match: "spec.rules[2].matches[0]" });
    });

    it("compile sets them on every rule", () => {
        fc.assert(fc.property(routeSet(false), gen => {
            for (const l of compile(inputOf(gen)).gateways[0].listeners) {
                for (const r of l.rules) {
                    // The wording of the former nginx where(), aws ruleLabel(), gcp where() and usedBy.
                    assert.equal(r.label, `HTTPRoute ${r.route} rule ${r.ruleIndex}${r.ruleName ? ` (${r.ruleName})` : ""}`);
                    assert.deepEqual(r.field, { rule: `spec.rules[${r.ruleIndex}]`, match: `spec.rules[${r.ruleIndex}].matches[${r.matchIndex}]` });
                }
            }
        }), { numRuns: 100 });
    });
});

describe("plan: durations and timeouts", () => {
    const part = fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.constantFrom("h", "m", "s", "ms")).map(([n, u]) => `${n}${u}`);

    it("parseDuration (the one parser; validation uses it too) accepts exactly the grammar and sums the parts", () => {
        const any = fc.oneof(fc.array(part, { minLength: 0, maxLength: 5 }).map(ps => ps.join("")), fc.string({ maxLength: 12 }), fc.stringMatching(/^[0-9hms]{0,10}$/));
        fc.assert(fc.property(any, d => {
            assert.equal(parseDuration(d) !== undefined, DURATION.test(d));
        }), { numRuns: 3000 });
        const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
        const parts = fc.array(fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.constantFrom("h", "m", "s", "ms")), { minLength: 1, maxLength: 4 });
        fc.assert(fc.property(parts, ps => {
            assert.equal(parseDuration(ps.map(([n, u]) => `${n}${u}`).join("")), ps.reduce((sum, [n, u]) => sum + n * unitMs[u], 0));
        }), { numRuns: 2000 });
    });

    it("parseDuration sums the parts of canonically ordered durations (what nginx renders as proxy timeouts)", () => {
        const n = fc.option(fc.integer({ min: 0, max: 99999 }), { nil: undefined });
        fc.assert(fc.property(n, n, n, n, (h, m, s, ms) => {
            const d = [[h, "h"], [m, "m"], [s, "s"], [ms, "ms"]].filter(([v]) => v !== undefined).map(([v, u]) => `${v}${u}`).join("");
            fc.pre(d !== "");
            assert.equal(parseDuration(d), (((h ?? 0) * 60 + (m ?? 0)) * 60 + (s ?? 0)) * 1000 + (ms ?? 0));
        }), { numRuns: 2000 });
        assert.equal(parseDuration("1h30m"), 5_400_000);
        assert.equal(parseDuration("1h2m3s4ms"), 3_723_004);
    });

    it("the plan carries both timeouts in ms beside the strings", () => {
        const [r] = rulesOf([{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: [{ timeouts: { request: "1m30s", backendRequest: "500ms" } }] }]);
        assert.deepEqual(r.timeouts, { request: "1m30s", backendRequest: "500ms", requestMs: 90_000, backendRequestMs: 500 });
        const [s] = rulesOf([{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: [{ timeouts: { request: "10s" } }] }]);
        assert.deepEqual(s.timeouts, { request: "10s", requestMs: 10_000 });
    });
});

describe("plan: certificate keys", () => {
    it("are namespace/name, the namespace defaulting to the gateway's", () => {
        const plan = compile({
            gatewayClasses: [CLASS],
            gateways: [{
                name: "gw", namespace: "edge", gatewayClassName: "gk",
                listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "site" }, { name: "shared", namespace: "edge" }] } }],
            }],
            routes: [],
        });
        assert.deepEqual(plan.gateways[0].listeners[0].tls?.certificateKeys, ["edge/site", "edge/shared"]);
    });
});

describe("plan: GatewayInput", () => {
    it("compileGateway compiles the same plan as compile over the same specs (with only the referenced services)", () => {
        fc.assert(fc.property(routeSet(false), gen => {
            const multi = inputOf(gen);
            const input: GatewayInput = {
                gatewayClass: multi.gatewayClasses![0], gateway: multi.gateways[0],
                routes: multi.routes, services: referencedServices(multi.routes, multi.services!), namespaces: [],
            };
            const one = compileGateway(input);
            const all = compile(multi);
            assert.equal(one.gateways.length, 1);
            assert.deepEqual(one.gateways[0], all.gateways[0]);
            assert.deepEqual(one.routes, all.routes);
        }), { numRuns: 100 });
    });

    it("referencedServices: backendRefs and mirrors at both levels, kind Service only, namespace/name order", () => {
        const svc = (namespace: string, name: string) => ({ name, namespace, ports: [{ port: 80 }] });
        const services = [svc("b", "z"), svc("a", "m"), svc("a", "mirror"), svc("a", "unused"), svc("a", "cm"), svc("c", "x")];
        const routes: HTTPRouteSpec[] = [{
            name: "r", namespace: "a", parentRefs: [{ name: "gw" }],
            rules: [{
                filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "mirror", port: 80 } } }],
                backendRefs: [
                    { name: "z", namespace: "b", port: 80, filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "x", namespace: "c", port: 80 } } }] },
                    { name: "m", port: 80 }, { name: "cm", kind: "ConfigMap" }, { name: "missing", port: 80 },
                ],
            }],
        }];
        assert.deepEqual(referencedServices(routes, services).map(s => `${s.namespace}/${s.name}`), ["a/m", "a/mirror", "b/z", "c/x"]);
    });

});
