// The gateway home's lock (withLock, proper-lockfile): one change at a time within a process and across
// processes, a lock left by a dead holder taken over, a held lock timing out with a clear message.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { withLock } from "./lock";

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe("gateway home lock (withLock)", function () {
    this.timeout(60000);
    let home: string;
    beforeEach(() => { home = fs.mkdtempSync(path.join(os.tmpdir(), "gk-lock-")); });
    afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

    it("serialises concurrent changes in one process", async () => {
        let inside = 0;
        let most = 0;
        const order: number[] = [];
        await Promise.all([0, 1, 2, 3, 4].map(i => withLock(home, async () => {
            inside++;
            most = Math.max(most, inside);
            await sleep(30);
            order.push(i);
            inside--;
        })));
        assert.equal(most, 1, "two holders at once");
        assert.equal(order.length, 5);
        assert.equal(fs.existsSync(path.join(home, "lock")), false, "released");
    });

    it("waits for a holder in another process", async () => {
        const child = spawn(process.execPath, ["-r", "ts-node/register", "-e",
            `require(${JSON.stringify(path.resolve(__dirname, "lock"))}).withLock(${JSON.stringify(home)}, async () => {
                console.log("locked"); await new Promise(r => setTimeout(r, 1500)); console.log("releasing");
            })`], { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" }, stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        const exited = new Promise<number | null>(r => child.on("exit", r));
        await new Promise<void>((resolve, reject) => {
            child.stdout!.on("data", c => { out += c; if (out.includes("locked")) resolve(); });
            child.on("exit", code => reject(new Error(`child exited (${code}) before locking: ${out}`)));
        });
        let entered = "";
        await withLock(home, async () => { entered = out; });
        assert.match(entered, /releasing/, "entered while the other process held the lock");
        assert.equal(await exited, 0);
    });

    it("takes over a lock whose holder died (not refreshed for longer than the stale time)", async () => {
        // What a killed holder leaves: the lock directory, its mtime no longer refreshed.
        const lock = path.join(home, "lock");
        fs.mkdirSync(lock);
        const old = new Date(Date.now() - 120_000);
        fs.utimesSync(lock, old, old);
        const t0 = Date.now();
        assert.equal(await withLock(home, async () => "ran"), "ran");
        assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    });

    it("takes over an older gatewaykit's lock file whose holder died; refuses one whose holder lives", async () => {
        const lock = path.join(home, "lock");
        fs.writeFileSync(lock, "999999999"); // no such process
        assert.equal(await withLock(home, async () => "ran"), "ran");
        fs.writeFileSync(lock, String(process.pid));
        await assert.rejects(withLock(home, async () => "never"), /held by process \d+ \(an older gatewaykit\)/);
        fs.rmSync(lock);
    });

    it("a lock held (and refreshed) beyond the timeout fails with a message naming the lock", async () => {
        let releaseHolder!: () => void;
        const holding = withLock(home, () => new Promise<void>(r => { releaseHolder = r; }));
        await sleep(100);
        await assert.rejects(withLock(home, async () => "never", 1000),
            (e: Error) => e.message.includes(path.join(home, "lock")) && /another stack is changing this gateway/.test(e.message));
        releaseHolder();
        await holding;
        assert.equal(await withLock(home, async () => "after"), "after");
    });
});
