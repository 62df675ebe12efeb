// Real-traffic conformance harness: echo backends (local/echo-server.js), one nginx
// instance reloaded per case, HTTP(S) requests to 127.0.0.1 with Host/SNI, and every answer checked
// twice: against routing/simulate's prediction for the same request (the reference) and against the
// upstream conformance test's expectation written in the case.
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { compile } from "../../routing/compile";
import { GatewayPlan, RoutingPlan } from "../../routing/plan";
import { simulate, SimRequest, SimResult } from "../../routing/simulate";
import { GRPCSimResult, simulateGRPC } from "../../routing/simulate/grpc";
import { GatewaySpec, GatewayTLS, GRPCRouteSpec, HTTPRouteSpec, Listener, ServiceSpec } from "../../routing/types";
import { GrpcCallResult, GrpcEcho, grpcCall } from "./grpc-echo";
import { applyConfig, stopInstance } from "../../providers/nginx/runtime/apply";
import { findNginx } from "../../providers/nginx/runtime/process";
import { renderNginx, TlsMaterial } from "../../providers/nginx/model";

export const NS = "infra";
export const BACKENDS = ["infra-backend-v1", "infra-backend-v2", "infra-backend-v3"];
export const GRPC_BACKENDS = ["grpc-infra-backend-v1", "grpc-infra-backend-v2", "grpc-infra-backend-v3"];
const ECHO = path.join(__dirname, "..", "..", "local", "echo-server.js");

export interface Req {
    host?: string;
    path: string;
    method?: string;
    headers?: Record<string, string>;
    scheme?: "http" | "https";
    /** A fixture port (e.g. 80, 443); defaults to the first listener's. */
    port?: number;
    /**
     * HTTPS: the client certificate to present, issued by the CA of that name (CLIENT_CAS); absent: none.
     * Each identity has its own connections, so a certificate never rides on another's connection.
     */
    clientCertificate?: ClientCA;
}

/** The CAs whose ConfigMaps a case's gatewayTLS may name (upstream's names), each issuing one client certificate. */
export const CLIENT_CAS = ["tls-validity-checks-ca-certificate", "tls-validity-checks-per-port-ca-certificate"] as const;
export type ClientCA = typeof CLIENT_CAS[number];

/** What the upstream conformance test expects. `{port}` in a location is ":<the listener's real port>". */
export interface Expect {
    status?: number;
    backend?: string;
    path?: string;
    host?: string;
    headers?: Record<string, string>;
    absent?: string[];
    location?: string;
    respHeaders?: Record<string, string>;
    respAbsent?: string[];
    /** Upstream's StatusCodes: any of these. */
    statusIn?: number[];
    /** Upstream's ValidHeaderValues with IgnoreWhitespace: the response header equals one of these, spaces aside. */
    respOneOf?: Record<string, string[]>;
    /**
     * Client-certificate validation refuses the request: nginx completes the handshake and answers 400
     * ("No required SSL certificate was sent" / "The SSL certificate error") before any route. simulate
     * models routing, not the TLS layer, so only this is checked.
     */
    clientCertificateRefused?: boolean;
}

export interface Case {
    name: string;
    listeners?: Listener[];
    routes: HTTPRouteSpec[];
    grpcRoutes?: GRPCRouteSpec[];
    requests?: [Req, Expect][];
    /** Extra checks with real traffic (weights, mirrors). Throw to fail. */
    custom?: (h: CaseContext) => Promise<void>;
    /** The nginx class parameter trustedProxies for this case. */
    trustedProxies?: string[];
    /** The Gateway's spec.tls, with fixture ports in perPort (remapped like the listeners'); CA refs name CLIENT_CAS. */
    gatewayTLS?: GatewayTLS;
}

export interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string; echo?: { name: string; method: string; path: string; headers: Record<string, string> } }

export interface CaseContext {
    plan: RoutingPlan;
    send(req: Req): Promise<Answer>;
    /** Requests the named echo backend saw since the last clear. */
    seen(backend: string): Promise<{ count: number; requests: { path: string; headers: Record<string, string> }[] }>;
    clearSeen(backend: string): Promise<void>;
    /** The request as simulate sees it (ports remapped). */
    simulate(req: Req): SimResult;
    /** The real port a request goes to (fixture ports are remapped to free ones). */
    listenerPort(req: Req): number;
    /** A unary gRPC call through the gateway (h2c, or TLS when the fixture port is HTTPS), and simulate's view of it. */
    grpc(call: GrpcReq): Promise<{ got: GrpcCallResult; sim: GRPCSimResult }>;
}

export interface GrpcReq { host?: string; service: string; method: string; metadata?: Record<string, string>; port?: number }

export class Harness {
    private echoes: ChildProcess[] = [];
    private grpcEchoes = GRPC_BACKENDS.map(name => new GrpcEcho(name));
    readonly echoPorts = new Map<string, number>();
    readonly dir: string;
    private tls?: TlsMaterial;
    /** Per CLIENT_CAS name: the CA certificate and a client certificate it issued, with an agent presenting it. */
    private clientCAs = new Map<ClientCA, { ca: string; agent: https.Agent }>();
    private agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    private tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
    private generation = 0;

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-conf-"));
        fs.chmodSync(this.dir, 0o711); // as root, nginx's workers run unprivileged and must reach the instance dirs below
    }

    async start(): Promise<void> {
        findNginx(); // fail early with the install hint
        for (const name of BACKENDS) {
            const portFile = path.join(this.dir, `${name}.port`);
            const child = spawn(process.execPath, [ECHO, "--name", name, "--port", "0", "--portfile", portFile], { stdio: ["ignore", "ignore", "inherit"] });
            this.echoes.push(child);
            const deadline = Date.now() + 5000;
            while (!fs.existsSync(portFile) || !fs.readFileSync(portFile, "utf8").trim()) {
                if (Date.now() > deadline) throw new Error(`echo backend ${name} did not start`);
                await sleep(20);
            }
            this.echoPorts.set(name, Number(fs.readFileSync(portFile, "utf8").trim()));
        }
        for (const g of this.grpcEchoes) await g.start();
        this.tls = selfSigned(this.dir);
        for (const name of CLIENT_CAS) {
            const { ca, client } = clientPki(this.dir, name);
            this.clientCAs.set(name, { ca, agent: new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: false, cert: client.certificate, key: client.privateKey }) });
        }
    }

    async stop(): Promise<void> {
        this.agent.destroy();
        this.tlsAgent.destroy();
        for (const c of this.clientCAs.values()) c.agent.destroy();
        try { await stopInstance(path.join(this.dir, "nginx")); } finally {
            await Promise.all(this.grpcEchoes.map(g => g.stop()));
            for (const c of this.echoes) c.kill("SIGTERM");
            await Promise.all(this.echoes.map(c => (c.exitCode === null ? new Promise(r => c.once("exit", r)) : Promise.resolve())));
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }

    services(): ServiceSpec[] {
        // Port 8081 is the same echo declared as a WebSocket backend (the echo accepts handshakes).
        return BACKENDS.map(name => ({
            name, namespace: NS, endpoints: [{ address: "127.0.0.1" }],
            ports: [{ port: 8080, targetPort: this.echoPorts.get(name)! }, { port: 8081, targetPort: this.echoPorts.get(name)!, appProtocol: "kubernetes.io/ws" }],
        })).concat(this.grpcEchoes.map(g => ({ name: g.name, namespace: NS, endpoints: [{ address: "127.0.0.1" }], ports: [{ port: 8080, targetPort: g.port }] })));
    }

    /** Compiles, renders and applies a case; returns the context to send requests with. */
    async load(c: Case): Promise<CaseContext> {
        const fixtureListeners = c.listeners ?? [{ name: "http", port: 80, protocol: "HTTP" as const }];
        const portMap = new Map<number, number>();
        for (const l of fixtureListeners) if (!portMap.has(l.port)) portMap.set(l.port, await freePort());
        const listeners = fixtureListeners.map(l => ({ ...l, port: portMap.get(l.port)! }));
        const tls = c.gatewayTLS?.frontend ? {
            ...c.gatewayTLS,
            frontend: { ...c.gatewayTLS.frontend, ...(c.gatewayTLS.frontend.perPort ? { perPort: c.gatewayTLS.frontend.perPort.map(p => ({ ...p, port: portMap.get(p.port) ?? p.port })) } : {}) },
        } : c.gatewayTLS;
        const gateway: GatewaySpec = { name: "same-namespace", namespace: NS, gatewayClassName: "conformance", listeners, ...(tls ? { tls } : {}) };
        const plan = compile({
            gatewayClasses: [{ name: "conformance", controllerName: "gatewaykit.dev/nginx" }],
            gateways: [gateway], routes: c.routes, ...(c.grpcRoutes ? { grpcRoutes: c.grpcRoutes } : {}), services: this.services(),
        });
        const gp: GatewayPlan = plan.gateways[0];
        const certificates: Record<string, TlsMaterial> = {};
        for (const l of gp.listeners) for (const ref of l.tls?.certificateRefs ?? []) certificates[`${ref.namespace ?? NS}/${ref.name}`] = this.tls!;
        const caCertificates: Record<string, string> = {};
        for (const p of gp.ports) {
            for (const key of p.frontendValidation?.caCertificateKeys ?? []) {
                const known = this.clientCAs.get(key.slice(key.indexOf("/") + 1) as ClientCA);
                if (known) caCertificates[key] = known.ca;
            }
        }
        const generation = `${c.name}-${++this.generation}`;
        const instDir = path.join(this.dir, "nginx");
        await applyConfig(instDir, renderNginx(gp, { dir: instDir, generation, certificates, caCertificates, ...(c.trustedProxies ? { trustedProxies: c.trustedProxies } : {}) }), generation);
        const firstPort = fixtureListeners[0].port;
        const realPort = (req: Req) => portMap.get(req.port ?? firstPort)!;
        const schemeOf = (req: Req) => req.scheme ?? (fixtureListeners.find(l => l.port === (req.port ?? firstPort))?.protocol === "HTTPS" ? "https" : "http");
        const ctx: CaseContext = {
            plan,
            send: req => this.request(schemeOf(req), realPort(req), req),
            seen: async backend => JSON.parse((await this.request("http", this.echoPorts.get(backend)!, { path: "/__seen", host: "echo" })).body),
            clearSeen: async backend => { await this.request("http", this.echoPorts.get(backend)!, { path: "/__seen", host: "echo", method: "DELETE" }); },
            simulate: req => simulate(plan, simRequest(req, schemeOf(req), realPort(req))),
            listenerPort: realPort,
            grpc: async call => {
                const req: Req = { path: "/", ...(call.port !== undefined ? { port: call.port } : {}) };
                const tls = schemeOf(req) === "https";
                const host = call.host ?? "example.com";
                const got = await grpcCall(realPort(req), host, call.service, call.method, call.metadata, tls);
                const sim = simulateGRPC(plan, { scheme: tls ? "https" : "http", port: realPort(req), host, service: call.service, method: call.method, ...(call.metadata ? { metadata: call.metadata } : {}) });
                return { got, sim };
            },
        };
        return ctx;
    }

    request(scheme: "http" | "https", port: number, req: Req): Promise<Answer> {
        const host = req.host ?? "example.com";
        const lib = scheme === "https" ? https : http;
        return new Promise((resolve, reject) => {
            const r = lib.request({
                host: "127.0.0.1", port, method: req.method ?? "GET", path: req.path,
                headers: { host, ...(req.headers ?? {}) },
                agent: scheme === "https" ? (req.clientCertificate ? this.clientCAs.get(req.clientCertificate)!.agent : this.tlsAgent) : this.agent,
                ...(scheme === "https" ? { servername: host.replace(/:\d+$/, ""), rejectUnauthorized: false } : {}),
                timeout: 5000,
            }, res => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", d => { body += d; });
                res.on("end", () => {
                    let echo: Answer["echo"];
                    if (res.statusCode === 200 && body.startsWith("{")) {
                        try { echo = JSON.parse(body); } catch { /* not the echo */ }
                    }
                    resolve({ status: res.statusCode ?? 0, headers: res.headers, body, echo });
                });
            });
            r.on("timeout", () => r.destroy(new Error(`timeout: ${req.method ?? "GET"} ${host}${req.path}`)));
            r.on("error", reject);
            r.end();
        });
    }
}

function simRequest(req: Req, scheme: "http" | "https", port: number): SimRequest {
    return { scheme, port, host: req.host ?? "example.com", method: req.method ?? "GET", path: req.path, headers: req.headers };
}

/** Checks one answer against simulate's prediction and the upstream expectation; returns the problems. */
export function check(ctx: CaseContext, req: Req, want: Expect, got: Answer, listenerPort: number): string[] {
    const problems: string[] = [];
    const label = `${req.method ?? "GET"} ${req.host ?? "example.com"}${req.path}${req.headers ? " " + JSON.stringify(req.headers) : ""}`;
    const bad = (what: string) => problems.push(`${label}: ${what}`);
    if (want.clientCertificateRefused) {
        if (got.status !== 400 || !/SSL certificate/.test(got.body)) bad(`status ${got.status}${got.echo ? ` from ${got.echo.name}` : ""}, upstream expects the client certificate refused (nginx: 400 before any route)`);
        return problems;
    }
    const sim = ctx.simulate(req);

    // 1. The simulator's prediction (deterministic outcomes only; weighted ones are checked by counts).
    if (sim.outcomes.length === 1) {
        const o = sim.outcomes[0];
        if (got.status !== o.status) bad(`status ${got.status}, simulate predicts ${o.status}`);
        if (o.status === 200 && o.backend) {
            const name = o.backend.service.replace(`${NS}/`, "");
            if (got.echo?.name !== name) bad(`answered by ${got.echo?.name ?? "no echo backend"}, simulate predicts ${name}`);
            if (got.echo && got.echo.path !== o.request.path) bad(`backend saw path ${got.echo.path}, simulate predicts ${o.request.path}`);
            if (got.echo && got.echo.headers.host !== o.request.host) bad(`backend saw Host ${got.echo.headers.host}, simulate predicts ${o.request.host}`);
            for (const [k, v] of Object.entries(o.request.headers)) {
                if (k === "host") continue;
                if (got.echo && got.echo.headers[k] !== v) bad(`backend saw ${k}: ${JSON.stringify(got.echo.headers[k])}, simulate predicts ${JSON.stringify(v)}`);
            }
            for (const k of Object.keys(req.headers ?? {})) {
                const lk = k.toLowerCase();
                if (lk !== "host" && !(lk in o.request.headers) && got.echo && lk in got.echo.headers) bad(`backend saw ${lk}, which simulate removes`);
            }
        }
        for (const [k, v] of Object.entries(o.responseHeaders.set)) if (got.headers[k] !== v) bad(`response ${k}: ${JSON.stringify(got.headers[k])}, simulate predicts ${JSON.stringify(v)}`);
        // An add appends to whatever the backend sent, which simulate cannot know: the value must end the header.
        for (const [k, v] of Object.entries(o.responseHeaders.add)) if (got.headers[k] !== v && !String(got.headers[k]).endsWith("," + v)) bad(`response ${k}: ${JSON.stringify(got.headers[k])}, simulate predicts ${JSON.stringify(v)}`);
        for (const k of o.responseHeaders.remove) if (k in got.headers && !(k in o.responseHeaders.set) && !(k in o.responseHeaders.add)) bad(`response has ${k}, which simulate removes`);
    }
    if (sim.redirect && got.headers.location !== sim.redirect.location) bad(`Location ${JSON.stringify(got.headers.location)}, simulate predicts ${JSON.stringify(sim.redirect.location)}`);

    // 2. The upstream conformance expectation.
    if (want.status !== undefined && got.status !== want.status) bad(`status ${got.status}, upstream expects ${want.status}`);
    if (want.backend !== undefined && got.echo?.name !== want.backend) bad(`answered by ${got.echo?.name ?? `status ${got.status}`}, upstream expects ${want.backend}`);
    if (want.path !== undefined && got.echo?.path !== want.path) bad(`backend saw path ${got.echo?.path}, upstream expects ${want.path}`);
    if (want.host !== undefined && got.echo?.headers.host !== want.host) bad(`backend saw Host ${got.echo?.headers.host}, upstream expects ${want.host}`);
    for (const [k, v] of Object.entries(want.headers ?? {})) if (got.echo?.headers[k.toLowerCase()] !== v) bad(`backend saw ${k}: ${JSON.stringify(got.echo?.headers[k.toLowerCase()])}, upstream expects ${JSON.stringify(v)}`);
    for (const k of want.absent ?? []) if (got.echo && k.toLowerCase() in got.echo.headers) bad(`backend saw ${k}, upstream expects it removed`);
    if (want.location !== undefined) {
        const loc = want.location.replace("{port}", `:${listenerPort}`);
        if (got.headers.location !== loc) bad(`Location ${JSON.stringify(got.headers.location)}, upstream expects ${JSON.stringify(loc)}`);
    }
    for (const [k, v] of Object.entries(want.respHeaders ?? {})) if (got.headers[k.toLowerCase()] !== v) bad(`response ${k}: ${JSON.stringify(got.headers[k.toLowerCase()])}, upstream expects ${JSON.stringify(v)}`);
    for (const k of want.respAbsent ?? []) if (k.toLowerCase() in got.headers) bad(`response has ${k}, upstream expects it removed`);
    if (want.statusIn && !want.statusIn.includes(got.status)) bad(`status ${got.status}, upstream expects one of ${want.statusIn.join(", ")}`);
    const noSpace = (v: unknown) => String(v).replace(/\s+/g, "");
    for (const [k, vs] of Object.entries(want.respOneOf ?? {})) {
        const v = got.headers[k.toLowerCase()];
        if (v === undefined || !vs.some(w => noSpace(w) === noSpace(v))) bad(`response ${k}: ${JSON.stringify(v)}, upstream expects one of ${JSON.stringify(vs)}`);
    }
    return problems;
}

/** Runs one case end to end; returns the problems (empty = pass). */
export async function runCase(h: Harness, c: Case): Promise<string[]> {
    const ctx = await h.load(c);
    const problems: string[] = [];
    for (const [req, want] of c.requests ?? []) {
        const got = await ctx.send(req);
        problems.push(...check(ctx, req, want, got, ctx.listenerPort(req)));
    }
    if (c.custom) {
        try { await c.custom(ctx); } catch (e) { problems.push((e as Error).message); }
    }
    return problems;
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

/** A CA (openssl) and a client certificate it issued (extendedKeyUsage clientAuth). */
function clientPki(dir: string, name: string): { ca: string; client: TlsMaterial } {
    const base = path.join(dir, name);
    const run = (args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", `${base}-ca.key`, "-out", `${base}-ca.crt`]);
    fs.writeFileSync(`${base}.ext`, "extendedKeyUsage=clientAuth\n");
    run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=client-of-${name}`, "-keyout", `${base}.key`, "-out", `${base}.csr`]);
    run(["x509", "-req", "-in", `${base}.csr`, "-CA", `${base}-ca.crt`, "-CAkey", `${base}-ca.key`, "-CAcreateserial", "-days", "2", "-extfile", `${base}.ext`, "-out", `${base}.crt`]);
    const out = { ca: fs.readFileSync(`${base}-ca.crt`, "utf8"), client: { certificate: fs.readFileSync(`${base}.crt`, "utf8"), privateKey: fs.readFileSync(`${base}.key`, "utf8") } };
    fs.rmSync(`${base}-ca.key`);
    fs.rmSync(`${base}.key`);
    return out;
}

function selfSigned(dir: string): TlsMaterial {
    const key = path.join(dir, "tls.key"), crt = path.join(dir, "tls.crt");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=example.org",
        "-addext", "subjectAltName=DNS:example.org,DNS:second-example.org,DNS:*.example.org", "-keyout", key, "-out", crt], { stdio: "ignore" });
    const m = { certificate: fs.readFileSync(crt, "utf8"), privateKey: fs.readFileSync(key, "utf8") };
    fs.rmSync(key);
    return m;
}

export function sleep(ms: number): Promise<void> {
    return new Promise(r => setTimeout(r, ms));
}
