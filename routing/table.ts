// A human-readable routing table for PR previews and stack outputs: one line per PlanRule in
// precedence order, grouped by gateway and listener. The text depends only on the plan (no
// timestamps, no randomness, no object-key order from user input), so diffing two tables shows
// exactly what a change does to routing.
//
//   gateway team-a/web (class nginx)
//     listener http HTTP :80 host *.example.com
//       shop.example.com · PathPrefix /cart · GET, header x-canary=true → team-a/cart:8080 90%, team-a/cart-v2:8080 10%  [team-a/shop rule 0]

import { HTTPHeaderFilter, HTTPPathModifier, HTTPRequestRedirectFilter, HTTPURLRewriteFilter } from "./types";
import { GatewayPlan, ListenerPlan, PlanBackend, PlanFilters, PlanMatch, PlanMirror, PlanRule, RoutingPlan } from "./plan";

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
            lines.push(`  listener ${l.name} ${l.protocol} :${l.port}${l.hostname ? ` host ${l.hostname}` : ""}`);
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
    const match = describeMatch(rule.match);
    const action = describeAction(rule, l);
    const ruleLabel = rule.ruleName ?? String(rule.ruleIndex);
    const matchLabel = rule.matchIndex > 0 ? ` match ${rule.matchIndex}` : "";
    return {
        gateway: gw.gateway, listener: l.name, port: l.port, protocol: l.protocol, rank,
        ruleId: rule.id, route: rule.route, host, match, action,
        text: `${host} · ${match} → ${action}  [${rule.route} rule ${ruleLabel}${matchLabel}]`,
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

function valueOp(type: string): string {
    return type === "RegularExpression" ? "~" : "=";
}

function describeAction(rule: PlanRule, l: ListenerPlan): string {
    const parts = describeFilters(rule.filters, rule.match);
    if (rule.filters.requestRedirect) {
        parts.push(`redirect ${describeRedirect(rule.filters.requestRedirect, rule.match, l)}`);
        return parts.join(", ");
    }
    parts.push(describeBackends(rule.backends, rule.match));
    return parts.join(", ");
}

/** Request/response header changes, rewrites and mirrors in words (not the redirect). */
function describeFilters(f: PlanFilters, m: PlanMatch): string[] {
    const out: string[] = [];
    out.push(...describeHeaderFilter("", f.requestHeaderModifier));
    if (f.urlRewrite) out.push(describeRewrite(f.urlRewrite, m));
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

function describeRewrite(rw: HTTPURLRewriteFilter, m: PlanMatch): string {
    const bits: string[] = [];
    if (rw.hostname) bits.push(`host ${rw.hostname}`);
    if (rw.path) bits.push(describePathModifier(rw.path, m));
    return `rewrite ${bits.join(" ") || "(nothing)"}`;
}

function describePathModifier(p: HTTPPathModifier, m: PlanMatch): string {
    if (p.type === "ReplaceFullPath") return `path ${p.replaceFullPath ?? "/"}`;
    return `prefix ${m.path.value} ⇒ ${p.replacePrefixMatch ?? "/"}`;
}

/** Location template; parts taken from the request are shown as {scheme}, {host}, {path}. */
function describeRedirect(rd: HTTPRequestRedirectFilter, m: PlanMatch, l: ListenerPlan): string {
    const scheme = rd.scheme ?? "{scheme}";
    let port = "";
    if (rd.port !== undefined) {
        const wellKnown = (rd.scheme === "http" && rd.port === 80) || (rd.scheme === "https" && rd.port === 443);
        port = wellKnown ? "" : `:${rd.port}`;
    } else if (!rd.scheme) {
        const listenerDefault = (l.protocol === "HTTP" && l.port === 80) || (l.protocol === "HTTPS" && l.port === 443);
        port = listenerDefault ? "" : `:${l.port}`;
    }
    let path = "{path}";
    if (rd.path?.type === "ReplaceFullPath") path = rd.path.replaceFullPath ?? "/";
    else if (rd.path?.type === "ReplacePrefixMatch") path = `{path with ${m.path.value} ⇒ ${rd.path.replacePrefixMatch ?? "/"}}`;
    return `${rd.statusCode ?? 302} ${scheme}://${rd.hostname ?? "{host}"}${port}${path}`;
}

function describeMirror(mirror: PlanMirror): string {
    const target = mirror.service ? `${mirror.service}${mirror.port !== undefined ? ":" + mirror.port : ""}` : "(unresolved)";
    const invalid = mirror.invalidReason ? ` (dropped: ${mirror.invalidReason})` : "";
    return `mirror ${target} ${formatPercent(mirror.percent)}${invalid}`;
}

function describeBackends(backends: PlanBackend[], m: PlanMatch): string {
    const total = backends.reduce((s, b) => s + b.weight, 0);
    if (backends.length === 0) return "500 (no backends)";
    if (total <= 0) return "500 (all backend weights are 0)";
    // Weight-0 backends stay visible (as 0%) so that preparing a canary shows up in a diff.
    return backends.map(b => {
        const target = `${b.service}${b.port !== undefined ? ":" + b.port : ""}`;
        const share = backends.length > 1 ? ` ${formatPercent((100 * b.weight) / total)}` : "";
        if (b.invalidReason) return `500 (${b.invalidReason} ${target})${share}`;
        const own = describeFilters(b.filters, m);
        return `${target}${share}${own.length ? ` [${own.join(", ")}]` : ""}`;
    }).join(", ");
}

/** 90 → "90%", 33.333… → "33.33%". */
function formatPercent(p: number): string {
    return `${Number(p.toFixed(2))}%`;
}
