// Stage 1, attach: parentRefs × listeners × allowedRoutes × hostname intersection, with the
// listener and route status conditions (Accepted, ResolvedRefs) and certificate checks.

import { hostnameCovers, intersectHostnames } from "../hostname";
import { CompileInput, Condition, ListenerStatus, RouteKind, RouteParentStatus, RouteStatus } from "../plan";
import { GATEWAY_GROUP, GatewaySpec, HTTPRouteSpec, LabelSelector, Labels, Listener, ListenerSetSpec } from "../types";
import { Context, cond, key, ns, rulesOf } from "./context";
import { resolveRule, resolvedRoute } from "./resolve";
import { frontendValidationOf } from "./gatewayTLS";

// ---------------------------------------------------------------- listeners

export interface ListenerState {
    gateway: GatewaySpec;
    listener: Listener;
    /** Set on a listener merged from a ListenerSet (./listenerSets.ts). */
    listenerSet?: ListenerSetSpec;
    /** A ListenerSet listener that collides with an earlier listener: kept out of the plan. */
    conflicted?: boolean;
    valid: boolean;
    /** Route kinds this listener admits (of HTTPRoute and GRPCRoute, the kinds gatewaykit compiles). */
    admits: ReadonlySet<RouteKind>;
    status: ListenerStatus;
}

/** The route kinds gatewaykit compiles, in status order; an HTTP or HTTPS listener admits both by default. */
export const ROUTE_KINDS: readonly RouteKind[] = ["HTTPRoute", "GRPCRoute"];

function isRouteKind(k: { group?: string; kind: string }): boolean {
    return (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ROUTE_KINDS as readonly string[]).includes(k.kind);
}

export function listenerStatesOf(gw: GatewaySpec, ctx: Context): ListenerState[] {
    const protocolsByPort = new Map<number, Set<string>>();
    for (const l of gw.listeners) {
        const set = protocolsByPort.get(l.port) ?? new Set<string>();
        set.add(l.protocol);
        protocolsByPort.set(l.port, set);
    }
    return gw.listeners.map(l => listenerStateOf(gw, l, ctx,
        (protocolsByPort.get(l.port)?.size ?? 0) > 1
            ? { reason: "ProtocolConflict", accepted: `another listener uses port ${l.port} with a different protocol`, conflicted: `port ${l.port} is used with both HTTP and HTTPS` }
            : undefined));
}

/** A conflict a listener is marked with: Accepted and Conflicted messages under one reason. */
export interface ListenerConflict {
    reason: "ProtocolConflict" | "HostnameConflict";
    accepted: string;
    conflicted: string;
}

/**
 * One listener's state and status. `listenerSet` names the ListenerSet it comes from: certificateRefs
 * and allowedRoutes "Same" are then relative to the ListenerSet's namespace, not the Gateway's.
 */
export function listenerStateOf(gw: GatewaySpec, l: Listener, ctx: Context, conflict: ListenerConflict | undefined, listenerSet?: ListenerSetSpec): ListenerState {
        const conditions: Condition[] = [];
        const kinds = l.allowedRoutes?.kinds;
        const admits = new Set<RouteKind>(kinds === undefined ? ROUTE_KINDS : kinds.filter(isRouteKind).map(k => k.kind as RouteKind));
        const invalidKinds = (kinds ?? []).filter(k => !isRouteKind(k));
        const protocolConflict = conflict !== undefined;
        const certProblem = listenerSet
            ? certificateProblem({ namespace: ns(listenerSet), kind: "ListenerSet" }, l, ctx)
            : certificateProblem({ namespace: ns(gw), kind: "Gateway" }, l, ctx);

        // spec.tls.frontend applies to every HTTPS listener of the port, a ListenerSet's included.
        const frontend = l.protocol === "HTTPS" ? frontendValidationOf(gw, l.port, ctx) : undefined;
        const noValidCA = frontend !== undefined && frontend.caCertificateKeys.length === 0;
        conditions.push(conflict
            ? cond("Accepted", false, conflict.reason, conflict.accepted)
            : noValidCA
                ? cond("Accepted", false, "NoValidCACertificate", `none of the CA certificates of ${frontend.field} can be used, so client certificates cannot be validated: ${frontend.problems.map(p => p.message).join("; ")}`)
                : cond("Accepted", true, "Accepted", "listener accepted"));
        conditions.push(conflict
            ? cond("Conflicted", true, conflict.reason, conflict.conflicted)
            : cond("Conflicted", false, "NoConflicts", "no conflicts"));
        if (invalidKinds.length > 0) {
            conditions.push(cond("ResolvedRefs", false, "InvalidRouteKinds",
                `unsupported route kinds ${invalidKinds.map(k => `${k.group ?? GATEWAY_GROUP}/${k.kind}`).join(", ")}; gatewaykit supports HTTPRoute and GRPCRoute`));
        } else if (certProblem) {
            conditions.push(cond("ResolvedRefs", false, certProblem.reason, certProblem.message));
        } else if (frontend && frontend.problems.length > 0) {
            conditions.push(cond("ResolvedRefs", false, frontend.problems[0].reason, frontend.problems.map(p => p.message).join("; ")));
        } else {
            conditions.push(cond("ResolvedRefs", true, "ResolvedRefs", "all references resolved"));
        }
        const valid = !protocolConflict && !certProblem && !noValidCA;
        conditions.push(valid
            ? cond("Programmed", true, "Programmed", "listener programmed")
            : cond("Programmed", false, "Invalid", "listener is not valid"));
        return {
            gateway: gw,
            listener: l,
            ...(listenerSet ? { listenerSet } : {}),
            ...(conflict && listenerSet ? { conflicted: true } : {}),
            valid,
            admits,
            status: {
                name: l.name,
                attachedRoutes: 0,
                supportedKinds: ROUTE_KINDS.filter(k => admits.has(k)).map(kind => ({ group: GATEWAY_GROUP, kind })),
                conditions,
            },
        };
}

/**
 * Why a listener's certificateRefs cannot be used. `owner` is the object declaring the listener (its
 * Gateway or ListenerSet): refs default to its namespace, and a ref into another namespace needs a
 * ReferenceGrant from that kind there (a Gateway's grants are not inherited by its ListenerSets).
 */
export function certificateProblem(owner: { namespace: string; kind: "Gateway" | "ListenerSet" }, l: Listener, ctx: Context): { reason: string; message: string } | undefined {
    for (const ref of l.tls?.certificateRefs ?? []) {
        const group = ref.group ?? "";
        const kind = ref.kind ?? "Secret";
        if (group !== "" || kind !== "Secret") {
            return { reason: "InvalidCertificateRef", message: `certificateRef ${ref.name} has unsupported kind ${group}/${kind}; use a Secret` };
        }
        const refNs = ref.namespace ?? owner.namespace;
        if (!ctx.referencePermitted(owner.namespace, refNs, "", "Secret", ref.name, owner.kind)) {
            return { reason: "RefNotPermitted", message: `certificateRef ${refNs}/${ref.name} is in another namespace and no ReferenceGrant in ${refNs} permits it` };
        }
    }
    return undefined;
}

// ---------------------------------------------------------------- attachment

export interface Attachment {
    route: HTTPRouteSpec;
    kind: RouteKind;
    /** key(route). */
    routeKey: string;
    listener: ListenerState;
    hostnames: (string | undefined)[];
    /** The parentRef (index in spec.parentRefs) that attached it. */
    parentIndex: number;
}

export function namespaceAllowed(l: ListenerState, routeNs: string, ctx: Context): boolean {
    const from = l.listener.allowedRoutes?.namespaces?.from ?? "Same";
    if (from === "All") return true;
    if (from === "Same") return routeNs === ns(l.listenerSet ?? l.gateway);
    return selectorMatches(l.listener.allowedRoutes?.namespaces?.selector, ctx.namespaceLabels.get(routeNs) ?? {});
}

export function selectorMatches(sel: LabelSelector | undefined, labels: Labels): boolean {
    if (!sel) return false;
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of sel.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const vals = e.values ?? [];
        switch (e.operator) {
            case "In": if (!has || !vals.includes(labels[e.key])) return false; break;
            case "NotIn": if (has && vals.includes(labels[e.key])) return false; break;
            case "Exists": if (!has) return false; break;
            case "DoesNotExist": if (has) return false; break;
        }
    }
    return true;
}

export function attachRoute(
    route: HTTPRouteSpec, routeKey: string, listenerStates: Map<string, ListenerState[]>, ctx: Context,
): { status: RouteStatus; attachments: Attachment[] } {
    const routeNs = ns(route);
    const routeKind = ctx.kindOf(route);
    const warnings: string[] = [];
    const attachments: Attachment[] = [];
    const seen = new Set<ListenerState>();
    const resolved = resolvedRefsCondition(route, ctx, routeKey);

    const parents: RouteParentStatus[] = (route.parentRefs ?? []).map((ref, parentIndex) => {
        const group = ref.group ?? GATEWAY_GROUP;
        const kind = ref.kind ?? "Gateway";
        const parentRef = {
            group, kind, namespace: ref.namespace ?? routeNs, name: ref.name,
            ...(ref.sectionName !== undefined ? { sectionName: ref.sectionName } : {}),
            ...(ref.port !== undefined ? { port: ref.port } : {}),
        };
        const refText = `${parentRef.namespace}/${ref.name}` + (ref.sectionName ? ` section ${ref.sectionName}` : "") + (ref.port ? ` port ${ref.port}` : "");
        const viaListenerSet = group === GATEWAY_GROUP && kind === "ListenerSet";
        const listenerSet = viaListenerSet ? ctx.listenerSets.get(`${parentRef.namespace}/${ref.name}`) : undefined;
        const gw = viaListenerSet
            ? listenerSet && ctx.listenerSetParents.get(listenerSet)
            : ctx.gateways.get(`${parentRef.namespace}/${ref.name}`);
        const controllerName = gw ? ctx.classes.get(gw.gatewayClassName)?.controllerName : undefined;
        const base = { parentRef, ...(controllerName ? { controllerName } : {}) };
        if (group !== GATEWAY_GROUP || (kind !== "Gateway" && kind !== "ListenerSet")) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingParent", `parent kind ${group}/${kind} is not supported; use a Gateway or a ListenerSet`), resolved] };
        }
        if (viaListenerSet && !listenerSet) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingParent", `ListenerSet ${parentRef.namespace}/${ref.name} does not exist`), resolved] };
        }
        if (viaListenerSet && !gw) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingParent", `ListenerSet ${parentRef.namespace}/${ref.name} is not accepted by its Gateway (see the ListenerSet's status), so its listeners carry no routes`), resolved] };
        }
        if (!gw) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingParent", `Gateway ${parentRef.namespace}/${ref.name} does not exist`), resolved] };
        }
        // A Gateway parentRef selects the Gateway's own listeners; a ListenerSet's are selected only through it.
        const candidates = listenerStates.get(key(gw))!.filter(l =>
            (viaListenerSet ? l.listenerSet === listenerSet : l.listenerSet === undefined) &&
            (ref.sectionName === undefined || l.listener.name === ref.sectionName) &&
            (ref.port === undefined || l.listener.port === ref.port));
        if (candidates.length === 0) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingParent", `${kind} ${refText}: no listener has that ${ref.sectionName !== undefined && ref.port !== undefined ? "name and port" : ref.sectionName !== undefined ? "name" : "port"}`), resolved] };
        }
        const allowed = candidates.filter(l => l.admits.has(routeKind) && namespaceAllowed(l, routeNs, ctx));
        if (allowed.length === 0) {
            return { ...base, conditions: [cond("Accepted", false, "NotAllowedByListeners", `no listener of ${kind} ${refText} admits ${routeKind}s from namespace ${routeNs} (allowedRoutes)`), resolved] };
        }
        let attached = 0;
        for (const l of allowed) {
            const hostnames = intersectHostnames(l.listener.hostname, route.hostnames);
            if (hostnames.length === 0) continue;
            attached++;
            if (seen.has(l)) continue;
            seen.add(l);
            if (l.valid) attachments.push({ route, routeKey, kind: routeKind, listener: l, hostnames, parentIndex });
        }
        if (attached === 0) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingListenerHostname", `route hostnames ${JSON.stringify(route.hostnames ?? [])} do not intersect any listener hostname of ${kind} ${refText}`), resolved] };
        }
        return { ...base, conditions: [cond("Accepted", true, "Accepted", "route accepted"), resolved] };
    });
    if (parents.length === 0) warnings.push("route has no parentRefs, so it attaches to no gateway");
    return { status: { route: routeKey, ...(routeKind === "GRPCRoute" ? { kind: routeKind } : {}), parents, warnings }, attachments };
}

/** Do two effective hostname lists (undefined: any host) share a host? */
export function hostnamesIntersect(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
    return a.some(x => b.some(y => x === undefined || y === undefined || hostnameCovers(x, y) || hostnameCovers(y, x)));
}

/**
 * The HTTPRoute/GRPCRoute rule of the GRPCRoute hostnames doc: on one listener, of an HTTPRoute and a
 * GRPCRoute whose hostnames intersect, exactly one is accepted — the oldest, then the first by
 * "{namespace}/{name}". gatewaykit has no creation timestamps, so the name decides: `attachments`
 * is in that order (compile sorts routes), and a route is kept unless a kept route of the other
 * kind shares a host with it. Returns the kept attachments; `reject` hears each dropped one and
 * the route that won.
 */
export function resolveKindConflicts(attachments: Attachment[], reject: (lost: Attachment, winner: Attachment) => void): Attachment[] {
    const kept: Attachment[] = [];
    // Kept attachments by kind: a route is checked only against the other kind's, so a listener of
    // one kind costs one look-up per route, not a scan of every route kept before it.
    const keptOf = new Map<RouteKind, Attachment[]>();
    for (const a of attachments) {
        let winner: Attachment | undefined;
        for (const [kind, list] of keptOf) {
            if (kind !== a.kind) winner ??= list.find(k => hostnamesIntersect(k.hostnames, a.hostnames));
        }
        if (winner) { reject(a, winner); continue; }
        kept.push(a);
        const list = keptOf.get(a.kind);
        if (list) list.push(a); else keptOf.set(a.kind, [a]);
    }
    return kept;
}

export function resolvedRefsCondition(route: HTTPRouteSpec, ctx: Context, routeKey = key(route)): Condition {
    const resolved = resolvedRoute(routeKey, ctx.kindOf(route), ctx);
    for (const [i, rule] of rulesOf(route).entries()) {
        const { backends, filters } = resolveRule(route, i, ctx, resolved);
        const bad = backends.find(b => b.invalidReason);
        if (bad) {
            return cond("ResolvedRefs", false, bad.invalidReason!, `rule ${rule.name ?? i}: backendRef ${bad.service}${bad.port ? ":" + bad.port : ""}: ${describeInvalid(bad.invalidReason!)}`);
        }
        const badMirror = filters.requestMirrors.find(m => m.invalidReason);
        if (badMirror) {
            return cond("ResolvedRefs", false, badMirror.invalidReason!, `rule ${rule.name ?? i}: mirror backendRef ${badMirror.service ?? "?"}: ${describeInvalid(badMirror.invalidReason!)}`);
        }
    }
    return cond("ResolvedRefs", true, "ResolvedRefs", "all backend references resolved");
}

export function describeInvalid(reason: string): string {
    switch (reason) {
        case "BackendNotFound": return "no such service (or it does not expose that port)";
        case "RefNotPermitted": return "the service is in another namespace and no ReferenceGrant there permits it";
        case "InvalidKind": return "only kind Service (group \"\") is supported";
        default: return reason;
    }
}
