// What one backend share does to a request (outcomes.ts names it an outcome): its response and request
// header changes, timeouts, mirrors, the upstream and the path it forwards to. The static parts form
// the outcome's shape — one named location shared by every outcome with the same directives — and
// the per-outcome values (header values, host, upstream, path, redirect Location) become slots, maps
// over $gk_out (outcomes.ts). Mirror copies keep their own internal location each, rendered statically.

import { PlanMirror, PlanRule, PlanShare, PlanURLRewrite } from "../../../routing/plan";
import { GATEWAY_ANSWER_HEADERS } from "../../../routing/simulate";
import { GRPC_GATEWAY_ERROR_STATUS } from "../../../routing/grpc";
import { HTTPHeaderFilter } from "../../../routing/types";
import { NginxRenderError, headerVar, isSafeHostname, isVariableHeaderName, quoteLiteral } from "./escape";
import { HeaderEntry, applyHeaderOps, headerValue } from "./headers";
import { Http, comment } from "./http";
import { UpstreamPolicy, retryLines, stickyCookie, tlsIdentity, tlsLines, upstreamPolicy } from "./backendPolicies";
import { CLIENT_PATH, PathState, applyPathRewrite, pathExpr } from "./rewrites";

/**
 * One outcome: `shape` is the location's directives with `{slot}` placeholders for the per-outcome
 * values in `slots` (inside-of-quoted-value text, variables braced).
 */
export interface OutcomeSpec {
    shape: string[];
    slots: Record<string, string>;
    /** Internal mirror locations this outcome's shape sends copies to: uri → body lines. */
    mirrors: [string, string[]][];
}

/** A placeholder for slot `name` inside shape lines (never produced from user text: names are ours). */
export function slotRef(name: string): string {
    return `\u0000${name}\u0000`;
}

/** Response header changes as shape lines and slots; `proxied`: the answer comes from a backend (`module`: proxy or grpc). */
export function responseHeaders(http: Http, resp: Map<string, HeaderEntry>, at: string, proxied: boolean, out: OutcomeSpec, module: "proxy" | "grpc" = "proxy"): void {
    for (const [k, e] of resp) {
        if (e.state.kind === "orig") continue;
        // An answer nginx writes itself keeps its own Content-Type and Location (as simulate says).
        if (!proxied && GATEWAY_ANSWER_HEADERS.includes(k)) continue;
        if (proxied) out.shape.push(`${module}_hide_header ${quoteLiteral(e.name)};`);
        const value = headerValue(http, e, isVariableHeaderName(e.name) ? `upstream_http_${headerVar(k)}` : undefined, `${at}.filters.responseHeaderModifier`);
        if (value === undefined || value === "") continue;
        const slot = `rs ${e.name}`;
        out.shape.push(`add_header ${quoteLiteral(e.name)} "${slotRef(slot)}" always;`);
        out.slots[slot] = value;
    }
}

/** An answer the gateway writes itself: `return <status>` with the rule's response headers. */
export function answerOutcome(http: Http, resp: Map<string, HeaderEntry>, at: string, status: number, why: string): OutcomeSpec {
    const out: OutcomeSpec = { shape: [], slots: {}, mirrors: [] };
    responseHeaders(http, resp, at, false, out);
    out.shape.push(`# ${why}`, `return ${status};`);
    return out;
}

/** Where a location's request-side filters come from: the rule's, or one backend share's. */
export interface RequestFilters { headers?: HTTPHeaderFilter; urlRewrite?: PlanURLRewrite; mirrors: PlanMirror[] }

/** The outcome of one backend share: 500 when invalid, 503 without endpoints, else a proxy_pass. */
export function backendOutcome(
    http: Http, rule: PlanRule, share: PlanShare, n: string, ruleResp: Map<string, HeaderEntry>,
    ruleFilters: RequestFilters, at: string,
): OutcomeSpec {
    const b = share.backend;
    const i = share.ref;
    const bAt = `${at}.backendRefs[${i}]`;
    // A gRPC client reads 503 as UNAVAILABLE, what the GRPCRoute spec asks of an invalid backend.
    if (b.invalidReason) return answerOutcome(http, ruleResp, at, rule.protocol === "grpc" ? GRPC_GATEWAY_ERROR_STATUS : 500, b.invalidReason);

    // Response headers: the rule's changes, then the backend's own.
    const resp = new Map<string, HeaderEntry>();
    for (const [k, e] of ruleResp) resp.set(k, { name: e.name, state: e.state });
    applyHeaderOps(resp, b.filters.responseHeaderModifier, `${bAt}.filters.responseHeaderModifier`, "response");

    if (b.endpoints.length === 0) {
        http.warn(`${rule.label}: backend ${b.service} has no endpoints; its share answers 503`);
        return answerOutcome(http, resp, at, 503, "no endpoints");
    }

    // Request: rule header changes, rule rewrite, then the backend's header changes and rewrite.
    const backendFilters: RequestFilters = { headers: b.filters.requestHeaderModifier, urlRewrite: share.urlRewrite, mirrors: share.mirrors };
    const client = clientRequest();
    const ruleReq = applyRequestFilters(http, client, ruleFilters, at, { headers: true, rewrite: true });
    const req = applyRequestFilters(http, ruleReq, backendFilters, bAt, { headers: true, rewrite: true });

    if (b.protocol === "h2c") {
        throw new NginxRenderError(`${bAt}: ${b.service} port ${b.port} has appProtocol kubernetes.io/h2c, and nginx proxies HTTP requests to backends over HTTP/1.x only (its HTTP/2 upstreams carry gRPC alone): serve the backend over HTTP/1.1, or use the aws or gcp adapter, which speak h2c to targets`);
    }
    if (b.protocol === "wss" && !b.tls) {
        throw new NginxRenderError(`${bAt}: ${b.service} port ${b.port} has appProtocol kubernetes.io/wss (WebSocket over TLS), and nginx originates TLS to a backend only with a BackendTLSPolicy saying how to verify it: attach one to the Service port, or use kubernetes.io/ws`);
    }
    const policy = upstreamPolicy(http, rule, b, bAt);
    const lines = b.endpoints.length * (policy.copies ?? 1);
    if (rule.retry && lines < (rule.retry.attempts ?? 1) + 1) {
        http.warn(`${rule.label}: retry allows ${rule.retry.attempts ?? "its"} retries, but nginx retries only on a server line of ${b.service} the request has not tried, and there ${lines === 1 ? "is 1" : `are ${lines}`}: at most ${lines - 1} retr${lines === 2 ? "y happens" : "ies happen"}`);
    }
    if (rule.protocol === "grpc") return grpcOutcome(http, rule, b, resp, at, bAt, policy);
    const sticky = stickyCookie(http, rule, b, bAt, policy);
    const up = sticky ? sticky.upstream : http.upstream(b, bAt, "http", policy);
    const out: OutcomeSpec = { shape: [], slots: {}, mirrors: [] };
    responseHeaders(http, resp, at, true, out);
    if (sticky) { out.shape.push(`add_header Set-Cookie "${slotRef("cookie")}";`); out.slots.cookie = sticky.setCookie; }
    out.shape.push(...timeoutLines(rule, at), ...retryLines(rule, at, "proxy"));
    if (policy.tls) { out.shape.push(...tlsLines(policy.tls, "proxy", slotRef("tlsname"))); out.slots.tlsname = policy.tls.hostname; }
    // Mirrors: the rule's, then the backend's own (the plan keeps only resolved targets).
    // Each copy carries the filters listed before its mirror filter (filters apply in order).
    [...ruleFilters.mirrors.map((m, j) => ({ m, id: `${n}_${j}`, field: `${at}.filters.requestMirror`, before: client, filters: ruleFilters })),
        ...backendFilters.mirrors.map((m, j) => ({ m, id: `${n}_b${i}_${j}`, field: `${bAt}.filters.requestMirror`, before: ruleReq, filters: backendFilters }))]
        .forEach(({ m, id, field, before, filters }) => {
            if (m.endpoints.length === 0 || m.percent <= 0) return;
            const uri = `/_gk_mirror_${id}`;
            out.shape.push(`mirror ${uri};`);
            if (out.mirrors.some(([u]) => u === uri)) return;
            const after = m.after ?? [];
            const copy = applyRequestFilters(http, before, filters, field, { headers: after.includes("RequestHeaderModifier"), rewrite: after.includes("URLRewrite") });
            out.mirrors.push([uri, mirrorLocation(http, m, id, copy, field, rule)]);
        });
    // The proxy: header values, host, upstream and path are slots.
    const forward = forwardValues(http, req, up, at);
    out.shape.push(`proxy_set_header Host "${slotRef("host")}";`, ...hopLines(b.protocol === "ws" || b.protocol === "wss"), ...FORWARDED_LINES);
    out.slots.host = forward.host;
    for (const [name, value] of forward.headers) {
        const slot = `rq ${name}`;
        out.shape.push(`proxy_set_header ${quoteLiteral(name)} "${slotRef(slot)}";`);
        out.slots[slot] = value;
    }
    out.shape.push("proxy_http_version 1.1;", `proxy_pass "${policy.tls ? "https" : "http"}://${slotRef("up")}${slotRef("path")}\${is_args}\${args}";`);
    out.slots.up = up;
    out.slots.path = forward.path;
    return out;
}

/**
 * A gRPC rule's share: grpc_pass over HTTP/2 (cleartext, prior knowledge) to its own upstream block (a
 * keepalive connection of an HTTP/1.1 upstream must never carry HTTP/2). gRPC calls keep their path as
 * sent (GRPCRoute has no rewrite), and mirrors are refused: nginx's mirror copies speak HTTP/1.1.
 */
function grpcOutcome(http: Http, rule: PlanRule, b: PlanShare["backend"], resp: Map<string, HeaderEntry>, at: string, bAt: string, policy: UpstreamPolicy): OutcomeSpec {
    if ((rule.sessionPersistence ?? b.traffic?.sessionPersistence)?.type === "Cookie") {
        const field = rule.sessionPersistence ? `${at}.sessionPersistence` : `${bAt}: BackendTrafficPolicy ${b.traffic?.policy} spec.sessionPersistence`;
        throw new NginxRenderError(`${field}: a Cookie session on a gRPC backend is not kept by the nginx adapter (gRPC clients rarely keep cookies): use type Header`);
    }
    const mirrors = [...(rule.action.kind === "forward" ? rule.action.mirrors : []), ...b.filters.requestMirrors];
    if (mirrors.length) throw new NginxRenderError(`${at}.filters: a RequestMirror on a GRPCRoute is not supported by the nginx adapter (nginx mirrors requests over HTTP/1.1, which a gRPC backend cannot read); remove it or use the kubernetes adapter`);
    const up = http.upstream(b, bAt, "grpc", policy);
    const out: OutcomeSpec = { shape: [], slots: {}, mirrors: [] };
    responseHeaders(http, resp, at, true, out, "grpc");
    out.shape.push(...timeoutLines(rule, at, "grpc"), ...retryLines(rule, at, "grpc"));
    if (policy.tls) { out.shape.push(...tlsLines(policy.tls, "grpc", slotRef("tlsname"))); out.slots.tlsname = policy.tls.hostname; }
    const req = applyRequestFilters(http, applyRequestFilters(http, clientRequest(), { headers: rule.filters.requestHeaderModifier, mirrors: [] }, at, { headers: true, rewrite: false }),
        { headers: b.filters.requestHeaderModifier, mirrors: [] }, bAt, { headers: true, rewrite: false });
    const forward = forwardValues(http, req, up, at);
    out.shape.push(`grpc_set_header Host "${slotRef("host")}";`, ...FORWARDED_LINES.map(l => l.replace("proxy_set_header", "grpc_set_header")));
    out.slots.host = forward.host;
    for (const [name, value] of forward.headers) {
        const slot = `rq ${name}`;
        out.shape.push(`grpc_set_header ${quoteLiteral(name)} "${slotRef(slot)}";`);
        out.slots[slot] = value;
    }
    out.shape.push(`grpc_pass "${policy.tls ? "grpcs" : "grpc"}://${slotRef("up")}";`);
    out.slots.up = up;
    return out;
}

/**
 * One timeout for the whole exchange with the backend: backendRequest when set, else request (the
 * nginx adapter's rule until issue 12 R1 decides one for every adapter). 0 means no timeout.
 */
function timeoutLines(rule: PlanRule, at: string, module: "proxy" | "grpc" = "proxy"): string[] {
    const t = rule.timeouts;
    const [text, ms] = t?.backendRequest !== undefined ? [t.backendRequest, t.backendRequestMs] : [t?.request, t?.requestMs];
    if (text === undefined) return [];
    if (ms === undefined) throw new NginxRenderError(`${at}.timeouts: ${JSON.stringify(text)} is not a Gateway API duration`);
    return ms > 0 ? [`${module}_connect_timeout ${ms}ms;`, `${module}_send_timeout ${ms}ms;`, `${module}_read_timeout ${ms}ms;`] : [];
}

/** A request on its way to a backend, as the filters applied so far left it (immutable: each step copies). */
interface ForwardRequest { headers: Map<string, HeaderEntry>; path: PathState }

function clientRequest(): ForwardRequest {
    return { headers: new Map([["host", { name: "Host", state: { kind: "orig" } }]]), path: CLIENT_PATH };
}

function applyRequestFilters(http: Http, r: ForwardRequest, f: RequestFilters, at: string, which: { headers: boolean; rewrite: boolean }): ForwardRequest {
    const headers = new Map<string, HeaderEntry>();
    for (const [k, e] of r.headers) headers.set(k, { name: e.name, state: e.state });
    let path = r.path;
    if (which.headers) applyHeaderOps(headers, f.headers, `${at}.filters.requestHeaderModifier`, "request");
    const rw = f.urlRewrite;
    if (which.rewrite && rw) {
        const field = `${at}.filters.urlRewrite`;
        if (rw.hostname !== undefined) {
            if (!isSafeHostname(rw.hostname)) throw new NginxRenderError(`${field}.hostname: ${JSON.stringify(rw.hostname)} is not a valid hostname`);
            headers.set("host", { name: "Host", state: { kind: "literal", value: rw.hostname } });
        }
        path = applyPathRewrite(http, path, rw.path, `${field}.path`);
    }
    return { headers, path };
}

/**
 * Hop-by-hop headers (simulate's HOP_BY_HOP_HEADERS; nginx drops the others itself). A WebSocket
 * backend (appProtocol kubernetes.io/ws) gets the client's Upgrade and "Connection: upgrade" when the
 * client asked for one, so the handshake passes through and nginx relays the upgraded connection.
 */
function hopLines(websocket: boolean): string[] {
    return websocket
        ? ["proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $gk_upgrade;", "proxy_set_header Proxy-Connection \"\";"]
        : ["proxy_set_header Connection \"\";", "proxy_set_header Proxy-Connection \"\";"];
}

/** Who called, as every proxy tells its backend (http.ts forwardingLines decides the values). */
const FORWARDED_LINES = [
    "proxy_set_header X-Forwarded-For $gk_xff;",
    "proxy_set_header X-Forwarded-Proto $gk_xfproto;",
    "proxy_set_header X-Forwarded-Host $gk_xfhost;",
    "proxy_set_header X-Forwarded-Port $gk_xfport;",
];

/** What the proxy sends: the Host value, the other changed headers (name, value; "" drops it) and the path. */
function forwardValues(http: Http, r: ForwardRequest, up: string, at: string): { host: string; headers: [string, string][]; path: string } {
    const host = r.headers.get("host")!;
    const headers: [string, string][] = [];
    for (const [k, e] of r.headers) {
        if (k === "host" || k === "connection") continue;
        const value = headerValue(http, e, isVariableHeaderName(e.name) ? `http_${headerVar(k)}` : undefined, `${at}.filters.requestHeaderModifier`);
        if (value !== undefined) headers.push([e.name, value]);
    }
    // The upstream name is followed by "/" (paths are absolute) or a braced variable: never by text that extends it.
    // The backend receives the path the rules matched (the normal form), never the one sent.
    void up;
    return { host: host.state.kind === "orig" ? "${http_host}" : headerValue(http, host, "http_host", `${at}.filters`)!, headers, path: pathExpr(r.path) };
}

/** The directives that send `r` to upstream `up` from a location of its own (a mirror copy); `tls`: over TLS, verified. */
function forwardLines(http: Http, r: ForwardRequest, up: string, at: string, tls?: UpstreamPolicy["tls"]): string[] {
    const f = forwardValues(http, r, up, at);
    return [
        ...(tls ? tlsLines(tls, "proxy") : []),
        `proxy_set_header Host "${f.host}";`,
        ...hopLines(false),
        ...FORWARDED_LINES,
        ...f.headers.map(([name, value]) => `proxy_set_header ${quoteLiteral(name)} "${value}";`),
        "proxy_http_version 1.1;",
        `proxy_pass "${tls ? "https" : "http"}://${up}${f.path}\${is_args}\${args}";`,
    ];
}

function mirrorLocation(http: Http, m: PlanMirror, id: string, r: ForwardRequest, field: string, rule: PlanRule): string[] {
    // A mirror target's BackendTLSPolicy applies to the copy (its BackendTrafficPolicy is not in the plan: round robin).
    const tls = m.tls ? { hostname: tlsIdentity(m.tls, field), caFile: http.caFile(m.tls) } : undefined;
    const up = http.upstream({ service: m.service!, port: m.port, endpoints: m.endpoints }, field, "http", { balance: [], serverParams: "", ...(tls ? { tls } : {}) });
    const lines = [
        "internal;",
        // A client asking for this URI directly is routed like any other request.
        "error_page 404 = @gk_dispatch;",
    ];
    if (m.percent < 100) {
        const units = Math.round(m.percent * 100);
        if (Math.abs(units - m.percent * 100) > 1e-9) http.warn(`${rule.label}: mirror percent ${m.percent} rounded to ${(units / 100).toFixed(2)}% (nginx split_clients has 0.01% granularity)`);
        if (units <= 0) return [...lines, "return 204;"];
        const v = http.split("mirror", [[units, "1"], [10000 - units, ""]]);
        lines.push(`if ($${v} = "") { return 204; }`);
    }
    lines.push(...forwardLines(http, r, up, field, tls));
    return lines;
}
