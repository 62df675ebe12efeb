// ALB rule priorities (priorities.ts): plan order between every two rules that can
// match one request, and stability: adding, removing or reweighting a route leaves the priorities
// of rules that cannot match its requests alone, and no rule ever asks for a priority another
// rule holds before the update (ALB applies priority changes one rule at a time).

import * as assert from "assert";
import fc from "fast-check";
import { AlbModel, buildAlbModel } from ".";
import { priorityItem } from "./rules";
import { MAX_PRIORITY, PriorityItem, assignPriorities, canOverlap } from "./priorities";
import { PlanRule, RoutingPlan } from "../../../routing/plan";
import { HTTPRouteRule } from "../../../routing/types";
import { Gen, PARAMS, routeSet, rule as genRule, tryCompile } from "../../../test/aws-generators";

function modelOf(plan: RoutingPlan): AlbModel | undefined {
    const build = buildAlbModel(plan.gateways[0], PARAMS);
    return build.problems.length ? undefined : build.model;
}

/** "port key" → priority. */
function prioritiesOf(model: AlbModel): Map<string, number> {
    const out = new Map<string, number>();
    for (const l of model.listeners) for (const r of l.rules) out.set(`${l.port} ${r.key}`, r.priority);
    return out;
}

function planRules(plan: RoutingPlan): Map<string, PlanRule> {
    return new Map(plan.gateways[0].listeners.flatMap(l => l.rules.map(r => [r.id, r] as const)));
}

function itemOf(key: string, rules: Map<string, PlanRule>, plan?: RoutingPlan): PriorityItem | undefined {
    const id = key.slice(key.indexOf(" ") + 1).replace(/#\d+$/, "");
    if (id.startsWith("isolate:") && plan) {
        // The isolation rule of a hostnamed listener: everything on that hostname.
        const l = plan.gateways[0].listeners.find(x => x.name === id.slice("isolate:".length))!;
        return { key: id, hostname: l.hostname, path: { type: "PathPrefix", value: "/" }, headers: [], queries: [] };
    }
    const r = rules.get(id);
    return r && priorityItem(id, r);
}

/** Rules of `after` whose priority another rule held in `before`: ALB would refuse that update. */
function takenPriorities(before: Map<string, number>, after: Map<string, number>): string[] {
    const holder = new Map<string, string>();
    for (const [k, p] of before) holder.set(`${k.split(" ")[0]} ${p}`, k);
    const out: string[] = [];
    for (const [k, p] of after) {
        const h = holder.get(`${k.split(" ")[0]} ${p}`);
        if (h !== undefined && h !== k) out.push(`${k} takes ${p} from ${h}`);
    }
    return out;
}

interface Churn { unrelatedMoves: string[]; relatedMoves: number; taken: string[] }

/** What changes between two rule sets, from the point of view of the rules that differ. */
function churn(planA: RoutingPlan, planB: RoutingPlan, changedRoute: string): Churn | undefined {
    const a = modelOf(planA), b = modelOf(planB);
    if (!a || !b) return undefined;
    const pa = prioritiesOf(a), pb = prioritiesOf(b);
    const rulesA = planRules(planA), rulesB = planRules(planB);
    const changed = [...rulesA.values(), ...rulesB.values()].filter(r => r.route === changedRoute).map(r => priorityItem(r.id, r));
    const out: Churn = { unrelatedMoves: [], relatedMoves: 0, taken: [...takenPriorities(pa, pb), ...takenPriorities(pb, pa)] };
    for (const [k, p] of pa) {
        if (!pb.has(k) || pb.get(k) === p) continue;
        const item = itemOf(k, rulesA, planA);
        if (item && changed.some(c => canOverlap(c, item))) out.relatedMoves++;
        else out.unrelatedMoves.push(`${k}: ${p} → ${pb.get(k)}`);
    }
    return out;
}

const extraRoute = fc.record({
    hostnames: fc.subarray(["a.example.com", "b.example.com", "*.example.com"], { maxLength: 1 }),
    rules: fc.array(genRule, { minLength: 1, maxLength: 2 }),
});

function withRoute(gen: Gen, extra: { hostnames: string[]; rules: HTTPRouteRule[] }): Gen {
    return { ...gen, routes: [...gen.routes, { name: "zulu", ...extra }] };
}

describe("aws: rule priorities", () => {
    it("order every two rules that can match one request as the plan does, unique per listener", () => {
        let pairs = 0;
        fc.assert(fc.property(routeSet, gen => {
            const plan = tryCompile(gen);
            const model = plan && modelOf(plan);
            if (!plan || !model) return;
            const rules = planRules(plan);
            const order = new Map(plan.gateways[0].listeners.flatMap(l => l.rules.map((r, i) => [`${l.name} ${r.id}`, i] as const)));
            for (const l of model.listeners) {
                const ps = l.rules.map(r => r.priority);
                assert.strictEqual(new Set(ps).size, ps.length, "priorities are unique");
                assert.ok(ps.every(p => Number.isInteger(p) && p >= 1 && p <= MAX_PRIORITY));
                const gl = plan.gateways[0].listeners.find(x => x.port === l.port)!;
                for (const x of l.rules) {
                    for (const y of l.rules) {
                        if (!x.source || !y.source || x.source.ruleId === y.source.ruleId) continue;
                        const ix = itemOf(`0 ${x.key}`, rules)!, iy = itemOf(`0 ${y.key}`, rules)!;
                        const ox = order.get(`${gl.name} ${x.source.ruleId}`), oy = order.get(`${gl.name} ${y.source.ruleId}`);
                        if (ox === undefined || oy === undefined || !canOverlap(ix, iy)) continue;
                        pairs++;
                        assert.strictEqual(ox < oy, x.priority < y.priority, `${x.key} (plan ${ox}, priority ${x.priority}) vs ${y.key} (plan ${oy}, priority ${y.priority})`);
                    }
                }
            }
        }), { numRuns: 200, seed: 7 });
        assert.ok(pairs > 500, `only ${pairs} overlapping pairs checked`);
    });

    it("adding or removing a route renumbers no rule that cannot match its requests, and takes no held priority", () => {
        let cases = 0, related = 0;
        fc.assert(fc.property(routeSet, extraRoute, (gen, extra) => {
            const base = tryCompile(gen), more = tryCompile(withRoute(gen, extra));
            if (!base || !more) return;
            const c = churn(base, more, "default/zulu");
            if (!c) return;
            cases++;
            related += c.relatedMoves;
            assert.deepStrictEqual(c.unrelatedMoves, [], "unrelated rules moved");
            assert.deepStrictEqual(c.taken, [], "a rule takes a priority another rule holds");
        }), { numRuns: 300, seed: 11 });
        assert.ok(cases > 150, `only ${cases} cases`);
        // Related moves (a rule the new route outranks within one priority level) are allowed; the
        // generator's tiny path alphabet makes them far more common than in real route sets.
        assert.ok(related <= cases / 3, `${related} related moves in ${cases} cases`);
    });

    it("reweighting a backend changes that rule's forward action and nothing else", () => {
        const gen: Gen = {
            listeners: 0,
            routes: ["alpha", "bravo", "charlie"].map((name, i) => ({
                name, hostnames: [`${name}.example.com`],
                rules: [{ matches: [{ path: { value: `/p${i}` } }], backendRefs: [{ name: "s1", port: 8080, weight: 90 }, { name: "s2", port: 8080, weight: 10 }] }],
            })),
        };
        const a = modelOf(tryCompile(gen)!)!;
        gen.routes[1].rules[0].backendRefs![1].weight = 20;
        const b = modelOf(tryCompile(gen)!)!;
        const diff = a.listeners[0].rules.filter((r, i) => JSON.stringify(r) !== JSON.stringify(b.listeners[0].rules[i]));
        assert.deepStrictEqual(diff.map(r => r.key), ["default/bravo/0/0@bravo.example.com"]);
        assert.deepStrictEqual(JSON.stringify(a.targetGroups), JSON.stringify(b.targetGroups));
    });

    it("places 100 rules of one host, all overlapping a catch-all, in plan order", () => {
        const items: PriorityItem[] = [];
        for (let i = 99; i >= 1; i--) items.push({ key: `r${i}`, hostname: "h.example.com", path: { type: "PathPrefix", value: "/x".repeat(i % 12 + 1) }, headers: [], queries: [] });
        items.sort((x, y) => y.path.value.length - x.path.value.length);
        items.push({ key: "catch-all", hostname: "h.example.com", path: { type: "PathPrefix", value: "/" }, headers: [], queries: [] });
        const { priorities, overflow } = assignPriorities(items);
        assert.deepStrictEqual(overflow, []);
        assert.strictEqual(new Set(priorities.values()).size, 100);
        for (let i = 0; i < items.length; i++) {
            for (let j = i + 1; j < items.length; j++) {
                if (canOverlap(items[i], items[j])) assert.ok(priorities.get(items[i].key)! < priorities.get(items[j].key)!, `${items[i].key} before ${items[j].key}`);
            }
        }
    });
});
