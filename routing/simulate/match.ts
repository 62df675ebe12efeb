// simulate, first half: which rule takes a request. The host's owner comes from the plan
// (GatewayPlan.ports[].hosts, the first entry whose pattern matches); its ruleIds are the candidates,
// walked in precedence order. Rules are compiled (regexes built, paths split by first segment) once
// per listener and host owner, and cached on the plan's own objects.

import { trimOws } from "../headers";
import { hostnameMatches } from "../hostname";
import { firstSegment, prefixMatches } from "../paths";
import { GatewayPlan, HostOwner, ListenerPlan, PlanMatch, PlanRule, PortPlan } from "../plan";

/** The request as the matchers see it; header and query lookups are built only when a rule needs them. */
export class RequestContext {
    private queryMap?: Map<string, string>;
    constructor(readonly method: string, readonly path: string, readonly headers: Record<string, string>, private readonly queryString: string, private readonly host: string) {}

    /** A lower-cased header's value; "host" is the request's Host when `headers` does not repeat it. */
    header(name: string): string | undefined {
        return name === "host" && !("host" in this.headers) ? trimOws(this.host) : this.headers[name];
    }

    query(name: string): string | undefined {
        if (!this.queryMap) {
            this.queryMap = new Map();
            if (this.queryString) {
                for (const pair of this.queryString.split("&")) {
                    if (!pair) continue;
                    const eq = pair.indexOf("=");
                    const n = eq < 0 ? pair : pair.slice(0, eq);
                    if (!this.queryMap.has(n)) this.queryMap.set(n, eq < 0 ? "" : pair.slice(eq + 1));
                }
            }
        }
        return this.queryMap.get(name);
    }
}

// ---------------------------------------------------------------- host owners

/** A port's host entries by pattern (undefined: any host), so the first match is found without a scan. */
const ownerIndexes = new WeakMap<PortPlan, Map<string | undefined, number>>();

/**
 * The first of `port.hosts` whose pattern matches `host` (already normalised). The patterns that can
 * match a host are the host itself, "*" + each of its suffixes starting at a "." (never the whole
 * host), and undefined; the first in list order among those present is the answer.
 */
export function hostOwner(port: PortPlan, host: string): HostOwner | undefined {
    let index = ownerIndexes.get(port);
    if (!index) {
        index = new Map();
        port.hosts.forEach((h, i) => { if (!index!.has(h.pattern)) index!.set(h.pattern, i); });
        ownerIndexes.set(port, index);
    }
    let best = index.get(host) ?? Infinity;
    for (let i = host.indexOf(".", 1); i > 0; i = host.indexOf(".", i + 1)) {
        const at = index.get("*" + host.slice(i));
        if (at !== undefined && at < best) best = at;
    }
    const any = index.get(undefined);
    if (any !== undefined && any < best) best = any;
    if (best === Infinity) return undefined;
    const owner = port.hosts[best];
    // Guards the shortcut above against a pattern this enumeration would not produce (none exist).
    return owner.pattern === undefined || hostnameMatches(owner.pattern, host) ? owner : undefined;
}

// ---------------------------------------------------------------- compiled rules

const EXACT = 0, PREFIX = 1, REGEX = 2;

interface ValueMatcher { name: string; exact?: string; re?: RegExp }

export interface CompiledRule {
    /** Position in listener.rules: precedence order. */
    order: number;
    rule: PlanRule;
    pathKind: number;
    /** Exact: the value; PathPrefix: the prefix without a trailing "/" ("" for "/"). */
    pathValue: string;
    pathRe?: RegExp;
    /** First path segment every matching path has; undefined when any path may match. */
    segment?: string;
    method?: string;
    headers: ValueMatcher[];
    queries: ValueMatcher[];
}

/** One host owner's candidate rules, split by first path segment; both lists stay in precedence order. */
interface OwnerRules {
    listener: ListenerPlan;
    bySegment: Map<string, CompiledRule[]>;
    anySegment: CompiledRule[];
}

const EMPTY: CompiledRule[] = [];
const listenerRules = new WeakMap<ListenerPlan, CompiledRule[]>();
const ownerRules = new WeakMap<HostOwner, OwnerRules>();

function compiledRules(l: ListenerPlan): CompiledRule[] {
    let rules = listenerRules.get(l);
    if (!rules) listenerRules.set(l, rules = l.rules.map(compileRule));
    return rules;
}

function rulesOfOwner(gw: GatewayPlan, owner: HostOwner): OwnerRules {
    let o = ownerRules.get(owner);
    if (o) return o;
    const listener = gw.listeners.find(l => l.name === owner.listener);
    if (!listener) throw new Error(`simulate: gateway ${gw.gateway}: host entry ${owner.pattern ?? "(any host)"} names listener ${owner.listener}, which the plan does not have; plans come from compile()`);
    o = { listener, bySegment: new Map(), anySegment: [] };
    // ruleIds are a subsequence of listener.rules (both in precedence order): one walk resolves them.
    const all = compiledRules(listener);
    let j = 0;
    for (const id of owner.ruleIds) {
        while (j < all.length && all[j].rule.id !== id) j++;
        if (j === all.length) throw new Error(`simulate: gateway ${gw.gateway}: host entry ${owner.pattern ?? "(any host)"} names rule ${id}, which listener ${listener.name} does not have in that order; plans come from compile()`);
        const r = all[j++];
        if (r.segment === undefined) { o.anySegment.push(r); continue; }
        const list = o.bySegment.get(r.segment);
        if (list) list.push(r); else o.bySegment.set(r.segment, [r]);
    }
    ownerRules.set(owner, o);
    return o;
}

/** The owner's listener and the first of its candidate rules that matches the request. */
export function findRule(gw: GatewayPlan, owner: HostOwner, ctx: RequestContext): { listener: ListenerPlan; hit?: CompiledRule } {
    const o = rulesOfOwner(gw, owner);
    const a = o.bySegment.get(firstSegment(ctx.path)) ?? EMPTY;
    const b = o.anySegment;
    // Merge the two precedence-ordered lists on the fly: no per-request allocation.
    let i = 0, j = 0;
    while (i < a.length || j < b.length) {
        const r = j >= b.length || (i < a.length && a[i].order < b[j].order) ? a[i++] : b[j++];
        if (ruleMatches(r, ctx)) return { listener: o.listener, hit: r };
    }
    return { listener: o.listener };
}

function compileRule(rule: PlanRule, order: number): CompiledRule {
    const m: PlanMatch = rule.match;
    const where = `${rule.label} (rule ${rule.id})`;
    let pathKind: number, pathValue = m.path.value, pathRe: RegExp | undefined, segment: string | undefined;
    if (m.path.type === "Exact") {
        pathKind = EXACT;
        segment = firstSegment(pathValue);
    } else if (m.path.type === "PathPrefix") {
        pathKind = PREFIX;
        if (m.path.prefix === undefined) throw new Error(`simulate: ${where}: a PathPrefix match without path.prefix; plans come from compile()`);
        pathValue = m.path.prefix;
        segment = pathValue === "" ? undefined : firstSegment(pathValue);
    } else {
        pathKind = REGEX;
        pathRe = anchored(pathValue, `${where}: match.path.value`);
    }
    return {
        order, rule, pathKind, pathValue, pathRe, segment,
        method: m.method,
        headers: m.headers.map(h => valueMatcher(h, `${where}: match.headers`)),
        queries: m.queryParams.map(q => valueMatcher(q, `${where}: match.queryParams`)),
    };
}

function valueMatcher(m: PlanMatch["headers"][number], where: string): ValueMatcher {
    return m.type === "RegularExpression" ? { name: m.name, re: anchored(m.value, `${where} ${m.name}`) } : { name: m.name, exact: m.value };
}

function anchored(pattern: string, where: string): RegExp {
    try {
        return new RegExp(`^(?:${pattern})$`);
    } catch (e) {
        throw new Error(`${where}: ${JSON.stringify(pattern)} is not a valid regular expression (${(e as Error).message}); write a JavaScript-compatible pattern`);
    }
}

function ruleMatches(r: CompiledRule, ctx: RequestContext): boolean {
    const path = ctx.path;
    if (r.pathKind === EXACT) {
        if (path !== r.pathValue) return false;
    } else if (r.pathKind === PREFIX) {
        if (!prefixMatches(r.pathValue, path)) return false;
    } else if (!r.pathRe!.test(path)) {
        return false;
    }
    if (r.method !== undefined && r.method !== ctx.method) return false;
    for (const h of r.headers) {
        const v = ctx.header(h.name);
        if (v === undefined || v === "" || (h.re ? !h.re.test(v) : v !== h.exact)) return false;
    }
    for (const q of r.queries) {
        const v = ctx.query(q.name);
        if (v === undefined || (q.re ? !q.re.test(v) : v !== q.exact)) return false;
    }
    return true;
}
