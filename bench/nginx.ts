// nginx data-plane benches: proxy overhead, reloads under load, and reconfiguration latency (scale:
// nginx-scale.ts). Real processes on 127.0.0.1, bounded in request count and time.
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
import { Echoes, startEchoes } from "./echoes";
import { Target, WRK, load, once, sleep, throughput } from "./load";
import { median, round } from "./stats";
import { Bench } from "./types";
import { PlainNginx } from "./plain-nginx";
import { defaultWorkerUser } from "../providers/nginx/runtime/worker-user";

interface Env { dir: string; echoPort: number; gwPort: number; echo: Echoes; generation: number }

async function setup(): Promise<Env> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-bench-"));
    fs.chmodSync(dir, 0o711); // nginx's workers may run unprivileged (as root: www-data) and must reach temp/
    try {
        const echo = await startEchoes(dir, 1, "bench");
        return { dir, echo, echoPort: echo.ports[0], gwPort: await freePort(), generation: 0 };
    } catch (e) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw e;
    }
}

async function teardown(env: Env): Promise<void> {
    try { await stopInstance(path.join(env.dir, "nginx")); } finally {
        await env.echo.stop();
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

async function withEnv<T>(f: (env: Env) => Promise<T>): Promise<T> {
    const env = await setup();
    try { return await f(env); } finally { await teardown(env); }
}

export const nginxBenches: Bench[] = [
    {
        name: "nginx.proxyRatio",
        run: () => withEnv(async env => {
            await apply(env, benchPlan(env, 1));
            // The floor any proxy pays on this machine: nginx's minimal keepalive proxy to the same
            // backend (its processes share the cores with the client and the backend).
            const plain = new PlainNginx(path.join(env.dir, "plain"));
            const plainPort = await freePort();
            await plain.start([
                `daemon on; worker_processes 1; pid "${plain.dir}/run/nginx.pid"; error_log "${plain.dir}/logs/error.log" warn;${defaultWorkerUser() ? ` user ${defaultWorkerUser()};` : ""}`,
                "events { worker_connections 4096; }",
                `http { access_log off; client_body_temp_path "${plain.dir}/temp/client_body"; proxy_temp_path "${plain.dir}/temp/proxy";`,
                `  upstream echo { server 127.0.0.1:${env.echoPort}; keepalive 32; }`,
                `  server { listen 127.0.0.1:${plainPort}; location / { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://echo; } } }`, "",
            ].join("\n"));
            try {
                const direct: Target = { port: env.echoPort, host: "echo", path: "/r0" };
                const gw: Target = { port: env.gwPort, host: "h0.bench", path: "/r0" };
                const bare: Target = { port: plainPort, host: "echo", path: "/r0" };
                await load(direct, 500); await load(gw, 500); await load(bare, 500); // warm-up
                // Alternate runs so machine noise hits all alike; medians of 5.
                const d: number[] = [], g: number[] = [], b: number[] = [];
                for (let i = 0; i < 5; i++) {
                    d.push(await throughput(direct));
                    g.push(await throughput(gw));
                    b.push(await throughput(bare));
                }
                return {
                    "nginx.proxyRatio": round(median(g) / median(d)), "nginx.directRps": Math.round(median(d)), "nginx.gatewayRps": Math.round(median(g)),
                    "nginx.plainProxyRatio": round(median(b) / median(d)), "nginx.proxyRatio.vsPlainProxy": round(median(g) / median(b)),
                    "nginx.clientIsWrk": WRK ? 1 : 0,
                };
            } finally {
                await plain.stop();
            }
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

if (require.main === module) {
    (async () => {
        const only = process.argv[2];
        for (const b of nginxBenches) if (!only || b.name.startsWith(only)) console.log(JSON.stringify(await b.run()));
    })().catch(e => { console.error(e); process.exit(1); });
}
