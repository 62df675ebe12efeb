// The unprivileged account nginx workers run as when the master runs as root. The master keeps root
// (it binds the ports and reads the 0600 private keys); workers, which parse every request, must not.
// No @pulumi import: the renderer and runtime/apply.ts use this in the dynamic-provider host.

import * as fs from "fs";

export interface WorkerAccount { user: string; group: string; uid: number; gid: number }

/** Accounts tried in order: Debian/Ubuntu's web-server user, the nginx packages' own, then nobody. */
const CANDIDATES = ["www-data", "nginx", "nobody"];

function table(file: string): string[][] {
    try {
        return fs.readFileSync(file, "utf8").split("\n").filter(l => l && !l.startsWith("#")).map(l => l.split(":"));
    } catch {
        return [];
    }
}

/** The account `user` (with its primary group) from /etc/passwd and /etc/group; undefined when absent. */
export function lookupAccount(user: string): WorkerAccount | undefined {
    const pw = table("/etc/passwd").find(f => f[0] === user);
    if (!pw) return undefined;
    const uid = Number(pw[2]);
    const gid = Number(pw[3]);
    const group = table("/etc/group").find(f => Number(f[2]) === gid)?.[0];
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || group === undefined) return undefined;
    return { user, group, uid, gid };
}

function runningAsRoot(): boolean {
    return typeof process.geteuid === "function" && process.geteuid() === 0;
}

/**
 * The `user` directive's value ("user group") for this process: an unprivileged account when running as
 * root, none otherwise (workers then run as the invoking user, as nginx does without the directive).
 */
export function defaultWorkerUser(): string | undefined {
    if (!runningAsRoot()) return undefined;
    for (const name of CANDIDATES) {
        const a = lookupAccount(name);
        if (a && a.uid !== 0) return `${a.user} ${a.group}`;
    }
    throw new Error(`running as root, and none of the accounts ${CANDIDATES.join(", ")} exists for nginx's workers to run as: ` +
        "create one (e.g. `useradd --system --no-create-home --shell /usr/sbin/nologin www-data`) or run as an unprivileged user");
}

/**
 * Mode of the directories gatewaykit creates on the way to an instance dir: searchable (not listable)
 * when the workers run as another user (they must reach the instance's temp/), else private.
 */
export function stateDirMode(): number {
    return runningAsRoot() ? 0o711 : 0o700;
}
