// compile(): validated specs → RoutingPlan. Three stages, each a function below:
//   attach  — parentRefs × listeners × allowedRoutes × hostname intersection, with status;
//   resolve — backendRefs and mirrors to services (ReferenceGrant for cross-namespace refs);
//   order   — one PlanRule per (rule × match × effective hostname), sorted by precedence, each with
//             its resolved action (./actions.ts); then per port the host ownership (./ports.ts).

import { intersectHostnames } from "../hostname";
import { ruleFields, ruleLabel } from "../labels";
import { stripTrailingSlash } from "../paths";
import {
    CompileInput, Condition, GatewayInput, GatewayPlan, ListenerPlan, ListenerStatus, PlanBackend, PlanFilters, PlanForward,
    PlanMatch, PlanMirror, PlanRule, PlanSources, PlanValueMatch, RouteParentStatus, RouteStatus, RoutingPlan,
} from "../plan";
import { compareRules, matchKey } from "../precedence";
import {
    BackendObjectReference, DEFAULT_NAMESPACE, GATEWAY_GROUP, GatewayClassSpec, GatewaySpec, HTTPRouteFilter,
    HTTPRouteRule, HTTPRouteSpec, LabelSelector, Labels, Listener, ReferenceGrantSpec, ServiceSpec,
} from "../types";
import { assertValid } from "../validate";
import { actionOf, forwardOf, timeoutsOf } from "./actions";
import { portsOf } from "./ports";

export interface CompileOptions {
    /** Skip validation (the caller already ran assertValid on the same input). */
    skipValidation?: boolean;
}

export function compile(input: CompileInput, options: CompileOptions = {}): RoutingPlan {
    if (!options.skipValidation) assertValid(input);
    const ctx = new Context(input);
    const listenerStates = new Map<string, ListenerState[]>();
    for (const gw of input.gateways) listenerStates.set(key(gw), listenerStatesOf(gw, ctx));

    const routes: RouteStatus[] = [];
    const attachedByListener = new Map<ListenerState, Attachment[]>();
    for (const route of sortedRoutes(input.routes)) {
        const { status, attachments } = attachRoute(route, input, listenerStates, ctx);
        routes.push(status);
        for (const a of attachments) {
            const list = attachedByListener.get(a.listener) ?? [];
            list.push(a);
            attachedByListener.set(a.listener, list);
        }
    }

    const warningsByRoute = new Map(routes.map(r => [r.route, r.warnings]));
    const specsByGateway = routeSpecsByGateway(input.routes);
    const gateways: GatewayPlan[] = input.gateways.map(gw => {
        const states = listenerStates.get(key(gw))!;
        const listeners: ListenerPlan[] = states.map(ls => {
            const attachments = attachedByListener.get(ls) ?? [];
            ls.status.attachedRoutes = new Set(attachments.map(a => key(a.route))).size;
            const rules = ls.valid ? orderRules(attachments, ls.listener, ctx, warningsByRoute, `${key(gw)}/${ls.listener.name}`) : [];
            return {
                name: ls.listener.name,
                port: ls.listener.port,
                protocol: ls.listener.protocol,
                ...(ls.listener.hostname !== undefined ? { hostname: ls.listener.hostname } : {}),
                ...(ls.listener.protocol === "HTTPS"
                    ? { tls: {
                        mode: "Terminate" as const,
                        certificateRefs: ls.listener.tls?.certificateRefs ?? [],
                        certificateKeys: (ls.listener.tls?.certificateRefs ?? []).map(ref => `${ref.namespace ?? ns(gw)}/${ref.name}`),
                    } }
                    : {}),
                rules,
            };
        });
        const cls = ctx.classes.get(gw.gatewayClassName);
        const classKnown = !input.gatewayClasses || cls !== undefined;
        const anyValid = states.some(s => s.valid);
        return {
            gateway: key(gw),
            name: gw.name,
            namespace: ns(gw),
            className: gw.gatewayClassName,
            ...(cls ? { controllerName: cls.controllerName } : {}),
            listeners,
            ports: portsOf(key(gw), listeners),
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
                ],
                listeners: states.map(s => s.status),
            },
            sources: sourcesOf(gw, specsByGateway.get(key(gw)) ?? [], ctx),
        };
    });
    return { gateways, routes };
}

/** Compiles the one gateway a GatewayInput describes; the plan has exactly one GatewayPlan. */
export function compileGateway(input: GatewayInput, options: CompileOptions = {}): RoutingPlan {
    return compile({
        gatewayClasses: [input.gatewayClass],
        gateways: [input.gateway],
        routes: input.routes,
        services: input.services,
        namespaces: input.namespaces,
        ...(input.referenceGrants ? { referenceGrants: input.referenceGrants } : {}),
    }, options);
}

/** Route specs by the "namespace/name" of each Gateway their parentRefs name, in tie-break order. */
function routeSpecsByGateway(routes: HTTPRouteSpec[]): Map<string, HTTPRouteSpec[]> {
    const out = new Map<string, HTTPRouteSpec[]>();
    for (const route of sortedRoutes(routes)) {
        const named = new Set((route.parentRefs ?? [])
            .filter(p => (p.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (p.kind ?? "Gateway") === "Gateway")
            .map(p => `${p.namespace ?? ns(route)}/${p.name}`));
        for (const gw of named) {
            const list = out.get(gw);
            if (list) list.push(route); else out.set(gw, [route]);
        }
    }
    return out;
}

/**
 * The existing services `routes` reference (backendRefs and mirrors, kind Service of group ""),
 * in "namespace/name" order: what a GatewayInput carries.
 */
export function referencedServices(routes: readonly HTTPRouteSpec[], services: readonly ServiceSpec[]): ServiceSpec[] {
    const byKey = new Map<string, ServiceSpec>();
    for (const s of services) byKey.set(key(s), s);
    const used = new Map<string, ServiceSpec>();
    const note = (ref: BackendObjectReference, routeNs: string) => {
        if ((ref.group ?? "") !== "" || (ref.kind ?? "Service") !== "Service") return;
        const svc = byKey.get(`${ref.namespace ?? routeNs}/${ref.name}`);
        if (svc) used.set(key(svc), svc);
    };
    const mirrors = (filters: HTTPRouteFilter[] | undefined, routeNs: string) => {
        for (const f of filters ?? []) if (f.requestMirror) note(f.requestMirror.backendRef, routeNs);
    };
    for (const route of routes) {
        for (const rule of rulesOf(route)) {
            mirrors(rule.filters, ns(route));
            for (const b of rule.backendRefs ?? []) {
                note(b, ns(route));
                mirrors(b.filters, ns(route));
            }
        }
    }
    return [...used.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

/** GatewayPlan.sources: the gateway, its routes and the existing services they reference. */
function sourcesOf(gateway: GatewaySpec, specs: HTTPRouteSpec[], ctx: Context): PlanSources {
    return { gateway, routes: specs, services: referencedServices(specs, ctx.serviceList) };
}

// ---------------------------------------------------------------- shared helpers

function ns(o: { namespace?: string }): string {
    return o.namespace ?? DEFAULT_NAMESPACE;
}

function key(o: { name: string; namespace?: string }): string {
    return `${ns(o)}/${o.name}`;
}

function cond(type: string, ok: boolean, reason: string, message: string): Condition {
    return { type, status: ok ? "True" : "False", reason, message };
}

/** Routes in the tie-break order, so status lists and warnings are deterministic. */
function sortedRoutes(routes: HTTPRouteSpec[]): HTTPRouteSpec[] {
    return [...routes].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

class Context {
    readonly classes = new Map<string, GatewayClassSpec>();
    readonly services = new Map<string, ServiceSpec>();
    /** The input's services, as listed. */
    readonly serviceList: readonly ServiceSpec[];
    readonly grants = new Map<string, ReferenceGrantSpec[]>();
    readonly namespaceLabels = new Map<string, Labels>();
    /** Resolved backends per (route, rule), shared by every match and hostname of the rule. */
    readonly ruleCache = new Map<string, { filters: PlanFilters; backends: PlanBackend[] }>();
    /** Forward actions per (route, rule, match), shared by every hostname and listener. */
    readonly forwardCache = new Map<string, PlanForward>();

    constructor(input: CompileInput) {
        for (const c of input.gatewayClasses ?? []) this.classes.set(c.name, c);
        this.serviceList = input.services ?? [];
        for (const s of this.serviceList) this.services.set(key(s), s);
        for (const g of input.referenceGrants ?? []) {
            const list = this.grants.get(ns(g)) ?? [];
            list.push(g);
            this.grants.set(ns(g), list);
        }
        for (const n of input.namespaces ?? []) this.namespaceLabels.set(n.name, n.labels ?? {});
    }

    /** Is an HTTPRoute in `fromNs` allowed to reference `kind` `name` in `toNs`? */
    referencePermitted(fromNs: string, toNs: string, group: string, kind: string, name: string): boolean {
        if (fromNs === toNs) return true;
        return (this.grants.get(toNs) ?? []).some(g =>
            g.from.some(f => f.group === GATEWAY_GROUP && f.kind === "HTTPRoute" && f.namespace === fromNs) &&
            g.to.some(t => t.group === group && t.kind === kind && (t.name === undefined || t.name === "" || t.name === name)));
    }
}

// ---------------------------------------------------------------- listeners

interface ListenerState {
    gateway: GatewaySpec;
    listener: Listener;
    valid: boolean;
    /** Route kinds this listener admits (HTTPRoute only, in gatewaykit). */
    admitsHTTPRoute: boolean;
    status: ListenerStatus;
}

function listenerStatesOf(gw: GatewaySpec, ctx: Context): ListenerState[] {
    const protocolsByPort = new Map<number, Set<string>>();
    for (const l of gw.listeners) {
        const set = protocolsByPort.get(l.port) ?? new Set<string>();
        set.add(l.protocol);
        protocolsByPort.set(l.port, set);
    }
    return gw.listeners.map(l => {
        const conditions: Condition[] = [];
        const kinds = l.allowedRoutes?.kinds;
        const validKinds = (kinds ?? [{ group: GATEWAY_GROUP, kind: "HTTPRoute" }])
            .filter(k => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === "HTTPRoute");
        const invalidKinds = (kinds ?? []).filter(k => !((k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === "HTTPRoute"));
        const protocolConflict = (protocolsByPort.get(l.port)?.size ?? 0) > 1;
        const certProblem = certificateProblem(gw, l, ctx);

        conditions.push(protocolConflict
            ? cond("Accepted", false, "ProtocolConflict", `another listener uses port ${l.port} with a different protocol`)
            : cond("Accepted", true, "Accepted", "listener accepted"));
        conditions.push(protocolConflict
            ? cond("Conflicted", true, "ProtocolConflict", `port ${l.port} is used with both HTTP and HTTPS`)
            : cond("Conflicted", false, "NoConflicts", "no conflicts"));
        if (invalidKinds.length > 0) {
            conditions.push(cond("ResolvedRefs", false, "InvalidRouteKinds",
                `unsupported route kinds ${invalidKinds.map(k => `${k.group ?? GATEWAY_GROUP}/${k.kind}`).join(", ")}; gatewaykit supports HTTPRoute`));
        } else if (certProblem) {
            conditions.push(cond("ResolvedRefs", false, certProblem.reason, certProblem.message));
        } else {
            conditions.push(cond("ResolvedRefs", true, "ResolvedRefs", "all references resolved"));
        }
        const valid = !protocolConflict && !certProblem;
        conditions.push(valid
            ? cond("Programmed", true, "Programmed", "listener programmed")
            : cond("Programmed", false, "Invalid", "listener is not valid"));
        return {
            gateway: gw,
            listener: l,
            valid,
            admitsHTTPRoute: validKinds.length > 0,
            status: {
                name: l.name,
                attachedRoutes: 0,
                supportedKinds: validKinds.length > 0 ? [{ group: GATEWAY_GROUP, kind: "HTTPRoute" }] : [],
                conditions,
            },
        };
    });
}

function certificateProblem(gw: GatewaySpec, l: Listener, ctx: Context): { reason: string; message: string } | undefined {
    for (const ref of l.tls?.certificateRefs ?? []) {
        const group = ref.group ?? "";
        const kind = ref.kind ?? "Secret";
        if (group !== "" || kind !== "Secret") {
            return { reason: "InvalidCertificateRef", message: `certificateRef ${ref.name} has unsupported kind ${group}/${kind}; use a Secret` };
        }
        const refNs = ref.namespace ?? ns(gw);
        if (refNs !== ns(gw) && !(ctx.grants.get(refNs) ?? []).some(g =>
            g.from.some(f => f.group === GATEWAY_GROUP && f.kind === "Gateway" && f.namespace === ns(gw)) &&
            g.to.some(t => t.group === "" && t.kind === "Secret" && (!t.name || t.name === ref.name)))) {
            return { reason: "RefNotPermitted", message: `certificateRef ${refNs}/${ref.name} is in another namespace and no ReferenceGrant in ${refNs} permits it` };
        }
    }
    return undefined;
}

// ---------------------------------------------------------------- attachment

interface Attachment {
    route: HTTPRouteSpec;
    listener: ListenerState;
    hostnames: (string | undefined)[];
}

function namespaceAllowed(l: ListenerState, routeNs: string, ctx: Context): boolean {
    const from = l.listener.allowedRoutes?.namespaces?.from ?? "Same";
    if (from === "All") return true;
    if (from === "Same") return routeNs === ns(l.gateway);
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

function attachRoute(
    route: HTTPRouteSpec, input: CompileInput, listenerStates: Map<string, ListenerState[]>, ctx: Context,
): { status: RouteStatus; attachments: Attachment[] } {
    const routeNs = ns(route);
    const warnings: string[] = [];
    const attachments: Attachment[] = [];
    const seen = new Set<ListenerState>();
    const resolved = resolvedRefsCondition(route, ctx);

    const parents: RouteParentStatus[] = (route.parentRefs ?? []).map(ref => {
        const group = ref.group ?? GATEWAY_GROUP;
        const kind = ref.kind ?? "Gateway";
        const parentRef = {
            group, kind, namespace: ref.namespace ?? routeNs, name: ref.name,
            ...(ref.sectionName !== undefined ? { sectionName: ref.sectionName } : {}),
            ...(ref.port !== undefined ? { port: ref.port } : {}),
        };
        const refText = `${parentRef.namespace}/${ref.name}` + (ref.sectionName ? ` section ${ref.sectionName}` : "") + (ref.port ? ` port ${ref.port}` : "");
        const gw = input.gateways.find(g => g.name === ref.name && ns(g) === parentRef.namespace);
        const controllerName = gw ? ctx.classes.get(gw.gatewayClassName)?.controllerName : undefined;
        const base = { parentRef, ...(controllerName ? { controllerName } : {}) };
        if (group !== GATEWAY_GROUP || kind !== "Gateway") {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingParent", `parent kind ${group}/${kind} is not supported; use a Gateway`), resolved] };
        }
        if (!gw) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingParent", `Gateway ${parentRef.namespace}/${ref.name} does not exist`), resolved] };
        }
        const candidates = listenerStates.get(key(gw))!.filter(l =>
            (ref.sectionName === undefined || l.listener.name === ref.sectionName) &&
            (ref.port === undefined || l.listener.port === ref.port));
        if (candidates.length === 0) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingParent", `Gateway ${refText}: no listener has that ${ref.sectionName !== undefined && ref.port !== undefined ? "name and port" : ref.sectionName !== undefined ? "name" : "port"}`), resolved] };
        }
        const allowed = candidates.filter(l => l.admitsHTTPRoute && namespaceAllowed(l, routeNs, ctx));
        if (allowed.length === 0) {
            return { ...base, conditions: [cond("Accepted", false, "NotAllowedByListeners", `no listener of Gateway ${refText} admits HTTPRoutes from namespace ${routeNs} (allowedRoutes)`), resolved] };
        }
        let attached = 0;
        for (const l of allowed) {
            const hostnames = intersectHostnames(l.listener.hostname, route.hostnames);
            if (hostnames.length === 0) continue;
            attached++;
            if (seen.has(l)) continue;
            seen.add(l);
            if (l.valid) attachments.push({ route, listener: l, hostnames });
        }
        if (attached === 0) {
            return { ...base, conditions: [cond("Accepted", false, "NoMatchingListenerHostname", `route hostnames ${JSON.stringify(route.hostnames ?? [])} do not intersect any listener hostname of Gateway ${refText}`), resolved] };
        }
        return { ...base, conditions: [cond("Accepted", true, "Accepted", "route accepted"), resolved] };
    });
    if (parents.length === 0) warnings.push("route has no parentRefs, so it attaches to no gateway");
    return { status: { route: key(route), parents, warnings }, attachments };
}

function resolvedRefsCondition(route: HTTPRouteSpec, ctx: Context): Condition {
    for (const [i, rule] of rulesOf(route).entries()) {
        const { backends, filters } = resolveRule(route, i, ctx);
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

function describeInvalid(reason: string): string {
    switch (reason) {
        case "BackendNotFound": return "no such service (or it does not expose that port)";
        case "RefNotPermitted": return "the service is in another namespace and no ReferenceGrant there permits it";
        case "InvalidKind": return "only kind Service (group \"\") is supported";
        default: return reason;
    }
}

// ---------------------------------------------------------------- backend resolution

type RefResolution = Pick<PlanBackend, "service" | "kind" | "group" | "port" | "endpoints" | "serviceSpec" | "invalidReason">;

function resolveRef(ref: BackendObjectReference, routeNs: string, ctx: Context): RefResolution {
    const group = ref.group ?? "";
    const kind = ref.kind ?? "Service";
    const refNs = ref.namespace ?? routeNs;
    const service = `${refNs}/${ref.name}`;
    const base = { service, kind, group, ...(ref.port !== undefined ? { port: ref.port } : {}), endpoints: [] };
    if (group !== "" || kind !== "Service") return { ...base, invalidReason: "InvalidKind" };
    if (!ctx.referencePermitted(routeNs, refNs, "", "Service", ref.name)) return { ...base, invalidReason: "RefNotPermitted" };
    const svc = ctx.services.get(service);
    if (!svc) return { ...base, invalidReason: "BackendNotFound" };
    const sp = svc.ports.find(p => p.port === ref.port);
    if (!sp) return { ...base, serviceSpec: svc, invalidReason: "BackendNotFound" };
    const target = sp.targetPort ?? sp.port;
    return { ...base, serviceSpec: svc, endpoints: (svc.endpoints ?? []).map(e => ({ address: e.address, port: e.port ?? target })) };
}

function planFilters(filters: HTTPRouteFilter[] | undefined, routeNs: string, ctx: Context): PlanFilters {
    const out: PlanFilters = { requestMirrors: [] };
    for (const f of filters ?? []) {
        switch (f.type) {
            case "RequestHeaderModifier": out.requestHeaderModifier = f.requestHeaderModifier; break;
            case "ResponseHeaderModifier": out.responseHeaderModifier = f.responseHeaderModifier; break;
            case "RequestRedirect": out.requestRedirect = f.requestRedirect; break;
            case "URLRewrite": out.urlRewrite = f.urlRewrite; break;
            case "RequestMirror": {
                const m = f.requestMirror!;
                const r = resolveRef(m.backendRef, routeNs, ctx);
                const percent = m.percent ?? (m.fraction ? (100 * m.fraction.numerator) / (m.fraction.denominator ?? 100) : 100);
                const mirror: PlanMirror = {
                    ...(r.invalidReason === "InvalidKind" ? {} : { service: r.service }),
                    ...(r.port !== undefined ? { port: r.port } : {}),
                    endpoints: r.endpoints,
                    ...(r.serviceSpec && !r.invalidReason ? { serviceSpec: r.serviceSpec } : {}),
                    percent,
                    ...(r.invalidReason ? { invalidReason: r.invalidReason } : {}),
                    after: [
                        ...(out.requestHeaderModifier ? ["RequestHeaderModifier" as const] : []),
                        ...(out.urlRewrite ? ["URLRewrite" as const] : []),
                    ],
                };
                out.requestMirrors.push(mirror);
                break;
            }
            case "ExtensionRef": break; // rejected by validation
        }
    }
    return out;
}

function resolveRule(route: HTTPRouteSpec, ruleIndex: number, ctx: Context): { filters: PlanFilters; backends: PlanBackend[] } {
    const cacheKey = `${key(route)}#${ruleIndex}`;
    const cached = ctx.ruleCache.get(cacheKey);
    if (cached) return cached;
    const rule = rulesOf(route)[ruleIndex];
    const routeNs = ns(route);
    const backends: PlanBackend[] = (rule.backendRefs ?? []).map(b => ({
        ...resolveRef(b, routeNs, ctx),
        weight: b.weight ?? 1,
        filters: planFilters(b.filters, routeNs, ctx),
    }));
    const resolved = { filters: planFilters(rule.filters, routeNs, ctx), backends };
    ctx.ruleCache.set(cacheKey, resolved);
    return resolved;
}

// ---------------------------------------------------------------- ordering

const DEFAULT_MATCH = [{}];
/** The CRD's default: one rule matching PathPrefix "/" with no backends. */
const DEFAULT_RULES: HTTPRouteRule[] = [{}];

function rulesOf(route: HTTPRouteSpec): HTTPRouteRule[] {
    return route.rules ?? DEFAULT_RULES;
}

type RawValueMatch = { type?: "Exact" | "RegularExpression"; name: string; value: string };

/**
 * One HTTPRouteMatch with defaults applied, header names lower-cased, and only the first matcher per
 * header name (case-insensitively) and per query name (case-sensitively), as the spec says.
 * Validation refuses repeats; dropping them here keeps the PlanMatch invariant under skipValidation.
 */
export function planMatch(m: { path?: { type?: PlanMatch["path"]["type"]; value?: string }; headers?: RawValueMatch[]; queryParams?: RawValueMatch[]; method?: PlanMatch["method"] }): PlanMatch {
    const type = m.path?.type ?? "PathPrefix";
    const value = m.path?.value ?? "/";
    return {
        path: type === "PathPrefix" ? { type, value, prefix: stripTrailingSlash(value) } : { type, value },
        headers: firstPerName(m.headers, true),
        queryParams: firstPerName(m.queryParams, false),
        ...(m.method ? { method: m.method } : {}),
    };
}

function firstPerName(ms: RawValueMatch[] | undefined, lowerNames: boolean): PlanValueMatch[] {
    const out: PlanValueMatch[] = [];
    if (!ms) return out;
    const seen = new Set<string>();
    for (const v of ms) {
        const name = lowerNames ? v.name.toLowerCase() : v.name;
        if (seen.has(name)) continue;
        seen.add(name);
        out.push({ type: v.type ?? "Exact", name, value: v.value });
    }
    return out;
}

function orderRules(attachments: Attachment[], listener: Listener, ctx: Context, warnings: Map<string, string[]>, where: string): PlanRule[] {
    const rules: PlanRule[] = [];
    for (const { route, hostnames } of attachments) {
        const routeKey = key(route);
        rulesOf(route).forEach((rule, ruleIndex) => {
            const { filters, backends } = resolveRule(route, ruleIndex, ctx);
            const ruleId = rule.name ?? String(ruleIndex);
            const label = ruleLabel({ route: routeKey, ruleIndex, ruleName: rule.name });
            const timeouts = rule.timeouts ? timeoutsOf(rule.timeouts) : undefined;
            (rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCH).forEach((m, matchIndex) => {
                const match = planMatch(m);
                const field = ruleFields(ruleIndex, matchIndex);
                let action: PlanRule["action"];
                if (filters.requestRedirect) {
                    action = actionOf(filters, backends, match, listener);
                } else {
                    const cacheKey = `${routeKey}#${ruleIndex}#${matchIndex}`;
                    let forward = ctx.forwardCache.get(cacheKey);
                    if (!forward) ctx.forwardCache.set(cacheKey, forward = forwardOf(filters, backends, match));
                    action = forward;
                }
                for (const hostname of hostnames) {
                    rules.push({
                        id: `${routeKey}/${ruleId}/${matchIndex}${hostname !== undefined ? "@" + hostname : ""}`,
                        route: routeKey,
                        routeNamespace: ns(route),
                        routeName: route.name,
                        ruleIndex,
                        ...(rule.name !== undefined ? { ruleName: rule.name } : {}),
                        matchIndex,
                        ...(hostname !== undefined ? { hostname } : {}),
                        match,
                        filters,
                        backends,
                        ...(timeouts ? { timeouts } : {}),
                        label,
                        field,
                        action,
                    });
                }
            });
        });
    }
    rules.sort(compareRules);
    // Identical matches from different routes: the first in order wins; warn the route that loses.
    const winners = new Map<string, PlanRule>();
    for (const r of rules) {
        const k = matchKey(r.hostname, r.match);
        const w = winners.get(k);
        if (!w) { winners.set(k, r); continue; }
        if (w.route !== r.route) {
            warnings.get(r.route)?.push(
                `on ${where}, rule ${r.ruleName ?? r.ruleIndex} match ${r.matchIndex}${r.hostname ? ` (host ${r.hostname})` : ""} is identical to a match of ${w.route}, which wins the tie (alphabetical namespace/name); this match never receives traffic`);
        }
    }
    return rules;
}
