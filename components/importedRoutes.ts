// Routes one stack publishes for another stack's gateway to carry: the flow of a data plane that is
// ONE object for every route (a GCP URL map), which only the operator's stack can write.
//
//   team stack:      HTTPRoute on gateway.reference (status compiled against it, refused there when
//                    invalid or beyond the adapter) → export publishRoutes([routes]) as an output;
//   operator stack:  new Gateway(..., { importedRoutes: [{ published: teamStack.getOutput("routes"),
//                    namespaces: ["team-a"] }] }) → the routes join the gateway's own on its next `up`.
//
// The operator's stack re-checks every imported route as if a hostile team wrote it: outside the
// namespaces granted to that stack, a duplicate, invalid, or beyond the adapter on its own → it is
// skipped, with a status saying why (the Gateway's routeStatuses, and a warning), and the data plane
// is built from the rest. Pure but for the types: no Pulumi resources here.

import * as pulumi from "@pulumi/pulumi";
import { Adapter, checkCapabilities } from "../providers/adapter";
import { compileGateway } from "../routing/compile";
import { GatewayInput, RouteStatus } from "../routing/plan";
import { HTTPRouteSpec, ServiceSpec } from "../routing/types";
import { gatewayInputOf } from "./compileInput";
import type { GatewayReference } from "./gateway";
import type { HTTPRoute } from "./httpRoute";
import { declarations } from "./registry";
import { attachedServiceSpecs } from "./backendPolicies";

/** What a team's stack exports for an operator's Gateway to import (plain, serialisable data). */
export interface PublishedRoutes {
    /** The routes as Gateway API specs (Service components replaced by their names). */
    routes: HTTPRouteSpec[];
    /** The Services those routes forward or mirror to, declared in the publishing stack. */
    services: ServiceSpec[];
    /** Each route's status as compiled against the gateway's reference in the publishing stack. */
    statuses: RouteStatus[];
}

/** One team stack's published routes, as the operator's Gateway takes them (GatewayArgs.importedRoutes). */
export interface ImportedRoutesArgs {
    /** The team stack's publishRoutes output, e.g. `new pulumi.StackReference("org/shop/prod").getOutput("routes")`. */
    published: pulumi.Input<PublishedRoutes>;
    /**
     * The route namespaces this stack owns: its routes and Services of any other namespace are
     * skipped, so one team cannot publish in another's name.
     */
    namespaces: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The routes (and their Services) an HTTPRoute list publishes, for export from the team's stack.
 * Each route must name another stack's gateway (a GatewayReference parentRef); its status is the one
 * compiled against that reference.
 */
export function publishRoutes(routes: HTTPRoute[]): pulumi.Output<PublishedRoutes> {
    // The Services are read once the program body has finished declaring them (as an HTTPRoute's status does).
    const services = new Promise<pulumi.Output<unknown[]>>(resolve => setImmediate(() => resolve(pulumi.all(attachedServiceSpecs(declarations().services)))));
    return pulumi.all([pulumi.all(routes.map(r => r.spec)), pulumi.all(routes.map(r => r.status)), pulumi.output(services)])
        .apply(([specs, statuses, declared]) => {
            const used = new Set<string>();
            for (const spec of specs) {
                for (const rule of spec.rules ?? []) {
                    for (const b of rule.backendRefs ?? []) used.add(`${b.namespace ?? spec.namespace ?? "default"}/${b.name}`);
                    for (const f of [...(rule.filters ?? []), ...(rule.backendRefs ?? []).flatMap(b => b.filters ?? [])]) {
                        const m = f.requestMirror?.backendRef;
                        if (m) used.add(`${m.namespace ?? spec.namespace ?? "default"}/${m.name}`);
                    }
                }
            }
            return {
                routes: specs as HTTPRouteSpec[],
                services: (declared as ServiceSpec[]).filter(s => used.has(`${s.namespace ?? "default"}/${s.name}`)),
                statuses: statuses as RouteStatus[],
            };
        });
}

/** Imports as resolved: plain values. */
export interface ResolvedImport {
    published: PublishedRoutes;
    namespaces: string[];
}

export interface Admitted {
    routes: HTTPRouteSpec[];
    services: ServiceSpec[];
    /** The skipped routes' statuses (Accepted False, reason NotImported, the message saying why). */
    skipped: RouteStatus[];
}

const keyOf = (spec: { namespace?: string; name?: string }) => `${spec.namespace ?? "default"}/${spec.name}`;

/**
 * Which imported routes join the gateway: each checked alone against the gateway (validation, the
 * adapter's capabilities and its model's problems), with only the Services of its own stack.
 */
export function admitImportedRoutes(
    ref: GatewayReference, own: { routes: HTTPRouteSpec[]; services: ServiceSpec[] }, imports: ResolvedImport[],
    adapter: Adapter | undefined, parameters: Record<string, unknown>,
): Admitted {
    const admitted: Admitted = { routes: [], services: [], skipped: [] };
    const taken = new Set(own.routes.map(keyOf));
    const ownServices = new Set(own.services.map(keyOf));
    imports.forEach((imp, i) => {
        const where = `importedRoutes[${i}]`;
        const granted = new Set(imp.namespaces);
        const published = isRecord(imp.published) ? imp.published : { routes: [], services: [] };
        const routes = Array.isArray(published.routes) ? published.routes : [];
        // Services of the namespaces granted to this stack only, and never one the gateway's own stack declares.
        const services = (Array.isArray(published.services) ? published.services : [])
            .filter((s): s is ServiceSpec => isRecord(s) && granted.has(String(s.namespace ?? "default")) && !ownServices.has(keyOf(s)));
        const skip = (spec: unknown, message: string) => {
            const route = isRecord(spec) ? keyOf(spec as HTTPRouteSpec) : `${where}.routes[?]`;
            admitted.skipped.push({
                route,
                parents: [{
                    parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: ref.namespace, name: ref.name },
                    controllerName: ref.controllerName,
                    conditions: [{ type: "Accepted", status: "False", reason: "NotImported", message }],
                }],
                warnings: [],
            });
        };
        let usedServices = false;
        routes.forEach((spec, j) => {
            const at = `Gateway ${ref.namespace}/${ref.name} ${where}.routes[${j}]`;
            if (!isRecord(spec) || typeof spec.name !== "string") { skip(spec, `${at}: not an HTTPRoute spec (no name); skipped`); return; }
            const key = keyOf(spec);
            const ns = String(spec.namespace ?? "default");
            if (!granted.has(ns)) {
                skip(spec, `${at}: HTTPRoute ${key} is in namespace ${ns}, which ${where}.namespaces (${[...granted].join(", ") || "none"}) does not grant this stack; skipped`);
                return;
            }
            if (taken.has(key)) { skip(spec, `${at}: HTTPRoute ${key} is declared already (by the gateway's stack or an earlier import); skipped`); return; }
            const problem = aloneProblem(ref, spec, [...own.services, ...services], adapter, parameters);
            if (problem) { skip(spec, `${at}: HTTPRoute ${key} is refused on its own, so it is skipped: ${problem}`); return; }
            taken.add(key);
            admitted.routes.push(spec);
            usedServices = true;
        });
        if (usedServices) admitted.services.push(...services.filter(s => !admitted.services.some(x => keyOf(x) === keyOf(s))));
    });
    return admitted;
}

/** Why one route cannot join the gateway on its own (validation, capabilities, the adapter's model), or undefined. */
function aloneProblem(ref: GatewayReference, spec: HTTPRouteSpec, services: ServiceSpec[], adapter: Adapter | undefined, parameters: Record<string, unknown>): string | undefined {
    try {
        const input: GatewayInput = gatewayInputOf(ref, [spec], services);
        const plan = compileGateway(input).gateways[0];
        if (adapter && !adapter.planOnly) {
            checkCapabilities(plan, adapter, []);
            const problems = adapter.model?.(plan, { parameters, input }).problems ?? [];
            if (problems.length > 0) return problems.join("; ");
        }
        return undefined;
    } catch (err) {
        return err instanceof Error ? err.message : String(err);
    }
}

function isRecord(v: unknown): v is Record<string, unknown> & { name?: unknown; namespace?: unknown } {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
