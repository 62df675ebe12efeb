// GCP: a team's ListenerSet through the import flow (Pulumi mocks). The target HTTPS proxy and URL
// map are one object each per port, written by the operator's stack; each team's stack declares its
// ListenerSet on gateway.reference (checked there), its routes on it, and publishes both
// (publishRoutes(routes, [listenerSet]), a secret output: it carries the certificates). The
// operator's Gateway imports them (importedRoutes): their listeners join the gateway's ports, their
// PEM certificates become SSL certificates on the target HTTPS proxy, their routes host rules of
// the URL map — walked by the GCP evaluator against simulate of the Gateway, both ListenerSets and
// every route together. A bad imported ListenerSet is skipped with its status, not breaking the map.

import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayReference, HTTPRoute, ListenerSet, PublishedRoutes, Service, publishRoutes } from "../components";
import type { GatewayClassParameters } from "../components/gatewayClass";
import { evaluate } from "../providers/gcp/evaluate";
import { Frontend } from "../providers/gcp/model/dataplane";
import { UrlMapSpec } from "../providers/gcp/model/urlmapTypes";
import { compile } from "../routing/compile";
import { ListenerSetStatus, RouteStatus } from "../routing/plan";
import { simulate } from "../routing/simulate";
import { HTTPRouteSpec, ListenerSetSpec, ServiceSpec } from "../routing/types";
import { RecordedResource, failureOf, runProgram, setupMocks } from "../testing";
import { withConsoleWarnings } from "./log-kit";

setupMocks();

const CLASS = { name: "gcp-lb", controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: { project: "proj", zone: "europe-west1-b", network: "default" } } as GatewayClassParameters };
const URL_MAP = "gcp:compute/uRLMap:URLMap", BACKEND = "gcp:compute/backendService:BackendService";
const SSL_CERT = "gcp:compute/sSLCertificate:SSLCertificate", HTTPS_PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy";
const LISTENERS = [
    { name: "http", port: 80, protocol: "HTTP" as const },
    { name: "https", port: 443, protocol: "HTTPS" as const, tls: { certificateRefs: [{ name: "operator-cert" }] } },
];
const ALLOWED_LISTENERS = { namespaces: { from: "All" as const } };
/** How the engine marks a secret value, as the mocks record inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const pem = (name: string) => ({ certificate: `-----BEGIN CERTIFICATE-----\nMII${name}\n-----END CERTIFICATE-----\n`, privateKey: `-----BEGIN PRIVATE KEY-----\n${name}-private-key\n-----END PRIVATE KEY-----\n` });

interface RouteData { namespace: string; name: string; hostnames?: string[]; listenerSet?: string; rules: { path: string; type?: "Exact" | "PathPrefix"; service: string }[] }
interface ServiceData { namespace: string; name: string; address: string }
interface Team { listenerSet: ListenerSetSpec; certificates: Record<string, { certificate: string; privateKey: string }>; routes: RouteData[]; services: ServiceData[] }

const OPERATOR_ROUTES: RouteData[] = [
    { namespace: "infra", name: "fallback", rules: [{ path: "/", service: "default-backend" }] },
    { namespace: "infra", name: "www", hostnames: ["www.example.com"], rules: [{ path: "/", service: "www" }, { path: "/shop", service: "www" }] },
];
const OPERATOR_SERVICES: ServiceData[] = [{ namespace: "infra", name: "default-backend", address: "10.0.0.2" }, { namespace: "infra", name: "www", address: "10.0.0.3" }];

const TEAM_A: Team = {
    listenerSet: {
        name: "shop", namespace: "team-a", parentRef: { name: "edge", namespace: "infra" },
        listeners: [
            { name: "secure", port: 443, protocol: "HTTPS", hostname: "shop.example.com", tls: { certificateRefs: [{ name: "shop-tls" }] } },
            { name: "plain", port: 80, protocol: "HTTP", hostname: "shop.example.com" },
        ],
    },
    certificates: { "shop-tls": pem("shop") },
    routes: [{ namespace: "team-a", name: "shop", listenerSet: "shop", rules: [{ path: "/", service: "storefront" }, { path: "/cart", service: "cart" }] }],
    services: [{ namespace: "team-a", name: "storefront", address: "10.1.0.1" }, { namespace: "team-a", name: "cart", address: "10.1.0.2" }],
};
const TEAM_B: Team = {
    listenerSet: {
        name: "admin", namespace: "team-b", parentRef: { name: "edge", namespace: "infra" },
        listeners: [{ name: "console", port: 443, protocol: "HTTPS", hostname: "admin.example.com", tls: { certificateRefs: [{ name: "admin-tls" }] } }],
    },
    certificates: { "admin-tls": pem("admin") },
    routes: [{ namespace: "team-b", name: "admin", listenerSet: "admin", rules: [{ path: "/admin", service: "admin" }, { path: "/status", type: "Exact", service: "admin" }] }],
    services: [{ namespace: "team-b", name: "admin", address: "10.2.0.1" }],
};

const ruleSpecs = (r: RouteData) => r.rules.map(x => ({ matches: [{ path: { type: x.type ?? "PathPrefix" as const, value: x.path } }], backendRefs: [{ name: x.service, port: 8080 }] }));
const serviceSpec = (s: ServiceData): ServiceSpec => ({ name: s.name, namespace: s.namespace, ports: [{ port: 8080 }], endpoints: [{ address: s.address }], realizations: { gcp: { instance: `${s.name}-vm` } } });

function declareServices(list: ServiceData[]): void {
    for (const s of list) new Service(s.name, { namespace: s.namespace, port: 8080, endpoints: [{ address: s.address }], realizations: { gcp: { instance: `${s.name}-vm` } } });
}

type Imports = { published: pulumi.Input<PublishedRoutes>; namespaces: string[] }[];

async function operatorStack(imports: Imports = []) {
    return runProgram(() => {
        const gateway = new Gateway("edge", { gatewayClass: CLASS, namespace: "infra", listeners: LISTENERS, allowedListeners: ALLOWED_LISTENERS, importedRoutes: imports });
        declareServices(OPERATOR_SERVICES);
        for (const r of OPERATOR_ROUTES) new HTTPRoute(r.name, { namespace: r.namespace, parentRefs: [{ gateway }], ...(r.hostnames ? { hostnames: r.hostnames } : {}), rules: ruleSpecs(r) });
        return { reference: gateway.reference, routeStatuses: gateway.routeStatuses, listenerSetStatuses: gateway.listenerSetStatuses };
    });
}

async function teamStack(reference: GatewayReference, team: Team) {
    let secret: Promise<boolean> | undefined;
    const run = await runProgram(() => {
        const ls = team.listenerSet;
        const listenerSet = new ListenerSet(ls.name, { namespace: ls.namespace, gateway: reference, listeners: ls.listeners, certificates: team.certificates });
        const made = team.routes.map(r => new HTTPRoute(r.name, { namespace: r.namespace, parentRefs: [{ listenerSet }], rules: ruleSpecs(r) }));
        const published = publishRoutes(made, [listenerSet]);
        secret = pulumi.isSecret(published);
        declareServices(team.services);
        return { routes: published, realized: pulumi.output(listenerSet.realized.then(r => r.length)) };
    });
    return { ...run, secret: await secret! };
}

/** The operator's URL maps as recorded (one per port), and which Service each backend-service link serves. */
function frontendsOf(resources: RecordedResource[]): { frontends: Frontend[]; serviceOf: (link: string | undefined) => string | undefined } {
    const frontends = resources.filter(r => r.type === URL_MAP).map(r => {
        const port = Number(r.name.split("/urlmap/")[1]);
        return { port, protocol: port === 443 ? "HTTPS" : "HTTP", listeners: [], urlMap: r.inputs as unknown as UrlMapSpec } as unknown as Frontend;
    });
    const backends = resources.filter(r => r.type === BACKEND).map(r => ({ physical: String(r.inputs.name), service: r.name.split("/backend/")[1]?.replace(/:\d+$/, "") }));
    return { frontends, serviceOf: link => link === undefined ? undefined : backends.find(b => link.endsWith(`/${b.physical}`))?.service };
}

function checkAgainstSimulate(resources: RecordedResource[], teams: Team[]): { served: Map<string, number> } {
    const { frontends, serviceOf } = frontendsOf(resources);
    assert.equal(frontends.length, 2);
    const routes: HTTPRouteSpec[] = [...OPERATOR_ROUTES, ...teams.flatMap(t => t.routes)].map(r => ({
        name: r.name, namespace: r.namespace, parentRefs: [r.listenerSet ? { kind: "ListenerSet", name: r.listenerSet } : { name: "edge", namespace: "infra" }],
        ...(r.hostnames ? { hostnames: r.hostnames } : {}), rules: ruleSpecs(r),
    }));
    const plan = compile({
        gatewayClasses: [CLASS], gateways: [{ name: "edge", namespace: "infra", gatewayClassName: CLASS.name, listeners: LISTENERS, allowedListeners: ALLOWED_LISTENERS }],
        listenerSets: teams.map(t => t.listenerSet), routes, services: [...OPERATOR_SERVICES, ...teams.flatMap(t => t.services)].map(serviceSpec),
    });
    const served = new Map<string, number>();
    for (const [scheme, port] of [["http", 80], ["https", 443]] as const) {
        for (const host of ["shop.example.com", "admin.example.com", "www.example.com", "other.example.org"]) {
            for (const path of ["/", "/cart", "/cart/x", "/admin", "/admin/users", "/status", "/status/x", "/shop", "/other"]) {
                const sim = simulate(plan, { scheme, port, host, path });
                const gcp = evaluate(frontends, { scheme, port, host, path });
                const simOut = sim.outcomes.map(o => [o.status, o.backend?.service]);
                const gcpOut = gcp.outcomes.map(o => [o.status, o.status === 200 ? serviceOf(o.backend) : undefined]);
                assert.deepEqual(gcpOut, simOut, `${scheme}://${host}${path}`);
                const backend = sim.outcomes[0]?.backend?.service;
                if (sim.status === 200 && backend) served.set(backend, (served.get(backend) ?? 0) + 1);
            }
        }
    }
    return { served };
}

const accepted = (s: { conditions: { type: string; status: string; reason: string; message: string }[] }) => s.conditions.find(c => c.type === "Accepted")!;

describe("gcp: a team's ListenerSet through the import flow (teams publish, the operator imports; mocks)", () => {
    it("two teams publish ListenerSets with certificates and routes; the operator's next `up` puts their certificates on the HTTPS proxy and their hosts in the URL map, which routes as simulate", async () => {
        const before = await operatorStack();
        const reference = before.outputs.reference as GatewayReference;
        const teamA = await teamStack(reference, TEAM_A);
        const teamB = await teamStack(reference, TEAM_B);
        for (const team of [teamA, teamB]) {
            // A team's stack holds no data plane; its published output is a secret (it carries private keys).
            assert.deepEqual(team.resources.filter(r => r.custom), []);
            assert.equal(team.secret, true);
        }
        const published = teamA.outputs.routes as PublishedRoutes;
        assert.deepEqual(published.listenerSets!.map(l => [`${l.spec.namespace}/${l.spec.name}`, accepted(l.status).status, Object.keys(l.certificates ?? {})]), [["team-a/shop", "True", ["team-a/shop-tls"]]]);

        // The operator reads them through StackReferences: secret outputs.
        const after = await operatorStack([
            { published: pulumi.secret(teamA.outputs.routes as PublishedRoutes), namespaces: ["team-a"] },
            { published: pulumi.secret(teamB.outputs.routes as PublishedRoutes), namespaces: ["team-b"] },
        ]);
        const { served } = checkAgainstSimulate(after.resources, [TEAM_A, TEAM_B]);
        assert.ok((served.get("team-a/storefront") ?? 0) >= 10 && (served.get("team-a/cart") ?? 0) >= 2, JSON.stringify([...served]));
        assert.ok((served.get("team-b/admin") ?? 0) >= 3, JSON.stringify([...served]));
        assert.ok((served.get("infra/www") ?? 0) >= 18, JSON.stringify([...served]));

        // The teams' certificates: SSL certificates of the operator's stack, private keys secret, on the 443 proxy after the operator's.
        const certs = after.resources.filter(r => r.type === SSL_CERT);
        assert.deepEqual(certs.map(c => c.name).sort(), ["infra/edge/certificate/team-a/shop-tls", "infra/edge/certificate/team-b/admin-tls"]);
        for (const c of certs) {
            assert.ok(typeof c.inputs.privateKey === "object" && c.inputs.privateKey !== null && SECRET_SIG in c.inputs.privateKey, `${c.name}: the private key is not a secret`);
            assert.match(String(c.inputs.namePrefix), /^gk-edge-team-[ab]-(shop|admin)-tls-$/);
        }
        const proxies = after.resources.filter(r => r.type === HTTPS_PROXY);
        assert.equal(proxies.length, 1);
        const links = proxies[0].inputs.sslCertificates as unknown[];
        assert.deepEqual(links.slice(1), ["team-a/shop-tls", "team-b/admin-tls"].map(k => `mock:${SSL_CERT}:infra/edge/certificate/${k}`));
        assert.equal(links[0], "projects/proj/global/sslCertificates/operator-cert");
        const statuses = after.outputs.listenerSetStatuses as ListenerSetStatus[];
        assert.deepEqual(statuses.map(s => [s.listenerSet, accepted(s).status]), [["team-a/shop", "True"], ["team-b/admin", "True"]]);
        const routeStatuses = after.outputs.routeStatuses as RouteStatus[];
        assert.deepEqual(routeStatuses.filter(s => s.route.startsWith("team")).map(s => [s.route, s.parents[0].parentRef.kind, accepted(s.parents[0]).status]),
            [["team-a/shop", "ListenerSet", "True"], ["team-b/admin", "ListenerSet", "True"]]);
        assert.ok(!JSON.stringify(after.outputs).includes("private-key"), "a private key in the operator's outputs");
    });

    it("a bad imported ListenerSet is skipped with its status (Accepted False, NotImported), its routes stay out, and the map is built from the rest", async () => {
        const before = await operatorStack();
        const reference = before.outputs.reference as GatewayReference;
        const teamB = (await teamStack(reference, TEAM_B)).outputs.routes as PublishedRoutes;
        const ls = (name: string, namespace: string, listener: Record<string, unknown>) => ({
            spec: { name, namespace, parentRef: { name: "edge", namespace: "infra" }, listeners: [listener] } as unknown as ListenerSetSpec,
            status: teamB.listenerSets![0].status,
            certificates: { [`${namespace}/own-tls`]: pem(name) },
        });
        const route = (name: string, listenerSet: string): HTTPRouteSpec => ({ name, namespace: "team-b", parentRefs: [{ kind: "ListenerSet", name: listenerSet }], rules: [{ backendRefs: [{ name: "admin", port: 8080 }] }] });
        // What a hostile or stale stack output may hold.
        const tampered: PublishedRoutes = {
            ...teamB,
            routes: [...teamB.routes, route("on-new-port", "new-port")],
            listenerSets: [
                ...teamB.listenerSets!,
                ls("new-port", "team-b", { name: "alt", port: 8443, protocol: "HTTPS", hostname: "alt.example.com", tls: { certificateRefs: [{ name: "own-tls" }] } }),
                ls("borrowed", "team-b", { name: "b", port: 443, protocol: "HTTPS", hostname: "b.example.com", tls: { certificateRefs: [{ name: "operator-cert" }] } }),
                ls("elsewhere", "team-a", { name: "s", port: 443, protocol: "HTTPS", hostname: "steal.example.com", tls: { certificateRefs: [{ name: "own-tls" }] } }),
                ls("bad-name", "team-b", { name: "Bad_Name", port: 80, protocol: "HTTP", hostname: "bad.example.com" }),
                { ...ls("no-key", "team-b", { name: "k", port: 443, protocol: "HTTPS", hostname: "k.example.com", tls: { certificateRefs: [{ name: "own-tls" }] } }),
                    certificates: { "team-b/own-tls": { certificate: "-----BEGIN CERTIFICATE-----" } as never } },
                ls("wrong-protocol", "team-b", { name: "w", port: 80, protocol: "HTTPS", hostname: "w.example.com", tls: { certificateRefs: [{ name: "own-tls" }] } }),
            ],
        };
        const { result: after, warnings } = await withConsoleWarnings(() => operatorStack([{ published: tampered, namespaces: ["team-b"] }]));
        const statuses = after.outputs.listenerSetStatuses as ListenerSetStatus[];
        const of = (key: string) => statuses.find(s => s.listenerSet === key)!;
        assert.equal(accepted(of("team-b/admin")).status, "True");
        for (const [key, why] of [
            ["team-b/new-port", /listener alt: port 8443 is not a port of the gateway, and a new port is a new forwarding rule and target proxy, which only the operator's stack creates: add a listener on port 8443 \(protocol HTTPS\) to the Gateway's spec.listeners/],
            ["team-b/borrowed", /team-b\/operator-cert is not among the certificates it publishes/],
            ["team-b/no-key", /team-b\/own-tls is not among the certificates it publishes/],
            ["team-a/elsewhere", /is in namespace team-a, which importedRoutes\[0\]\.namespaces \(team-b\) does not grant this stack/],
            ["team-b/bad-name", /refused on its own.*spec\.listeners\[0\]\.name/],
            ["team-b/wrong-protocol", /refused on its own.*Accepted=False, reason ListenersNotValid/],
        ] as const) {
            const c = accepted(of(key));
            assert.deepEqual([c.status, c.reason], ["False", "NotImported"], key);
            assert.match(c.message, why, key);
            assert.ok(warnings.some(w => w.includes(key)), `no warning names ${key}`);
        }
        // Only team b's own certificate is uploaded; the route on the skipped ListenerSet attaches nowhere.
        assert.deepEqual(after.resources.filter(r => r.type === SSL_CERT).map(r => r.name), ["infra/edge/certificate/team-b/admin-tls"]);
        const onNewPort = (after.outputs.routeStatuses as RouteStatus[]).find(s => s.route === "team-b/on-new-port")!;
        assert.equal(accepted(onNewPort.parents[0]).status, "False");
        checkAgainstSimulate(after.resources, [TEAM_B]);
    });

    it("the team's own `up` refuses a ListenerSet the import would skip: a new port, a certificate it does not supply", async () => {
        const before = await operatorStack();
        const reference = before.outputs.reference as GatewayReference;
        const newPort = await failureOf(teamStack(reference, { ...TEAM_A, listenerSet: { ...TEAM_A.listenerSet, listeners: [{ name: "alt", port: 8443, protocol: "HTTPS", hostname: "shop.example.com", tls: { certificateRefs: [{ name: "shop-tls" }] } }] }, routes: [] }));
        assert.match(newPort.message, /ListenerSet team-a\/shop: the gcp adapter refuses it on Gateway infra\/edge:\n  - listener alt: Gateway infra\/edge has no listener on port 8443, .*ask the operator to add a listener on port 8443 \(protocol HTTPS\) to the Gateway's spec.listeners and run the operator's `up`, or use one of its ports \(80 HTTP, 443 HTTPS\)/);
        const noMaterial = await failureOf(teamStack(reference, { ...TEAM_A, certificates: {}, routes: [] }));
        assert.match(noMaterial.message, /listener secure tls.certificateRefs\[0\]: supply team-a\/shop-tls in the ListenerSet's certificates/);
    });

    it("the Gateway's own PEM certificates (keyed by bare name) are uploaded the same way, the key secret; a mapped or plain name is not", async () => {
        const { resources } = await runProgram(() => {
            new Gateway("edge", {
                gatewayClass: { ...CLASS, parameters: { gcp: { ...CLASS.parameters.gcp, certificates: { mapped: "projects/proj/global/sslCertificates/existing" } } } }, namespace: "infra",
                listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "own" }, { name: "mapped" }, { name: "plain" }] } }],
                certificates: { own: pem("own"), mapped: pem("mapped") },
            });
        });
        const certs = resources.filter(r => r.type === SSL_CERT);
        assert.deepEqual(certs.map(c => c.name), ["infra/edge/certificate/infra/own"]);
        // The certificate comes out of the secret certificates argument, so it is recorded as a secret too.
        assert.deepEqual(certs[0].inputs.certificate, { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: pem("own").certificate });
        assert.deepEqual(certs[0].inputs.privateKey, { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: pem("own").privateKey });
        const [proxy] = resources.filter(r => r.type === HTTPS_PROXY);
        assert.deepEqual(proxy.inputs.sslCertificates, [
            "projects/proj/global/sslCertificates/existing", "projects/proj/global/sslCertificates/plain", `mock:${SSL_CERT}:infra/edge/certificate/infra/own`]);
    });
});
