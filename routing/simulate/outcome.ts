// simulate, second half: what the matched rule answers, read from its resolved action
// (PlanRule.action): a redirect assembles its Location from PlanRedirect; a forward turns the valid
// and invalid shares into outcomes, applying the rule's and then the backend's filters to copies of
// the request. Nothing is decided here that compile did not already decide.

import {
    applyHeaderFilter, copyHeaders, emptyChanges, HeaderChanges, mergeChanges, onGatewayAnswer, toChanges, withoutHopByHop,
} from "../headers";
import { corsAnswer, CORS_RESPONSE_HEADERS } from "../cors";
import { GRPC_GATEWAY_ERROR_STATUS } from "../grpc";
import { rewritePath, withQuery } from "../paths";
import { GatewayPlan, ListenerPlan, PlanFilters, PlanInvalidShare, PlanMirror, PlanRule, PlanShare, PlanURLRewrite, sharesInRefOrder } from "../plan";
import type { SimMatched, SimMirror, SimOutcome, SimReason, SimResult } from "./index";

/** What the request carried, as simulate normalised it. */
export interface RequestFacts {
    /** The request's host, normalised (routing/hostname.ts normalizeHost). */
    host: string;
    /** The normalised path (routing/paths.ts). */
    rawPath: string;
    queryString: string;
    original: SimOutcome["request"];
    /** The request method (default GET): a CORS rule answers preflights itself. */
    method?: string;
}

export function terminal(gw: GatewayPlan, l: ListenerPlan | undefined, status: number, reason: SimReason, request: SimOutcome["request"]): SimResult {
    return {
        status, reason, gateway: gw.gateway, listener: l?.name,
        outcomes: [{ probability: 1, status, request, responseHeaders: emptyChanges(), mirrors: [] }],
        mirrors: [], requestHeaderChanges: emptyChanges(), responseHeaderChanges: emptyChanges(),
    };
}

export function applyRule(gw: GatewayPlan, l: ListenerPlan, rule: PlanRule, req: RequestFacts): SimResult {
    const cors = rule.filters.cors;
    if (!cors) return applyAction(gw, l, rule, req);
    // The CORS filter (routing/cors.ts): a preflight is the gateway's own 200, answered before the
    // rule's other filters run (no header modifier, mirror or redirect applies); any other answer of
    // the rule loses the backend's Access-Control-* headers and gets the policy's.
    const answer = corsAnswer(cors, req.method ?? "GET", req.original.headers);
    if (answer.preflight) {
        const matched = matchedOf(rule);
        // Answered before the rule's other filters run: only the CORS headers.
        return {
            status: 200, reason: "cors-preflight", gateway: gw.gateway, listener: l.name, matched,
            outcomes: [{ probability: 1, status: 200, request: req.original, responseHeaders: { set: answer.set, add: {}, remove: [...CORS_RESPONSE_HEADERS] }, mirrors: [] }],
            mirrors: [], requestHeaderChanges: emptyChanges(), responseHeaderChanges: emptyChanges(),
        };
    }
    const result = applyAction(gw, l, rule, req);
    const changes: HeaderChanges = { set: answer.set, add: {}, remove: [...CORS_RESPONSE_HEADERS] };
    for (const o of result.outcomes) o.responseHeaders = mergeChanges(o.responseHeaders, changes);
    return result;
}

function matchedOf(rule: PlanRule): SimMatched {
    const matched: SimMatched = { ruleId: rule.id, route: rule.route, ruleIndex: rule.ruleIndex, matchIndex: rule.matchIndex };
    if (rule.ruleName !== undefined) matched.ruleName = rule.ruleName;
    if (rule.hostname !== undefined) matched.hostname = rule.hostname;
    return matched;
}

function applyAction(gw: GatewayPlan, l: ListenerPlan, rule: PlanRule, req: RequestFacts): SimResult {
    const f = rule.filters;
    const action = rule.action;
    const matched: SimMatched = { ruleId: rule.id, route: rule.route, ruleIndex: rule.ruleIndex, matchIndex: rule.matchIndex };
    if (rule.ruleName !== undefined) matched.ruleName = rule.ruleName;
    if (rule.hostname !== undefined) matched.hostname = rule.hostname;
    const requestHeaderChanges = toChanges(f.requestHeaderModifier);
    const responseHeaderChanges = toChanges(f.responseHeaderModifier);

    if (action.kind === "redirect") {
        const path = rewritePath(action.path, req.rawPath);
        const location = `${action.scheme}://${action.hostname ?? req.host}${action.omitPort ? "" : ":" + action.port}${withQuery(path, req.queryString)}`;
        const statusCode = action.statusCode;
        return {
            status: statusCode, reason: "redirect", gateway: gw.gateway, listener: l.name, matched,
            outcomes: [{ probability: 1, status: statusCode, request: req.original, responseHeaders: onGatewayAnswer(responseHeaderChanges), mirrors: [] }],
            redirect: { statusCode, location }, mirrors: [], requestHeaderChanges, responseHeaderChanges,
        };
    }

    // The request after rule-level filters; each backend's own filters then apply to a copy.
    const clientReq: WorkingRequest = { host: req.original.host, rawPath: req.rawPath, headers: withoutHopByHop(req.original.headers) };
    const ruleReq = applyRequestFilters(f, action.urlRewrite, { ...clientReq, headers: copyHeaders(clientReq.headers) });
    const mirrors = simMirrors(action.mirrors, f, action.urlRewrite, clientReq, req.queryString);
    const outcomes: SimOutcome[] = [];
    // A gRPC rule's own failures answer 503, which gRPC clients read as UNAVAILABLE, as the GRPCRoute spec demands.
    const failStatus = rule.protocol === "grpc" ? GRPC_GATEWAY_ERROR_STATUS : 500;
    if (action.noBackends) {
        outcomes.push({
            probability: 1, status: failStatus, invalidReason: action.noBackends === "all-weights-zero" ? "all backend weights are 0" : "the rule has no backendRefs",
            request: { host: ruleReq.host, path: withQuery(ruleReq.rawPath, req.queryString), headers: ruleReq.headers },
            responseHeaders: onGatewayAnswer(responseHeaderChanges), mirrors,
        });
    } else {
        for (const s of sharesInRefOrder(action)) {
            if (s.share > 0) outcomes.push(shareOutcome(s, ruleReq, req.queryString, responseHeaderChanges, mirrors, failStatus));
        }
    }
    const status = mostProbableStatus(outcomes);
    const reason: SimReason = status !== failStatus ? "forwarded" : action.noBackends ? "no-backends" : "invalid-backend";
    return { status, reason, gateway: gw.gateway, listener: l.name, matched, outcomes, mirrors, requestHeaderChanges, responseHeaderChanges };
}

interface WorkingRequest { host: string; rawPath: string; headers: Record<string, string> }

function applyRequestFilters(f: PlanFilters, rewrite: PlanURLRewrite | undefined, r: WorkingRequest): WorkingRequest {
    if (f.requestHeaderModifier) applyHeaderFilter(r.headers, f.requestHeaderModifier);
    if (rewrite) r = applyRewrite(rewrite, r);
    return r;
}

function applyRewrite(rw: PlanURLRewrite, r: WorkingRequest): WorkingRequest {
    return { host: rw.hostname ?? r.host, rawPath: rewritePath(rw.path, r.rawPath), headers: r.headers };
}

function shareOutcome(s: PlanShare | PlanInvalidShare, ruleReq: WorkingRequest, queryString: string, ruleResponse: HeaderChanges, ruleMirrors: SimMirror[], failStatus: number): SimOutcome {
    const b = s.backend;
    const backend: NonNullable<SimOutcome["backend"]> = { service: b.service, endpoints: b.endpoints };
    if (b.port !== undefined) backend.port = b.port;
    if ("reason" in s) {
        return {
            probability: s.share, status: failStatus, backend, invalidReason: s.reason,
            request: { host: ruleReq.host, path: withQuery(ruleReq.rawPath, queryString), headers: ruleReq.headers },
            responseHeaders: onGatewayAnswer(ruleResponse), mirrors: ruleMirrors,
        };
    }
    // Backends without their own filters share the rule-level request object (results are read-only).
    const own = b.filters;
    const r = own.requestHeaderModifier || s.urlRewrite
        ? applyRequestFilters(own, s.urlRewrite, { host: ruleReq.host, rawPath: ruleReq.rawPath, headers: copyHeaders(ruleReq.headers) })
        : ruleReq;
    return {
        probability: s.share, status: 200, backend,
        request: { host: r.host, path: withQuery(r.rawPath, queryString), headers: r.headers },
        responseHeaders: mergeChanges(ruleResponse, toChanges(own.responseHeaderModifier)),
        mirrors: s.mirrors.length ? ruleMirrors.concat(simMirrors(s.mirrors, own, s.urlRewrite, ruleReq, queryString)) : ruleMirrors,
    };
}

function mostProbableStatus(outcomes: SimOutcome[]): number {
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + o.probability);
    let best = outcomes[0].status, bestP = -1;
    for (const [status, p] of byStatus) if (p > bestP + 1e-12) { best = status; bestP = p; } // ties: first seen
    return best;
}

/**
 * The (resolved) mirrors of one filter list; `before` is the request as that list received it, and
 * each mirror gets the list's filters written before it (PlanMirror.after).
 */
function simMirrors(ms: PlanMirror[], f: PlanFilters, rewrite: PlanURLRewrite | undefined, before: WorkingRequest, queryString: string): SimMirror[] {
    const out: SimMirror[] = [];
    for (const m of ms) {
        const after = m.after ?? [];
        let r: WorkingRequest = { ...before, headers: copyHeaders(before.headers) };
        if (after.includes("RequestHeaderModifier") && f.requestHeaderModifier) applyHeaderFilter(r.headers, f.requestHeaderModifier);
        if (after.includes("URLRewrite") && rewrite) r = applyRewrite(rewrite, r);
        const request = { host: r.host, path: withQuery(r.rawPath, queryString), headers: r.headers };
        const mirror: SimMirror = { service: m.service!, percent: m.percent, request };
        if (m.port !== undefined) mirror.port = m.port;
        out.push(mirror);
    }
    return out;
}
