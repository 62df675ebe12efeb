// simulate(plan, request): where a request goes. This is the reference semantics every adapter is
// checked against (nginx with real traffic, AWS and GCP by evaluating their emitted rule sets), so
// each choice the spec leaves open is decided here once and stated:
//
// - Listener: among listeners on the request's port whose protocol fits the scheme, the one whose
//   hostname matches the host most specifically (precise > longer wildcard > none). Only that
//   listener's rules are considered (listener isolation).
// - Rules are walked in the plan's order (compile sorted them by precedence); the first whose
//   hostname and match fit wins.
// - Paths follow routing/paths.ts (the one path policy): before any rule is looked at, the path
//   (query excluded) is normalised — escapes of unreserved characters decoded, "//" merged, "." and
//   ".." removed — or refused with 400 (reason "invalid-path": encoded "/", "\" or NUL, raw
//   characters that must be encoded, ".." above the root, …). Rules match the normal form and the
//   backend receives it (`SimResult.path`, `outcomes[].request.path`); redirects build on it too.
//   The query string is passed on untouched. A refused path answers 400 on every listener of the
//   port, before host matching, as nginx does.
//   PathPrefix matches whole segments and ignores a trailing "/" on the prefix ("/foo/" matches
//   "/foo", "/foo/", "/foo/x"; never "/foobar").
// - RegularExpression (path, header, query) uses the JavaScript dialect and must match the whole
//   value (anchored at both ends).
// - Header names are case-insensitive, values case-sensitive. A repeated request header (array
//   value) is matched and forwarded as its values joined with "," (RFC 7230 §3.2.2). Only the
//   first matcher for a given header name (or query name) counts, as the spec requires. Values
//   lose leading and trailing spaces and tabs (no HTTP parser delivers them), in requests and in
//   header modifiers alike; a header whose value is empty matches no header matcher (data planes
//   such as nginx cannot tell it from an absent one). Values are strings of bytes, one character
//   per byte (Latin-1, as Node's http reads them); RegularExpression matches them that way.
//   Hop-by-hop headers (HOP_BY_HOP_HEADERS) can be matched but are never forwarded. On answers the
//   gateway writes itself (redirects, 500s) response modifiers leave Content-Type and Location alone.
// - Query params: names and values are compared raw (not decoded), case-sensitively; when a name
//   repeats, the first value counts (the spec's recommendation). `request.query` entries are
//   appended after the query string in `request.path`.
// - Methods are compared exactly (HTTP methods are case-sensitive); the default is GET.
// - Filters: PlanFilters keeps one filter per type, so the order is fixed: RequestRedirect
//   short-circuits (no backend, no mirrors); otherwise RequestHeaderModifier, then URLRewrite
//   (so a hostname rewrite wins over a header set of Host), then the chosen backend's own filters
//   in the same order. A mirror receives the request as the filters listed before it left it
//   (PlanMirror.after): a rule-level mirror starts from the client's request, a backend-level one
//   from the request after the rule's filters. Within a header modifier: remove, then set, then add (add appends to an
//   existing value with ","), as Envoy does. Header names in results are lower-cased.
// - Backends: each valid backend with weight w gets probability w / (sum of all weights, invalid
//   ones included); an invalid backend's share answers 500; no backendRefs or all weights 0
//   answers 500. A forwarded request is reported as status 200 — the backend's own answer is
//   not known here. Mirrors whose target did not resolve are dropped (the spec says so).
//
// Plans are treated as immutable: per-listener indexes are cached in WeakMaps keyed by the plan's
// own objects, so do not mutate a plan after simulating it.

import { hostnameMatches, mostSpecificMatch, normalizeHost } from "./hostname";
import { normalizePath, PATH_REFUSAL_STATUS, PathRefusal } from "./paths";
import { Endpoint, HTTPHeaderFilter, HTTPPathModifier, HTTPURLRewriteFilter } from "./types";
import { GatewayPlan, ListenerPlan, PlanBackend, PlanFilters, PlanMatch, PlanMirror, PlanRule, RoutingPlan } from "./plan";

// ---------------------------------------------------------------- public types

export interface SimRequest {
    /** Defaults to "http". */
    scheme?: "http" | "https";
    /** Defaults to 80 for http, 443 for https. */
    port?: number;
    /** The Host header (a port and a trailing dot are ignored for matching). */
    host: string;
    /** Defaults to "GET". */
    method?: string;
    /** The request target as sent (before normalisation); may include "?query". */
    path: string;
    /** Extra query parameters (raw, i.e. already percent-encoded), appended after the path's query. */
    query?: Record<string, string | string[]>;
    headers?: Record<string, string | string[]>;
}

/** Header changes with lower-cased names; a repeated name's values are joined with ",". */
export interface HeaderChanges {
    set: Record<string, string>;
    add: Record<string, string>;
    remove: string[];
}

export interface SimMirror {
    /** "namespace/name". */
    service: string;
    port?: number;
    percent: number;
    /** The request the mirror receives: the filters listed before the mirror applied, in order. */
    request: { host: string; path: string; headers: Record<string, string> };
}

export interface SimOutcome {
    probability: number;
    /** 200 when forwarded to the backend, 500 for an invalid backend share, the redirect code, 404, or 0 (refused). */
    status: number;
    backend?: { service: string; port?: number; endpoints: Endpoint[] };
    /** Why this share answers 500, when it does. */
    invalidReason?: string;
    /** The request as the backend receives it (after rule and backend filters). */
    request: { host: string; path: string; headers: Record<string, string> };
    /** Response header changes on this outcome (rule's, then the backend's). */
    responseHeaders: HeaderChanges;
    /** Mirrors that fire on this outcome (rule's and the backend's). */
    mirrors: SimMirror[];
}

export type SimReason =
    | "no-listener"          // nothing listens on this port/scheme: connection refused (status 0)
    | "no-matching-listener" // no listener hostname matches the host (404)
    | "no-matching-rule"     // the listener has no rule for this request (404)
    | "redirect"             // a RequestRedirect answered
    | "forwarded"            // most probably sent to a backend (200)
    | "invalid-backend"      // most probably a 500 because a backendRef is invalid
    | "no-backends"          // the rule has no backendRefs, or all weights are 0 (500)
    | "invalid-path";        // the path policy (routing/paths.ts) refuses the path (400)

export interface SimMatched {
    ruleId: string;
    route: string;
    ruleIndex: number;
    ruleName?: string;
    matchIndex: number;
    hostname?: string;
}

export interface SimResult {
    /** The most probable response status (0 = connection refused). */
    status: number;
    reason: SimReason;
    /** "namespace/name" of the gateway. */
    gateway: string;
    /** The listener that took the request, when one did. */
    listener?: string;
    matched?: SimMatched;
    /** The normalised path rules were matched against (no query); absent when refused or no listener. */
    path?: string;
    /** Why the path was refused (reason "invalid-path"). */
    pathRefusal?: { refusal: PathRefusal; detail: string };
    /** Probabilities sum to 1; never empty. */
    outcomes: SimOutcome[];
    redirect?: { statusCode: number; location: string };
    /** Rule-level mirrors (dropped on redirect). */
    mirrors: SimMirror[];
    /** Rule-level request header changes. */
    requestHeaderChanges: HeaderChanges;
    /** Rule-level response header changes. */
    responseHeaderChanges: HeaderChanges;
}

export interface SimOptions {
    /** "namespace/name"; required when the plan has more than one gateway. */
    gateway?: string;
}

// ---------------------------------------------------------------- entry points

export function simulate(plan: RoutingPlan, request: SimRequest, opts: SimOptions = {}): SimResult {
    const gw = pickGateway(plan, opts.gateway);
    const scheme = request.scheme ?? "http";
    const port = request.port ?? (scheme === "https" ? 443 : 80);
    const host = normalizeHost(request.host);
    const { rawPath: sentPath, queryString } = splitTarget(request);
    const headers = lowerHeaders(request.headers);
    const original = { host: request.host, path: withQuery(sentPath, queryString), headers };

    const protocol = scheme === "https" ? "HTTPS" : "HTTP";
    const onPort = gw.listeners.filter(l => l.port === port && l.protocol === protocol);
    if (onPort.length === 0) return terminal(gw, undefined, 0, "no-listener", original);
    const normal = normalizePath(sentPath);
    if (!normal.ok) {
        const refused = terminal(gw, undefined, PATH_REFUSAL_STATUS, "invalid-path", original);
        refused.pathRefusal = { refusal: normal.refusal, detail: normal.detail };
        return refused;
    }
    const rawPath = normal.path;
    // Listeners on one port have distinct hostnames in a valid gateway; on a tie the first wins.
    const listener = mostSpecificMatch(onPort, l => l.hostname, host)[0];
    if (!listener) return { ...terminal(gw, undefined, 404, "no-matching-listener", original), path: rawPath };

    const ctx = new RequestContext(request.method ?? "GET", rawPath, headers, queryString, request.host);
    const hit = findRule(listenerIndex(listener), host, ctx);
    if (!hit) return { ...terminal(gw, listener, 404, "no-matching-rule", original), path: rawPath };
    return { ...applyRule(gw, listener, hit, { scheme, port, host, rawPath, queryString, original }), path: rawPath };
}

/** Samples one outcome by its probability; `random` returns a number in [0, 1). */
export function pickBackend(result: SimResult, random: () => number): SimOutcome {
    let r = random();
    for (const o of result.outcomes) {
        if (r < o.probability) return o;
        r -= o.probability;
    }
    return result.outcomes[result.outcomes.length - 1];
}

function pickGateway(plan: RoutingPlan, name: string | undefined): GatewayPlan {
    const names = plan.gateways.map(g => g.gateway);
    if (name !== undefined) {
        const gw = plan.gateways.find(g => g.gateway === name);
        if (!gw) throw new Error(`simulate: gateway "${name}" is not in the plan; it has ${names.length ? names.map(n => `"${n}"`).join(", ") : "no gateways"}`);
        return gw;
    }
    if (plan.gateways.length !== 1) {
        throw new Error(`simulate: the plan has ${plan.gateways.length} gateways (${names.join(", ") || "none"}); pass opts.gateway = "namespace/name" to pick one`);
    }
    return plan.gateways[0];
}

// ---------------------------------------------------------------- request pieces

function lowerHeaders(h: SimRequest["headers"]): Record<string, string> {
    const out: Record<string, string> = {};
    if (!h) return out;
    for (const name of Object.keys(h)) {
        const v = h[name];
        const key = name.toLowerCase();
        const joined = Array.isArray(v) ? v.map(trimOws).join(",") : trimOws(v);
        out[key] = key in out ? out[key] + "," + joined : joined;
    }
    return out;
}

/**
 * The request target's raw path (query excluded) and its query string: the path's own query, then
 * `request.query`'s entries. Exported for the adapters' evaluators, which read requests the same way.
 */
export function splitTarget(request: Pick<SimRequest, "path" | "query">): { rawPath: string; queryString: string } {
    const q = request.path.indexOf("?");
    return {
        rawPath: q < 0 ? request.path : request.path.slice(0, q),
        queryString: joinQuery(q < 0 ? "" : request.path.slice(q + 1), request.query),
    };
}

function joinQuery(fromPath: string, extra: SimRequest["query"]): string {
    if (!extra) return fromPath;
    const parts = fromPath ? [fromPath] : [];
    for (const name of Object.keys(extra)) {
        const v = extra[name];
        for (const one of Array.isArray(v) ? v : [v]) parts.push(`${name}=${one}`);
    }
    return parts.join("&");
}

export function withQuery(path: string, query: string): string {
    return query ? `${path}?${query}` : path;
}

/** The request as the matchers see it; header and query lookups are built only when a rule needs them. */
class RequestContext {
    private queryMap?: Map<string, string>;
    constructor(readonly method: string, readonly path: string, readonly headers: Record<string, string>, private readonly queryString: string, private readonly host: string) {}

    /** A lower-cased header's value; "host" is the request's Host when `headers` does not repeat it. */
    header(name: string): string | undefined {
        return name === "host" && !("host" in this.headers) ? trimOws(this.host) : this.headers[name];
    }

    query(name: string): string | undefined {
        if (!this.queryMap) {
            this.queryMap = new Map();
            if (this.queryString) {
                for (const pair of this.queryString.split("&")) {
                    if (!pair) continue;
                    const eq = pair.indexOf("=");
                    const n = eq < 0 ? pair : pair.slice(0, eq);
                    if (!this.queryMap.has(n)) this.queryMap.set(n, eq < 0 ? "" : pair.slice(eq + 1));
                }
            }
        }
        return this.queryMap.get(name);
    }
}

// ---------------------------------------------------------------- per-listener index

const EXACT = 0, PREFIX = 1, REGEX = 2;

interface ValueMatcher { name: string; exact?: string; re?: RegExp }

interface CompiledRule {
    /** Position in listener.rules: precedence order. */
    order: number;
    rule: PlanRule;
    pathKind: number;
    /** Exact: the value; PathPrefix: the prefix without a trailing "/" ("" for "/"). */
    pathValue: string;
    pathRe?: RegExp;
    /** First path segment every matching path has; undefined when any path may match. */
    segment?: string;
    method?: string;
    headers: ValueMatcher[];
    queries: ValueMatcher[];
}

/** The rules that can serve one host, split by first path segment; both lists stay in precedence order. */
interface HostIndex {
    bySegment: Map<string, CompiledRule[]>;
    anySegment: CompiledRule[];
}

interface ListenerIndex {
    rules: CompiledRule[];
    hosts: Map<string, HostIndex>;
}

/** Bounds memory when simulating many distinct hosts; the index is rebuilt on demand. */
const MAX_CACHED_HOSTS = 4096;
const EMPTY: CompiledRule[] = [];
const listenerIndexes = new WeakMap<ListenerPlan, ListenerIndex>();

function listenerIndex(l: ListenerPlan): ListenerIndex {
    let idx = listenerIndexes.get(l);
    if (!idx) {
        idx = { rules: l.rules.map(compileRule), hosts: new Map() };
        listenerIndexes.set(l, idx);
    }
    return idx;
}

function hostIndex(idx: ListenerIndex, host: string): HostIndex {
    let h = idx.hosts.get(host);
    if (h) return h;
    h = { bySegment: new Map(), anySegment: [] };
    for (const r of idx.rules) {
        const rh = r.rule.hostname;
        if (rh !== undefined && !hostnameMatches(rh, host)) continue;
        if (r.segment === undefined) { h.anySegment.push(r); continue; }
        const list = h.bySegment.get(r.segment);
        if (list) list.push(r); else h.bySegment.set(r.segment, [r]);
    }
    if (idx.hosts.size >= MAX_CACHED_HOSTS) idx.hosts.clear();
    idx.hosts.set(host, h);
    return h;
}

function findRule(idx: ListenerIndex, host: string, ctx: RequestContext): CompiledRule | undefined {
    const h = hostIndex(idx, host);
    const a = h.bySegment.get(firstSegment(ctx.path)) ?? EMPTY;
    const b = h.anySegment;
    // Merge the two precedence-ordered lists on the fly: no per-request allocation.
    let i = 0, j = 0;
    while (i < a.length || j < b.length) {
        const r = j >= b.length || (i < a.length && a[i].order < b[j].order) ? a[i++] : b[j++];
        if (ruleMatches(r, ctx)) return r;
    }
    return undefined;
}

/** "/foo/bar" → "foo"; "/" → ""; paths not starting with "/" (e.g. "*") share one key of their own. */
function firstSegment(path: string): string {
    if (path.charCodeAt(0) !== 47 /* "/" */) return "\u0000";
    const end = path.indexOf("/", 1);
    return end < 0 ? path.slice(1) : path.slice(1, end);
}

function compileRule(rule: PlanRule, order: number): CompiledRule {
    const m: PlanMatch = rule.match;
    const where = `rule ${rule.id} (route ${rule.route})`;
    let pathKind: number, pathValue = m.path.value, pathRe: RegExp | undefined, segment: string | undefined;
    if (m.path.type === "Exact") {
        pathKind = EXACT;
        segment = firstSegment(pathValue);
    } else if (m.path.type === "PathPrefix") {
        pathKind = PREFIX;
        pathValue = stripTrailingSlash(pathValue);
        segment = pathValue === "" ? undefined : firstSegment(pathValue);
    } else {
        pathKind = REGEX;
        pathRe = anchored(pathValue, `${where}: match.path.value`);
    }
    return {
        order, rule, pathKind, pathValue, pathRe, segment,
        method: m.method,
        headers: valueMatchers(m.headers, true, `${where}: match.headers`),
        queries: valueMatchers(m.queryParams, false, `${where}: match.queryParams`),
    };
}

function valueMatchers(ms: PlanMatch["headers"], lowerNames: boolean, where: string): ValueMatcher[] {
    const out: ValueMatcher[] = [];
    const seen = new Set<string>();
    for (const m of ms) {
        const name = lowerNames ? m.name.toLowerCase() : m.name;
        if (seen.has(name)) continue; // the spec: only the first matcher for a name counts
        seen.add(name);
        out.push(m.type === "RegularExpression" ? { name, re: anchored(m.value, `${where} ${m.name}`) } : { name, exact: m.value });
    }
    return out;
}

function anchored(pattern: string, where: string): RegExp {
    try {
        return new RegExp(`^(?:${pattern})$`);
    } catch (e) {
        throw new Error(`${where}: ${JSON.stringify(pattern)} is not a valid regular expression (${(e as Error).message}); write a JavaScript-compatible pattern`);
    }
}

function stripTrailingSlash(p: string): string {
    return p.endsWith("/") ? p.slice(0, -1) : p;
}

function ruleMatches(r: CompiledRule, ctx: RequestContext): boolean {
    const path = ctx.path;
    if (r.pathKind === EXACT) {
        if (path !== r.pathValue) return false;
    } else if (r.pathKind === PREFIX) {
        if (!prefixMatches(r.pathValue, path)) return false;
    } else if (!r.pathRe!.test(path)) {
        return false;
    }
    if (r.method !== undefined && r.method !== ctx.method) return false;
    for (const h of r.headers) {
        const v = ctx.header(h.name);
        if (v === undefined || v === "" || (h.re ? !h.re.test(v) : v !== h.exact)) return false;
    }
    for (const q of r.queries) {
        const v = ctx.query(q.name);
        if (v === undefined || (q.re ? !q.re.test(v) : v !== q.exact)) return false;
    }
    return true;
}

/** Segment-wise prefix test; `prefix` has no trailing "/" ("" stands for "/"). */
function prefixMatches(prefix: string, path: string): boolean {
    if (!path.startsWith(prefix)) return false;
    return path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* "/" */;
}

/**
 * Replaces the matched prefix the way the spec's ReplacePrefixMatch table does: trailing slashes
 * of prefix and replacement are ignored and an empty result becomes "/"
 * ("/foo/bar" with "/foo"→"/" is "/bar"; "/foo" is "/"; "/foo/" with "/foo"→"/xyz" is "/xyz/").
 */
export function replacePrefix(path: string, matchedPrefix: string, replacement: string): string {
    const prefix = stripTrailingSlash(matchedPrefix);
    const rest = prefixMatches(prefix, path) ? path.slice(prefix.length) : path;
    const out = stripTrailingSlash(replacement) + rest;
    return out === "" ? "/" : out;
}

// ---------------------------------------------------------------- outcomes

interface RequestFacts {
    scheme: "http" | "https";
    port: number;
    host: string;
    /** The normalised path (routing/paths.ts). */
    rawPath: string;
    queryString: string;
    original: SimOutcome["request"];
}

function emptyChanges(): HeaderChanges {
    return { set: {}, add: {}, remove: [] };
}

function terminal(gw: GatewayPlan, l: ListenerPlan | undefined, status: number, reason: SimReason, request: SimOutcome["request"]): SimResult {
    return {
        status, reason, gateway: gw.gateway, listener: l?.name,
        outcomes: [{ probability: 1, status, request, responseHeaders: emptyChanges(), mirrors: [] }],
        mirrors: [], requestHeaderChanges: emptyChanges(), responseHeaderChanges: emptyChanges(),
    };
}

function applyRule(gw: GatewayPlan, l: ListenerPlan, hit: CompiledRule, req: RequestFacts): SimResult {
    const rule = hit.rule;
    const f = rule.filters;
    const matched: SimMatched = { ruleId: rule.id, route: rule.route, ruleIndex: rule.ruleIndex, matchIndex: rule.matchIndex };
    if (rule.ruleName !== undefined) matched.ruleName = rule.ruleName;
    if (rule.hostname !== undefined) matched.hostname = rule.hostname;
    const requestHeaderChanges = toChanges(f.requestHeaderModifier);
    const responseHeaderChanges = toChanges(f.responseHeaderModifier);

    if (f.requestRedirect) {
        const rd = f.requestRedirect;
        const statusCode = rd.statusCode ?? 302;
        const scheme = rd.scheme ?? req.scheme;
        const port = rd.port ?? (rd.scheme ? (rd.scheme === "https" ? 443 : 80) : l.port);
        const omitPort = (scheme === "http" && port === 80) || (scheme === "https" && port === 443);
        const path = modifyPath(rd.path, req.rawPath, rule);
        const location = `${scheme}://${rd.hostname ?? req.host}${omitPort ? "" : ":" + port}${withQuery(path, req.queryString)}`;
        return {
            status: statusCode, reason: "redirect", gateway: gw.gateway, listener: l.name, matched,
            outcomes: [{ probability: 1, status: statusCode, request: req.original, responseHeaders: onGatewayAnswer(responseHeaderChanges), mirrors: [] }],
            redirect: { statusCode, location }, mirrors: [], requestHeaderChanges, responseHeaderChanges,
        };
    }

    // The request after rule-level filters; each backend's own filters then apply to a copy.
    const clientReq: WorkingRequest = { host: req.original.host, rawPath: req.rawPath, headers: withoutHopByHop(req.original.headers) };
    const ruleReq = applyRequestFilters(f, { ...clientReq, headers: copyHeaders(clientReq.headers) }, rule);
    const mirrors = simMirrors(f.requestMirrors, f, clientReq, req.queryString, rule);
    let total = 0;
    for (const b of rule.backends) total += b.weight;
    const outcomes: SimOutcome[] = [];
    if (total > 0) {
        for (const b of rule.backends) {
            if (b.weight <= 0) continue;
            outcomes.push(backendOutcome(b, b.weight / total, ruleReq, req.queryString, responseHeaderChanges, mirrors, rule));
        }
    } else {
        outcomes.push({
            probability: 1, status: 500, invalidReason: rule.backends.length ? "all backend weights are 0" : "the rule has no backendRefs",
            request: { host: ruleReq.host, path: withQuery(ruleReq.rawPath, req.queryString), headers: ruleReq.headers },
            responseHeaders: onGatewayAnswer(responseHeaderChanges), mirrors,
        });
    }
    const status = mostProbableStatus(outcomes);
    const reason: SimReason = status !== 500 ? "forwarded" : total > 0 ? "invalid-backend" : "no-backends";
    return { status, reason, gateway: gw.gateway, listener: l.name, matched, outcomes, mirrors, requestHeaderChanges, responseHeaderChanges };
}

function copyHeaders(h: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k in h) out[k] = h[k];
    return out;
}

interface WorkingRequest { host: string; rawPath: string; headers: Record<string, string> }

function applyRequestFilters(f: PlanFilters, r: WorkingRequest, rule: PlanRule): WorkingRequest {
    if (f.requestHeaderModifier) applyHeaderFilter(r.headers, f.requestHeaderModifier);
    if (f.urlRewrite) r = applyRewrite(f.urlRewrite, r, rule);
    return r;
}

function applyRewrite(rw: HTTPURLRewriteFilter, r: WorkingRequest, rule: PlanRule): WorkingRequest {
    return { host: rw.hostname ?? r.host, rawPath: modifyPath(rw.path, r.rawPath, rule), headers: r.headers };
}

/**
 * ReplacePrefixMatch needs a PathPrefix match (validation enforces it); on any other match type we
 * fall back to replacing the whole path rather than guessing a prefix.
 */
function modifyPath(mod: HTTPPathModifier | undefined, path: string, rule: PlanRule): string {
    if (!mod) return path;
    if (mod.type === "ReplaceFullPath") return mod.replaceFullPath ?? path;
    const replacement = mod.replacePrefixMatch ?? "/";
    if (rule.match.path.type !== "PathPrefix") return replacement;
    return replacePrefix(path, rule.match.path.value, replacement);
}

function backendOutcome(
    b: PlanBackend, probability: number, ruleReq: WorkingRequest, queryString: string,
    ruleResponse: HeaderChanges, ruleMirrors: SimMirror[], rule: PlanRule,
): SimOutcome {
    const backend: NonNullable<SimOutcome["backend"]> = { service: b.service, endpoints: b.endpoints };
    if (b.port !== undefined) backend.port = b.port;
    if (b.invalidReason) {
        return {
            probability, status: 500, backend, invalidReason: b.invalidReason,
            request: { host: ruleReq.host, path: withQuery(ruleReq.rawPath, queryString), headers: ruleReq.headers },
            responseHeaders: onGatewayAnswer(ruleResponse), mirrors: ruleMirrors,
        };
    }
    // Backends without their own filters share the rule-level request object (results are read-only).
    const own = b.filters;
    const r = own.requestHeaderModifier || own.urlRewrite
        ? applyRequestFilters(own, { host: ruleReq.host, rawPath: ruleReq.rawPath, headers: copyHeaders(ruleReq.headers) }, rule)
        : ruleReq;
    return {
        probability, status: 200, backend,
        request: { host: r.host, path: withQuery(r.rawPath, queryString), headers: r.headers },
        responseHeaders: mergeChanges(ruleResponse, toChanges(b.filters.responseHeaderModifier)),
        mirrors: b.filters.requestMirrors.length ? ruleMirrors.concat(simMirrors(b.filters.requestMirrors, own, ruleReq, queryString, rule)) : ruleMirrors,
    };
}

function mostProbableStatus(outcomes: SimOutcome[]): number {
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + o.probability);
    let best = outcomes[0].status, bestP = -1;
    for (const [status, p] of byStatus) if (p > bestP + 1e-12) { best = status; bestP = p; } // ties: first seen
    return best;
}

/** The mirrors of one filter list; `before` is the request as that list received it. */
function simMirrors(ms: PlanMirror[], f: PlanFilters, before: WorkingRequest, queryString: string, rule: PlanRule): SimMirror[] {
    const out: SimMirror[] = [];
    for (const m of ms) {
        if (m.service === undefined || m.invalidReason) continue; // invalid mirror targets are dropped
        const after = m.after ?? [];
        let r: WorkingRequest = { ...before, headers: copyHeaders(before.headers) };
        if (after.includes("RequestHeaderModifier") && f.requestHeaderModifier) applyHeaderFilter(r.headers, f.requestHeaderModifier);
        if (after.includes("URLRewrite") && f.urlRewrite) r = applyRewrite(f.urlRewrite, r, rule);
        const request = { host: r.host, path: withQuery(r.rawPath, queryString), headers: r.headers };
        const mirror: SimMirror = { service: m.service, percent: m.percent, request };
        if (m.port !== undefined) mirror.port = m.port;
        out.push(mirror);
    }
    return out;
}

// ---------------------------------------------------------------- header modifiers

/** A header filter as lower-cased changes; several values for one name are joined with ",". */
export function toChanges(f: HTTPHeaderFilter | undefined): HeaderChanges {
    const c = emptyChanges();
    if (!f) return c;
    for (const h of f.set ?? []) c.set[h.name.toLowerCase()] = trimOws(h.value);
    for (const h of f.add ?? []) {
        const k = h.name.toLowerCase();
        c.add[k] = k in c.add ? `${c.add[k]},${trimOws(h.value)}` : trimOws(h.value);
    }
    for (const n of f.remove ?? []) {
        const k = n.toLowerCase();
        if (!c.remove.includes(k)) c.remove.push(k);
    }
    return c;
}

/** Applies a header filter in place: remove, then set, then add (appending with ","). */
export function applyHeaderFilter(headers: Record<string, string>, f: HTTPHeaderFilter): void {
    for (const n of f.remove ?? []) delete headers[n.toLowerCase()];
    for (const h of f.set ?? []) headers[h.name.toLowerCase()] = trimOws(h.value);
    for (const h of f.add ?? []) {
        const k = h.name.toLowerCase();
        headers[k] = k in headers ? `${headers[k]},${trimOws(h.value)}` : trimOws(h.value);
    }
}

/**
 * Hop-by-hop headers describe one connection (RFC 9110 §7.6.1), so a proxy answers them itself and
 * never forwards them; Expect is answered by the proxy too. Routes may still match on them.
 */
export const HOP_BY_HOP_HEADERS: readonly string[] = ["connection", "expect", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"];

function withoutHopByHop(h: Record<string, string>): Record<string, string> {
    let out: Record<string, string> | undefined;
    for (const k of HOP_BY_HOP_HEADERS) {
        if (!(k in h)) continue;
        out ??= copyHeaders(h);
        delete out[k];
    }
    return out ?? h;
}

/** A header value without the leading and trailing spaces and tabs HTTP parsers strip. */
export function trimOws(v: string): string {
    return v.replace(/^[ \t]+|[ \t]+$/g, "");
}

/** Headers that describe an answer the gateway writes itself (a redirect, a 500): its body's type and its target. */
export const GATEWAY_ANSWER_HEADERS: readonly string[] = ["content-type", "location"];

/** Response changes on an answer the gateway writes itself: GATEWAY_ANSWER_HEADERS stay the gateway's. */
function onGatewayAnswer(c: HeaderChanges): HeaderChanges {
    if (!GATEWAY_ANSWER_HEADERS.some(k => k in c.set || k in c.add || c.remove.includes(k))) return c;
    const out: HeaderChanges = { set: { ...c.set }, add: { ...c.add }, remove: c.remove.filter(k => !GATEWAY_ANSWER_HEADERS.includes(k)) };
    for (const k of GATEWAY_ANSWER_HEADERS) { delete out.set[k]; delete out.add[k]; }
    return out;
}

/** `b` applied after `a`: b's set and remove win over a's for the same name, adds accumulate. */
function mergeChanges(a: HeaderChanges, b: HeaderChanges): HeaderChanges {
    if (!Object.keys(b.set).length && !Object.keys(b.add).length && !b.remove.length) return a;
    const out: HeaderChanges = { set: { ...a.set }, add: { ...a.add }, remove: [...a.remove] };
    for (const k of b.remove) {
        delete out.set[k]; delete out.add[k];
        if (!out.remove.includes(k)) out.remove.push(k);
    }
    for (const k of Object.keys(b.set)) { out.set[k] = b.set[k]; delete out.add[k]; }
    for (const k of Object.keys(b.add)) out.add[k] = k in out.add ? `${out.add[k]},${b.add[k]}` : b.add[k];
    return out;
}
