// HTTP load against 127.0.0.1 for the data-plane benches: single requests, a bounded Node load loop,
// and wrk (Debian's package) for throughput, so the client is not the bottleneck.
import { execFileSync, spawnSync } from "child_process";
import * as http from "http";

export interface Target { port: number; host: string; path: string; method?: string; headers?: Record<string, string> }
export interface Answer { ok: boolean; status?: number; headers?: http.IncomingHttpHeaders; body?: string }

/** One request; `ok` is a 200. Never rejects: a failed request is `{ ok: false }`. */
export function once(agent: http.Agent, t: Target): Promise<Answer> {
    return new Promise(resolve => {
        const req = http.request({ host: "127.0.0.1", port: t.port, path: t.path, method: t.method ?? "GET", headers: { ...t.headers, host: t.host }, agent, timeout: 5000 }, res => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => { body += c; });
            res.on("end", () => resolve({ ok: res.statusCode === 200, status: res.statusCode, headers: res.headers, body }));
            res.on("error", () => resolve({ ok: false }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", () => resolve({ ok: false }));
        req.end();
    });
}

/** wrk when installed (exit code 1 on --version is how Debian's wrk answers it). */
export const WRK = (() => {
    try { execFileSync("wrk", ["--version"], { stdio: "ignore" }); return true; } catch (e) { return (e as { status?: number }).status === 1; }
})();

/** Requests/s over `seconds` with wrk, 16 keep-alive connections; any non-2xx answer is an error. */
export function wrkRps(t: Target, seconds: number): number {
    const headers = Object.entries({ ...t.headers, Host: t.host }).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
    if (t.method && t.method !== "GET") throw new Error(`wrkRps sends GET only (asked for ${t.method})`);
    const r = spawnSync("wrk", ["-t", "1", "-c", "16", "-d", `${seconds}s`, ...headers, `http://127.0.0.1:${t.port}${t.path}`], { encoding: "utf8", timeout: (seconds + 20) * 1000 });
    const out = `${r.stdout}${r.stderr}`;
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
    if (!rps) throw new Error(`wrk printed no rate:\n${out}`);
    const bad = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    if (bad) throw new Error(`wrk saw ${bad[1]} non-2xx answers from ${t.host}${t.path}`);
    return Number(rps[1]);
}

/** Throughput for the ratio benches: wrk for 3 s when present, else the Node client below. */
export async function throughput(t: Target): Promise<number> {
    if (WRK) return wrkRps(t, 3);
    const r = await load(t, 3000);
    if (r.failed) throw new Error(`${r.failed} requests to ${t.host}${t.path} failed`);
    return r.rps;
}

/** `count` requests, `concurrency` in flight, on one keep-alive agent; requests/s and failures. */
export async function load(t: Target, count: number, concurrency = 16): Promise<{ rps: number; failed: number }> {
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

export function sleep(ms: number): Promise<void> {
    return new Promise(r => setTimeout(r, ms));
}
