// The files of one generation, written all or nothing with a backup to restore, and the one atomic
// write every state file of the runtime goes through (route files, instances, settings).

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { RenderedConfig } from "../model";
import { MANIFEST_FILE, NginxApplyError } from "./process";

// ---------------------------------------------------------------- files with rollback

export interface Backup { files: { rel: string; content?: Buffer; mode?: number }[]; manifest?: string }

/** A temp file beside `file`: unique, created exclusively (never through a file someone left there). */
function tempBeside(file: string): string {
    return `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
}

function writeTemp(file: string, content: string | Buffer, mode: number): string {
    const tmp = tempBeside(file);
    try {
        fs.writeFileSync(tmp, content, { mode, flag: "wx" });
        fs.chmodSync(tmp, mode); // writeFileSync's mode is masked by the umask
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
    }
    return tmp;
}

/** Replaces `file` (its directory created 0700 if missing) with `content` in one rename, `mode` applied despite the umask. */
export function writeAtomic(file: string, content: string | Buffer, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = writeTemp(file, content, mode);
    try {
        fs.renameSync(tmp, file);
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
    }
}

/**
 * Writes the generation's files all or nothing: every file goes to a temp file first, and only once all
 * are written (a full disk, a read-only or blocked path fails here) are they renamed into place. Any
 * failure removes the temp files and restores every file as it was, then throws.
 */
export function writeFiles(dir: string, config: RenderedConfig, generation: string): Backup {
    const backup: Backup = { files: [] };
    try {
        backup.manifest = fs.readFileSync(path.join(dir, MANIFEST_FILE), "utf8");
    } catch { /* first generation */ }
    for (const f of config.files) {
        if (path.isAbsolute(f.path) || f.path.split("/").includes("..")) throw new NginxApplyError(`rendered file path ${JSON.stringify(f.path)} must stay inside the instance directory`);
    }
    const staged: { tmp: string; abs: string }[] = [];
    let renamed = 0;
    let current = "";
    try {
        for (const f of config.files) {
            current = f.path;
            const abs = path.join(dir, f.path);
            let prev: Backup["files"][number] = { rel: f.path };
            try {
                prev = { rel: f.path, content: fs.readFileSync(abs), mode: fs.statSync(abs).mode & 0o777 };
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e; // unreadable: we could not restore it
            }
            backup.files.push(prev);
            fs.mkdirSync(path.dirname(abs), { recursive: true, mode: 0o700 });
            staged.push({ tmp: writeTemp(abs, f.content, f.mode), abs });
        }
        for (const { tmp, abs } of staged) {
            current = path.relative(dir, abs);
            fs.renameSync(tmp, abs);
            renamed++;
        }
    } catch (e) {
        for (const { tmp } of staged) fs.rmSync(tmp, { force: true });
        let restored = "the previous files are in place";
        try {
            // Only files already renamed changed; the others are as they were (and may not be ours to remove).
            restoreFiles(dir, { files: backup.files.slice(0, renamed) });
        } catch (r) {
            restored = `restoring the previous files failed too: ${(r as Error).message}`;
        }
        throw new NginxApplyError(`could not write the files of generation ${generation} in ${dir}: ${current}: ${(e as Error).message}; ${restored}`);
    }
    return backup;
}

export function restoreFiles(dir: string, backup: Backup): void {
    for (const f of backup.files) {
        const abs = path.join(dir, f.rel);
        if (f.content === undefined) fs.rmSync(abs, { force: true });
        else writeAtomic(abs, f.content, f.mode ?? 0o600);
    }
}

/** Files of the previous generation the new one no longer has (e.g. a removed listener's key). */
export function pruneStale(dir: string, previousManifest: string | undefined, files: string[]): void {
    if (!previousManifest) return;
    const keep = new Set(files);
    try {
        for (const rel of JSON.parse(previousManifest) as string[]) {
            if (!keep.has(rel) && !path.isAbsolute(rel) && !rel.split("/").includes("..")) fs.rmSync(path.join(dir, rel), { force: true });
        }
    } catch { /* a damaged manifest only costs a stale file */ }
}
