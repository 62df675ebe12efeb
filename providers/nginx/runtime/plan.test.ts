// buildPlan (runtime/plan.ts): the operator's GatewayInput plus the team route files, compiled once;
// each file validated alone; a render problem naming one file drops that file (or refuses it when it
// is the route being attached). Pure: the real compiler and the real nginx renderer, no processes.

import { strict as assert } from "assert";
import { compileGateway } from "../../../routing/compile";
import type { GatewayInput, RoutingPlan } from "../../../routing/plan";
import type { HTTPRouteRule, HTTPRouteSpec } from "../../../routing/types";
import { renderNginx } from "../model";
import { buildPlan, memoisedCompile } from "./plan";
import type { ListenerSetFile, RouteFile } from "./routeFiles";

const operator: GatewayInput = {
    gatewayClass: { name: "local", controllerName: "gatewaykit.dev/nginx" },
    gateway: { name: "shared", namespace: "infra", gatewayClassName: "local", listeners: [{ name: "http", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] },
    routes: [{ name: "home", namespace: "infra", parentRefs: [{ name: "shared" }], hostnames: ["infra.example"], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] }],
    services: [{ name: "web", namespace: "infra", ports: [{ port: 80 }], endpoints: [{ address: "127.0.0.1", port: 9000 }] }],
    namespaces: [],
};

function teamFile(team: string, rules: HTTPRouteRule[], route: Partial<HTTPRouteSpec> = {}): RouteFile {
    return {
        gateway: "infra/shared", owner: `proj/${team}`,
        route: { name: "shop", namespace: team, parentRefs: [{ name: "shared", namespace: "infra" }], hostnames: [`${team}.example`], rules, ...route },
        services: [{ name: "shop", namespace: team, ports: [{ port: 80 }], endpoints: [{ address: "127.0.0.1", port: 9100 }] }],
    };
}

const good = (team: string) => teamFile(team, [{ backendRefs: [{ name: "shop", port: 80 }] }]);
// Valid Gateway API (a JavaScript regex) nginx cannot carry: a backreference, refused by the renderer.
const unrenderable = (team: string) => teamFile(team, [
    { backendRefs: [{ name: "shop", port: 80 }] },
    { matches: [{ path: { type: "RegularExpression", value: "/(a)\\1" } }], backendRefs: [{ name: "shop", port: 80 }] },
]);
// Invalid Gateway API: refused by validation alone.
const invalid = (team: string) => teamFile(team, [{ matches: [{ path: { type: "PathPrefix", value: "shop" } }], backendRefs: [{ name: "shop", port: 80 }] }]);

function counted(): { compile: (input: GatewayInput) => RoutingPlan; calls: GatewayInput[] } {
    const calls: GatewayInput[] = [];
    return { calls, compile: input => { calls.push(input); return compileGateway(input); } };
}

const render = (plan: Parameters<typeof renderNginx>[0]) => renderNginx(plan, { dir: "/tmp/gk-plan-test", generation: "g", listenAddress: "127.0.0.1" });

describe("nginx runtime buildPlan (operator input + team route files)", () => {
    it("compiles once over the operator's routes and every acceptable file, and renders once", () => {
        const { compile, calls } = counted();
        let renders = 0;
        const files = new Map([["team-a/shop", good("team-a")], ["team-b/shop", good("team-b")], ["team-c/shop", good("team-c")]]);
        const built = buildPlan("infra/shared", operator, files, plan => { renders++; return render(plan); }, { compile });
        assert.equal(calls.length, 1, "one compile");
        assert.equal(renders, 1, "one render");
        assert.deepEqual(calls[0].routes.map(r => `${r.namespace}/${r.name}`), ["infra/home", "team-a/shop", "team-b/shop", "team-c/shop"]);
        assert.deepEqual(built.teamRoutes, ["team-a/shop", "team-b/shop", "team-c/shop"]);
        assert.deepEqual(built.skipped, []);
        assert.match(built.rendered.files.map(f => f.content).join("\n"), /team-c\.example/);
    });

    it("skips a file validation refuses without compiling it, and refuses it when it is the route being attached", () => {
        const { compile, calls } = counted();
        const files = new Map([["team-a/shop", good("team-a")], ["team-b/shop", invalid("team-b")]]);
        const built = buildPlan("infra/shared", operator, files, render, { compile });
        assert.equal(calls.length, 1);
        assert.deepEqual(calls[0].routes.map(r => r.namespace), ["infra", "team-a"], "the invalid file never reaches the compiler");
        assert.deepEqual(built.teamRoutes, ["team-a/shop"]);
        assert.equal(built.skipped.length, 1);
        assert.match(built.skipped[0], /^team-b\/shop: HTTPRoute team-b\/shop: spec\.rules\[0\]\.matches\[0\]\.path\.value: .*\(got "shop"\)/);
        assert.throws(() => buildPlan("infra/shared", operator, files, render, { trigger: "team-b/shop" }),
            /^Error: Gateway infra\/shared refused HTTPRoute team-b\/shop: HTTPRoute team-b\/shop: spec\.rules\[0\]\.matches\[0\]\.path\.value/);
    });

    it("a render problem naming one file drops that file and compiles again without it; as the trigger it is refused with the renderer's reason", () => {
        const { compile, calls } = counted();
        const files = new Map([["team-a/shop", good("team-a")], ["team-b/shop", unrenderable("team-b")]]);
        const built = buildPlan("infra/shared", operator, files, render, { compile });
        assert.equal(calls.length, 2, "once with the file, once without");
        assert.deepEqual(calls[1].routes.map(r => r.namespace), ["infra", "team-a"]);
        assert.deepEqual(built.teamRoutes, ["team-a/shop"]);
        assert.equal(built.skipped.length, 1);
        assert.match(built.skipped[0], /^team-b\/shop: HTTPRoute team-b\/shop rule 1.*backreference/);
        assert.doesNotMatch(built.rendered.files.map(f => f.content).join("\n"), /team-b\.example/);
        assert.throws(() => buildPlan("infra/shared", operator, files, render, { trigger: "team-b/shop" }),
            /^Error: Gateway infra\/shared refused HTTPRoute team-b\/shop: HTTPRoute team-b\/shop rule 1.*backreference/);
        // A render problem of the operator's own routes names no file: it fails the build as it is.
        const broken: GatewayInput = { ...operator, routes: [unrenderable("infra").route], services: [...operator.services, ...unrenderable("infra").services] };
        assert.throws(() => buildPlan("infra/shared", broken, files, render), /HTTPRoute infra\/shop rule 1.*backreference/);
    });

    it("a file naming a route the operator declares is skipped; a trigger no listener admits fails with why", () => {
        const clash = teamFile("infra", [{ backendRefs: [{ name: "web", port: 80 }] }], { name: "home", namespace: "infra" });
        const built = buildPlan("infra/shared", operator, new Map([["infra/home", clash]]), render);
        assert.deepEqual(built.skipped, ["infra/home: the gateway's own program already declares HTTPRoute infra/home: rename the route"]);
        const sameOnly: GatewayInput = { ...operator, gateway: { ...operator.gateway, listeners: [{ name: "http", port: 8080, protocol: "HTTP" }] } };
        assert.throws(() => buildPlan("infra/shared", sameOnly, new Map([["team-a/shop", good("team-a")]]), render, { trigger: "team-a/shop" }),
            /HTTPRoute team-a\/shop is not served by Gateway infra\/shared: .*NotAllowedByListeners/);
    });

    it("memoisedCompile compiles one input once, however many instances share it", () => {
        const compile = memoisedCompile();
        const a = compile({ ...operator });
        assert.equal(compile(JSON.parse(JSON.stringify(operator)) as GatewayInput), a);
        assert.notEqual(compile({ ...operator, routes: [] }), a);
    });
});

describe("nginx runtime buildPlan with team ListenerSet files", () => {
    // The operator admits ListenerSets from namespaces labelled listeners=team; team-a is, team-b is not.
    const admitting: GatewayInput = {
        ...operator,
        gateway: { ...operator.gateway, allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: { listeners: "team" } } } } },
        namespaces: [{ name: "team-a", labels: { listeners: "team" } }, { name: "team-b" }],
    };
    const lsFile = (team: string, hostname: string, name = "shop"): ListenerSetFile => ({
        gateway: "infra/shared", owner: `proj/${team}`,
        listenerSet: { name, namespace: team, parentRef: { name: "shared", namespace: "infra" }, listeners: [{ name: "web", port: 8080, protocol: "HTTP", hostname }] },
    });
    const onListenerSet = (team: string): RouteFile => teamFile(team, [{ backendRefs: [{ name: "shop", port: 80 }] }],
        { parentRefs: [{ kind: "ListenerSet", name: "shop" }], hostnames: undefined });

    it("serves an admitted ListenerSet's listener and a route file attached to it", () => {
        const built = buildPlan("infra/shared", admitting, new Map([["team-a/shop", onListenerSet("team-a")]]), render,
            { listenerSets: new Map([["team-a/shop", lsFile("team-a", "shop.team-a.example")]]), listenerSetTrigger: "team-a/shop", trigger: "team-a/shop" });
        assert.deepEqual(built.teamListenerSets, ["team-a/shop"]);
        assert.deepEqual(built.teamRoutes, ["team-a/shop"]);
        const listener = built.plan.listeners.find(l => l.hostname === "shop.team-a.example");
        assert.ok(listener, "the team's listener is in the plan");
        assert.deepEqual([...new Set(listener.rules.map(r => r.route))], ["team-a/shop"]);
    });

    it("refuses the ListenerSet being attached when allowedListeners does not admit its namespace, with the reason and the fix", () => {
        assert.throws(() => buildPlan("infra/shared", admitting, new Map(), render, { listenerSets: new Map([["team-b/shop", lsFile("team-b", "shop.team-b.example")]]), listenerSetTrigger: "team-b/shop" }),
            /ListenerSet team-b\/shop is not served by Gateway infra\/shared: Accepted=False, reason NotAllowed: .*Fix: ask the owner of Gateway infra\/shared to admit namespace team-b/);
        // Not the trigger (e.g. on the operator's up): left out, the operator's routes serve.
        const built = buildPlan("infra/shared", admitting, new Map(), render, { listenerSets: new Map([["team-b/shop", lsFile("team-b", "shop.team-b.example")]]) });
        assert.deepEqual(built.teamListenerSets, []);
        assert.ok(!built.plan.listeners.some(l => l.hostname === "shop.team-b.example"));
        assert.equal(built.skipped.length, 1);
        assert.match(built.skipped[0], /ListenerSet team-b\/shop is not served by Gateway infra\/shared: Accepted=False, reason NotAllowed/);
    });

    it("refuses a ListenerSet listener that conflicts with an earlier one, naming the listener; the earlier keeps its traffic", () => {
        const sets = new Map([["team-a/a", lsFile("team-a", "dup.example", "a")], ["team-a/b", { ...lsFile("team-a", "dup.example", "b"), listenerSet: { ...lsFile("team-a", "dup.example", "b").listenerSet, listeners: [{ name: "web", port: 8080, protocol: "HTTPS" as const, hostname: "dup.example", tls: { certificateRefs: [{ name: "c" }] } }] } }]]);
        assert.throws(() => buildPlan("infra/shared", admitting, new Map(), render, { listenerSets: sets, listenerSetTrigger: "team-a/b" }),
            /ListenerSet team-a\/b is not served by Gateway infra\/shared: .*listener web: Conflicted=True/);
    });

    it("a ListenerSet file the operator's program already declares is skipped (refused when attached)", () => {
        const own: GatewayInput = { ...admitting, listenerSets: [lsFile("team-a", "x.example").listenerSet] };
        assert.throws(() => buildPlan("infra/shared", own, new Map(), render, { listenerSets: new Map([["team-a/shop", lsFile("team-a", "y.example")]]), listenerSetTrigger: "team-a/shop" }),
            /refused ListenerSet team-a\/shop: the gateway's own program already declares ListenerSet team-a\/shop/);
    });
});
