// The lifecycle behind the nginx dynamic provider (provider.ts): one nginx instance per Gateway. No
// @pulumi import: the dynamic-provider host requires this file lazily by absolute path, and the tests
// call it directly with real processes.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { GatewayPlan } from "../../routing/plan";
import { applyConfig, readInstance, stopInstance, workerPids } from "./instance";
import { TlsMaterial, renderNginx } from "./render";

// ---------------------------------------------------------------- nginx gateway

export interface NginxGatewayInputs {
    /** "namespace/name" of the Gateway, for messages. */
    gateway: string;
    /** Absolute instance prefix directory, unique per gateway. */
    dir: string;
    /** The GatewayPlan as JSON (a string keeps the diff exact and the state readable). */
    plan: string;
    listenAddress: string;
    nginxPath?: string;
    /** Keyed "namespace/name" of listener certificateRefs; secret in the Pulumi state. */
    certificates?: Record<string, TlsMaterial>;
}

export interface NginxGatewayOutputs extends NginxGatewayInputs {
    /** False when `read` found no nginx serving `dir`: the next update restarts it. */
    running: boolean;
    pid?: number;
    generation: string;
    ports: number[];
}

export interface DiffOutcome {
    changes: boolean;
    replaces: string[];
    deleteBeforeReplace: boolean;
}

// Written into the instance dir so delete only removes directories this provider made.
const MARKER = ".gatewaykit-nginx";

function newGeneration(): string {
    return `${Date.now().toString(36)}-${crypto.randomBytes(3).toString("hex")}`;
}

function pickInputs(i: NginxGatewayInputs): NginxGatewayInputs {
    const out: NginxGatewayInputs = { gateway: i.gateway, dir: i.dir, plan: i.plan, listenAddress: i.listenAddress };
    if (i.nginxPath) out.nginxPath = i.nginxPath;
    if (i.certificates && Object.keys(i.certificates).length > 0) out.certificates = i.certificates;
    return out;
}

async function renderAndApply(inputs: NginxGatewayInputs): Promise<NginxGatewayOutputs> {
    const plan = JSON.parse(inputs.plan) as GatewayPlan;
    const generation = newGeneration();
    const config = renderNginx(plan, {
        dir: inputs.dir,
        generation,
        listenAddress: inputs.listenAddress,
        ...(inputs.certificates ? { certificates: inputs.certificates } : {}),
    });
    fs.mkdirSync(inputs.dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(inputs.dir, MARKER), `${inputs.gateway}\n`);
    const before = readInstance(inputs.dir);
    const oldWorkers = before.running && before.pid !== undefined ? workerPids(before.pid) : [];
    const state = await applyConfig(inputs.dir, config, generation, inputs.nginxPath ? { nginxPath: inputs.nginxPath } : {});
    await waitUntilRetired(oldWorkers, generation);
    return { ...pickInputs(inputs), running: true, pid: state.pid, generation: state.generation, ports: state.ports };
}

function sleep(ms: number): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms));
}

/** True once a pre-reload worker can no longer accept connections: it exited or began its graceful shutdown. */
function retired(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return true;
        // nginx retitles a worker "worker process is shutting down" just before it closes its listening sockets.
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("shutting down");
    } catch {
        return true;
    }
}

/**
 * After a reload, new workers answer the new generation while the old ones still accept new connections
 * until they process the master's QUIT (measured: up to 19 of 20 sequential requests right after a
 * "verified" HUP went to the old config). An update is done only when every old worker has stopped accepting.
 */
async function waitUntilRetired(oldWorkers: number[], generation: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!oldWorkers.every(retired)) {
        if (Date.now() > deadline) {
            throw new Error(`generation ${generation} is loaded, but worker(s) ${oldWorkers.filter(p => !retired(p)).join(", ")} of the previous ` +
                `configuration still accept connections ${timeoutMs} ms after the reload`);
        }
        await sleep(10);
    }
}

function errorMessage(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

export async function createGateway(inputs: NginxGatewayInputs): Promise<{ id: string; outs: NginxGatewayOutputs }> {
    try {
        const outs = await renderAndApply(inputs);
        return { id: inputs.dir, outs };
    } catch (err) {
        // A failed create is not recorded in the state, so nothing would ever stop a half-started nginx.
        await stopInstance(inputs.dir).catch(() => undefined);
        throw new Error(`Gateway ${inputs.gateway}: could not start nginx in ${inputs.dir}: ${errorMessage(err)}`);
    }
}

function sameJson(a: unknown, b: unknown): boolean {
    return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Update in place when the plan or its settings change (or nginx died); replace only for a new dir. */
export function diffGateway(olds: Partial<NginxGatewayOutputs>, news: NginxGatewayInputs): DiffOutcome {
    const replaces = olds.dir !== news.dir ? ["dir"] : [];
    const changed = (["gateway", "plan", "listenAddress", "nginxPath"] as const).some(k => (olds[k] ?? "") !== (news[k] ?? ""))
        || !sameJson(olds.certificates ?? {}, news.certificates ?? {});
    // Old and new instance would want the same ports: the old one must go first.
    return { changes: changed || replaces.length > 0 || olds.running === false, replaces, deleteBeforeReplace: replaces.length > 0 };
}

export async function updateGateway(olds: NginxGatewayOutputs, news: NginxGatewayInputs): Promise<NginxGatewayOutputs> {
    try {
        return await renderAndApply(news);
    } catch (err) {
        const serving = readInstance(news.dir).running;
        throw new Error(`Gateway ${news.gateway}: the new nginx configuration was not applied ` +
            (serving ? `(generation ${olds.generation} keeps serving)` : "(nginx is not running)") + `: ${errorMessage(err)}`);
    }
}

export async function deleteGateway(props: NginxGatewayOutputs): Promise<void> {
    await stopInstance(props.dir);
    // The dir holds private keys: remove it, but only if this provider made it.
    if (fs.existsSync(path.join(props.dir, MARKER))) fs.rmSync(props.dir, { recursive: true, force: true });
}

export function readGateway(props: NginxGatewayOutputs): NginxGatewayOutputs {
    const st = readInstance(props.dir);
    const outs: NginxGatewayOutputs = { ...pickInputs(props), running: st.running, generation: st.generation ?? props.generation, ports: props.ports ?? [] };
    if (st.running && st.pid !== undefined) outs.pid = st.pid;
    return outs;
}
