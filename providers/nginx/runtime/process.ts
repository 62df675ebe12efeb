// The processes of one nginx instance (its own prefix directory): the binary, running it, which
// processes are its master and workers, what generation it serves, its error log. No @pulumi import.

import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { CONTROL_SOCKET, RenderedConfig } from "../model";

export interface InstanceState { pid: number; generation: string; ports: number[] }

export class NginxApplyError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "NginxApplyError";
    }
}

/**
 * An update that gave up while nginx was still loading its generation: not applied, not rolled back
 * either — nginx finishes the reload and may serve that generation (apply.ts, PENDING_FILE).
 */
export class NginxReloadPendingError extends NginxApplyError {
    constructor(message: string, readonly generation: string) {
        super(message);
        this.name = "NginxReloadPendingError";
    }
}

export const PID_FILE = "run/nginx.pid";
export const GENERATION_FILE = "run/generation";
export const MANIFEST_FILE = "run/files.json";
const ERROR_LOG = "logs/error.log";
/**
 * A reload signalled but not finished when an update gave up on it (runtime/apply.ts): what the next
 * update needs to record the outcome once nginx is done. 0600: the backup holds private keys.
 */
export const PENDING_FILE = "run/pending-reload.json";
/**
 * The reload budget: how long after the HUP (or the start) nginx may take to serve the new generation.
 * Unless configured (the class parameter reloadTimeoutSeconds), it is RELOAD_TIMEOUT_FACTOR times the
 * `nginx -t` of the same files, measured just before (nginx parses the same files the same way on the
 * reload), plus the ~2.5 s a reload (not `nginx -t`) may spend retrying a bind(), and never less than
 * RELOAD_TIMEOUT_FLOOR_MS (process start-up, a loaded machine).
 */
export const RELOAD_TIMEOUT_FLOOR_MS = 8000;
export const RELOAD_TIMEOUT_FACTOR = 4;
export const BIND_RETRIES_MS = 2500;
/** `nginx -t` itself: only a guard against a hung nginx (a configured reload timeout does not cut it short). */
export const TEST_TIMEOUT_MS = 10 * 60_000;
// Old workers retitle themselves as soon as they read the master's QUIT (milliseconds); 5 s means one is stuck.
export const RETIRE_TIMEOUT_MS = 5000;

/** The nginx binary: opts.nginxPath, `nginx` on PATH, or /usr/sbin/nginx. Throws when none exists. */
export function findNginx(nginxPath?: string): string {
    if (nginxPath) {
        if (!isExecutable(nginxPath)) throw new NginxApplyError(`nginx binary ${nginxPath} does not exist or is not executable`);
        return nginxPath;
    }
    for (const d of (process.env.PATH ?? "").split(path.delimiter).concat(["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"])) {
        if (!d) continue;
        const p = path.join(d, "nginx");
        if (isExecutable(p)) return p;
    }
    throw new NginxApplyError("nginx is not installed (looked on PATH and in /usr/sbin): install it, e.g. `apt-get install nginx-light` on Debian/Ubuntu or `brew install nginx` on macOS, or set the nginx class parameter nginxPath");
}

function isExecutable(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/** Runs `bin`; timedOut when it was killed after `timeoutMs` (its exit code then says nothing about the config). */
export function run(bin: string, args: string[], timeoutMs = 30000): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean; ms: number }> {
    const started = Date.now();
    return new Promise(resolve => {
        execFile(bin, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === "number" ? (err as unknown as { code: number }).code : 1) : 0;
            const timedOut = err !== null && (err as { killed?: boolean }).killed === true;
            resolve({ code, stdout: String(stdout), stderr: String(stderr), timedOut, ms: Date.now() - started });
        });
    });
}

export function nginxArgs(dir: string, config: RenderedConfig): string[] {
    return ["-p", dir + "/", "-c", path.join(dir, config.mainFile), "-e", path.join(dir, ERROR_LOG)];
}

/** nginx's own messages, without the "nginx: " prefix noise and the success lines. */
export function nginxMessage(out: string): string {
    return out.split("\n").map(s => s.trim()).filter(s => s && !/syntax is ok|test is successful/.test(s)).join("; ");
}

// ---------------------------------------------------------------- process facts

/** True for a live process; a zombie counts as dead. */
export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
    try {
        // A zombie (nobody reaped the daemonized master yet) is dead for our purposes.
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return true; // no /proc (macOS): kill(0) is all we have
    }
}

function isNginx(pid: number): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("nginx");
    } catch {
        return true;
    }
}

/** Worker pids: children of the master (Linux /proc). */
export function workerPids(master: number): number[] {
    const out: number[] = [];
    let entries: string[];
    try {
        entries = fs.readdirSync("/proc");
    } catch {
        return out;
    }
    for (const e of entries) {
        if (!/^\d+$/.test(e)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            if (Number(fields[1]) === master && fields[0] !== "Z") out.push(Number(e));
        } catch { /* gone */ }
    }
    return out.sort((a, b) => a - b);
}

/** Fields of /proc/<pid>/stat after the command: state, ppid, pgrp; undefined when gone or without /proc. */
function procStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return { state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]) };
    } catch {
        return undefined;
    }
}

export function realDir(dir: string): string {
    try {
        return fs.realpathSync(dir);
    } catch {
        return dir;
    }
}

/** True when `pid` holds this instance's error log open (master and every worker do: the master opens it, workers inherit it). */
function holdsErrorLog(pid: number, errorLog: string): boolean {
    try {
        return fs.readdirSync(`/proc/${pid}/fd`).some(fd => {
            try { return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === errorLog; } catch { return false; }
        });
    } catch {
        return false;
    }
}

/**
 * Every live process of the instance in `dir`: its master and all workers, including workers orphaned
 * when the master was killed (`kill -9` leaves them serving). nginx's daemon calls setsid(), so the
 * process group id is the master's pid (the pid file) and the workers keep it after the master dies;
 * a member must also hold the instance's error log open, so a reused pid never makes a foreign process
 * ours. Without /proc (macOS) only the master can be found.
 */
export function instanceProcesses(dir: string, group = readPid(dir)): number[] {
    if (group === undefined) return [];
    let entries: string[];
    try {
        entries = fs.readdirSync("/proc");
    } catch {
        return processAlive(group) && isNginx(group) ? [group] : [];
    }
    const errorLog = path.join(realDir(dir), ERROR_LOG);
    const out: number[] = [];
    for (const e of entries) {
        if (!/^\d+$/.test(e)) continue;
        const st = procStat(Number(e));
        if (st && st.pgrp === group && st.state !== "Z" && holdsErrorLog(Number(e), errorLog)) out.push(Number(e));
    }
    return out.sort((a, b) => a - b);
}

/**
 * Whether nginx's master is still working on signals it was sent — for a HUP: re-reading and parsing
 * every file, opening sockets (a failed bind() is retried for ~2.5 s), starting the new workers and
 * telling the old ones to quit; the old workers serve meanwhile. The master keeps its signals blocked
 * except inside sigsuspend(), where it sleeps between events, and handles a signal only after waking
 * there, so it is done with every HUP sent so far exactly when it sleeps (state S) with SIGHUP neither
 * blocked nor pending (/proc/<pid>/status SigBlk, SigPnd, ShdPnd). Just after a kill() it is runnable
 * (R) with the signal pending, or for microseconds while the kernel sets up the handler runnable with
 * nothing blocked: R is never idle, and callers confirm idleness twice (waitIdle). undefined without /proc.
 */
export function masterBusy(pid: number): boolean | undefined {
    let status: string;
    try {
        status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
        return fs.existsSync("/proc/self/status") ? false : undefined; // gone (callers check it is alive), or no /proc
    }
    const field = (name: string) => new RegExp(`^${name}:\\s*([0-9a-f]+)$`, "m").exec(status)?.[1];
    const state = /^State:\s*(\S)/m.exec(status)?.[1];
    const masks = ["SigBlk", "SigPnd", "ShdPnd"].map(field);
    if (state === undefined || masks.some(m => m === undefined)) return undefined;
    const SIGHUP_BIT = 1n; // signal 1 is bit 0
    return state !== "S" || masks.some(m => (BigInt("0x" + m) & SIGHUP_BIT) !== 0n);
}

export function shuttingDown(pid: number): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("shutting down");
    } catch {
        return true; // gone
    }
}

export function readPid(dir: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(path.join(dir, PID_FILE), "utf8").trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
        return undefined;
    }
}

/**
 * running: the master lives. orphans: processes of the instance left without a master (it was killed):
 * they may still serve, hold the ports, and must be stopped before the instance starts again.
 */
export function readInstance(dir: string): { running: boolean; pid?: number; generation?: string; orphans?: number[] } {
    const pid = readPid(dir);
    let generation: string | undefined;
    try {
        generation = fs.readFileSync(path.join(dir, GENERATION_FILE), "utf8");
    } catch { /* never applied */ }
    const gen = generation !== undefined ? { generation } : {};
    if (pid === undefined || !masterAlive(pid)) {
        const orphans = pid === undefined ? [] : instanceProcesses(dir, pid);
        return { running: false, ...gen, ...(orphans.length ? { orphans } : {}) };
    }
    return { running: true, pid, ...gen };
}

export function masterAlive(pid: number): boolean {
    return processAlive(pid) && isNginx(pid);
}

/** GET /generation on the control socket; undefined when nothing answers. */
export function queryGeneration(dir: string, timeoutMs = 1000): Promise<string | undefined> {
    return new Promise(resolve => {
        const req = http.get({ socketPath: path.join(dir, CONTROL_SOCKET), path: "/generation", timeout: timeoutMs, agent: false }, res => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => { body += c; });
            res.on("end", () => resolve(res.statusCode === 200 ? body : undefined));
            res.on("error", () => resolve(undefined));
        });
        req.on("timeout", () => { req.destroy(); resolve(undefined); });
        req.on("error", () => resolve(undefined));
    });
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export function logSize(dir: string): number {
    try {
        return fs.statSync(path.join(dir, ERROR_LOG)).size;
    } catch {
        return 0;
    }
}

/** [emerg]/[alert]/[crit] lines written to the error log since `offset`. */
export function logErrorsSince(dir: string, offset: number): string[] {
    try {
        const fd = fs.openSync(path.join(dir, ERROR_LOG), "r");
        try {
            const size = fs.fstatSync(fd).size;
            if (size <= offset) return [];
            const buf = Buffer.alloc(size - offset);
            fs.readSync(fd, buf, 0, buf.length, offset);
            return buf.toString("utf8").split("\n").filter(s => /\[(emerg|alert|crit)\]/.test(s)).map(s => s.replace(/^\S+ \S+ /, ""));
        } finally {
            fs.closeSync(fd);
        }
    } catch {
        return [];
    }
}
