// Verified reloads of configurations that take nginx seconds to load (real nginx): a reload still in
// progress when the budget runs out is reported as such and never "restored" over; the scaled default
// budget lets a slow valid reload succeed; rejected reloads (a failed bind, workers that cannot start)
// still leave the previous generation serving.
//
// The slow configuration: two map keys with the same nginx hash (ngx_hash_key: k*31 + c, so "…a_" and
// "…b@" collide) in buckets that hold one key each. nginx then tries every hash size up to
// map_hash_max_size, clearing a size-long array each time (quadratic in the maximum), warns and uses the
// maximum: valid, tiny on disk, little memory, CPU-bound for as long as the map count says (about half
// a second per map here).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderNginx, RenderedConfig } from "../providers/nginx/model";
import { applyConfig, stopInstance } from "../providers/nginx/runtime/apply";
import {
    BIND_RETRIES_MS, findNginx, instanceProcesses, masterBusy, NginxApplyError, NginxReloadPendingError, PENDING_FILE, queryGeneration, readInstance, run, nginxArgs,
} from "../providers/nginx/runtime/process";
import { createGateway, deleteGateway, diffGateway, NginxGatewayInputs, updateGateway } from "../providers/nginx/runtime/lifecycle";
import { readSettings } from "../providers/nginx/runtime/routeFiles";
import { redirectInput, redirectPlan, requireNginx, statusAt } from "./nginx-provider-kit";
import { freePort, listening } from "./nginx-e2e-kit";

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const MAP_HASH_MAX = 300_000;

/** A redirect with `status`, plus `maps` colliding-key maps that make it slow to load; `mainExtra` goes into the main context. */
function slowConfig(dir: string, port: number, status: number, generation: string, maps: number, more: { extraPort?: number; mainExtra?: string } = {}): RenderedConfig {
    const cfg = renderNginx(redirectPlan(port, status, more.extraPort !== undefined ? { extraPort: more.extraPort } : {}), { dir, generation });
    const main = cfg.files.find(f => f.path === cfg.mainFile)!;
    const key = "k".repeat(100);
    const blocks = Array.from({ length: maps }, (_, i) => `map $uri $gk_slow_${i} { "${key}a_" 1; "${key}b@" 2; }`);
    assert.ok(main.content.includes("map_hash_max_size 65536;") && main.content.includes("map_hash_bucket_size 128;") && main.content.includes("daemon on;"), "the renderer's main file changed shape: update slowConfig");
    main.content = main.content
        .replace("map_hash_max_size 65536;", `map_hash_max_size ${MAP_HASH_MAX};`)
        .replace("daemon on;", `daemon on;\n${more.mainExtra ?? ""}`)
        // After the hash sizes: a map's hash is built from the values set when its block ends.
        .replace("map_hash_bucket_size 128;", `map_hash_bucket_size 128;\n    ${blocks.join("\n    ")}`);
    return cfg;
}

/** Polls until the master has finished with its signals (two idle looks), at most `ms`. */
async function untilIdle(pid: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    let idle = 0;
    while (Date.now() < deadline) {
        idle = masterBusy(pid) === false ? idle + 1 : 0;
        if (idle >= 2) return;
        await sleep(50);
    }
    throw new Error(`nginx (pid ${pid}) still busy after ${ms} ms`);
}

/** The master and its one worker, once shutting-down workers have exited: nothing orphaned. */
async function onlyMasterAndWorker(dir: string): Promise<void> {
    for (let i = 0; i < 100 && instanceProcesses(dir).length !== 2; i++) await sleep(50);
    assert.equal(instanceProcesses(dir).length, 2, `processes of ${dir}: ${instanceProcesses(dir).join(", ")}`);
}

describe("nginx reloads of slow configurations (real process)", function () {
    this.timeout(60000);
    let root: string;
    let maps = 3;
    let oneMapMs = 1000;

    before(async function () {
        requireNginx(this); // under CI=true a missing nginx fails
        root = fs.mkdtempSync(path.join(os.tmpdir(), "gk-slow-"));
        fs.chmodSync(root, 0o755); // as root, the workers run unprivileged and must reach the instance dirs
        // Calibrate: enough maps for a load of ~1.5 s on this machine (at most 8).
        const dir = path.join(root, "calibrate");
        for (const d of ["conf", "logs", "run", "temp", "tls"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
        const cfg = slowConfig(dir, await freePort(), 301, "c", 1);
        for (const f of cfg.files) fs.writeFileSync(path.join(dir, f.path), f.content);
        // The faster of two runs: a busy machine only ever slows one down.
        const runs = [await run(findNginx(), ["-t", ...nginxArgs(dir, cfg)]), await run(findNginx(), ["-t", ...nginxArgs(dir, cfg)])];
        for (const t of runs) assert.equal(t.code, 0, t.stderr);
        const t = runs.reduce((a, b) => (a.ms <= b.ms ? a : b));
        oneMapMs = Math.max(t.ms, 1);
        maps = Math.min(8, Math.ceil(1500 / oneMapMs));
        console.log(`      (one slow map: nginx -t ${t.ms} ms; using ${maps} maps)`);
    });
    after(async () => {
        if (!root) return;
        for (const d of fs.readdirSync(root)) await stopInstance(path.join(root, d)).catch(() => undefined);
        fs.rmSync(root, { recursive: true, force: true });
    });

    async function started(name: string): Promise<{ dir: string; port: number; pid: number }> {
        const dir = path.join(root, name);
        const port = await freePort();
        const st = await applyConfig(dir, renderNginx(redirectPlan(port, 301), { dir, generation: "g1" }), "g1");
        assert.equal(await statusAt(port), 301);
        return { dir, port, pid: st.pid };
    }

    it("a budget shorter than the load: reported as still loading, nothing restored, the old generation serves until nginx finishes, then the new one (never back); the next update records it", async () => {
        const { dir, port, pid } = await started("pending-valid");
        const t0 = Date.now();
        await assert.rejects(applyConfig(dir, slowConfig(dir, port, 302, "g2", maps), "g2", { reloadTimeoutMs: 300 }),
            (e: Error) => e instanceof NginxReloadPendingError && e.generation === "g2" && /nginx is still loading generation g2 300 ms after the reload signal/.test(e.message)
                && /nothing was restored/.test(e.message) && /generation g1 keeps serving until nginx has finished/.test(e.message) && !/restored and serving/.test(e.message),
            "the message says the reload is still in progress, and claims no restore");
        const failedAt = Date.now();
        let firstNewAt: number | undefined;
        assert.equal(masterBusy(pid), true, "nginx was really still loading when the update gave up");
        assert.match(fs.readFileSync(path.join(dir, "conf/nginx.conf"), "utf8"), /generation g2/, "the files nginx is reading were left alone");
        assert.ok(fs.existsSync(path.join(dir, PENDING_FILE)), "the pending reload is recorded for the next update");
        assert.equal(readInstance(dir).generation, "g1", "g2 is not recorded as serving before it serves");
        // While nginx loads, g1 answers; once it has finished, g2 — and never g1 again (nothing reloads over it).
        const seen: number[] = [];
        while (masterBusy(pid) !== false) {
            seen.push(await statusAt(port));
            if (seen[seen.length - 1] === 302) firstNewAt ??= Date.now();
            await sleep(100);
        }
        await untilIdle(pid, 30000);
        for (let i = 0; i < 10; i++) {
            seen.push(await statusAt(port));
            if (seen[seen.length - 1] === 302) firstNewAt ??= Date.now();
            await sleep(100);
        }
        const firstNew = seen.indexOf(302);
        assert.ok(seen[0] === 301 && firstNew > 0, `g1 served during the load, then g2: ${seen.join(" ")}`);
        assert.deepEqual(seen.slice(firstNew).filter(s => s !== 302), [], `after g2 went live something else answered: ${seen.join(" ")}`);
        assert.equal(await queryGeneration(dir), "g2");
        console.log(`      (the update gave up ${failedAt - t0} ms after it began, nginx -t included; g2 first answered ${firstNewAt! - failedAt} ms after that)`);
        // The next update settles it: g2 is recorded as serving, so a rejected g3 leaves g2 (and its files).
        const bad = renderNginx(redirectPlan(port, 307), { dir, generation: "g3" });
        bad.files[0].content = bad.files[0].content.replace("map $request_uri $gk_path {", "map $uri $gk_bad { \"~(?<=a+)b\" 1; }\n    map $request_uri $gk_path {");
        await assert.rejects(applyConfig(dir, bad, "g3"), (e: Error) => /lookbehind/.test(e.message) && /generation g2 keeps serving/.test(e.message));
        assert.equal(readInstance(dir).generation, "g2");
        assert.equal(fs.existsSync(path.join(dir, PENDING_FILE)), false);
        assert.match(fs.readFileSync(path.join(dir, "conf/nginx.conf"), "utf8"), /generation g2/);
        assert.equal(await statusAt(port), 302);
        const st = await applyConfig(dir, renderNginx(redirectPlan(port, 308), { dir, generation: "g4" }), "g4");
        assert.equal(st.pid, pid);
        assert.equal(await statusAt(port), 308);
        await onlyMasterAndWorker(dir);
    });

    it("a pending reload nginx then rejects (a bind that fails after the load): the old generation serves throughout; the next update puts its files back", async () => {
        const { dir, port, pid } = await started("pending-rejected");
        const busyPort = await freePort();
        const blocker = require("net").createServer();
        await new Promise<void>(r => blocker.listen(busyPort, "127.0.0.1", () => r()));
        try {
            await assert.rejects(applyConfig(dir, slowConfig(dir, port, 302, "g2", maps, { extraPort: busyPort }), "g2", { reloadTimeoutMs: 300, precheckPorts: false }),
                (e: Error) => /still loading generation g2/.test(e.message) && /nothing was restored/.test(e.message));
            const seen: number[] = [];
            while (masterBusy(pid) !== false) {
                seen.push(await statusAt(port));
                await sleep(100);
            }
            await untilIdle(pid, 30000);
            seen.push(await statusAt(port));
            assert.deepEqual(seen.filter(s => s !== 301), [], `only g1 may answer: ${seen.join(" ")}`);
            assert.equal(await queryGeneration(dir), "g1");
            assert.match(fs.readFileSync(path.join(dir, "logs/error.log"), "utf8"), /still could not bind\(\)/);
        } finally {
            await new Promise(r => blocker.close(r));
        }
        // Settled by the next update: g1's files are back before it writes its own; a rejected one leaves g1's.
        const bad = renderNginx(redirectPlan(port, 307), { dir, generation: "g3" });
        bad.files[0].content = bad.files[0].content.replace("map $request_uri $gk_path {", "map $uri $gk_bad { \"~(?<=a+)b\" 1; }\n    map $request_uri $gk_path {");
        await assert.rejects(applyConfig(dir, bad, "g3"), (e: Error) => /generation g1 keeps serving/.test(e.message));
        assert.match(fs.readFileSync(path.join(dir, "conf/nginx.conf"), "utf8"), /generation g1/);
        assert.equal(fs.existsSync(path.join(dir, PENDING_FILE)), false);
        assert.equal(await listening(busyPort), false, "the rejected generation's port is not served");
        assert.equal(await statusAt(port), 301);
    });

    it("parameters.nginx.reloadTimeoutSeconds reaches every reload of the instance (settings, diff); a master not done with its signals is never written over", async () => {
        const dir = path.join(root, "lifecycle");
        const port = await freePort();
        const inputs = (status: number, reloadTimeoutSeconds?: number): NginxGatewayInputs => ({
            gateway: "default/gw", dir, listenAddress: "127.0.0.1", reusePort: true, home: path.join(root, "home"), input: redirectInput(port, status),
            ...(reloadTimeoutSeconds !== undefined ? { reloadTimeoutSeconds } : {}),
        });
        const { outs } = await createGateway(inputs(301, 1));
        try {
            assert.equal(outs.reloadTimeoutSeconds, 1);
            assert.equal(readSettings(dir)?.reloadTimeoutSeconds, 1, "team route updates read it from the instance's settings");
            assert.equal(diffGateway(outs, inputs(301, 1)).changes, false);
            assert.equal(diffGateway(outs, inputs(301, 30)).changes, true);
            assert.equal(diffGateway(outs, inputs(301)).changes, true);
            // A stopped master never finishes with a signal: the update waits the configured 1 s (not the 8 s floor) and changes nothing.
            process.kill(outs.pid!, "SIGSTOP");
            const t0 = Date.now();
            try {
                await assert.rejects(updateGateway(outs, inputs(302, 1)), (e: Error) => /has not finished with the signals sent to it/.test(e.message)
                    && /after waiting 1000 ms: this update changed nothing/.test(e.message) && /generation \S+ keeps serving/.test(e.message));
            } finally {
                process.kill(outs.pid!, "SIGCONT");
            }
            assert.ok(Date.now() - t0 < 5000, `the configured budget was not used (${Date.now() - t0} ms)`);
            assert.match(fs.readFileSync(path.join(dir, "conf/nginx.conf"), "utf8"), new RegExp(`generation ${outs.generation}`), "files untouched");
            assert.equal(await statusAt(port), 301);
            const next = await updateGateway(outs, inputs(302));
            assert.equal(next.reloadTimeoutSeconds, undefined);
            assert.equal(readSettings(dir)?.reloadTimeoutSeconds, undefined);
            assert.equal(await statusAt(port), 302);
        } finally {
            await deleteGateway(outs).catch(() => undefined);
        }
    });

    it("the scaled default budget: a reload far slower than the floor succeeds", async () => {
        const { dir, port, pid } = await started("scaled");
        // A 200 ms floor stands for the 8 s one. The load must outlast floor + BIND_RETRIES_MS, so that
        // only the scaling (RELOAD_TIMEOUT_FACTOR × nginx -t) lets it succeed (the first test shows that a
        // budget shorter than the load fails).
        // Aimed at ~9 s by the calibration: on a loaded machine one map may load 2–3× faster than it calibrated.
        const slowMaps = Math.min(12, Math.ceil(9000 / oneMapMs));
        const t0 = Date.now();
        // How long the master is busy with the HUP (nginx -t before it does not make it busy).
        let busyMs = 0;
        let watching = true;
        const watcher = (async () => {
            for (let last = Date.now(); watching; last = Date.now()) {
                await sleep(20);
                if (masterBusy(pid)) busyMs += Date.now() - last;
            }
        })();
        let st;
        try {
            st = await applyConfig(dir, slowConfig(dir, port, 302, "g2", slowMaps), "g2", { reloadTimeoutFloorMs: 200 });
        } finally {
            watching = false;
            await watcher;
        }
        const took = Date.now() - t0;
        assert.equal(st.generation, "g2");
        assert.equal(await statusAt(port), 302);
        assert.ok(busyMs > 200 + BIND_RETRIES_MS, `nginx loaded the config in ${busyMs} ms: not slow enough to show the scaling (${slowMaps} maps)`);
        assert.equal(fs.existsSync(path.join(dir, PENDING_FILE)), false);
        console.log(`      (${slowMaps} maps: nginx busy with the reload for ${busyMs} ms, verified after ${took} ms in all, nginx -t included)`);
    });

    it("a slow config nginx rejects on the reload (a bind nginx -t cannot check): waits for the verdict, the previous generation keeps serving", async () => {
        const { dir, port, pid } = await started("rejected");
        const busyPort = await freePort();
        const blocker = require("net").createServer();
        await new Promise<void>(r => blocker.listen(busyPort, "127.0.0.1", () => r()));
        try {
            await assert.rejects(applyConfig(dir, slowConfig(dir, port, 302, "g2", maps, { extraPort: busyPort }), "g2", { precheckPorts: false, reloadTimeoutFloorMs: 200 }),
                (e: Error) => e instanceof NginxApplyError && new RegExp(`bind\\(\\) to 127\\.0\\.0\\.1:${busyPort} failed`).test(e.message) && /generation g1 keeps serving/.test(e.message));
            assert.equal(masterBusy(pid), false, "the verdict came after nginx had finished");
        } finally {
            await new Promise(r => blocker.close(r));
        }
        assert.equal(await queryGeneration(dir), "g1");
        assert.equal(await statusAt(port), 301);
        assert.match(fs.readFileSync(path.join(dir, "conf/nginx.conf"), "utf8"), /generation g1/, "previous files restored");
        await sleep(1000);
        assert.equal(await listening(busyPort), false, "the rejected generation never went live");
    });

    it("a slow config whose workers cannot start (nginx -t passes): the previous files are reloaded and serve", async () => {
        const { dir, port, pid } = await started("broken");
        await assert.rejects(applyConfig(dir, slowConfig(dir, port, 302, "g2", maps, { mainExtra: "working_directory /nonexistent-gatewaykit-dir;" }), "g2", { reloadTimeoutFloorMs: 200 }),
            (e: Error) => e instanceof NginxApplyError && /nginx loaded generation g2, but no worker of it serves/.test(e.message)
                && /chdir\("\/nonexistent-gatewaykit-dir"\) failed/.test(e.message) && /generation g1 restored and serving/.test(e.message));
        assert.equal(readInstance(dir).pid, pid);
        assert.equal(await queryGeneration(dir), "g1");
        assert.equal(await statusAt(port), 301);
        assert.equal(readInstance(dir).generation, "g1");
        await onlyMasterAndWorker(dir);
    });
});
