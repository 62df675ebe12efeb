// nginx data-plane benches: proxy overhead, scale (1,000 routes vs 1), reloads under load, and
// reconfiguration latency. Real processes on 127.0.0.1, bounded in request count and time.
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { compile } from "../routing/compile";
import { GatewayPlan } from "../routing/plan";
import { HTTPRouteSpec } from "../routing/types";
import { applyConfig, stopInstance } from "../providers/nginx/runtime/apply";
import { renderNginx } from "../providers/nginx/model";
import { freePort } from "../test/conformance/harness";
import { Bench } from "./types";

const ECHO = path.join(__dirname, "..", "local", "echo-server.js");

interface Env { dir: string; echoPort: number; gwPort: number; echo: ChildProcess; generation: number }

async function setup(): Promise<Env> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-bench-"));
    const portFile = path.join(dir, "echo.port");
    const echo = spawn(process.execPath, [ECHO, "--name", "bench", "--port", "0", "--portfile", portFile], { stdio: "ignore" });
    const deadline = Date.now() + 5000;
    while (!fs.existsSync(portFile) || !fs.readFileSync(portFile, "utf8").trim()) {
        if (Date.now() > deadline) throw new Error("bench echo backend did not start");
        await sleep(20);
    }
    return { dir, echo, echoPort: Number(fs.readFileSync(portFile, "utf8").trim()), gwPort: await freePort(), generation: 0 };
}

async function teardown(env: Env): Promise<void> {
    try { await stopInstance(path.join(env.dir, "nginx")); } finally {
        env.echo.kill("SIGTERM");
        if (env.echo.exitCode === null) await new Promise(r => env.echo.once("exit", r));
        fs.rmSync(env.dir, { recursive: true, force: true });
    }
}

/** `routes` routes; route i serves host h{i%50}.bench, path /r{i}, with a header match on every third. */
function benchPlan(env: Env, routes: number, tag = "a"): GatewayPlan {
    const list: HTTPRouteSpec[] = [];
    for (let i = 0; i < routes; i++) {
        list.push({
            name: `r${i}`, namespace: "bench", parentRefs: [{ name: "gw" }], hostnames: [`h${i % 50}.bench`],
            rules: [{
                matches: [{ path: { type: "PathPrefix", value: `/r${i}` }, ...(i % 3 === 1 ? { headers: [{ name: "x-team", value: `t${i}` }] } : {}) }],
                filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "x-config", value: tag }] } }],
                backendRefs: [{ name: "echo", port: 8080 }],
            }],
        });
    }
    return compile({
        gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{ name: "gw", namespace: "bench", gatewayClassName: "c", listeners: [{ name: "http", port: env.gwPort, protocol: "HTTP" }] }],
        services: [{ name: "echo", namespace: "bench", ports: [{ port: 8080, targetPort: env.echoPort }], endpoints: [{ address: "127.0.0.1" }] }],
        routes: list,
    }).gateways[0];
}

async function apply(env: Env, plan: GatewayPlan): Promise<number> {
    const dir = path.join(env.dir, "nginx");
    const gen = `g${++env.generation}`;
    const t0 = Date.now();
    await applyConfig(dir, renderNginx(plan, { dir, generation: gen, workerProcesses: 1 }), gen);
    return Date.now() - t0;
}

interface Target { port: number; host: string; path: string }

function once(agent: http.Agent, t: Target): Promise<{ ok: boolean; headers?: http.IncomingHttpHeaders }> {
    return new Promise(resolve => {
        const req = http.get({ host: "127.0.0.1", port: t.port, path: t.path, headers: { host: t.host }, agent, timeout: 5000 }, res => {
            res.resume();
            res.on("end", () => resolve({ ok: res.statusCode === 200, headers: res.headers }));
            res.on("error", () => resolve({ ok: false }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", () => resolve({ ok: false }));
    });
}

/** wrk (Debian's package) when installed: a C client, so the client is not the bottleneck. */
const WRK = (() => {
    try { execFileSync("wrk", ["--version"], { stdio: "ignore" }); return true; } catch (e) { return (e as { status?: number }).status === 1; }
})();

/** Requests/s over `seconds` with wrk, 16 keep-alive connections; any non-2xx answer is an error. */
function wrkRps(t: Target, seconds: number): number {
    const r = spawnSync("wrk", ["-t", "1", "-c", "16", "-d", `${seconds}s`, "-H", `Host: ${t.host}`, `http://127.0.0.1:${t.port}${t.path}`], { encoding: "utf8", timeout: (seconds + 20) * 1000 });
    const out = `${r.stdout}${r.stderr}`;
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
    if (!rps) throw new Error(`wrk printed no rate:\n${out}`);
    const bad = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    if (bad) throw new Error(`wrk saw ${bad[1]} non-2xx answers from ${t.host}${t.path}`);
    return Number(rps[1]);
}

/** Throughput for the ratio benches: wrk for 3 s when present, else the Node client below. */
async function throughput(t: Target): Promise<number> {
    if (WRK) return wrkRps(t, 3);
    const r = await load(t, 3000);
    if (r.failed) throw new Error(`${r.failed} requests to ${t.host}${t.path} failed`);
    return r.rps;
}

/** `count` requests, `concurrency` in flight, on one keep-alive agent; requests/s and failures. */
async function load(t: Target, count: number, concurrency = 16): Promise<{ rps: number; failed: number }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    let sent = 0, failed = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, async () => {
        while (sent < count) {
            sent++;
            if (!(await once(agent, t)).ok) failed++;
        }
    }));
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    agent.destroy();
    return { rps: count / s, failed };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Math.round(x * 100) / 100;

async function withEnv<T>(f: (env: Env) => Promise<T>): Promise<T> {
    const env = await setup();
    try { return await f(env); } finally { await teardown(env); }
}

export const nginxBenches: Bench[] = [
    {
        name: "nginx.proxyRatio",
        run: () => withEnv(async env => {
            await apply(env, benchPlan(env, 1));
            const direct: Target = { port: env.echoPort, host: "echo", path: "/r0" };
            const gw: Target = { port: env.gwPort, host: "h0.bench", path: "/r0" };
            await load(direct, 500); await load(gw, 500); // warm-up
            // Alternate runs so machine noise hits both alike; medians of 5.
            const d: number[] = [], g: number[] = [];
            for (let i = 0; i < 5; i++) {
                d.push(await throughput(direct));
                g.push(await throughput(gw));
            }
            return {
                "nginx.proxyRatio": round(median(g) / median(d)), "nginx.directRps": Math.round(median(d)), "nginx.gatewayRps": Math.round(median(g)),
                "nginx.clientIsWrk": WRK ? 1 : 0,
            };
        }),
    },
    {
        name: "nginx.scaleRatio",
        run: () => withEnv(async env => {
            // The target is the last route: the worst case for in-order map matching. Sizes
            // alternate so machine noise hits both alike; medians of 5.
            const plans = new Map([[1, benchPlan(env, 1)], [1000, benchPlan(env, 1000)]]);
            const rps = new Map<number, number[]>([[1, []], [1000, []]]);
            for (let i = 0; i < 5; i++) {
                for (const routes of [1, 1000]) {
                    await apply(env, plans.get(routes)!);
                    const t: Target = { port: env.gwPort, host: `h${(routes - 1) % 50}.bench`, path: `/r${routes - 1}/x` };
                    await load(t, 300);
                    rps.get(routes)!.push(await throughput(t));
                }
            }
            const one = median(rps.get(1)!), many = median(rps.get(1000)!);
            return { "nginx.scaleRatio": round(many / one), "nginx.rps1Route": Math.round(one), "nginx.rps1000Routes": Math.round(many) };
        }),
    },
    {
        name: "nginx.reload",
        run: () => withEnv(async env => {
            await apply(env, benchPlan(env, 20, "x0"));
            const t: Target = { port: env.gwPort, host: "h0.bench", path: "/r0" };
            let stop = false, fresh = 0, freshFailed = 0, kept = 0, keptFailed = 0;
            // New connections per request (must never fail) and keep-alive connections (may see a close race).
            const freshAgent = new http.Agent({ keepAlive: false });
            const keepAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
            const loop = async (agent: http.Agent, fresh_: boolean) => {
                while (!stop) {
                    const ok = (await once(agent, t)).ok;
                    if (fresh_) { fresh++; if (!ok) freshFailed++; } else { kept++; if (!ok) keptFailed++; }
                }
            };
            const loops = [loop(freshAgent, true), loop(freshAgent, true), loop(keepAgent, false), loop(keepAgent, false)];
            const reloadMs: number[] = [];
            for (let i = 1; i <= 20; i++) reloadMs.push(await apply(env, benchPlan(env, 20, `x${i}`)));
            stop = true;
            await Promise.all(loops);
            freshAgent.destroy(); keepAgent.destroy();
            return {
                "nginx.reloadFailedRequests": freshFailed, "nginx.reloadRequests": fresh,
                "nginx.keepaliveErrors": keptFailed, "nginx.keepaliveRequests": kept, "nginx.reloadApplyMedianMs": median(reloadMs),
            };
        }),
    },
    {
        name: "nginx.reconfigMs",
        run: () => withEnv(async env => {
            await apply(env, benchPlan(env, 20, "c0"));
            const agent = new http.Agent({ keepAlive: false });
            const t: Target = { port: env.gwPort, host: "h0.bench", path: "/r0" };
            const ms: number[] = [];
            for (let i = 1; i <= 7; i++) {
                const tag = `c${i}`;
                const t0 = process.hrtime.bigint();
                await apply(env, benchPlan(env, 20, tag));
                // Applied → observed: poll until a request sees the new config's response header.
                for (let k = 0; k < 500; k++) {
                    if ((await once(agent, t)).headers?.["x-config"] === tag) break;
                    await sleep(2);
                }
                ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
            }
            agent.destroy();
            return { "nginx.reconfigMs": round(median(ms)) };
        }),
    },
];

function sleep(ms: number): Promise<void> {
    return new Promise(r => setTimeout(r, ms));
}

if (require.main === module) {
    (async () => {
        const only = process.argv[2];
        for (const b of nginxBenches) if (!only || b.name.startsWith(only)) console.log(JSON.stringify(await b.run()));
    })().catch(e => { console.error(e); process.exit(1); });
}
