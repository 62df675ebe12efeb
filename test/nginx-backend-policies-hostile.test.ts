// Hostile values in the backend-policy fields that reach the nginx config: consistent-hash header and
// cookie names, session header and cookie names (a rule's and a policy's), BackendTLSPolicy hostnames and SANs,
// retry codes. fast-check generates them; each is refused with a named error (GatewayValidationError
// from validation, NginxRenderError from the renderer) or accepted — and then every accepted value of a
// batch loads into ONE real nginx (nginx -t passes) beside another team's route, and real requests
// land where they should: each sample's route on its own backend (a TLS sample: 200 only for the name
// its backend's certificate carries, else 502), the other team's route untouched.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { compile } from "../routing/compile";
import { GatewayValidationError } from "../routing/errors";
import { CompileInput } from "../routing/plan";
import { BackendTrafficPolicySpec, HTTPRouteRule, HTTPRouteSpec, ServiceSpec } from "../routing/types";
import { applyConfig, stopInstance } from "../providers/nginx/runtime/apply";
import { findNginx } from "../providers/nginx/runtime/process";
import { NginxRenderError, renderNginx } from "../providers/nginx/model";
import { freePort } from "./conformance/harness";

const SEED = Number(process.env.GK_HOSTILE_SEED ?? 20261202);
const RUNS = Number(process.env.GK_POLICY_HOSTILE_RUNS ?? 300);

const PIECES = ["$", "${", "}", "{", ";", "\"", "'", "\\", "/", " ", "\t", "\n", "\u0000", "\u00ff", "-", "_", ".", "*", "~", "|", "#", "%",
    "$host", "${gk_path}", "gk_u1", "return 200;", "}\nserver {", "x", "A", "9", "user", "sid", "api", "internal", "spiffe://", ":", "@", "="];
const hostile = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 5 }).map(a => a.join(""));
const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}$/);
const name = fc.oneof(hostile, token, fc.constantFrom("X-User", "x_user", "Cookie", "Host", "sid", "SID", "a-b", "a.b", "x-gatewaykit-session"));
const hostname = fc.oneof(hostile, fc.constantFrom("api.internal", "API.internal", "*.internal", "a..b", "other.internal", "x", "api.internal.", "10.0.0.1"));

type Sample =
    | { kind: "hashHeader" | "hashCookie" | "sessionRule" | "sessionPolicy" | "cookieRule" | "cookiePolicy"; name: string }
    | { kind: "tls"; hostname: string; san?: string }
    | { kind: "retry"; codes: number[] };
const sample: fc.Arbitrary<Sample> = fc.oneof(
    fc.record({ kind: fc.constantFrom("hashHeader" as const, "hashCookie" as const, "sessionRule" as const, "sessionPolicy" as const, "cookieRule" as const, "cookiePolicy" as const), name }),
    fc.record({ kind: fc.constant("tls" as const), hostname, san: fc.option(hostname, { nil: undefined }) }),
    fc.record({ kind: fc.constant("retry" as const), codes: fc.array(fc.integer({ min: 380, max: 620 }), { maxLength: 3 }) }),
);

const NS = "default";

function makePki(dir: string): { ca: string; key: string; cert: string } {
    const f = (n: string) => path.join(dir, n);
    const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "2", "-subj", "/CN=hostile test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("srv.key"), "-out", f("srv.csr"), "-subj", "/CN=api.internal");
    fs.writeFileSync(f("ext.cnf"), "subjectAltName=DNS:api.internal\n");
    ssl("x509", "-req", "-in", f("srv.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("srv.crt"), "-days", "2", "-extfile", f("ext.cnf"));
    return { ca: fs.readFileSync(f("ca.crt"), "utf8"), key: fs.readFileSync(f("srv.key"), "utf8"), cert: fs.readFileSync(f("srv.crt"), "utf8") };
}

/** The Service and rule of sample `i`, on path /s<i>, backed by `port` (TLS samples: `tlsPort`). */
function specOf(s: Sample, i: number, port: number, tlsPort: number, ca: string): { svc: ServiceSpec; rule: HTTPRouteRule } {
    const svcName = `s${i}`;
    const svc: ServiceSpec = { name: svcName, namespace: NS, ports: [{ port: 8080, name: "web" }], endpoints: [{ address: "127.0.0.1", port: s.kind === "tls" ? tlsPort : port }, { address: "127.0.0.1", port }] };
    if (s.kind === "tls") svc.endpoints = [{ address: "127.0.0.1", port: tlsPort }];
    const rule: HTTPRouteRule = { matches: [{ path: { type: "PathPrefix", value: `/s${i}` } }], backendRefs: [{ name: svcName, port: 8080 }] };
    const policy = (spec: Partial<BackendTrafficPolicySpec>): BackendTrafficPolicySpec => ({ name: svcName, namespace: NS, targetRefs: [{ group: "", kind: "Service", name: svcName }], ...spec });
    switch (s.kind) {
        case "hashHeader": svc.backendTrafficPolicies = [policy({ loadBalancer: { type: "ConsistentHash", consistentHash: { type: "Header", header: { name: s.name } } } })]; break;
        case "hashCookie": svc.backendTrafficPolicies = [policy({ loadBalancer: { type: "ConsistentHash", consistentHash: { type: "Cookie", cookie: { name: s.name } } } })]; break;
        case "sessionPolicy": svc.backendTrafficPolicies = [policy({ sessionPersistence: { type: "Header", sessionName: s.name } })]; break;
        case "sessionRule": rule.sessionPersistence = { type: "Header", sessionName: s.name }; break;
        case "cookiePolicy": svc.backendTrafficPolicies = [policy({ sessionPersistence: { type: "Cookie", sessionName: s.name } })]; break;
        case "cookieRule": rule.sessionPersistence = { type: "Cookie", sessionName: s.name }; break;
        case "retry": rule.retry = { codes: s.codes, attempts: 1 }; break;
        case "tls":
            svc.backendTLSPolicies = [{
                name: svcName, namespace: NS, targetRefs: [{ group: "", kind: "Service", name: svcName }], caCertificates: { ca },
                validation: { hostname: s.hostname, caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "ca" }], ...(s.san !== undefined ? { subjectAltNames: [{ type: "Hostname", hostname: s.san }] } : {}) },
            }];
            break;
    }
    return { svc, rule };
}

function inputOf(port: number, services: ServiceSpec[], routes: HTTPRouteSpec[]): CompileInput {
    return {
        gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{ name: "gw", namespace: NS, gatewayClassName: "c", listeners: [{ name: "http", port, protocol: "HTTP" }] }],
        services, routes,
    };
}

function get(port: number, p: string, headers: Record<string, string>): Promise<{ status: number; body: string; setCookie?: string }> {
    return new Promise((resolve, reject) => {
        const r = http.request({ host: "127.0.0.1", port, path: p, headers: { host: "h.test", ...headers }, timeout: 5000 }, res => {
            let body = "";
            res.on("data", d => { body += d; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ...(res.headers["set-cookie"] ? { setCookie: res.headers["set-cookie"].join("\n") } : {}) }));
        });
        r.on("timeout", () => r.destroy(new Error(`GET ${p} timed out`)));
        r.on("error", reject);
        r.end();
    });
}

describe("nginx backend policies: hostile values (fast-check, real nginx)", function () {
    this.timeout(180000);
    let dir = "";
    const servers: net.Server[] = [];

    after(async () => {
        for (const s of servers) await new Promise(r => s.close(r));
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it(`${RUNS} hostile samples: each refused by name or loaded by nginx and routed right, beside another team's route`, async function () {
        try { findNginx(); } catch {
            if (process.env.CI === "true") throw new Error("nginx is not installed and CI=true: install nginx (e.g. apt-get install nginx-light)");
            console.warn("\n  !!! nginx not found: SKIPPING the hostile backend-policy test (set CI=true to make this a failure)\n");
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-bpolh-"));
        fs.chmodSync(dir, 0o711);
        const pki = makePki(dir);
        const answer = (who: string) => (_: http.IncomingMessage, res: http.ServerResponse) => { res.writeHead(200, { "content-type": "text/plain" }); res.end(who); };
        const mine = http.createServer(answer("mine")), other = http.createServer(answer("other")), tls = https.createServer({ key: pki.key, cert: pki.cert }, answer("tls"));
        servers.push(mine, other, tls);
        for (const s of servers) await new Promise<void>(r => s.listen(0, "127.0.0.1", () => r()));
        const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
        const port = await freePort();

        const samples = fc.sample(sample, { seed: SEED, numRuns: RUNS });
        const otherSvc: ServiceSpec = { name: "other", namespace: NS, ports: [{ port: 8080 }], endpoints: [{ address: "127.0.0.1", port: portOf(other) }] };
        const otherRoute: HTTPRouteSpec = { name: "other", namespace: NS, parentRefs: [{ name: "gw" }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/other" } }], backendRefs: [{ name: "other", port: 8080 }] }] };
        const accepted: { s: Sample; i: number; svc: ServiceSpec; rule: HTTPRouteRule }[] = [];
        const refused = { validation: 0, render: 0 };
        samples.forEach((s, i) => {
            const { svc, rule } = specOf(s, i, portOf(mine), portOf(tls), pki.ca);
            const route: HTTPRouteSpec = { name: `r${i}`, namespace: NS, parentRefs: [{ name: "gw" }], rules: [rule] };
            let plan;
            try {
                plan = compile(inputOf(port, [svc, otherSvc], [route, otherRoute]));
            } catch (e) {
                if (e instanceof GatewayValidationError) { refused.validation++; return; }
                throw new Error(`sample ${JSON.stringify(s)}: compile threw a raw ${(e as Error).name}: ${(e as Error).message}`);
            }
            try {
                renderNginx(plan.gateways[0], { dir: path.join(dir, "nginx"), generation: "probe" });
            } catch (e) {
                if (e instanceof NginxRenderError) { refused.render++; return; }
                throw new Error(`sample ${JSON.stringify(s)}: render threw a raw ${(e as Error).name}: ${(e as Error).message}`);
            }
            accepted.push({ s, i, svc, rule });
        });
        const plan = compile(inputOf(port, [otherSvc, ...accepted.map(a => a.svc)],
            [otherRoute, ...accepted.map(a => ({ name: `r${a.i}`, namespace: NS, parentRefs: [{ name: "gw" }], rules: [a.rule] }))]));
        const instDir = path.join(dir, "nginx");
        try {
            await applyConfig(instDir, renderNginx(plan.gateways[0], { dir: instDir, generation: "hostile-1" }), "hostile-1");
            const wrong: string[] = [];
            for (const a of accepted) {
                const headers: Record<string, string> = {};
                if (a.s.kind === "hashHeader" || a.s.kind === "sessionRule" || a.s.kind === "sessionPolicy") headers[a.s.name] = "v1";
                if (a.s.kind === "hashCookie") headers.cookie = `${a.s.name}=v1`;
                const want = a.s.kind === "tls" ? (a.s.hostname === "api.internal" ? { status: 200, body: "tls" } : { status: 502 }) : { status: 200, body: "mine" };
                const got = await get(port, `/s${a.i}/x`, headers);
                if (got.status !== want.status || ("body" in want && got.body !== want.body)) wrong.push(`${JSON.stringify(a.s)}: ${got.status} ${got.body.slice(0, 40)}`);
                if (a.s.kind === "cookieRule" || a.s.kind === "cookiePolicy") {
                    // The gateway's cookie is exactly "<name>=<16 hex>; Path=/; HttpOnly", and sending it back is accepted.
                    const set = got.setCookie ?? "";
                    const m = new RegExp(`^${a.s.name}=([0-9a-f]{16}); Path=/; HttpOnly$`).exec(set);
                    if (!m) wrong.push(`${JSON.stringify(a.s)}: Set-Cookie ${JSON.stringify(set)}`);
                    else {
                        const again = await get(port, `/s${a.i}/x`, { cookie: `${a.s.name}=${m[1]}` });
                        if (again.status !== 200 || again.setCookie !== undefined) wrong.push(`${JSON.stringify(a.s)}: with its cookie ${again.status}, Set-Cookie ${JSON.stringify(again.setCookie)}`);
                    }
                }
                const beside = await get(port, "/other/x", headers);
                if (beside.status !== 200 || beside.body !== "other") wrong.push(`${JSON.stringify(a.s)} beside: the other team's route answered ${beside.status} ${beside.body.slice(0, 40)}`);
            }
            assert.deepEqual(wrong, []);
        } finally {
            await stopInstance(instDir);
        }
        // The run tried both sides of every gate.
        const kinds = new Set(accepted.map(a => a.s.kind));
        for (const k of ["hashHeader", "hashCookie", "sessionRule", "sessionPolicy", "cookieRule", "cookiePolicy", "tls", "retry"]) assert.ok(kinds.has(k as Sample["kind"]), `no accepted ${k} sample: raise GK_POLICY_HOSTILE_RUNS`);
        assert.ok(refused.validation > 0 && refused.render > 0, `refusals: ${JSON.stringify(refused)}`);
        console.log(`      ${samples.length} samples: ${accepted.length} accepted and probed, ${refused.validation} refused by validation, ${refused.render} by the renderer`);
    });
});
