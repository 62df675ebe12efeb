// Three roles, four stacks, one ALB (Pulumi mocks): the infrastructure provider's class shares
// the listeners (parameters.aws.namespaces), the operator's stack creates the ALB and exports
// gateway.reference, and two teams' stacks each create their own target groups and listener rules
// on the operator's listeners from that reference. The rules all stacks recorded are put back
// together as the ALB would hold them and walked by the AWS evaluator, against simulate of every
// route compiled together.

import { strict as assert } from "assert";
import { Gateway, GatewayReference, HTTPRoute, Service } from "../components";
import { HTTPRouteArgs } from "../components/httpRoute";
import type { GatewayClassParameters } from "../components/gatewayClass";
import { evaluateAlb } from "../providers/aws/evaluate";
import { buildAlbModel } from "../providers/aws/model";
import { ATTACH, RULE, TG, albOf } from "./aws-recorded";
import { compile } from "../routing/compile";
import { HTTPRouteSpec, ServiceSpec } from "../routing/types";
import { simulate } from "../routing/simulate";
import { RecordedResource, failureOf, recordedResources, runProgram, setupMocks } from "../testing";

setupMocks();

const CLASS = { name: "shared-alb", controllerName: "gatewaykit.dev/aws-alb" };

function awsParameters(budgets: { a: number; b: number }, rulesQuota = 100) {
    return {
        subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1", tags: { owner: "platform" }, rulesQuota,
        namespaces: { infra: { slot: 0 }, "team-a": { slot: 2, rules: budgets.a }, "team-b": { slot: 4, rules: budgets.b } },
    };
}

/** What each role's stack declares, as plain data: the same specs the union compile reads. */
interface RouteData { namespace: string; name: string; hostnames: string[]; rules: { path: string; type?: "Exact" | "PathPrefix"; service: string; headers?: { name: string; value: string }[] }[] }
interface ServiceData { namespace: string; name: string; address: string }

const OPERATOR_ROUTES: RouteData[] = [{ namespace: "infra", name: "fallback", hostnames: [], rules: [{ path: "/", service: "default-backend" }] }];
const OPERATOR_SERVICES: ServiceData[] = [{ namespace: "infra", name: "default-backend", address: "10.0.0.2" }];
const TEAM_A_ROUTES: RouteData[] = [
    { namespace: "team-a", name: "shop", hostnames: ["shop.example.com"], rules: [{ path: "/", service: "storefront" }, { path: "/cart", service: "cart" }] },
    { namespace: "team-a", name: "api", hostnames: ["shop.example.com"], rules: [{ path: "/api", service: "cart", headers: [{ name: "x-version", value: "2" }] }] },
];
const TEAM_A_SERVICES: ServiceData[] = [{ namespace: "team-a", name: "storefront", address: "10.1.0.1" }, { namespace: "team-a", name: "cart", address: "10.1.0.2" }];
// Team b's rules overlap team a's on the same host: a longer prefix inside a's "/cart", an Exact path inside a's "/".
const TEAM_B_ROUTES: RouteData[] = [
    { namespace: "team-b", name: "admin", hostnames: ["shop.example.com"], rules: [{ path: "/cart/admin", service: "admin" }, { path: "/status", type: "Exact", service: "admin" }] },
];
const TEAM_B_SERVICES: ServiceData[] = [{ namespace: "team-b", name: "admin", address: "10.2.0.1" }];

const serviceSpec = (s: ServiceData): ServiceSpec => ({ name: s.name, namespace: s.namespace, ports: [{ port: 8080 }], endpoints: [{ address: s.address }] });

function ruleSpecs(r: RouteData) {
    return r.rules.map(x => ({
        matches: [{ path: { type: x.type ?? "PathPrefix" as const, value: x.path }, ...(x.headers ? { headers: x.headers } : {}) }],
        backendRefs: [{ name: x.service, port: 8080 }],
    }));
}

function declareRoute(r: RouteData, parent: Gateway | GatewayReference): HTTPRoute {
    const args: HTTPRouteArgs = {
        namespace: r.namespace, parentRefs: [{ gateway: parent }], ...(r.hostnames.length ? { hostnames: r.hostnames } : {}),
        rules: ruleSpecs(r),
    };
    return new HTTPRoute(r.name, args);
}

function declareServices(list: ServiceData[]): void {
    for (const s of list) new Service(s.name, { namespace: s.namespace, port: 8080, endpoints: [{ address: s.address }] });
}

const LISTENERS = [{ name: "http", port: 80, protocol: "HTTP" as const, allowedRoutes: { namespaces: { from: "Selector" as const, selector: { matchLabels: { edge: "shared" } } } } }];
const NAMESPACE_LABELS = { infra: { edge: "shared" }, "team-a": { edge: "shared" }, "team-b": { edge: "shared" } };

async function infrastructureStack(parameters = awsParameters({ a: 5, b: 5 })) {
    // The provider's stack exports the class as plain data (name, controllerName, parameters).
    return runProgram(() => ({ gatewayClass: { ...CLASS, parameters: { aws: parameters } } }));
}

async function operatorStack(gatewayClass: { name: string; controllerName: string; parameters: GatewayClassParameters }) {
    return runProgram(() => {
        const gateway = new Gateway("edge", { gatewayClass, namespace: "infra", listeners: LISTENERS, namespaceLabels: NAMESPACE_LABELS });
        declareServices(OPERATOR_SERVICES);
        for (const r of OPERATOR_ROUTES) declareRoute(r, gateway);
        return { reference: gateway.reference };
    });
}

async function teamStack(reference: GatewayReference, routes: RouteData[], services: ServiceData[]) {
    return runProgram(() => {
        declareServices(services);
        const made = routes.map(r => declareRoute(r, reference));
        return { statuses: made.map(r => r.status) };
    });
}

function unionSpecs(routes: RouteData[]): HTTPRouteSpec[] {
    return routes.map(r => ({
        name: r.name, namespace: r.namespace, parentRefs: [{ name: "edge", namespace: "infra" }],
        ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: ruleSpecs(r),
    }));
}

const REQUESTS = [
    "/", "/cart", "/cart/", "/cart/admin", "/cart/admin/users", "/cart/adminx", "/api", "/api/v1", "/status", "/status/x", "/other",
].flatMap(path => ["shop.example.com", "other.example.org"].flatMap(host => ([{}, { "x-version": "2" }] as Record<string, string>[]).map(headers => ({ host, path, headers }))));

describe("aws: three roles, four stacks, one ALB (mocks)", () => {
    it("each team's stack creates its own target groups and rules on the operator's listener; together they route as simulate of every route", async () => {
        const infrastructure = await infrastructureStack();
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const reference = operator.outputs.reference as GatewayReference;
        const shared = reference.attachments?.aws as { listeners: Record<string, { arn: string }>; namespaces: Record<string, unknown> };
        assert.ok(shared.listeners["80"].arn.startsWith("arn:aws:mock:aws:lb/listener:Listener:"), JSON.stringify(shared));
        const teamA = await teamStack(reference, TEAM_A_ROUTES, TEAM_A_SERVICES);
        const teamB = await teamStack(reference, TEAM_B_ROUTES, TEAM_B_SERVICES);

        // Who holds what: the ALB and its listener in the operator's stack only; each team's rules in its own.
        const types = (rs: RecordedResource[]) => new Set(rs.filter(r => r.custom).map(r => r.type));
        assert.ok(types(operator.resources).has("aws:lb/loadBalancer:LoadBalancer"));
        for (const team of [teamA, teamB]) {
            assert.deepEqual([...types(team.resources)].sort(), [RULE, TG, ATTACH].sort());
            for (const r of team.resources.filter(x => x.type === RULE)) assert.equal(r.inputs.listenerArn, shared.listeners["80"].arn);
            for (const r of team.resources.filter(x => x.type === TG)) assert.equal(r.inputs.vpcId, "vpc-1");
        }
        const ruleNamespaces = (rs: RecordedResource[]) => [...new Set(rs.filter(r => r.type === RULE).map(r => (r.inputs.tags as Record<string, string>)["gatewaykit:rule"].split("/")[0]))];
        assert.deepEqual(ruleNamespaces(operator.resources), ["infra"]);
        assert.deepEqual(ruleNamespaces(teamA.resources), ["team-a"]);
        assert.deepEqual(ruleNamespaces(teamB.resources), ["team-b"]);
        for (const s of [...teamA.outputs.statuses, ...teamB.outputs.statuses]) {
            assert.deepEqual(s.parents[0].conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]], s.route);
        }

        const alb = albOf([operator.resources, teamA.resources, teamB.resources]);
        const priorities = alb.listeners[0].rules.map(r => r.priority);
        assert.equal(new Set(priorities).size, priorities.length, `duplicate priorities: ${priorities}`);
        assert.equal(priorities.length, 6);
        const plan = compile({
            gatewayClasses: [CLASS],
            gateways: [{ name: "edge", namespace: "infra", gatewayClassName: CLASS.name, listeners: LISTENERS }],
            namespaces: Object.entries(NAMESPACE_LABELS).map(([name, labels]) => ({ name, labels })),
            routes: unionSpecs([...OPERATOR_ROUTES, ...TEAM_A_ROUTES, ...TEAM_B_ROUTES]),
            services: [...OPERATOR_SERVICES, ...TEAM_A_SERVICES, ...TEAM_B_SERVICES].map(serviceSpec),
        });
        let served = 0;
        for (const req of REQUESTS) {
            const sim = simulate(plan, { port: 80, ...req });
            const ev = evaluateAlb(alb, { port: 80, ...req });
            assert.equal(ev.rule?.source?.ruleId, sim.matched?.ruleId, `${req.host}${req.path} ${JSON.stringify(req.headers)}`);
            const simBackend = sim.outcomes.map(o => [o.status, o.backend?.service]);
            const albBackend = ev.outcomes.map(o => [o.status, o.targetGroup?.service]);
            assert.deepEqual(albBackend, simBackend, `${req.host}${req.path}`);
            if (sim.status === 200) served++;
        }
        assert.ok(served >= 30, `only ${served} requests served`);
        // Team b's "/cart/admin" wins over team a's "/cart" though team a's namespace sorts first.
        assert.equal(simulate(plan, { port: 80, host: "shop.example.com", path: "/cart/admin/x" }).matched?.route, "team-b/admin");
    });

    it("a team's change is its own `up`: the operator's and the other team's resources do not move", async () => {
        const infrastructure = await infrastructureStack();
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const reference = operator.outputs.reference as GatewayReference;
        const before = await teamStack(reference, TEAM_B_ROUTES, TEAM_B_SERVICES);
        const teamAExtra: RouteData = { namespace: "team-a", name: "search", hostnames: ["shop.example.com"], rules: [{ path: "/search", service: "storefront" }] };
        const teamA1 = await teamStack(reference, TEAM_A_ROUTES, TEAM_A_SERVICES);
        const teamA2 = await teamStack(reference, [...TEAM_A_ROUTES, teamAExtra], TEAM_A_SERVICES);
        const after = await teamStack(reference, TEAM_B_ROUTES, TEAM_B_SERVICES);
        const rules = (rs: RecordedResource[]) => new Map(rs.filter(r => r.type === RULE).map(r => [r.name, r.inputs.priority]));
        assert.deepEqual(rules(after.resources), rules(before.resources));
        // Team a's own rules keep their numbers; the new one takes a free one.
        const a1 = rules(teamA1.resources), a2 = rules(teamA2.resources);
        for (const [name, p] of a1) assert.equal(a2.get(name), p, name);
        assert.equal(a2.size, a1.size + 1);
        assert.equal(new Set([...a2.values(), ...rules(after.resources).values(), ...rules(operator.resources).values()]).size, a2.size + 2 + 1);
    });

    it("the team's preflight refuses rules beyond its namespace's budget, naming the budget and the first rule past it", async () => {
        const infrastructure = await infrastructureStack(awsParameters({ a: 2, b: 5 }));
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const failure = await failureOf(teamStack(operator.outputs.reference as GatewayReference, TEAM_A_ROUTES, TEAM_A_SERVICES));
        assert.match(failure.message, /namespace team-a needs 3 ALB listener rules, over its budget of 2 \(the operator's GatewayClass parameters\.aws\.namespaces\.team-a\.rules/);
    });

    it("the operator's preflight refuses budgets that, with its own rules, exceed the rules quota", async () => {
        const infrastructure = await infrastructureStack(awsParameters({ a: 50, b: 50 }, 100));
        const failure = await failureOf(operatorStack(infrastructure.outputs.gatewayClass));
        assert.match(failure.message, /needs 1 ALB listener rules of its own and reserves 100 for other stacks \(team-a: 50, team-b: 50\), over the rules quota of 100/);
    });

    it("allowedRoutes holds across stacks: a namespace the listener does not admit gets NotAllowedByListeners and no rule", async () => {
        const infrastructure = await infrastructureStack();
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const intruder: RouteData = { namespace: "team-c", name: "grab", hostnames: ["shop.example.com"], rules: [{ path: "/cart", type: "Exact", service: "grab" }] };
        const run = await teamStack(operator.outputs.reference as GatewayReference, [intruder], [{ namespace: "team-c", name: "grab", address: "10.3.0.1" }]);
        const accepted = run.outputs.statuses[0].parents[0].conditions.find(c => c.type === "Accepted")!;
        assert.deepEqual([accepted.status, accepted.reason], ["False", "NotAllowedByListeners"]);
        assert.deepEqual(run.resources.filter(r => r.type === RULE), []);
    });

    it("one stack per namespace, enforced: a namespace's named stack writes its rules; any other stack is refused before it creates anything", async () => {
        const owned = awsParameters({ a: 5, b: 5 });
        const parameters = { ...owned, namespaces: { ...owned.namespaces, "team-a": { ...owned.namespaces["team-a"], stack: "acme/shop/prod" }, "team-b": { ...owned.namespaces["team-b"], stack: "admin/prod" } } };
        const infrastructure = await infrastructureStack(parameters);
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const reference = operator.outputs.reference as GatewayReference;
        const asStack = async <T>(stack: { organization: string; project: string; stack: string }, run: () => Promise<T>): Promise<T> => {
            setupMocks(stack);
            try { return await run(); } finally { setupMocks(); }
        };
        // The owners: org/project/stack for team a, project/stack (any organization) for team b.
        const teamA = await asStack({ organization: "acme", project: "shop", stack: "prod" }, () => teamStack(reference, TEAM_A_ROUTES, TEAM_A_SERVICES));
        assert.equal(teamA.resources.filter(r => r.type === RULE).length, 3);
        const teamB = await asStack({ organization: "other-org", project: "admin", stack: "prod" }, () => teamStack(reference, TEAM_B_ROUTES, TEAM_B_SERVICES));
        assert.equal(teamB.resources.filter(r => r.type === RULE).length, 2);
        // Another stack of team a's project (staging), another organization, and team a's stack writing team b's namespace.
        for (const [who, stack, routes, services, ns, owner] of [
            ["staging", { organization: "acme", project: "shop", stack: "staging" }, TEAM_A_ROUTES, TEAM_A_SERVICES, "team-a", "acme/shop/prod"],
            ["another organization", { organization: "evil", project: "shop", stack: "prod" }, TEAM_A_ROUTES, TEAM_A_SERVICES, "team-a", "acme/shop/prod"],
            ["team a's stack", { organization: "acme", project: "shop", stack: "prod" }, TEAM_B_ROUTES, TEAM_B_SERVICES, "team-b", "admin/prod"],
        ] as const) {
            let run: Awaited<ReturnType<typeof teamStack>> | undefined;
            const failure = await asStack(stack, () => failureOf(teamStack(reference, [...routes], [...services]).then(r => { run = r; })));
            assert.match(failure.message, new RegExp(`namespace ${ns} belongs to stack ${owner} on this shared ALB \\(the operator's GatewayClass parameters\\.aws\\.namespaces\\.${ns}\\.stack\\), ` +
                `and this is ${stack.organization}/${stack.project}/${stack.stack} .*declare namespace ${ns}'s routes and ListenerSets in ${owner}, or ask the operator to name this stack there`), who);
            assert.equal(run, undefined);
        }
        const refused = await asStack({ organization: "acme", project: "shop", stack: "staging" }, async () => {
            await failureOf(teamStack(reference, TEAM_A_ROUTES, TEAM_A_SERVICES));
            return recordedResources();
        });
        assert.deepEqual(refused.filter(r => r.custom).map(r => r.type).sort(), [], "a refused stack creates nothing (its Services are not AWS resources)");
    });

    it("the operator's preflight checks namespaces[ns].stack, and says to name one where none is", async () => {
        const base = awsParameters({ a: 5, b: 5 });
        for (const [stack, rules, why] of [
            ["prod", 5, /namespaces\.team-a\.stack must name a stack as "org\/project\/stack" or "project\/stack" \(got "prod"\)/],
            ["a/b/c/d", 5, /namespaces\.team-a\.stack must name a stack/],
            ["shop/prod", undefined, /namespaces\.team-a\.stack names the stack that writes namespace team-a's rules, but the namespace has no rules budget/],
        ] as const) {
            const infrastructure = await infrastructureStack({ ...base, namespaces: { ...base.namespaces, "team-a": { slot: 2, ...(rules !== undefined ? { rules } : {}), stack } as never } });
            const failure = await failureOf(operatorStack(infrastructure.outputs.gatewayClass));
            assert.match(failure.message, why, stack);
        }
        const plan = compile({
            gatewayClasses: [CLASS], gateways: [{ name: "edge", namespace: "infra", gatewayClassName: CLASS.name, listeners: LISTENERS }], routes: [],
        }).gateways[0];
        const notes = buildAlbModel(plan, { ...base, namespaces: { ...base.namespaces, "team-b": { ...base.namespaces["team-b"], stack: "admin/prod" } } }).notes;
        assert.ok(notes.some(n => /parameters\.aws\.namespaces team-a name no owning stack.*set namespaces\.<ns>\.stack/.test(n)), notes.join("\n"));
        assert.ok(!notes.some(n => /team-b name no owning stack/.test(n)));
    });

    it("a team may not write the operator's own namespace, and a reference without shared listeners creates nothing", async () => {
        const infrastructure = await infrastructureStack();
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const failure = await failureOf(teamStack(operator.outputs.reference as GatewayReference,
            [{ namespace: "infra", name: "sneaky", hostnames: ["shop.example.com"], rules: [{ path: "/x", service: "default-backend" }] }], OPERATOR_SERVICES));
        assert.match(failure.message, /the rules of namespace infra .* are its operator's own/);
        const unshared = await operatorStack({ ...CLASS, parameters: { aws: { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1" } } });
        const reference = unshared.outputs.reference as GatewayReference;
        assert.equal(reference.attachments?.aws, undefined);
        const team = await teamStack(reference, TEAM_A_ROUTES, TEAM_A_SERVICES);
        assert.deepEqual(team.resources.filter(r => r.custom), []);
    });
});
