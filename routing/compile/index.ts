// compile(): validated specs → RoutingPlan. Three stages, each a function below:
//   attach  — parentRefs × listeners × allowedRoutes × hostname intersection, with status;
//   resolve — backendRefs and mirrors to services (ReferenceGrant for cross-namespace refs);
//   order   — one PlanRule per (rule × match × effective hostname), sorted by precedence, each with
//             its resolved action (./actions.ts); then per port the host ownership (./ports.ts).

import { CompileInput, GatewayInput, GatewayPlan, ListenerPlan, PortPlan, RouteStatus, RoutingPlan } from "../plan";
import { BackendObjectReference, GATEWAY_GROUP, GatewaySpec, GRPCRouteSpec, HTTPRouteFilter, HTTPRouteRule, HTTPRouteSpec, ServiceSpec } from "../types";
import { assertValid } from "../validate";
import { portsOf } from "./ports";
import { Context, DEFAULT_RULES, cond, key, ns, sortedRoutes } from "./context";
import { Attachment, ListenerState, attachRoute, listenerStatesOf, resolveKindConflicts } from "./attach";
import { orderRules } from "./order";
import { mergeListenerSets, planListenerName } from "./listenerSets";
import { policyStatuses } from "../policies";
import { backendClientCertificateOf, frontendValidationOf } from "./gatewayTLS";

export interface CompileOptions {
    /** Skip validation (the caller already ran assertValid on the same input). */
    skipValidation?: boolean;
}

export function compile(input: CompileInput, options: CompileOptions = {}): RoutingPlan {
    if (!options.skipValidation) assertValid(input);
    const ctx = new Context(input);
    const listenerStates = new Map<string, ListenerState[]>();
    for (const gw of input.gateways) listenerStates.set(key(gw), listenerStatesOf(gw, ctx));
    const listenerSets = mergeListenerSets(input, ctx, listenerStates);

    const routes: RouteStatus[] = [];
    const attachedByListener = new Map<ListenerState, Attachment[]>();
    const statusOf = new Map<HTTPRouteSpec, RouteStatus>();
    for (const { route, key: routeKey } of sortedRoutes(ctx.routes)) {
        const { status, attachments } = attachRoute(route, routeKey, listenerStates, ctx);
        routes.push(status);
        statusOf.set(route, status);
        for (const a of attachments) {
            const list = attachedByListener.get(a.listener) ?? [];
            list.push(a);
            attachedByListener.set(a.listener, list);
        }
    }
    rejectKindConflicts(attachedByListener, statusOf);

    const warningsByRoute = new Map(routes.map(r => [r.route, r.warnings]));
    const gateways: GatewayPlan[] = input.gateways.map(gw => {
        const states = listenerStates.get(key(gw))!;
        const listeners: ListenerPlan[] = states.filter(ls => !ls.conflicted).map(ls => {
            const attachments = attachedByListener.get(ls) ?? [];
            ls.status.attachedRoutes = new Set(attachments.map(a => a.routeKey)).size;
            const name = planListenerName(ls);
            const rules = ls.valid ? orderRules(attachments, ls.listener, ctx, warningsByRoute, `${key(gw)}/${name}`) : [];
            const certNs = ns(ls.listenerSet ?? gw);
            return {
                name,
                ...(ls.listenerSet ? { listenerSet: { namespace: ns(ls.listenerSet), name: ls.listenerSet.name, sectionName: ls.listener.name } } : {}),
                port: ls.listener.port,
                protocol: ls.listener.protocol,
                ...(ls.listener.hostname !== undefined ? { hostname: ls.listener.hostname } : {}),
                ...(ls.listener.protocol === "HTTPS"
                    ? { tls: {
                        mode: "Terminate" as const,
                        certificateRefs: ls.listener.tls?.certificateRefs ?? [],
                        certificateKeys: (ls.listener.tls?.certificateRefs ?? []).map(ref => `${ref.namespace ?? certNs}/${ref.name}`),
                    } }
                    : {}),
                rules,
            };
        });
        const cls = ctx.classes.get(gw.gatewayClassName);
        const classKnown = !input.gatewayClasses || cls !== undefined;
        const ownStates = states.filter(s => s.listenerSet === undefined);
        const anyValid = ownStates.some(s => s.valid);
        const attachedListenerSets = listenerSets?.filter(l => l.gateway === key(gw) && l.conditions[0].status === "True").length;
        const named = listenerSets?.some(l => l.parentRef.namespace === ns(gw) && l.parentRef.name === gw.name);
        const backendCert = backendClientCertificateOf(gw, ctx);
        const ports = portsOf(key(gw), listeners).map(p => withFrontendValidation(p, gw, ctx));
        const insecurePorts = ports.filter(p => p.frontendValidation?.mode === "AllowInsecureFallback").map(p => p.port);
        return {
            gateway: key(gw),
            name: gw.name,
            namespace: ns(gw),
            className: gw.gatewayClassName,
            ...(cls ? { controllerName: cls.controllerName } : {}),
            listeners,
            ports,
            ...infrastructureOf(gw),
            ...(gw.addresses && gw.addresses.length > 0 ? { addresses: gw.addresses.map(a => ({ ...a })) } : {}),
            ...(backendCert && "key" in backendCert ? { backendTLS: { clientCertificateKey: backendCert.key } } : {}),
            status: {
                conditions: [
                    !classKnown
                        ? cond("Accepted", false, "Invalid", `GatewayClass ${gw.gatewayClassName} does not exist`)
                        : anyValid
                            ? cond("Accepted", true, "Accepted", "Gateway accepted")
                            : cond("Accepted", false, "ListenersNotValid", "no listener is valid"),
                    classKnown && anyValid
                        ? cond("Programmed", true, "Programmed", "routing plan compiled")
                        : cond("Programmed", false, "Invalid", "gateway is not accepted"),
                    // Upstream's warning that some port accepts clients without a valid certificate.
                    ...(insecurePorts.length > 0 ? [cond("InsecureFrontendValidationMode", true, "ConfigurationChanged",
                        `port${insecurePorts.length > 1 ? "s" : ""} ${insecurePorts.join(", ")} accept${insecurePorts.length > 1 ? "" : "s"} connections without a valid client certificate (mode AllowInsecureFallback); the backends must authorise clients themselves`)] : []),
                    // Only a Gateway with spec.tls.backend has a Gateway-level reference to resolve.
                    ...(backendCert === undefined ? [] : ["key" in backendCert
                        ? cond("ResolvedRefs", true, "ResolvedRefs", "all references resolved")
                        : cond("ResolvedRefs", false, backendCert.reason, backendCert.message)]),
                ],
                listeners: ownStates.map(s => s.status),
                ...(named ? { attachedListenerSets } : {}),
            },
        };
    });
    const policies = policyStatuses(ctx.serviceList);
    return { gateways, routes, ...(listenerSets ? { listenerSets } : {}), ...(policies ? { policies } : {}) };
}

/**
 * Applies resolveKindConflicts on every listener: a route that lost on every listener its parentRef
 * attached it to is not Accepted for that parent; one that lost on some of them is (the spec counts a
 * partial attachment as attached) and carries a warning naming the listener and the winner.
 */
function rejectKindConflicts(attachedByListener: Map<ListenerState, Attachment[]>, statusOf: Map<HTTPRouteSpec, RouteStatus>): void {
    const perParent = new Map<string, { attached: number; lost: number; winners: string[] }>();
    const parentKey = (a: Attachment) => `${a.kind} ${a.routeKey}#${a.parentIndex}`;
    const lost: Attachment[] = [];
    for (const a of [...attachedByListener.values()].flat()) {
        const p = perParent.get(parentKey(a)) ?? { attached: 0, lost: 0, winners: [] };
        p.attached++;
        perParent.set(parentKey(a), p);
    }
    for (const [listener, list] of attachedByListener) {
        attachedByListener.set(listener, resolveKindConflicts(list, (a, winner) => {
            const p = perParent.get(parentKey(a))!;
            p.lost++;
            const w = `${winner.kind} ${winner.routeKey}`;
            if (!p.winners.includes(w)) p.winners.push(w);
            lost.push(a);
            statusOf.get(a.route)!.warnings.push(
                `on ${key(listener.gateway)}/${planListenerName(listener)}, ${w} shares a hostname with this ${a.kind}; ` +
                `of an HTTPRoute and a GRPCRoute claiming one hostname on a listener only one is accepted (the first by namespace/name), so this route is not served there; give the routes distinct hostnames`);
        }));
    }
    for (const a of lost) {
        const p = perParent.get(parentKey(a))!;
        if (p.lost < p.attached) continue;
        const status = statusOf.get(a.route)!.parents[a.parentIndex];
        const accepted = status.conditions.findIndex(c => c.type === "Accepted");
        status.conditions[accepted] = cond("Accepted", false, "NotAllowedByListeners",
            `${p.winners.join(", ")} ${p.winners.length === 1 ? "claims" : "claim"} the same hostnames on every listener this parentRef selects, and of an HTTPRoute and a GRPCRoute sharing a hostname on a listener the first by namespace/name is accepted; give the routes distinct hostnames or listeners`);
    }
}

/** Compiles the one gateway a GatewayInput describes; the plan has exactly one GatewayPlan. */
export function compileGateway(input: GatewayInput, options: CompileOptions = {}): RoutingPlan {
    return compile({
        gatewayClasses: [input.gatewayClass],
        gateways: [input.gateway],
        routes: input.routes,
        ...(input.grpcRoutes ? { grpcRoutes: input.grpcRoutes } : {}),
        services: input.services,
        namespaces: input.namespaces,
        ...(input.referenceGrants ? { referenceGrants: input.referenceGrants } : {}),
        ...(input.listenerSets ? { listenerSets: input.listenerSets } : {}),
    }, options);
}

/**
 * The existing services `routes` reference (backendRefs and mirrors, kind Service of group ""),
 * in "namespace/name" order: what a GatewayInput carries.
 */
export function referencedServices(routes: readonly (HTTPRouteSpec | GRPCRouteSpec)[], services: readonly ServiceSpec[]): ServiceSpec[] {
    const byKey = new Map<string, ServiceSpec>();
    for (const s of services) byKey.set(key(s), s);
    const used = new Map<string, ServiceSpec>();
    const note = (ref: BackendObjectReference, routeNs: string) => {
        if ((ref.group ?? "") !== "" || (ref.kind ?? "Service") !== "Service") return;
        const svc = byKey.get(`${ref.namespace ?? routeNs}/${ref.name}`);
        if (svc) used.set(key(svc), svc);
    };
    const mirrors = (filters: readonly { requestMirror?: { backendRef: BackendObjectReference } }[] | undefined, routeNs: string) => {
        for (const f of filters ?? []) if (f.requestMirror) note(f.requestMirror.backendRef, routeNs);
    };
    for (const route of routes) {
        for (const rule of (route.rules ?? DEFAULT_RULES) as { filters?: HTTPRouteFilter[]; backendRefs?: HTTPRouteRule["backendRefs"] }[]) {
            mirrors(rule.filters, ns(route));
            for (const b of rule.backendRefs ?? []) {
                note(b, ns(route));
                mirrors(b.filters, ns(route));
            }
        }
    }
    return [...used.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}


export { selectorMatches } from "./attach";
export { planMatch } from "./order";

/** An HTTPS port with the client-certificate validation of spec.tls.frontend, when it has one with a usable CA. */
function withFrontendValidation(port: PortPlan, gw: GatewaySpec, ctx: Context): PortPlan {
    if (port.protocol !== "HTTPS") return port;
    const v = frontendValidationOf(gw, port.port, ctx);
    if (!v || v.caCertificateKeys.length === 0) return port;
    return { ...port, frontendValidation: { caCertificateKeys: v.caCertificateKeys, mode: v.mode, field: v.field } };
}

/** The Gateway's infrastructure labels and annotations for its plan; nothing when it has none. */
function infrastructureOf(gw: GatewaySpec): Pick<GatewayPlan, "infrastructure"> {
    const labels = gw.infrastructure?.labels, annotations = gw.infrastructure?.annotations;
    const has = (m?: Record<string, string>) => m !== undefined && Object.keys(m).length > 0;
    if (!has(labels) && !has(annotations)) return {};
    return { infrastructure: { ...(has(labels) ? { labels: { ...labels } } : {}), ...(has(annotations) ? { annotations: { ...annotations } } : {}) } };
}
