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
//
// A team's ListenerSets travel the same way (publishRoutes(routes, [listenerSet])): its spec, status
// and certificates (PEM, secret: the published output is then a secret). The operator's stack admits
// each as hostile input — in a granted namespace, valid and Accepted on the gateway alone, every
// listener on a port the gateway already has with the same protocol, every HTTPS certificateRef
// supplied as its own material — or skips it with its status (Accepted False, reason NotImported);
// its listeners then join the gateway's, its certificates the data plane's (gcp: SSL certificates on
// the target HTTPS proxy), its routes the URL map.

import * as pulumi from "@pulumi/pulumi";
import { Adapter, checkCapabilities } from "../providers/adapter";
import { compileGateway } from "../routing/compile";
import { GatewayInput, GatewayPlan, ListenerSetStatus, RouteStatus } from "../routing/plan";
import { HTTPRouteSpec, ListenerSetSpec, ServiceSpec } from "../routing/types";
import type { TlsCertificate } from "../providers/adapter";
import { gatewayInputOf } from "./compileInput";
import type { GatewayReference } from "./gateway";
import type { HTTPRoute } from "./httpRoute";
import type { ListenerSet } from "./listenerSet";
import { declaredServiceSpecs } from "./backendPolicies";

/** What a team's stack exports for an operator's Gateway to import (plain, serialisable data). */
export interface PublishedRoutes {
    /** The routes as Gateway API specs (Service components replaced by their names). */
    routes: HTTPRouteSpec[];
    /** The Services those routes forward or mirror to, declared in the publishing stack. */
    services: ServiceSpec[];
    /** Each route's status as compiled against the gateway's reference in the publishing stack. */
    statuses: RouteStatus[];
    /** The ListenerSets published with the routes (publishRoutes' second argument). */
    listenerSets?: PublishedListenerSet[];
}

/** A team's ListenerSet as its stack publishes it for the operator's Gateway to import. */
export interface PublishedListenerSet {
    spec: ListenerSetSpec;
    /** Its status as compiled against the gateway's reference in the publishing stack. */
    status: ListenerSetStatus;
    /** Its certificates keyed "namespace/name" (its own namespace): secret in the stack output. */
    certificates?: Record<string, TlsCertificate>;
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
 * The routes (and their Services) an HTTPRoute list publishes, for export from the team's stack, and
 * the ListenerSets they may attach to. Each route and ListenerSet must name another stack's gateway
 * (a GatewayReference); their statuses are the ones compiled against that reference. With
 * certificates, the output is a secret (their private keys stay secret in both stacks' state).
 */
export function publishRoutes(routes: HTTPRoute[], listenerSets: ListenerSet[] = []): pulumi.Output<PublishedRoutes> {
    for (const ls of listenerSets) {
        if (ls.reference === undefined) {
            throw new Error(`publishRoutes: ListenerSet ${ls.label} is on a Gateway of this program, which realises it itself; publish only ListenerSets on another stack's gateway reference`);
        }
    }
    // The Services are read once the program body has finished declaring them (as an HTTPRoute's status does).
    const services = declaredServiceSpecs();
    const published = pulumi.all(listenerSets.map(ls => pulumi.all([ls.spec, ls.status, ls.certificates ?? pulumi.output(undefined)])
        .apply(([spec, status, certificates]): PublishedListenerSet => ({ spec, status, ...(certificates ? { certificates } : {}) }))));
    return pulumi.all([pulumi.all(routes.map(r => r.spec)), pulumi.all(routes.map(r => r.status)), services, published])
        .apply(([specs, statuses, declared, sets]) => {
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
                ...(sets.length > 0 ? { listenerSets: sets as PublishedListenerSet[] } : {}),
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
    /** The imported ListenerSets that join the gateway. */
    listenerSets: ListenerSetSpec[];
    /** Where each admitted ListenerSet's certificates are: importedRoutes[i].published.listenerSets[j], and their keys. */
    certificateSources: { import: number; listenerSet: number; keys: string[] }[];
    /** The skipped ListenerSets' statuses (Accepted False, reason NotImported, the message saying why). */
    skippedListenerSets: ListenerSetStatus[];
}

/** What the gateway's own stack declares: its routes, Services, ListenerSets and certificate keys. */
export interface OwnDeclarations {
    routes: HTTPRouteSpec[];
    services: ServiceSpec[];
    listenerSets?: ListenerSetSpec[];
    /** Keys ("namespace/name") of the certificates the gateway's stack supplies (its own and its ListenerSets'). */
    certificateKeys?: string[];
}

const keyOf = (spec: { namespace?: string; name?: string }) => `${spec.namespace ?? "default"}/${spec.name}`;

/**
 * Which imported routes join the gateway: each checked alone against the gateway (validation, the
 * adapter's capabilities and its model's problems), with only the Services of its own stack.
 */
export function admitImportedRoutes(
    ref: GatewayReference, own: OwnDeclarations, imports: ResolvedImport[],
    adapter: Adapter | undefined, parameters: Record<string, unknown>,
): Admitted {
    const admitted: Admitted = { routes: [], services: [], skipped: [], listenerSets: [], certificateSources: [], skippedListenerSets: [] };
    const taken = new Set(own.routes.map(keyOf));
    const ownServices = new Set(own.services.map(keyOf));
    const takenListenerSets = new Set((own.listenerSets ?? []).map(keyOf));
    const certificateKeys = new Set(own.certificateKeys ?? []);
    imports.forEach((imp, i) => {
        const where = `importedRoutes[${i}]`;
        const granted = new Set(imp.namespaces);
        const published = (isRecord(imp.published) ? imp.published : { routes: [], services: [] }) as Partial<PublishedRoutes>;
        // ListenerSets first: the routes of this import are checked on the ones admitted.
        const imported = admitListenerSets(ref, where, granted, Array.isArray(published.listenerSets) ? published.listenerSets : [], takenListenerSets, certificateKeys, adapter, parameters);
        admitted.skippedListenerSets.push(...imported.skipped);
        admitted.listenerSets.push(...imported.admitted.map(a => a.spec));
        admitted.certificateSources.push(...imported.admitted.map(a => ({ import: i, listenerSet: a.index, keys: a.keys })));
        const importListenerSets = { specs: imported.admitted.map(a => a.spec), keys: imported.admitted.flatMap(a => a.keys) };
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
            const problem = aloneProblem(ref, spec, [...own.services, ...services], adapter, parameters, importListenerSets);
            if (problem) { skip(spec, `${at}: HTTPRoute ${key} is refused on its own, so it is skipped: ${problem}`); return; }
            taken.add(key);
            admitted.routes.push(spec);
            usedServices = true;
        });
        if (usedServices) admitted.services.push(...services.filter(s => !admitted.services.some(x => keyOf(x) === keyOf(s))));
    });
    return admitted;
}

/**
 * Why one route cannot join the gateway on its own, with the ListenerSets of its import
 * (validation, capabilities, the adapter's model), or undefined.
 */
function aloneProblem(ref: GatewayReference, spec: HTTPRouteSpec, services: ServiceSpec[], adapter: Adapter | undefined, parameters: Record<string, unknown>,
    listenerSets: { specs: ListenerSetSpec[]; keys: string[] }): string | undefined {
    try {
        const input: GatewayInput = { ...gatewayInputOf(ref, [spec], services), ...(listenerSets.specs.length > 0 ? { listenerSets: listenerSets.specs } : {}) };
        return adapterProblem(compileGateway(input).gateways[0], input, adapter, parameters, listenerSets.keys);
    } catch (err) {
        return err instanceof Error ? err.message : String(err);
    }
}

/** What the adapter refuses in a plan compiled from `input` (capabilities, its model), or undefined. */
function adapterProblem(plan: GatewayPlan, input: GatewayInput, adapter: Adapter | undefined, parameters: Record<string, unknown>, certificateKeys: string[]): string | undefined {
    try {
        if (adapter && !adapter.planOnly) {
            checkCapabilities(plan, adapter, []);
            const problems = adapter.model?.(plan, { parameters, input, certificateKeys }).problems ?? [];
            if (problems.length > 0) return problems.join("; ");
        }
        return undefined;
    } catch (err) {
        return err instanceof Error ? err.message : String(err);
    }
}

/**
 * Which of one import's ListenerSets join the gateway, each checked alone as hostile input: in a
 * namespace granted to its stack, not declared already, valid and Accepted on the gateway, every
 * Accepted listener on a port the gateway's own listeners have (same protocol), every HTTPS
 * certificateRef in its namespace and supplied as its own material (keys no other owner supplies),
 * and nothing the adapter refuses. The others are skipped with their status.
 */
function admitListenerSets(
    ref: GatewayReference, where: string, granted: Set<string>, published: unknown[], taken: Set<string>, certificateKeys: Set<string>,
    adapter: Adapter | undefined, parameters: Record<string, unknown>,
): { admitted: { spec: ListenerSetSpec; index: number; keys: string[] }[]; skipped: ListenerSetStatus[] } {
    const admitted: { spec: ListenerSetSpec; index: number; keys: string[] }[] = [];
    const skipped: ListenerSetStatus[] = [];
    published.forEach((entry, j) => {
        const spec = (isRecord(entry) && isRecord(entry.spec) ? entry.spec : undefined) as (ListenerSetSpec & Record<string, unknown>) | undefined;
        const at = `Gateway ${ref.namespace}/${ref.name} ${where}.listenerSets[${j}]`;
        const key = spec && typeof spec.name === "string" ? keyOf(spec) : `${where}.listenerSets[${j}]`;
        const skip = (message: string) => skipped.push({
            listenerSet: key,
            parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: ref.namespace, name: ref.name },
            conditions: [
                { type: "Accepted", status: "False", reason: "NotImported", message },
                { type: "Programmed", status: "False", reason: "NotImported", message: "not imported" },
            ],
            listeners: [],
        });
        if (!spec || typeof spec.name !== "string") { skip(`${at}: not a ListenerSet spec (no name); skipped`); return; }
        const ns = String(spec.namespace ?? "default");
        if (!granted.has(ns)) { skip(`${at}: ListenerSet ${key} is in namespace ${ns}, which ${where}.namespaces (${[...granted].join(", ") || "none"}) does not grant this stack; skipped`); return; }
        if (taken.has(key)) { skip(`${at}: ListenerSet ${key} is declared already (by the gateway's stack or an earlier import); skipped`); return; }
        if (spec.parentRef?.name !== ref.name || (spec.parentRef.namespace ?? ns) !== ref.namespace) {
            skip(`${at}: ListenerSet ${key} names another gateway in spec.parentRef; skipped`);
            return;
        }
        const refuse = (why: string) => skip(`${at}: ListenerSet ${key} is refused on its own, so it is skipped: ${why}`);
        let status: ListenerSetStatus | undefined;
        const input: GatewayInput = { ...gatewayInputOf(ref, [], []), listenerSets: [spec] };
        let plan: GatewayPlan;
        try {
            const routing = compileGateway(input);
            plan = routing.gateways[0];
            status = routing.listenerSets?.find(s => s.listenerSet === key);
        } catch (err) {
            refuse(err instanceof Error ? err.message : String(err));
            return;
        }
        const accepted = status?.conditions.find(c => c.type === "Accepted");
        if (!status || accepted?.status !== "True") { refuse(`Accepted=False, reason ${accepted?.reason ?? "?"}: ${accepted?.message ?? "no status"}`); return; }
        const ownListeners = new Map(ref.listeners.map(l => [l.port, l.protocol] as const));
        // Material counts only as a PEM certificate and key (strings): anything else would reach the data plane broken.
        const published = (entry as { certificates?: unknown }).certificates;
        const material = isRecord(published)
            ? Object.entries(published).filter(([, v]) => isRecord(v) && typeof v.certificate === "string" && typeof v.privateKey === "string").map(([k]) => k)
            : [];
        const keys = new Set<string>();
        const problems: string[] = [];
        const listenerAccepted = new Set(status.listeners.filter(l => l.conditions.some(c => c.type === "Accepted" && c.status === "True")).map(l => l.name));
        for (const l of spec.listeners ?? []) {
            if (!listenerAccepted.has(l.name)) continue;
            const protocol = ownListeners.get(l.port);
            if (protocol === undefined) {
                problems.push(`listener ${l.name}: port ${l.port} is not a port of the gateway, and a new port is a new forwarding rule and target proxy, which only the operator's stack creates: ` +
                    `add a listener on port ${l.port} (protocol ${l.protocol}) to the Gateway's spec.listeners, or use one of its ports (${[...ownListeners].map(([p, x]) => `${p} ${x}`).join(", ")})`);
                continue;
            }
            if (protocol !== l.protocol) { problems.push(`listener ${l.name}: port ${l.port} is ${protocol} on the gateway, not ${l.protocol}`); continue; }
            (l.tls?.certificateRefs ?? []).forEach((c, k) => {
                const certKey = `${c.namespace ?? ns}/${c.name}`;
                if (!certKey.startsWith(`${ns}/`)) problems.push(`listener ${l.name} tls.certificateRefs[${k}]: ${certKey} is not in the ListenerSet's namespace ${ns}`);
                else if (!material.includes(certKey)) problems.push(`listener ${l.name} tls.certificateRefs[${k}]: ${certKey} is not among the certificates it publishes (a PEM certificate and key); an imported ListenerSet supplies its certificates itself (ListenerSetArgs.certificates)`);
                else if (certificateKeys.has(certKey)) problems.push(`listener ${l.name} tls.certificateRefs[${k}]: certificate ${certKey} is supplied already (by the gateway's stack or an earlier import)`);
                else keys.add(certKey);
            });
        }
        if (problems.length === 0) {
            const problem = adapterProblem(plan, input, adapter, parameters, [...keys]);
            if (problem) problems.push(problem);
        }
        if (problems.length > 0) { refuse(problems.join("; ")); return; }
        taken.add(key);
        for (const k of keys) certificateKeys.add(k);
        admitted.push({ spec: spec as ListenerSetSpec, index: j, keys: [...keys] });
    });
    return { admitted, skipped };
}

function isRecord(v: unknown): v is Record<string, unknown> & { name?: unknown; namespace?: unknown } {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
