// order: the identical-match warnings against a reference that keys every rule of a listener by its
// hostname and its whole match, and compile's cost growing in proportion to the routes.
import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from ".";
import { CompileInput, RoutingPlan } from "../plan";
import { HTTPRouteSpec } from "../types";
import { compareRules } from "../precedence";
import { inputOf, routeSet } from "../../test/plan-generators";
import { syntheticInput } from "../../bench/workload";

/** Warnings per route as the spec's rule states them: on each listener, the first (in precedence order) of identical matches wins. */
function referenceWarnings(plan: RoutingPlan): Map<string, string[]> {
    const out = new Map<string, string[]>(plan.routes.map(r => [r.route, []]));
    for (const gw of plan.gateways) {
        for (const l of gw.listeners) {
            const winners = new Map<string, string>();
            for (const r of l.rules) {
                const m = r.match;
                const k = JSON.stringify([r.hostname ?? null, m.path.type, m.path.value, m.method ?? null,
                    m.headers.map(h => [h.type, h.name, h.value]).sort(), m.queryParams.map(q => [q.type, q.name, q.value]).sort()]);
                const w = winners.get(k);
                if (w === undefined) { winners.set(k, r.route); continue; }
                if (w !== r.route) {
                    out.get(r.route)!.push(`on ${gw.gateway}/${l.name}, rule ${r.ruleName ?? r.ruleIndex} match ${r.matchIndex}${r.hostname ? ` (host ${r.hostname})` : ""} is identical to a match of ${w}, which wins the tie (alphabetical namespace/name); this match never receives traffic`);
                }
            }
        }
    }
    return out;
}

function warningsOf(plan: RoutingPlan): Map<string, string[]> {
    return new Map(plan.routes.map(r => [r.route, r.warnings.filter(w => w.includes("is identical to a match of"))]));
}

describe("order: identical matches", () => {
    it("warns exactly the routes the reference warns, with the same messages, on generated route sets", () => {
        let warned = 0;
        fc.assert(fc.property(routeSet(false), gen => {
            const plan = compile(inputOf(gen));
            const actual = warningsOf(plan);
            for (const w of actual.values()) warned += w.length;
            assert.deepStrictEqual(actual, referenceWarnings(plan));
        }), { numRuns: 300 });
        // The generator's small alphabet must make identical matches common, or this checks nothing.
        assert.ok(warned > 20, `only ${warned} identical-match warnings in 300 generated plans`);
    });

    it("tells identical matches from matches that differ only in header order or in a header value", () => {
        const backendRefs = [{ name: "s1", port: 8080 }];
        const mk = (name: string, headers: { name: string; value: string }[]) => ({
            name, namespace: "default", parentRefs: [{ name: "gw" }],
            rules: [{ matches: [{ path: { type: "Exact" as const, value: "/x" }, headers }], backendRefs }],
        });
        const base = inputOf({ listeners: 0, routes: [] });
        const plan = compile({ ...base, routes: [
            mk("a", [{ name: "x-a", value: "1" }, { name: "x-b", value: "2" }]),
            mk("b", [{ name: "X-B", value: "2" }, { name: "x-a", value: "1" }]), // same match: names are case-insensitive, order is free
            mk("c", [{ name: "x-a", value: "1" }, { name: "x-b", value: "3" }]), // differs in a value
        ] });
        const w = warningsOf(plan);
        assert.deepStrictEqual(w.get("default/a"), []);
        assert.equal(w.get("default/b")!.length, 1);
        assert.match(w.get("default/b")![0], /identical to a match of default\/a/);
        assert.deepStrictEqual(w.get("default/c"), []);
    });
});

describe("order: precedence", () => {
    const inOrder = (plan: RoutingPlan) => {
        for (const l of plan.gateways.flatMap(g => g.listeners)) {
            assert.deepStrictEqual(l.rules.map(r => r.id), [...l.rules].sort(compareRules).map(r => r.id));
        }
    };

    it("lists every listener's rules in compareRules order on generated route sets", () => {
        fc.assert(fc.property(routeSet(false), gen => inOrder(compile(inputOf(gen)))), { numRuns: 200 });
    });

    it("keeps that order where matches do not fit a numeric rank or route names repeat (skipValidation)", () => {
        fc.assert(fc.property(routeSet(true), fc.boolean(), (gen, repeat) => {
            const inp = inputOf(gen);
            const [first] = inp.routes;
            // 40 header matches outgrow matchRank; a second route of the same name makes ties interleave.
            const extra = repeat
                ? { ...first, rules: [...(first.rules ?? []), { matches: [{ path: { value: "/a" } }] }] }
                : { ...first, name: "zulu", rules: [{ matches: [{ path: { value: "/a" }, headers: Array.from({ length: 40 }, (_, i) => ({ name: `x-${i}`, value: "1" })) }] }] };
            inOrder(compile({ ...inp, routes: [...inp.routes, extra] }, { skipValidation: true }));
        }), { numRuns: 200 });
    });
});

/**
 * Routes on one hostname whose matches all have path "/" and differ in a header value only, every
 * other route repeating its predecessor's matches: one long run of equal precedence, full of
 * identical matches.
 */
function samePathInput(routeCount: number): CompileInput {
    const base = syntheticInput(0);
    const routes: HTTPRouteSpec[] = Array.from({ length: routeCount }, (_, r) => ({
        name: `route-${r}`, namespace: "bench", parentRefs: [{ name: "gw" }], hostnames: ["same.example.com"],
        rules: [{ matches: [0, 1, 2, 3].map(k => ({ path: { type: "PathPrefix" as const, value: "/" }, headers: [{ name: "x-team", value: `t${r >> 1}-${k}` }] })) }],
    }));
    return { ...base, routes };
}

describe("compile cost", () => {
    /**
     * Each size's best of three compiles (noise on a shared machine only ever adds time), sizes
     * alternated so drift hits both. Linear is about 4×; a cost quadratic in the routes is 16×.
     */
    function ratio(make: (n: number) => CompileInput, n: number): { ratio: number; text: string } {
        const small = make(n), large = make(4 * n);
        compile(make(n / 5)); // warm the JIT before anything is timed
        const time = (inp: CompileInput) => { const t0 = process.hrtime.bigint(); compile(inp); return Number(process.hrtime.bigint() - t0) / 1e6; };
        const s: number[] = [], l: number[] = [];
        for (let i = 0; i < 3; i++) { s.push(time(small)); l.push(time(large)); }
        const r = Math.min(...l) / Math.min(...s);
        return { ratio: r, text: `compile of ${4 * n} routes took ${r.toFixed(1)}× the time of ${n} (best of 3: ${Math.min(...l).toFixed(0)} ms vs ${Math.min(...s).toFixed(0)} ms)` };
    }

    it("grows in proportion to the routes: 4× the bench's routes take well under 8× the time", function () {
        this.timeout(120000);
        const r = ratio(syntheticInput, 2000);
        assert.ok(r.ratio < 8, r.text);
    });

    it("grows in proportion to the routes where thousands of matches tie and repeat", function () {
        this.timeout(120000);
        const plan = compile(samePathInput(8));
        assert.equal(plan.routes.filter(s => s.warnings.length === 4).length, 4, "every second route loses its 4 matches");
        const r = ratio(samePathInput, 5000);
        assert.ok(r.ratio < 8, r.text);
    });
});
