// What one nginx gateway serves: the operator's GatewayInput plus the team route files its home holds,
// compiled once, each file admitted alone first. No @pulumi import: the dynamic-provider host loads
// this through lifecycle.ts.

import { GatewayValidationError } from "../../../routing/errors";
import type { GatewayInput, GatewayPlan, RouteParentStatus, RouteStatus, RoutingPlan } from "../../../routing/plan";
import type { GatewaySpec, Listener, ServiceSpec } from "../../../routing/types";
import { validateRoute, validateService } from "../../../routing/validate";
import { compileGateway } from "../../../routing/compile";
import { RouteFile, routeKey } from "./routeFiles";

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

export interface BuiltPlan<R> {
    plan: GatewayPlan;
    routing: RoutingPlan;
    /** What `render` made of the plan. */
    rendered: R;
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

/** The operator's input with the accepted route files (and the services each brings) added. */
function withFiles(input: GatewayInput, files: [string, RouteFile][]): GatewayInput {
    const routes = [...input.routes];
    const services = [...input.services];
    for (const [, file] of files) {
        routes.push(file.route);
        services.push(...servicesFor(services, file));
    }
    return { ...input, routes, services };
}

/**
 * The gateway's plan from the operator's input plus every route file, compiled once (`compile`, which a
 * caller building several instances of one input may memoise), then `render`ed. Each file is first
 * validated alone: a bad one is skipped — or, when it is `trigger` (the route the caller is attaching),
 * refused with the reason, as is a trigger no listener accepts. A render problem naming one route file
 * drops that file (refuses it, if the trigger) and compiles again without it.
 */
export function buildPlan<R>(gateway: string, input: GatewayInput, files: Map<string, RouteFile>, render: (plan: GatewayPlan) => R,
    options: { trigger?: string; compile?: (input: GatewayInput) => RoutingPlan } = {}): BuiltPlan<R> {
    const { trigger, compile = compileGateway } = options;
    const refuse = (key: string, problem: string) => new Error(`Gateway ${gateway} refused HTTPRoute ${key}: ${problem}`);
    const skipped: string[] = [];
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
            routing = compile(withFiles(input, accepted));
        } catch (err) {
            drop(err);
            continue;
        }
        if (trigger !== undefined) {
            const why = notServedReason(trigger, routing.routes, input.gateway);
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
        return { plan, routing, rendered, teamRoutes: accepted.map(([k]) => k).filter(k => attached.has(k)), skipped };
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
