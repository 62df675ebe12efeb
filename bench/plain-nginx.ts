// A plain nginx instance for a config text that gatewaykit did not render (the hand-written anchor),
// loaded the way an operator does it: `nginx -t`, then start or SIGHUP, then wait until the new
// workers run and the old ones are retiring — the same end point gatewaykit's verified reload
// (providers/nginx/runtime/apply.ts) waits for, without its control socket. Also: which processes
// of an instance serve and their resident memory, for both kinds of instance.
import * as fs from "fs";
import * as path from "path";
import { stopInstance } from "../providers/nginx/runtime/apply";
import { findNginx, instanceProcesses, logErrorsSince, logSize, masterAlive, readPid, run, shuttingDown, workerPids } from "../providers/nginx/runtime/process";
import { sleep } from "./load";

const DIRS = ["conf", "logs", "run", "tls", "temp", "temp/client_body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"];
const MAIN = "conf/nginx.conf";

export type Config = string | { path: string; content: string; mode: number }[];

export class PlainNginx {
    private readonly bin = findNginx();
    constructor(readonly dir: string, private readonly timeoutMs = 600_000) {
        // 0711: workers switched to an unprivileged user (config `user`) must reach temp/.
        for (const d of ["", ...DIRS]) fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o711 });
    }

    private args(): string[] {
        return ["-p", this.dir + "/", "-c", path.join(this.dir, MAIN), "-e", path.join(this.dir, "logs/error.log")];
    }

    /** `config`: the main file's text, or files relative to the dir (the main one is conf/nginx.conf). */
    private async write(config: Config): Promise<void> {
        const files = typeof config === "string" ? [{ path: MAIN, content: config, mode: 0o644 }] : config;
        if (!files.some(f => f.path === MAIN)) throw new Error(`PlainNginx: no ${MAIN} among the files for ${this.dir}`);
        for (const f of files) fs.writeFileSync(path.join(this.dir, f.path), f.content, { mode: f.mode });
        const t = await run(this.bin, ["-t", ...this.args()], this.timeoutMs);
        if (t.timedOut) throw new Error(`nginx -t of the config in ${this.dir} did not finish within ${this.timeoutMs} ms`);
        if (t.code !== 0) throw new Error(`nginx -t refused the config in ${this.dir}: ${t.stderr.trim()}`);
    }

    /** Starts nginx on `config`; resolves once a worker runs. */
    async start(config: Config): Promise<void> {
        if (readPid(this.dir) !== undefined && masterAlive(readPid(this.dir)!)) throw new Error(`nginx already runs in ${this.dir}`);
        await this.write(config);
        const started = await run(this.bin, this.args()); // the master daemonizes; this returns once it has
        if (started.code !== 0) throw new Error(`nginx failed to start in ${this.dir}: ${started.stderr.trim()}`);
        await this.until(() => {
            const pid = readPid(this.dir);
            return pid !== undefined && workerPids(pid).some(w => !shuttingDown(w));
        }, "start", 0);
    }

    /** Writes `config`, tests it, reloads (SIGHUP); ms until new workers run and every old one retires. */
    async reload(config: Config): Promise<number> {
        const master = readPid(this.dir);
        if (master === undefined || !masterAlive(master)) throw new Error(`nginx does not run in ${this.dir}`);
        const t0 = process.hrtime.bigint();
        await this.write(config);
        const old = workerPids(master);
        const offset = logSize(this.dir);
        process.kill(master, "SIGHUP");
        await this.until(() => {
            const now = workerPids(master);
            return now.some(w => !old.includes(w) && !shuttingDown(w)) && old.every(w => !now.includes(w) || shuttingDown(w));
        }, "reload", offset);
        return Number(process.hrtime.bigint() - t0) / 1e6;
    }

    private async until(done: () => boolean, what: string, logOffset: number): Promise<void> {
        const deadline = Date.now() + this.timeoutMs;
        for (;;) {
            if (done()) return;
            const errors = logErrorsSince(this.dir, logOffset);
            if (errors.length) throw new Error(`nginx in ${this.dir} failed to ${what}: ${errors.join("; ")}`);
            if (Date.now() > deadline) throw new Error(`nginx in ${this.dir} did not ${what} within ${this.timeoutMs} ms`);
            await sleep(10);
        }
    }

    /** Stops every process of the instance (QUIT, then TERM, then KILL). */
    stop(): Promise<void> {
        return stopInstance(this.dir);
    }
}

/** The master and the workers that serve (not the retiring ones) of the instance in `dir`. */
export function servingProcesses(dir: string): number[] {
    return instanceProcesses(dir).filter(p => !shuttingDown(p));
}

/** Largest VmRSS (MiB) over `pids`; throws when none can be read (the figure would be meaningless). */
export function maxRssMiB(pids: number[]): number {
    let max = -1;
    for (const p of pids) {
        try {
            const kb = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
            if (kb) max = Math.max(max, Number(kb[1]) / 1024);
        } catch { /* exited meanwhile */ }
    }
    if (max < 0) throw new Error(`no VmRSS readable for nginx processes ${pids.join(", ") || "(none)"}`);
    return max;
}
