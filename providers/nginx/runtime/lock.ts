// The gateway home's lock: one change at a time across stacks and processes (proper-lockfile).
// No @pulumi import: the dynamic-provider host loads this through lifecycle.ts.

import * as fs from "fs";
import * as path from "path";
import * as lockfile from "proper-lockfile";
import { processAlive } from "./process";
import { stateDirMode } from "./worker-user";

// The holder refreshes the lock's mtime every LOCK_UPDATE_MS; one not refreshed for LOCK_STALE_MS belongs to
// a holder that died (a killed `pulumi up`) and is taken over, atomically, by proper-lockfile.
const LOCK_STALE_MS = 30_000;
const LOCK_UPDATE_MS = 5_000;

/**
 * Up to gatewaykit 0.2 the lock was a file holding its holder's pid; proper-lockfile's is a directory and
 * cannot remove a file. One left by a dead holder is removed; one a live older gatewaykit holds fails the
 * change with a retry message (a one-time migration; new locks never take this path).
 */
function takeOverLegacyLock(lockPath: string): void {
    let holder: number;
    try {
        if (!fs.lstatSync(lockPath).isFile()) return;
        holder = Number(fs.readFileSync(lockPath, "utf8"));
    } catch {
        return;
    }
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new Error(`the gateway's lock ${lockPath} is held by process ${holder} (an older gatewaykit): retry once it finished`);
    }
    // Not recursive: if another process replaced the file with a new-format lock meanwhile, that directory stays.
    try { fs.rmSync(lockPath, { force: true }); } catch { /* now a directory: a current lock */ }
}

/** Runs fn holding <home>/lock (proper-lockfile: an mkdir lock with mtime heartbeats): one change at a time across stacks and processes. */
export async function withLock<T>(home: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
    // Its ancestors are shared with instance dirs' (the stack's state dir), which the workers may need to search.
    fs.mkdirSync(path.dirname(home), { recursive: true, mode: stateDirMode() });
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    const lockPath = path.join(home, "lock");
    takeOverLegacyLock(lockPath);
    let compromised: Error | undefined;
    let release: () => Promise<void>;
    try {
        release = await lockfile.lock(home, {
            lockfilePath: lockPath,
            realpath: false,
            stale: LOCK_STALE_MS,
            update: LOCK_UPDATE_MS,
            // Waits up to about timeoutMs: retries every 50 ms growing to 500 ms.
            retries: { retries: Math.ceil(timeoutMs / 500) + 5, minTimeout: 50, maxTimeout: 500, factor: 1.3 },
            // The default throws from a timer, killing the process; instead the change in progress fails.
            onCompromised: err => { compromised = err; },
        });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ELOCKED") {
            throw new Error(`the gateway's lock ${lockPath} has been held for more than ${Math.round(timeoutMs / 1000)} s; ` +
                `another stack is changing this gateway: retry once it finished (a lock whose holder died is taken over after ${LOCK_STALE_MS / 1000} s)`);
        }
        throw e;
    }
    let result: T;
    try {
        result = await fn();
    } finally {
        await release().catch(() => undefined); // already released when compromised
    }
    if (compromised) {
        throw new Error(`the gateway's lock ${lockPath} was lost while this change ran (${compromised.message}): another stack may have changed the gateway meanwhile; run \`pulumi up\` again`);
    }
    return result;
}
