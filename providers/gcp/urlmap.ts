// The URL map as plain data (field names as in @pulumi/gcp/compute URLMap), built from a gateway's
// listeners on one port. Pure: evaluate.ts reads exactly this data, realize.ts hands it to Pulumi.
//
// How the plan's semantics land on a URL map (one hostRule per host, then routeRules by priority):
// - Host patterns: every listener hostname and rule hostname on the port ("*" for any host).
//   GCP picks ONE hostRule per request (exact host, then the longest matching wildcard, then "*").
//   Our plan lets a request fall through from a precise host's rules to a wildcard's or any-host
//   rules, so the pathMatcher of a pattern holds the rules of every pattern that covers it, from
//   the most specific listener that covers it (listener isolation), in plan order. Patterns with
//   identical rule lists share one pathMatcher.
// - Route rules: one per plan rule (two when a ReplacePrefixMatch needs different replacements for
//   "/foo" and "/foo/…"). PathPrefix "/foo" is segment-wise, so it becomes fullPathMatch "/foo" OR
//   prefixMatch "/foo/". Priorities follow plan order and are sparse: a band per (hostname,
//   path type, path length) class and a rank within the band, so adding a rule renumbers only the
//   rules of its own class.
// - 404 for unmatched requests and 500 for the share of an invalid backend: fault injection
//   (`faultInjectionPolicy.abort`), which the global external managed LB answers itself without
//   contacting a backend. Unmatched hosts and paths go to the URL map's and each pathMatcher's
//   defaultRouteAction: abort 100% with 404, aimed at a "sink" backend service that has no
//   backends (so even without the abort nothing could be served). A rule whose backends are partly
//   invalid aborts that share with 500 and splits the rest by weight.
// - Weights: kept as written when every weight is ≤ 1000; otherwise scaled to 0–1000 by the
//   largest one, at least 1 for a non-zero weight. Any change of a share is reported in notes.
//   A valid backend at weight 0 is listed with weight 0 and keeps its NEG and backend service, so
//   a canary step (even to 0/100 and back) changes only the URL map. A rule with no weight on any
//   valid backend aborts 500 (its weight-0 backends' resources are kept all the same).

import { hostnameCovers, isWildcard } from "../../routing/hostname";
import { GatewayPlan, ListenerPlan, PlanBackend, PlanRule } from "../../routing/plan";
import { HTTPHeaderFilter, HTTPPathModifier } from "../../routing/types";
import { parseDuration } from "../../routing/validate";
import { BackendTarget, backendKey } from "./backends";
import { shortHash } from "./names";

// ---------------------------------------------------------------- plain URL map types

export interface HeaderToAdd { headerName: string; headerValue: string; replace: boolean }
export interface HeaderActionSpec {
    requestHeadersToAdds?: HeaderToAdd[];
    requestHeadersToRemoves?: string[];
    responseHeadersToAdds?: HeaderToAdd[];
    responseHeadersToRemoves?: string[];
}
export interface WeightedBackendSpec { backendService: string; weight: number; headerAction?: HeaderActionSpec }
export interface RouteActionSpec {
    weightedBackendServices?: WeightedBackendSpec[];
    urlRewrite?: { hostRewrite?: string; pathPrefixRewrite?: string };
    requestMirrorPolicy?: { backendService: string; mirrorPercent?: number };
    faultInjectionPolicy?: { abort: { httpStatus: number; percentage: number } };
    timeout?: { seconds: string; nanos?: number };
}
export interface UrlRedirectSpec {
    hostRedirect?: string;
    httpsRedirect?: boolean;
    pathRedirect?: string;
    prefixRedirect?: string;
    redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT" | "FOUND" | "SEE_OTHER" | "TEMPORARY_REDIRECT" | "PERMANENT_REDIRECT";
    stripQuery: boolean;
}
export interface MatchRuleSpec {
    prefixMatch?: string;
    fullPathMatch?: string;
    headerMatches?: { headerName: string; exactMatch: string }[];
    queryParameterMatches?: { name: string; exactMatch: string }[];
}
export interface RouteRuleSpec {
    priority: number;
    matchRules: MatchRuleSpec[];
    service?: string;
    routeAction?: RouteActionSpec;
    urlRedirect?: UrlRedirectSpec;
    headerAction?: HeaderActionSpec;
}
export interface PathMatcherSpec {
    name: string;
    defaultRouteAction: RouteActionSpec;
    routeRules?: RouteRuleSpec[];
}
export interface UrlMapSpec {
    name: string;
    description: string;
    defaultRouteAction: RouteActionSpec;
    hostRules?: { hosts: string[]; pathMatcher: string }[];
    pathMatchers?: PathMatcherSpec[];
}

export interface UrlMapBuild {
    urlMap: UrlMapSpec;
    /** Plan rule ids whose realised shares differ from the plan's (weight scaling), with the detail. */
    notes: string[];
    problems: string[];
}

export const REDIRECT_CODES: Record<number, UrlRedirectSpec["redirectResponseCode"]> = {
    301: "MOVED_PERMANENTLY_DEFAULT", 302: "FOUND", 303: "SEE_OTHER", 307: "TEMPORARY_REDIRECT", 308: "PERMANENT_REDIRECT",
};

export const MAX_WEIGHT = 1000;
/** Route rules one (hostname, path type, path length) class may hold in one pathMatcher. */
export const RANK_SLOTS = 1000;

export function notFoundAction(sinkLink: string): RouteActionSpec {
    return { weightedBackendServices: [{ backendService: sinkLink, weight: 1 }], faultInjectionPolicy: { abort: { httpStatus: 404, percentage: 100 } } };
}

// ---------------------------------------------------------------- host patterns

/** Any host is `undefined` in the plan and "*" on GCP. */
const ANY = "*";

function specificity(p: string | undefined): [number, number] {
    if (p === undefined) return [0, 0];
    return isWildcard(p) ? [0, p.length] : [1, p.length];
}

function covers(outer: string | undefined, inner: string | undefined): boolean {
    if (outer === undefined) return true;
    if (inner === undefined) return false;
    return hostnameCovers(outer, inner);
}

/** The most specific listener whose hostname covers pattern p (listeners on one port have distinct hostnames). */
function listenerFor(listeners: ListenerPlan[], p: string | undefined): ListenerPlan | undefined {
    let best: ListenerPlan | undefined, bestKey: [number, number] = [-1, -1];
    for (const l of listeners) {
        if (!covers(l.hostname, p)) continue;
        const k = specificity(l.hostname);
        if (k[0] > bestKey[0] || (k[0] === bestKey[0] && k[1] > bestKey[1])) { best = l; bestKey = k; }
    }
    return best;
}

// ---------------------------------------------------------------- priorities

const HOST_LEN = 256, PATH_LEN = 1025, PATH_RANKS = 4;
const BAND_MAX = ((1 * HOST_LEN + HOST_LEN - 1) * PATH_RANKS + PATH_RANKS - 1) * PATH_LEN + PATH_LEN - 1;

/** Larger = more specific; plan order never increases it within one pathMatcher. */
function band(r: PlanRule): number {
    const [precise, hostLen] = specificity(r.hostname);
    const pathRank = r.match.path.type === "Exact" ? 3 : r.match.path.type === "RegularExpression" ? 2 : 1;
    const pathLen = Math.min(r.match.path.value.length, PATH_LEN - 1);
    return ((precise * HOST_LEN + Math.min(hostLen, HOST_LEN - 1)) * PATH_RANKS + pathRank) * PATH_LEN + pathLen;
}

// ---------------------------------------------------------------- headers

function lowerSet(names: string[] | undefined): Set<string> {
    return new Set((names ?? []).map(n => n.toLowerCase()));
}

/**
 * `b` applied after `a`, as one filter (GCP applies a backend's headerAction BEFORE the rule's, the
 * reverse of the Gateway API order, so a rule whose backends carry their own header filters gets
 * the composition on each backend and none on the rule).
 */
export function composeHeaderFilters(a: HTTPHeaderFilter | undefined, b: HTTPHeaderFilter | undefined): HTTPHeaderFilter | undefined {
    if (!a) return b;
    if (!b) return a;
    const bTouched = new Set([...lowerSet(b.remove), ...lowerSet((b.set ?? []).map(h => h.name))]);
    const keep = (n: string) => !bTouched.has(n.toLowerCase());
    return {
        remove: [...(a.remove ?? []).filter(keep), ...(b.remove ?? [])],
        set: [...(a.set ?? []).filter(h => keep(h.name)), ...(b.set ?? [])],
        add: [...(a.add ?? []).filter(h => keep(h.name)), ...(b.add ?? [])],
    };
}

function headerAdds(f: HTTPHeaderFilter): HeaderToAdd[] {
    return [
        ...(f.set ?? []).map(h => ({ headerName: h.name, headerValue: h.value, replace: true })),
        ...(f.add ?? []).map(h => ({ headerName: h.name, headerValue: h.value, replace: false })),
    ];
}

export function headerAction(request: HTTPHeaderFilter | undefined, response: HTTPHeaderFilter | undefined): HeaderActionSpec | undefined {
    const out: HeaderActionSpec = {};
    if (request) {
        const adds = headerAdds(request);
        if (adds.length) out.requestHeadersToAdds = adds;
        if (request.remove?.length) out.requestHeadersToRemoves = [...request.remove];
    }
    if (response) {
        const adds = headerAdds(response);
        if (adds.length) out.responseHeadersToAdds = adds;
        if (response.remove?.length) out.responseHeadersToRemoves = [...response.remove];
    }
    return Object.keys(out).length ? out : undefined;
}

// ---------------------------------------------------------------- one rule

function where(r: PlanRule): string {
    return `HTTPRoute ${r.route} rule ${r.ruleIndex}${r.ruleName ? ` (${r.ruleName})` : ""}`;
}

function stripSlash(p: string): string {
    return p.endsWith("/") ? p.slice(0, -1) : p;
}

function timeoutOf(d: string | undefined): RouteActionSpec["timeout"] | undefined {
    if (d === undefined) return undefined;
    const ms = parseDuration(d);
    if (!ms) return undefined; // "0s" means no timeout in the Gateway API; GCP keeps its default
    const nanos = (ms % 1000) * 1_000_000;
    return nanos ? { seconds: String(Math.floor(ms / 1000)), nanos } : { seconds: String(Math.floor(ms / 1000)) };
}

/** Scales weights to 0–1000; returns undefined shares when nothing changes. */
export function scaleWeights(weights: number[]): { weights: number[]; changed: boolean } {
    const max = Math.max(...weights);
    if (max <= MAX_WEIGHT && weights.every(Number.isInteger)) return { weights, changed: false };
    const scaled = weights.map(w => (w <= 0 ? 0 : Math.max(1, Math.round((w * MAX_WEIGHT) / max))));
    const sumA = weights.reduce((s, w) => s + w, 0), sumB = scaled.reduce((s, w) => s + w, 0);
    const changed = weights.some((w, i) => Math.abs(w / sumA - scaled[i] / sumB) > 1e-12);
    return { weights: scaled, changed };
}

interface RuleContext {
    links: Map<string, BackendTarget>;
    sinkLink: string;
    listener: ListenerPlan;
    problems: string[];
    notes: string[];
}

/** The match rules of a plan rule; with a prefix split, [fullPath part, prefix part]. */
function matchRules(r: PlanRule): { full?: MatchRuleSpec; prefix?: MatchRuleSpec; exact?: MatchRuleSpec } {
    const seenH = new Set<string>(), seenQ = new Set<string>();
    const headerMatches = r.match.headers.filter(h => !seenH.has(h.name.toLowerCase()) && seenH.add(h.name.toLowerCase()))
        .map(h => ({ headerName: h.name, exactMatch: h.value }));
    const queryParameterMatches = r.match.queryParams.filter(q => !seenQ.has(q.name) && seenQ.add(q.name))
        .map(q => ({ name: q.name, exactMatch: q.value }));
    const extra: Omit<MatchRuleSpec, "prefixMatch" | "fullPathMatch"> = {};
    if (headerMatches.length) extra.headerMatches = headerMatches;
    if (queryParameterMatches.length) extra.queryParameterMatches = queryParameterMatches;
    const p = r.match.path;
    if (p.type === "Exact") return { exact: { fullPathMatch: p.value, ...extra } };
    const prefix = stripSlash(p.value);
    if (prefix === "") return { prefix: { prefixMatch: "/", ...extra } };
    return { full: { fullPathMatch: prefix, ...extra }, prefix: { prefixMatch: prefix + "/", ...extra } };
}

/** Path replacement for the "/foo" part and the "/foo/…" part of a PathPrefix match. */
function prefixReplacements(mod: HTTPPathModifier): { full: string; prefix: string } {
    const repl = stripSlash(mod.replacePrefixMatch ?? "/");
    return { full: repl === "" ? "/" : repl, prefix: repl + "/" };
}

interface RuleParts { matches: MatchRuleSpec[]; body: Omit<RouteRuleSpec, "priority" | "matchRules"> }

function ruleBodies(r: PlanRule, ctx: RuleContext): RuleParts[] | undefined {
    const m = matchRules(r);
    const all = [m.exact, m.full, m.prefix].filter((x): x is MatchRuleSpec => x !== undefined);
    const f = r.filters;

    if (f.requestRedirect) {
        const rd = f.requestRedirect;
        if (rd.scheme === "http" && ctx.listener.protocol === "HTTPS") {
            ctx.problems.push(`${where(r)}: a RequestRedirect to scheme http from the HTTPS listener ${ctx.listener.name} cannot be expressed on the global LB (urlRedirect can only switch to https); redirect on the HTTP listener instead`);
            return undefined;
        }
        const base: UrlRedirectSpec = { redirectResponseCode: REDIRECT_CODES[rd.statusCode ?? 302], stripQuery: false };
        if (rd.hostname !== undefined) base.hostRedirect = rd.hostname;
        if (rd.scheme === "https" && ctx.listener.protocol === "HTTP") base.httpsRedirect = true;
        const ha = headerAction(undefined, f.responseHeaderModifier);
        const withHa = <T extends object>(x: T) => (ha ? { ...x, headerAction: ha } : x);
        if (rd.path?.type === "ReplacePrefixMatch" && r.match.path.type === "PathPrefix") {
            const rep = prefixReplacements(rd.path);
            const parts: RuleParts[] = [];
            if (m.full) parts.push({ matches: [m.full], body: withHa({ urlRedirect: { ...base, pathRedirect: rep.full } }) });
            parts.push({ matches: [m.prefix!], body: withHa({ urlRedirect: { ...base, prefixRedirect: rep.prefix } }) });
            return parts;
        }
        const redirect = rd.path ? { ...base, pathRedirect: rd.path.type === "ReplaceFullPath" ? rd.path.replaceFullPath ?? "/" : rd.path.replacePrefixMatch ?? "/" } : base;
        return [{ matches: all, body: withHa({ urlRedirect: redirect }) }];
    }

    // Forwarding: weights, invalid shares, header actions, mirror, rewrite, timeout.
    const total = r.backends.reduce((s, b) => s + b.weight, 0);
    const valid = r.backends.filter(b => !b.invalidReason && b.weight > 0);
    const validWeight = valid.reduce((s, b) => s + b.weight, 0);
    const action: RouteActionSpec = {};
    let service: string | undefined;
    let ruleHeaders: HeaderActionSpec | undefined;
    const timeout = timeoutOf(r.timeouts?.request ?? r.timeouts?.backendRequest);

    const targets = valid.map(b => ctx.links.get(backendKey(b.service, b.port)));
    // Valid backends at weight 0: never chosen, listed with weight 0 (GCP takes 0–1000) so that a
    // weight step only edits the URL map while their backend services stay.
    const idleTargets = r.backends.filter(b => !b.invalidReason && b.weight <= 0).map(b => ctx.links.get(backendKey(b.service, b.port)));
    if ([...targets, ...idleTargets].some(t => t === undefined)) return undefined; // its problem is already reported
    const backendFilters = valid.some(b => b.filters.requestHeaderModifier || b.filters.responseHeaderModifier);
    for (const b of valid) {
        if (b.filters.urlRewrite) {
            ctx.problems.push(`${where(r)}: backendRef ${b.service} has its own URLRewrite; the global LB rewrites per route rule, not per backend — move the URLRewrite to the rule`);
            return undefined;
        }
    }
    const mirrors = [...f.requestMirrors, ...valid.flatMap(b => b.filters.requestMirrors)].filter(mm => mm.service !== undefined && !mm.invalidReason);
    if (valid.some(b => b.filters.requestMirrors.length) && (valid.length > 1 || f.requestMirrors.length > 0)) {
        ctx.problems.push(`${where(r)}: a backendRef-level RequestMirror on a rule with several backends (or a rule mirror too) cannot be expressed; the global LB mirrors per route rule — put one RequestMirror on the rule`);
        return undefined;
    }

    if (total <= 0 || valid.length === 0) {
        // Nothing valid to send to: the whole rule answers 500 (the sink is never reached).
        action.weightedBackendServices = [{ backendService: ctx.sinkLink, weight: 1 }];
        action.faultInjectionPolicy = { abort: { httpStatus: 500, percentage: 100 } };
    } else if (targets.some(t => t!.isBucket)) {
        if (valid.length > 1 || validWeight !== total || mirrors.length > 0 || backendFilters || timeout) {
            ctx.problems.push(`${where(r)}: backend bucket ${valid.find((_, i) => targets[i]!.isBucket)!.service} must be the rule's only backend, without invalid shares, mirrors, backend filters or timeouts ` +
                "(a URL map sends to a bucket only as a route rule's service); give the bucket a rule of its own");
            return undefined;
        }
        service = targets[0]!.link;
    } else {
        const { weights, changed } = scaleWeights(valid.map(b => b.weight));
        if (changed) {
            const sum = weights.reduce((s, w) => s + w, 0);
            ctx.notes.push(`${where(r)}: weights ${valid.map(b => b.weight).join("/")} scaled to ${weights.join("/")} (GCP takes 0–1000); ` +
                `shares now ${weights.map((w, i) => `${valid[i].service} ${((w / sum) * 100 * validWeight / total).toFixed(3)}%`).join(", ")}`);
        }
        // The same backend twice with the same header action is one entry with the summed weight.
        // Weight-0 backends keep their place in the rule's order, listed once, unless chosen too.
        const entries = new Map<string, WeightedBackendSpec>();
        const chosen = new Set(targets.map(t => t!.link));
        for (const b of r.backends) {
            if (b.invalidReason) continue;
            const i = valid.indexOf(b);
            if (i < 0) {
                const t = ctx.links.get(backendKey(b.service, b.port))!;
                // A bucket cannot be a weighted backend; its resources are kept all the same.
                if (!t.isBucket && !chosen.has(t.link)) entries.set(JSON.stringify(["idle", t.link]), { backendService: t.link, weight: 0 });
                continue;
            }
            const w: WeightedBackendSpec = { backendService: targets[i]!.link, weight: weights[i] };
            if (backendFilters) {
                const ha = headerAction(composeHeaderFilters(f.requestHeaderModifier, b.filters.requestHeaderModifier),
                    composeHeaderFilters(f.responseHeaderModifier, b.filters.responseHeaderModifier));
                if (ha) w.headerAction = ha;
            }
            const k = JSON.stringify([w.backendService, w.headerAction ?? null]);
            const same = entries.get(k);
            if (same) same.weight += w.weight; else entries.set(k, w);
        }
        action.weightedBackendServices = [...entries.values()];
        if (validWeight < total) {
            action.faultInjectionPolicy = { abort: { httpStatus: 500, percentage: ((total - validWeight) / total) * 100 } };
        }
        const mirror = mirrors[0];
        if (mirror && mirror.percent > 0) {
            const target = ctx.links.get(backendKey(mirror.service!, mirror.port));
            if (!target) return undefined;
            if (target.isBucket) {
                ctx.problems.push(`${where(r)}: mirror target ${mirror.service} is a backend bucket; the global LB mirrors only to backend services`);
                return undefined;
            }
            action.requestMirrorPolicy = mirror.percent < 100 ? { backendService: target.link, mirrorPercent: mirror.percent } : { backendService: target.link };
        }
        if (timeout) action.timeout = timeout;
    }
    if (!backendFilters) ruleHeaders = headerAction(f.requestHeaderModifier, f.responseHeaderModifier);

    const finish = (matches: MatchRuleSpec[], pathPrefixRewrite?: string): RuleParts => {
        const a: RouteActionSpec = { ...action };
        const rw: NonNullable<RouteActionSpec["urlRewrite"]> = {};
        if (f.urlRewrite?.hostname !== undefined) rw.hostRewrite = f.urlRewrite.hostname;
        if (pathPrefixRewrite !== undefined) rw.pathPrefixRewrite = pathPrefixRewrite;
        if (Object.keys(rw).length) a.urlRewrite = rw;
        const body: RuleParts["body"] = {};
        if (service !== undefined) body.service = service;
        if (Object.keys(a).length) body.routeAction = a;
        if (ruleHeaders) body.headerAction = ruleHeaders;
        return { matches, body };
    };
    const rwPath = f.urlRewrite?.path;
    if (!rwPath) return [finish(all)];
    if (rwPath.type === "ReplaceFullPath") {
        if (r.match.path.type !== "Exact") {
            ctx.problems.push(`${where(r)}: URLRewrite ReplaceFullPath on a ${r.match.path.type} match cannot be expressed (pathPrefixRewrite replaces only the matched prefix); ` +
                "use an Exact path match, or ReplacePrefixMatch");
            return undefined;
        }
        return [finish([m.exact!], rwPath.replaceFullPath ?? "/")];
    }
    const rep = prefixReplacements(rwPath);
    const parts: RuleParts[] = [];
    if (m.full) parts.push(finish([m.full], rep.full));
    parts.push(finish([m.prefix!], rep.prefix));
    return parts;
}

// ---------------------------------------------------------------- the URL map of one port

export interface UrlMapInput {
    name: string;
    plan: GatewayPlan;
    port: number;
    listeners: ListenerPlan[];
    links: Map<string, BackendTarget>;
    sinkLink: string;
}

export function buildUrlMap(input: UrlMapInput): UrlMapBuild {
    const { listeners, sinkLink } = input;
    const problems: string[] = [], notes: string[] = [];
    const patterns = new Map<string, string | undefined>(); // GCP host → plan pattern
    for (const l of listeners) {
        patterns.set(l.hostname ?? ANY, l.hostname);
        for (const r of l.rules) patterns.set(r.hostname ?? ANY, r.hostname);
    }

    // Rules each pattern's requests may reach, in plan order.
    const byContent = new Map<string, { hosts: string[]; rules: PlanRule[]; listener: ListenerPlan }>();
    for (const [host, p] of [...patterns].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        const l = listenerFor(listeners, p);
        if (!l) continue; // unreachable for a compiled plan: every pattern lies within a listener
        const rules = l.rules.filter(r => covers(r.hostname, p));
        // A pattern with no rules of its own only matters when it shadows a broader pattern that has rules.
        if (rules.length === 0 && !listeners.some(o => o.rules.some(r => r.hostname !== p && covers(r.hostname, p)))) continue;
        const key = rules.map(r => r.id).join("\n");
        const group = byContent.get(key);
        if (group) group.hosts.push(host); else byContent.set(key, { hosts: [host], rules, listener: l });
    }

    const hostRules: NonNullable<UrlMapSpec["hostRules"]> = [];
    const pathMatchers: PathMatcherSpec[] = [];
    const ruleCache = new Map<string, RuleParts[] | undefined>();
    const ruleNotes = new Set<string>();
    for (const [key, group] of byContent) {
        const pmName = `pm-${shortHash(key)}`;
        hostRules.push({ hosts: group.hosts, pathMatcher: pmName });
        const routeRules: RouteRuleSpec[] = [];
        let lastBand = Number.POSITIVE_INFINITY, rank = 0;
        for (const r of group.rules) {
            if (!ruleCache.has(r.id)) {
                const local: string[] = [];
                ruleCache.set(r.id, ruleBodies(r, { links: input.links, sinkLink, listener: group.listener, problems, notes: local }));
                for (const n of local) ruleNotes.add(n);
            }
            const parts = ruleCache.get(r.id);
            if (!parts) continue;
            const b = band(r);
            if (b > lastBand) throw new Error(`gcp: internal error: plan order is not monotone in priority bands at rule ${r.id}`);
            if (b < lastBand) { lastBand = b; rank = 0; }
            for (const part of parts) {
                if (rank >= RANK_SLOTS) {
                    problems.push(`Gateway ${input.plan.gateway} port ${input.port}: more than ${RANK_SLOTS} route rules share one specificity class (hostname ${r.hostname ?? "*"}, ${r.match.path.type} path of length ${r.match.path.value.length}) in one path matcher; split the routes across gateways`);
                    break;
                }
                routeRules.push({ priority: (BAND_MAX - b) * RANK_SLOTS + rank, matchRules: part.matches, ...part.body });
                rank++;
            }
        }
        const pm: PathMatcherSpec = { name: pmName, defaultRouteAction: notFoundAction(sinkLink) };
        if (routeRules.length) pm.routeRules = routeRules;
        pathMatchers.push(pm);
    }
    notes.push(...ruleNotes);
    const urlMap: UrlMapSpec = {
        name: input.name,
        description: `gatewaykit: Gateway ${input.plan.gateway} port ${input.port}`,
        defaultRouteAction: notFoundAction(sinkLink),
    };
    if (hostRules.length) urlMap.hostRules = hostRules;
    if (pathMatchers.length) urlMap.pathMatchers = pathMatchers;
    return { urlMap, notes, problems };
}

/** Bytes of the URL map as GCP stores it (links expanded to full URLs), for the size limit. */
export function urlMapBytes(u: UrlMapSpec, project = "a-project-id-of-thirty-chars-xx"): number {
    const json = JSON.stringify(u, (k, v) => {
        if (typeof v === "string" && (k === "backendService" || k === "service") && !v.startsWith("https://")) {
            return `https://www.googleapis.com/compute/v1/${v.startsWith("projects/") ? "" : `projects/${project}/`}${v}`;
        }
        return v;
    });
    return Buffer.byteLength(json, "utf8");
}

export type { PlanBackend };
