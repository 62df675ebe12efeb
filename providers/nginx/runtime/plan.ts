// What one nginx gateway serves: the operator's GatewayInput plus the team route files its home holds,
// compiled once, each file admitted alone first. No @pulumi import: the dynamic-provider host loads
// this through lifecycle.ts.

import { GatewayValidationError } from "../../../routing/errors";
import type { GatewayInput, GatewayPlan, ListenerSetStatus, RouteParentStatus, RouteStatus, RoutingPlan } from "../../../routing/plan";
import type { GatewaySpec, Listener, ServiceSpec } from "../../../routing/types";
import { validateRoute, validateService } from "../../../routing/validate";
import { compileGateway } from "../../../routing/compile";
import { ListenerSetFile, RouteFile, routeKey } from "./routeFiles";

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
export function notServedReason(key: string, routes: RouteStatus[], gateway: Pick<GatewaySpec, "name" | "namespace" | "listeners">,
    listenerSets?: ListenerSetStatus[]): string | undefined {
    const gwNamespace = gateway.namespace ?? "default";
    const label = `${gwNamespace}/${gateway.name}`;
    const status = routes.find(r => r.route === key);
    // A ListenerSet parent is this gateway's when its status names the gateway (unknown statuses: assumed so).
    const ofGateway = (p: RouteParentStatus) => p.parentRef.kind === "ListenerSet"
        ? listenerSets === undefined || listenerSets.some(l => l.listenerSet === `${p.parentRef.namespace}/${p.parentRef.name}` && l.parentRef.name === gateway.name && l.parentRef.namespace === gwNamespace)
        : p.parentRef.name === gateway.name && p.parentRef.namespace === gwNamespace;
    const parents = (status?.parents ?? []).filter(ofGateway);
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

/**
 * Undefined when ListenerSet `key` is Accepted on the gateway with every listener accepted; otherwise
 * its conditions (and each refused listener's) and the fix: the attaching `up` fails with this.
 */
export function listenerSetNotServedReason(key: string, statuses: ListenerSetStatus[] | undefined, gatewayLabel: string): string | undefined {
    const status = statuses?.find(s => s.listenerSet === key);
    if (!status) return `ListenerSet ${key} is not served by Gateway ${gatewayLabel}: the gateway compiled no status for it. Fix: name Gateway ${gatewayLabel} in spec.parentRef`;
    const accepted = status.conditions.find(c => c.type === "Accepted");
    const refusedListeners = status.listeners.filter(l => l.conditions.some(c => (c.type === "Accepted" && c.status === "False") || (c.type === "Conflicted" && c.status === "True")));
    if (accepted?.status === "True" && refusedListeners.length === 0) return undefined;
    const parts = accepted?.status === "True" ? [] : [`Accepted=False, reason ${accepted?.reason ?? "?"}: ${accepted?.message ?? ""}`];
    for (const l of refusedListeners) {
        const c = l.conditions.find(x => x.type === "Conflicted" && x.status === "True") ?? l.conditions.find(x => x.type === "Accepted");
        parts.push(`listener ${l.name}: ${c?.type}=${c?.status}, reason ${c?.reason ?? "?"}: ${c?.message ?? ""}`);
    }
    const fix = accepted?.reason === "NotAllowed"
        ? `ask the owner of Gateway ${gatewayLabel} to admit namespace ${key.split("/")[0]} (spec.allowedListeners.namespaces.from: All, or a Selector matching its labels)`
        : "change the listeners (hostname, port, protocol) so they do not conflict with the gateway's, and are valid";
    return `ListenerSet ${key} is not served by Gateway ${gatewayLabel}: ${parts.join("; ")}. Fix: ${fix}`;
}

export interface BuiltPlan<R> {
    plan: GatewayPlan;
    routing: RoutingPlan;
    /** What `render` made of the plan. */
    rendered: R;
    /** Team routes served (attached), "namespace/name". */
    teamRoutes: string[];
    /** Team route files left out, with why (never the trigger: that one throws). */
    skipped: string[];
    /** Team ListenerSets served (Accepted), "namespace/name". */
    teamListenerSets: string[];
}

function servicesFor(own: ServiceSpec[], file: RouteFile): ServiceSpec[] {
    // A team brings services of its own namespace only: it may not redefine the operator's or another team's.
    const ns = file.route.namespace ?? "default";
    const taken = new Set(own.map(s => `${s.namespace ?? "default"}/${s.name}`));
    return file.services.filter(s => (s.namespace ?? "default") === ns && !taken.has(`${ns}/${s.name}`));
}

/** Why one route file cannot join the gateway on its own (validated alone, not compiled), or undefined. */
function fileProblem(input: GatewayInput, key: string, file: RouteFile): string | undefined {
    if (input.routes.some(r => routeKey(r) === key)) return `the gateway's own program already declares HTTPRoute ${key}: rename the route`;
    const issues = [...validateRoute(file.route), ...servicesFor(input.services, file).flatMap(validateService)];
    return issues.length > 0 ? new GatewayValidationError(issues).message : undefined;
}

/** The one accepted route file `err` names ("HTTPRoute namespace/name"), when it names exactly one. */
function blamedFile(err: unknown, accepted: string[]): string | undefined {
    const message = err instanceof Error ? err.message : String(err);
    const named = accepted.filter(k => new RegExp(`HTTPRoute ${k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![a-z0-9.-])`).test(message));
    return named.length === 1 ? named[0] : undefined;
}

/** The operator's input with the accepted route files (and the services each brings) and ListenerSet files added. */
function withFiles(input: GatewayInput, files: [string, RouteFile][], listenerSets: [string, ListenerSetFile][] = []): GatewayInput {
    const routes = [...input.routes];
    const services = [...input.services];
    for (const [, file] of files) {
        routes.push(file.route);
        services.push(...servicesFor(services, file));
    }
    if (listenerSets.length === 0) return { ...input, routes, services };
    return { ...input, routes, services, listenerSets: [...(input.listenerSets ?? []), ...listenerSets.map(([, f]) => f.listenerSet)] };
}

/** Why one ListenerSet file cannot join the gateway (compiled with the operator's input alone), or undefined. */
function listenerSetFileProblem(input: GatewayInput, key: string, file: ListenerSetFile, compile: (input: GatewayInput) => RoutingPlan): string | undefined {
    if ((input.listenerSets ?? []).some(l => routeKey(l) === key)) return `the gateway's own program already declares ListenerSet ${key}: rename the ListenerSet`;
    try {
        compile(withFiles(input, [], [[key, file]]));
        return undefined;
    } catch (err) {
        return err instanceof Error ? err.message : String(err);
    }
}

/**
 * The gateway's plan from the operator's input plus every route file, compiled once (`compile`, which a
 * caller building several instances of one input may memoise), then `render`ed. Each file is first
 * validated alone: a bad one is skipped — or, when it is `trigger` (the route the caller is attaching),
 * refused with the reason, as is a trigger no listener accepts. A render problem naming one route file
 * drops that file (refuses it, if the trigger) and compiles again without it.
 */
export function buildPlan<R>(gateway: string, input: GatewayInput, files: Map<string, RouteFile>, render: (plan: GatewayPlan) => R,
    options: { trigger?: string; compile?: (input: GatewayInput) => RoutingPlan; listenerSets?: Map<string, ListenerSetFile>; listenerSetTrigger?: string } = {}): BuiltPlan<R> {
    const { trigger, compile = compileGateway, listenerSetTrigger } = options;
    const refuse = (key: string, problem: string) => new Error(`Gateway ${gateway} refused HTTPRoute ${key}: ${problem}`);
    const skipped: string[] = [];
    // ListenerSet files first (routes may attach to them), each compiled alone with the operator's input.
    const acceptedSets: [string, ListenerSetFile][] = [];
    for (const [key, file] of [...(options.listenerSets ?? new Map<string, ListenerSetFile>())].sort(([a], [b]) => a.localeCompare(b))) {
        const problem = listenerSetFileProblem(input, key, file, compile);
        if (problem === undefined) acceptedSets.push([key, file]);
        else if (key === listenerSetTrigger) throw new Error(`Gateway ${gateway} refused ListenerSet ${key}: ${problem}`);
        else skipped.push(`ListenerSet ${key}: ${problem}`);
    }
    const accepted: [string, RouteFile][] = [];
    for (const [key, file] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
        const problem = fileProblem(input, key, file);
        if (problem === undefined) accepted.push([key, file]);
        else if (key === trigger) throw refuse(key, problem);
        else skipped.push(`${key}: ${problem}`);
    }
    const drop = (err: unknown): void => {
        const blamed = blamedFile(err, accepted.map(([k]) => k));
        if (blamed === undefined) throw err;
        if (blamed === trigger) throw refuse(blamed, (err as Error).message);
        skipped.push(`${blamed}: ${(err as Error).message}`);
        accepted.splice(accepted.findIndex(([k]) => k === blamed), 1);
    };
    for (;;) {
        let routing: RoutingPlan;
        try {
            routing = compile(withFiles(input, accepted, acceptedSets));
        } catch (err) {
            drop(err);
            continue;
        }
        if (trigger !== undefined) {
            const why = notServedReason(trigger, routing.routes, input.gateway, routing.listenerSets);
            if (why) throw new Error(why);
        }
        if (listenerSetTrigger !== undefined) {
            const why = listenerSetNotServedReason(listenerSetTrigger, routing.listenerSets, gateway);
            if (why) throw new Error(why);
        }
        const plan = routing.gateways[0];
        let rendered: R;
        try {
            rendered = render(plan);
        } catch (err) {
            drop(err);
            continue;
        }
        const attached = new Set(plan.listeners.flatMap(l => l.rules.map(r => r.route)));
        const servedSets = new Set((routing.listenerSets ?? []).filter(l => l.conditions.some(c => c.type === "Accepted" && c.status === "True")).map(l => l.listenerSet));
        // A file the gateway no longer admits (its allowedListeners changed since): served no more, and said so.
        for (const [k] of acceptedSets) {
            const why = listenerSetNotServedReason(k, routing.listenerSets, gateway);
            if (why) skipped.push(why);
        }
        return {
            plan, routing, rendered, teamRoutes: accepted.map(([k]) => k).filter(k => attached.has(k)), skipped,
            teamListenerSets: acceptedSets.map(([k]) => k).filter(k => servedSets.has(k)),
        };
    }
}

/** compileGateway memoised by the input's JSON: the instances of one gateway (two during a swap) mostly share it. */
export function memoisedCompile(): (input: GatewayInput) => RoutingPlan {
    const seen = new Map<string, RoutingPlan>();
    return input => {
        const key = JSON.stringify(input);
        let routing = seen.get(key);
        if (!routing) seen.set(key, routing = compileGateway(input));
        return routing;
    };
}
