// A human-readable routing table for PR previews and stack outputs: one line per PlanRule in
// precedence order, grouped by gateway and listener. The text depends only on the plan (no
// timestamps, no randomness, no object-key order from user input), so diffing two tables shows
// exactly what a change does to routing.
//
//   gateway team-a/web (class nginx)
//     listener http HTTP :80 host *.example.com
//       shop.example.com · PathPrefix /cart · GET, header x-canary=true → team-a/cart:8080 90%, team-a/cart-v2:8080 10%  [team-a/shop rule 0]

import { GRPC_GATEWAY_ERROR_STATUS } from "./grpc";
import { HTTPHeaderFilter } from "./types";
import {
    GatewayPlan, ListenerPlan, PlanFilters, PlanForward, PlanMatch, PlanMirror, PlanPathRewrite, PlanRedirect, PlanRule, PlanURLRewrite,
    RoutingPlan, sharesInRefOrder,
} from "./plan";

export interface RoutingTableRow {
    /** "namespace/name". */
    gateway: string;
    listener: string;
    port: number;
    protocol: string;
    /** 1-based precedence rank within the listener. */
    rank: number;
    ruleId: string;
    route: string;
    /** The effective hostname, "*" for any host. */
    host: string;
    /** e.g. "PathPrefix /groups · GET, header x-canary=true". */
    match: string;
    /** Everything after "→": filters, redirect or backends. */
    action: string;
    /** The whole line as printed (without indentation). */
    text: string;
}

export function routingTableRows(plan: RoutingPlan | GatewayPlan): RoutingTableRow[] {
    const rows: RoutingTableRow[] = [];
    for (const gw of gatewaysOf(plan)) {
        for (const l of gw.listeners) {
            l.rules.forEach((rule, i) => rows.push(row(gw, l, rule, i + 1)));
        }
    }
    return rows;
}

export function routingTable(plan: RoutingPlan | GatewayPlan): string {
    const lines: string[] = [];
    for (const gw of gatewaysOf(plan)) {
        lines.push(`gateway ${gw.gateway} (class ${gw.className})`);
        for (const l of gw.listeners) {
            const v = gw.ports.find(p => p.port === l.port)?.frontendValidation;
            // spec.tls.frontend shows on each listener of the port, so a preview's table diff shows it change.
            const clients = v ? ` · client certificate ${v.mode === "AllowValidOnly" ? "required" : "asked, not required"} (CA ${v.caCertificateKeys.join(", ")})` : "";
            lines.push(`  listener ${l.name} ${l.protocol} :${l.port}${l.hostname ? ` host ${l.hostname}` : ""}${clients}`);
            if (l.rules.length === 0) lines.push("    (no rules)");
            l.rules.forEach((rule, i) => lines.push("    " + row(gw, l, rule, i + 1).text));
        }
    }
    return lines.join("\n") + "\n";
}

function gatewaysOf(plan: RoutingPlan | GatewayPlan): GatewayPlan[] {
    return "gateways" in plan ? plan.gateways : [plan];
}

function row(gw: GatewayPlan, l: ListenerPlan, rule: PlanRule, rank: number): RoutingTableRow {
    const host = rule.hostname ?? "*";
    const match = rule.protocol === "grpc" ? describeGRPCMatch(rule.match) : describeMatch(rule.match);
    const action = describeAction(rule);
    // The table's own compact form of the rule (rule.label's wording is for messages; a line is read beside many).
    const ruleLabel = rule.ruleName ?? String(rule.ruleIndex);
    const matchLabel = rule.matchIndex > 0 ? ` match ${rule.matchIndex}` : "";
    return {
        gateway: gw.gateway, listener: l.name, port: l.port, protocol: l.protocol, rank,
        ruleId: rule.id, route: rule.route, host, match, action,
        text: `${host} · ${match} → ${action}  [${rule.protocol === "grpc" ? "GRPCRoute " : ""}${rule.route} rule ${ruleLabel}${matchLabel}]`,
    };
}

export function describeMatch(m: PlanMatch): string {
    const conds: string[] = [];
    if (m.method) conds.push(m.method);
    for (const h of m.headers) conds.push(`header ${h.name}${valueOp(h.type)}${h.value}`);
    for (const q of m.queryParams) conds.push(`query ${q.name}${valueOp(q.type)}${q.value}`);
    const path = `${m.path.type} ${m.path.value}`;
    return conds.length ? `${path} · ${conds.join(", ")}` : path;
}

/** A GRPCRoute match in gRPC terms: "gRPC pkg.Svc/Method", "gRPC pkg.Svc/*", "gRPC * /Method" (no space), "gRPC ~ service/method" for patterns, "gRPC *" for every call. */
export function describeGRPCMatch(m: PlanMatch): string {
    const g = m.grpc;
    const call = !g ? "*" : g.type === "RegularExpression" ? `~ ${g.service ?? "*"}/${g.method ?? "*"}` : `${g.service ?? "*"}/${g.method ?? "*"}`;
    const conds = m.headers.map(h => `header ${h.name}${valueOp(h.type)}${h.value}`);
    return conds.length ? `gRPC ${call} · ${conds.join(", ")}` : `gRPC ${call}`;
}

function valueOp(type: string): string {
    return type === "RegularExpression" ? "~" : "=";
}

function describeAction(rule: PlanRule): string {
    const a = rule.action;
    const parts = describeFilters(rule.filters, a.kind === "forward" ? a.urlRewrite : undefined, rule.match);
    parts.push(a.kind === "redirect" ? `redirect ${describeRedirect(a, rule.match)}` : describeBackends(a, rule.match, rule.protocol === "grpc" ? `${GRPC_GATEWAY_ERROR_STATUS} UNAVAILABLE` : "500"));
    return parts.join(", ");
}

/** CORS, request/response header changes, rewrites and mirrors (dropped ones too, marked) in words; not the redirect. */
function describeFilters(f: PlanFilters, rewrite: PlanURLRewrite | undefined, m: PlanMatch): string[] {
    const out: string[] = [];
    // First: the CORS filter answers preflights before the others run.
    if (f.cors) out.push(`cors ${f.cors.allowOrigins.join(" ") || "(no origin)"}${f.cors.allowCredentials ? " with credentials" : ""}`);
    out.push(...describeHeaderFilter("", f.requestHeaderModifier));
    if (rewrite) out.push(describeRewrite(rewrite, m));
    out.push(...describeHeaderFilter("response ", f.responseHeaderModifier));
    for (const mirror of f.requestMirrors) out.push(describeMirror(mirror));
    return out;
}

function describeHeaderFilter(prefix: string, f: HTTPHeaderFilter | undefined): string[] {
    if (!f) return [];
    const out: string[] = [];
    for (const h of f.set ?? []) out.push(`${prefix}set-header ${h.name.toLowerCase()}=${h.value}`);
    for (const h of f.add ?? []) out.push(`${prefix}add-header ${h.name.toLowerCase()}=${h.value}`);
    for (const n of f.remove ?? []) out.push(`${prefix}remove-header ${n.toLowerCase()}`);
    return out;
}

function describeRewrite(rw: PlanURLRewrite, m: PlanMatch): string {
    const bits: string[] = [];
    if (rw.hostname) bits.push(`host ${rw.hostname}`);
    if (rw.path.kind === "full") bits.push(`path ${rw.path.path}`);
    else if (rw.path.kind === "prefix") bits.push(`prefix ${prefixChange(rw.path, m)}`);
    return `rewrite ${bits.join(" ") || "(nothing)"}`;
}

/** "/old ⇒ /new": the match's prefix as written, the replacement as applied ("" shown as "/"). */
function prefixChange(p: Extract<PlanPathRewrite, { kind: "prefix" }>, m: PlanMatch): string {
    return `${m.path.value} ⇒ ${p.replacement || "/"}`;
}

/**
 * Location template; parts taken from the request are shown as {scheme}, {host}, {path}. A port the
 * filter set is shown unless the filter's own scheme makes it the default; otherwise the resolved
 * port is shown unless the Location omits it.
 */
function describeRedirect(rd: PlanRedirect, m: PlanMatch): string {
    const scheme = rd.explicit.scheme ? rd.scheme : "{scheme}";
    const showPort = rd.explicit.port && !rd.explicit.scheme ? true : !rd.omitPort;
    let path = "{path}";
    if (rd.path.kind === "full") path = rd.path.path;
    else if (rd.path.kind === "prefix") path = `{path with ${prefixChange(rd.path, m)}}`;
    return `${rd.statusCode} ${scheme}://${rd.hostname ?? "{host}"}${showPort ? `:${rd.port}` : ""}${path}`;
}

function describeMirror(mirror: PlanMirror): string {
    const target = mirror.service ? `${mirror.service}${mirror.port !== undefined ? ":" + mirror.port : ""}` : "(unresolved)";
    const invalid = mirror.invalidReason ? ` (dropped: ${mirror.invalidReason})` : "";
    return `mirror ${target} ${formatPercent(mirror.percent)}${invalid}`;
}

function describeBackends(action: PlanForward, m: PlanMatch, fail: string): string {
    if (action.noBackends === "no-backendRefs") return `${fail} (no backends)`;
    if (action.noBackends === "all-weights-zero") return `${fail} (all backend weights are 0)`;
    const shares = sharesInRefOrder(action);
    // Weight-0 backends stay visible (as 0%) so that preparing a canary shows up in a diff.
    return shares.map(s => {
        const b = s.backend;
        const target = `${b.service}${b.port !== undefined ? ":" + b.port : ""}`;
        const share = shares.length > 1 ? ` ${formatPercent(100 * s.share)}` : "";
        if ("reason" in s) return `${fail} (${s.reason} ${target})${share}`;
        const own = describeFilters(b.filters, s.urlRewrite, m);
        return `${target}${share}${own.length ? ` [${own.join(", ")}]` : ""}`;
    }).join(", ");
}

/** 90 → "90%", 33.333… → "33.33%". */
function formatPercent(p: number): string {
    return `${Number(p.toFixed(2))}%`;
}
