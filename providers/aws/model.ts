// GatewayPlan → the ALB configuration as plain data: listeners, target groups and listener rules
// whose `conditions`, `actions` and `transforms` are exactly what realize.ts hands to
// lb.ListenerRule (target groups by key; realize swaps in their ARNs). evaluate.ts walks the same
// data, so the differential test checks what is deployed. Pure: no Pulumi.
//
// How the Gateway API maps onto ALB, and where it cannot:
// - One ALB listener per port. Gateway listeners sharing a port (listener isolation) become host
//   conditions; a hostnamed listener that a less specific one on the port also covers gets an
//   "isolation" rule (its hostname → 404) after its own rules, and rules of the less specific
//   listener that the more specific one fully covers are dropped (they can never be chosen).
// - Host: route ∩ listener hostname as a host-header value; on a non-default port the value
//   with ":port" is added, as clients send it in the Host header.
// - PathPrefix "/p" → path-pattern "/p" and "/p/*"; "/" → no path condition; Exact "/p" → "/p".
//   ALB patterns treat "*" and "?" as wildcards, so paths containing them are refused.
// - Headers, query params, method → http-header, query-string, http-request-method conditions.
//   ALB compares header and query values (and query names) case-insensitively: a declared
//   deviation, warned about where two rules differ only by case.
// - More than 5 condition values: the OR-values (host variants, the two path patterns) are split
//   into separate rules of adjacent priority with the same action, which keeps the semantics;
//   otherwise the rule is refused.
// - Backends: one target group per gateway × service × port (ip targets from endpoints, instance
//   ids, a Lambda function, or an existing target group ARN from realizations.aws). Weights above
//   999 are scaled to 0–999 and the rounding is reported. A backend at weight 0 keeps its target
//   group and stays in the forward with weight 0 (never chosen), so a canary step — even to 0/100
//   and back — updates only the listener rule; weight-0 groups count toward ALB's 5 per forward
//   and the per-ALB target group quota.
// - Invalid backends: a rule whose traffic all goes to invalid backends (or has none, or only
//   weight-0 ones) answers a fixed 500. A rule mixing valid and invalid backends forwards the
//   invalid share to an empty target group, which ALB answers with 503 — a declared deviation
//   (the spec says 500).
// - URLRewrite → rule transforms (host-header-rewrite, url-rewrite). Redirects → redirect actions
//   (301/302; ReplacePrefixMatch cannot be expressed and is refused).

import { createHash } from "crypto";
import { isIP } from "net";
import { hostnameCovers, hostnameSpecificity } from "../../routing/hostname";
import { GatewayPlan, ListenerPlan, PlanBackend, PlanRule } from "../../routing/plan";
import type { SimMatched } from "../../routing/simulate";
import { AlbSettings, readSettings } from "./params";
import { holdsPayloadToken, payloadToken } from "../payload-token";
import { PriorityItem, assignPriorities } from "./priorities";

// ---------------------------------------------------------------- the data

/** One condition block of lb.ListenerRule (exactly one field set). */
export interface AlbCondition {
    hostHeader?: { values: string[] };
    pathPattern?: { values: string[] };
    httpHeader?: { httpHeaderName: string; values: string[] };
    httpRequestMethod?: { values: string[] };
    queryStrings?: { key?: string; value: string }[];
}

/** A forward target: a target group key of AlbModel.targetGroups (realize maps it to the ARN). */
export interface AlbForwardTarget { targetGroup: string; weight: number }

export interface AlbRedirect {
    protocol?: "HTTP" | "HTTPS";
    host?: string;
    port?: string;
    path?: string;
    statusCode: "HTTP_301" | "HTTP_302";
}

export type AlbAction =
    | { type: "forward"; forward: { targetGroups: AlbForwardTarget[] } }
    | { type: "redirect"; redirect: AlbRedirect }
    | { type: "fixed-response"; fixedResponse: { contentType: "text/plain"; statusCode: string; messageBody: string } };

export interface AlbTransform {
    type: "host-header-rewrite" | "url-rewrite";
    hostHeaderRewriteConfig?: { rewrite: { regex: string; replace: string } };
    urlRewriteConfig?: { rewrite: { regex: string; replace: string } };
}

/** Which plan rule an ALB rule came from: the same identity simulate reports as `matched`. */
export type AlbRuleSource = SimMatched;

export interface AlbRule {
    /** Unique within its listener: the plan rule id (plus "#part" when split), or "isolate:<listener>". */
    key: string;
    /** The Pulumi resource name: from the rule's identity, never its position. */
    resourceName: string;
    priority: number;
    conditions: AlbCondition[];
    actions: AlbAction[];
    transforms?: AlbTransform[];
    /** The plan rule it realises; absent for isolation rules. */
    source?: AlbRuleSource;
    /** Keys of the target groups it forwards to. */
    targetGroups: string[];
}

export interface AlbListener {
    resourceName: string;
    port: number;
    protocol: "HTTP" | "HTTPS";
    /** The Gateway listeners it carries, most specific hostname first. */
    gatewayListeners: string[];
    /** The first is the listener's default certificate; the others are added for SNI. */
    certificateArns: string[];
    /**
     * Per certificateArns entry, the certificateRef that named it ("namespace/name", or the ARN when
     * the ref is one): its identity when the ARN is unknown in a preview (created in the same stack).
     */
    certificateRefs: string[];
    /** In priority order. */
    rules: AlbRule[];
}

export interface AlbTarget {
    /** IP address, instance id or Lambda function ARN. */
    id: string;
    port?: number;
    /** The target is unknown in this preview (id is a payload token), and so is its port. */
    unknown?: true;
}

/** Marks targets whose id stands for a value unknown in this preview. */
function withUnknown(t: AlbTarget): AlbTarget {
    return holdsPayloadToken(t.id) ? { ...t, unknown: true } : t;
}

export interface AlbTargetGroup {
    key: string;
    /** "namespace/name" of the service; "" for the invalid-backends group. */
    service: string;
    servicePort?: number;
    resourceName: string;
    /** AWS name (≤ 32 chars), content-hashed: a change that replaces the group also renames it. */
    name: string;
    targetType: "ip" | "instance" | "lambda";
    port?: number;
    protocol?: "HTTP";
    targets: AlbTarget[];
    /** A target group that exists already (realizations.aws.targetGroupArn): nothing is created. */
    existingArn?: string;
    /** The empty group that invalid backends' shares go to (ALB answers 503). */
    invalid?: boolean;
}

export interface AlbModel {
    gateway: string;
    resourcePrefix: string;
    loadBalancer: { resourceName: string; name: string };
    listeners: AlbListener[];
    targetGroups: AlbTargetGroup[];
}

export interface AlbBuild {
    model: AlbModel;
    settings: AlbSettings;
    /** Refusals: the plan cannot be realised as written. */
    problems: string[];
    /** Deployable, but the data plane may behave unlike the spec (case-insensitive collisions, …). */
    warnings: string[];
    /** For information: weight rounding, dropped unreachable rules, split rules. */
    notes: string[];
}

export const INVALID_TARGET_GROUP = "invalid-backends";
const MAX_CONDITION_VALUES = 5;
const MAX_TARGET_GROUPS_PER_FORWARD = 5;
const MAX_WEIGHT = 999;
const MAX_PATTERN_LENGTH = 128;
const MAX_HEADER_NAME_LENGTH = 40;
// Characters ALB accepts in a path pattern besides the wildcards.
const PATH_CHARS = /^[A-Za-z0-9_\-.$/~"'@:+&]*$/;

// ---------------------------------------------------------------- names

export function shortHash(s: string, n = 8): string {
    return createHash("sha256").update(s).digest("hex").slice(0, n);
}

export function slug(s: string): string {
    return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

/** An AWS-style name ≤ 32 chars: readable stem, then a hash of everything that makes the object what it is. */
function awsName(stem: string, content: string): string {
    // Hashed from a value unknown in this preview (e.g. the VPC id): the name is unknown too.
    if (holdsPayloadToken(content)) return payloadToken();
    const head = slug(stem).slice(0, 23).replace(/-+$/, "");
    return `${head}-${shortHash(content)}`;
}

function ruleLabel(r: { route: string; ruleIndex: number; ruleName?: string }): string {
    return `HTTPRoute ${r.route} rule ${r.ruleIndex}` + (r.ruleName ? ` (${r.ruleName})` : "");
}

// ---------------------------------------------------------------- build

interface Entry {
    item: PriorityItem;
    /** Sort key of the listener's merged order. */
    order: [number, number, string, number, number, number];
    rule: Omit<AlbRule, "priority">;
}

export function buildAlbModel(plan: GatewayPlan, parameters: Record<string, unknown>): AlbBuild {
    const { settings, problems } = readSettings(parameters, plan.gateway);
    const warnings: string[] = [];
    const notes: string[] = [];
    const prefix = slug(`${plan.namespace}-${plan.name}`);
    const model: AlbModel = {
        gateway: plan.gateway,
        resourcePrefix: prefix,
        loadBalancer: { resourceName: prefix, name: awsName(`${plan.namespace}-${plan.name}`, `${plan.gateway}|${settings.internal}`) },
        listeners: [],
        targetGroups: [],
    };
    const tgs = new Map<string, AlbTargetGroup>();
    const ctx: Ctx = { plan, settings, problems, warnings, notes, tgs, prefix };

    const byPort = new Map<number, ListenerPlan[]>();
    for (const l of plan.listeners) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);
    for (const [port, listeners] of [...byPort].sort((a, b) => a[0] - b[0])) {
        const protocols = [...new Set(listeners.map(l => l.protocol))];
        if (protocols.length > 1) {
            problems.push(`Gateway ${plan.gateway}: listeners ${listeners.map(l => l.name).join(", ")} share port ${port} with protocols ${protocols.join(" and ")}; ` +
                "an ALB listener has one protocol per port: move one of them to another port");
            continue;
        }
        const alb = buildListener(ctx, port, protocols[0], listeners);
        if (alb) model.listeners.push(alb);
    }
    model.targetGroups = [...tgs.values()];

    // Limits: rules per load balancer, target groups per load balancer.
    const rules = model.listeners.flatMap(l => [...l.rules].sort(planOrder));
    if (rules.length > settings.rulesQuota) {
        const first = rules[settings.rulesQuota];
        const who = first.source ? ruleLabel(first.source) : `the isolation rule ${first.key}`;
        problems.push(`Gateway ${plan.gateway} needs ${rules.length} ALB listener rules, over the rules quota of ${settings.rulesQuota} ` +
            `(parameters.aws.rulesQuota); ${who} is the first past it: split the routes across gateways, or raise the ` +
            "\"Rules per Application Load Balancer\" quota in AWS Service Quotas and set rulesQuota");
    }
    const created = model.targetGroups.length;
    if (created > settings.targetGroupsQuota) {
        const over = model.targetGroups[settings.targetGroupsQuota];
        problems.push(`Gateway ${plan.gateway} needs ${created} target groups, over the quota of ${settings.targetGroupsQuota} (parameters.aws.targetGroupsQuota); ` +
            `the backend ${over.service}:${over.servicePort} is the first past it: split the routes across gateways or raise the quota and set targetGroupsQuota`);
    }
    const needsVpc = model.targetGroups.some(t => !t.existingArn && t.targetType !== "lambda");
    if (needsVpc && !settings.vpcId) {
        problems.push(`Gateway ${plan.gateway}: GatewayClass parameters.aws.vpcId is required for the target groups of ` +
            `${model.targetGroups.filter(t => !t.existingArn && t.targetType !== "lambda").map(t => t.service || "invalid backends").join(", ")}; set vpcId`);
    }
    if (settings.securityGroupIngressCidrs && !settings.vpcId) {
        problems.push(`Gateway ${plan.gateway}: GatewayClass parameters.aws.securityGroupIngressCidrs creates a security group, which needs parameters.aws.vpcId; set vpcId`);
    }
    return { model, settings, problems: [...new Set(problems)], warnings: [...new Set(warnings)], notes: [...new Set(notes)] };
}

/** Plan order across listeners, for naming the rule that pushes past a quota. */
function planOrder(a: AlbRule, b: AlbRule): number {
    if (!a.source !== !b.source) return a.source ? -1 : 1;
    return a.priority - b.priority;
}

interface Ctx {
    plan: GatewayPlan;
    settings: AlbSettings;
    problems: string[];
    warnings: string[];
    notes: string[];
    tgs: Map<string, AlbTargetGroup>;
    prefix: string;
}

function moreSpecific(a: string | undefined, b: string | undefined): boolean {
    const [an, al] = hostnameSpecificity(a), [bn, bl] = hostnameSpecificity(b);
    return an !== bn ? an > bn : al > bl;
}

function covers(listenerHost: string | undefined, h: string | undefined): boolean {
    if (listenerHost === undefined) return true;
    return h !== undefined && hostnameCovers(listenerHost, h);
}

function buildListener(ctx: Ctx, port: number, protocol: "HTTP" | "HTTPS", listeners: ListenerPlan[]): AlbListener | undefined {
    const { plan } = ctx;
    const ordered = [...listeners].sort((a, b) => (moreSpecific(a.hostname, b.hostname) ? -1 : moreSpecific(b.hostname, a.hostname) ? 1 : 0));
    const alb: AlbListener = {
        resourceName: `${ctx.prefix}-${protocol.toLowerCase()}-${port}`,
        port, protocol,
        gatewayListeners: ordered.map(l => l.name),
        certificateArns: [],
        certificateRefs: [],
        rules: [],
    };
    if (protocol === "HTTPS") {
        for (const l of ordered) {
            for (const ref of l.tls?.certificateRefs ?? []) {
                const ns = ref.namespace ?? plan.namespace;
                const arn = ref.name.startsWith("arn:") ? ref.name : ctx.settings.certificateArns[`${ns}/${ref.name}`] ?? ctx.settings.certificateArns[ref.name];
                if (arn === undefined) {
                    ctx.problems.push(`Gateway ${plan.gateway} listener ${l.name}: certificateRef ${JSON.stringify(ref.name)} is neither an ACM certificate ARN ` +
                        "nor a key of GatewayClass parameters.aws.certificateArns; write the ARN (arn:aws:acm:…) as the certificateRef name, or map the name to an ARN in certificateArns");
                } else if (!alb.certificateArns.includes(arn)) {
                    alb.certificateArns.push(arn);
                    alb.certificateRefs.push(ref.name.startsWith("arn:") ? ref.name : `${ns}/${ref.name}`);
                }
            }
        }
        if (alb.certificateArns.length === 0) return undefined;
    }

    const entries: Entry[] = [];
    ordered.forEach((l, li) => {
        const shadowing = ordered.slice(0, li).filter(o => moreSpecific(o.hostname, l.hostname));
        l.rules.forEach((rule, ri) => {
            const owner = shadowing.find(o => covers(o.hostname, rule.hostname));
            if (owner) {
                ctx.notes.push(`${ruleLabel(rule)} on listener ${l.name} is not realised for host ${rule.hostname ?? "*"}: listener ${owner.name} ` +
                    "is more specific for every such host, so the rule can never be chosen");
                return;
            }
            entries.push(...translateRule(ctx, l, alb, rule, li, ri));
        });
        // Isolation: hosts of this listener must not fall through to a less specific listener's rules.
        const fallsThrough = ordered.slice(li + 1).some(o => moreSpecific(l.hostname, o.hostname) && covers(o.hostname, l.hostname));
        if (l.hostname !== undefined && fallsThrough) {
            const key = `isolate:${l.name}`;
            entries.push({
                item: { key, hostname: l.hostname, path: { type: "PathPrefix", value: "/" }, headers: [], queries: [] },
                order: hostOrder(l.hostname, li, Number.MAX_SAFE_INTEGER, 0),
                rule: {
                    key, resourceName: `${ctx.prefix}-${port}-isolate-${slug(l.name)}`,
                    conditions: [{ hostHeader: { values: hostValues(l.hostname, port, protocol) } }],
                    actions: [fixedResponse(404, "Not Found")],
                    targetGroups: [],
                },
            });
        }
    });

    entries.sort((a, b) => compareOrder(a.order, b.order));
    const { priorities, overflow } = assignPriorities(entries.map(e => e.item));
    for (const key of overflow) {
        const e = entries.find(x => x.item.key === key)!;
        ctx.problems.push(`${e.rule.source ? ruleLabel(e.rule.source) : key}: no free ALB rule priority left on port ${port} (1–50000); split the routes across gateways`);
    }
    alb.rules = entries.filter(e => priorities.has(e.item.key))
        .map(e => ({ ...e.rule, priority: priorities.get(e.item.key)! }))
        .sort((a, b) => a.priority - b.priority);
    caseWarnings(ctx, alb);
    return alb;
}

/** Merged order of one ALB listener: hostname specificity as the plan orders it, then the plan's order. */
function hostOrder(hostname: string | undefined, listenerIndex: number, ruleIndex: number, part: number): Entry["order"] {
    const [n, l] = hostnameSpecificity(hostname);
    return [-n, -l, hostname ?? "", listenerIndex, ruleIndex, part];
}

function compareOrder(a: Entry["order"], b: Entry["order"]): number {
    for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

function hostValues(hostname: string, port: number, protocol: string): string[] {
    const defaultPort = protocol === "HTTPS" ? 443 : 80;
    return port === defaultPort ? [hostname] : [hostname, `${hostname}:${port}`];
}

function fixedResponse(status: number, body: string): AlbAction {
    return { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: String(status), messageBody: body } };
}

function hasWildcard(s: string): boolean {
    return s.includes("*") || s.includes("?");
}

/** One plan rule → one ALB rule, or several when the condition values must be split. */
function translateRule(ctx: Ctx, l: ListenerPlan, alb: AlbListener, rule: PlanRule, li: number, ri: number): Entry[] {
    const who = ruleLabel(rule);
    const problems: string[] = [];
    const m = rule.match;

    // Conditions, as OR-groups that may be split (host, path) and AND-ed singles.
    const hosts = rule.hostname !== undefined ? hostValues(rule.hostname, alb.port, alb.protocol) : [];
    let paths: string[] = [];
    if (m.path.type === "RegularExpression") {
        problems.push(`${who}: RegularExpression paths are not supported on ALB; use PathPrefix or Exact`);
    } else if (hasWildcard(m.path.value)) {
        problems.push(`${who}: path ${JSON.stringify(m.path.value)} contains "*" or "?", which ALB path patterns read as wildcards; ` +
            "an exact match cannot be expressed: remove them from the path");
    } else if (!PATH_CHARS.test(m.path.value)) {
        problems.push(`${who}: path ${JSON.stringify(m.path.value)} has characters ALB path patterns do not accept ` +
            "(allowed: A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + &); use a path without them");
    } else if (m.path.type === "Exact") {
        paths = [m.path.value];
    } else {
        const p = m.path.value.endsWith("/") ? m.path.value.slice(0, -1) : m.path.value;
        paths = p === "" ? [] : [p, `${p}/*`];
    }
    for (const v of [...hosts, ...paths]) {
        if (v.length > MAX_PATTERN_LENGTH) problems.push(`${who}: condition value ${JSON.stringify(v)} is longer than ALB's ${MAX_PATTERN_LENGTH} characters; shorten it`);
    }
    const singles: AlbCondition[] = [];
    if (m.method) singles.push({ httpRequestMethod: { values: [m.method] } });
    const seenHeaders = new Set<string>();
    for (const h of m.headers) {
        const name = h.name.toLowerCase();
        if (seenHeaders.has(name)) continue; // only the first matcher for a name counts (the spec)
        seenHeaders.add(name);
        if (name === "host") problems.push(`${who}: a header match on Host cannot be an ALB http-header condition; use the route's hostnames`);
        else if (h.name.length > MAX_HEADER_NAME_LENGTH) problems.push(`${who}: header name ${JSON.stringify(h.name)} is longer than ALB's ${MAX_HEADER_NAME_LENGTH} characters`);
        if (hasWildcard(h.value)) problems.push(`${who}: header ${h.name} value ${JSON.stringify(h.value)} contains "*" or "?", which ALB reads as wildcards; an exact match cannot be expressed`);
        if (h.value.length > MAX_PATTERN_LENGTH) problems.push(`${who}: header ${h.name} value is longer than ALB's ${MAX_PATTERN_LENGTH} characters`);
        singles.push({ httpHeader: { httpHeaderName: h.name, values: [h.value] } });
    }
    const seenQueries = new Set<string>();
    for (const q of m.queryParams) {
        if (seenQueries.has(q.name)) continue;
        seenQueries.add(q.name);
        if (hasWildcard(q.name) || hasWildcard(q.value)) {
            problems.push(`${who}: query param ${q.name}=${q.value} contains "*" or "?", which ALB reads as wildcards; an exact match cannot be expressed`);
        }
        singles.push({ queryStrings: [{ key: q.name, value: q.value }] });
    }

    // ≤ 5 condition values per rule: split OR-values into rules with the same action, adjacent in order.
    const count = (h: number, p: number) => h + p + singles.length;
    const splits: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
    const split = splits.find(([sh, sp]) => count(sh ? Math.min(hosts.length, 1) : hosts.length, sp ? Math.min(paths.length, 1) : paths.length) <= MAX_CONDITION_VALUES);
    if (!split) {
        problems.push(`${who}: match ${rule.matchIndex} needs ${count(Math.min(hosts.length, 1), Math.min(paths.length, 1))} ALB condition values, ` +
            `over ALB's ${MAX_CONDITION_VALUES} per rule (host, path, method, one per header and query param); match on fewer headers or query params`);
    }

    const { actions, transforms, targetGroups } = translateAction(ctx, rule, problems);
    ctx.problems.push(...problems);
    if (problems.length > 0 || !split) return [];

    const hostGroups = split[0] ? hosts.map(h => [h]) : [hosts];
    const pathGroups = split[1] ? paths.map(p => [p]) : [paths];
    const parts: AlbCondition[][] = [];
    for (const hg of hostGroups) {
        for (const pg of pathGroups) {
            const conds: AlbCondition[] = [];
            if (hg.length > 0) conds.push({ hostHeader: { values: hg } });
            if (pg.length > 0) conds.push({ pathPattern: { values: pg } });
            // ALB requires at least one condition: a catch-all matches every path.
            if (conds.length + singles.length === 0) conds.push({ pathPattern: { values: ["/*"] } });
            parts.push([...conds, ...singles]);
        }
    }
    if (parts.length > 1) ctx.notes.push(`${who}: match ${rule.matchIndex} is split into ${parts.length} ALB rules to stay within ${MAX_CONDITION_VALUES} condition values per rule`);
    const ruleSlug = slug(rule.ruleName ?? String(rule.ruleIndex));
    const baseName = `${ctx.prefix}-${alb.port}-${slug(rule.route)}-${ruleSlug}-m${rule.matchIndex}-${shortHash(rule.id, 6)}`;
    const source: AlbRuleSource = { ruleId: rule.id, route: rule.route, ruleIndex: rule.ruleIndex, matchIndex: rule.matchIndex };
    if (rule.ruleName !== undefined) source.ruleName = rule.ruleName;
    if (rule.hostname !== undefined) source.hostname = rule.hostname;
    return parts.map((conditions, k) => {
        const key = parts.length > 1 ? `${rule.id}#${k}` : rule.id;
        return {
            item: priorityItem(key, rule),
            order: hostOrder(rule.hostname, li, ri, k),
            rule: {
                key, resourceName: parts.length > 1 ? `${baseName}-p${k}` : baseName,
                conditions, actions, ...(transforms.length ? { transforms } : {}), source, targetGroups,
            },
        };
    });
}

/** What the priority assignment needs of a plan rule (first matcher per header/query name, as the spec says). */
export function priorityItem(key: string, rule: PlanRule): PriorityItem {
    const m = rule.match;
    const firstBy = <T extends { name: string; value: string }>(xs: T[], norm: (n: string) => string) =>
        xs.filter((x, i) => xs.findIndex(y => norm(y.name) === norm(x.name)) === i).map(x => ({ name: x.name, value: x.value }));
    return {
        key, hostname: rule.hostname,
        path: { type: m.path.type === "Exact" ? "Exact" : "PathPrefix", value: m.path.value },
        method: m.method,
        headers: firstBy(m.headers, n => n.toLowerCase()),
        queries: firstBy(m.queryParams, n => n),
    };
}

function escapeRegex(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function translateAction(ctx: Ctx, rule: PlanRule, problems: string[]): { actions: AlbAction[]; transforms: AlbTransform[]; targetGroups: string[] } {
    const who = ruleLabel(rule);
    const f = rule.filters;
    const transforms: AlbTransform[] = [];
    if (f.requestRedirect) {
        const rd = f.requestRedirect;
        const code = rd.statusCode ?? 302;
        if (code !== 301 && code !== 302) problems.push(`${who}: ALB redirects answer 301 or 302, not ${code}; use statusCode 301 or 302`);
        const redirect: AlbRedirect = { statusCode: code === 301 ? "HTTP_301" : "HTTP_302" };
        if (rd.scheme) redirect.protocol = rd.scheme === "https" ? "HTTPS" : "HTTP";
        if (rd.hostname) redirect.host = rd.hostname;
        if (rd.port !== undefined) redirect.port = String(rd.port);
        else if (rd.scheme) redirect.port = rd.scheme === "https" ? "443" : "80";
        if (rd.path?.type === "ReplaceFullPath") {
            redirect.path = rd.path.replaceFullPath ?? "/";
            if (redirect.path.includes("#{")) problems.push(`${who}: redirect path ${JSON.stringify(redirect.path)} contains "#{", which ALB reads as a placeholder`);
        } else if (rd.path) {
            problems.push(`${who}: an ALB redirect cannot replace a path prefix (ReplacePrefixMatch); use ReplaceFullPath, or a URLRewrite and a backend that redirects`);
        }
        if (!redirect.protocol && !redirect.host && !redirect.port && !redirect.path) {
            problems.push(`${who}: this redirect changes neither scheme, hostname, port nor path, and ALB refuses redirects to the same URL; set one of them`);
        }
        return { actions: [{ type: "redirect", redirect }], transforms, targetGroups: [] };
    }
    if (f.urlRewrite?.hostname !== undefined) {
        transforms.push({ type: "host-header-rewrite", hostHeaderRewriteConfig: { rewrite: { regex: "^.*$", replace: f.urlRewrite.hostname } } });
    }
    const pm = f.urlRewrite?.path;
    if (pm) {
        let rewrite: { regex: string; replace: string };
        if (pm.type === "ReplaceFullPath") {
            rewrite = { regex: "^.*$", replace: pm.replaceFullPath ?? "/" };
        } else {
            const strip = (s: string) => (s.endsWith("/") ? s.slice(0, -1) : s);
            const p = strip(rule.match.path.value);
            const r = strip(pm.replacePrefixMatch ?? "/");
            // Matches what routing/simulate's replacePrefix does: "/p/x" → r + "/x"; "/p" → r, or "/" when r is empty.
            rewrite = r === "" && p !== "" ? { regex: `^${escapeRegex(p)}/?(.*)$`, replace: "/$1" } : { regex: `^${escapeRegex(p)}(.*)$`, replace: `${r}$1` };
        }
        if (rewrite.replace.replace(/\$1$/, "").includes("$")) problems.push(`${who}: URLRewrite path ${JSON.stringify(rewrite.replace)} contains "$", which ALB reads as a capture reference`);
        transforms.push({ type: "url-rewrite", urlRewriteConfig: { rewrite } });
    }

    // A valid backend at weight 0 keeps its target group and stays in the forward with weight 0
    // (ALB takes 0–999): stepping a canary to 0/100 and back then updates only this rule.
    const shares = new Map<string, number>();
    let invalid = 0;
    for (const b of rule.backends) {
        if (b.filters.urlRewrite || b.filters.requestRedirect) {
            problems.push(`${who}: backend ${b.service} has its own URLRewrite/RequestRedirect filter; ALB transforms apply per rule, not per backend: move the filter to the rule`);
        }
        if (b.invalidReason) { invalid += Math.max(b.weight, 0); continue; }
        const key = targetGroupFor(ctx, b, who, problems);
        if (key !== undefined) shares.set(key, (shares.get(key) ?? 0) + Math.max(b.weight, 0));
    }
    if ([...shares.values()].every(w => w === 0)) {
        // Nothing valid carries weight (none at all, all weights 0, or only invalid shares): the
        // whole rule answers 500, as the spec says. Weight-0 target groups are still kept.
        return { actions: [fixedResponse(500, "Internal Server Error")], transforms, targetGroups: [] };
    }
    if (invalid > 0) {
        const valid = [...shares.values()].reduce((a, b) => a + b, 0);
        shares.set(INVALID_TARGET_GROUP, invalid);
        if (!ctx.tgs.has(INVALID_TARGET_GROUP)) {
            ctx.tgs.set(INVALID_TARGET_GROUP, {
                key: INVALID_TARGET_GROUP, service: "", resourceName: `${ctx.prefix}-invalid-backends`,
                name: awsName(`${ctx.plan.name}-invalid`, `${ctx.plan.gateway}|invalid|${ctx.settings.vpcId}`),
                targetType: "ip", port: 80, protocol: "HTTP", targets: [], invalid: true,
            });
        }
        ctx.warnings.push(`${who}: weight ${invalid} of ${valid + invalid} goes to invalid backends ` +
            "(see the route's ResolvedRefs condition); ALB answers that share with 503 from an empty target group, where the spec says 500");
    }
    if (shares.size > MAX_TARGET_GROUPS_PER_FORWARD) {
        const idle = [...shares.values()].filter(w => w === 0).length;
        const counting = [invalid > 0 ? "the one for invalid backends" : "", idle > 0 ? `${idle} at weight 0, which ALB still counts` : ""].filter(Boolean);
        problems.push(`${who}: forwards to ${shares.size} target groups${counting.length ? ` (counting ${counting.join(" and ")})` : ""}, ` +
            `over ALB's ${MAX_TARGET_GROUPS_PER_FORWARD} per rule; split the traffic across fewer backends, or drop the weight-0 backendRefs`);
    }
    const targetGroups = [...shares.keys()];
    const weights = scaleWeights([...shares.values()]);
    if (weights.changed) {
        ctx.notes.push(`${who}: weights ${[...shares.values()].join("/")} scaled to ${weights.values.join("/")} (ALB weights are 0–999); ` +
            `the largest share moves by ${(weights.maxError * 100).toFixed(3)} percentage points`);
    }
    return {
        actions: [{ type: "forward", forward: { targetGroups: targetGroups.map((tg, i) => ({ targetGroup: tg, weight: weights.values[i] })) } }],
        transforms, targetGroups,
    };
}

/** Weights within 0–999 stay as written; larger ones scale so the largest is 999 (never to 0). */
export function scaleWeights(ws: number[]): { values: number[]; changed: boolean; maxError: number } {
    const max = Math.max(...ws);
    if (max <= MAX_WEIGHT && ws.every(Number.isInteger)) return { values: ws, changed: false, maxError: 0 };
    const values = ws.map(w => (w > 0 ? Math.max(1, Math.round((w * MAX_WEIGHT) / max)) : 0));
    const sum = ws.reduce((a, b) => a + b, 0), scaled = values.reduce((a, b) => a + b, 0);
    const maxError = Math.max(...ws.map((w, i) => Math.abs(w / sum - values[i] / scaled)));
    return { values, changed: true, maxError };
}

function targetGroupFor(ctx: Ctx, b: PlanBackend, who: string, problems: string[]): string | undefined {
    if (b.port === undefined) {
        problems.push(`${who}: backend ${b.service} has no port; give backendRefs[].port`);
        return undefined;
    }
    const key = `${b.service}:${b.port}`;
    if (ctx.tgs.has(key)) return key;
    const hints = (b.serviceSpec?.realizations?.aws ?? {}) as { targetGroupArn?: unknown; instanceIds?: unknown; lambdaFunctionArn?: unknown };
    const servicePort = b.serviceSpec?.ports.find(p => p.port === b.port);
    const targetPort = servicePort?.targetPort ?? b.port;
    const base = { key, service: b.service, servicePort: b.port, resourceName: `${ctx.prefix}-${slug(b.service)}-${b.port}` };
    const vpc = ctx.settings.vpcId ?? "";
    let tg: AlbTargetGroup;
    if (typeof hints.targetGroupArn === "string") {
        tg = { ...base, name: "", targetType: "ip", targets: [], existingArn: hints.targetGroupArn };
    } else if (typeof hints.lambdaFunctionArn === "string") {
        tg = { ...base, name: awsName(`${b.service.split("/")[1]}-fn`, `${ctx.plan.gateway}|${key}|lambda`), targetType: "lambda", targets: [{ id: hints.lambdaFunctionArn }] };
    } else if (Array.isArray(hints.instanceIds)) {
        const ids = hints.instanceIds.filter((x): x is string => typeof x === "string");
        tg = {
            ...base, name: awsName(`${b.service.split("/")[1]}-${b.port}`, `${ctx.plan.gateway}|${key}|instance|HTTP|${targetPort}|${vpc}`),
            targetType: "instance", port: targetPort, protocol: "HTTP", targets: ids.map(id => ({ id, port: targetPort })),
        };
    } else {
        // An address unknown in this preview (a payload token) is taken for the IP the update will check.
        const bad = b.endpoints.filter(e => isIP(e.address) === 0 && !holdsPayloadToken(e.address));
        if (bad.length > 0) {
            problems.push(`${who}: backend ${b.service} has endpoints that are not IP addresses (${bad.map(e => e.address).join(", ")}); ` +
                "ALB ip targets need IPs: list IPs, or set the Service's realizations.aws (instanceIds, lambdaFunctionArn or targetGroupArn)");
            return undefined;
        }
        tg = {
            ...base, name: awsName(`${b.service.split("/")[1]}-${b.port}`, `${ctx.plan.gateway}|${key}|ip|HTTP|${targetPort}|${vpc}`),
            targetType: "ip", port: targetPort, protocol: "HTTP",
            targets: b.endpoints.map(e => ({ id: e.address, port: e.port ?? targetPort })),
        };
    }
    ctx.tgs.set(key, { ...tg, targets: tg.targets.map(withUnknown) });
    return key;
}

/** Two rules whose header/query values differ only by case collide on ALB: the first takes both. */
function caseWarnings(ctx: Ctx, alb: AlbListener): void {
    const seen = new Map<string, { value: string; who: string }>();
    for (const r of alb.rules) {
        if (!r.source) continue;
        for (const c of r.conditions) {
            const pairs: [string, string, string][] = [];
            if (c.httpHeader) pairs.push([`header ${c.httpHeader.httpHeaderName.toLowerCase()}`, c.httpHeader.httpHeaderName.toLowerCase(), c.httpHeader.values[0]]);
            for (const q of c.queryStrings ?? []) pairs.push([`query param ${q.key}`, `?${(q.key ?? "").toLowerCase()}`, `${q.key}=${q.value}`]);
            for (const [label, name, value] of pairs) {
                const key = `${name}\u0000${value.toLowerCase()}`;
                const prev = seen.get(key);
                const who = ruleLabel(r.source);
                if (prev && prev.value !== value && prev.who !== who) {
                    ctx.warnings.push(`${who} and ${prev.who} match ${label} as ${JSON.stringify(value)} and ${JSON.stringify(prev.value)}; ` +
                        "ALB compares header and query values (and query names) case-insensitively, so the rule of higher precedence takes both: make them differ by more than case");
                } else if (!prev) {
                    seen.set(key, { value, who });
                }
            }
        }
    }
}
