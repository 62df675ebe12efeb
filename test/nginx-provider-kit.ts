// Shared by the nginx provider tests beside their modules (local/echo.test.ts,
// providers/nginx/runtime/lifecycle.test.ts, runtime/apply.test.ts, test/nginx-crash.test.ts,
// test/nginx-write-failure.test.ts): liveness, plain HTTP requests, short temp dirs, the nginx gate,
// and a backend-less plan whose redirect status shows which generation serves.

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { compileGateway } from "../routing/compile";
import { GatewayInput, GatewayPlan } from "../routing/plan";

/** A process that exists and is not a zombie (an exited child not yet reaped still answers kill 0). */
export function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}

export interface Reply { status: number; body: string; json?: Record<string, unknown> }

export function get(port: number, urlPath: string, host = "example.com"): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, headers: { host }, agent: false, timeout: 3000 }, res => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => { body += c; });
            res.on("end", () => {
                let json: Record<string, unknown> | undefined;
                try { json = JSON.parse(body); } catch { /* not JSON */ }
                resolve({ status: res.statusCode ?? 0, body, json });
            });
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${urlPath}: timeout`)));
        req.on("error", reject);
    });
}

const tmpRoots: string[] = [];
export function tmpDir(prefix: string): string {
    // Short: the nginx control socket lives under it and unix socket paths are limited to 107 bytes.
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(d, 0o711); // as root, nginx's workers run unprivileged and must reach the instance dirs below
    tmpRoots.push(d);
    return d;
}
after(() => {
    for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

/** nginx on PATH or in /usr/sbin; under CI=true a missing nginx fails the suite instead of skipping it. */
function nginxAvailable(): boolean {
    for (const candidate of ["nginx", "/usr/sbin/nginx"]) {
        if (spawnSync(candidate, ["-v"], { encoding: "utf8" }).status === 0) return true;
    }
    return false;
}

export function requireNginx(ctx: Mocha.Context): void {
    if (nginxAvailable()) return;
    const message = "nginx is not installed (apt-get install -y nginx-light): the nginx provider tests need a real nginx";
    if (process.env.CI === "true") throw new Error(message);
    console.warn(`\n    !!! SKIPPING: ${message}\n`);
    ctx.skip();
}


/**
 * The specs of a gateway with no backends whose one rule redirects with `status`, so the status
 * code shows which generation serves; listeners: HTTP on `port`, plus `extraPort` (HTTP) and
 * `httpsPort` (HTTPS, certificate "default/cert") when given.
 */
export function redirectInput(port: number, status: number, more: { extraPort?: number; httpsPort?: number } = {}): GatewayInput {
    const listeners: { name: string; port: number; protocol: "HTTP" | "HTTPS"; tls?: { certificateRefs: { name: string }[] } }[] = [{ name: "http", port, protocol: "HTTP" }];
    if (more.extraPort) listeners.push({ name: "extra", port: more.extraPort, protocol: "HTTP" });
    if (more.httpsPort) listeners.push({ name: "https", port: more.httpsPort, protocol: "HTTPS", tls: { certificateRefs: [{ name: "cert" }] } });
    return {
        gatewayClass: { name: "c", controllerName: "gatewaykit.dev/nginx" },
        gateway: { name: "gw", namespace: "default", gatewayClassName: "c", listeners },
        routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: [{
            filters: [{ type: "RequestRedirect", requestRedirect: { hostname: `gen-${status}.example`, statusCode: status as 301 } }],
        }] }],
        services: [],
        namespaces: [],
    };
}

/** redirectInput's plan. */
export function redirectPlan(port: number, status: number, more: { extraPort?: number; httpsPort?: number } = {}): GatewayPlan {
    return compileGateway(redirectInput(port, status, more)).gateways[0];
}

/** The status a plain GET of /x on 127.0.0.1:port answers. */
export function statusAt(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
        http.get({ host: "127.0.0.1", port, path: "/x", agent: false, timeout: 3000 }, res => {
            res.resume();
            res.on("end", () => resolve(res.statusCode!));
        }).on("error", reject);
    });
}
