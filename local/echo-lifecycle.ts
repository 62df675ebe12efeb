// The lifecycle behind the echo dynamic provider (echo.ts): one detached echo-server.js process. No
// @pulumi import: the dynamic-provider host requires this file lazily by absolute path.

import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";

export interface DiffOutcome {
    changes: boolean;
    replaces: string[];
    deleteBeforeReplace: boolean;
}

export interface EchoInputs {
    /** The name the backend answers with. */
    name: string;
    /** Port to bind; 0 picks a free one (kept across restarts when still free). */
    requestedPort: number;
    host: string;
    /** Directory for the pid, port and log files. */
    dir: string;
}

export interface EchoOutputs extends EchoInputs {
    /** The port actually bound (an output only, so a preview shows it as unknown, not as 0). */
    port: number;
    pid: number;
    running: boolean;
    url: string;
}

const ECHO_SERVER = path.join(__dirname, "echo-server.js");

function sleep(ms: number): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms));
}

function isAlive(pid: number | undefined): boolean {
    if (!pid || pid <= 0) return false;
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    // A zombie (exited, not yet reaped by its parent) is not serving anything.
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        if (/^\d+ \(.*\) Z/.test(stat)) return false;
    } catch { /* no /proc: trust kill(0) */ }
    return true;
}

/** True when pid is an echo-server started for `name` (guards against pid reuse). */
function isEchoProcess(pid: number | undefined, name: string): boolean {
    if (!isAlive(pid)) return false;
    try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return argv.some(a => a.endsWith("echo-server.js")) && argv[argv.indexOf("--name") + 1] === name;
    } catch {
        return true;
    }
}

function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { timeout: timeoutMs, agent: false }, res => {
            let data = "";
            res.setEncoding("utf8");
            res.on("data", c => { data += c; });
            res.on("end", () => {
                try {
                    resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) });
                } catch (e) {
                    reject(e);
                }
            });
        });
        req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
        req.on("error", reject);
    });
}

async function stopProcess(pid: number | undefined, timeoutMs = 5000): Promise<void> {
    if (!isAlive(pid)) return;
    try { process.kill(pid!, "SIGTERM"); } catch { return; }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (!isAlive(pid)) return;
        await sleep(50);
    }
    try { process.kill(pid!, "SIGKILL"); } catch { /* gone */ }
    while (isAlive(pid)) await sleep(20);
}

function tail(file: string, lines = 10): string {
    try {
        return fs.readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
        return "";
    }
}

async function startEcho(name: string, host: string, port: number, dir: string): Promise<{ pid: number; port: number }> {
    fs.mkdirSync(dir, { recursive: true });
    const pidFile = path.join(dir, "echo.pid");
    const portFile = path.join(dir, "echo.port");
    const logFile = path.join(dir, "echo.log");
    for (const f of [pidFile, portFile]) fs.rmSync(f, { force: true });
    const log = fs.openSync(logFile, "a");
    // Detached with its own session: it outlives `pulumi up` (and the provider host) by design.
    const child = spawn(process.execPath, [ECHO_SERVER, "--name", name, "--port", String(port), "--host", host, "--pidfile", pidFile, "--portfile", portFile], {
        detached: true,
        stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    let exited: number | null | undefined;
    child.on("exit", code => { exited = code; });
    child.unref();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
        if (exited !== undefined) {
            throw new Error(`echo backend ${name} exited (code ${exited}) before serving on ${host}:${port}: ${tail(logFile)}`);
        }
        if (fs.existsSync(pidFile)) {
            const actualPort = Number(fs.readFileSync(portFile, "utf8").trim());
            try {
                const r = await getJson(`http://${host}:${actualPort}/__seen`, 1000);
                if (r.status === 200 && (r.body as { name?: string }).name === name) return { pid: child.pid!, port: actualPort };
            } catch { /* not ready yet */ }
        }
        await sleep(50);
    }
    await stopProcess(child.pid);
    throw new Error(`echo backend ${name} did not answer on ${host}:${port} within 10 s: ${tail(logFile)}`);
}

function echoOutputs(inputs: EchoInputs, pid: number, port: number): EchoOutputs {
    return { name: inputs.name, host: inputs.host, dir: inputs.dir, requestedPort: inputs.requestedPort, port, pid, running: true, url: `http://${inputs.host}:${port}` };
}

export async function createEcho(inputs: EchoInputs): Promise<{ id: string; outs: EchoOutputs }> {
    const { pid, port } = await startEcho(inputs.name, inputs.host, inputs.requestedPort, inputs.dir);
    return { id: `${inputs.name}@${inputs.dir}`, outs: echoOutputs(inputs, pid, port) };
}

export function diffEcho(olds: Partial<EchoOutputs>, news: EchoInputs): DiffOutcome {
    const replaces = olds.dir !== news.dir ? ["dir"] : [];
    const changed = olds.name !== news.name || olds.host !== news.host || olds.requestedPort !== news.requestedPort;
    return { changes: changed || replaces.length > 0 || olds.running === false, replaces, deleteBeforeReplace: replaces.length > 0 };
}

export async function updateEcho(olds: EchoOutputs, news: EchoInputs): Promise<EchoOutputs> {
    await stopProcess(isEchoProcess(olds.pid, olds.name) ? olds.pid : undefined);
    // An ephemeral port is kept across restarts when possible, so routes to it stay valid.
    if (news.requestedPort === 0 && olds.requestedPort === 0 && olds.host === news.host && olds.port) {
        try {
            const { pid, port } = await startEcho(news.name, news.host, olds.port, news.dir);
            return echoOutputs(news, pid, port);
        } catch { /* the old port is taken: any port will do */ }
    }
    const { pid, port } = await startEcho(news.name, news.host, news.requestedPort, news.dir);
    return echoOutputs(news, pid, port);
}

export async function deleteEcho(props: EchoOutputs): Promise<void> {
    await stopProcess(isEchoProcess(props.pid, props.name) ? props.pid : undefined);
    for (const f of ["echo.pid", "echo.port", "echo.log"]) fs.rmSync(path.join(props.dir, f), { force: true });
    try { fs.rmdirSync(props.dir); } catch { /* not empty or gone: leave it */ }
}

export function readEcho(props: EchoOutputs): EchoOutputs {
    const running = isEchoProcess(props.pid, props.name);
    return { ...props, running };
}
