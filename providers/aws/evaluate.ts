// An evaluator of the emitted ALB configuration: walks a listener's rules in priority order for a
// request, as an Application Load Balancer does, using the same plain data realize.ts hands to
// lb.ListenerRule. The differential test checks it against routing/simulate; every difference
// it may find is one of the adapter's declared deviations.
//
// ALB behaviour modelled here (AWS "Listener rules for your Application Load Balancer"):
// - the listener is chosen by port and protocol; no listener: connection refused (status 0);
// - rules in ascending priority; the first whose conditions all match acts; none: the listener's
//   default action (fixed 404 here);
// - host-header: the Host header as sent (port included), case-insensitive, "*" matches any run of
//   characters, "?" exactly one; any value may match;
// - path-pattern: the path without the query, case-sensitive, same wildcards;
// - http-header: header names case-insensitive; values case-insensitive with wildcards; a repeated
//   header matches when any of its values does;
// - query-string: key and value case-insensitive with wildcards; any occurrence of the key counts;
// - http-request-method: exact;
// - forward: each target group takes weight / total of the requests; a target group without
//   registered targets answers 503;
// - transforms rewrite the Host header and the path before forwarding;
// - redirect: #{protocol}, #{host} (without port), #{port}, #{path}, #{query} by default; the port
//   is left out of the Location when it is the protocol's default.
// - gRPC: a call is a POST on "/service/method" (routing/grpc.ts) and is walked like any request;
//   a GRPC target group is forwarded to like an HTTP one, and an empty one answers 503 (UNAVAILABLE).

import { SimRequest, splitTarget, withQuery } from "../../routing/simulate";
import { AlbAction, AlbCondition, AlbListener, AlbModel, AlbRule, AlbTargetGroup } from "./model";

/** The request routing/simulate takes; the ALB reads its Host header as sent (port included). */
export type AlbRequest = SimRequest;

export interface AlbOutcome {
    probability: number;
    /** 200 when forwarded to a target group with targets, 503 without targets. */
    status: number;
    targetGroup?: AlbTargetGroup;
    /** The request as the target receives it. */
    request: { host: string; path: string };
}

export interface AlbEvaluation {
    status: number;
    listener?: AlbListener;
    /** The rule that acted; undefined for the default action or no listener. */
    rule?: AlbRule;
    outcomes: AlbOutcome[];
    redirect?: { statusCode: number; location: string };
}

const globCache = new Map<string, RegExp>();

/** ALB wildcard pattern → anchored RegExp ("*" any run, "?" one character). */
export function globToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
    const key = `${caseInsensitive ? "i" : "s"}${pattern}`;
    let re = globCache.get(key);
    if (!re) {
        const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
        re = new RegExp(`^${body}$`, caseInsensitive ? "is" : "s");
        globCache.set(key, re);
    }
    return re;
}

interface Req {
    host: string;
    method: string;
    path: string;
    query: [string, string][];
    queryString: string;
    headers: Map<string, string[]>;
}

function parseRequest(r: AlbRequest): Req {
    const { rawPath: path, queryString } = splitTarget(r);
    const query: [string, string][] = [];
    for (const pair of queryString.split("&")) {
        if (!pair) continue;
        const eq = pair.indexOf("=");
        query.push(eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)]);
    }
    const headers = new Map<string, string[]>();
    for (const [k, v] of Object.entries(r.headers ?? {})) {
        const name = k.toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), ...(Array.isArray(v) ? v : [v])]);
    }
    return { host: r.host, method: r.method ?? "GET", path, query, queryString, headers };
}

function conditionMatches(c: AlbCondition, req: Req): boolean {
    if (c.hostHeader) return c.hostHeader.values.some(v => globToRegExp(v, true).test(req.host));
    if (c.pathPattern) return c.pathPattern.values.some(v => globToRegExp(v, false).test(req.path));
    if (c.httpRequestMethod) return c.httpRequestMethod.values.includes(req.method);
    if (c.httpHeader) {
        const values = req.headers.get(c.httpHeader.httpHeaderName.toLowerCase()) ?? [];
        return values.some(v => c.httpHeader!.values.some(p => globToRegExp(p, true).test(v)));
    }
    if (c.queryStrings) {
        return c.queryStrings.some(p => req.query.some(([k, v]) =>
            (p.key === undefined || globToRegExp(p.key, true).test(k)) && globToRegExp(p.value, true).test(v)));
    }
    return false;
}

function hostWithoutPort(host: string): string {
    const colon = host.lastIndexOf(":");
    return colon >= 0 && /^\d+$/.test(host.slice(colon + 1)) && !host.endsWith("]") ? host.slice(0, colon) : host;
}

export function evaluateAlb(model: AlbModel, request: AlbRequest): AlbEvaluation {
    const scheme = request.scheme ?? "http";
    const port = request.port ?? (scheme === "https" ? 443 : 80);
    const req = parseRequest(request);
    const original = { host: request.host, path: withQuery(req.path, req.queryString) };
    const listener = model.listeners.find(l => l.port === port && l.protocol === (scheme === "https" ? "HTTPS" : "HTTP"));
    if (!listener) return { status: 0, outcomes: [{ probability: 1, status: 0, request: original }] };
    const rule = listener.rules.find(r => r.conditions.every(c => conditionMatches(c, req)));
    if (!rule) return { status: 404, listener, outcomes: [{ probability: 1, status: 404, request: original }] };
    return { listener, rule, ...act(model, listener, rule, rule.actions[0], req, port) };
}

function act(model: AlbModel, listener: AlbListener, rule: AlbRule, action: AlbAction, req: Req, port: number): Omit<AlbEvaluation, "listener" | "rule"> {
    const original = { host: req.host, path: withQuery(req.path, req.queryString) };
    if (action.type === "fixed-response") {
        const status = Number(action.fixedResponse.statusCode);
        return { status, outcomes: [{ probability: 1, status, request: original }] };
    }
    if (action.type === "redirect") {
        const rd = action.redirect;
        const protocol = (rd.protocol ?? listener.protocol).toLowerCase();
        const toPort = rd.port ?? String(port);
        const omitPort = (protocol === "http" && toPort === "80") || (protocol === "https" && toPort === "443");
        const host = rd.host ?? hostWithoutPort(req.host).toLowerCase();
        const location = `${protocol}://${host}${omitPort ? "" : ":" + toPort}${withQuery(rd.path ?? req.path, req.queryString)}`;
        const statusCode = rd.statusCode === "HTTP_301" ? 301 : 302;
        return { status: statusCode, redirect: { statusCode, location }, outcomes: [{ probability: 1, status: statusCode, request: original }] };
    }
    let host = req.host, path = req.path;
    for (const t of rule.transforms ?? []) {
        if (t.hostHeaderRewriteConfig) host = host.replace(new RegExp(t.hostHeaderRewriteConfig.rewrite.regex), t.hostHeaderRewriteConfig.rewrite.replace);
        if (t.urlRewriteConfig) path = path.replace(new RegExp(t.urlRewriteConfig.rewrite.regex), t.urlRewriteConfig.rewrite.replace);
    }
    const request = { host, path: withQuery(path, req.queryString) };
    const targets = action.forward.targetGroups;
    const total = targets.reduce((s, t) => s + t.weight, 0);
    const outcomes: AlbOutcome[] = [];
    for (const t of targets) {
        if (t.weight <= 0) continue;
        const tg = model.targetGroups.find(g => g.key === t.targetGroup);
        const empty = !tg || (!tg.existingArn && tg.targets.length === 0);
        outcomes.push({ probability: t.weight / total, status: empty ? 503 : 200, targetGroup: tg, request });
    }
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + o.probability);
    const status = [...byStatus].sort((a, b) => b[1] - a[1])[0][0];
    return { status, outcomes };
}
