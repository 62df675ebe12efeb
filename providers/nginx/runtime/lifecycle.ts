// The lifecycle behind the nginx dynamic providers (resources.ts): one nginx instance per Gateway. No
// @pulumi import: the dynamic-provider host requires this file lazily by absolute path, and the tests
// call it directly with real processes.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { GatewayInput, RoutingPlan } from "../../../routing/plan";
import { TlsMaterial, renderNginx } from "../model";
import { applyConfig, stopInstance } from "./apply";
import { withLock } from "./lock";
import { checkPayload } from "./payload";
import { buildPlan, memoisedCompile } from "./plan";
import { compileGateway } from "../../../routing/compile";
import { portTaken } from "./ports";
import { NginxReloadPendingError, readInstance } from "./process";
import {
    InstanceSettings, ListenerSetFile, RouteFile, readInstances, readListenerSetFiles, readRouteFiles, readSettings, routeKey, routeFileName,
    writeInstances, writeListenerSetFile, writeRouteFile, writeSettings,
} from "./routeFiles";
import { stateDirMode } from "./worker-user";
import { trustedProxiesOf } from "../parameters";

// ---------------------------------------------------------------- nginx gateway

export interface NginxGatewayInputs {
    /** "namespace/name" of the Gateway, for messages. */
    gateway: string;
    /** Absolute instance prefix directory, unique per gateway. */
    dir: string;
    /**
     * What the operator's program declared for the gateway (ctx.input): the one source of every apply,
     * compiled here with the route files. An object, so a preview's diff shows a changed value once.
     */
    input: GatewayInput;
    listenAddress: string;
    nginxPath?: string;
    /** Keyed "namespace/name" of listener certificateRefs; secret in the Pulumi state. */
    certificates?: Record<string, TlsMaterial>;
    /** CA bundles (PEM) of spec.tls.frontend's caCertificateRefs, keyed "namespace/name". */
    caCertificates?: Record<string, string>;
    /** The gateway's home (routeFiles.ts): where other stacks' route files live and its lock. */
    home: string;
    /** `reuseport` on the listeners, so a replacement instance can serve beside this one. */
    reusePort?: boolean;
    /** Seconds an update waits for nginx to load a new configuration; absent: scaled from `nginx -t` (apply.ts reloadBudget). */
    reloadTimeoutSeconds?: number;
}

export interface NginxGatewayOutputs extends NginxGatewayInputs {
    /** False when `read` found no nginx serving `dir`: the next update restarts it. */
    running: boolean;
    pid?: number;
    generation: string;
    ports: number[];
    /** Routes from other stacks' route files this generation serves. */
    teamRoutes?: string[];
    /** Route files left out (invalid for this gateway), with why. */
    skippedRoutes?: string[];
    /** ListenerSets from other stacks' files this generation serves. */
    teamListenerSets?: string[];
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
    const out: NginxGatewayInputs = { gateway: i.gateway, dir: i.dir, input: i.input, listenAddress: i.listenAddress, home: i.home };
    if (i.nginxPath) out.nginxPath = i.nginxPath;
    if (i.reusePort !== undefined) out.reusePort = i.reusePort;
    if (i.reloadTimeoutSeconds !== undefined) out.reloadTimeoutSeconds = i.reloadTimeoutSeconds;
    if (i.certificates && Object.keys(i.certificates).length > 0) out.certificates = i.certificates;
    if (i.caCertificates && Object.keys(i.caCertificates).length > 0) out.caCertificates = i.caCertificates;
    return out;
}

/** The files of a gateway home another stack wrote: team routes and team ListenerSets. */
interface TeamFiles {
    routes: Map<string, RouteFile>;
    listenerSets: Map<string, ListenerSetFile>;
}

function readTeamFiles(home: string): TeamFiles {
    return { routes: readRouteFiles(home), listenerSets: readListenerSetFiles(home) };
}

/**
 * The instance's certificates plus the team ListenerSets' (each only in its own namespace, never one
 * the operator or an earlier file already supplies): a team cannot replace another's key material.
 */
function certificatesWith(own: Record<string, TlsMaterial> | undefined, listenerSets: Map<string, ListenerSetFile>): Record<string, TlsMaterial> | undefined {
    const out: Record<string, TlsMaterial> = { ...(own ?? {}) };
    for (const [key, file] of [...listenerSets].sort(([a], [b]) => a.localeCompare(b))) {
        const ns = key.split("/")[0];
        for (const [k, v] of Object.entries(file.certificates ?? {})) if (k.startsWith(`${ns}/`) && !(k in out)) out[k] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Compiles one instance from its settings plus the team files (one compile, `compile` memoised by a
 * caller applying several instances), renders, checks the payload, applies (verified) and records its ports.
 * `trigger` is the route (or `listenerSetTrigger` the ListenerSet) being attached: refused rather than skipped.
 */
async function applyInstance(settings: InstanceSettings, files: TeamFiles, trigger?: string, compile?: (input: GatewayInput) => RoutingPlan, listenerSetTrigger?: string) {
    const generation = newGeneration();
    const certificates = certificatesWith(settings.certificates, files.listenerSets);
    const built = buildPlan(settings.gateway, settings.input, files.routes, plan => renderNginx(plan, {
        dir: settings.dir,
        generation,
        listenAddress: settings.listenAddress,
        reusePort: settings.reusePort,
        // The class parameters travel in the input, so a change to them reaches the next apply.
        trustedProxies: trustedProxiesOf(settings.input.gatewayClass.parameters?.nginx as object | undefined),
        ...(certificates ? { certificates } : {}),
        ...(settings.caCertificates ? { caCertificates: settings.caCertificates } : {}),
    }), {
        ...(trigger !== undefined ? { trigger } : {}), ...(compile ? { compile } : {}),
        listenerSets: files.listenerSets, ...(listenerSetTrigger !== undefined ? { listenerSetTrigger } : {}),
    });
    await checkPayload(built.plan, certificates, settings.caCertificates); // before any file is written
    fs.mkdirSync(settings.dir, { recursive: true, mode: stateDirMode() });
    fs.writeFileSync(path.join(settings.dir, MARKER), `${settings.gateway}\n`);
    const state = await applyConfig(settings.dir, built.rendered, generation, {
        ...(settings.nginxPath ? { nginxPath: settings.nginxPath } : {}),
        ...(settings.reloadTimeoutSeconds !== undefined ? { reloadTimeoutMs: settings.reloadTimeoutSeconds * 1000 } : {}),
    });
    writeSettings({ ...settings, ports: state.ports });
    return { state, built };
}

/**
 * The ports the gateway's nginx listens on: its own listeners', and with ListenerSets the merged
 * plan's (an admitted ListenerSet may add a port; one not admitted adds none).
 */
function listenPorts(input: GatewayInput, listenerSets: Map<string, ListenerSetFile> = new Map()): number[] {
    const merged = listenerSets.size === 0 ? input : { ...input, listenerSets: [...(input.listenerSets ?? []), ...[...listenerSets.values()].map(f => f.listenerSet)] };
    if (!merged.listenerSets?.length) return [...new Set(input.gateway.listeners.map(l => l.port))];
    return compileGateway(merged, { skipValidation: true }).gateways[0].ports.map(p => p.port);
}

/** Refuses a port none of the gateway's running instances serves yet that another process holds (reuseport would share it silently). */
async function checkNewPorts(gateway: string, listenAddress: string, ports: number[], serving: Set<number>): Promise<void> {
    for (const port of ports) {
        if (!serving.has(port) && await portTaken(listenAddress, port)) {
            throw new Error(`port ${port} on ${listenAddress} is taken (Address already in use) by a process that is not an nginx ` +
                `of Gateway ${gateway}; free it or choose another listener port`);
        }
    }
}

/** Instances of the gateway (other than `except`) with a running nginx, with their settings. */
function runningInstances(home: string, except?: string): InstanceSettings[] {
    const out: InstanceSettings[] = [];
    for (const dir of readInstances(home)) {
        if (dir === except || !readInstance(dir).running) continue;
        const settings = readSettings(dir);
        if (settings) out.push(settings);
    }
    return out;
}

/**
 * The operator's apply: its input plus every route file in the home, under the home's lock. With
 * reuseport a foreign listener on a port would silently share it, so a port no instance of this
 * gateway serves yet must be free.
 */
async function renderAndApply(inputs: NginxGatewayInputs): Promise<NginxGatewayOutputs> {
    const home = inputs.home;
    const settings: InstanceSettings = {
        gateway: inputs.gateway, dir: inputs.dir, listenAddress: inputs.listenAddress, reusePort: inputs.reusePort ?? false,
        input: inputs.input,
        ...(inputs.nginxPath ? { nginxPath: inputs.nginxPath } : {}),
        ...(inputs.reloadTimeoutSeconds !== undefined ? { reloadTimeoutSeconds: inputs.reloadTimeoutSeconds } : {}),
        ...(inputs.certificates && Object.keys(inputs.certificates).length > 0 ? { certificates: inputs.certificates } : {}),
        ...(inputs.caCertificates && Object.keys(inputs.caCertificates).length > 0 ? { caCertificates: inputs.caCertificates } : {}),
    };
    return withLock(home, async () => {
        // Workers a killed master left behind hold the ports and serve a configuration nobody tracks any
        // more: stop them (for every instance of the gateway) before judging which ports are free.
        for (const dir of new Set([inputs.dir, ...readInstances(home)])) {
            if (readInstance(dir).orphans) await stopInstance(dir);
        }
        const serving = new Set<number>();
        const self = readInstance(inputs.dir).running ? readSettings(inputs.dir) : undefined;
        for (const s of [...(self ? [self] : []), ...runningInstances(home, inputs.dir)]) for (const p of s.ports ?? []) serving.add(p);
        const files = readTeamFiles(home);
        await checkNewPorts(inputs.gateway, settings.listenAddress, listenPorts(settings.input, files.listenerSets), serving);
        const { state, built } = await applyInstance(settings, files);
        writeInstances(home, [...readInstances(home).filter(d => d !== inputs.dir), inputs.dir]);
        return {
            ...pickInputs(inputs), running: true, pid: state.pid, generation: state.generation, ports: state.ports,
            teamRoutes: built.teamRoutes, skippedRoutes: built.skipped,
            ...(built.teamListenerSets.length > 0 ? { teamListenerSets: built.teamListenerSets } : {}),
        };
    });
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

/** JSON with object keys sorted: the state may hand back an object's keys in another order. */
function canonical(v: unknown): string {
    return JSON.stringify(v ?? null, (_k, x: unknown) => x !== null && typeof x === "object" && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : x);
}

function sameJson(a: unknown, b: unknown): boolean {
    return canonical(a) === canonical(b);
}

/** Update in place when the input or its settings change (or nginx died); replace for a new dir or binary. */
export function diffGateway(olds: Partial<NginxGatewayOutputs>, news: NginxGatewayInputs): DiffOutcome {
    const replaces = olds.dir !== news.dir ? ["dir"] : [];
    // A reload cannot switch the nginx binary: a new binary needs a new instance.
    if ((olds.nginxPath ?? "") !== (news.nginxPath ?? "")) replaces.push("nginxPath");
    const changed = (["gateway", "listenAddress", "nginxPath", "home"] as const).some(k => (olds[k] ?? "") !== (news[k] ?? ""))
        || !sameJson(olds.input, news.input)
        || (olds.reusePort ?? false) !== (news.reusePort ?? false)
        || olds.reloadTimeoutSeconds !== news.reloadTimeoutSeconds
        || !sameJson(olds.certificates ?? {}, news.certificates ?? {})
        || !sameJson(olds.caCertificates ?? {}, news.caCertificates ?? {});
    // Old and new instance want the same ports. They can overlap (the new one serving before the old one
    // stops) only in different dirs, both with reuseport on the same address; otherwise the old one goes first.
    const overlap = olds.dir !== news.dir && olds.reusePort === true && news.reusePort === true && olds.listenAddress === news.listenAddress;
    return { changes: changed || replaces.length > 0 || olds.running === false, replaces, deleteBeforeReplace: replaces.length > 0 && !overlap };
}

export async function updateGateway(olds: NginxGatewayOutputs, news: NginxGatewayInputs): Promise<NginxGatewayOutputs> {
    try {
        return await renderAndApply(news);
    } catch (err) {
        // Not applied, but not rolled back either: nginx may still go live with it (the message says how).
        if (err instanceof NginxReloadPendingError) throw new Error(`Gateway ${news.gateway}: the new nginx configuration is not confirmed: ${errorMessage(err)}`);
        const serving = readInstance(news.dir).running;
        throw new Error(`Gateway ${news.gateway}: the new nginx configuration was not applied ` +
            (serving ? `(generation ${olds.generation} keeps serving)` : "(nginx is not running)") + `: ${errorMessage(err)}`);
    }
}

export async function deleteGateway(props: NginxGatewayOutputs): Promise<void> {
    if (props.home) {
        const home = props.home;
        // Off the list first, so a concurrent team change no longer reloads an instance that is going away.
        // Route files stay: they belong to the teams' stacks (a replacement, or a later gateway, serves them
        // again; each team's destroy removes its own). The home goes once nothing is left in it.
        await withLock(home, async () => writeInstances(home, readInstances(home).filter(d => d !== props.dir)));
        if (readInstances(home).length === 0 && readRouteFiles(home).size === 0 && readListenerSetFiles(home).size === 0) fs.rmSync(home, { recursive: true, force: true });
    }
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

// ---------------------------------------------------------------- route attachment (another stack's route)

export interface NginxRouteInputs {
    /** "namespace/name" of the gateway, for messages. */
    gateway: string;
    /** The gateway's home (from its GatewayReference). */
    home: string;
    /** "namespace/name" of the route. */
    route: string;
    /** "<project>/<stack>" of the attaching stack. */
    owner: string;
    /** JSON of { route: HTTPRouteSpec, services: ServiceSpec[] }. */
    spec: string;
}

export interface NginxRouteOutputs extends NginxRouteInputs {
    /** Instance dirs that serve the route and the generation each now runs. */
    served: { dir: string; generation: string }[];
}

function pickRouteInputs(i: NginxRouteInputs): NginxRouteInputs {
    return { gateway: i.gateway, home: i.home, route: i.route, owner: i.owner, spec: i.spec };
}

/** What another stack attaches to a gateway: a route or a ListenerSet, each one file in the gateway's home. */
type Attachment =
    | { kind: "HTTPRoute"; key: string; file: RouteFile | undefined }
    | { kind: "ListenerSet"; key: string; file: ListenerSetFile | undefined };

/**
 * Writes (or removes, `file` undefined) one team file and recompiles every running instance of the
 * gateway, under the gateway's lock. The file changes only once every instance took it: a route or
 * ListenerSet the gateway refuses (invalid, not admitted, rejected by nginx) leaves the file and the
 * served configuration as they were, and fails with the reason.
 */
async function changeAttachment(home: string, gateway: string, owner: string, change: Attachment): Promise<NginxRouteOutputs["served"]> {
    const { kind, key, file } = change;
    routeFileName(key); // refuse a malformed key before touching anything
    if (file === undefined && !fs.existsSync(home)) return []; // the gateway (and its home) is gone already
    return withLock(home, async () => {
        const current = readTeamFiles(home);
        const existing = kind === "HTTPRoute" ? current.routes.get(key) : current.listenerSets.get(key);
        // Someone else's file now (ours was removed and the name taken): nothing of ours to remove.
        if (existing && existing.owner !== owner && file === undefined) return [];
        if (existing && existing.owner !== owner) {
            throw new Error(`${kind} ${key} on Gateway ${gateway} belongs to stack ${existing.owner}; ` +
                `stack ${owner} may not ${file ? "replace" : "remove"} it: rename the ${kind} (or destroy it in ${existing.owner})`);
        }
        const candidate: TeamFiles = { routes: new Map(current.routes), listenerSets: new Map(current.listenerSets) };
        if (change.kind === "HTTPRoute") {
            if (change.file) candidate.routes.set(key, change.file); else candidate.routes.delete(key);
        } else if (change.file) candidate.listenerSets.set(key, change.file); else candidate.listenerSets.delete(key);
        const instances = runningInstances(home);
        if (file && instances.length === 0) {
            throw new Error(`Gateway ${gateway} has no running nginx (home ${home}): the gateway's own stack must be up ` +
                `(run \`pulumi up\`, or \`pulumi refresh\` and \`pulumi up\` if its nginx was stopped) before ${kind === "HTTPRoute" ? "routes" : "ListenerSets"} attach to it`);
        }
        if (kind === "ListenerSet" && file) {
            // A ListenerSet may add a port: it must be free unless an instance of this gateway serves it already.
            const serving = new Set(instances.flatMap(s => s.ports ?? []));
            for (const settings of instances) await checkNewPorts(gateway, settings.listenAddress, listenPorts(settings.input, candidate.listenerSets), serving);
        }
        const served: NginxRouteOutputs["served"] = [];
        const applied: InstanceSettings[] = [];
        const compile = memoisedCompile(); // the instances of one input compile it once
        try {
            for (const settings of instances) {
                const trigger = file && kind === "HTTPRoute" ? key : undefined;
                const listenerSetTrigger = file && kind === "ListenerSet" ? key : undefined;
                const { state } = await applyInstance(settings, candidate, trigger, compile, listenerSetTrigger);
                applied.push(settings);
                served.push({ dir: settings.dir, generation: state.generation });
            }
        } catch (err) {
            // Instances that already took the change go back to the files as they are.
            const previous = memoisedCompile();
            for (const settings of applied) await applyInstance(settings, current, undefined, previous).catch(() => undefined);
            throw err;
        }
        if (change.kind === "HTTPRoute") writeRouteFile(home, key, change.file); else writeListenerSetFile(home, key, change.file);
        return file ? served : [];
    });
}

function changeRoute(inputs: NginxRouteInputs, file: RouteFile | undefined): Promise<NginxRouteOutputs["served"]> {
    return changeAttachment(inputs.home, inputs.gateway, inputs.owner, { kind: "HTTPRoute", key: inputs.route, file });
}

function routeFileOf(inputs: NginxRouteInputs): RouteFile {
    const spec = JSON.parse(inputs.spec) as Pick<RouteFile, "route" | "services">;
    if (routeKey(spec.route) !== inputs.route) throw new Error(`route spec names ${routeKey(spec.route)}, not ${inputs.route}`);
    return { gateway: inputs.gateway, owner: inputs.owner, route: spec.route, services: spec.services ?? [] };
}

export async function createRoute(inputs: NginxRouteInputs): Promise<{ id: string; outs: NginxRouteOutputs }> {
    try {
        const served = await changeRoute(inputs, routeFileOf(inputs));
        return { id: `${inputs.home}#${inputs.route}`, outs: { ...pickRouteInputs(inputs), served } };
    } catch (err) {
        throw new Error(`HTTPRoute ${inputs.route}: not attached to Gateway ${inputs.gateway}${pendingNote(err)}: ${errorMessage(err)}`);
    }
}

/**
 * A route change one instance was still loading when its update gave up: the route file stays as it
 * was, so the gateway's next update recompiles without the change even if nginx goes live with it.
 */
function pendingNote(err: unknown): string {
    return err instanceof NginxReloadPendingError
        ? ` (its route file was left as it was; if nginx accepts generation ${err.generation}, which it is still loading, that generation serves the change until the gateway's next update, which recompiles from the route files)`
        : "";
}

/** Update in place for a new spec; a route moving to another gateway or renamed is a new attachment. */
export function diffRoute(olds: Partial<NginxRouteOutputs>, news: NginxRouteInputs): DiffOutcome {
    const replaces = (["home", "route"] as const).filter(k => olds[k] !== news[k]);
    const changed = (["gateway", "owner", "spec"] as const).some(k => olds[k] !== news[k]) || (olds.served ?? []).length === 0;
    return { changes: changed || replaces.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
}

export async function updateRoute(olds: NginxRouteOutputs, news: NginxRouteInputs): Promise<NginxRouteOutputs> {
    try {
        const served = await changeRoute(news, routeFileOf(news));
        return { ...pickRouteInputs(news), served };
    } catch (err) {
        if (err instanceof NginxReloadPendingError) throw new Error(`HTTPRoute ${news.route}: the change is not confirmed on Gateway ${news.gateway}${pendingNote(err)}: ${errorMessage(err)}`);
        throw new Error(`HTTPRoute ${news.route}: the change was not applied to Gateway ${news.gateway} (the previous version keeps serving): ${errorMessage(err)}`);
    }
}

export async function deleteRoute(props: NginxRouteOutputs): Promise<void> {
    await changeRoute(props, undefined);
}

export function readRoute(props: NginxRouteOutputs): NginxRouteOutputs {
    // Still attached only while its file is there and some instance runs.
    const attached = readRouteFiles(props.home).has(props.route) && runningInstances(props.home).length > 0;
    return { ...pickRouteInputs(props), served: attached ? props.served ?? [] : [] };
}

// ---------------------------------------------------------------- ListenerSet attachment (another stack's ListenerSet)

export interface NginxListenerSetInputs {
    /** "namespace/name" of the gateway, for messages. */
    gateway: string;
    /** The gateway's home (from its GatewayReference). */
    home: string;
    /** "namespace/name" of the ListenerSet. */
    listenerSet: string;
    /** "<project>/<stack>" of the attaching stack. */
    owner: string;
    /** JSON of the ListenerSetSpec. */
    spec: string;
    /** TLS material of its HTTPS listeners, keyed "namespace/name" in its own namespace; secret in the state. */
    certificates?: Record<string, TlsMaterial>;
}

export interface NginxListenerSetOutputs extends NginxListenerSetInputs {
    /** Instance dirs that serve the ListenerSet and the generation each now runs. */
    served: { dir: string; generation: string }[];
}

function pickListenerSetInputs(i: NginxListenerSetInputs): NginxListenerSetInputs {
    const out: NginxListenerSetInputs = { gateway: i.gateway, home: i.home, listenerSet: i.listenerSet, owner: i.owner, spec: i.spec };
    if (i.certificates && Object.keys(i.certificates).length > 0) out.certificates = i.certificates;
    return out;
}

function listenerSetFileOf(inputs: NginxListenerSetInputs): ListenerSetFile {
    const spec = JSON.parse(inputs.spec) as ListenerSetFile["listenerSet"];
    if (routeKey(spec) !== inputs.listenerSet) throw new Error(`ListenerSet spec names ${routeKey(spec)}, not ${inputs.listenerSet}`);
    const ns = spec.namespace ?? "default";
    for (const k of Object.keys(inputs.certificates ?? {})) {
        if (!k.startsWith(`${ns}/`)) throw new Error(`ListenerSet ${inputs.listenerSet}: certificates[${JSON.stringify(k)}] is not in namespace ${ns}; a ListenerSet supplies certificates in its own namespace only`);
    }
    return { gateway: inputs.gateway, owner: inputs.owner, listenerSet: spec, ...(inputs.certificates ? { certificates: inputs.certificates } : {}) };
}

function changeListenerSet(inputs: NginxListenerSetInputs, file: ListenerSetFile | undefined): Promise<NginxListenerSetOutputs["served"]> {
    return changeAttachment(inputs.home, inputs.gateway, inputs.owner, { kind: "ListenerSet", key: inputs.listenerSet, file });
}

export async function createListenerSet(inputs: NginxListenerSetInputs): Promise<{ id: string; outs: NginxListenerSetOutputs }> {
    try {
        const served = await changeListenerSet(inputs, listenerSetFileOf(inputs));
        return { id: `${inputs.home}#ListenerSet/${inputs.listenerSet}`, outs: { ...pickListenerSetInputs(inputs), served } };
    } catch (err) {
        throw new Error(`ListenerSet ${inputs.listenerSet}: not attached to Gateway ${inputs.gateway}${pendingNote(err)}: ${errorMessage(err)}`);
    }
}

/** Update in place for a new spec or certificates; moving to another gateway or renaming is a new attachment. */
export function diffListenerSet(olds: Partial<NginxListenerSetOutputs>, news: NginxListenerSetInputs): DiffOutcome {
    const replaces = (["home", "listenerSet"] as const).filter(k => olds[k] !== news[k]);
    const changed = (["gateway", "owner", "spec"] as const).some(k => olds[k] !== news[k]) || !sameJson(olds.certificates ?? {}, news.certificates ?? {})
        || (olds.served ?? []).length === 0;
    return { changes: changed || replaces.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
}

export async function updateListenerSet(olds: NginxListenerSetOutputs, news: NginxListenerSetInputs): Promise<NginxListenerSetOutputs> {
    try {
        const served = await changeListenerSet(news, listenerSetFileOf(news));
        return { ...pickListenerSetInputs(news), served };
    } catch (err) {
        if (err instanceof NginxReloadPendingError) throw new Error(`ListenerSet ${news.listenerSet}: the change is not confirmed on Gateway ${news.gateway}${pendingNote(err)}: ${errorMessage(err)}`);
        throw new Error(`ListenerSet ${news.listenerSet}: the change was not applied to Gateway ${news.gateway} (the previous version keeps serving): ${errorMessage(err)}`);
    }
}

export async function deleteListenerSet(props: NginxListenerSetOutputs): Promise<void> {
    await changeListenerSet(props, undefined);
}

export function readListenerSet(props: NginxListenerSetOutputs): NginxListenerSetOutputs {
    const attached = readListenerSetFiles(props.home).has(props.listenerSet) && runningInstances(props.home).length > 0;
    return { ...pickListenerSetInputs(props), served: attached ? props.served ?? [] : [] };
}
