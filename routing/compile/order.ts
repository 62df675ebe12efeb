// Stage 3, order: one PlanRule per (rule × match × effective hostname), matches de-duplicated
// (the first matcher per header / query name counts), sorted by precedence, each with its label,
// field paths and resolved action.

import { ruleFields, ruleLabel } from "../labels";
import { stripTrailingSlash } from "../paths";
import { PlanForward, PlanMatch, PlanRule, PlanValueMatch } from "../plan";
import { MATCH_RANK_LIMIT, compareHostnames, compareMatches, matchKey, matchRank, sortRules } from "../precedence";
import { HTTPRouteSpec, Listener } from "../types";
import { actionOf, forwardOf, timeoutsOf } from "./actions";
import { Context, DEFAULT_MATCH, ResolvedRoute, RuleParts, key, ns, rulesOf } from "./context";
import { Attachment } from "./attach";
import { resolveRule, resolvedRoute } from "./resolve";

export type RawValueMatch = { type?: "Exact" | "RegularExpression"; name: string; value: string };

/**
 * One HTTPRouteMatch with defaults applied, header names lower-cased, and only the first matcher per
 * header name (case-insensitively) and per query name (case-sensitively), as the spec says.
 * Validation refuses repeats; dropping them here keeps the PlanMatch invariant under skipValidation.
 */
export function planMatch(m: { path?: { type?: PlanMatch["path"]["type"]; value?: string }; headers?: RawValueMatch[]; queryParams?: RawValueMatch[]; method?: PlanMatch["method"] }): PlanMatch {
    const type = m.path?.type ?? "PathPrefix";
    const value = m.path?.value ?? "/";
    const out: PlanMatch = {
        path: type === "PathPrefix" ? { type, value, prefix: stripTrailingSlash(value) } : { type, value },
        headers: firstPerName(m.headers, true),
        queryParams: firstPerName(m.queryParams, false),
    };
    if (m.method) out.method = m.method;
    return out;
}

/** The headers or queryParams of a match that has none: one frozen list, shared (plans are immutable). */
const NO_VALUE_MATCHES = Object.freeze([]) as unknown as PlanValueMatch[];

export function firstPerName(ms: RawValueMatch[] | undefined, lowerNames: boolean): PlanValueMatch[] {
    if (!ms || ms.length === 0) return NO_VALUE_MATCHES;
    const out: PlanValueMatch[] = [];
    const seen = new Set<string>();
    for (const v of ms) {
        const name = lowerNames ? v.name.toLowerCase() : v.name;
        if (seen.has(name)) continue;
        seen.add(name);
        out.push({ type: v.type ?? "Exact", name, value: v.value });
    }
    return out;
}

/** Field-path heads by rule and match index: the same few strings for every route. */
const FIELDS: PlanRule["field"][][] = [];
function fieldsOf(ruleIndex: number, matchIndex: number): PlanRule["field"] {
    const row = FIELDS[ruleIndex] ?? (FIELDS[ruleIndex] = []);
    return row[matchIndex] ?? (row[matchIndex] = ruleFields(ruleIndex, matchIndex));
}

/** The route's RuleParts, built on its first listener and reused on the others. */
function rulePartsOf(route: HTTPRouteSpec, routeKey: string, resolved: ResolvedRoute, ctx: Context): RuleParts[] {
    const cached = ctx.ruleParts.get(route);
    if (cached) return cached;
    const parts = rulesOf(route).map((rule, ruleIndex): RuleParts => {
        const resolvedRule = resolveRule(route, ruleIndex, ctx, resolved);
        const { filters, backends } = resolvedRule;
        const written = rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCH;
        const ruleId = rule.name ?? String(ruleIndex);
        const matches = written.map(m => planMatch(m));
        return {
            ruleIndex,
            ...(rule.name !== undefined ? { ruleName: rule.name } : {}),
            label: ruleLabel({ route: routeKey, ruleIndex, ruleName: rule.name }),
            ...(rule.timeouts ? { timeouts: timeoutsOf(rule.timeouts) } : {}),
            filters, backends,
            matchFree: !filters.urlRewrite && backends.every(b => !b.filters.urlRewrite),
            resolved: resolvedRule,
            matches,
            ranks: matches.map(matchRank),
            ids: written.map((_, matchIndex) => [routeKey, ruleId, matchIndex].join("/")),
            fields: written.map((_, matchIndex) => fieldsOf(ruleIndex, matchIndex)),
        };
    });
    ctx.ruleParts.set(route, parts);
    return parts;
}

/**
 * One PlanRule, its keys in the documented order. Object literals rather than spreads of optional
 * fields, and one literal per common shape: this runs for every (rule × match × hostname).
 */
function planRule(p: RuleParts, route: string, routeNamespace: string, routeName: string, matchIndex: number, hostname: string | undefined, action: PlanRule["action"]): PlanRule {
    const { ruleIndex, filters, backends, label } = p, match = p.matches[matchIndex], field = p.fields[matchIndex];
    // join, not a template: it makes one flat string rather than a chain of concatenations to keep.
    const id = hostname === undefined ? p.ids[matchIndex] : [p.ids[matchIndex], hostname].join("@");
    if (p.ruleName === undefined && p.timeouts === undefined) {
        return hostname === undefined
            ? { id, route, routeNamespace, routeName, ruleIndex, matchIndex, match, filters, backends, label, field, action }
            : { id, route, routeNamespace, routeName, ruleIndex, matchIndex, hostname, match, filters, backends, label, field, action };
    }
    return {
        id, route, routeNamespace, routeName, ruleIndex,
        ...(p.ruleName !== undefined ? { ruleName: p.ruleName } : {}),
        matchIndex,
        ...(hostname !== undefined ? { hostname } : {}),
        match, filters, backends,
        ...(p.timeouts ? { timeouts: p.timeouts } : {}),
        label, field, action,
    };
}

/**
 * The forward of one match of a rule. Nothing in it reads the match unless a URLRewrite does, so the
 * matches of a match-free rule share one, and so do rules sharing their resolution (./resolve.ts).
 */
function forwardFor(p: RuleParts, matchIndex: number, ctx: Context): PlanForward {
    if (!p.matchFree) return forwardOf(p.filters, p.backends, p.matches[matchIndex]);
    let forward = ctx.forwards.get(p.resolved);
    if (!forward) ctx.forwards.set(p.resolved, forward = forwardOf(p.filters, p.backends, p.matches[matchIndex]));
    return forward;
}

/** Sort keys carry a rule's position in its hostname group below this: positions must stay under it. */
const POSITIONS = 2 ** 23;

/**
 * The listener's PlanRules in precedence order, and a warning to every route whose match loses an
 * identical match of another route. Linear in the rules apart from one numeric sort per hostname:
 * the parts of a rule are built once per route, forwards once per match, and the PlanRules are made
 * in their final order (so what reads them next reads memory in order).
 */
export function orderRules(attachments: Attachment[], listener: Listener, ctx: Context, warnings: Map<string, string[]>, where: string): PlanRule[] {
    // One entry per (rule × match × hostname), as parallel lists, in route order: attachments are
    // in namespace/name order, so this is the order compareRules breaks its ties in.
    const parts: RuleParts[] = [], matchOf: number[] = [], hostOf: (string | undefined)[] = [], routeOf: number[] = [], actions: PlanRule["action"][] = [];
    const routes: { key: string; namespace: string; name: string }[] = [];
    // Ranked: every match has a matchRank and no two routes share a namespace/name (possible only
    // under skipValidation; compareRules then interleaves their rules). Else the comparator sorts.
    let ranked = true;
    for (const { route, hostnames } of attachments) {
        const routeKey = key(route);
        if (routes.length > 0 && routes[routes.length - 1].key === routeKey) ranked = false;
        const r = routes.push({ key: routeKey, namespace: ns(route), name: route.name }) - 1;
        const resolved = resolvedRoute(routeKey, ctx);
        for (const p of rulePartsOf(route, routeKey, resolved, ctx)) {
            const forwards = resolved.forwards[p.ruleIndex] ?? (resolved.forwards[p.ruleIndex] = []);
            for (let matchIndex = 0; matchIndex < p.matches.length; matchIndex++) {
                const match = p.matches[matchIndex];
                if (p.ranks[matchIndex] === undefined) ranked = false;
                // A redirect depends on the listener; a forward does not, so it is shared.
                const action = p.filters.requestRedirect
                    ? actionOf(p.filters, p.backends, match, listener)
                    : forwards[matchIndex] ?? (forwards[matchIndex] = forwardFor(p, matchIndex, ctx));
                for (const hostname of hostnames) {
                    parts.push(p); matchOf.push(matchIndex); hostOf.push(hostname); routeOf.push(r); actions.push(action);
                }
            }
        }
    }
    const make = (e: number) => {
        const r = routes[routeOf[e]];
        return planRule(parts[e], r.key, r.namespace, r.name, matchOf[e], hostOf[e], actions[e]);
    };
    if (!ranked || parts.length >= POSITIONS) {
        const rules = sortRules(parts.map((_, e) => make(e)));
        warnIdenticalMatches(rules, warnings, where);
        return rules;
    }

    const byHost = new Map<string | undefined, number[]>();
    for (let e = 0; e < parts.length; e++) {
        const group = byHost.get(hostOf[e]);
        if (group) group.push(e); else byHost.set(hostOf[e], [e]);
    }
    const rules: PlanRule[] = [];
    for (const host of [...byHost.keys()].sort(compareHostnames)) {
        // Within a hostname, compareRules is matchRank (higher first), then route order: a key of
        // (rank below the limit, position in the group) sorted as plain numbers is exactly that.
        const group = byHost.get(host)!;
        const keys = new Float64Array(group.length);
        for (let i = 0; i < group.length; i++) {
            const e = group[i];
            keys[i] = (MATCH_RANK_LIMIT - 1 - parts[e].ranks[matchOf[e]]!) * POSITIONS + i;
        }
        keys.sort();
        const base = rules.length;
        for (let j = 0; j < keys.length; j++) rules.push(make(group[keys[j] % POSITIONS]));
        // Runs of equal precedence (equal rank) are where identical matches can be.
        let start = 0;
        for (let j = 1; j <= keys.length; j++) {
            if (j < keys.length && Math.floor(keys[j] / POSITIONS) === Math.floor(keys[start] / POSITIONS)) continue;
            if (j - start > 1) warnInRun(rules, base + start, base + j, warnings, where);
            start = j;
        }
    }
    return rules;
}

/**
 * Identical matches (same hostname, same matchKey) from different routes: the first in precedence
 * order wins; the route that loses is warned. Identical rules compare equal on hostname and
 * compareMatches, and sorted rules that do are adjacent, so each such run is checked on its own,
 * its rules grouped by path value first: most runs need no matchKey at all.
 */
function warnIdenticalMatches(rules: PlanRule[], warnings: Map<string, string[]>, where: string): void {
    let start = 0;
    for (let i = 1; i <= rules.length; i++) {
        if (i < rules.length && rules[i].hostname === rules[start].hostname && compareMatches(rules[start].match, rules[i].match) === 0) continue;
        if (i - start > 1) warnInRun(rules, start, i, warnings, where);
        start = i;
    }
}

function warnInRun(rules: PlanRule[], from: number, to: number, warnings: Map<string, string[]>, where: string): void {
    let oneRoute = true;
    for (let i = from + 1; i < to && oneRoute; i++) oneRoute = rules[i].route === rules[from].route;
    if (oneRoute) return;
    const winnersByPath = new Map<string, { rule: PlanRule; key?: string }[]>();
    for (let i = from; i < to; i++) {
        const r = rules[i];
        const winners = winnersByPath.get(r.match.path.value);
        if (!winners) { winnersByPath.set(r.match.path.value, [{ rule: r }]); continue; }
        const k = matchKey(r.match);
        const w = winners.find(c => (c.key ??= matchKey(c.rule.match)) === k)?.rule;
        if (!w) { winners.push({ rule: r, key: k }); continue; }
        if (w.route !== r.route) {
            warnings.get(r.route)?.push(
                `on ${where}, rule ${r.ruleName ?? r.ruleIndex} match ${r.matchIndex}${r.hostname ? ` (host ${r.hostname})` : ""} is identical to a match of ${w.route}, which wins the tie (alphabetical namespace/name); this match never receives traffic`);
        }
    }
}
