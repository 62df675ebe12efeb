// Routes a request through the emitted GCP data plane, read as plain data, the way the global
// external managed ALB does: forwarding rule (port, protocol) → URL map → ONE hostRule (exact host,
// then the longest matching wildcard, then "*") → its pathMatcher's routeRules by ascending
// priority (first whose any matchRule matches) or the pathMatcher's default → the action:
// urlRedirect, or fault-injection abort share + weightedBackendServices (or a bucket service),
// header actions (the chosen backend's, then the rule's), urlRewrite, requestMirrorPolicy.
// Used by tests to check the URL map against routing/simulate without GCP; a matched route rule's
// retryPolicy is read back as the statuses and failures GCP documents it retries (retryOf).
//
// Modelled GCP behaviour that we could not verify without GCP (stated, and mirrored by the
// differential test's declared deviations):
// - an aborted (fault-injected) share is answered by the LB: no backend, no mirror, no header actions;
// - a redirect keeps the listener's port unless httpsRedirect switches to https (then 443);
// - prefixRedirect / pathPrefixRewrite replace the part matched by prefixMatch, and replace the whole
//   path when the rule matched by fullPathMatch;
// - the Host header's port is ignored for host matching; wildcards match [a-z0-9.-]* only;
// - corsPolicy (as Envoy's CORS filter): a preflight (OPTIONS with Origin and
//   Access-Control-Request-Method) from an allowed origin is answered 200 by the LB with the CORS
//   headers, before fault injection; one from another origin is routed like any request; answers to
//   allowed origins (aborts included) get Access-Control-Allow-Origin (the origin), -Credentials and
//   -Expose-Headers, set over the backend's; lists are joined with ", ". A backend's own
//   Access-Control-* headers pass when the origin is not allowed.

import { normalizeHost } from "../../routing/hostname";
import { Frontend } from "./model/dataplane";
import { CorsPolicySpec, HeaderActionSpec, MatchRuleSpec, RouteActionSpec, RouteRuleSpec, UrlMapSpec, UrlRedirectSpec } from "./model/urlmapTypes";

export interface GcpRequest {
    scheme?: "http" | "https";
    port?: number;
    host: string;
    method?: string;
    path: string;
    headers?: Record<string, string | string[]>;
}

export interface GcpOutcome {
    probability: number;
    /** 200 when forwarded, else the abort or redirect status. */
    status: number;
    /** The backend service / bucket link the request is sent to. */
    backend?: string;
    request: { host: string; path: string; headers: Record<string, string> };
    /** Response header actions in the order GCP applies them. */
    responseHeaderActions: HeaderActionSpec[];
    mirror?: { backend: string; percent: number };
}

export interface GcpResult {
    status: number;
    /** The matched route rule's retry policy, read as GCP documents its conditions (retryOf). */
    retry?: GcpRetry;
    hostRule?: string[];
    pathMatcher?: string;
    /** Priority of the route rule that matched; undefined for the defaults. */
    priority?: number;
    redirect?: { statusCode: number; location: string };
    outcomes: GcpOutcome[];
}

const CODES: Record<UrlRedirectSpec["redirectResponseCode"], number> = {
    MOVED_PERMANENTLY_DEFAULT: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308,
};

export function evaluate(frontends: readonly Frontend[], req: GcpRequest): GcpResult {
    const scheme = req.scheme ?? "http";
    const port = req.port ?? (scheme === "https" ? 443 : 80);
    const fe = frontends.find(f => f.port === port && f.protocol === (scheme === "https" ? "HTTPS" : "HTTP"));
    const q = req.path.indexOf("?");
    const rawPath = q < 0 ? req.path : req.path.slice(0, q);
    const query = q < 0 ? "" : req.path.slice(q + 1);
    const headers = lowerHeaders(req.headers);
    const original = { host: req.host, path: req.path, headers };
    if (!fe) return { status: 0, outcomes: [{ probability: 1, status: 0, request: original, responseHeaderActions: [] }] };
    return evaluateUrlMap(fe.urlMap, { scheme, port, host: normalizeHost(req.host), rawHost: req.host, rawPath, query, headers, method: req.method ?? "GET" });
}

interface Req { scheme: "http" | "https"; port: number; host: string; rawHost: string; rawPath: string; query: string; headers: Record<string, string>; method?: string }

export function evaluateUrlMap(u: UrlMapSpec, req: Req): GcpResult {
    const hr = pickHostRule(u, req.host);
    const pm = hr ? (u.pathMatchers ?? []).find(p => p.name === hr.pathMatcher) : undefined;
    if (hr && !pm) throw new Error(`evaluate: hostRule ${hr.hosts.join(",")} names pathMatcher ${hr.pathMatcher}, which the URL map lacks`);
    if (!pm) return { ...act(req, undefined, u.defaultRouteAction, undefined, undefined) };
    const rules = [...(pm.routeRules ?? [])].sort((a, b) => a.priority - b.priority);
    for (let i = 1; i < rules.length; i++) {
        if (rules[i].priority === rules[i - 1].priority) throw new Error(`evaluate: pathMatcher ${pm.name} has two routeRules with priority ${rules[i].priority}`);
    }
    const query = parseQuery(req.query);
    for (const r of rules) {
        const m = r.matchRules.find(mr => matchRuleMatches(mr, req, query));
        if (!m) continue;
        const retry = r.routeAction?.retryPolicy ? retryOf(r.routeAction.retryPolicy) : undefined;
        return { hostRule: hr!.hosts, pathMatcher: pm.name, priority: r.priority, ...(retry ? { retry } : {}), ...act(req, r, r.routeAction, m, r.urlRedirect) };
    }
    return { hostRule: hr!.hosts, pathMatcher: pm.name, ...act(req, undefined, pm.defaultRouteAction, undefined, undefined) };
}

/** What a retry policy retries: the response statuses (400–599) and whether a failed connection is. */
export interface GcpRetry {
    numRetries: number;
    /** Ascending. */
    statuses: number[];
    connectionErrors: boolean;
    perTryTimeoutMs?: number;
}

/**
 * retryConditions as GCP documents them: 5xx = any 5xx (and no response at all), gateway-error =
 * 502, 503, 504, retriable-4xx = 409; connect-failure, reset and refused-stream retry failed
 * connections and streams, no status.
 */
export function retryOf(p: NonNullable<RouteActionSpec["retryPolicy"]>): GcpRetry {
    const statuses = new Set<number>();
    for (const c of p.retryConditions) {
        if (c === "5xx") for (let s = 500; s <= 599; s++) statuses.add(s);
        else if (c === "gateway-error") [502, 503, 504].forEach(s => statuses.add(s));
        else if (c === "retriable-4xx") statuses.add(409);
        else if (!["connect-failure", "reset", "refused-stream"].includes(c)) throw new Error(`evaluate: retry condition ${JSON.stringify(c)} is not one the global LB documents for HTTP`);
    }
    const t = p.perTryTimeout;
    return {
        numRetries: p.numRetries,
        statuses: [...statuses].sort((a, b) => a - b),
        connectionErrors: p.retryConditions.some(c => c === "connect-failure" || c === "5xx"),
        ...(t ? { perTryTimeoutMs: Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6) } : {}),
    };
}

function pickHostRule(u: UrlMapSpec, host: string): { hosts: string[]; pathMatcher: string } | undefined {
    let best: { hosts: string[]; pathMatcher: string } | undefined, bestLen = -1;
    for (const hr of u.hostRules ?? []) {
        for (const h of hr.hosts) {
            if (h === host) return hr;
            if (!h.startsWith("*")) continue;
            const suffix = h.slice(1);
            const head = host.slice(0, host.length - suffix.length);
            if (host.endsWith(suffix) && /^[a-z0-9.-]*$/.test(head) && h.length > bestLen) { best = hr; bestLen = h.length; }
        }
    }
    return best;
}

function parseQuery(qs: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const pair of qs.split("&")) {
        if (!pair) continue;
        const eq = pair.indexOf("=");
        const n = eq < 0 ? pair : pair.slice(0, eq);
        if (!out.has(n)) out.set(n, eq < 0 ? "" : pair.slice(eq + 1));
    }
    return out;
}

function matchRuleMatches(m: MatchRuleSpec, req: Req, query: Map<string, string>): boolean {
    if (m.fullPathMatch !== undefined && req.rawPath !== m.fullPathMatch) return false;
    if (m.prefixMatch !== undefined && !req.rawPath.startsWith(m.prefixMatch)) return false;
    for (const h of m.headerMatches ?? []) if (req.headers[h.headerName.toLowerCase()] !== h.exactMatch) return false;
    for (const qp of m.queryParameterMatches ?? []) if (query.get(qp.name) !== qp.exactMatch) return false;
    return true;
}

function withQuery(path: string, query: string): string {
    return query ? `${path}?${query}` : path;
}

function replaced(m: MatchRuleSpec | undefined, path: string, replacement: string): string {
    if (m?.prefixMatch !== undefined) return replacement + path.slice(m.prefixMatch.length);
    return replacement; // fullPathMatch: the whole path was the match
}

/** The corsPolicy's response headers for an allowed origin (replace: they are set over the backend's). */
function corsHeaders(p: CorsPolicySpec, origin: string, preflight: boolean): HeaderActionSpec {
    const adds: { headerName: string; headerValue: string; replace: boolean }[] = [];
    const add = (headerName: string, headerValue: string) => adds.push({ headerName, headerValue, replace: true });
    add("access-control-allow-origin", origin);
    if (p.allowCredentials) add("access-control-allow-credentials", "true");
    if (preflight && p.allowMethods?.length) add("access-control-allow-methods", p.allowMethods.join(", "));
    if (preflight && p.allowHeaders?.length) add("access-control-allow-headers", p.allowHeaders.join(", "));
    if (p.exposeHeaders?.length) add("access-control-expose-headers", p.exposeHeaders.join(", "));
    if (preflight && p.maxAge !== undefined) add("access-control-max-age", String(p.maxAge));
    return { responseHeadersToAdds: adds };
}

function act(req: Req, rule: RouteRuleSpec | undefined, action: RouteActionSpec | undefined, m: MatchRuleSpec | undefined, redirect: UrlRedirectSpec | undefined): Omit<GcpResult, "hostRule" | "pathMatcher" | "priority"> {
    const cors = action?.corsPolicy && !action.corsPolicy.disabled ? action.corsPolicy : undefined;
    const origin = req.headers.origin;
    const allowed = !!cors && !!origin && ((cors.allowOrigins ?? []).includes(origin) || (cors.allowOriginRegexes ?? []).some(r => new RegExp(r).test(origin)));
    if (cors && allowed && req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
        return { status: 200, outcomes: [{ probability: 1, status: 200, request: { host: req.rawHost, path: withQuery(req.rawPath, req.query), headers: req.headers }, responseHeaderActions: [corsHeaders(cors, origin!, true)] }] };
    }
    const result = actWithoutCors(req, rule, action, m, redirect);
    if (cors && allowed) for (const o of result.outcomes) o.responseHeaderActions = [...o.responseHeaderActions, corsHeaders(cors, origin!, false)];
    return result;
}

function actWithoutCors(req: Req, rule: RouteRuleSpec | undefined, action: RouteActionSpec | undefined, m: MatchRuleSpec | undefined, redirect: UrlRedirectSpec | undefined): Omit<GcpResult, "hostRule" | "pathMatcher" | "priority"> {
    const ruleHeaders = rule?.headerAction;
    if (redirect) {
        const statusCode = CODES[redirect.redirectResponseCode];
        const scheme = redirect.httpsRedirect ? "https" : req.scheme;
        const port = redirect.httpsRedirect ? 443 : req.port;
        const omit = (scheme === "http" && port === 80) || (scheme === "https" && port === 443);
        const path = redirect.pathRedirect !== undefined ? redirect.pathRedirect
            : redirect.prefixRedirect !== undefined ? replaced(m, req.rawPath, redirect.prefixRedirect) : req.rawPath;
        const location = `${scheme}://${redirect.hostRedirect ?? req.host}${omit ? "" : ":" + port}${withQuery(path, redirect.stripQuery ? "" : req.query)}`;
        return {
            status: statusCode, redirect: { statusCode, location },
            outcomes: [{ probability: 1, status: statusCode, request: { host: req.rawHost, path: withQuery(req.rawPath, req.query), headers: req.headers }, responseHeaderActions: ruleHeaders ? [ruleHeaders] : [] }],
        };
    }
    const outcomes: GcpOutcome[] = [];
    const abort = action?.faultInjectionPolicy?.abort;
    const abortP = abort ? abort.percentage / 100 : 0;
    if (abort && abortP > 0) {
        outcomes.push({ probability: abortP, status: abort.httpStatus, request: { host: req.rawHost, path: withQuery(req.rawPath, req.query), headers: req.headers }, responseHeaderActions: [] });
    }
    const rest = 1 - abortP;
    if (rest > 1e-12) {
        const targets = rule?.service !== undefined ? [{ backendService: rule.service, weight: 1, headerAction: undefined }]
            : (action?.weightedBackendServices ?? []).filter(w => w.weight > 0);
        const sum = targets.reduce((s, w) => s + w.weight, 0);
        if (sum === 0) throw new Error("evaluate: a route action with traffic left over and no weighted backend");
        for (const w of targets) {
            const headers = { ...req.headers };
            const actions = [w.headerAction, ruleHeaders].filter((a): a is HeaderActionSpec => a !== undefined);
            for (const a of actions) applyRequestHeaders(headers, a);
            let host = req.rawHost, path = req.rawPath;
            if (action?.urlRewrite?.hostRewrite !== undefined) host = action.urlRewrite.hostRewrite;
            if (action?.urlRewrite?.pathPrefixRewrite !== undefined) path = replaced(m, path, action.urlRewrite.pathPrefixRewrite);
            const o: GcpOutcome = {
                probability: rest * (w.weight / sum), status: 200, backend: w.backendService,
                request: { host, path: withQuery(path, req.query), headers }, responseHeaderActions: actions,
            };
            const mp = action?.requestMirrorPolicy;
            if (mp) o.mirror = { backend: mp.backendService, percent: mp.mirrorPercent ?? 100 };
            outcomes.push(o);
        }
    }
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + o.probability);
    let status = outcomes[0].status, best = -1;
    for (const [s, p] of byStatus) if (p > best + 1e-12) { status = s; best = p; }
    return { status, outcomes };
}

function lowerHeaders(h: GcpRequest["headers"]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of Object.keys(h ?? {})) {
        const v = h![name];
        const key = name.toLowerCase();
        const joined = Array.isArray(v) ? v.join(",") : v;
        out[key] = key in out ? out[key] + "," + joined : joined;
    }
    return out;
}

/** Removes, then adds in order: replace sets, otherwise appends with ",". */
export function applyRequestHeaders(headers: Record<string, string>, a: HeaderActionSpec): void {
    applyOps(headers, a.requestHeadersToRemoves, a.requestHeadersToAdds);
}

export function applyResponseHeaders(headers: Record<string, string>, a: HeaderActionSpec): void {
    applyOps(headers, a.responseHeadersToRemoves, a.responseHeadersToAdds);
}

function applyOps(headers: Record<string, string>, removes: string[] | undefined, adds: HeaderActionSpec["requestHeadersToAdds"]): void {
    for (const n of removes ?? []) delete headers[n.toLowerCase()];
    for (const h of adds ?? []) {
        const k = h.headerName.toLowerCase();
        headers[k] = h.replace || !(k in headers) ? h.headerValue : `${headers[k]},${h.headerValue}`;
    }
}
