// GCP: one URL map, many owners (Pulumi mocks). The URL map is one object, so the operator's stack
// writes it; each team's stack compiles its routes against gateway.reference and publishes them
// (publishRoutes), and the operator's Gateway imports the published routes (importedRoutes) on its
// next `up`. The recorded URL map is walked by the GCP evaluator against simulate of every route
// together; a bad published route is skipped with its status instead of breaking the map.

import { strict as assert } from "assert";
import { Gateway, GatewayReference, HTTPRoute, PublishedRoutes, Service, publishRoutes } from "../components";
import type { GatewayClassParameters } from "../components/gatewayClass";
import { evaluate } from "../providers/gcp/evaluate";
import { Frontend } from "../providers/gcp/model/dataplane";
import { UrlMapSpec } from "../providers/gcp/model/urlmapTypes";
import { compile } from "../routing/compile";
import { RouteStatus } from "../routing/plan";
import { simulate } from "../routing/simulate";
import { HTTPRouteSpec, ServiceSpec } from "../routing/types";
import { RecordedResource, failureOf, runProgram, setupMocks } from "../testing";
import { withConsoleWarnings } from "./log-kit";

setupMocks();

const CLASS = { name: "gcp-lb", controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: { project: "proj", zone: "europe-west1-b", network: "default" } } as GatewayClassParameters };
const URL_MAP = "gcp:compute/uRLMap:URLMap", BACKEND = "gcp:compute/backendService:BackendService";
const LISTENERS = [{ name: "http", port: 80, protocol: "HTTP" as const, allowedRoutes: { namespaces: { from: "All" as const } } }];

interface RouteData { namespace: string; name: string; hostnames: string[]; rules: { path: string; type?: "Exact" | "PathPrefix"; service: string }[] }
interface ServiceData { namespace: string; name: string; address: string }

const OPERATOR_ROUTES: RouteData[] = [{ namespace: "infra", name: "fallback", hostnames: [], rules: [{ path: "/", service: "default-backend" }] }];
const OPERATOR_SERVICES: ServiceData[] = [{ namespace: "infra", name: "default-backend", address: "10.0.0.2" }];
const TEAM_A_ROUTES: RouteData[] = [{ namespace: "team-a", name: "shop", hostnames: ["shop.example.com"], rules: [{ path: "/", service: "storefront" }, { path: "/cart", service: "cart" }] }];
const TEAM_A_SERVICES: ServiceData[] = [{ namespace: "team-a", name: "storefront", address: "10.1.0.1" }, { namespace: "team-a", name: "cart", address: "10.1.0.2" }];
const TEAM_B_ROUTES: RouteData[] = [{ namespace: "team-b", name: "admin", hostnames: ["shop.example.com"], rules: [{ path: "/cart/admin", service: "admin" }, { path: "/status", type: "Exact", service: "admin" }] }];
const TEAM_B_SERVICES: ServiceData[] = [{ namespace: "team-b", name: "admin", address: "10.2.0.1" }];

const ruleSpecs = (r: RouteData) => r.rules.map(x => ({ matches: [{ path: { type: x.type ?? "PathPrefix" as const, value: x.path } }], backendRefs: [{ name: x.service, port: 8080 }] }));
const serviceSpec = (s: ServiceData): ServiceSpec => ({ name: s.name, namespace: s.namespace, ports: [{ port: 8080 }], endpoints: [{ address: s.address }], realizations: { gcp: { instance: `${s.name}-vm` } } });

function declareServices(list: ServiceData[]): void {
    for (const s of list) new Service(s.name, { namespace: s.namespace, port: 8080, endpoints: [{ address: s.address }], realizations: { gcp: { instance: `${s.name}-vm` } } });
}

function declareRoute(r: RouteData, parent: Gateway | GatewayReference): HTTPRoute {
    return new HTTPRoute(r.name, { namespace: r.namespace, parentRefs: [{ gateway: parent }], ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: ruleSpecs(r) });
}

type Imports = { published: PublishedRoutes; namespaces: string[] }[];

/** The operator's stack; `imports` stand for StackReference outputs of the teams' stacks. */
async function operatorStack(imports: Imports = []) {
    return runProgram(() => {
        const gateway = new Gateway("edge", { gatewayClass: CLASS, namespace: "infra", listeners: LISTENERS, importedRoutes: imports });
        declareServices(OPERATOR_SERVICES);
        for (const r of OPERATOR_ROUTES) declareRoute(r, gateway);
        return { reference: gateway.reference, routeStatuses: gateway.routeStatuses };
    });
}

async function teamStack(reference: GatewayReference, routes: RouteData[], services: ServiceData[]) {
    return runProgram(() => {
        const made = routes.map(r => declareRoute(r, reference));
        const published = publishRoutes(made);
        // Declared after publishRoutes: it reads the Services once the program body has finished.
        declareServices(services);
        return { routes: published };
    });
}

/** The operator's URL map as recorded, and which Service each backend-service link serves. */
function urlMapOf(resources: RecordedResource[]): { frontends: Frontend[]; serviceOf: (link: string | undefined) => string | undefined } {
    const maps = resources.filter(r => r.type === URL_MAP);
    assert.equal(maps.length, 1);
    const frontend = { port: 80, protocol: "HTTP", listeners: ["http"], urlMap: maps[0].inputs as unknown as UrlMapSpec } as Frontend;
    const backends = resources.filter(r => r.type === BACKEND).map(r => ({ physical: String(r.inputs.name), service: r.name.split("/backend/")[1]?.replace(/:\d+$/, "") }));
    return { frontends: [frontend], serviceOf: link => link === undefined ? undefined : backends.find(b => link.endsWith(`/${b.physical}`))?.service };
}

const unionSpecs = (routes: RouteData[]): HTTPRouteSpec[] => routes.map(r => ({
    name: r.name, namespace: r.namespace, parentRefs: [{ name: "edge", namespace: "infra" }], ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: ruleSpecs(r),
}));

function checkAgainstSimulate(resources: RecordedResource[], routes: RouteData[], services: ServiceData[]): number {
    const { frontends, serviceOf } = urlMapOf(resources);
    const plan = compile({
        gatewayClasses: [CLASS], gateways: [{ name: "edge", namespace: "infra", gatewayClassName: CLASS.name, listeners: LISTENERS }],
        routes: unionSpecs(routes), services: services.map(serviceSpec),
    });
    let served = 0;
    for (const host of ["shop.example.com", "other.example.org"]) {
        for (const path of ["/", "/cart", "/cart/", "/cart/admin", "/cart/admin/x", "/cart/adminx", "/status", "/status/x", "/search", "/search/q"]) {
            const sim = simulate(plan, { port: 80, host, path });
            const gcp = evaluate(frontends, { port: 80, host, path });
            const simOut = sim.outcomes.map(o => [o.status, o.backend?.service]);
            const gcpOut = gcp.outcomes.map(o => [o.status, o.status === 200 ? serviceOf(o.backend) : undefined]);
            assert.deepEqual(gcpOut, simOut, `${host}${path}`);
            if (sim.status === 200) served++;
        }
    }
    return served;
}

describe("gcp: one URL map, many owners (teams publish, the operator imports; mocks)", () => {
    it("two teams publish their routes; the operator's next `up` writes them into its URL map, which routes as simulate of every route", async () => {
        const before = await operatorStack();
        const reference = before.outputs.reference as GatewayReference;
        const teamA = await teamStack(reference, TEAM_A_ROUTES, TEAM_A_SERVICES);
        const teamB = await teamStack(reference, TEAM_B_ROUTES, TEAM_B_SERVICES);
        // A team's stack holds no data plane: its routes, validated and with status, are an output.
        for (const team of [teamA, teamB]) assert.deepEqual(team.resources.filter(r => r.custom), []);
        const published = teamA.outputs.routes as PublishedRoutes;
        assert.deepEqual(published.routes.map(r => `${r.namespace}/${r.name}`), ["team-a/shop"]);
        assert.deepEqual(published.services.map(s => s.name).sort(), ["cart", "storefront"]);
        assert.deepEqual(published.statuses[0].parents[0].conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]]);

        const after = await operatorStack([
            { published, namespaces: ["team-a"] },
            { published: teamB.outputs.routes as PublishedRoutes, namespaces: ["team-b"] },
        ]);
        const served = checkAgainstSimulate(after.resources, [...OPERATOR_ROUTES, ...TEAM_A_ROUTES, ...TEAM_B_ROUTES], [...OPERATOR_SERVICES, ...TEAM_A_SERVICES, ...TEAM_B_SERVICES]);
        assert.ok(served >= 15, `only ${served} requests served`);
        const statuses = after.outputs.routeStatuses as RouteStatus[];
        assert.deepEqual(statuses.map(s => [s.route, s.parents[0].conditions.find(c => c.type === "Accepted")!.status]).sort(),
            [["infra/fallback", "True"], ["team-a/shop", "True"], ["team-b/admin", "True"]]);
        // The teams' backends are the operator's resources now.
        assert.ok(after.resources.some(r => r.type === BACKEND && r.name.includes("/backend/team-b/admin:8080")));

        // Team a's change reaches the URL map on the operator's next `up`.
        const changedRoutes: RouteData[] = [{ ...TEAM_A_ROUTES[0], rules: [...TEAM_A_ROUTES[0].rules, { path: "/search", service: "storefront" }] }];
        const teamA2 = await teamStack(reference, changedRoutes, TEAM_A_SERVICES);
        const unchanged = checkAgainstSimulate(after.resources, [...OPERATOR_ROUTES, ...TEAM_A_ROUTES, ...TEAM_B_ROUTES], [...OPERATOR_SERVICES, ...TEAM_A_SERVICES, ...TEAM_B_SERVICES]);
        assert.equal(unchanged, served, "the operator's URL map does not change before its own `up`");
        const next = await operatorStack([
            { published: teamA2.outputs.routes as PublishedRoutes, namespaces: ["team-a"] },
            { published: teamB.outputs.routes as PublishedRoutes, namespaces: ["team-b"] },
        ]);
        checkAgainstSimulate(next.resources, [...OPERATOR_ROUTES, ...changedRoutes, ...TEAM_B_ROUTES], [...OPERATOR_SERVICES, ...TEAM_A_SERVICES, ...TEAM_B_SERVICES]);
        const { frontends, serviceOf } = urlMapOf(next.resources);
        assert.equal(serviceOf(evaluate(frontends, { port: 80, host: "shop.example.com", path: "/search/q" }).outcomes[0].backend), "team-a/storefront");
    });

    it("a bad published route is skipped with its status, and the map is built from the rest", async () => {
        const before = await operatorStack();
        const reference = before.outputs.reference as GatewayReference;
        const teamB = (await teamStack(reference, TEAM_B_ROUTES, TEAM_B_SERVICES)).outputs.routes as PublishedRoutes;
        // What a hostile or stale stack output may hold: a route in another team's namespace, a method
        // match (GCP has none), a path that is not a path, and a Service of another namespace.
        const spec = (name: string, namespace: string, rule: Record<string, unknown>) => ({ name, namespace, parentRefs: [{ name: "edge", namespace: "infra" }], hostnames: ["shop.example.com"], rules: [rule] }) as HTTPRouteSpec;
        const tampered: PublishedRoutes = {
            routes: [
                ...teamB.routes,
                spec("hijack", "team-a", { matches: [{ path: { type: "PathPrefix", value: "/cart" } }], backendRefs: [{ name: "admin", namespace: "team-b", port: 8080 }] }),
                spec("by-method", "team-b", { matches: [{ path: { type: "PathPrefix", value: "/m" }, method: "POST" }], backendRefs: [{ name: "admin", port: 8080 }] }),
                spec("bad-path", "team-b", { matches: [{ path: { type: "PathPrefix", value: "no-slash" } }], backendRefs: [{ name: "admin", port: 8080 }] }),
            ],
            services: [...teamB.services, serviceSpec({ namespace: "team-a", name: "cart", address: "10.66.6.6" })],
            statuses: teamB.statuses,
        };
        const { result: after, warnings } = await withConsoleWarnings(() => operatorStack([{ published: tampered, namespaces: ["team-b"] }]));
        const statuses = after.outputs.routeStatuses as RouteStatus[];
        const accepted = (route: string) => statuses.find(s => s.route === route)!.parents[0].conditions.find(c => c.type === "Accepted")!;
        assert.equal(accepted("team-b/admin").status, "True");
        for (const [route, why] of [
            ["team-a/hijack", /is in namespace team-a, which importedRoutes\[0\]\.namespaces \(team-b\) does not grant this stack/],
            ["team-b/by-method", /refused on its own.*HTTPRouteMethodMatching/],
            ["team-b/bad-path", /refused on its own.*spec\.rules\[0\]\.matches\[0\]\.path/],
        ] as const) {
            const c = accepted(route);
            assert.deepEqual([c.status, c.reason], ["False", "NotImported"], route);
            assert.match(c.message, why, route);
            assert.ok(warnings.some(w => w.includes(route)), `no warning names ${route}`);
        }
        // The map: the operator's and team b's good routes; team a's cart is not the tampered Service.
        checkAgainstSimulate(after.resources, [...OPERATOR_ROUTES, ...TEAM_B_ROUTES], [...OPERATOR_SERVICES, ...TEAM_B_SERVICES]);
        assert.ok(!after.resources.some(r => JSON.stringify(r.inputs).includes("10.66.6.6")), "a Service of a namespace not granted reached the data plane");
    });

    it("the team's own `up` refuses what the gateway's data plane cannot carry, before anything is published", async () => {
        const before = await operatorStack();
        const failure = await failureOf(runProgram(() => {
            declareServices(TEAM_B_SERVICES);
            const r = new HTTPRoute("by-method", {
                namespace: "team-b", parentRefs: [{ gateway: before.outputs.reference as GatewayReference }],
                rules: [{ matches: [{ path: { type: "PathPrefix", value: "/m" }, method: "POST" }], backendRefs: [{ name: "admin", port: 8080 }] }],
            });
            return { routes: publishRoutes([r]) };
        }));
        assert.match(failure.message, /HTTPRoute team-b\/by-method .*HTTPRouteMethodMatching, which the gcp adapter does not support/);
    });
});
