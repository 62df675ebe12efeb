// The bodies of the named locations a matched rule jumps to: one per backend share (proxy_pass with
// the rule's then the backend's filters), and one internal URI per mirror copy.

import { PlanMirror, PlanRule, PlanShare, PlanURLRewrite } from "../../../routing/plan";
import { GATEWAY_ANSWER_HEADERS } from "../../../routing/simulate";
import { HTTPHeaderFilter } from "../../../routing/types";
import { NginxRenderError, headerVar, isSafeHostname, isVariableHeaderName, quoteLiteral } from "./escape";
import { HeaderEntry, applyHeaderOps, headerExpr } from "./headers";
import { Http, comment } from "./http";
import { CLIENT_PATH, PathState, applyPathRewrite, pathExpr } from "./rewrites";

/** The response header lines of a location; `proxied`: the answer comes from a backend. */
export function responseLines(http: Http, resp: Map<string, HeaderEntry>, at: string, proxied: boolean): string[] {
    const out: string[] = [];
    for (const [k, e] of resp) {
        if (e.state.kind === "orig") continue;
        // An answer nginx writes itself keeps its own Content-Type and Location (as simulate says).
        if (!proxied && GATEWAY_ANSWER_HEADERS.includes(k)) continue;
        if (proxied) out.push(`proxy_hide_header ${quoteLiteral(e.name)};`);
        const expr = headerExpr(http, e, isVariableHeaderName(e.name) ? `upstream_http_${headerVar(k)}` : undefined, `${at}.filters.responseHeaderModifier`);
        if (expr !== undefined && expr !== "\"\"") out.push(`add_header ${quoteLiteral(e.name)} ${expr} always;`);
    }
    return out;
}

/** Where a location's request-side filters come from: the rule's, or one backend share's. */
export interface RequestFilters { headers?: HTTPHeaderFilter; urlRewrite?: PlanURLRewrite; mirrors: PlanMirror[] }

/** The location of one backend share: 500 when invalid, 503 without endpoints, else a proxy_pass. */
export function backendLocation(
    http: Http, rule: PlanRule, share: PlanShare, n: number, ruleResp: Map<string, HeaderEntry>,
    ruleFilters: RequestFilters, mirrorOut: [string, string[]][], at: string,
): string[] {
    const b = share.backend;
    const i = share.ref;
    const bAt = `${at}.backendRefs[${i}]`;
    if (b.invalidReason) return [`# ${b.invalidReason}: ${comment(b.service)}`, ...responseLines(http, ruleResp, at, false), "return 500;"];

    // Response headers: the rule's changes, then the backend's own.
    const resp = new Map<string, HeaderEntry>();
    for (const [k, e] of ruleResp) resp.set(k, { name: e.name, state: e.state });
    applyHeaderOps(resp, b.filters.responseHeaderModifier, `${bAt}.filters.responseHeaderModifier`, "response");

    if (b.endpoints.length === 0) {
        http.warn(`${rule.label}: backend ${b.service} has no endpoints; its share answers 503`);
        return [`# no endpoints: ${comment(b.service)}`, ...responseLines(http, resp, at, false), "return 503;"];
    }

    // Request: rule header changes, rule rewrite, then the backend's header changes and rewrite.
    const backendFilters: RequestFilters = { headers: b.filters.requestHeaderModifier, urlRewrite: share.urlRewrite, mirrors: share.mirrors };
    const client = clientRequest();
    const ruleReq = applyRequestFilters(http, client, ruleFilters, at, { headers: true, rewrite: true });
    const req = applyRequestFilters(http, ruleReq, backendFilters, bAt, { headers: true, rewrite: true });

    const up = http.upstream(b, bAt);
    const lines: string[] = [`# ${comment(b.service)}`];
    lines.push(...responseLines(http, resp, at, true));
    lines.push(...timeoutLines(rule, at));
    // Mirrors: the rule's, then the backend's own (the plan keeps only resolved targets).
    // Each copy carries the filters listed before its mirror filter (filters apply in order).
    [...ruleFilters.mirrors.map((m, j) => ({ m, id: `${n}_${j}`, field: `${at}.filters.requestMirror`, before: client, filters: ruleFilters })),
        ...backendFilters.mirrors.map((m, j) => ({ m, id: `${n}_b${i}_${j}`, field: `${bAt}.filters.requestMirror`, before: ruleReq, filters: backendFilters }))]
        .forEach(({ m, id, field, before, filters }) => {
            if (m.endpoints.length === 0 || m.percent <= 0) return;
            const uri = `/_gk_mirror_${id}`;
            lines.push(`mirror ${uri};`);
            if (mirrorOut.some(([u]) => u === uri)) return;
            const after = m.after ?? [];
            const copy = applyRequestFilters(http, before, filters, field, { headers: after.includes("RequestHeaderModifier"), rewrite: after.includes("URLRewrite") });
            mirrorOut.push([uri, mirrorLocation(http, m, id, copy, field, rule)]);
        });
    lines.push(...forwardLines(http, req, up, at));
    return lines;
}

/**
 * One timeout for the whole exchange with the backend: backendRequest when set, else request (the
 * nginx adapter's rule until issue 12 R1 decides one for every adapter). 0 means no timeout.
 */
function timeoutLines(rule: PlanRule, at: string): string[] {
    const t = rule.timeouts;
    const [text, ms] = t?.backendRequest !== undefined ? [t.backendRequest, t.backendRequestMs] : [t?.request, t?.requestMs];
    if (text === undefined) return [];
    if (ms === undefined) throw new NginxRenderError(`${at}.timeouts: ${JSON.stringify(text)} is not a Gateway API duration`);
    return ms > 0 ? [`proxy_connect_timeout ${ms}ms;`, `proxy_send_timeout ${ms}ms;`, `proxy_read_timeout ${ms}ms;`] : [];
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

/** The directives that send `r` to upstream `up`: headers, then proxy_pass with the path and the raw query. */
function forwardLines(http: Http, r: ForwardRequest, up: string, at: string): string[] {
    const host = r.headers.get("host")!;
    const lines = [
        `proxy_set_header Host ${host.state.kind === "orig" ? "$http_host" : headerExpr(http, host, "http_host", `${at}.filters`)};`,
        "proxy_set_header Connection \"\";",
        // Hop-by-hop (simulate's HOP_BY_HOP_HEADERS): nginx already drops the others itself.
        "proxy_set_header Proxy-Connection \"\";",
    ];
    for (const [k, e] of r.headers) {
        if (k === "host" || k === "connection") continue;
        const expr = headerExpr(http, e, isVariableHeaderName(e.name) ? `http_${headerVar(k)}` : undefined, `${at}.filters.requestHeaderModifier`);
        if (expr !== undefined) lines.push(`proxy_set_header ${quoteLiteral(e.name)} ${expr};`);
    }
    lines.push("proxy_http_version 1.1;");
    // The upstream name is followed by "/" (paths are absolute) or a braced variable: never by text that extends it.
    // The backend receives the path the rules matched (the normal form), never the one sent.
    lines.push(`proxy_pass "http://${up}${pathExpr(r.path)}\${is_args}\${args}";`);
    return lines;
}

function mirrorLocation(http: Http, m: PlanMirror, id: string, r: ForwardRequest, field: string, rule: PlanRule): string[] {
    const up = http.upstream({ service: m.service!, port: m.port, endpoints: m.endpoints }, field);
    const lines = [
        "internal;",
        // A client asking for this URI directly is routed like any other request.
        "error_page 404 = @gk_dispatch;",
    ];
    if (m.percent < 100) {
        const units = Math.round(m.percent * 100);
        if (Math.abs(units - m.percent * 100) > 1e-9) http.warn(`${rule.label}: mirror percent ${m.percent} rounded to ${(units / 100).toFixed(2)}% (nginx split_clients has 0.01% granularity)`);
        if (units <= 0) return [...lines, "return 204;"];
        const v = http.split(`m${id}`, [[units, "1"], [10000 - units, ""]]);
        lines.push(`if ($${v} = "") { return 204; }`);
    }
    lines.push(...forwardLines(http, r, up, field));
    return lines;
}
