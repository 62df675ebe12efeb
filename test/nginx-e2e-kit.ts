// Shared by test/e2e-roles.test.ts and test/e2e-upgrade.test.ts: several stacks of inline programs on
// one file backend, driven through the real Pulumi engine (Automation API), with the gate the
// quickstart e2e uses (CI=true or GATEWAYKIT_E2E=1; under CI a missing nginx or CLI fails).

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";

const ROOT = path.resolve(__dirname, "..");
const CI = process.env.CI === "true";

/**
 * The start of every e2e gate: without CI=true or GATEWAYKIT_E2E=1 it skips loudly (undefined);
 * otherwise it returns how to refuse a missing tool — a failure under CI, a loud skip elsewhere.
 */
export function e2eRun(ctx: Mocha.Context, what: string): ((message: string) => void) | undefined {
    if (!CI && process.env.GATEWAYKIT_E2E !== "1") {
        console.warn(`\n    !!! SKIPPING ${what}: set GATEWAYKIT_E2E=1 to run it (CI=true always runs it)\n`);
        ctx.skip();
        return undefined;
    }
    return (message: string) => {
        if (CI) throw new Error(message);
        console.warn(`\n    !!! SKIPPING ${what}: ${message}\n`);
        ctx.skip();
    };
}

/** The CLI's bin dir, or undefined after skipping (or throws under CI) when nginx or the CLI is missing. */
export function e2eGate(ctx: Mocha.Context, what: string): string | undefined {
    const skipOrFail = e2eRun(ctx, what);
    if (!skipOrFail) return undefined;
    if (!["nginx", "/usr/sbin/nginx"].some(c => spawnSync(c, ["-v"]).status === 0)) return void skipOrFail("nginx is not installed (apt-get install -y nginx-light)");
    const cache = process.env.GATEWAYKIT_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "gatewaykit");
    const onPath = spawnSync("sh", ["-c", "command -v pulumi && command -v pulumi-resource-pulumi-nodejs"], { encoding: "utf8" }).status === 0;
    const built = fs.existsSync(cache) && fs.readdirSync(cache).some(d => fs.existsSync(path.join(cache, d, "STAMP")));
    if (!onPath && !built && !CI) return void skipOrFail("no Pulumi CLI: run scripts/ensure-pulumi.sh (builds it from Go modules once)");
    const r = spawnSync("bash", [path.join(ROOT, "scripts", "ensure-pulumi.sh")], { encoding: "utf8", timeout: 30 * 60_000 });
    if (r.status !== 0) throw new Error(`scripts/ensure-pulumi.sh failed: ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
    const bin = r.stdout.trim().split("\n").pop()!;
    if (!fs.existsSync(path.join(bin, "pulumi"))) return void skipOrFail(`no pulumi binary in ${bin}`);
    return bin;
}

/** A temp dir with one file backend and one state root (nginx, echo) shared by every stack of a test. */
export class E2eWorld {
    readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gk-e2e-"));
    readonly stateHome = path.join(this.tmp, "state");
    readonly stacks: Stack[] = [];

    private readonly savedStateHome = process.env.XDG_STATE_HOME;

    constructor(private readonly bin: string) {
        fs.chmodSync(this.tmp, 0o711); // as root, nginx's workers run unprivileged and must reach the instance dirs below
        fs.mkdirSync(path.join(this.tmp, "backend"), { recursive: true });
        // Inline programs run in this process: their state paths (nginx, echo) come from this env.
        process.env.XDG_STATE_HOME = this.stateHome;
    }

    /**
     * An inline program as its own project and stack. Its work dir links the repo's node_modules, so the
     * dynamic-provider host (started there) finds @pulumi/pulumi and ts-node.
     */
    async stack(projectName: string, stackName: string, program: PulumiFn): Promise<Stack> {
        const workDir = path.join(this.tmp, "projects", projectName);
        fs.mkdirSync(workDir, { recursive: true });
        if (!fs.existsSync(path.join(workDir, "node_modules"))) fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(workDir, "node_modules"));
        const pulumiCommand = await PulumiCommand.get({ root: path.dirname(this.bin), skipVersionCheck: true });
        const stack = await LocalWorkspace.createOrSelectStack({ stackName, projectName, program }, {
            workDir,
            pulumiCommand,
            projectSettings: { name: projectName, runtime: "nodejs", backend: { url: `file://${path.join(this.tmp, "backend")}` } },
            envVars: {
                PATH: `${this.bin}:${process.env.PATH}`,
                PULUMI_BACKEND_URL: `file://${path.join(this.tmp, "backend")}`,
                PULUMI_CONFIG_PASSPHRASE: "e2e",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_HOME: path.join(this.tmp, "pulumi-home"),
                XDG_STATE_HOME: this.stateHome,
            },
        });
        this.stacks.push(stack);
        return stack;
    }

    /** Destroys every stack (last made first), then removes the temp dir if no process of it is left. */
    async cleanup(): Promise<void> {
        for (const s of [...this.stacks].reverse()) {
            await s.destroy().catch(e => console.error(`e2e cleanup: destroy of ${s.name} failed:`, (e as Error).message.split("\n").slice(-3).join(" ")));
            await s.workspace.removeStack(s.name).catch(() => undefined);
        }
        if (this.savedStateHome === undefined) delete process.env.XDG_STATE_HOME; else process.env.XDG_STATE_HOME = this.savedStateHome;
        if (processesNaming(this.tmp).length === 0) fs.rmSync(this.tmp, { recursive: true, force: true });
        else console.error(`e2e cleanup: processes of ${this.tmp} still run:\n${processesNaming(this.tmp).join("\n")}`);
    }
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const sock = net.connect({ host: "127.0.0.1", port });
        sock.once("connect", () => { sock.destroy(); resolve(true); });
        sock.once("error", () => resolve(false));
    });
}

export function processesNaming(dir: string): string[] {
    const r = spawnSync("pgrep", ["-af", "--", dir], { encoding: "utf8" });
    return r.stdout.trim() ? r.stdout.trim().split("\n").filter(l => !l.includes("pgrep")) : [];
}

/** One request on a new connection: the echo backend's name on 200, else "status N". Rejects on a network error. */
export function ask(port: number, host: string, urlPath: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, headers: { host }, agent: false, timeout: timeoutMs }, res => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => { body += c; });
            res.on("end", () => {
                if (res.statusCode !== 200) return resolve(`status ${res.statusCode}`);
                try { resolve(JSON.parse(body).name); } catch { resolve(`bad body ${res.statusCode}`); }
            });
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

/** Who answered n sequential requests. */
export async function tally(port: number, host: string, urlPath: string, n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
        const who = await ask(port, host, urlPath);
        counts[who] = (counts[who] ?? 0) + 1;
    }
    return counts;
}
