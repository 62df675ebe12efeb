// The emitted ALB rules, walked by evaluate.ts as ALB walks them, against
// routing/simulate: generated route sets × generated requests. Requests stay clear of the declared
// deviations (case-only differences in header/query values, repeated headers or query keys,
// percent-encoding); the one deviation the generator does produce — an invalid backend's share in
// a mixed rule answering 503 instead of 500 — is mapped explicitly. Separate tests pin each
// deviation down, so it stays declared rather than accidental.

import * as assert from "assert";
import fc from "fast-check";
import { evaluateAlb } from "./evaluate";
import { AlbBuild, buildAlbModel } from "./model";
import { scaleWeights } from "./model/actions";
import { compile } from "../../routing/compile";
import { RoutingPlan } from "../../routing/plan";
import { SimRequest, simulate } from "../../routing/simulate";
import { CLASS, LISTENER_SETS, PARAMS, SERVICES, compareWithSimulate, request, requestOf, routeSet, tryCompile } from "../../test/aws-generators";

/** The first difference between simulate and the emitted rules for one request (test/aws-generators.ts). */
function compare(plan: RoutingPlan, build: AlbBuild, req: SimRequest): string | undefined {
    return compareWithSimulate(plan, build.model, req);
}

describe("aws: emitted ALB rules vs routing/simulate", () => {
    it("agree on every generated route set and request (rule, outcomes, rewrites, redirects)", function () {
        this.timeout(20000);
        let compared = 0, refused = 0, invalid = 0;
        fc.assert(fc.property(routeSet, fc.array(request, { minLength: 25, maxLength: 25 }), (gen, requests) => {
            const plan = tryCompile(gen);
            if (!plan) { invalid++; return; }
            const build = buildAlbModel(plan.gateways[0], PARAMS);
            if (build.problems.length) { refused++; return; }
            const port = LISTENER_SETS[gen.listeners][0].port;
            for (const r of requests) {
                const mismatch = compare(plan, build, requestOf(r, port));
                assert.strictEqual(mismatch, undefined, mismatch);
                compared++;
            }
        }), { numRuns: 150, seed: 4242 });
        assert.ok(compared > 2000, `only ${compared} requests compared (${invalid} sets invalid, ${refused} refused)`);
        assert.ok(refused < 50, `${refused} generated sets refused by preflight`);
    });

    it("routes the seed's 90/10 canary identically, with and without the port in the Host header", () => {
        const plan = compile({
            gatewayClasses: [CLASS], services: SERVICES,
            gateways: [{ name: "gw", namespace: "default", gatewayClassName: "alb", listeners: [{ name: "http", port: 8080, protocol: "HTTP" }] }],
            routes: [{ name: "mygroup", namespace: "default", parentRefs: [{ name: "gw" }], hostnames: ["mygroup.io"], rules: [{
                matches: [{ path: { type: "PathPrefix", value: "/groups" } }],
                backendRefs: [{ name: "s1", port: 8080, weight: 90 }, { name: "s2", port: 8080, weight: 10 }],
            }] }],
        });
        const build = buildAlbModel(plan.gateways[0], PARAMS);
        for (const host of ["mygroup.io", "mygroup.io:8080"]) {
            for (const path of ["/groups", "/groups/", "/groups/42", "/groupsx", "/"]) {
                assert.strictEqual(compare(plan, build, { port: 8080, host, path }), undefined);
            }
        }
        const ev = evaluateAlb(build.model, { port: 8080, host: "mygroup.io:8080", path: "/groups/42" });
        assert.deepStrictEqual(ev.outcomes.map(o => [o.targetGroup?.service, o.probability]), [["default/s1", 0.9], ["default/s2", 0.1]]);
    });
});

describe("aws: declared deviations, pinned", () => {
    const plan = compile({
        gatewayClasses: [CLASS], services: SERVICES,
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "alb", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
        routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: [
            { matches: [{ path: { value: "/h" }, headers: [{ name: "x-env", value: "prod" }] }], backendRefs: [{ name: "s1", port: 8080 }] },
            { matches: [{ path: { value: "/q" }, queryParams: [{ name: "env", value: "prod" }] }], backendRefs: [{ name: "s1", port: 8080 }] },
            { matches: [{ path: { value: "/m" } }], backendRefs: [{ name: "s1", port: 8080, weight: 3 }, { name: "missing", port: 8080, weight: 1 }] },
        ] }],
    });
    const build = buildAlbModel(plan.gateways[0], PARAMS);

    it("header and query values compare case-insensitively on ALB (the spec: case-sensitively)", () => {
        const h = { host: "x", path: "/h", headers: { "x-env": "PROD" } };
        assert.strictEqual(simulate(plan, h).status, 404);
        assert.strictEqual(evaluateAlb(build.model, h).status, 200);
        const q = { host: "x", path: "/q?ENV=Prod" };
        assert.strictEqual(simulate(plan, q).status, 404);
        assert.strictEqual(evaluateAlb(build.model, q).status, 200);
    });

    it("a repeated header matches when any value does on ALB (the spec: the joined value)", () => {
        const r = { host: "x", path: "/h", headers: { "x-env": ["dev", "prod"] } };
        assert.strictEqual(simulate(plan, r).status, 404);
        assert.strictEqual(evaluateAlb(build.model, r).status, 200);
    });

    it("an invalid backend's share of a mixed rule answers 503 (empty target group), the spec's 500 otherwise", () => {
        const r = { host: "x", path: "/m" };
        assert.deepStrictEqual(simulate(plan, r).outcomes.map(o => [o.status, o.probability]), [[200, 0.75], [500, 0.25]]);
        assert.deepStrictEqual(evaluateAlb(build.model, r).outcomes.map(o => [o.status, o.probability]), [[200, 0.75], [503, 0.25]]);
        assert.ok(build.warnings.some(w => /rule 2: weight 1 of 4 goes to invalid backends.*503/.test(w)), build.warnings.join("\n"));
    });

    it("warns where two rules differ only by the case of a header value", () => {
        const twoRoutes = compile({
            gatewayClasses: [CLASS], services: SERVICES,
            gateways: [{ name: "gw", namespace: "default", gatewayClassName: "alb", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
            routes: ["prod-upper", "prod-lower"].map((name, i) => ({ name, namespace: "default", parentRefs: [{ name: "gw" }], rules: [
                { matches: [{ path: { value: "/h" }, headers: [{ name: "x-env", value: i === 0 ? "Prod" : "prod" }] }], backendRefs: [{ name: `s${i + 1}`, port: 8080 }] },
            ] })),
        });
        const b = buildAlbModel(twoRoutes.gateways[0], PARAMS);
        assert.deepStrictEqual(b.warnings, ["HTTPRoute default/prod-upper rule 0 and HTTPRoute default/prod-lower rule 0 match header x-env as \"Prod\" and \"prod\"; " +
            "ALB compares header and query values (and query names) case-insensitively, so the rule of higher precedence takes both: make them differ by more than case"]);
    });

    it("keeps weights up to 999 as written and scales larger ones, reporting the largest share change", () => {
        assert.deepStrictEqual(scaleWeights([90, 10]), { values: [90, 10], changed: false, maxError: 0 });
        const big = scaleWeights([1000000, 1]);
        assert.deepStrictEqual(big.values, [999, 1]);
        assert.ok(big.changed && big.maxError > 0.0009 && big.maxError < 0.0011, String(big.maxError));
        const plan = compile({
            gatewayClasses: [CLASS], services: SERVICES,
            gateways: [{ name: "gw", namespace: "default", gatewayClassName: "alb", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
            routes: [{ name: "w", namespace: "default", parentRefs: [{ name: "gw" }], rules: [{ backendRefs: [{ name: "s1", port: 8080, weight: 5000 }, { name: "s2", port: 8080, weight: 2500 }] }] }],
        });
        const b = buildAlbModel(plan.gateways[0], PARAMS);
        assert.deepStrictEqual(b.notes, ["HTTPRoute default/w rule 0: weights 5000/2500 scaled to 999/500 (ALB weights are 0–999); the largest share moves by 0.022 percentage points"]);
    });
});

describe("aws: backends at weight 0", () => {
    const MORE = [...SERVICES, ...["s4", "s5"].map((name, i) => ({ name, namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: `10.0.0.${i + 4}` }] }))];
    function planOf(rules: { backendRefs: { name: string; port: number; weight: number }[] }[]): RoutingPlan {
        return compile({
            gatewayClasses: [CLASS], services: MORE,
            gateways: [{ name: "gw", namespace: "default", gatewayClassName: "alb", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
            routes: [{ name: "w", namespace: "default", parentRefs: [{ name: "gw" }], rules: rules.map((r, i) => ({ matches: [{ path: { value: `/r${i}` } }], ...r })) }],
        });
    }
    const ref = (name: string, weight: number) => ({ name, port: 8080, weight });
    const forwardOf = (b: AlbBuild, i: number) => b.model.listeners[0].rules.find(r => r.source?.ruleIndex === i)!.actions[0];

    it("keeps a weight-0 target group in the forward with weight 0, never chosen", () => {
        const plan = planOf([{ backendRefs: [ref("s1", 0), ref("s2", 100)] }]);
        const b = buildAlbModel(plan.gateways[0], PARAMS);
        assert.deepStrictEqual(b.problems, []);
        assert.deepStrictEqual(forwardOf(b, 0), { type: "forward", forward: { targetGroups: [{ targetGroup: "default/s1:8080", weight: 0 }, { targetGroup: "default/s2:8080", weight: 100 }] } });
        assert.deepStrictEqual(b.model.targetGroups.map(t => [t.key, t.targets.length]), [["default/s1:8080", 1], ["default/s2:8080", 1]]);
        const req = { host: "x", path: "/r0/a" };
        assert.deepStrictEqual(evaluateAlb(b.model, req).outcomes.map(o => [o.targetGroup?.service, o.probability]), [["default/s2", 1]]);
        assert.strictEqual(compare(plan, b, req), undefined);
    });

    it("answers 500 like simulate when no valid backend carries weight, and still keeps the weight-0 target groups", () => {
        const plan = planOf([{ backendRefs: [ref("s1", 0), ref("s2", 0)] }, { backendRefs: [ref("s3", 0), ref("missing", 2)] }]);
        const b = buildAlbModel(plan.gateways[0], PARAMS);
        assert.deepStrictEqual(b.problems, []);
        for (const i of [0, 1]) {
            assert.deepStrictEqual(forwardOf(b, i), { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "500", messageBody: "Internal Server Error" } });
            const req = { host: "x", path: `/r${i}` };
            assert.deepStrictEqual(simulate(plan, req).outcomes.map(o => [o.status, o.probability]), [[500, 1]]);
            assert.strictEqual(compare(plan, b, req), undefined);
        }
        // No empty group for invalid backends: no rule forwards an invalid share.
        assert.deepStrictEqual(b.model.targetGroups.map(t => t.key), ["default/s1:8080", "default/s2:8080", "default/s3:8080"]);
    });

    it("counts weight-0 target groups toward ALB's 5 per forward and the per-ALB target group quota", () => {
        const six = planOf([{ backendRefs: [ref("s1", 1), ref("s2", 1), ref("s3", 1), ref("s4", 1), ref("s5", 0), ref("missing", 1)] }]);
        assert.deepStrictEqual(buildAlbModel(six.gateways[0], PARAMS).problems, [
            "HTTPRoute default/w rule 0: forwards to 6 target groups (counting the one for invalid backends and 1 at weight 0, which ALB still counts), " +
            "over ALB's 5 per rule; split the traffic across fewer backends, or drop the weight-0 backendRefs",
        ]);
        const three = planOf([{ backendRefs: [ref("s1", 1), ref("s2", 0)] }, { backendRefs: [ref("s3", 0), ref("s1", 0)] }]);
        const problems = buildAlbModel(three.gateways[0], { ...PARAMS, targetGroupsQuota: 2 }).problems;
        assert.strictEqual(problems.length, 1);
        assert.match(problems[0], /needs 3 target groups, over the quota of 2 .* the backend default\/s3:8080 is the first past it/);
    });
});
