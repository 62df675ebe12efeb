// The files of a gateway home and of its instances: team route files, the instance list and each
// instance's settings (what recompiling it needs). No @pulumi import: the dynamic-provider host loads
// this through lifecycle.ts.
//
// Layout of a gateway home (<state root>/<operator stack>/_gateways/<namespace>/<name>; independent of
// the class, so a class swap keeps every team's routes):
//   lock                   held (proper-lockfile: a directory, mtime refreshed by its holder) for every change: stacks run concurrently
//   instances.json         instance dirs (nginx prefixes) serving this gateway; two during a swap
//   routes.d/<ns>__<name>.json   one team route: { gateway, owner, route: HTTPRouteSpec, services }
//   listenersets.d/<ns>__<name>.json   one team ListenerSet: { gateway, owner, listenerSet, certificates } (0600: private keys)
// Each instance dir keeps what recompiling it needs in tls/gatewaykit-instance.json (0600: it holds
// the listeners' private keys, like the tls/ files nginx reads).

import * as fs from "fs";
import * as path from "path";
import type { GatewayInput } from "../../../routing/plan";
import type { HTTPRouteSpec, ListenerSetSpec, ServiceSpec } from "../../../routing/types";
import type { TlsMaterial } from "../model";
import { writeAtomic } from "./files";

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

/** One ListenerSet attached from another stack: its listeners join the gateway's when the gateway admits it. */
export interface ListenerSetFile {
    /** "namespace/name" of the gateway, for messages. */
    gateway: string;
    /** "<project>/<stack>" that owns the ListenerSet. */
    owner: string;
    listenerSet: ListenerSetSpec;
    /** TLS material of its HTTPS listeners, keyed "namespace/name" in the ListenerSet's own namespace. */
    certificates?: Record<string, TlsMaterial>;
}

/** Everything needed to recompile one nginx instance, persisted in its dir. */
export interface InstanceSettings {
    gateway: string;
    dir: string;
    listenAddress: string;
    nginxPath?: string;
    reusePort: boolean;
    /** The reload budget (parameters.nginx.reloadTimeoutSeconds); absent: scaled from `nginx -t`. */
    reloadTimeoutSeconds?: number;
    /** What the operator's program declared for the gateway (ctx.input): what every recompile starts from. */
    input: GatewayInput;
    certificates?: Record<string, TlsMaterial>;
    /** CA bundles of spec.tls.frontend, keyed "namespace/name". */
    caCertificates?: Record<string, string>;
    /** Ports the last applied configuration listens on. */
    ports?: number[];
}

export const INSTANCE_SETTINGS = "tls/gatewaykit-instance.json";
const ROUTES_DIR = "routes.d";
const LISTENER_SETS_DIR = "listenersets.d";

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

export function readListenerSetFiles(home: string): Map<string, ListenerSetFile> {
    const out = new Map<string, ListenerSetFile>();
    let names: string[] = [];
    try {
        names = fs.readdirSync(path.join(home, LISTENER_SETS_DIR)).filter(n => n.endsWith(".json")).sort();
    } catch {
        return out;
    }
    for (const n of names) {
        try {
            const f = JSON.parse(fs.readFileSync(path.join(home, LISTENER_SETS_DIR, n), "utf8")) as ListenerSetFile;
            out.set(routeKey(f.listenerSet), f);
        } catch { /* a torn or foreign file: not a ListenerSet */ }
    }
    return out;
}

/** Written 0600: it holds the ListenerSet's private keys. */
export function writeListenerSetFile(home: string, key: string, file: ListenerSetFile | undefined): void {
    const p = path.join(home, LISTENER_SETS_DIR, routeFileName(key));
    if (file === undefined) fs.rmSync(p, { force: true });
    else writeAtomic(p, JSON.stringify(file, null, 2) + "\n", 0o600);
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
    let saved: InstanceSettings & { sources?: GatewayInput };
    try {
        saved = JSON.parse(fs.readFileSync(path.join(dir, INSTANCE_SETTINGS), "utf8")) as InstanceSettings & { sources?: GatewayInput };
    } catch {
        return undefined;
    }
    // Written by gatewaykit before the NginxGateway carried its GatewayInput: the same specs, named `sources`.
    const { sources, ...settings } = saved;
    return settings.input === undefined && sources !== undefined ? { ...settings, input: sources } : settings;
}

export function writeSettings(settings: InstanceSettings): void {
    writeAtomic(path.join(settings.dir, INSTANCE_SETTINGS), JSON.stringify(settings), 0o600);
}
