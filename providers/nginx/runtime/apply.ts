// Applying a generation to one nginx instance: start, verified reload with rollback, stop. The master
// daemonizes (`daemon on`) so it outlives the process that started it; its pid file, logs, temp paths
// and control socket all live inside `dir`.

import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CONTROL_SOCKET, INSTANCE_DIRS, RenderedConfig } from "../model";
import { WorkerAccount, lookupAccount } from "./worker-user";
import { Backup, pruneStale, restoreFiles, writeAtomic, writeFiles } from "./files";
import {
    BIND_RETRIES_MS, GENERATION_FILE, InstanceState, MANIFEST_FILE, NginxApplyError, NginxReloadPendingError, PENDING_FILE, PID_FILE, RELOAD_TIMEOUT_FACTOR, RELOAD_TIMEOUT_FLOOR_MS, RETIRE_TIMEOUT_MS, TEST_TIMEOUT_MS,
    findNginx, instanceProcesses, logErrorsSince, logSize, masterAlive, masterBusy, nginxArgs, nginxMessage, processAlive, queryGeneration, readInstance, readPid, realDir, run, shuttingDown, sleep, workerPids,
} from "./process";

// ---------------------------------------------------------------- directories and the workers' account

/** The account the config's `user` directive names, when nginx (run as root) switches its workers to another one. */
function workerAccount(config: RenderedConfig): WorkerAccount | undefined {
    if (typeof process.geteuid !== "function" || process.geteuid() !== 0) return undefined; // nginx ignores `user` then
    const main = config.files.find(f => f.path === config.mainFile)?.content ?? "";
    const m = /^user ([A-Za-z0-9._-]+)(?: ([A-Za-z0-9._-]+))?;$/m.exec(main);
    if (!m) return undefined;
    const account = lookupAccount(m[1]);
    if (!account) throw new NginxApplyError(`the nginx configuration runs workers as user ${m[1]}, which does not exist on this machine`);
    return account.uid === 0 ? undefined : account;
}

/** True when `account` may search (traverse) directory `d`: owner, group or other x bit. */
function searchable(d: string, account: WorkerAccount): boolean {
    const st = fs.statSync(d);
    if (st.uid === account.uid) return (st.mode & 0o100) !== 0;
    if (st.gid === account.gid) return (st.mode & 0o010) !== 0;
    return (st.mode & 0o001) !== 0;
}

/**
 * Creates the instance's directories. The instance dir and everything in it but temp/ are private to
 * the invoking user (tls/ holds the private keys; the master reads them). When the master runs as root,
 * the workers run unprivileged and need to reach temp/ (nginx chowns its subdirectories to them): the
 * instance dir and temp/ become searchable (0711, not listable), and every ancestor must be searchable
 * for them too, or large request bodies and responses would fail at the first temp file.
 */
function prepareDirs(dir: string, config: RenderedConfig): void {
    const account = workerAccount(config);
    fs.mkdirSync(dir, { recursive: true, mode: account ? 0o711 : 0o700 }); // ancestors it creates too
    fs.chmodSync(dir, account ? 0o711 : 0o700);
    for (const d of INSTANCE_DIRS) {
        const abs = path.join(dir, d);
        fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
        fs.chmodSync(abs, d === "temp" && account ? 0o711 : 0o700);
    }
    if (!account) return;
    const real = realDir(dir);
    for (let d = path.dirname(real); ; d = path.dirname(d)) {
        if (!searchable(d, account)) {
            throw new NginxApplyError(`nginx's workers run as ${account.user} (the master runs as root) and cannot reach ${real}/temp: ` +
                `${d} (mode ${(fs.statSync(d).mode & 0o777).toString(8).padStart(4, "0")}) is not searchable for them. Put the state in a ` +
                "directory they can reach (the nginx class parameter workDir, or XDG_STATE_HOME; as root the default is /var/lib/gatewaykit), " +
                `or allow it: chmod o+x ${d}`);
        }
        if (d === path.dirname(d)) break;
    }
}

// ---------------------------------------------------------------- apply / stop

export interface ApplyOptions {
    nginxPath?: string;
    /** Default true: before a reload, fail fast when a newly added listen address is taken. false leaves it to nginx alone. */
    precheckPorts?: boolean;
    /**
     * The reload budget in ms (the class parameter reloadTimeoutSeconds): how long nginx may take to load
     * and serve the new generation after the HUP (or the start). Default: reloadBudget's scaling.
     */
    reloadTimeoutMs?: number;
    /** The floor of the scaled default budget (RELOAD_TIMEOUT_FLOOR_MS); tests lower it to show the scaling. */
    reloadTimeoutFloorMs?: number;
}

/**
 * How long after the HUP nginx may take to serve the new generation: the configured budget, or
 * RELOAD_TIMEOUT_FACTOR × the `nginx -t` of the same files (the reload parses them the same way; the
 * factor absorbs a loaded machine) + BIND_RETRIES_MS (a reload retries a busy bind(), `nginx -t` does
 * not bind), at least the floor. A config's byte size is no guide: a few hundred bytes of map hash
 * settings can take seconds, a megabyte of plain servers milliseconds.
 */
export function reloadBudget(testMs: number, opts: ApplyOptions = {}): number {
    if (opts.reloadTimeoutMs !== undefined) return opts.reloadTimeoutMs;
    return Math.max(opts.reloadTimeoutFloorMs ?? RELOAD_TIMEOUT_FLOOR_MS, Math.ceil(RELOAD_TIMEOUT_FACTOR * testMs) + BIND_RETRIES_MS);
}

// ---------------------------------------------------------------- a reload still in progress

/** What an update that gave up on a reload still in progress leaves the next one (PENDING_FILE). */
interface PendingReload {
    /** The generation nginx was loading. */
    generation: string;
    /** The generation serving meanwhile (the generation file still says so). */
    previous?: string;
    /** The files of `previous` (base64), put back if nginx keeps `previous`; absent when the files on disk are `previous`'s. */
    backup?: { manifest?: string; files: { rel: string; content?: string; mode?: number }[] };
    /** The files of `generation`: its manifest once it serves. */
    files?: string[];
    /** Its `nginx -t` time, which scales the next update's wait. */
    testMs: number;
    signalledAt: number;
}

function writePending(dir: string, pending: PendingReload): void {
    writeAtomic(path.join(dir, PENDING_FILE), JSON.stringify(pending), 0o600);
}

function readPending(dir: string): PendingReload | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(dir, PENDING_FILE), "utf8")) as PendingReload;
    } catch {
        return undefined;
    }
}

function encodeBackup(backup: Backup): NonNullable<PendingReload["backup"]> {
    return {
        ...(backup.manifest !== undefined ? { manifest: backup.manifest } : {}),
        files: backup.files.map(f => ({ rel: f.rel, ...(f.content !== undefined ? { content: f.content.toString("base64") } : {}), ...(f.mode !== undefined ? { mode: f.mode } : {}) })),
    };
}

function decodeBackup(backup: NonNullable<PendingReload["backup"]>): Backup {
    return {
        ...(backup.manifest !== undefined ? { manifest: backup.manifest } : {}),
        files: backup.files.map(f => ({ rel: f.rel, ...(f.content !== undefined ? { content: Buffer.from(f.content, "base64") } : {}), ...(f.mode !== undefined ? { mode: f.mode } : {}) })),
    };
}

/**
 * Until the master has finished with every signal sent to it (masterBusy false on two looks at least
 * 50 ms apart) or `budgetMs` passed. True when idle, gone, or without /proc to tell.
 */
async function waitIdle(pid: number, budgetMs: number): Promise<boolean> {
    let idleSince: number | undefined;
    return waitFor(async () => {
        if (!masterAlive(pid)) return true;
        const busy = masterBusy(pid);
        if (busy === undefined) return true;
        if (busy) {
            idleSince = undefined;
            return false;
        }
        idleSince ??= Date.now();
        return Date.now() - idleSince >= 50;
    }, budgetMs);
}

/**
 * An earlier update that gave up while nginx was still loading its generation (PENDING_FILE) left the
 * outcome to this one: waits (its scaled budget) until the master has finished, then records what nginx
 * decided — that generation serving (its manifest and generation file), or the previous one (its files
 * put back, so the files on disk are the serving ones). A master still loading after the budget fails
 * this update before it changes anything.
 */
async function settlePendingReload(dir: string, before: ReturnType<typeof readInstance>, opts: ApplyOptions): Promise<void> {
    const pending = readPending(dir);
    const running = before.running && before.pid !== undefined;
    if (running) {
        const budget = reloadBudget(pending?.testMs ?? 0, opts);
        if (!await waitIdle(before.pid!, budget)) {
            const what = pending
                ? `is still loading generation ${pending.generation} (signalled ${Math.round((Date.now() - pending.signalledAt) / 1000)} s ago by an earlier update)`
                : "has not finished with the signals sent to it before this update (a reload in progress, or the process is stopped)";
            throw new NginxApplyError(`nginx (pid ${before.pid}) ${what} after waiting ${budget} ms: this update changed nothing; ` +
                `generation ${before.generation ?? "?"} keeps serving until nginx has finished, and the next update records the outcome ` +
                "(raise parameters.nginx.reloadTimeoutSeconds for configurations this slow to load)");
        }
    }
    if (!pending) return;
    const serving = running ? await queryGeneration(dir) : undefined;
    if (serving === pending.generation && pending.files) {
        finishFiles(dir, pending.files, pending.generation, pending.backup?.manifest);
    } else if (pending.backup) {
        restoreFiles(dir, decodeBackup(pending.backup));
        if (running && serving !== pending.previous) {
            // Neither generation answers (the new one's workers failed): load the previous files again.
            try { process.kill(before.pid!, "SIGHUP"); } catch { /* gone */ }
            await waitIdle(before.pid!, reloadBudget(pending.testMs, opts));
        }
    }
    fs.rmSync(path.join(dir, PENDING_FILE), { force: true });
}

/**
 * Starts nginx or reloads it to `config`, verified. A reload returns only when the new generation answers
 * the control socket from new workers AND every pre-reload worker has exited or is shutting down (so no new
 * connection can reach the old configuration); if they have not within RETIRE_TIMEOUT_MS, the previous
 * files are restored and reloaded and the call fails. A failed bind() is reported only after nginx's final
 * verdict (it retries for ~2.5 s), with the previous generation confirmed serving; a bind that succeeds on
 * nginx's retry makes the reload a success.
 *
 * The contract for slow reloads: nginx's verdict is taken only once its master has finished with the HUP
 * (masterBusy), within the reload budget (reloadBudget: configured, or scaled from the measured `nginx -t`).
 * The previous files are restored, and reloaded, only after that verdict, so the restore's HUP is the only
 * one the master has left. If the budget runs out while the master is still loading, the call fails saying
 * exactly that and changes nothing more: the new files stay (nginx may still be reading them), no second
 * HUP, the previous generation keeps serving until nginx finishes, after which nginx serves the new one if
 * it accepts it or keeps the previous one. PENDING_FILE records the reload; the next applyConfig first
 * waits (its budget) for the master, then records the outcome — the new generation as serving, or the
 * previous files put back — before it writes anything; a master still loading then fails it unchanged.
 */
export async function applyConfig(dir: string, config: RenderedConfig, generation: string, opts: ApplyOptions = {}): Promise<InstanceState> {
    if (!path.isAbsolute(dir)) throw new NginxApplyError(`instance directory ${JSON.stringify(dir)} must be an absolute path`);
    const bin = findNginx(opts.nginxPath);
    prepareDirs(dir, config);
    let before = readInstance(dir);
    if (before.orphans) {
        // Workers of a killed master still serve (and hold the ports): stop them before starting afresh.
        await stopInstance(dir);
        before = readInstance(dir);
    }
    // It may record another generation as serving. The master's liveness stays as first seen: fail() and
    // the reload notice a master that died since.
    await settlePendingReload(dir, before, opts);
    const settled = readInstance(dir).generation;
    if (settled !== undefined) before = { ...before, generation: settled };
    let budget = reloadBudget(0, opts);
    const previous = `generation ${before.generation ?? "?"}`;
    let backup: Backup;
    try {
        backup = writeFiles(dir, config, generation);
    } catch (e) {
        throw new NginxApplyError(`${(e as Error).message}${before.running ? `; ${previous} keeps serving` : ""}`);
    }
    let preReloadWorkers: number[] = [];
    /**
     * Restores the previous files and fails. `master`: what the running master saw — "untouched" (no HUP
     * yet, or nginx rejected the new cycle and the previous one was confirmed serving) or "reloaded" (it
     * may run the new config: reload the restored files). A master that died on the way is recovered:
     * its orphaned workers are stopped and the previous generation is started again.
     */
    const fail = async (message: string, master: "untouched" | "reloaded" | "none"): Promise<never> => {
        restoreFiles(dir, backup);
        if (!before.running || before.pid === undefined || master === "none") throw new NginxApplyError(message);
        if (!masterAlive(before.pid)) {
            message += `; nginx's master process (pid ${before.pid}) died during the update: ${await restartPrevious(bin, dir, config, before.pid, before.generation)}`;
        } else if (master === "untouched") {
            message += `; ${previous} keeps serving`;
        } else {
            // The master took the new config (or we cannot tell): reload the restored one, and wait until
            // workers of the rejected generation no longer accept.
            // Only ever sent once the master has finished with the failed reload (awaitVerdict), so it is
            // the only HUP it has to handle.
            const rejectedWorkers = workerPids(before.pid).filter(w => !preReloadWorkers.includes(w));
            const signalledAt = Date.now();
            try { process.kill(before.pid, "SIGHUP"); } catch { /* gone */ }
            if (await waitFor(async () => (await queryGeneration(dir)) === before.generation && rejectedWorkers.every(retired) && masterAlive(before.pid!), budget)) {
                message += `; ${previous} restored and serving`;
            } else if (!masterAlive(before.pid)) {
                message += `; nginx's master process (pid ${before.pid}) died during the rollback: ${await restartPrevious(bin, dir, config, before.pid, before.generation)}`;
            } else if (masterBusy(before.pid)) {
                writePending(dir, { generation: before.generation ?? "?", testMs: budget / RELOAD_TIMEOUT_FACTOR, signalledAt });
                message += `; the previous files are back and nginx is still loading them ${budget} ms after the reload signal: ${previous} serves once it has finished, and the next update waits for that`;
            } else {
                message += `; restoring ${previous} could not be confirmed (control socket answers ${JSON.stringify(await queryGeneration(dir))})`;
            }
        }
        throw new NginxApplyError(message);
    };

    const test = await run(bin, ["-t", ...nginxArgs(dir, config)], TEST_TIMEOUT_MS);
    if (test.timedOut) {
        return fail(`nginx -t of generation ${generation} did not finish within ${TEST_TIMEOUT_MS} ms and was stopped; nothing was reloaded`, "untouched");
    }
    budget = reloadBudget(test.ms, opts);
    if (test.code !== 0) {
        return fail(`nginx rejected the configuration for generation ${generation} (nginx -t): ${nginxMessage(test.stderr + "\n" + test.stdout)}`, "untouched");
    }

    if (!before.running) {
        fs.rmSync(path.join(dir, CONTROL_SOCKET), { force: true }); // a stale socket would make bind() fail
        const offset = logSize(dir);
        const started = await runDetached(bin, nginxArgs(dir, config));
        if (started.code !== 0) {
            return fail(`nginx failed to start generation ${generation}: ${nginxMessage(started.stderr) || logErrorsSince(dir, offset).join("; ") || `exit code ${started.code}`}`, "none");
        }
        const ok = await waitFor(async () => (await queryGeneration(dir)) === generation, budget);
        const pid = readPid(dir);
        if (!ok || pid === undefined || !masterAlive(pid)) {
            const errors = logErrorsSince(dir, offset);
            await stopInstance(dir);
            return fail(`nginx started but generation ${generation} is not served by a live master after ${budget} ms${errors.length ? ": " + errors.join("; ") : ""}`, "none");
        }
        finish(dir, config, generation, backup);
        return { pid, generation, ports: config.ports };
    }

    const pid = before.pid!;
    if (opts.precheckPorts !== false) {
        const busy = await busyNewAddresses(backup, config);
        if (busy.length) {
            return fail(`nginx cannot reload to generation ${generation}: ${busy.join("; ")} (checked before reloading)`, "untouched");
        }
    }
    const oldWorkers = workerPids(pid);
    preReloadWorkers = oldWorkers;
    const offset = logSize(dir);
    if (!masterAlive(pid)) return fail(`nginx could not reload to generation ${generation}`, "untouched");
    try {
        process.kill(pid, "SIGHUP");
    } catch (e) {
        return fail(`could not signal nginx (pid ${pid}) to reload: ${(e as Error).message}`, "untouched");
    }
    const signalledAt = Date.now();
    const verdict = await awaitVerdict(dir, pid, oldWorkers, generation, offset, budget);
    if (verdict.outcome === "died") return fail(`nginx did not finish the reload to generation ${generation}`, "reloaded");
    if (verdict.outcome === "pending") {
        // The master is still reading and parsing (or retrying a bind): it reads the files as it goes and
        // handles a second HUP only after this one. Restoring now would let this generation go live when it
        // finishes and be replaced a whole parse later, so the files stay and the next update settles it.
        writePending(dir, { generation, ...(before.generation !== undefined ? { previous: before.generation } : {}), backup: encodeBackup(backup), files: config.files.map(f => f.path), testMs: test.ms, signalledAt });
        throw new NginxReloadPendingError(`nginx is still loading generation ${generation} ${budget} ms after the reload signal (its nginx -t took ${test.ms} ms): ` +
            "the update is reported failed but nothing was restored, because nginx may still be reading the new files; " +
            `${previous} keeps serving until nginx has finished, then nginx serves generation ${generation} if it accepts it or keeps ${previous}; ` +
            "the next update waits for that and records it (raise parameters.nginx.reloadTimeoutSeconds for configurations this slow to load)", generation);
    }
    if (verdict.outcome === "rejected") {
        // nginx gave up on the new cycle: confirm the previous generation is what answers before saying so.
        const previousServing = await waitFor(async () => (await queryGeneration(dir)) === before.generation, 2000);
        return fail(`nginx failed to reload to generation ${generation}: ${verdict.errors.join("; ") || "nginx kept the previous generation without logging why"}`, previousServing ? "untouched" : "reloaded");
    }
    if (verdict.outcome === "broken") {
        return fail(`nginx loaded generation ${generation}, but no worker of it serves${verdict.errors.length ? ": " + verdict.errors.join("; ") : ""}`, "reloaded");
    }
    // Old workers keep accepting new connections until they process the master's QUIT; the reload is done
    // only when none of them can answer a new connection with the previous configuration.
    if (!await waitFor(async () => oldWorkers.every(retired) || !masterAlive(pid), RETIRE_TIMEOUT_MS) || !masterAlive(pid)) {
        if (!masterAlive(pid)) return fail(`nginx did not finish the reload to generation ${generation}`, "reloaded");
        const stuck = oldWorkers.filter(w => !retired(w));
        return fail(`nginx loaded generation ${generation}, but worker(s) ${stuck.join(", ")} of ${previous} still accepted connections ${RETIRE_TIMEOUT_MS} ms after the reload; rolled back`, "reloaded");
    }
    finish(dir, config, generation, backup);
    return { pid, generation, ports: config.ports };
}

/**
 * After the master died mid-update: stops every process left of its group (orphaned workers of either
 * generation) and starts nginx again on the restored files. Returns what happened, for the message.
 */
async function restartPrevious(bin: string, dir: string, config: RenderedConfig, deadMaster: number, generation: string | undefined): Promise<string> {
    const orphans = instanceProcesses(dir, deadMaster);
    try {
        await stopInstance(dir);
    } catch (e) {
        return `its workers ${orphans.join(", ")} could not be stopped: ${(e as Error).message}`;
    }
    const stopped = orphans.length ? `its orphaned worker(s) ${orphans.join(", ")} were stopped` : "no worker of it was left";
    if (generation === undefined) return `${stopped}; nothing to restart`;
    fs.rmSync(path.join(dir, CONTROL_SOCKET), { force: true });
    const offset = logSize(dir);
    const started = await runDetached(bin, nginxArgs(dir, config));
    if (started.code === 0 && await waitFor(async () => (await queryGeneration(dir)) === generation, RELOAD_TIMEOUT_FLOOR_MS)) {
        return `${stopped}, and generation ${generation} was started again and serves (pid ${readPid(dir) ?? "?"})`;
    }
    const why = nginxMessage(started.stderr) || logErrorsSince(dir, offset).join("; ") || "it did not answer";
    await stopInstance(dir).catch(() => undefined);
    return `${stopped}, but generation ${generation} could not be started again (${why}): nginx is not running; run \`pulumi up\` again`;
}

/**
 * nginx's verdict on a HUP, decided only once the master has finished with it (masterBusy): "live" when
 * the new generation answers the control socket from new workers; "rejected" when no new worker exists
 * and the old ones were not told to quit (nginx logged why and kept the previous cycle; a failed bind()
 * is retried for ~2.5 s before that); "broken" when the master took the new cycle but none of its
 * workers serves (they failed to start; the old ones are quitting); "pending" when the budget ran out
 * while the master was still loading. Without /proc (macOS) only the control socket and the error log
 * can tell, as nginx's closing "still could not bind()" or any other error.
 */
async function awaitVerdict(dir: string, master: number, oldWorkers: number[], generation: string, offset: number, budgetMs: number): Promise<{ outcome: "live" | "rejected" | "broken" | "pending" | "died"; errors: string[] }> {
    let outcome = "pending" as "live" | "rejected" | "broken" | "pending" | "died" | "idle";
    let idleSince: number | undefined;
    await waitFor(async () => {
        if (!masterAlive(master)) {
            outcome = "died";
            return true;
        }
        const busy = masterBusy(master);
        if (busy === undefined) {
            const errors = logErrorsSince(dir, offset);
            if (errors.some(e => /still could not bind\(\)/.test(e)) || errors.some(e => !/bind\(\) to \S+ failed/.test(e))) {
                outcome = "rejected";
                return true;
            }
            if ((await queryGeneration(dir)) === generation) outcome = "live";
            return outcome === "live";
        }
        if (busy) {
            idleSince = undefined;
            return false;
        }
        idleSince ??= Date.now();
        if (Date.now() - idleSince < 50) return false;
        outcome = "idle";
        return true;
    }, budgetMs);
    if (outcome === "idle") {
        const fresh = workerPids(master).filter(w => !oldWorkers.includes(w));
        // New workers answer within milliseconds of their fork; 3 s is a loaded machine.
        if (fresh.length && await waitFor(async () => (await queryGeneration(dir)) === generation, 3000)) outcome = "live";
        else if (fresh.length === 0 && oldWorkers.length > 0 && oldWorkers.every(w => processAlive(w) && !shuttingDown(w))) outcome = "rejected";
        else outcome = "broken";
    }
    const errors = outcome === "live" ? [] : logErrorsSince(dir, offset);
    // A bind that succeeded on nginx's retry leaves its earlier failures in the log: not errors of a live cycle.
    // The master logs the same bind() failure once per retry: once is enough in a message.
    return { outcome: outcome as "live" | "rejected" | "broken" | "pending" | "died", errors: [...new Set(errors.map(e => e.replace(/ \d+#\d+: /, " ")))] };
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
    finishFiles(dir, config.files.map(f => f.path), generation, backup.manifest);
}

/** Records `generation` as serving: its manifest, its generation file, and the previous generation's files it no longer has removed. */
function finishFiles(dir: string, files: string[], generation: string, previousManifest: string | undefined): void {
    pruneStale(dir, previousManifest, files);
    writeAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(files), 0o644);
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

/**
 * Graceful QUIT, then TERM, then KILL; returns when no process of the instance is left. A live master
 * takes QUIT and TERM for its workers; workers it left behind (it was killed) get them directly. KILL
 * goes to every process of the instance's group (instanceProcesses), found afresh at each step.
 */
export async function stopInstance(dir: string): Promise<void> {
    const group = readPid(dir);
    const left = () => instanceProcesses(dir, group);
    if (group === undefined || left().length === 0) {
        fs.rmSync(path.join(dir, CONTROL_SOCKET), { force: true });
        return;
    }
    for (const [signal, waitMs] of [["SIGQUIT", 10000], ["SIGTERM", 3000], ["SIGKILL", 3000]] as const) {
        const procs = left();
        const targets = signal !== "SIGKILL" && procs.includes(group) && masterAlive(group) ? [group] : procs;
        for (const p of targets) {
            try { process.kill(p, signal); } catch { /* already gone */ }
        }
        if (await waitFor(async () => left().length === 0, waitMs)) break;
    }
    const stuck = left();
    if (stuck.length) throw new NginxApplyError(`nginx process(es) ${stuck.join(", ")} of ${dir} (master pid ${group}) did not exit after QUIT, TERM and KILL`);
    fs.rmSync(path.join(dir, CONTROL_SOCKET), { force: true });
    fs.rmSync(path.join(dir, PID_FILE), { force: true });
}
