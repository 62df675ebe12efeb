// Routes from other stacks on an nginx gateway: per-route spec files in the gateway's home, which
// every (re)compile of the gateway reads together with the operator's own sources. No @pulumi import:
// the dynamic-provider host loads this through lifecycle.ts.
//
// Layout of a gateway home (<state root>/<operator stack>/_gateways/<namespace>/<name>; independent of
// the class, so a class swap keeps every team's routes):
//   lock                   held (proper-lockfile: a directory, mtime refreshed by its holder) for every change: stacks run concurrently
//   instances.json         instance dirs (nginx prefixes) serving this gateway; two during a swap
//   routes.d/<ns>__<name>.json   one team route: { gateway, owner, route: HTTPRouteSpec, services }
// Each instance dir keeps what recompiling it needs in tls/gatewaykit-instance.json (0600: it holds
// the listeners' private keys, like the tls/ files nginx reads).

import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import * as lockfile from "proper-lockfile";
import { compile } from "../../routing/compile";
import type { GatewayPlan, RouteParentStatus, RouteStatus, RoutingPlan } from "../../routing/plan";
import type { GatewayClassSpec, GatewaySpec, HTTPRouteSpec, Listener, NamespaceSpec, ServiceSpec } from "../../routing/types";
import { processAlive } from "./instance";
import { TlsMaterial, renderNginx } from "./render";
import { stateDirMode } from "./worker-user";

/** What the operator's program declared for one gateway: what a recompile starts from. */
export interface GatewaySources {
    gatewayClass: GatewayClassSpec;
    gateway: GatewaySpec;
    routes: HTTPRouteSpec[];
    services: ServiceSpec[];
    namespaces: NamespaceSpec[];
}

/** One route attached from another stack. */
export interface RouteFile {
    /** "namespace/name" of the gateway, for messages. */
    gateway: string;
    /** "<project>/<stack>" that owns the route: another stack may not overwrite or delete it. */
    owner: string;
    route: HTTPRouteSpec;
    /** The services the route references (only those in the route's own namespace are used). */
    services: ServiceSpec[];
}

/** Everything needed to recompile one nginx instance, persisted in its dir. */
export interface InstanceSettings {
    gateway: string;
    dir: string;
    listenAddress: string;
    nginxPath?: string;
    reusePort: boolean;
    sources: GatewaySources;
    certificates?: Record<string, TlsMaterial>;
    /** Ports the last applied configuration listens on. */
    ports?: number[];
}

export const INSTANCE_SETTINGS = "tls/gatewaykit-instance.json";
const ROUTES_DIR = "routes.d";

export function routeKey(spec: Pick<HTTPRouteSpec, "name" | "namespace">): string {
    return `${spec.namespace ?? "default"}/${spec.name}`;
}

/** routes.d file of a route: namespace and name are DNS labels/subdomains, so "__" cannot occur in either. */
export function routeFileName(key: string): string {
    const [ns, name] = key.split("/");
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(ns ?? "") || !/^[a-z0-9][a-z0-9.-]*$/.test(name ?? "")) {
        throw new Error(`route key ${JSON.stringify(key)} is not "namespace/name" of DNS names`);
    }
    return `${ns}__${name}.json`;
}

// ---------------------------------------------------------------- files

function writeAtomic(file: string, content: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Unique and exclusive: never written through a file someone left there; removed when the write fails.
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    try {
        fs.writeFileSync(tmp, content, { mode, flag: "wx" });
        fs.chmodSync(tmp, mode);
        fs.renameSync(tmp, file);
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
    }
}

export function readRouteFiles(home: string): Map<string, RouteFile> {
    const out = new Map<string, RouteFile>();
    let names: string[] = [];
    try {
        names = fs.readdirSync(path.join(home, ROUTES_DIR)).filter(n => n.endsWith(".json")).sort();
    } catch {
        return out;
    }
    for (const n of names) {
        try {
            const f = JSON.parse(fs.readFileSync(path.join(home, ROUTES_DIR, n), "utf8")) as RouteFile;
            out.set(routeKey(f.route), f);
        } catch { /* a torn or foreign file: not a route */ }
    }
    return out;
}

export function writeRouteFile(home: string, key: string, file: RouteFile | undefined): void {
    const p = path.join(home, ROUTES_DIR, routeFileName(key));
    if (file === undefined) fs.rmSync(p, { force: true });
    else writeAtomic(p, JSON.stringify(file, null, 2) + "\n");
}

export function readInstances(home: string): string[] {
    try {
        return JSON.parse(fs.readFileSync(path.join(home, "instances.json"), "utf8")) as string[];
    } catch {
        return [];
    }
}

export function writeInstances(home: string, dirs: string[]): void {
    writeAtomic(path.join(home, "instances.json"), JSON.stringify([...new Set(dirs)]) + "\n");
}

export function readSettings(dir: string): InstanceSettings | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(dir, INSTANCE_SETTINGS), "utf8")) as InstanceSettings;
    } catch {
        return undefined;
    }
}

export function writeSettings(settings: InstanceSettings): void {
    writeAtomic(path.join(settings.dir, INSTANCE_SETTINGS), JSON.stringify(settings), 0o600);
}

// ---------------------------------------------------------------- lock

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

// ---------------------------------------------------------------- compile

function describeFrom(l: Listener, gatewayNamespace: string): string {
    const from = l.allowedRoutes?.namespaces?.from ?? "Same";
    if (from === "Same") return `namespace ${gatewayNamespace} only (allowedRoutes.namespaces.from: Same)`;
    if (from === "All") return "all namespaces";
    return `namespaces whose labels match ${JSON.stringify(l.allowedRoutes?.namespaces?.selector ?? {})}`;
}

function isAccepted(p: RouteParentStatus): boolean {
    return p.conditions.some(c => c.type === "Accepted" && c.status === "True");
}

/**
 * Undefined when `key` attaches to the gateway; otherwise why not, with its conditions, each
 * listener's admission rule and the fix. Never silently unserved: the attaching `up` fails with this.
 */
export function notServedReason(key: string, routes: RouteStatus[], gateway: Pick<GatewaySpec, "name" | "namespace" | "listeners">): string | undefined {
    const gwNamespace = gateway.namespace ?? "default";
    const label = `${gwNamespace}/${gateway.name}`;
    const status = routes.find(r => r.route === key);
    const parents = (status?.parents ?? []).filter(p => p.parentRef.name === gateway.name && p.parentRef.namespace === gwNamespace);
    const refused = parents.filter(p => !isAccepted(p));
    if (parents.length > 0 && refused.length === 0) return undefined;
    const routeNs = key.split("/")[0];
    const reasons = refused.map(p => {
        const c = p.conditions.find(x => x.type === "Accepted");
        const where = p.parentRef.sectionName ? ` (sectionName ${p.parentRef.sectionName})` : p.parentRef.port ? ` (port ${p.parentRef.port})` : "";
        return `parentRef${where}: Accepted=False, reason ${c?.reason ?? "?"}: ${c?.message ?? ""}`;
    });
    const listeners = gateway.listeners.map(l => `listener ${l.name} (port ${l.port}) admits HTTPRoutes from ${describeFrom(l, gwNamespace)}`);
    const notAllowed = refused.some(p => p.conditions.some(c => c.reason === "NotAllowedByListeners"));
    const fix = notAllowed
        ? `ask the owner of Gateway ${label} to admit namespace ${routeNs} (listeners[].allowedRoutes.namespaces.from: All, or a Selector matching its labels), or attach the route to a listener that admits it`
        : parents.length === 0
            ? `name Gateway ${label} in spec.parentRefs`
            : "fix the parentRef (sectionName, port) or the hostnames so a listener accepts the route";
    return `HTTPRoute ${key} is not served by Gateway ${label}: ` +
        (reasons.length ? reasons.join("; ") : "no parentRef names the gateway") +
        `. ${listeners.join("; ")}. Fix: ${fix}`;
}

export interface BuiltPlan {
    plan: GatewayPlan;
    routing: RoutingPlan;
    /** Team routes served (attached), "namespace/name". */
    teamRoutes: string[];
    /** Team route files left out, with why (never the trigger: that one throws). */
    skipped: string[];
}

function servicesFor(own: ServiceSpec[], file: RouteFile): ServiceSpec[] {
    // A team brings services of its own namespace only: it may not redefine the operator's or another team's.
    const ns = file.route.namespace ?? "default";
    const taken = new Set(own.map(s => `${s.namespace ?? "default"}/${s.name}`));
    return file.services.filter(s => (s.namespace ?? "default") === ns && !taken.has(`${ns}/${s.name}`));
}

/**
 * The gateway's plan from the operator's sources plus every route file. Each file is checked alone
 * first (validation and rendering): a bad one is skipped — or, when it is `trigger` (the route the
 * caller is attaching), refused with the reason, as is a trigger no listener accepts.
 */
export function buildPlan(settings: InstanceSettings, files: Map<string, RouteFile>, trigger?: string): BuiltPlan {
    const src = settings.sources;
    const own = new Set(src.routes.map(routeKey));
    const base = { gatewayClasses: [src.gatewayClass], gateways: [src.gateway], namespaces: src.namespaces };
    const routes = [...src.routes];
    const services = [...src.services];
    const skipped: string[] = [];
    const teamKeys: string[] = [];
    for (const [key, file] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
        let problem: string | undefined;
        if (own.has(key)) {
            problem = `the gateway's own program already declares HTTPRoute ${key}: rename the route`;
        } else {
            try {
                const alone = compile({ ...base, routes: [...src.routes, file.route], services: [...src.services, ...servicesFor(src.services, file)] });
                renderNginx(alone.gateways[0], { dir: settings.dir, generation: "check", listenAddress: settings.listenAddress, ...(settings.certificates ? { certificates: settings.certificates } : {}) });
            } catch (e) {
                problem = (e as Error).message;
            }
        }
        if (problem !== undefined) {
            if (key === trigger) throw new Error(`Gateway ${settings.gateway} refused HTTPRoute ${key}: ${problem}`);
            skipped.push(`${key}: ${problem}`);
            continue;
        }
        routes.push(file.route);
        services.push(...servicesFor(services, file));
        teamKeys.push(key);
    }
    const routing = compile({ ...base, routes, services });
    const plan = routing.gateways[0];
    if (trigger !== undefined) {
        const why = notServedReason(trigger, routing.routes, src.gateway);
        if (why) throw new Error(why);
    }
    const attached = new Set(plan.listeners.flatMap(l => l.rules.map(r => r.route)));
    return { plan, routing, teamRoutes: teamKeys.filter(k => attached.has(k)), skipped };
}

// ---------------------------------------------------------------- ports

/** True when something listens on host:port (a plain bind fails, even against SO_REUSEPORT listeners). */
export function portTaken(host: string, port: number): Promise<boolean> {
    return new Promise(resolve => {
        const srv = net.createServer();
        srv.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "EADDRINUSE"));
        srv.listen({ host: host.replace(/^\[|\]$/g, ""), port, exclusive: true }, () => srv.close(() => resolve(false)));
    });
}
