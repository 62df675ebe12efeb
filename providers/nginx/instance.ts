// One nginx instance in its own prefix directory: start, verified reload with rollback, stop, read.
// The master daemonizes (`daemon on`) so it outlives the process that started it; its pid file, logs,
// temp paths and control socket all live inside `dir`.

import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CONTROL_SOCKET, INSTANCE_DIRS, RenderedConfig } from "./render";

export interface InstanceState { pid: number; generation: string; ports: number[] }

export class NginxApplyError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "NginxApplyError";
    }
}

const PID_FILE = "run/nginx.pid";
const GENERATION_FILE = "run/generation";
const MANIFEST_FILE = "run/files.json";
const ERROR_LOG = "logs/error.log";
const VERIFY_TIMEOUT_MS = 8000;
// Old workers retitle themselves as soon as they read the master's QUIT (milliseconds); 5 s means one is stuck.
const RETIRE_TIMEOUT_MS = 5000;

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

function run(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise(resolve => {
        execFile(bin, args, { timeout: 30000 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === "number" ? (err as unknown as { code: number }).code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        });
    });
}

function nginxArgs(dir: string, config: RenderedConfig): string[] {
    return ["-p", dir + "/", "-c", path.join(dir, config.mainFile), "-e", path.join(dir, ERROR_LOG)];
}

/** nginx's own messages, without the "nginx: " prefix noise and the success lines. */
function nginxMessage(out: string): string {
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

function shuttingDown(pid: number): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("shutting down");
    } catch {
        return true; // gone
    }
}

function readPid(dir: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(path.join(dir, PID_FILE), "utf8").trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
        return undefined;
    }
}

export function readInstance(dir: string): { running: boolean; pid?: number; generation?: string } {
    const pid = readPid(dir);
    let generation: string | undefined;
    try {
        generation = fs.readFileSync(path.join(dir, GENERATION_FILE), "utf8");
    } catch { /* never applied */ }
    if (pid === undefined || !processAlive(pid) || !isNginx(pid)) return { running: false, ...(generation !== undefined ? { generation } : {}) };
    return { running: true, pid, ...(generation !== undefined ? { generation } : {}) };
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

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function logSize(dir: string): number {
    try {
        return fs.statSync(path.join(dir, ERROR_LOG)).size;
    } catch {
        return 0;
    }
}

/** [emerg]/[alert]/[crit] lines written to the error log since `offset`. */
function logErrorsSince(dir: string, offset: number): string[] {
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

// ---------------------------------------------------------------- files with rollback

interface Backup { files: { rel: string; content?: Buffer; mode?: number }[]; manifest?: string }

function writeAtomic(file: string, content: string | Buffer, mode: number): void {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, content, { mode });
    fs.chmodSync(tmp, mode); // writeFileSync's mode is masked by the umask
    fs.renameSync(tmp, file);
}

function writeFiles(dir: string, config: RenderedConfig): Backup {
    const backup: Backup = { files: [] };
    try {
        backup.manifest = fs.readFileSync(path.join(dir, MANIFEST_FILE), "utf8");
    } catch { /* first generation */ }
    for (const f of config.files) {
        if (path.isAbsolute(f.path) || f.path.split("/").includes("..")) throw new NginxApplyError(`rendered file path ${JSON.stringify(f.path)} must stay inside the instance directory`);
        const abs = path.join(dir, f.path);
        let prev: Backup["files"][number] = { rel: f.path };
        try {
            prev = { rel: f.path, content: fs.readFileSync(abs), mode: fs.statSync(abs).mode & 0o777 };
        } catch { /* new file */ }
        backup.files.push(prev);
        fs.mkdirSync(path.dirname(abs), { recursive: true, mode: 0o700 });
        writeAtomic(abs, f.content, f.mode);
    }
    return backup;
}

function restoreFiles(dir: string, backup: Backup): void {
    for (const f of backup.files) {
        const abs = path.join(dir, f.rel);
        if (f.content === undefined) fs.rmSync(abs, { force: true });
        else writeAtomic(abs, f.content, f.mode ?? 0o600);
    }
}

/** Files of the previous generation the new one no longer has (e.g. a removed listener's key). */
function pruneStale(dir: string, previousManifest: string | undefined, config: RenderedConfig): void {
    if (!previousManifest) return;
    const keep = new Set(config.files.map(f => f.path));
    try {
        for (const rel of JSON.parse(previousManifest) as string[]) {
            if (!keep.has(rel) && !path.isAbsolute(rel) && !rel.split("/").includes("..")) fs.rmSync(path.join(dir, rel), { force: true });
        }
    } catch { /* a damaged manifest only costs a stale file */ }
}

// ---------------------------------------------------------------- apply / stop

export interface ApplyOptions {
    nginxPath?: string;
    /** Default true: before a reload, fail fast when a newly added listen address is taken. false leaves it to nginx alone. */
    precheckPorts?: boolean;
}

/**
 * Starts nginx or reloads it to `config`, verified. A reload returns only when the new generation answers
 * the control socket from new workers AND every pre-reload worker has exited or is shutting down (so no new
 * connection can reach the old configuration); if they have not within RETIRE_TIMEOUT_MS, the previous
 * files are restored and reloaded and the call fails. A failed bind() is reported only after nginx's final
 * verdict (it retries for ~2.5 s), with the previous generation confirmed serving; a bind that succeeds on
 * nginx's retry makes the reload a success.
 */
export async function applyConfig(dir: string, config: RenderedConfig, generation: string, opts: ApplyOptions = {}): Promise<InstanceState> {
    if (!path.isAbsolute(dir)) throw new NginxApplyError(`instance directory ${JSON.stringify(dir)} must be an absolute path`);
    const bin = findNginx(opts.nginxPath);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const d of INSTANCE_DIRS) fs.mkdirSync(path.join(dir, d), { recursive: true, mode: d === "tls" ? 0o700 : 0o755 });
    const before = readInstance(dir);
    const backup = writeFiles(dir, config);
    let preReloadWorkers: number[] = [];
    const fail = async (message: string, reHup: boolean): Promise<never> => {
        restoreFiles(dir, backup);
        if (reHup && before.running && before.pid !== undefined) {
            // The master took the new config (or we cannot tell): reload the restored one, and wait until
            // workers of the rejected generation no longer accept.
            const rejectedWorkers = workerPids(before.pid).filter(w => !preReloadWorkers.includes(w));
            try { process.kill(before.pid, "SIGHUP"); } catch { /* gone */ }
            if (await waitFor(async () => (await queryGeneration(dir)) === before.generation && rejectedWorkers.every(retired), VERIFY_TIMEOUT_MS)) {
                message += `; generation ${before.generation ?? "?"} restored and serving`;
            } else {
                message += `; restoring generation ${before.generation ?? "?"} could not be confirmed (control socket answers ${JSON.stringify(await queryGeneration(dir))})`;
            }
        }
        throw new NginxApplyError(message);
    };

    const test = await run(bin, ["-t", ...nginxArgs(dir, config)]);
    if (test.code !== 0) {
        return fail(`nginx rejected the configuration for generation ${generation} (nginx -t): ${nginxMessage(test.stderr + "\n" + test.stdout)}${before.running ? `; generation ${before.generation ?? "?"} keeps serving` : ""}`, false);
    }

    if (!before.running) {
        fs.rmSync(path.join(dir, CONTROL_SOCKET), { force: true }); // a stale socket would make bind() fail
        const offset = logSize(dir);
        const started = await runDetached(bin, nginxArgs(dir, config));
        if (started.code !== 0) {
            return fail(`nginx failed to start generation ${generation}: ${nginxMessage(started.stderr) || logErrorsSince(dir, offset).join("; ") || `exit code ${started.code}`}`, false);
        }
        const ok = await waitFor(async () => (await queryGeneration(dir)) === generation, VERIFY_TIMEOUT_MS);
        const pid = readPid(dir);
        if (!ok || pid === undefined) {
            const errors = logErrorsSince(dir, offset);
            await stopInstance(dir);
            return fail(`nginx started but generation ${generation} is not serving after ${VERIFY_TIMEOUT_MS} ms${errors.length ? ": " + errors.join("; ") : ""}`, false);
        }
        finish(dir, config, generation, backup);
        return { pid, generation, ports: config.ports };
    }

    const pid = before.pid!;
    if (opts.precheckPorts !== false) {
        const busy = await busyNewAddresses(backup, config);
        if (busy.length) {
            return fail(`nginx cannot reload to generation ${generation}: ${busy.join("; ")} (checked before reloading); generation ${before.generation ?? "?"} keeps serving`, false);
        }
    }
    const oldWorkers = workerPids(pid);
    preReloadWorkers = oldWorkers;
    const offset = logSize(dir);
    try {
        process.kill(pid, "SIGHUP");
    } catch (e) {
        return fail(`could not signal nginx (pid ${pid}) to reload: ${(e as Error).message}`, false);
    }
    const verdict = await awaitVerdict(dir, pid, oldWorkers, generation, offset);
    if (verdict.outcome === "timeout") {
        // The master may still be retrying: the restored files plus a HUP win whatever it does next.
        return fail(`nginx failed to reload to generation ${generation}: no verdict ${VERIFY_TIMEOUT_MS} ms after the reload (control socket answers ${JSON.stringify(await queryGeneration(dir))})${verdict.errors.length ? ": " + verdict.errors.join("; ") : ""}`, true);
    }
    if (verdict.outcome === "rejected") {
        // nginx gave up on the new cycle: confirm the previous generation is what answers before saying so.
        const previousServing = await waitFor(async () => (await queryGeneration(dir)) === before.generation, 2000);
        return fail(`nginx failed to reload to generation ${generation}: ${verdict.errors.join("; ")}${previousServing ? `; generation ${before.generation ?? "?"} keeps serving` : ""}`, !previousServing);
    }
    // Old workers keep accepting new connections until they process the master's QUIT; the reload is done
    // only when none of them can answer a new connection with the previous configuration.
    if (!await waitFor(async () => oldWorkers.every(retired), RETIRE_TIMEOUT_MS)) {
        const stuck = oldWorkers.filter(w => !retired(w));
        return fail(`nginx loaded generation ${generation}, but worker(s) ${stuck.join(", ")} of generation ${before.generation ?? "?"} still accepted connections ${RETIRE_TIMEOUT_MS} ms after the reload; rolled back`, true);
    }
    finish(dir, config, generation, backup);
    return { pid, generation, ports: config.ports };
}

/**
 * nginx's verdict on a HUP: "live" once the control socket answers the new generation from new workers;
 * "rejected" once the master has given up on the new cycle. A failed bind() is NOT final: the master
 * retries it (5 tries, 500 ms apart) and goes live if the port frees meanwhile, so only its closing
 * "still could not bind()" (or any other error, which aborts the cycle at once) is a rejection.
 */
async function awaitVerdict(dir: string, master: number, oldWorkers: number[], generation: string, offset: number): Promise<{ outcome: "live" | "rejected" | "timeout"; errors: string[] }> {
    let errors: string[] = [];
    let outcome = "timeout" as "live" | "rejected" | "timeout";
    await waitFor(async () => {
        errors = logErrorsSince(dir, offset);
        if (errors.some(e => /still could not bind\(\)/.test(e)) || errors.some(e => !/bind\(\) to \S+ failed/.test(e))) {
            outcome = "rejected";
            return true;
        }
        if ((await queryGeneration(dir)) === generation && workerPids(master).some(w => !oldWorkers.includes(w))) {
            outcome = "live";
            return true;
        }
        return false;
    }, VERIFY_TIMEOUT_MS);
    // A bind that succeeded on nginx's retry leaves its earlier failures in the log: not errors of a live cycle.
    // The master logs the same bind() failure once per retry: once is enough in a message.
    return { outcome, errors: outcome === "live" ? [] : [...new Set(errors.map(e => e.replace(/ \d+#\d+: /, " ")))] };
}

/** True once a pre-reload worker cannot accept a new connection: gone, or retitled just before it closes its listening sockets. */
function retired(pid: number): boolean {
    return !processAlive(pid) || shuttingDown(pid);
}

/** TCP `listen` addresses (host:port) in rendered files; the control unix socket is not one. */
function listenAddresses(contents: string[]): Set<string> {
    const out = new Set<string>();
    for (const c of contents) {
        for (const m of c.matchAll(/^\s*listen\s+"?([^\s";]+)/gm)) if (!m[1].startsWith("unix:")) out.add(m[1]);
    }
    return out;
}

/**
 * Listen addresses the new generation adds that something else holds (nginx would fail to bind them on
 * the reload). An address the running generation already listens on is nginx's own and inherited.
 */
async function busyNewAddresses(backup: Backup, config: RenderedConfig): Promise<string[]> {
    const held = listenAddresses(backup.files.flatMap(f => f.content ? [f.content.toString("utf8")] : []));
    const heldPorts = new Set([...held].map(a => a.slice(a.lastIndexOf(":") + 1)));
    const busy: string[] = [];
    for (const addr of listenAddresses(config.files.map(f => f.content))) {
        if (held.has(addr)) continue;
        const port = addr.slice(addr.lastIndexOf(":") + 1);
        const code = await tryBind(addr.slice(0, addr.lastIndexOf(":")), Number(port));
        if (code === undefined || !(code in STRERROR)) continue; // free, or nothing definite (e.g. a name that does not resolve here): nginx decides
        // Worded as nginx words it, so callers matching nginx's bind error see the same text.
        const failed = `bind() to ${addr} failed (${os.constants.errno[code as keyof typeof os.constants.errno] ?? code}: ${STRERROR[code]})`;
        busy.push(code !== "EADDRINUSE" ? failed : heldPorts.has(port)
            ? `${failed}: this nginx holds port ${port} under another address, and a reload cannot move a port to a new address (stop and start the gateway)`
            : `${failed}: another process listens there`);
    }
    return busy;
}

const STRERROR: Record<string, string> = {
    EADDRINUSE: "Address already in use",
    EACCES: "Permission denied",
    EADDRNOTAVAIL: "Cannot assign requested address",
};

/** Binds host:port (SO_REUSEADDR, as nginx does) and releases it; the error code, or undefined when free. */
function tryBind(host: string, port: number): Promise<string | undefined> {
    const h = host === "*" ? "0.0.0.0" : host.replace(/^\[(.*)\]$/, "$1");
    return new Promise(resolve => {
        const s = net.createServer();
        s.once("error", e => resolve((e as NodeJS.ErrnoException).code ?? e.message));
        s.listen({ host: h, port, exclusive: true }, () => s.close(() => resolve(undefined)));
    });
}

function finish(dir: string, config: RenderedConfig, generation: string, backup: Backup): void {
    pruneStale(dir, backup.manifest, config);
    writeAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(config.files.map(f => f.path)), 0o644);
    writeAtomic(path.join(dir, GENERATION_FILE), generation, 0o644);
}

/** Runs nginx, which forks the daemon and exits; its stderr carries start-up errors (e.g. bind failures). */
function runDetached(bin: string, args: string[]): Promise<{ code: number; stderr: string }> {
    return new Promise(resolve => {
        const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
        let stderr = "";
        child.stderr!.on("data", c => { stderr += c; });
        child.on("error", e => resolve({ code: 127, stderr: e.message }));
        child.on("close", code => resolve({ code: code ?? 1, stderr }));
    });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check()) return true;
        if (Date.now() > deadline) return false;
        await sleep(25);
    }
}

/** Graceful QUIT, then TERM, then KILL (master and workers); returns when no process is left. */
export async function stopInstance(dir: string): Promise<void> {
    const pid = readPid(dir);
    if (pid === undefined || !processAlive(pid) || !isNginx(pid)) {
        fs.rmSync(path.join(dir, CONTROL_SOCKET), { force: true });
        return;
    }
    const workers = workerPids(pid);
    const gone = () => !processAlive(pid) && workers.every(w => !processAlive(w));
    for (const [signal, waitMs] of [["SIGQUIT", 10000], ["SIGTERM", 3000], ["SIGKILL", 3000]] as const) {
        for (const p of signal === "SIGKILL" ? [pid, ...workers] : [pid]) {
            try { process.kill(p, signal); } catch { /* already gone */ }
        }
        if (await waitFor(async () => gone(), waitMs)) break;
    }
    if (!gone()) throw new NginxApplyError(`nginx (pid ${pid}) in ${dir} did not exit after QUIT, TERM and KILL`);
    fs.rmSync(path.join(dir, CONTROL_SOCKET), { force: true });
    fs.rmSync(path.join(dir, PID_FILE), { force: true });
}
