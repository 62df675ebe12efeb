// A team's ListenerSet on another stack's ALB (Pulumi mocks): the infrastructure provider's class
// shares the listeners (parameters.aws.namespaces, each team namespace owned by a named stack), the
// operator's stack creates the ALB with HTTP and HTTPS listeners and exports gateway.reference, and
// two teams' stacks each add a ListenerSet — their hostnames on the operator's ports, their
// certificates as listener certificates (one imported into ACM from PEM material, one an ACM ARN) —
// with routes on it as listener rules of their own. The rules all stacks recorded are put back
// together as the ALB holds them and walked by the AWS evaluator, against simulate of the Gateway,
// both ListenerSets and every route compiled together.

import { strict as assert } from "assert";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayReference, HTTPRoute, ListenerSet, Service } from "../components";
import type { GatewayClassParameters } from "../components/gatewayClass";
import { evaluateAlb } from "../providers/aws/evaluate";
import { AlbModel, buildAlbModel } from "../providers/aws/model";
import { compile } from "../routing/compile";
import { CompileInput, RoutingPlan } from "../routing/plan";
import { HTTPRouteRule, HTTPRouteSpec, Listener, ListenerSetSpec, ServiceSpec } from "../routing/types";
import { simulate } from "../routing/simulate";
import { RecordedResource, failureOf, recordedResources, runProgram, setupMocks } from "../testing";
import { ACM_CERTIFICATE, LISTENER_CERTIFICATE, LISTENER_TYPE, RULE, TG, albOf, arnOf } from "./aws-recorded";
import { CLASS as GEN_CLASS, LISTENER_SETS, compareWithSimulate, requestOf, rule } from "./aws-generators";

setupMocks();

const CLASS = { name: "shared-alb", controllerName: "gatewaykit.dev/aws-alb" };
const OPERATOR_CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/operator";
const ADMIN_CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/admin";
const SHOP_PEM = "-----BEGIN CERTIFICATE-----\nMIIshopleaf\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIshopchain\n-----END CERTIFICATE-----\n";
const SHOP_KEY = "-----BEGIN PRIVATE KEY-----\nshop-private-key\n-----END PRIVATE KEY-----\n";
const TEAM_A = { organization: "organization", project: "shop", stack: "prod" };
const TEAM_B = { organization: "organization", project: "admin", stack: "prod" };

function awsParameters() {
    return {
        subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1", rulesQuota: 100,
        namespaces: { infra: { slot: 0 }, "team-a": { slot: 2, rules: 10, stack: "shop/prod" }, "team-b": { slot: 4, rules: 10, stack: "organization/admin/prod" } },
    };
}

const LISTENERS = [
    { name: "http", port: 80, protocol: "HTTP" as const },
    { name: "https", port: 443, protocol: "HTTPS" as const, tls: { certificateRefs: [{ name: OPERATOR_CERT }] } },
];
const ALLOWED_LISTENERS = { namespaces: { from: "All" as const } };

interface RouteData { namespace: string; name: string; hostnames?: string[]; listenerSet?: string; rules: { path: string; type?: "Exact" | "PathPrefix"; service: string }[] }
interface ServiceData { namespace: string; name: string; address: string }

// The operator's routes: any host, and its own host www.example.com.
const OPERATOR_ROUTES: RouteData[] = [
    { namespace: "infra", name: "fallback", rules: [{ path: "/", service: "default-backend" }] },
    { namespace: "infra", name: "www", hostnames: ["www.example.com"], rules: [{ path: "/", service: "www" }, { path: "/shop", service: "www" }] },
];
const OPERATOR_SERVICES: ServiceData[] = [{ namespace: "infra", name: "default-backend", address: "10.0.0.2" }, { namespace: "infra", name: "www", address: "10.0.0.3" }];

// Team a: shop.example.com on both ports, HTTPS with PEM material it supplies.
const SHOP: ListenerSetSpec = {
    name: "shop", namespace: "team-a", parentRef: { name: "edge", namespace: "infra" },
    listeners: [
        { name: "secure", port: 443, protocol: "HTTPS", hostname: "shop.example.com", tls: { certificateRefs: [{ name: "shop-tls" }] } },
        { name: "plain", port: 80, protocol: "HTTP", hostname: "shop.example.com" },
    ],
};
const TEAM_A_ROUTES: RouteData[] = [{ namespace: "team-a", name: "shop", listenerSet: "shop", rules: [{ path: "/", service: "storefront" }, { path: "/cart", service: "cart" }] }];
const TEAM_A_SERVICES: ServiceData[] = [{ namespace: "team-a", name: "storefront", address: "10.1.0.1" }, { namespace: "team-a", name: "cart", address: "10.1.0.2" }];

// Team b: admin.example.com on HTTPS with an ACM ARN, no "/" rule: its other paths answer 404, not the operator's fallback.
const ADMIN: ListenerSetSpec = {
    name: "admin", namespace: "team-b", parentRef: { name: "edge", namespace: "infra" },
    listeners: [{ name: "console", port: 443, protocol: "HTTPS", hostname: "admin.example.com", tls: { certificateRefs: [{ name: ADMIN_CERT }] } }],
};
const TEAM_B_ROUTES: RouteData[] = [{ namespace: "team-b", name: "admin", listenerSet: "admin", rules: [{ path: "/admin", service: "admin" }, { path: "/status", type: "Exact", service: "admin" }] }];
const TEAM_B_SERVICES: ServiceData[] = [{ namespace: "team-b", name: "admin", address: "10.2.0.1" }];

/** How the engine marks a secret value (Pulumi's rpc secret signature), as the mocks record inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d", SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const plain = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG in v ? (v as unknown as { value: unknown }).value : v;

const serviceSpec = (s: ServiceData): ServiceSpec => ({ name: s.name, namespace: s.namespace, ports: [{ port: 8080 }], endpoints: [{ address: s.address }] });
const ruleSpecs = (r: RouteData) => r.rules.map(x => ({ matches: [{ path: { type: x.type ?? "PathPrefix" as const, value: x.path } }], backendRefs: [{ name: x.service, port: 8080 }] }));

function declareServices(list: ServiceData[]): void {
    for (const s of list) new Service(s.name, { namespace: s.namespace, port: 8080, endpoints: [{ address: s.address }] });
}

async function infrastructureStack(parameters: Record<string, unknown> = awsParameters()) {
    return runProgram(() => ({ gatewayClass: { ...CLASS, parameters: { aws: parameters } } }));
}

async function operatorStack(gatewayClass: { name: string; controllerName: string; parameters: GatewayClassParameters }) {
    return runProgram(() => {
        const gateway = new Gateway("edge", { gatewayClass, namespace: "infra", listeners: LISTENERS, allowedListeners: ALLOWED_LISTENERS });
        declareServices(OPERATOR_SERVICES);
        for (const r of OPERATOR_ROUTES) {
            new HTTPRoute(r.name, { namespace: r.namespace, parentRefs: [{ gateway }], ...(r.hostnames ? { hostnames: r.hostnames } : {}), rules: ruleSpecs(r) });
        }
        return { reference: gateway.reference };
    });
}

/** A team's stack, run as `stack`: its ListenerSet on the reference, its Services and its routes on the ListenerSet. */
async function teamStack(stack: typeof TEAM_A, reference: GatewayReference, ls: ListenerSetSpec, routes: RouteData[], services: ServiceData[],
    certificates?: Record<string, { certificate: string; privateKey: string }>) {
    setupMocks(stack);
    try {
        return await runProgram(() => {
            const listenerSet = new ListenerSet(ls.name, {
                namespace: ls.namespace, gateway: reference, listeners: ls.listeners,
                ...(certificates ? { certificates: Object.fromEntries(Object.entries(certificates).map(([k, v]) => [k, { certificate: v.certificate, privateKey: pulumi.secret(v.privateKey) }])) } : {}),
            });
            declareServices(services);
            const made = routes.map(r => new HTTPRoute(r.name, { namespace: r.namespace, parentRefs: [{ listenerSet }], rules: ruleSpecs(r) }));
            return { listenerSet: listenerSet.status, statuses: made.map(r => r.status), realized: pulumi.output(listenerSet.realized.then(rs => rs.length)) };
        });
    } finally {
        setupMocks();
    }
}

function unionPlan() {
    const routes: HTTPRouteSpec[] = [...OPERATOR_ROUTES, ...TEAM_A_ROUTES, ...TEAM_B_ROUTES].map(r => ({
        name: r.name, namespace: r.namespace, parentRefs: [r.listenerSet ? { kind: "ListenerSet", name: r.listenerSet } : { name: "edge", namespace: "infra" }],
        ...(r.hostnames ? { hostnames: r.hostnames } : {}), rules: ruleSpecs(r),
    }));
    return compile({
        gatewayClasses: [CLASS],
        gateways: [{ name: "edge", namespace: "infra", gatewayClassName: CLASS.name, listeners: LISTENERS, allowedListeners: ALLOWED_LISTENERS }],
        listenerSets: [SHOP, ADMIN], routes, services: [...OPERATOR_SERVICES, ...TEAM_A_SERVICES, ...TEAM_B_SERVICES].map(serviceSpec),
    });
}

const HOSTS = ["shop.example.com", "admin.example.com", "www.example.com", "other.example.org"];
const PATHS = ["/", "/cart", "/cart/x", "/admin", "/admin/users", "/status", "/status/x", "/shop", "/other"];

async function threeStacks() {
    const infrastructure = await infrastructureStack();
    const operator = await operatorStack(infrastructure.outputs.gatewayClass);
    const reference = operator.outputs.reference as GatewayReference;
    const teamA = await teamStack(TEAM_A, reference, SHOP, TEAM_A_ROUTES, TEAM_A_SERVICES, { "shop-tls": { certificate: SHOP_PEM, privateKey: SHOP_KEY } });
    const teamB = await teamStack(TEAM_B, reference, ADMIN, TEAM_B_ROUTES, TEAM_B_SERVICES);
    return { operator, reference, teamA, teamB };
}

describe("aws: a team's ListenerSet on the operator's ALB, from the team's stack (mocks)", () => {
    it("certificates ride on the operator's listener, routes become the team's rules, and together they route as simulate: team hosts to team backends, the operator's hosts untouched", async () => {
        const { operator, reference, teamA, teamB } = await threeStacks();
        const shared = reference.attachments!.aws as { listeners: Record<string, { arn: string }> };
        const types = (rs: RecordedResource[]) => [...new Set(rs.filter(r => r.custom).map(r => r.type))].sort();
        // Team a: its PEM imported into ACM (leaf and chain apart), a listener certificate on the operator's 443 listener.
        assert.deepEqual(types(teamA.resources), [ACM_CERTIFICATE, "aws:lb/listenerCertificate:ListenerCertificate", RULE, TG, "aws:lb/targetGroupAttachment:TargetGroupAttachment"].sort());
        const acm = teamA.resources.filter(r => r.type === ACM_CERTIFICATE);
        assert.equal(acm.length, 1);
        assert.equal(plain(acm[0].inputs.certificateBody), "-----BEGIN CERTIFICATE-----\nMIIshopleaf\n-----END CERTIFICATE-----");
        assert.equal(plain(acm[0].inputs.certificateChain), "-----BEGIN CERTIFICATE-----\nMIIshopchain\n-----END CERTIFICATE-----");
        // The private key reaches the provider as a secret (the engine's secret signature), never as plain text.
        assert.deepEqual(acm[0].inputs.privateKey, { [SECRET_SIG]: SECRET_VALUE, value: SHOP_KEY });
        assert.ok(!JSON.stringify(teamA.outputs).includes("shop-private-key"));
        const [shopCert] = teamA.resources.filter(r => r.type === LISTENER_CERTIFICATE);
        assert.deepEqual([shopCert.inputs.listenerArn, shopCert.inputs.certificateArn], [shared.listeners["443"].arn, arnOf(acm[0])]);
        // Team b: its ARN as it is; no ACM certificate.
        const bCerts = teamB.resources.filter(r => r.type === LISTENER_CERTIFICATE);
        assert.deepEqual(bCerts.map(r => [r.inputs.listenerArn, r.inputs.certificateArn]), [[shared.listeners["443"].arn, ADMIN_CERT]]);
        assert.ok(!teamB.resources.some(r => r.type === ACM_CERTIFICATE));
        // Neither team creates a load balancer or listener; the operator creates no team rule.
        for (const team of [teamA, teamB]) assert.ok(!team.resources.some(r => r.type === LISTENER_TYPE || r.type === "aws:lb/loadBalancer:LoadBalancer"));
        for (const r of operator.resources.filter(x => x.type === RULE)) assert.match((r.inputs.tags as Record<string, string>)["gatewaykit:rule"], /^(infra\/|isolate:)/);
        for (const s of [teamA.outputs.listenerSet, teamB.outputs.listenerSet]) assert.deepEqual(s.conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["Programmed", "True"]]);
        for (const s of [...teamA.outputs.statuses, ...teamB.outputs.statuses]) {
            assert.deepEqual(s.parents.map(p => [p.parentRef.kind, p.conditions[0].status]), [["ListenerSet", "True"]], s.route);
        }

        const alb = albOf([operator.resources, teamA.resources, teamB.resources]);
        for (const l of alb.listeners) {
            const priorities = l.rules.map(r => r.priority);
            assert.equal(new Set(priorities).size, priorities.length, `duplicate priorities on port ${l.port}: ${priorities}`);
        }
        const https = alb.listeners.find(l => l.port === 443)!;
        assert.deepEqual([...https.certificateArns].sort(), [OPERATOR_CERT, ADMIN_CERT, arnOf(acm[0])].sort());
        // Isolation of the teams' hostnames (the operator's listeners have none): shop on 80 and 443, admin on 443.
        assert.equal(alb.listeners.flatMap(l => l.rules).filter(r => !r.source).length, 3);

        const plan = unionPlan();
        let teamServed = 0, isolated = 0;
        for (const [scheme, port] of [["http", 80], ["https", 443]] as const) {
            for (const host of HOSTS) {
                for (const path of PATHS) {
                    const req = { scheme, port, host, path };
                    const sim = simulate(plan, req);
                    const ev = evaluateAlb(alb, req);
                    const where = `${scheme}://${host}${path}`;
                    assert.equal(ev.rule?.source?.ruleId, sim.matched?.ruleId, where);
                    assert.deepEqual(ev.outcomes.map(o => [o.status, o.targetGroup?.service]), sim.outcomes.map(o => [o.status, o.backend?.service]), where);
                    const service = sim.outcomes[0]?.backend?.service ?? "";
                    if (host === "shop.example.com" || (host === "admin.example.com" && port === 443)) {
                        // A team's host, on a port its ListenerSet listens on, never reaches the operator's backends.
                        assert.ok(!service.startsWith("infra/"), `${where} reached ${service}`);
                        if (sim.status === 200) teamServed++;
                        if (sim.status === 404) isolated++;
                    } else if (host !== "admin.example.com") {
                        // The operator's hosts: only the operator's backends.
                        assert.ok(sim.status !== 200 || service.startsWith("infra/"), `${where} reached ${service}`);
                    }
                }
            }
        }
        assert.ok(teamServed >= 20, `team hosts served ${teamServed}`);
        // admin.example.com paths team b has no rule for: 404 by its isolation rule, not the operator's any-host fallback.
        assert.equal(isolated, 6);
        assert.equal(evaluateAlb(alb, { scheme: "https", port: 443, host: "admin.example.com", path: "/other" }).status, 404);
        assert.equal(evaluateAlb(alb, { scheme: "https", port: 443, host: "www.example.com", path: "/shop" }).outcomes[0].targetGroup?.service, "infra/www");
    });

    it("the private key stays secret: the ListenerSet's certificates and the ACM import's key are secret outputs", async () => {
        setupMocks(TEAM_A);
        try {
            const infrastructure = await infrastructureStack();
            setupMocks();
            const operator = await operatorStack(infrastructure.outputs.gatewayClass);
            setupMocks(TEAM_A);
            let secret: boolean | undefined;
            await runProgram(async () => {
                const ls = new ListenerSet("shop", { namespace: "team-a", gateway: operator.outputs.reference as GatewayReference, listeners: SHOP.listeners, certificates: { "shop-tls": { certificate: SHOP_PEM, privateKey: SHOP_KEY } } });
                secret = await pulumi.isSecret(ls.certificates!);
                const resources = await ls.realized;
                const acm = resources.find(r => (r as { privateKey?: unknown }).privateKey !== undefined) as unknown as { privateKey: pulumi.Output<string> };
                assert.ok(acm, "an ACM certificate");
                assert.equal(await pulumi.isSecret(acm.privateKey), true);
            });
            assert.equal(secret, true);
        } finally {
            setupMocks();
        }
    });

    it("a team's preview registers the resources its update creates (certificates, listener certificates, rules)", async () => {
        const infrastructure = await infrastructureStack();
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const reference = operator.outputs.reference as GatewayReference;
        const certificates = { "shop-tls": { certificate: SHOP_PEM, privateKey: SHOP_KEY } };
        const names = (rs: RecordedResource[]) => rs.filter(r => r.custom).map(r => `${r.type} ${r.name}`).sort();
        const update = await teamStack(TEAM_A, reference, SHOP, TEAM_A_ROUTES, TEAM_A_SERVICES, certificates);
        setupMocks({ ...TEAM_A, preview: true });
        let preview: RecordedResource[];
        try {
            preview = (await runProgram(() => {
                const listenerSet = new ListenerSet(SHOP.name, { namespace: SHOP.namespace, gateway: reference, listeners: SHOP.listeners, certificates });
                declareServices(TEAM_A_SERVICES);
                for (const r of TEAM_A_ROUTES) new HTTPRoute(r.name, { namespace: r.namespace, parentRefs: [{ listenerSet }], rules: ruleSpecs(r) });
                return { realized: pulumi.output(listenerSet.realized.then(rs => rs.length)) };
            })).resources;
        } finally {
            setupMocks();
        }
        assert.deepEqual(names(preview), names(update.resources));
        assert.ok(names(preview).length >= 9, names(preview).join("\n"));
    });

    it("a port the operator's ALB has no listener on is refused, saying which port and what to add to the operator's Gateway; nothing is created", async () => {
        const infrastructure = await infrastructureStack();
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const onNewPort: ListenerSetSpec = { ...SHOP, listeners: [{ name: "alt", port: 8443, protocol: "HTTPS", hostname: "shop.example.com", tls: { certificateRefs: [{ name: ADMIN_CERT }] } }] };
        let recorded: RecordedResource[] = [];
        const failure = await failureOf(teamStack(TEAM_A, operator.outputs.reference as GatewayReference, onNewPort, [], []).then(r => { recorded = r.resources; }));
        assert.match(failure.message, /ListenerSet team-a\/shop: the aws adapter refuses it on Gateway infra\/edge: listener alt: Gateway infra\/edge has no ALB listener on port 8443, and a new port is a new ALB listener, which only the operator's stack creates: ask the operator to add a listener on port 8443 to the Gateway's spec.listeners \(e.g. \{ name: "https-8443", port: 8443, protocol: "HTTPS", tls: .*\}\) and run the operator's `up`, or use a port the Gateway has \(80 HTTP, 443 HTTPS\)/);
        assert.deepEqual(recorded, []);
        assert.deepEqual(recordedResources().filter(r => r.custom), []);
    });

    it("a team's ListenerSet in a namespace another stack owns, or whose certificate resolves to nothing, is refused before anything is created", async () => {
        const infrastructure = await infrastructureStack();
        const operator = await operatorStack(infrastructure.outputs.gatewayClass);
        const reference = operator.outputs.reference as GatewayReference;
        const owned = await failureOf(teamStack(TEAM_B, reference, SHOP, [], [], { "shop-tls": { certificate: SHOP_PEM, privateKey: SHOP_KEY } }));
        assert.match(owned.message, /namespace team-a belongs to stack shop\/prod on this shared ALB .* and this is organization\/admin\/prod \(ListenerSet team-a\/shop\): declare namespace team-a's routes and ListenerSets in shop\/prod/);
        assert.deepEqual(recordedResources().filter(r => r.custom), []);
        const noCert = await failureOf(teamStack(TEAM_A, reference, SHOP, [], []));
        assert.match(noCert.message, /listener secure spec.listeners\[\].tls.certificateRefs\[0\]: "shop-tls" is neither an ACM certificate ARN, nor a key of the ListenerSet's parameters.aws.certificateArns, nor a certificate it supplies/);
        assert.deepEqual(recordedResources().filter(r => r.custom), []);
        // A namespace the operator gives no slot.
        const stray: ListenerSetSpec = { ...ADMIN, name: "stray", namespace: "team-c" };
        const noSlot = await failureOf(teamStack({ ...TEAM_B, project: "c" }, reference, stray, [], []));
        assert.match(noSlot.message, /Gateway infra\/edge gives namespace team-c no slot on its shared ALB: ask its operator to set GatewayClass parameters.aws.namespaces.team-c = \{ slot, rules, stack \}/);
    });

    it("a team's new route on its ListenerSet keeps its other rules' numbers, and its isolation rules count against its namespace's budget", async () => {
        const { teamA, reference } = await threeStacks();
        const rules = (rs: RecordedResource[]) => new Map(rs.filter(r => r.type === RULE).map(r => [r.name, r.inputs.priority]));
        // Team a adds a route on its ListenerSet: its existing rules keep their numbers.
        const extra: RouteData = { namespace: "team-a", name: "search", listenerSet: "shop", rules: [{ path: "/search", service: "storefront" }] };
        const teamA2 = await teamStack(TEAM_A, reference, SHOP, [...TEAM_A_ROUTES, extra], TEAM_A_SERVICES, { "shop-tls": { certificate: SHOP_PEM, privateKey: SHOP_KEY } });
        const a1 = rules(teamA.resources), a2 = rules(teamA2.resources);
        for (const [name, p] of a1) assert.equal(a2.get(name), p, name);
        assert.equal(a2.size, a1.size + 2); // the new rule on ports 80 and 443
        // Budget: team a's rules (routes' and isolation's) past 10 are refused, naming the budget.
        const many: RouteData = { namespace: "team-a", name: "many", listenerSet: "shop", rules: ["/a", "/b", "/c"].map(path => ({ path, service: "storefront" })) };
        const over = await failureOf(teamStack(TEAM_A, reference, SHOP, [...TEAM_A_ROUTES, many], TEAM_A_SERVICES, { "shop-tls": { certificate: SHOP_PEM, privateKey: SHOP_KEY } }));
        assert.match(over.message, /namespace team-a needs 12 ALB listener rules, over its budget of 10/);
    });
});

// ---------------------------------------------------------------- generated: many stacks' ListenerSets and routes

const GEN_NAMESPACES = { ops: { slot: 0 }, "team-a": { slot: 2, rules: 400 }, "team-b": { slot: 4, rules: 400 } };
const GEN_PARAMS = { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1", rulesQuota: 2000, namespaces: GEN_NAMESPACES };
const GEN_SERVICES: ServiceSpec[] = ["ops", "team-a", "team-b"].flatMap(namespace => ["s1", "s2", "s3"].map((name, i) => ({
    name, namespace, ports: [{ port: 8080 }], endpoints: [{ address: `10.${namespace.length}.0.${i + 1}` }],
})));
/** Each team's ListenerSet hostnames (its own, as the README's caveat asks), and the operator's route hostnames. */
const TEAM_HOSTNAMES: Record<string, string[]> = { "team-a": ["shop.example.com", "*.shop.example.com"], "team-b": ["admin.example.com"] };
const OPERATOR_HOSTNAMES = ["a.example.com", "b.example.com", "*.example.com"];
const ROUTE_HOSTNAMES: Record<string, string[]> = { "team-a": ["shop.example.com", "x.shop.example.com", "*.shop.example.com"], "team-b": ["admin.example.com"] };

interface GenTeam { listeners: string[]; routes: { name: string; onListenerSet: boolean; hostnames: string[]; rules: HTTPRouteRule[] }[] }
interface GenSet { listeners: number; operator: { name: string; hostnames: string[]; rules: HTTPRouteRule[] }[]; teams: Record<string, GenTeam> }

const teamGen = (ns: string): fc.Arbitrary<GenTeam> => fc.record({
    listeners: fc.subarray(TEAM_HOSTNAMES[ns], { minLength: 1 }),
    routes: fc.uniqueArray(fc.record({
        name: fc.constantFrom("r1", "r2", "r3"),
        onListenerSet: fc.boolean(),
        hostnames: fc.subarray(ROUTE_HOSTNAMES[ns], { maxLength: Math.min(2, ROUTE_HOSTNAMES[ns].length) }),
        rules: fc.array(rule, { minLength: 1, maxLength: 3 }),
    }), { minLength: 1, maxLength: 3, selector: r => r.name }),
});
const genSet: fc.Arbitrary<GenSet> = fc.record({
    listeners: fc.integer({ min: 0, max: LISTENER_SETS.length - 1 }),
    operator: fc.uniqueArray(fc.record({ name: fc.constantFrom("o1", "o2", "o3"), hostnames: fc.subarray(OPERATOR_HOSTNAMES, { maxLength: 2 }), rules: fc.array(rule, { minLength: 1, maxLength: 2 }) }),
        { maxLength: 3, selector: r => r.name }),
    teams: fc.record({ "team-a": teamGen("team-a"), "team-b": teamGen("team-b") }),
});

function genListenerSet(ns: string, team: GenTeam, port: number): ListenerSetSpec {
    return { name: "ls", namespace: ns, parentRef: { name: "gw", namespace: "ops" }, listeners: team.listeners.map((hostname, i) => ({ name: `l${i}`, port, protocol: "HTTP" as const, hostname })) };
}

/** The compile input of the operator's stack (`teams` empty), of one team's stack, or of all together (simulate's view). */
function genInput(set: GenSet, teams: string[], withOperator: boolean): CompileInput {
    const listeners = LISTENER_SETS[set.listeners];
    const port = listeners[0].port;
    const routes: HTTPRouteSpec[] = [
        ...(withOperator ? set.operator.map(r => ({ name: r.name, namespace: "ops", parentRefs: [{ name: "gw", namespace: "ops" }], ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: r.rules })) : []),
        ...teams.flatMap(ns => set.teams[ns].routes.map(r => ({
            name: r.name, namespace: ns, parentRefs: [r.onListenerSet ? { kind: "ListenerSet", name: "ls" } : { name: "gw", namespace: "ops" }],
            ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: r.rules,
        }))),
    ];
    return {
        gatewayClasses: [GEN_CLASS],
        gateways: [{ name: "gw", namespace: "ops", gatewayClassName: GEN_CLASS.name, listeners, allowedListeners: { namespaces: { from: "All" } } }],
        listenerSets: teams.map(ns => genListenerSet(ns, set.teams[ns], port)), services: GEN_SERVICES, routes,
    };
}

const genRequest = fc.record({
    // The teams' hosts twice as often: most of what is compared is theirs.
    host: fc.constantFrom("shop.example.com", "x.shop.example.com", "y.shop.example.com", "admin.example.com", "shop.example.com", "x.shop.example.com", "admin.example.com",
        "a.example.com", "b.example.com", "c.example.com", "other.org"),
    withPort: fc.boolean(),
    path: fc.constantFrom("/", "/a", "/a/", "/a/b", "/a/bc", "/ab", "/b", "/b/c", "/a/b/c/d"),
    method: fc.constantFrom("GET", "POST"),
    xa: fc.constantFrom(undefined, "v1", "v2"),
    xb: fc.constantFrom(undefined, "v1"),
    q: fc.constantFrom(undefined, "1", "2"),
});

describe("aws: teams' ListenerSets on one ALB, generated (each stack built alone, the union against simulate)", () => {
    it("the operator's rules and each team's ListenerSet isolation and route rules, each stack built alone, route as simulate of everything together, with unique priorities", function () {
        this.timeout(120000);
        let runs = 0, compared = 0, invalid = 0, refused = 0, isolations = 0, onListenerSets = 0, teamServed = 0;
        fc.assert(fc.property(genSet, fc.array(genRequest, { minLength: 20, maxLength: 20 }), (set, requests) => {
            runs++;
            let union: RoutingPlan, ops: RoutingPlan;
            const teamPlans = new Map<string, RoutingPlan>();
            try {
                union = compile(genInput(set, ["team-a", "team-b"], true));
                ops = compile(genInput(set, [], true));
                for (const ns of ["team-a", "team-b"]) teamPlans.set(ns, compile(genInput(set, [ns], false)));
            } catch {
                invalid++; // a generated rule the CRD rules refuse
                return;
            }
            const operator = buildAlbModel(ops.gateways[0], GEN_PARAMS);
            const teams = [...teamPlans].map(([, plan]) => buildAlbModel(plan.gateways[0], { subnetIds: GEN_PARAMS.subnetIds, vpcId: GEN_PARAMS.vpcId }, { team: { namespaces: GEN_NAMESPACES } }));
            const problems = [operator, ...teams].flatMap(b => b.problems);
            if (problems.length > 0) {
                for (const p of problems) assert.match(p, /needs \d+ ALB condition values, over ALB's 5 per rule|rules of namespace [a-z-]+ share one precedence class on this shared listener/);
                refused++;
                return;
            }
            const combined: AlbModel = {
                ...operator.model,
                listeners: operator.model.listeners.map(l => ({
                    ...l, rules: [...l.rules, ...teams.flatMap(t => t.model.listeners.find(x => x.port === l.port)?.rules ?? [])].sort((a, b) => a.priority - b.priority),
                })),
                targetGroups: [...operator.model.targetGroups, ...teams.flatMap(t => t.model.targetGroups)],
            };
            for (const l of combined.listeners) {
                const seen = new Set<number>();
                for (const r of l.rules) {
                    assert.ok(!seen.has(r.priority), `port ${l.port}: priority ${r.priority} twice`);
                    seen.add(r.priority);
                }
            }
            isolations += teams.flatMap(t => t.model.listeners.flatMap(l => l.rules.filter(r => r.owner !== undefined))).length;
            const port = LISTENER_SETS[set.listeners][0].port;
            for (const r of requests) {
                const req = requestOf(r, port);
                const mismatch = compareWithSimulate(union, combined, req);
                assert.strictEqual(mismatch, undefined, mismatch);
                const sim = simulate(union, req);
                if (sim.listener?.includes("/ls/")) {
                    onListenerSets++;
                    if (sim.status === 200) teamServed++;
                }
                compared++;
            }
        }), { numRuns: 400, seed: 1618 });
        const summary = `${runs} sets: ${compared} requests compared, ${invalid} invalid, ${refused} refused; ${isolations} team isolation rules; ${onListenerSets} requests reached a team's ListenerSet listener, ${teamServed} of them served`;
        if (process.env.GATEWAYKIT_VERBOSE) console.log(summary);
        assert.ok(compared > 4000, summary);
        assert.ok(isolations > 300 && onListenerSets > 1500 && teamServed > 100, summary);
    });

    it("a team's wildcard hostname over a Gateway listener the operator does not isolate is refused; with a catch-all listener beside it, it routes as simulate", () => {
        const input = (listeners: CompileInput["gateways"][0]["listeners"], teams: boolean, operator: boolean): CompileInput => ({
            gatewayClasses: [GEN_CLASS],
            gateways: [{ name: "gw", namespace: "ops", gatewayClassName: GEN_CLASS.name, listeners, allowedListeners: { namespaces: { from: "All" } } }],
            listenerSets: teams ? [{ name: "ls", namespace: "team-b", parentRef: { name: "gw", namespace: "ops" }, listeners: [{ name: "wild", port: 80, protocol: "HTTP", hostname: "*.example.com" }] }] : [],
            services: GEN_SERVICES,
            routes: [
                ...(operator ? [{ name: "o", namespace: "ops", parentRefs: [{ name: "gw", namespace: "ops", sectionName: "a" }], rules: [{ matches: [{ path: { type: "PathPrefix" as const, value: "/a" } }], backendRefs: [{ name: "s1", port: 8080 }] }] }] : []),
                ...(teams ? [{ name: "t", namespace: "team-b", parentRefs: [{ kind: "ListenerSet", name: "ls" }], rules: [{ backendRefs: [{ name: "s2", port: 8080 }] }] }] : []),
            ],
        });
        const alone: Listener[] = [{ name: "a", port: 80, protocol: "HTTP" as const, hostname: "a.example.com", allowedRoutes: { namespaces: { from: "All" as const } } }];
        const team = (listeners: Listener[]) => buildAlbModel(compile(input(listeners, true, false)).gateways[0], { subnetIds: GEN_PARAMS.subnetIds, vpcId: GEN_PARAMS.vpcId }, { team: { namespaces: GEN_NAMESPACES } });
        const refused = team(alone).problems;
        assert.equal(refused.length, 1, refused.join("\n"));
        assert.match(refused[0], /ListenerSet team-b\/ls listener wild: its hostname \*\.example\.com covers the Gateway's listener a \(a\.example\.com\) on port 80, which the operator's stack does not isolate .* ask the operator to add a listener without hostname on port 80 to the Gateway/);
        // With a catch-all listener the operator isolates a.example.com, and the union routes as simulate.
        const both: Listener[] = [...alone, { name: "any", port: 80, protocol: "HTTP" as const, allowedRoutes: { namespaces: { from: "All" as const } } }];
        const teamBuild = team(both);
        assert.deepEqual(teamBuild.problems, []);
        const operator = buildAlbModel(compile(input(both, false, true)).gateways[0], GEN_PARAMS);
        assert.deepEqual(operator.problems, []);
        const combined: AlbModel = {
            ...operator.model,
            listeners: operator.model.listeners.map(l => ({ ...l, rules: [...l.rules, ...teamBuild.model.listeners.find(x => x.port === l.port)!.rules].sort((a, b) => a.priority - b.priority) })),
            targetGroups: [...operator.model.targetGroups, ...teamBuild.model.targetGroups],
        };
        const union = compile(input(both, true, true));
        for (const host of ["a.example.com", "b.example.com", "other.org"]) {
            for (const path of ["/", "/a", "/a/x", "/b"]) {
                const mismatch = compareWithSimulate(union, combined, { scheme: "http", port: 80, host, path });
                assert.equal(mismatch, undefined, mismatch);
            }
        }
        assert.equal(simulate(union, { port: 80, host: "a.example.com", path: "/b" }).status, 404);
        assert.equal(simulate(union, { port: 80, host: "b.example.com", path: "/b" }).outcomes[0].backend?.service, "team-b/s2");
    });
});
