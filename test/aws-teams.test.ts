// Teams own their listener rules on a shared ALB (providers/aws/model/slots.ts): the operator's
// stack and each team's stack number their rules without seeing each other's. The proof: over
// generated route sets spread across the operator's namespace and three teams', each stack's
// rules are built alone (as its `up` would), the union is evaluated as ALB walks it, and it must
// agree with routing/simulate of all routes together, with no priority used twice on a listener.

import * as assert from "assert";
import fc from "fast-check";
import { AlbModel, AlbRule, buildAlbModel } from "../providers/aws/model";
import { priorityItem } from "../providers/aws/model/rules";
import { LAYOUT_END, cellOf, pathDepth } from "../providers/aws/model/slots";
import { PriorityItem } from "../providers/aws/model/priorities";
import { readSettings } from "../providers/aws/parameters";
import { compile } from "../routing/compile";
import { CompileInput, RoutingPlan } from "../routing/plan";
import { HTTPRouteRule, HTTPRouteSpec } from "../routing/types";
import { CLASS, LISTENER_SETS, compareWithSimulate, request, requestOf, rule } from "./aws-generators";

const OPERATOR = "ops";
const TEAMS = ["team-a", "team-b", "team-c"];
const NAMESPACES = { [OPERATOR]: { slot: 0 }, "team-a": { slot: 2, rules: 200 }, "team-b": { slot: 4, rules: 200 }, "team-c": { slot: 6, rules: 200 } };
const PARAMS = { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1", rulesQuota: 1000, namespaces: NAMESPACES };
const SERVICES = [OPERATOR, ...TEAMS].flatMap(namespace => ["s1", "s2", "s3"].map((name, i) => ({
    name, namespace, ports: [{ port: 8080 }], endpoints: [{ address: `10.0.${namespace.length}.${i + 1}` }],
})));
const HOSTNAMES = ["a.example.com", "b.example.com", "*.example.com", "x.a.example.com"];

type TeamGen = { listeners: number; routes: { name: string; namespace: string; hostnames: string[]; rules: HTTPRouteRule[] }[] };

const teamSet: fc.Arbitrary<TeamGen> = fc.record({
    listeners: fc.integer({ min: 0, max: LISTENER_SETS.length - 1 }),
    routes: fc.uniqueArray(fc.record({
        name: fc.constantFrom("alpha", "bravo", "charlie", "delta"),
        namespace: fc.constantFrom(OPERATOR, ...TEAMS),
        hostnames: fc.subarray(HOSTNAMES, { maxLength: 2 }),
        rules: fc.array(rule, { minLength: 1, maxLength: 3 }),
    }), { minLength: 1, maxLength: 8, selector: r => `${r.namespace}/${r.name}` }),
});

function inputOf(gen: TeamGen, namespaces: string[]): CompileInput {
    const routes: HTTPRouteSpec[] = gen.routes.filter(r => namespaces.includes(r.namespace)).map(r => ({
        name: r.name, namespace: r.namespace, parentRefs: [{ name: "gw", namespace: OPERATOR }],
        ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: r.rules,
    }));
    return {
        gatewayClasses: [CLASS],
        gateways: [{ name: "gw", namespace: OPERATOR, gatewayClassName: CLASS.name, listeners: LISTENER_SETS[gen.listeners] }],
        services: SERVICES, routes,
    };
}

function tryCompile(input: CompileInput): RoutingPlan | undefined {
    try {
        return compile(input);
    } catch {
        return undefined; // a generated rule the CRD rules refuse (e.g. a redirect beside backendRefs)
    }
}

interface Stacks {
    /** simulate's view: every route compiled together. */
    union: RoutingPlan;
    operator: AlbModel;
    teams: Map<string, AlbModel>;
    teamPlans: Map<string, RoutingPlan>;
    /** The operator's listeners with every stack's rules, as the ALB holds them. */
    combined: AlbModel;
}

/** Each stack's model built from its own routes only, and their union; undefined when a preflight refuses. */
function stacksOf(gen: TeamGen): Stacks | "invalid" | { refused: string[] } {
    const union = tryCompile(inputOf(gen, [OPERATOR, ...TEAMS]));
    if (!union) return "invalid";
    const ops = compile(inputOf(gen, [OPERATOR]));
    const operator = buildAlbModel(ops.gateways[0], PARAMS);
    if (operator.problems.length) return { refused: operator.problems };
    const teams = new Map<string, AlbModel>();
    const teamPlans = new Map<string, RoutingPlan>();
    for (const ns of TEAMS) {
        if (!gen.routes.some(r => r.namespace === ns)) continue;
        const plan = compile(inputOf(gen, [ns]));
        const build = buildAlbModel(plan.gateways[0], { subnetIds: PARAMS.subnetIds, vpcId: PARAMS.vpcId }, { team: { namespaces: NAMESPACES } });
        if (build.problems.length) return { refused: build.problems };
        teams.set(ns, build.model);
        teamPlans.set(ns, plan);
    }
    const combined: AlbModel = {
        ...operator.model,
        listeners: operator.model.listeners.map(l => ({
            ...l,
            rules: [...l.rules, ...[...teams.values()].flatMap(t => t.listeners.find(x => x.port === l.port)?.rules ?? [])].sort((a, b) => a.priority - b.priority),
        })),
        targetGroups: [...operator.model.targetGroups, ...[...teams.values()].flatMap(t => t.targetGroups)],
    };
    return { union, operator: operator.model, teams, teamPlans, combined };
}

function duplicates(model: AlbModel): string[] {
    const out: string[] = [];
    for (const l of model.listeners) {
        const seen = new Map<number, AlbRule>();
        for (const r of l.rules) {
            const other = seen.get(r.priority);
            if (other) out.push(`port ${l.port} priority ${r.priority}: ${other.key} and ${r.key}`);
            seen.set(r.priority, r);
        }
    }
    return out;
}

describe("aws: listener rules of several stacks on one ALB (shared priority layout)", () => {
    it("the union of the operator's and three teams' rules, each built alone, routes as simulate of all routes, with unique priorities", function () {
        this.timeout(60000);
        let compared = 0, refusedByAlb = 0, refusedByLayout = 0, invalid = 0, crossStackListeners = 0, runs = 0;
        fc.assert(fc.property(teamSet, fc.array(request, { minLength: 25, maxLength: 25 }), (gen, requests) => {
            runs++;
            const stacks = stacksOf(gen);
            if (stacks === "invalid") { invalid++; return; }
            if ("refused" in stacks) {
                // Only the two documented refusals: ALB's 5 condition values per rule (as on any ALB), and a
                // precedence class of one namespace fuller than its cell (slots.ts cellSize).
                for (const p of stacks.refused) assert.match(p, /needs \d+ ALB condition values, over ALB's 5 per rule|rules of namespace [a-z-]+ share one precedence class on this shared listener/);
                if (stacks.refused.some(p => /share one precedence class/.test(p))) refusedByLayout++; else refusedByAlb++;
                return;
            }
            assert.deepStrictEqual(duplicates(stacks.combined), []);
            for (const l of stacks.combined.listeners) {
                for (const r of l.rules) assert.ok(r.priority >= 1 && r.priority <= LAYOUT_END && LAYOUT_END <= 50000, `${r.key}: ${r.priority}`);
                const owners = new Set(l.rules.map(r => r.source?.route.split("/")[0] ?? OPERATOR));
                if (owners.size > 1) crossStackListeners++;
            }
            const port = LISTENER_SETS[gen.listeners][0].port;
            for (const r of requests) {
                const mismatch = compareWithSimulate(stacks.union, stacks.combined, requestOf(r, port));
                assert.strictEqual(mismatch, undefined, mismatch);
                compared++;
            }
        }), { numRuns: 800, seed: 1616 });
        const summary = `${runs} sets: ${compared / 25} compared (${compared} requests), ${invalid} invalid, ${refusedByAlb} refused by ALB's condition limit, ` +
            `${refusedByLayout} by the shared layout's cell sizes; ${crossStackListeners} listeners carried rules of several stacks`;
        if (process.env.GATEWAYKIT_VERBOSE) console.log(summary);
        // The generator is dense in conditions (many matches carry 3 or more, split further on port 8080),
        // so the smallest classes refuse at times; what is compared must still be plenty.
        assert.ok(compared > 11000, summary);
        assert.ok(crossStackListeners > 350, summary);
        assert.ok(refusedByLayout < runs / 4, summary);
    });

    it("a team's insert or delete moves no other stack's rule, and none of its own outside the cell it joins", function () {
        this.timeout(30000);
        let checked = 0;
        fc.assert(fc.property(teamSet, fc.constantFrom(...TEAMS), fc.array(rule, { minLength: 1, maxLength: 2 }), (gen, team, extra) => {
            const before = stacksOf(gen);
            const grown: TeamGen = { ...gen, routes: [...gen.routes, { name: "zulu", namespace: team, hostnames: ["a.example.com"], rules: extra }] };
            const after = stacksOf(grown);
            if (typeof before === "string" || typeof after === "string" || "refused" in before || "refused" in after) return;
            const numbers = (m: AlbModel | undefined) => new Map((m?.listeners ?? []).flatMap(l => l.rules.map(r => [`${l.port} ${r.key}`, r.priority] as const)));
            // The operator's and the other teams' stacks see nothing of the change: same rules, same numbers.
            assert.deepStrictEqual(numbers(after.operator), numbers(before.operator));
            for (const ns of TEAMS.filter(t => t !== team)) assert.deepStrictEqual(numbers(after.teams.get(ns)), numbers(before.teams.get(ns)));
            // In the team's own stack, only rules of a cell the new route's rules joined may move.
            const a = numbers(after.teams.get(team)), b = numbers(before.teams.get(team));
            const joined = new Set<string>();
            const model = after.teams.get(team)!, plan = after.teamPlans.get(team)!;
            for (const l of model.listeners) for (const r of l.rules) if (r.source?.route === `${team}/zulu`) joined.add(cellKey(l.port, r, plan));
            for (const [k, p] of b) {
                const now = a.get(k);
                if (now === undefined || now === p) continue;
                const l = model.listeners.find(x => String(x.port) === k.split(" ")[0])!;
                const r = l.rules.find(x => `${l.port} ${x.key}` === k)!;
                assert.ok(joined.has(cellKey(l.port, r, plan)), `${k} moved ${p} → ${now}, outside the cells the new route joined`);
            }
            checked++;
        }), { numRuns: 400, seed: 1617 });
        assert.ok(checked > 100, `only ${checked} inserts checked`);
    });

    it("parameters.aws.namespaces: slots unique, 0–7 and in namespace-name order (the order ties between namespaces take)", () => {
        const problems = (namespaces: unknown) => readSettings({ subnetIds: ["a", "b"], namespaces }, "infra/edge").problems;
        assert.deepStrictEqual(problems({ ops: { slot: 0 }, "team-a": { slot: 2, rules: 10 } }), []);
        assert.deepStrictEqual(problems({ "team-b": { slot: 1, rules: 5 }, "team-a": { slot: 3, rules: 5 } }), [
            "Gateway infra/edge: GatewayClass parameters.aws.namespaces: namespace team-a (slot 3) sorts before team-b (slot 1), so its slot must be lower: " +
            "slots follow namespace names, which decide ties between namespaces; renumber the slots in name order (leave gaps for namespaces to come)"]);
        // "a-b/…" sorts before "a/…" ('-' < '/'), as routing/precedence.ts compares route names.
        assert.match(problems({ a: { slot: 0 }, "a-b": { slot: 1 } })[0], /namespace a-b \(slot 1\) sorts before a \(slot 0\)/);
        assert.match(problems({ x: { slot: 2 }, y: { slot: 2 } })[0], /namespaces x and y both have slot 2/);
        assert.match(problems({ x: { slot: 8 } })[0], /parameters\.aws\.namespaces\.x\.slot must be a whole number from 0 to 7 \(got 8\)/);
        assert.match(problems({ x: { slot: 1, rules: -1 } })[0], /namespaces\.x\.rules must be a whole number ≥ 0/);
    });

    it("refuses, naming the rule, what the layout cannot order: deep prefixes, long wildcards, many header matches", () => {
        const item = (over: Partial<PriorityItem>): PriorityItem => ({ key: "k", path: { type: "PathPrefix", value: "/" }, headers: [], queries: [], ...over });
        assert.ok(!("refusal" in cellOf(item({ path: { type: "PathPrefix", value: "/a/b/c/d/e" } }), 0)));
        assert.match((cellOf(item({ path: { type: "PathPrefix", value: "/a/b/c/d/e/" } }), 0) as { refusal: string }).refusal, /deeper than 5 segments/);
        assert.match((cellOf(item({ hostname: "*.a.b.c.example.com" }), 0) as { refusal: string }).refusal, /more than 5 labels/);
        const h = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `x-${i}`, value: "1" }));
        assert.match((cellOf(item({ headers: h(3) }), 0) as { refusal: string }).refusal, /3 header and 0 query param matches/);
        // Bands in precedence order: precise host before wildcard before any host; Exact before every prefix; conditions first.
        const first = (over: Partial<PriorityItem>) => (cellOf(item(over), 0) as { first: number }).first;
        assert.ok(first({ hostname: "a.example.com" }) < first({ hostname: "*.a.example.com" }));
        assert.ok(first({ hostname: "*.a.example.com" }) < first({ hostname: "*.example.com" }));
        assert.ok(first({ hostname: "*.example.com", path: { type: "PathPrefix", value: "/" } }) < first({ path: { type: "Exact", value: "/x" } }));
        assert.ok(first({ path: { type: "Exact", value: "/" } }) < first({ path: { type: "PathPrefix", value: "/a/b/c/d/e" } }));
        assert.ok(first({ path: { type: "PathPrefix", value: "/a" }, method: "GET" }) < first({ path: { type: "PathPrefix", value: "/a" }, headers: h(2) }));
        assert.ok(first({ path: { type: "PathPrefix", value: "/a" }, headers: h(1) }) < first({ path: { type: "PathPrefix", value: "/a" } }));
        // Slots of one band: slot order, cells never overlapping.
        const a = cellOf(item({}), 2) as { first: number; size: number }, b = cellOf(item({}), 3) as { first: number; size: number };
        assert.strictEqual(a.first + a.size, b.first);
    });

    it("orders nested prefixes by depth as precedence orders them by length", () => {
        const paths = ["/", "/a", "/a/", "/a/b", "/a/b/", "/a/bc/d", "/abc/d/e/"];
        for (const p of paths) for (const q of paths) {
            const nested = q.replace(/\/$/, "").startsWith(p.replace(/\/$/, "")) && (q.replace(/\/$/, "") === p.replace(/\/$/, "") || q.replace(/\/$/, "")[p.replace(/\/$/, "").length] === "/" || p === "/");
            if (nested && q.length > p.length) assert.ok(pathDepth(q) > pathDepth(p), `${q} (${pathDepth(q)}) vs ${p} (${pathDepth(p)})`);
        }
    });
});

/** The cell a rule sits in: its listener and the first priority of its cell (from the plan rule it realises). */
function cellKey(port: number, r: AlbRule, plan: RoutingPlan): string {
    const planRule = plan.gateways[0].listeners.flatMap(l => l.rules).find(x => x.id === r.source!.ruleId)!;
    const ns = planRule.routeNamespace;
    const cell = cellOf(priorityItem(r.key, planRule), NAMESPACES[ns as keyof typeof NAMESPACES].slot);
    return "refusal" in cell ? "refused" : `${port} ${cell.first}`;
}
