// simulate(plan, request): where a request goes. This is the reference semantics every adapter is
// checked against (nginx with real traffic, AWS and GCP by evaluating their emitted rule sets), so
// each choice the spec leaves open is decided here once and stated:
//
// - Listener: compile decided host ownership (GatewayPlan.ports): on the request's port, when its
//   protocol fits the scheme, the first HostOwner whose pattern matches the host owns it: the most
//   specific listener hostname (precise > longer wildcard > none). Only that entry's ruleIds are
//   considered (listener isolation). A port whose listeners conflict answers 404 to every host.
// - Rules are walked in the plan's order (compile sorted them by precedence); the first whose match
//   fits wins. Matches are read as compile wrote them (header names lower-cased, one matcher per
//   name, PathPrefix as `path.prefix`), actions as resolved (PlanRule.action).
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
//   first matcher for a given header name (or query name) counts, as the spec requires (compile
//   keeps only that one in PlanMatch). Values
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
// - CORS (routing/cors.ts): a rule with a CORS filter answers a preflight (OPTIONS with Origin and
//   Access-Control-Request-Method) itself with 200 (reason "cors-preflight", no backend, no
//   mirrors); its other answers lose the backend's Access-Control-* headers and carry the policy's
//   (in outcomes[].responseHeaders) when the Origin is allowed.
//
// Plans are treated as immutable: per-port and per-host-owner indexes are cached in WeakMaps keyed
// by the plan's own objects, so do not mutate a plan after simulating it.
//
// Layout: this file (types, entry), ./match.ts (which rule), ./outcome.ts (what it answers);
// routing/headers.ts and routing/paths.ts hold the header and path helpers adapters share.

import { normalizeHost } from "../hostname";
import { lowerHeaders } from "../headers";
import { normalizePath, PATH_REFUSAL_STATUS, PathRefusal, splitTarget, withQuery } from "../paths";
import { Endpoint } from "../types";
import { GatewayPlan, RoutingPlan } from "../plan";
import type { HeaderChanges } from "../headers";
import { findRule, hostOwner, RequestContext } from "./match";
import { applyRule, terminal } from "./outcome";

// Helpers adapters and tests import from here (one place each: routing/headers.ts, routing/paths.ts).
export type { HeaderChanges } from "../headers";
export { applyHeaderFilter, GATEWAY_ANSWER_HEADERS, HOP_BY_HOP_HEADERS, toChanges, trimOws } from "../headers";
export { replacePrefix, splitTarget, withQuery } from "../paths";

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
    | "invalid-path"         // the path policy (routing/paths.ts) refuses the path (400)
    | "cors-preflight";      // a CORS rule's preflight, answered by the gateway (200, routing/cors.ts)

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
    const portPlan = gw.ports.find(p => p.port === port);
    // A conflicted port (no protocol of its own) still listens, for HTTP and HTTPS: every request 404s.
    if (!portPlan || (portPlan.protocol !== undefined && portPlan.protocol !== protocol)) return terminal(gw, undefined, 0, "no-listener", original);
    const normal = normalizePath(sentPath);
    if (!normal.ok) {
        const refused = terminal(gw, undefined, PATH_REFUSAL_STATUS, "invalid-path", original);
        refused.pathRefusal = { refusal: normal.refusal, detail: normal.detail };
        return refused;
    }
    const rawPath = normal.path;
    const owner = hostOwner(portPlan, host);
    if (!owner) return { ...terminal(gw, undefined, 404, "no-matching-listener", original), path: rawPath };

    const ctx = new RequestContext(request.method ?? "GET", rawPath, headers, queryString, request.host);
    const { listener, hit } = findRule(gw, owner, ctx);
    if (!hit) return { ...terminal(gw, listener, 404, "no-matching-rule", original), path: rawPath };
    return { ...applyRule(gw, listener, hit.rule, { host, rawPath, queryString, original, method: request.method ?? "GET" }), path: rawPath };
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

export { simulateGRPC } from "./grpc";
export type { GRPCCall, GRPCSimOutcome, GRPCSimResult } from "./grpc";
