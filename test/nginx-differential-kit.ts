// Real nginx against routing/simulate, request by request: in-process echo backends that report the
// request exactly as it arrived, a client that sends a probe, and the comparison of nginx's answer
// with simulate's (status, backend, path, headers both ways, redirect Location). Shared by the
// hostile-values suite and the dispatch differential suite.
import * as http from "http";
import * as net from "net";
import { RoutingPlan } from "../routing/plan";
import { simulate, SimRequest } from "../routing/simulate";
import { NGINX_REQUEST_HEADERS } from "../providers/nginx/model/headers";

export interface Probe { method?: string; path: string; host?: string; headers?: Record<string, string | string[]> }

// ---------------------------------------------------------------- echo backends (in-process)

export interface Seen { name: string; method: string; path: string; headers: Record<string, string> }

/** The request as it arrived: raw header lines, names lower-cased, repeated lines joined with ",". */
function seenOf(name: string, req: http.IncomingMessage): Seen {
    const headers: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i].toLowerCase();
        headers[k] = k in headers ? `${headers[k]},${req.rawHeaders[i + 1]}` : req.rawHeaders[i + 1];
    }
    return { name, method: req.method ?? "", path: req.url ?? "", headers };
}

/** Response headers every echo answer carries, which a response modifier's add appends to. */
export const ECHO_RESPONSE: Record<string, string> = { "content-type": "application/json", "x-backend": "b1" };

export class Echo {
    readonly mirrored = new Map<string, Seen>();
    private server?: http.Server;
    port = 0;
    constructor(readonly name: string) {}
    async start(): Promise<void> {
        this.server = http.createServer((req, res) => {
            req.resume();
            req.on("end", () => {
                const seen = seenOf(this.name, req);
                const probe = seen.headers["x-gk-probe"];
                if (probe !== undefined) this.mirrored.set(probe, seen);
                const body = JSON.stringify(seen);
                // Response headers a response modifier may add to: the backend's own value comes first.
                // Latin-1 both ways: each byte of the request is one character of the report.
                res.writeHead(200, { ...ECHO_RESPONSE, "content-length": Buffer.byteLength(body, "latin1") });
                res.end(body, "latin1");
            });
        });
        this.server.keepAliveTimeout = 65000;
        await new Promise<void>(r => this.server!.listen(0, "127.0.0.1", () => r()));
        this.port = (this.server.address() as net.AddressInfo).port;
    }
    async stop(): Promise<void> {
        this.server?.closeAllConnections();
        await new Promise(r => this.server ? this.server.close(r) : r(undefined));
    }
}

export function isToken(n: string): boolean {
    return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(n);
}


// ---------------------------------------------------------------- comparing nginx with simulate

export interface Answer { status: number; headers: http.IncomingHttpHeaders; echo?: Seen }

export function send(agent: http.Agent, port: number, p: Probe, probeId: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const headers: http.OutgoingHttpHeaders = { host: p.host ?? "x.t", "x-gk-probe": probeId, ...(p.headers ?? {}) };
        const r = http.request({ host: "127.0.0.1", port, method: p.method ?? "GET", path: p.path, headers, agent, timeout: 5000 }, res => {
            let body = "";
            res.setEncoding("latin1");
            res.on("data", d => { body += d; });
            res.on("end", () => {
                let echo: Seen | undefined;
                if (res.statusCode === 200 && body.startsWith("{")) echo = JSON.parse(body);
                resolve({ status: res.statusCode ?? 0, headers: res.headers, echo });
            });
        });
        r.on("timeout", () => r.destroy(new Error(`timeout: ${p.method ?? "GET"} ${p.host}${p.path}`)));
        r.on("error", reject);
        r.end();
    });
}

/** Can Node's http send this probe at all? (It refuses some methods, paths and header values itself.) */
export function sendable(p: Probe): boolean {
    if (!/^[\u0021-\u007e]*$/.test(p.path) || !p.path.startsWith("/")) return false;
    // nginx answers 400 to malformed percent-escapes and %00 before routing: that belongs to the
    // path-normalisation policy (routing/simulate path matching), not to this suite.
    if (/%(?![0-9A-Fa-f]{2})|%00/.test(p.path.split("?")[0])) return false;
    if (p.path.includes("#")) return false; // a fragment: clients never send one
    // An empty query ("/a?"): simulate drops the "?", nginx forwards $request_uri as sent — a
    // request-target question for the path-normalisation policy, left to it.
    if (/\?$/.test(p.path)) return false;

    // CONNECT turns Node's client into a tunnel (no response event); nginx refuses it anyway.
    if (p.method !== undefined && (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(p.method) || p.method.toUpperCase() === "CONNECT")) return false;
    for (const [k, v] of Object.entries(p.headers ?? {})) {
        // Node's client refuses or acts on these itself (framing, 100-continue, the authority).
        if (!isToken(k) || ["content-length", "transfer-encoding", "trailer", "expect", "host"].includes(k.toLowerCase())) return false;
        for (const one of Array.isArray(v) ? v : [v]) if (/[^\t\u0020-\u007e\u0080-\u00ff]/.test(one)) return false;
    }
    return true;
}

/**
 * The request as simulate should see it. Declared nginx behaviour: client request headers whose names
 * are not letters, digits and "-" (underscores included) are dropped on arrival, never matched or
 * forwarded — so they are left out here, and the backend must not see them.
 */
export function simOf(plan: RoutingPlan, port: number, p: Probe, probeId: string) {
    const headers: Record<string, string | string[]> = { "x-gk-probe": probeId };
    for (const [k, v] of Object.entries(p.headers ?? {})) if (/^[A-Za-z0-9-]+$/.test(k)) headers[k] = v;
    const req: SimRequest = { port, host: p.host ?? "x.t", method: p.method ?? "GET", path: p.path, headers };
    return simulate(plan, req);
}

/** Headers the data plane writes itself (the authority, connection handling, message framing, who called). */
export const NGINX_OWN = new Set(["host", "connection", "content-length", "transfer-encoding", ...NGINX_REQUEST_HEADERS]);

export function compare(plan: RoutingPlan, port: number, p: Probe, probeId: string, got: Answer): string[] {
    const sim = simOf(plan, port, p, probeId);
    const out: string[] = [];
    const bad = (s: string) => out.push(`${p.method ?? "GET"} ${p.host}${p.path} ${JSON.stringify(p.headers ?? {})}: ${s}`);
    if (sim.outcomes.length !== 1) return out; // weighted rules are not generated here
    const o = sim.outcomes[0];
    if (got.status !== o.status) { bad(`status ${got.status}, simulate ${o.status}`); return out; }
    if (o.status === 200 && o.backend) {
        const want = o.backend.service.split("/")[1];
        if (p.method === "HEAD") return out; // no body: the echo's report cannot be read
        if (!got.echo) { bad("no echo answer"); return out; }
        if (got.echo.name !== want) bad(`answered by ${got.echo.name}, simulate ${want}`);
        if (got.echo.path !== o.request.path) bad(`backend path ${JSON.stringify(got.echo.path)}, simulate ${JSON.stringify(o.request.path)}`);
        if (got.echo.headers.host !== o.request.host) bad(`backend Host ${JSON.stringify(got.echo.headers.host)}, simulate ${JSON.stringify(o.request.host)}`);
        for (const [k, v] of Object.entries(o.request.headers)) {
            if (NGINX_OWN.has(k)) continue;
            if (got.echo.headers[k] !== v) bad(`backend ${k}: ${JSON.stringify(got.echo.headers[k])}, simulate ${JSON.stringify(v)}`);
        }
        for (const k of Object.keys(got.echo.headers)) if (!NGINX_OWN.has(k) && !(k in o.request.headers)) bad(`backend got ${k}: ${JSON.stringify(got.echo.headers[k])}, simulate does not send it`);
    }
    if (sim.redirect && got.headers.location !== sim.redirect.location) bad(`Location ${JSON.stringify(got.headers.location)}, simulate ${JSON.stringify(sim.redirect.location)}`);
    const rh = o.responseHeaders;
    const one = (k: string) => { const v = got.headers[k]; return Array.isArray(v) ? v.join(", ") : v; };
    for (const [k, v] of Object.entries(rh.set)) if (one(k) !== v) bad(`response ${k}: ${JSON.stringify(one(k))}, simulate ${JSON.stringify(v)}`);
    for (const [k, v] of Object.entries(rh.add)) {
        // An add appends to what the backend sent itself.
        const want = o.status === 200 && k in ECHO_RESPONSE && !rh.remove.includes(k) ? `${ECHO_RESPONSE[k]},${v}` : v;
        if (one(k) !== want) bad(`response ${k}: ${JSON.stringify(one(k))}, simulate ${JSON.stringify(want)}`);
    }
    for (const k of rh.remove) if (k in got.headers && !(k in rh.set) && !(k in rh.add)) bad(`response has ${k}, which simulate removes`);
    return out;
}
