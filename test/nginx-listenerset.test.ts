// ListenerSet on real nginx: the nginx adapter needs no ListenerSet code — compile merges an admitted
// ListenerSet's listeners into the gateway's plan — and this proves the rendered config serves them
// as simulate says. An operator Gateway (HTTP and HTTPS for gw.example.org) admits ListenerSets from
// namespaces labelled listeners=team; team-a adds shop.example.org on both ports (HTTPS with its own
// certificate), a listener on a new port, and one that collides with the operator's listener (it is
// the Conflicted one, and the operator's traffic is untouched); team-b's ListenerSet is not admitted.
// Every probe's status and backend must be simulate's, and each HTTPS host must present its own
// listener's certificate. The second suite generates Gateways and ListenerSets (admitted or not) that share
// ports and hostnames, one route per listener naming it in a response header, and every probe must be
// answered by the listener and backend simulate names.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { TLSSocket } from "tls";
import fc from "fast-check";
import { compile } from "../routing/compile";
import { CompileInput, RoutingPlan } from "../routing/plan";
import { HTTPRouteFilter, HTTPRouteSpec, Listener } from "../routing/types";
import { simulate } from "../routing/simulate";
import { renderNginx } from "../providers/nginx/model";
import { applyConfig, stopInstance } from "../providers/nginx/runtime/apply";
import { Echo } from "./nginx-differential-kit";
import { freePort } from "./nginx-e2e-kit";
import { requireNginx } from "./nginx-provider-kit";

interface Material { certificate: string; privateKey: string }

function selfSigned(dir: string, cn: string): Material {
    const key = path.join(dir, `${cn}.key`), crt = path.join(dir, `${cn}.crt`);
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${cn}`,
        "-addext", `subjectAltName=DNS:${cn}`, "-keyout", key, "-out", crt], { stdio: "ignore" });
    const m = { certificate: fs.readFileSync(crt, "utf8"), privateKey: fs.readFileSync(key, "utf8") };
    fs.rmSync(key);
    return m;
}

interface Probe { scheme: "http" | "https"; port: number; host: string; path: string }
interface Got { status: number; backend?: string; certificateCN?: string }

function request(agents: { http: http.Agent; https: https.Agent }, p: Probe): Promise<Got> {
    return new Promise((resolve, reject) => {
        const lib = p.scheme === "https" ? https : http;
        const r = lib.request({
            host: "127.0.0.1", port: p.port, path: p.path, headers: { host: p.host }, timeout: 5000,
            ...(p.scheme === "https" ? { servername: p.host, rejectUnauthorized: false, agent: agents.https } : { agent: agents.http }),
        }, res => {
            const cn = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().subject?.CN : undefined;
            let body = "";
            res.setEncoding("latin1");
            res.on("data", d => { body += d; });
            res.on("end", () => resolve({
                status: res.statusCode ?? 0,
                ...(res.statusCode === 200 && body.startsWith("{") ? { backend: JSON.parse(body).name as string } : {}),
                ...(cn !== undefined ? { certificateCN: String(cn) } : {}),
            }));
        });
        r.on("timeout", () => r.destroy(new Error(`timeout: ${p.scheme}://${p.host}:${p.port}${p.path}`)));
        r.on("error", reject);
        r.end();
    });
}

function inputOf(ports: { http: number; https: number; extra: number }, echoes: Map<string, Echo>): CompileInput {
    const all = { namespaces: { from: "All" as const } };
    return {
        gatewayClasses: [{ name: "nginx", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{
            name: "gw", namespace: "infra", gatewayClassName: "nginx",
            listeners: [
                { name: "http", port: ports.http, protocol: "HTTP", hostname: "gw.example.org", allowedRoutes: all },
                { name: "https", port: ports.https, protocol: "HTTPS", hostname: "gw.example.org", tls: { certificateRefs: [{ name: "gw-cert" }] }, allowedRoutes: all },
            ],
            allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: { listeners: "team" } } } },
        }],
        namespaces: [{ name: "team-a", labels: { listeners: "team" } }, { name: "team-b" }, { name: "infra" }],
        listenerSets: [
            {
                name: "shop", namespace: "team-a", parentRef: { name: "gw", namespace: "infra" },
                listeners: [
                    { name: "web", port: ports.http, protocol: "HTTP", hostname: "shop.example.org" },
                    { name: "secure", port: ports.https, protocol: "HTTPS", hostname: "shop.example.org", tls: { certificateRefs: [{ name: "shop-cert" }] } },
                    { name: "admin", port: ports.extra, protocol: "HTTP", hostname: "shop.example.org" },
                    // Claims the operator's host and port: Conflicted, kept out of the plan.
                    { name: "grab", port: ports.http, protocol: "HTTP", hostname: "gw.example.org" },
                ],
            },
            { name: "evil", namespace: "team-b", parentRef: { name: "gw", namespace: "infra" }, listeners: [{ name: "web", port: ports.http, protocol: "HTTP", hostname: "evil.example.org" }] },
        ],
        services: [...echoes.values()].map(e => ({ name: e.name, namespace: e.name === "operator" ? "infra" : e.name === "evil" ? "team-b" : "team-a", ports: [{ port: 8080, targetPort: e.port }], endpoints: [{ address: "127.0.0.1" }] })),
        routes: [
            { name: "site", namespace: "infra", parentRefs: [{ name: "gw" }], rules: [{ backendRefs: [{ name: "operator", port: 8080 }] }] },
            // Every listener of the ListenerSet (no sectionName); /admin only on the admin listener.
            { name: "shop", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "shop" }], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] },
            { name: "admin", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "shop", sectionName: "admin" }], rules: [{ matches: [{ path: { value: "/admin" } }], backendRefs: [{ name: "shop-admin", port: 8080 }] }] },
            // Attached to the conflicted listener: must never receive the operator's host.
            { name: "grab", namespace: "team-a", parentRefs: [{ kind: "ListenerSet", name: "shop", sectionName: "grab" }], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] },
            { name: "evil", namespace: "team-b", parentRefs: [{ kind: "ListenerSet", name: "evil" }], rules: [{ backendRefs: [{ name: "evil", port: 8080 }] }] },
        ],
    };
}

function expected(plan: RoutingPlan, p: Probe): Got {
    const sim = simulate(plan, { scheme: p.scheme, port: p.port, host: p.host, path: p.path });
    const o = sim.outcomes.length === 1 ? sim.outcomes[0] : undefined;
    return { status: o?.status ?? sim.status, ...(o?.backend ? { backend: o.backend.service.split("/")[1] } : {}) };
}

describe("nginx: ListenerSet listeners merged into the operator's Gateway (real nginx, against simulate)", function () {
    this.timeout(120000);
    const echoes = new Map(["operator", "shop", "shop-admin", "evil"].map(n => [n, new Echo(n)]));
    const agents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false, maxCachedSessions: 0 }) }; // no resumption: every handshake shows its certificate
    let dir = "";

    before(async function () {
        requireNginx(this);
        for (const e of echoes.values()) await e.start();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-ls-"));
        fs.chmodSync(dir, 0o711);
    });
    after(async () => {
        agents.http.destroy(); agents.https.destroy();
        if (dir) { try { await stopInstance(path.join(dir, "nginx")); } finally { fs.rmSync(dir, { recursive: true, force: true }); } }
        for (const e of echoes.values()) await e.stop();
    });

    it("serves the team's hostname, HTTPS certificate and new port as simulate says; the conflicted and unadmitted listeners change nothing", async () => {
        const ports = { http: await freePort(), https: await freePort(), extra: await freePort() };
        const plan = compile(inputOf(ports, echoes));
        const gw = plan.gateways[0];
        assert.deepEqual(gw.listeners.map(l => l.name), ["http", "https", "team-a/shop/web", "team-a/shop/secure", "team-a/shop/admin"]);
        const ls = new Map(plan.listenerSets!.map(s => [s.listenerSet, s]));
        assert.equal(ls.get("team-b/evil")!.conditions[0].reason, "NotAllowed");
        assert.equal(ls.get("team-a/shop")!.listeners.find(l => l.name === "grab")!.conditions.find(c => c.type === "Conflicted")!.reason, "HostnameConflict");

        const inst = path.join(dir, "nginx");
        const certificates = { "infra/gw-cert": selfSigned(dir, "gw.example.org"), "team-a/shop-cert": selfSigned(dir, "shop.example.org") };
        await applyConfig(inst, renderNginx(gw, { dir: inst, generation: "g1", certificates }), "g1");

        const probes: Probe[] = [];
        for (const host of ["gw.example.org", "shop.example.org", "evil.example.org", "other.example.org"]) {
            for (const p of ["/", "/admin", "/admin/x", "/x"]) {
                probes.push({ scheme: "http", port: ports.http, host, path: p }, { scheme: "http", port: ports.extra, host, path: p });
                if (host === "gw.example.org" || host === "shop.example.org") probes.push({ scheme: "https", port: ports.https, host, path: p });
            }
        }
        const mismatches: string[] = [];
        const served = new Set<string>();
        for (const p of probes) {
            const got = await request(agents, p);
            const want = expected(plan, p);
            const where = `${p.scheme}://${p.host}:${p.port === ports.http ? "http" : p.port === ports.https ? "https" : "extra"}${p.path}`;
            if (got.status !== want.status || got.backend !== want.backend) mismatches.push(`${where}: nginx ${got.status} ${got.backend ?? "-"}, simulate ${want.status} ${want.backend ?? "-"}`);
            if (p.scheme === "https" && got.certificateCN !== p.host) mismatches.push(`${where}: certificate CN ${got.certificateCN}, want ${p.host}`);
            if (got.backend) served.add(`${p.host} ${got.backend}`);
        }
        console.log(`      ${probes.length} probes over ${gw.ports.length} ports, ${mismatches.length} mismatches`);
        assert.deepEqual(mismatches, []);
        // What the assertions above rest on: each listener did serve, and nothing else did.
        assert.deepEqual([...served].sort(), ["gw.example.org operator", "shop.example.org shop", "shop.example.org shop-admin"]);
    });
});

// ---------------------------------------------------------------- generated merges

const HOST_POOL = [undefined, "*.example.org", "a.example.org", "x.a.example.org"];
const PROBE_HOSTS = ["a.example.org", "b.example.org", "x.a.example.org", "y.a.example.org", "other.net"];

interface GenListener { port: 0 | 1; hostname: string | undefined }
interface GenTable { gateway: GenListener[]; sets: { namespace: "team-a" | "team-b"; name: string; listeners: GenListener[] }[] }

const genListener = fc.record({ port: fc.constantFrom<0 | 1>(0, 1), hostname: fc.constantFrom(...HOST_POOL) });
const distinct = (ls: GenListener[]) => ls.filter((l, i) => ls.findIndex(o => o.port === l.port && o.hostname === l.hostname) === i);
const genTable: fc.Arbitrary<GenTable> = fc.record({
    gateway: fc.array(genListener, { minLength: 1, maxLength: 3 }).map(distinct),
    sets: fc.uniqueArray(fc.record({
        namespace: fc.constantFrom<"team-a" | "team-b">("team-a", "team-a", "team-b"),
        name: fc.constantFrom("one", "two", "three"),
        listeners: fc.array(genListener, { minLength: 1, maxLength: 3 }).map(distinct),
    }), { maxLength: 3, selector: s => `${s.namespace}/${s.name}` }),
});

/** One route per listener, each naming its listener in a response header, so a probe shows which listener served it. */
function generatedInput(t: GenTable, ports: [number, number], echoes: Map<string, Echo>): CompileInput {
    const tag = (name: string): HTTPRouteFilter => ({ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "x-listener", value: name }] } });
    const routes: HTTPRouteSpec[] = t.gateway.map((_, i) => ({
        name: `gw-l${i}`, namespace: "infra", parentRefs: [{ name: "gw", sectionName: `l${i}` }], rules: [{ filters: [tag(`l${i}`)], backendRefs: [{ name: "operator", port: 8080 }] }],
    }));
    for (const s of t.sets) {
        s.listeners.forEach((_, i) => routes.push({
            name: `${s.name}-l${i}`, namespace: s.namespace, parentRefs: [{ kind: "ListenerSet", name: s.name, sectionName: `l${i}` }],
            rules: [{ filters: [tag(`${s.namespace}/${s.name}/l${i}`)], backendRefs: [{ name: s.namespace, port: 8080 }] }],
        }));
    }
    const listener = (l: GenListener, name: string, extra: Partial<Listener> = {}): Listener => ({ name, port: ports[l.port], protocol: "HTTP", ...(l.hostname ? { hostname: l.hostname } : {}), ...extra });
    return {
        gatewayClasses: [{ name: "nginx", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{
            name: "gw", namespace: "infra", gatewayClassName: "nginx",
            listeners: t.gateway.map((l, i) => listener(l, `l${i}`)),
            allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: { listeners: "team" } } } },
        }],
        namespaces: [{ name: "team-a", labels: { listeners: "team" } }, { name: "team-b" }, { name: "infra" }],
        listenerSets: t.sets.map(s => ({ name: s.name, namespace: s.namespace, parentRef: { name: "gw", namespace: "infra" }, listeners: s.listeners.map((l, i) => listener(l, `l${i}`)) })),
        services: [["operator", "infra"], ["team-a", "team-a"], ["team-b", "team-b"]].map(([name, namespace]) => ({ name, namespace, ports: [{ port: 8080, targetPort: echoes.get(name)!.port }], endpoints: [{ address: "127.0.0.1" }] })),
        routes,
    };
}

function plainGet(agent: http.Agent, port: number, host: string): Promise<{ status: number; listener?: string; backend?: string }> {
    return new Promise((resolve, reject) => {
        const r = http.request({ host: "127.0.0.1", port, path: "/", headers: { host }, agent, timeout: 5000 }, res => {
            let body = "";
            res.setEncoding("latin1");
            res.on("data", d => { body += d; });
            res.on("end", () => resolve({
                status: res.statusCode ?? 0,
                ...(typeof res.headers["x-listener"] === "string" ? { listener: res.headers["x-listener"] } : {}),
                ...(res.statusCode === 200 && body.startsWith("{") ? { backend: JSON.parse(body).name as string } : {}),
            }));
        });
        r.on("timeout", () => r.destroy(new Error(`timeout: ${host}:${port}`)));
        r.on("error", reject);
        r.end();
    });
}

describe("nginx: generated Gateways and ListenerSets sharing ports and hostnames (fast-check, real nginx, against simulate)", function () {
    this.timeout(600000);
    const RUNS = Number(process.env.GK_LISTENERSET_RUNS ?? 25);
    const echoes = new Map(["operator", "team-a", "team-b"].map(n => [n, new Echo(n)]));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let dir = "";

    before(async function () {
        requireNginx(this);
        for (const e of echoes.values()) await e.start();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-lsgen-"));
        fs.chmodSync(dir, 0o711);
    });
    after(async () => {
        agent.destroy();
        if (dir) { try { await stopInstance(path.join(dir, "nginx")); } finally { fs.rmSync(dir, { recursive: true, force: true }); } }
        for (const e of echoes.values()) await e.stop();
    });

    it(`${RUNS} merges: every probe is answered by the listener and backend simulate names; team-b (not admitted) never answers`, async () => {
        const ports: [number, number] = [await freePort(), await freePort()];
        const inst = path.join(dir, "nginx");
        let generation = 0, probes = 0, byTeam = 0, conflicted = 0;
        const mismatches: string[] = [];
        await fc.assert(fc.asyncProperty(genTable, async t => {
            const plan = compile(generatedInput(t, ports, echoes));
            const gw = plan.gateways[0];
            conflicted += (plan.listenerSets ?? []).flatMap(s => s.listeners).filter(l => l.conditions.some(c => c.type === "Conflicted" && c.status === "True")).length;
            const gen = `g${++generation}`;
            await applyConfig(inst, renderNginx(gw, { dir: inst, generation: gen }), gen);
            const bad: string[] = [];
            // A port no listener of the merge has is not bound at all.
            for (const port of ports.filter(p => gw.ports.some(pp => pp.port === p))) {
                for (const host of PROBE_HOSTS) {
                    const got = await plainGet(agent, port, host);
                    const sim = simulate(plan, { port, host, path: "/" });
                    const o = sim.outcomes.length === 1 ? sim.outcomes[0] : undefined;
                    const want = { status: o?.status ?? sim.status, listener: o?.responseHeaders.set["x-listener"], backend: o?.backend?.service.split("/")[1] };
                    if (got.status !== want.status || got.listener !== want.listener || got.backend !== want.backend) {
                        bad.push(`${host}:${port === ports[0] ? 0 : 1}: nginx ${got.status} ${got.listener ?? "-"} ${got.backend ?? "-"}, simulate ${want.status} ${want.listener ?? "-"} ${want.backend ?? "-"}`);
                    }
                    if (got.backend === "team-b") bad.push(`${host}: served by team-b, whose namespace the Gateway does not admit`);
                    if (got.backend === "team-a") byTeam++;
                    probes++;
                }
            }
            if (bad.length) mismatches.push(`${JSON.stringify(t)}:\n  ${bad.join("\n  ")}`);
            return bad.length === 0;
        }), { seed: 20261202, numRuns: RUNS, endOnFailure: true });
        console.log(`      ${RUNS} merges, ${probes} probes (${byTeam} served by a team ListenerSet), ${conflicted} conflicted ListenerSet listeners, ${mismatches.length} mismatches`);
        assert.deepEqual(mismatches, []);
        assert.ok(byTeam > 0 && conflicted > 0, "the generator reached team-served hosts and conflicts");
    });
});
