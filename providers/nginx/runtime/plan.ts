// What one nginx gateway serves: the operator's GatewayInput plus the team route files its home holds,
// compiled once, each file admitted alone first. No @pulumi import: the dynamic-provider host loads
// this through lifecycle.ts.

import { GatewayValidationError, ValidationIssue } from "../../../routing/errors";
import type { GatewayInput, GatewayPlan, RoutingPlan } from "../../../routing/plan";
import type { ServiceSpec } from "../../../routing/types";
import { validateRoute, validateService } from "../../../routing/validate";
import { compileGateway } from "../../../routing/compile";
import { ListenerSetFile, RouteFile, routeKey } from "./routeFiles";
import { listenerSetNotServedReason, notServedReason } from "../../served";

export { listenerSetNotServedReason, notServedReason };

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
    const checkedPolicies = new Map<string, ValidationIssue[]>();
    const issues = [...validateRoute(file.route), ...servicesFor(input.services, file).flatMap(s => validateService(s, checkedPolicies))];
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
