// One plan rule as GCP route rules: its match rules, and the body (redirect, or forward with weights,
// aborts, header actions, mirror, rewrite, timeout) read from the rule's resolved action.
// - PathPrefix "/foo" is segment-wise, so it becomes fullPathMatch "/foo" OR prefixMatch "/foo/";
//   a ReplacePrefixMatch then needs a different replacement for each, so the rule becomes two.
// - GRPCRoute rules (protocol "grpc") match on their gRPC paths and headers, forward to HTTP/2
//   backend services of their own (backends.ts: H2C, or HTTP2 over TLS), answer 503 (UNAVAILABLE)
//   where HTTPRoute rules answer 500, and cannot check the method POST (a note says so).
// - 500 for the share of an invalid backend: fault injection (`faultInjectionPolicy.abort`), which
//   the global external managed LB answers itself without contacting a backend. A rule with no
//   share on any valid backend aborts 500 for the whole rule, aimed at the sink.
// - Weights: kept as written when every weight is ≤ 1000; otherwise scaled to 0–1000 by the
//   largest one, at least 1 for a non-zero weight. Any change of a share is reported in notes.
//   A valid backend at weight 0 is listed with weight 0 and keeps its NEG and backend service, so
//   a canary step (even to 0/100 and back) changes only the URL map.
// - Timeout: the rule's request timeout, else its backendRequest timeout (GCP has one per route;
//   "0s" means none and GCP keeps the backend service's). A rule with a retry has a per-attempt
//   timeout as well: backendRequest becomes retryPolicy.perTryTimeout and only request the route's.
// - Retry: retryPolicy with numRetries = attempts (1, GCP's default, when absent) and the conditions
//   GCP names exactly: connect-failure, refused-stream and reset always (a connection error, and a
//   timed-out attempt, is retried in the Gateway API); codes 502+503+504 together as gateway-error,
//   409 as retriable-4xx. Any other code, or 502/503/504 apart, has no GCP condition: refused, as is
//   a backoff (GCP's retries have none to set).
// - CORS: routeAction.corsPolicy, origins as one allowOriginRegexes entry (routing/cors.ts's
//   originPattern, RE2-compatible). The LB sends the lists as written, so "*" in allowMethods or
//   allowHeaders is sent as "*" (spec-allowed without credentials; refused with them, where browsers
//   read it as a name). A redirect rule has no routeAction, so CORS on a redirect is refused.
// - Redirects: urlRedirect has no port field. It keeps the request's port unless httpsRedirect
//   switches to https (443); where the plan's Location port differs, a note says so.

import { PlanForward, PlanPathRewrite, PlanRedirect, PlanRule, PlanShare, ListenerPlan } from "../../../routing/plan";
import { ruleLabel } from "../../../routing/labels";
import { stripTrailingSlash } from "../../../routing/paths";
import { BackendTarget, backendKey } from "./backends";
import { GRPC_GATEWAY_ERROR_STATUS } from "../../../routing/grpc";
import { composeHeaderFilters, headerAction } from "./headers";
import { CorsPolicySpec, HeaderActionSpec, MatchRuleSpec, RouteActionSpec, RouteRuleSpec, UrlRedirectSpec, WeightedBackendSpec } from "./urlmapTypes";

export const REDIRECT_CODES: Record<number, UrlRedirectSpec["redirectResponseCode"]> = {
    301: "MOVED_PERMANENTLY_DEFAULT", 302: "FOUND", 303: "SEE_OTHER", 307: "TEMPORARY_REDIRECT", 308: "PERMANENT_REDIRECT",
};

export const MAX_WEIGHT = 1000;

function labelOf(r: PlanRule): string {
    return r.label ?? ruleLabel(r);
}

function timeoutOf(ms: number | undefined): RouteActionSpec["timeout"] | undefined {
    if (!ms) return undefined; // "0s" means no timeout in the Gateway API; GCP keeps its default
    const nanos = (ms % 1000) * 1_000_000;
    return nanos ? { seconds: String(Math.floor(ms / 1000)), nanos } : { seconds: String(Math.floor(ms / 1000)) };
}

/** Scales weights to 0–1000; `changed` says whether any share moved. */
export function scaleWeights(weights: number[]): { weights: number[]; changed: boolean } {
    const max = Math.max(...weights);
    if (max <= MAX_WEIGHT && weights.every(Number.isInteger)) return { weights, changed: false };
    const scaled = weights.map(w => (w <= 0 ? 0 : Math.max(1, Math.round((w * MAX_WEIGHT) / max))));
    const sumA = weights.reduce((s, w) => s + w, 0), sumB = scaled.reduce((s, w) => s + w, 0);
    const changed = weights.some((w, i) => Math.abs(w / sumA - scaled[i] / sumB) > 1e-12);
    return { weights: scaled, changed };
}

export interface RuleContext {
    links: Map<string, BackendTarget>;
    sinkLink: string;
    listener: ListenerPlan;
    problems: string[];
    notes: string[];
}

interface RuleMatches { full?: MatchRuleSpec; prefix?: MatchRuleSpec; exact?: MatchRuleSpec }

/** The match rules of a plan rule; a PathPrefix gives [fullPath part, prefix part] ("/" only the prefix part). */
function matchRules(r: PlanRule): RuleMatches {
    const extra: Omit<MatchRuleSpec, "prefixMatch" | "fullPathMatch"> = {};
    if (r.match.headers.length) extra.headerMatches = r.match.headers.map(h => ({ headerName: h.name, exactMatch: h.value }));
    if (r.match.queryParams.length) extra.queryParameterMatches = r.match.queryParams.map(q => ({ name: q.name, exactMatch: q.value }));
    const p = r.match.path;
    if (p.type === "Exact") return { exact: { fullPathMatch: p.value, ...extra } };
    // RegularExpression never gets here past the capability check; it is treated as a prefix.
    const prefix = p.prefix ?? stripTrailingSlash(p.value);
    if (prefix === "") return { prefix: { prefixMatch: "/", ...extra } };
    return { full: { fullPathMatch: prefix, ...extra }, prefix: { prefixMatch: prefix + "/", ...extra } };
}

/** Path replacement for the "/foo" part and the "/foo/…" part of a PathPrefix match. */
function prefixReplacements(replacement: string): { full: string; prefix: string } {
    return { full: replacement === "" ? "/" : replacement, prefix: replacement + "/" };
}

export interface RuleParts { matches: MatchRuleSpec[]; body: Omit<RouteRuleSpec, "priority" | "matchRules"> }

/** The route rules of one plan rule (without priorities), or undefined when it cannot be expressed (a problem says why). */
export function ruleBodies(r: PlanRule, ctx: RuleContext): RuleParts[] | undefined {
    if (!r.action) throw new Error(`gcp: internal error: rule ${r.id} has no resolved action (compile sets it)`);
    const m = matchRules(r);
    // The global LB has no method match: a gRPC rule's POST is not checked (gRPC clients send nothing else).
    if (r.protocol === "grpc") ctx.notes.push(`${labelOf(r)}: the global LB cannot match the method, so a non-POST request on this gRPC path reaches the gRPC backend too (gRPC clients only send POST)`);
    return r.action.kind === "redirect" ? redirectBodies(r, r.action, m, ctx) : forwardBodies(r, r.action, m, ctx);
}

function allOf(m: RuleMatches): MatchRuleSpec[] {
    return [m.exact, m.full, m.prefix].filter((x): x is MatchRuleSpec => x !== undefined);
}

/** The rule's CORS filter as a corsPolicy; undefined without one; null when GCP cannot express it (a problem says why). */
function corsPolicyOf(r: PlanRule, ctx: RuleContext): CorsPolicySpec | undefined | null {
    const c = r.filters.cors;
    if (!c) return undefined;
    if (c.allowCredentials) {
        for (const field of ["allowMethods", "allowHeaders"] as const) {
            if (c[field].includes("*")) {
                ctx.problems.push(`${labelOf(r)}: filters.cors.${field} "*" with allowCredentials: true cannot be expressed on the global LB, which sends the list as written and cannot echo the request's value (browsers read "*" on a credentialed request as a name); list the ${field === "allowMethods" ? "methods" : "headers"}`);
                return null;
            }
        }
    }
    const p: CorsPolicySpec = { disabled: false };
    if (c.originPattern) p.allowOriginRegexes = [c.originPattern];
    if (c.allowMethods.length) p.allowMethods = c.allowMethods;
    if (c.allowHeaders.length) p.allowHeaders = c.allowHeaders;
    if (c.exposeHeaders.length) p.exposeHeaders = c.exposeHeaders;
    p.maxAge = c.maxAge;
    if (c.allowCredentials) p.allowCredentials = true;
    return p;
}

/** The GCP conditions of exactly a retry's codes (see the header), or undefined after reporting why not. */
function retryPolicyOf(r: PlanRule, ctx: RuleContext): RouteActionSpec["retryPolicy"] | undefined {
    const retry = r.retry!;
    const codes = new Set(retry.codes);
    const problems: string[] = [];
    const conditions = ["connect-failure", "refused-stream", "reset"];
    const gateway = [502, 503, 504];
    if (gateway.some(c => codes.has(c))) {
        if (gateway.every(c => codes.has(c))) conditions.push("gateway-error");
        else problems.push(`codes ${gateway.filter(c => codes.has(c)).join(", ")} without ${gateway.filter(c => !codes.has(c)).join(", ")}: GCP retries 502, 503 and 504 only together (gateway-error); list all three`);
    }
    if (codes.has(409)) conditions.push("retriable-4xx");
    const other = [...codes].filter(c => c !== 409 && !gateway.includes(c));
    if (other.length > 0) problems.push(`codes ${other.join(", ")}: GCP's retry conditions name 409 (retriable-4xx) and 502+503+504 (gateway-error) only; retry on those codes, or drop these`);
    if (retry.backoffMs !== undefined) problems.push(`backoff ${retry.backoffMs} ms: GCP's retry policy has no backoff to set; remove it`);
    if (problems.length > 0) {
        ctx.problems.push(...problems.map(p => `${labelOf(r)}: retry ${p}`));
        return undefined;
    }
    const perTry = timeoutOf(r.timeouts?.backendRequestMs);
    // GCP's own default is 1 retry; the SDK asks for the number, so the default is written out.
    return { numRetries: retry.attempts ?? 1, retryConditions: conditions, ...(perTry ? { perTryTimeout: perTry } : {}) };
}

function redirectBodies(r: PlanRule, rd: PlanRedirect, m: RuleMatches, ctx: RuleContext): RuleParts[] | undefined {
    const listener = ctx.listener;
    if (r.filters.cors) {
        ctx.problems.push(`${labelOf(r)}: a CORS filter on a RequestRedirect rule cannot be expressed on the global LB (corsPolicy lives in routeAction, which a urlRedirect rule cannot have); move the redirect to a rule without CORS`);
        return undefined;
    }
    if (rd.scheme === "http" && listener.protocol === "HTTPS") {
        ctx.problems.push(`${labelOf(r)}: a RequestRedirect to scheme http from the HTTPS listener ${listener.name} cannot be expressed on the global LB (urlRedirect can only switch to https); redirect on the HTTP listener instead`);
        return undefined;
    }
    const base: UrlRedirectSpec = { redirectResponseCode: REDIRECT_CODES[rd.statusCode], stripQuery: false };
    if (rd.hostname !== undefined) base.hostRedirect = rd.hostname;
    if (rd.scheme === "https" && listener.protocol === "HTTP") base.httpsRedirect = true;
    const gcpPort = base.httpsRedirect ? 443 : listener.port;
    if (gcpPort !== rd.port) {
        ctx.notes.push(`${labelOf(r)}: the redirect's Location keeps port ${gcpPort} on GCP, where the Gateway API gives port ${rd.port} ` +
            "(urlRedirect has no port field: it keeps the request's port unless it switches to https)");
    }
    const ha = headerAction(undefined, r.filters.responseHeaderModifier);
    const withHa = <T extends object>(x: T) => (ha ? { ...x, headerAction: ha } : x);
    const path = rd.path;
    if (path.kind === "prefix") {
        const rep = prefixReplacements(path.replacement);
        const parts: RuleParts[] = [];
        if (m.full) parts.push({ matches: [m.full], body: withHa({ urlRedirect: { ...base, pathRedirect: rep.full } }) });
        parts.push({ matches: [m.prefix!], body: withHa({ urlRedirect: { ...base, prefixRedirect: rep.prefix } }) });
        return parts;
    }
    const redirect = path.kind === "full" ? { ...base, pathRedirect: path.path } : base;
    return [{ matches: allOf(m), body: withHa({ urlRedirect: redirect }) }];
}

function forwardBodies(r: PlanRule, fw: PlanForward, m: RuleMatches, ctx: RuleContext): RuleParts[] | undefined {
    const f = r.filters;
    const grpc = r.protocol === "grpc";
    const linkOf = (s: PlanShare) => ctx.links.get(backendKey(s.backend.service, s.backend.port, grpc));
    // A gRPC rule's own failures answer 503, which gRPC clients read as UNAVAILABLE (routing/grpc.ts).
    const failStatus = grpc ? GRPC_GATEWAY_ERROR_STATUS : 500;
    // Chosen: valid shares that get requests; idle: valid at weight 0, never chosen, listed with
    // weight 0 (GCP takes 0–1000) so that a weight step only edits the URL map.
    const chosen = fw.valid.filter(s => s.share > 0);
    const targets = chosen.map(linkOf);
    if ([...fw.valid.map(linkOf)].some(t => t === undefined)) return undefined; // its problem is already reported
    const action: RouteActionSpec = {};
    let service: string | undefined;
    let ruleHeaders: HeaderActionSpec | undefined;
    const timeout = timeoutOf(r.retry ? r.timeouts?.requestMs : r.timeouts?.requestMs ?? r.timeouts?.backendRequestMs);
    const retryPolicy = r.retry ? retryPolicyOf(r, ctx) : undefined;
    if (r.retry && !retryPolicy) return undefined;
    const backendFilters = chosen.some(s => s.backend.filters.requestHeaderModifier || s.backend.filters.responseHeaderModifier);
    for (const s of chosen) {
        if (s.urlRewrite) {
            ctx.problems.push(`${labelOf(r)}: backendRef ${s.backend.service} has its own URLRewrite; the global LB rewrites per route rule, not per backend — move the URLRewrite to the rule`);
            return undefined;
        }
    }
    const mirrors = [...fw.mirrors, ...chosen.flatMap(s => s.mirrors)];
    if (chosen.some(s => s.mirrors.length) && (chosen.length > 1 || fw.mirrors.length > 0)) {
        ctx.problems.push(`${labelOf(r)}: a backendRef-level RequestMirror on a rule with several backends (or a rule mirror too) cannot be expressed; the global LB mirrors per route rule — put one RequestMirror on the rule`);
        return undefined;
    }

    if (chosen.length === 0) {
        // Nothing valid to send to: the whole rule answers 500 (the sink is never reached).
        action.weightedBackendServices = [{ backendService: ctx.sinkLink, weight: 1 }];
        action.faultInjectionPolicy = { abort: { httpStatus: failStatus, percentage: 100 } };
    } else if (targets.some(t => t!.isBucket)) {
        if (chosen.length > 1 || fw.invalidShare > 0 || mirrors.length > 0 || backendFilters || timeout) {
            ctx.problems.push(`${labelOf(r)}: backend bucket ${chosen.find((_, i) => targets[i]!.isBucket)!.backend.service} must be the rule's only backend, without invalid shares, mirrors, backend filters or timeouts ` +
                "(a URL map sends to a bucket only as a route rule's service); give the bucket a rule of its own");
            return undefined;
        }
        service = targets[0]!.link;
    } else {
        const { weights, changed } = scaleWeights(chosen.map(s => s.weight));
        if (changed) {
            const sum = weights.reduce((s, w) => s + w, 0);
            const validShare = chosen.reduce((s, c) => s + c.share, 0);
            ctx.notes.push(`${labelOf(r)}: weights ${chosen.map(s => s.weight).join("/")} scaled to ${weights.join("/")} (GCP takes 0–1000); ` +
                `shares now ${weights.map((w, i) => `${chosen[i].backend.service} ${((w / sum) * 100 * validShare).toFixed(3)}%`).join(", ")}`);
        }
        // The same backend twice with the same header action is one entry with the summed weight.
        // Weight-0 backends keep their place in the rule's order, listed once, unless chosen too.
        const entries = new Map<string, WeightedBackendSpec>();
        const chosenLinks = new Set(targets.map(t => t!.link));
        for (const s of fw.valid) {
            const i = chosen.indexOf(s);
            if (i < 0) {
                const t = linkOf(s)!;
                // A bucket cannot be a weighted backend; its resources are kept all the same.
                if (!t.isBucket && !chosenLinks.has(t.link)) entries.set(JSON.stringify(["idle", t.link]), { backendService: t.link, weight: 0 });
                continue;
            }
            const w: WeightedBackendSpec = { backendService: targets[i]!.link, weight: weights[i] };
            if (backendFilters) {
                const ha = headerAction(composeHeaderFilters(f.requestHeaderModifier, s.backend.filters.requestHeaderModifier),
                    composeHeaderFilters(f.responseHeaderModifier, s.backend.filters.responseHeaderModifier));
                if (ha) w.headerAction = ha;
            }
            const k = JSON.stringify([w.backendService, w.headerAction ?? null]);
            const same = entries.get(k);
            if (same) same.weight += w.weight; else entries.set(k, w);
        }
        action.weightedBackendServices = [...entries.values()];
        if (fw.invalidShare > 0) {
            // invalidShare as one division of the weights (it is a sum of fractions, a ulp away), so
            // the URL map stays byte-identical to what earlier versions emitted: no spurious update.
            const invalidWeight = fw.invalid.reduce((s, x) => s + x.weight, 0);
            const total = invalidWeight + fw.valid.reduce((s, x) => s + x.weight, 0);
            action.faultInjectionPolicy = { abort: { httpStatus: failStatus, percentage: (invalidWeight / total) * 100 } };
        }
        const mirror = mirrors[0];
        if (mirror && mirror.percent > 0) {
            const target = ctx.links.get(backendKey(mirror.service!, mirror.port, grpc));
            if (!target) return undefined;
            if (target.isBucket) {
                ctx.problems.push(`${labelOf(r)}: mirror target ${mirror.service} is a backend bucket; the global LB mirrors only to backend services`);
                return undefined;
            }
            action.requestMirrorPolicy = mirror.percent < 100 ? { backendService: target.link, mirrorPercent: mirror.percent } : { backendService: target.link };
        }
        if (timeout) action.timeout = timeout;
        if (retryPolicy) action.retryPolicy = retryPolicy;
    }
    if (!backendFilters) ruleHeaders = headerAction(f.requestHeaderModifier, f.responseHeaderModifier);
    const cors = corsPolicyOf(r, ctx);
    if (cors === null) return undefined;
    if (cors) action.corsPolicy = cors;

    const finish = (matches: MatchRuleSpec[], pathPrefixRewrite?: string): RuleParts => {
        const a: RouteActionSpec = { ...action };
        const rw: NonNullable<RouteActionSpec["urlRewrite"]> = {};
        if (fw.urlRewrite?.hostname !== undefined) rw.hostRewrite = fw.urlRewrite.hostname;
        if (pathPrefixRewrite !== undefined) rw.pathPrefixRewrite = pathPrefixRewrite;
        if (Object.keys(rw).length) a.urlRewrite = rw;
        const body: RuleParts["body"] = {};
        if (service !== undefined) body.service = service;
        if (Object.keys(a).length) body.routeAction = a;
        if (ruleHeaders) body.headerAction = ruleHeaders;
        return { matches, body };
    };
    const rwPath: PlanPathRewrite = fw.urlRewrite?.path ?? { kind: "keep" };
    if (rwPath.kind === "keep") return [finish(allOf(m))];
    if (rwPath.kind === "full") {
        if (r.match.path.type !== "Exact") {
            ctx.problems.push(`${labelOf(r)}: URLRewrite ReplaceFullPath on a ${r.match.path.type} match cannot be expressed (pathPrefixRewrite replaces only the matched prefix); ` +
                "use an Exact path match, or ReplacePrefixMatch");
            return undefined;
        }
        return [finish([m.exact!], rwPath.path)];
    }
    const rep = prefixReplacements(rwPath.replacement);
    const parts: RuleParts[] = [];
    if (m.full) parts.push(finish([m.full], rep.full));
    parts.push(finish([m.prefix!], rep.prefix));
    return parts;
}
