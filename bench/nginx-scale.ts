// nginx at scale (issue 17): what N routes of the synthetic workload (bench/workload.ts) cost a real
// nginx 1.22 with gatewaykit's config, next to the hand-written anchor (bench/handwritten.ts) for the
// same routes, both served by the same echo backends on 127.0.0.1.
//
// - nginx.scale.<n>.{reloadMs,rssMiB,configBytes}: gatewaykit (renderNginx + applyConfig). reloadMs is
//   the verified reload from a running 1-route config to the n-route one; rssMiB the largest VmRSS of
//   the instance's serving processes (master, workers) after it; configBytes the rendered files' bytes.
//   nginx.scale.handWritten.<n>.*: the same for the anchor (nginx -t, SIGHUP, new workers up and the
//   old ones retiring). nginx.scale.vsHandWritten.{reload,rss}.<n>: gatewaykit ÷ anchor;
//   nginx.scale.vsHandWritten.{reload,rss}: the largest of those over 1k and 5k. Medians of 3 reloads
//   (alternating which instance goes first), or of 1 when a reload takes over a minute.
//   When applyConfig itself fails at a size (the pre-issue-17 renderer outlasts its 8 s verify timeout
//   from ~1k routes), the bench says so on stderr, reports nginx.scale.<n>.applyFailed = 1, and takes
//   that size's gatewaykit figures from the same files loaded by the anchor's loader.
// - nginx.lastRuleRatio.<n>: throughput of a request matching the LAST rule of the gateway's table
//   (the plan's precedence order, the worst case for in-order matching: for this workload the
//   shortest paths sort last, so it is route 9's rule 3 at 1k, not the last route's) ÷ the same for
//   a 1-route gateway; the two run side by side, measured alternately, medians of 5.
//   nginx.lastRuleRatio.handWritten.<n>: the same request against the anchor (n routes ÷ 1 route).
//
// Sizes: GK_BENCH_SIZES=1000,5000 (or 1k,5k), else an --only suffix (`--only nginx.scale.1k` runs 1k
// but run.ts then prints only keys under that prefix), else 1k/5k/10k for nginx.scale and 1k/10k for
// nginx.lastRuleRatio. Every config is checked at every size before its figures count (after its
// first load): ~110 requests must get what simulate() says (status, backend, Host), 404 for unknowns.
// Every process started here (echo servers, nginx instances) is stopped on the way out, error or not.
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { compile } from "../routing/compile";
import { CompileInput, GatewayPlan, PlanRule, RoutingPlan } from "../routing/plan";
import { SimRequest, simulate } from "../routing/simulate";
import { RenderedConfig, renderNginx } from "../providers/nginx/model";
import { applyConfig, stopInstance } from "../providers/nginx/runtime/apply";
import { defaultWorkerUser } from "../providers/nginx/runtime/worker-user";
import { freePort } from "../test/conformance/harness";
import { Echoes, startEchoes } from "./echoes";
import { renderHandWritten } from "./handwritten";
import { NginxApplyError, instanceProcesses, shuttingDown } from "../providers/nginx/runtime/process";
import { Target, load, once, sleep, throughput } from "./load";
import { PlainNginx, maxRssMiB, servingProcesses } from "./plain-nginx";
import { median, round } from "./stats";
import { Bench } from "./types";
import { HOSTNAMES, SERVICE_COUNT, syntheticInput } from "./workload";

const ECHO_COUNT = 4;
/** Sizes the ratio to the anchor is reported at (the vsHandWritten keys). */
const VS_SIZES = [1000, 5000];
/** Reloads per size: medians of 3, unless one reload takes longer than this (then one is the figure). */
const REPEAT_BELOW_MS = 60_000;

/** "1k" for 1000, "200" for 200: the size part of a key. */
export function sizeLabel(n: number): string {
    return n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

function parseSize(s: string): number {
    const m = /^(\d+)(k?)$/.exec(s.trim());
    if (!m || Number(m[1]) < 1) throw new Error(`bench size ${JSON.stringify(s)} is not a route count like 1000 or 1k`);
    return Number(m[1]) * (m[2] ? 1000 : 1);
}

/** The sizes a bench runs: GK_BENCH_SIZES, else the size in `only` after the bench name, else `defaults`. */
function benchSizes(bench: string, only: string | undefined, defaults: number[]): number[] {
    const env = process.env.GK_BENCH_SIZES;
    if (env) return [...new Set(env.split(",").filter(s => s.trim()).map(parseSize))].sort((a, b) => a - b);
    const rest = only?.startsWith(bench + ".") ? only.slice(bench.length + 1).split(".") : [];
    const size = rest.find(p => /^\d+k?$/.test(p));
    if (size) return [parseSize(size)];
    if (rest[0] === "vsHandWritten") return VS_SIZES;
    return defaults;
}

// ---------------------------------------------------------------- the rig: echoes, instances, cleanup

export interface Rig {
    dir: string;
    echoes: Echoes;
    /** Runs on the way out, last registered first. */
    onExit(f: () => Promise<void>): void;
}

/** Runs `f` with echo backends in a fresh temp dir; afterwards (also on error or Ctrl-C) stops everything it registered. */
export async function withRig<T>(f: (rig: Rig) => Promise<T>): Promise<T> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-scale-"));
    fs.chmodSync(dir, 0o711); // nginx workers may run unprivileged and need to reach temp/
    const exits: (() => Promise<void>)[] = [];
    const cleanup = async () => {
        const errors: string[] = [];
        for (const f of exits.splice(0).reverse()) {
            try { await f(); } catch (e) { errors.push((e as Error).message); }
        }
        fs.rmSync(dir, { recursive: true, force: true });
        if (errors.length) throw new Error(`bench cleanup: ${errors.join("; ")}`);
    };
    const interrupted = () => { cleanup().finally(() => process.exit(130)); };
    process.once("SIGINT", interrupted);
    process.once("SIGTERM", interrupted);
    try {
        const echoes = await startEchoes(dir, ECHO_COUNT);
        exits.push(() => echoes.stop());
        return await f({ dir, echoes, onExit: g => { exits.push(g); } });
    } finally {
        process.off("SIGINT", interrupted);
        process.off("SIGTERM", interrupted);
        await cleanup();
    }
}

/** The synthetic workload on `port`, its services spread over the rig's echo servers. */
export function workload(rig: Rig, routes: number, port: number): CompileInput {
    return syntheticInput(routes, { listenerPort: port, backendPorts: rig.echoes.ports, controllerName: "gatewaykit.dev/nginx" });
}

/** One gatewaykit nginx instance: renderNginx + the runtime's verified applyConfig. */
class GatewaykitNginx {
    readonly dir: string;
    private constructor(rig: Rig, name: string, readonly port: number) {
        this.dir = path.join(rig.dir, name);
        rig.onExit(() => stopInstance(this.dir));
    }
    static async create(rig: Rig, name: string): Promise<GatewaykitNginx> {
        return new GatewaykitNginx(rig, name, await freePort());
    }
    render(plan: GatewayPlan, generation: string): { config: RenderedConfig; ms: number; bytes: number } {
        const t0 = process.hrtime.bigint();
        const config = renderNginx(plan, { dir: this.dir, generation, workerProcesses: 1 });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        return { config, ms, bytes: config.files.reduce((a, f) => a + Buffer.byteLength(f.content), 0) };
    }
    /** ms of the verified start or reload. */
    async apply(config: RenderedConfig, generation: string): Promise<number> {
        const t0 = process.hrtime.bigint();
        await applyConfig(this.dir, config, generation);
        return Number(process.hrtime.bigint() - t0) / 1e6;
    }
}

/** Resolves once every process of the instance in `dir` serves (the retiring workers of its last reload exited). */
async function settled(dir: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (instanceProcesses(dir).some(shuttingDown)) {
        if (Date.now() > deadline) throw new Error(`old nginx workers of ${dir} still run ${timeoutMs} ms after the reload`);
        await sleep(20);
    }
}

export function plainNginx(rig: Rig, name: string): PlainNginx {
    const p = new PlainNginx(path.join(rig.dir, name));
    rig.onExit(() => p.stop());
    return p;
}

// ---------------------------------------------------------------- sanity: real answers = simulate()

/** A few requests on route `r` of an n-route workload: every rule kind, its negatives, unknown hosts and paths. */
function probes(r: number): SimRequest[] {
    const host = HOSTNAMES[r % HOSTNAMES.length];
    const out: SimRequest[] = [];
    for (let k = 0; k < 4; k++) {
        out.push({ host, path: `/r${r}/p${k}` }, { host, path: `/r${r}/p${k}/x?y=1` });
        out.push({ host, path: `/r${r}/q${k}/item`, headers: { "x-team": `t${k}` } });
        out.push({ host, path: `/r${r}/q${k}/item`, headers: { "x-team": `t${k + 1}` } });
        out.push({ host, path: `/r${r}/q${k}`, method: "POST", headers: { "x-team": `t${k}` } });
    }
    out.push({ host, path: `/r${r}/p1x` }, { host, path: "/nothing/here" });
    out.push({ host: HOSTNAMES[(r + 1) % HOSTNAMES.length], path: `/r${r}/p1` }, { host: "unknown.example.org", path: `/r${r}/p1` });
    return out;
}

/** Echo name serving service "bench/svc-i" (workload: service i targets echo i % ECHO_COUNT). */
function echoOf(rig: Rig, service: string): string {
    const m = /^bench\/svc-(\d+)$/.exec(service);
    if (!m || Number(m[1]) >= SERVICE_COUNT) throw new Error(`sanity: simulate named backend ${service}, not a workload service`);
    return rig.echoes.names[Number(m[1]) % ECHO_COUNT];
}

/**
 * Sends probes for the first, middle and last route (and `extra`) to `port` and compares each answer
 * with simulate(plan): status, the echo that answered (one of the rule's backends), the Host it saw.
 * Then 40 requests on one 90/10 rule: most must reach the 90% backend. Throws on the first mismatch.
 */
export async function sanity(rig: Rig, what: string, plan: RoutingPlan, planPort: number, port: number, routes: number, extra: SimRequest[] = []): Promise<number> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let checked = 0;
    try {
        const reqs = [...new Set([0, Math.floor(routes / 2), routes - 1])].flatMap(probes).concat(extra);
        for (const req of reqs) {
            const sim = simulate(plan, { ...req, port: planPort });
            const want = new Set(sim.outcomes.filter(o => o.probability > 0 && o.status === 200 && o.backend).map(o => echoOf(rig, o.backend!.service)));
            const got = await once(agent, { port, host: req.host, path: req.path, method: req.method, headers: req.headers as Record<string, string> | undefined });
            const echo = got.status === 200 && got.body ? JSON.parse(got.body) as { name: string; headers: Record<string, string> } : undefined;
            const say = `${what}: ${req.method ?? "GET"} ${req.host}${req.path} ${JSON.stringify(req.headers ?? {})}`;
            if (got.status !== sim.status) throw new Error(`${say} answered ${got.status ?? "no answer"}, simulate says ${sim.status} (${sim.reason})`);
            if (sim.status === 200) {
                if (!echo || !want.has(echo.name)) throw new Error(`${say} reached ${echo?.name ?? "no echo"}, simulate says one of ${[...want].join(", ")}`);
                if (echo.headers.host !== req.host) throw new Error(`${say}: the backend saw Host ${echo.headers.host}`);
            }
            checked++;
        }
        // Weights: route 0 rule 1 sends 90% to svc-1 and 10% to svc-2 (different echoes).
        const t: Target = { port, host: HOSTNAMES[0], path: "/r0/p1" };
        const primary = echoOf(rig, "bench/svc-1");
        let hits = 0;
        for (let i = 0; i < 40; i++) {
            const got = await once(agent, t);
            if (!got.ok) throw new Error(`${what}: GET ${t.host}${t.path} answered ${got.status ?? "nothing"}`);
            if ((JSON.parse(got.body!) as { name: string }).name === primary) hits++;
        }
        // Binomial(40, 0.9) falls below 24 with probability ~1e-9; a 50/50 or stuck split fails.
        if (hits < 24) throw new Error(`${what}: ${hits}/40 requests of a 90/10 rule reached its 90% backend`);
        return checked + 40;
    } finally {
        agent.destroy();
    }
}

// ---------------------------------------------------------------- the request for a rule

/** A GET that matches `rule` (Exact/PathPrefix path, Exact headers, GET or no method): the bench's throughput target. */
function requestFor(rule: PlanRule, port: number): Target & SimRequest {
    const m = rule.match;
    if (!rule.hostname) throw new Error(`${rule.label}: the bench needs a rule with a hostname`);
    if (m.method !== undefined && m.method !== "GET") throw new Error(`${rule.label}: method ${m.method}; the throughput bench sends GET`);
    if (m.queryParams.length || m.headers.some(h => h.type !== "Exact")) throw new Error(`${rule.label}: the bench builds requests for Exact header matches only`);
    const p = m.path.type === "Exact" ? m.path.value : m.path.type === "PathPrefix" ? `${m.path.prefix}/x` : undefined;
    if (p === undefined) throw new Error(`${rule.label}: path type ${m.path.type}; the bench builds requests for Exact and PathPrefix`);
    const headers = Object.fromEntries(m.headers.map(h => [h.name, h.value]));
    return { port, host: rule.hostname, path: p, headers };
}

/** The last rule of the gateway's table (precedence order), and a request matching it that simulate confirms. */
export function lastRuleTarget(plan: RoutingPlan, port: number): { target: Target; rule: string } {
    const rules = plan.gateways[0].listeners.flatMap(l => l.rules);
    const last = rules[rules.length - 1];
    const target = requestFor(last, port);
    const sim = simulate(plan, { ...target, port });
    if (sim.matched?.ruleId !== last.id) throw new Error(`the request built for ${last.label} (${target.host}${target.path}) matches ${sim.matched?.ruleId ?? "nothing"} in simulate`);
    return { target, rule: `${last.routeName} rule ${last.ruleIndex} match ${last.matchIndex}` };
}

// ---------------------------------------------------------------- the benches

async function scale(only: string | undefined): Promise<Record<string, number>> {
    const sizes = benchSizes("nginx.scale", only, [1000, 5000, 10000]);
    return withRig(async rig => {
        const out: Record<string, number> = {};
        const user = defaultWorkerUser();
        const gk = await GatewaykitNginx.create(rig, "gk");
        const hw = plainNginx(rig, "hw");
        const hwPort = await freePort();
        const hwOpts = { dir: hw.dir, workerProcesses: 1, user };
        const small = gk.render(compile(workload(rig, 1, gk.port)).gateways[0], "small");
        const hwSmall = renderHandWritten(workload(rig, 1, hwPort), hwOpts);
        await gk.apply(small.config, "small");
        await hw.start(hwSmall);
        // gatewaykit's files loaded like the anchor, only when applyConfig fails (see below); started on first use.
        let fallback: { nginx: PlainNginx; port: number; small: RenderedConfig } | undefined;
        for (const n of sizes) {
            const k = sizeLabel(n);
            const plan = compile(workload(rig, n, gk.port));
            const big = gk.render(plan.gateways[0], `routes-${n}`);
            // The anchor is loaded at the sizes its ratio is reported at (at 10k it alone needs minutes and ~8 GiB).
            const anchored = VS_SIZES.includes(n);
            const hwText = anchored ? renderHandWritten(workload(rig, n, hwPort), hwOpts) : "";
            const last = lastRuleTarget(plan, gk.port).target;
            const gkMs: number[] = [], hwMs: number[] = [], gkRss: number[] = [], hwRss: number[] = [];
            let applyFailed = false;
            let gkSide: { dir: string; reload: () => Promise<number>; toSmall: () => Promise<unknown>; check: () => Promise<number> } = {
                dir: gk.dir,
                reload: () => gk.apply(big.config, `routes-${n}`),
                toSmall: () => gk.apply(small.config, "small"),
                check: () => sanity(rig, `gatewaykit ${n} routes`, plan, gk.port, gk.port, n, [last]),
            };
            for (let rep = 0; rep < 3; rep++) {
                if (rep > 0) { await gkSide.toSmall(); if (anchored) await hw.reload(hwSmall); await settled(gkSide.dir); await settled(hw.dir); }
                // Each timed reload starts once the other instance's old workers are gone, and the
                // order alternates, so neither pays for the other's teardown.
                const timeGk = async () => {
                    await settled(gkSide.dir);
                    try {
                        gkMs.push(await gkSide.reload());
                    } catch (e) {
                        if (!(e instanceof NginxApplyError) || applyFailed) throw e;
                        // The renderer of before issue 17 makes configs whose reload outlasts applyConfig's verify
                        // timeout from ~1k routes: report that, then load the same files as the anchor is loaded.
                        applyFailed = true;
                        console.error(`nginx.scale ${k}: applyConfig failed (${e.message}); measuring gatewaykit's files with the anchor's loader instead`);
                        if (!fallback) {
                            const nginx = plainNginx(rig, "gk-plain");
                            const port = await freePort();
                            const fbSmall = renderNginx(compile(workload(rig, 1, port)).gateways[0], { dir: nginx.dir, generation: "small", workerProcesses: 1 });
                            await nginx.start(fbSmall.files);
                            fallback = { nginx, port, small: fbSmall };
                        }
                        const fb = fallback;
                        const fbPlan = compile(workload(rig, n, fb.port));
                        const fbBig = renderNginx(fbPlan.gateways[0], { dir: fb.nginx.dir, generation: `routes-${n}`, workerProcesses: 1 });
                        const fbLast = lastRuleTarget(fbPlan, fb.port).target;
                        gkSide = {
                            dir: fb.nginx.dir,
                            reload: () => fb.nginx.reload(fbBig.files),
                            toSmall: () => fb.nginx.reload(fb.small.files),
                            check: () => sanity(rig, `gatewaykit ${n} routes (plain loader)`, fbPlan, fb.port, fb.port, n, [fbLast]),
                        };
                        await settled(gkSide.dir);
                        gkMs.push(await gkSide.reload());
                    }
                    gkRss.push(maxRssMiB(servingProcesses(gkSide.dir)));
                };
                const timeHw = async () => { await settled(hw.dir); hwMs.push(await hw.reload(hwText)); hwRss.push(maxRssMiB(servingProcesses(hw.dir))); };
                if (!anchored) await timeGk();
                else if (rep % 2 === 0) { await timeGk(); await timeHw(); } else { await timeHw(); await timeGk(); }
                if (rep === 0) {
                    out[`nginx.scale.sanity.${k}.requests`] = await gkSide.check();
                    if (anchored) out[`nginx.scale.handWritten.sanity.${k}.requests`] = await sanity(rig, `hand-written ${n} routes`, plan, gk.port, hwPort, n, [last]);
                }
                if (Math.max(...gkMs, ...hwMs) > REPEAT_BELOW_MS) break;
            }
            await gkSide.toSmall(); // back to small: the next size reloads from it too, and memory is released
            if (anchored) await hw.reload(hwSmall);
            const g = { reloadMs: round(median(gkMs)), rssMiB: round(median(gkRss)), configBytes: big.bytes };
            const h = anchored ? { reloadMs: round(median(hwMs)), rssMiB: round(median(hwRss)), configBytes: Buffer.byteLength(hwText) } : undefined;
            for (const [key, v] of Object.entries(g)) out[`nginx.scale.${k}.${key}`] = v;
            out[`nginx.scale.${k}.renderMs`] = round(big.ms);
            out[`nginx.scale.${k}.reloads`] = gkMs.length;
            if (applyFailed) out[`nginx.scale.${k}.applyFailed`] = 1;
            if (!h) continue;
            for (const [key, v] of Object.entries(h)) out[`nginx.scale.handWritten.${k}.${key}`] = v;
            out[`nginx.scale.vsHandWritten.reload.${k}`] = round(g.reloadMs / h.reloadMs);
            out[`nginx.scale.vsHandWritten.rss.${k}`] = round(g.rssMiB / h.rssMiB);
            out[`nginx.scale.vsHandWritten.configBytes.${k}`] = round(g.configBytes / h.configBytes);
        }
        for (const what of ["reload", "rss"]) {
            const at = VS_SIZES.filter(n => sizes.includes(n)).map(n => out[`nginx.scale.vsHandWritten.${what}.${sizeLabel(n)}`]);
            if (at.length) out[`nginx.scale.vsHandWritten.${what}`] = Math.max(...at);
        }
        return out;
    });
}

async function lastRuleRatio(only: string | undefined): Promise<Record<string, number>> {
    const sizes = benchSizes("nginx.lastRuleRatio", only, [1000, 10000]);
    return withRig(async rig => {
        const out: Record<string, number> = {};
        const user = defaultWorkerUser();
        const one = await GatewaykitNginx.create(rig, "one");
        const onePlan = compile(workload(rig, 1, one.port));
        await one.apply(one.render(onePlan.gateways[0], "one").config, "one");
        const oneTarget = lastRuleTarget(onePlan, one.port).target;
        // The anchor the same way: its own 1-route and n-route instances (nginx's location tree, for comparison).
        const hwOne = plainNginx(rig, "hw-one");
        const hwOnePort = await freePort();
        await hwOne.start(renderHandWritten(workload(rig, 1, hwOnePort), { dir: hwOne.dir, user }));
        const hwOneTarget = { ...oneTarget, port: hwOnePort };
        for (const n of sizes) {
            // Fresh instances per size, side by side with the 1-route ones: no reload between measurements.
            const many = await GatewaykitNginx.create(rig, `many-${n}`);
            const plan = compile(workload(rig, n, many.port));
            await many.apply(many.render(plan.gateways[0], `routes-${n}`).config, `routes-${n}`);
            const { target } = lastRuleTarget(plan, many.port);
            await sanity(rig, `gatewaykit ${n} routes`, plan, many.port, many.port, n, [target]);
            // The anchor only where its ratio is reported (VS_SIZES): at 10k it alone takes many minutes to load.
            const anchored = VS_SIZES.includes(n);
            const hwMany = anchored ? plainNginx(rig, `hw-many-${n}`) : undefined;
            const hwPort = await freePort();
            if (hwMany) {
                await hwMany.start(renderHandWritten(workload(rig, n, hwPort), { dir: hwMany.dir, user }));
                await sanity(rig, `hand-written ${n} routes`, plan, many.port, hwPort, n, [target]);
            }
            const hwTarget = { ...target, port: hwPort };
            const targets = hwMany ? [oneTarget, target, hwOneTarget, hwTarget] : [oneTarget, target];
            for (const t of targets) {
                const warm = await load(t, 300);
                if (warm.failed) throw new Error(`${warm.failed} of 300 warm-up requests to ${t.host}${t.path} (port ${t.port}) failed`);
            }
            // Alternate runs so machine noise hits all alike; medians of 5.
            const rps: number[][] = targets.map(() => []);
            for (let i = 0; i < 5; i++) for (const [j, t] of targets.entries()) rps[j].push(await throughput(t));
            await stopInstance(many.dir);
            await hwMany?.stop();
            const [a, b, c, d] = rps.map(median);
            const k = sizeLabel(n);
            out[`nginx.lastRuleRatio.${k}`] = round(b / a);
            out[`nginx.lastRuleRatio.${k}.rps`] = Math.round(b);
            out[`nginx.lastRuleRatio.${k}.rps1Route`] = Math.round(a);
            if (!hwMany) continue;
            out[`nginx.lastRuleRatio.handWritten.${k}`] = round(d / c);
            out[`nginx.lastRuleRatio.handWritten.${k}.rps`] = Math.round(d);
            out[`nginx.lastRuleRatio.handWritten.${k}.rps1Route`] = Math.round(c);
        }
        return out;
    });
}

export const nginxScaleBenches: Bench[] = [
    { name: "nginx.scale", run: scale },
    { name: "nginx.lastRuleRatio", run: lastRuleRatio },
];
