// Stage 3, order: one PlanRule per (rule × match × effective hostname), matches de-duplicated
// (the first matcher per header / query name counts), sorted by precedence, each with its label,
// field paths and resolved action.

import { grpcMatchesOf, httpMatchOfGRPC, planGRPCMethod } from "../grpc";
import { ruleFields, ruleLabel } from "../labels";
import { stripTrailingSlash } from "../paths";
import { PlanForward, PlanMatch, PlanRule, PlanValueMatch } from "../plan";
import { MATCH_RANK_LIMIT, compareHostnames, compareRuleMatches, matchKey, matchRank, sortRules } from "../precedence";
import { GRPCRouteMatch, HTTPRouteSpec, Listener } from "../types";
import { actionOf, forwardOf, timeoutsOf } from "./actions";
import { planRetry, planSessionPersistence } from "../policies";
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

/** A GRPCRouteMatch as a PlanMatch: the HTTP match it stands for (routing/grpc.ts), plus the method matcher as written. */
export function planGRPCMatch(m: GRPCRouteMatch): PlanMatch {
    const grpc = planGRPCMethod(m.method);
    return { ...planMatch(httpMatchOfGRPC(m)), ...(grpc ? { grpc } : {}) };
}

/** The headers or queryParams of a match that has none: one frozen list, shared (plans are immutable). */
const NO_VALUE_MATCHES = Object.freeze([]) as unknown as PlanValueMatch[];

export function firstPerName(ms: RawValueMatch[] | undefined, lowerNames: boolean): PlanValueMatch[] {
    if (!ms || ms.length === 0) return NO_VALUE_MATCHES;
    if (ms.length === 1) return [{ type: ms[0].type ?? "Exact", name: lowerNames ? ms[0].name.toLowerCase() : ms[0].name, value: ms[0].value }];
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
    const grpcRoute = ctx.grpcOrigin.get(route), kind = ctx.kindOf(route);
    const parts = rulesOf(route).map((rule, ruleIndex): RuleParts => {
        const resolvedRule = resolveRule(route, ruleIndex, ctx, resolved);
        const { filters, backends } = resolvedRule;
        const matches: PlanMatch[] = [];
        // A GRPCRoute's matches are built from the GRPCRoute itself (its method matcher is kept for precedence).
        if (grpcRoute) for (const m of grpcMatchesOf(grpcRoute.rules![ruleIndex].matches)) matches.push(planGRPCMatch(m));
        else for (const m of rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCH) matches.push(planMatch(m));
        const p: RuleParts = {
            ruleIndex,
            ruleId: rule.name ?? String(ruleIndex),
            label: ruleLabel({ route: routeKey, ruleIndex, ruleName: rule.name, kind }),
            filters, backends,
            matchFree: !filters.urlRewrite && backends.every(b => !b.filters.urlRewrite),
            resolved: resolvedRule,
            matches,
        };
        if (rule.name !== undefined) p.ruleName = rule.name;
        if (grpcRoute) p.protocol = "grpc";
        if (rule.timeouts) p.timeouts = timeoutsOf(rule.timeouts);
        if (rule.retry) p.retry = planRetry(rule.retry);
        if (rule.sessionPersistence) p.sessionPersistence = planSessionPersistence(rule.sessionPersistence);
        return p;
    });
    ctx.ruleParts.set(route, parts);
    return parts;
}

/**
 * One PlanRule, its keys in the documented order. Object literals rather than spreads of optional
 * fields, and one literal per common shape: this runs for every (rule × match × hostname).
 */
function planRule(p: RuleParts, route: string, routeNamespace: string, routeName: string, matchIndex: number, hostname: string | undefined, action: PlanRule["action"]): PlanRule {
    const { ruleIndex, filters, backends, label } = p, match = p.matches[matchIndex], field = fieldsOf(ruleIndex, matchIndex);
    // join, not a template: it makes one flat string rather than a chain of concatenations to keep.
    const id = hostname === undefined ? [route, p.ruleId, matchIndex].join("/") : [route, "/", p.ruleId, "/", matchIndex, "@", hostname].join("");
    if (p.ruleName === undefined && p.timeouts === undefined && p.protocol === undefined && p.retry === undefined && p.sessionPersistence === undefined) {
        return hostname === undefined
            ? { id, route, routeNamespace, routeName, ruleIndex, matchIndex, match, filters, backends, label, field, action }
            : { id, route, routeNamespace, routeName, ruleIndex, matchIndex, hostname, match, filters, backends, label, field, action };
    }
    return {
        id,
        ...(p.protocol ? { protocol: p.protocol } : {}),
        route, routeNamespace, routeName, ruleIndex,
        ...(p.ruleName !== undefined ? { ruleName: p.ruleName } : {}),
        matchIndex,
        ...(hostname !== undefined ? { hostname } : {}),
        match, filters, backends,
        ...(p.timeouts ? { timeouts: p.timeouts } : {}),
        ...(p.retry ? { retry: p.retry } : {}),
        ...(p.sessionPersistence ? { sessionPersistence: p.sessionPersistence } : {}),
        label, field, action,
    };
}

/**
 * The forward of one match of a rule. Nothing in it reads the match unless a URLRewrite does, so the
 * matches of a match-free rule share one, and so do rules sharing their resolution (./resolve.ts).
 */
function forwardFor(p: RuleParts, matchIndex: number, resolved: ResolvedRoute, ctx: Context): PlanForward {
    if (!p.matchFree) {
        const forwards = resolved.forwards[p.ruleIndex] ?? (resolved.forwards[p.ruleIndex] = []);
        return forwards[matchIndex] ?? (forwards[matchIndex] = forwardOf(p.filters, p.backends, p.matches[matchIndex]));
    }
    let forward = ctx.forwards.get(p.resolved);
    if (!forward) ctx.forwards.set(p.resolved, forward = forwardOf(p.filters, p.backends, p.matches[matchIndex]));
    return forward;
}

/** Sort keys carry a rule's position in its hostname group below this: positions must stay under it. */
const POSITIONS = 2 ** 23;

/**
 * The listener's PlanRules in precedence order, and a warning to every route whose match loses an
 * identical match of another route. Linear in the rules apart from one numeric sort per hostname:
 * the parts of a rule are built once per route, forwards once per match, and what the sort and the
 * identical-match check read is in flat lists made in route order, not behind each rule's pointers.
 */
export function orderRules(attachments: Attachment[], listener: Listener, ctx: Context, warnings: Map<string, string[]>, where: string): PlanRule[] {
    // The PlanRules in route order, with what precedence reads of each alongside. Attachments are in
    // namespace/name order, so this is the order compareRules breaks its ties in.
    const unsorted: PlanRule[] = [], rankOf: number[] = [], routeOf: number[] = [], pathOf: string[] = [];
    // Ranked: every match has a matchRank, no two routes share a namespace/name (possible only
    // under skipValidation; compareRules then interleaves their rules) and no rule is a GRPCRoute's
    // (matchRank is HTTPRoute precedence; GRPCRoute rules order by compareGRPCMatches). Else the
    // comparator sorts.
    let ranked = true, previousKey: string | undefined, routeCount = 0;
    for (const { route, routeKey, kind, hostnames } of attachments) {
        const routeNamespace = ns(route), routeName = route.name;
        if (routeKey === previousKey) ranked = false;
        previousKey = routeKey;
        const r = routeCount++;
        const resolved = resolvedRoute(routeKey, kind, ctx);
        for (const p of rulePartsOf(route, routeKey, resolved, ctx)) {
            if (p.protocol === "grpc") ranked = false;
            for (let matchIndex = 0; matchIndex < p.matches.length; matchIndex++) {
                const match = p.matches[matchIndex], rank = matchRank(match);
                if (rank === undefined) ranked = false;
                // A redirect depends on the listener; a forward does not, so it is shared.
                const action = p.filters.requestRedirect
                    ? actionOf(p.filters, p.backends, match, listener)
                    : forwardFor(p, matchIndex, resolved, ctx);
                for (const hostname of hostnames) {
                    unsorted.push(planRule(p, routeKey, routeNamespace, routeName, matchIndex, hostname, action));
                    rankOf.push(rank ?? 0); routeOf.push(r); pathOf.push(match.path.value);
                }
            }
        }
    }
    if (!ranked || unsorted.length >= POSITIONS) {
        const rules = sortRules(unsorted);
        warnIdenticalMatches(rules, warnings, where);
        return rules;
    }

    const byHost = new Map<string | undefined, number[]>();
    for (let e = 0; e < unsorted.length; e++) {
        const h = unsorted[e].hostname, group = byHost.get(h);
        if (group) group.push(e); else byHost.set(h, [e]);
    }
    const rules: PlanRule[] = [];
    for (const host of [...byHost.keys()].sort(compareHostnames)) {
        // Within a hostname, compareRules is matchRank (higher first), then route order: a key of
        // (rank below the limit, position in the group) sorted as plain numbers is exactly that.
        const group = byHost.get(host)!;
        const keys = new Float64Array(group.length);
        for (let i = 0; i < group.length; i++) keys[i] = (MATCH_RANK_LIMIT - 1 - rankOf[group[i]]) * POSITIONS + i;
        keys.sort();
        const sorted = new Array<number>(keys.length);
        for (let j = 0; j < keys.length; j++) rules.push(unsorted[sorted[j] = group[keys[j] % POSITIONS]]);
        // Runs of equal precedence (equal rank) are where identical matches can be.
        let start = 0;
        for (let j = 1; j <= keys.length; j++) {
            if (j < keys.length && Math.floor(keys[j] / POSITIONS) === Math.floor(keys[start] / POSITIONS)) continue;
            if (j - start > 1) warnInRankedRun(sorted, start, j, { unsorted, routeOf, pathOf }, warnings, where);
            start = j;
        }
    }
    return rules;
}

/**
 * warnInRun for the ranked path: the run is sorted[from..to) (entries in precedence order), and the
 * routes and path values are read from the flat lists; only matches that share a path value are
 * compared whole.
 */
function warnInRankedRun(sorted: number[], from: number, to: number, lists: { unsorted: PlanRule[]; routeOf: number[]; pathOf: string[] }, warnings: Map<string, string[]>, where: string): void {
    const { unsorted, routeOf, pathOf } = lists;
    let oneRoute = true;
    for (let j = from + 1; j < to && oneRoute; j++) oneRoute = routeOf[sorted[j]] === routeOf[sorted[from]];
    if (oneRoute) return;
    // Positions in `sorted` by path value: the first of each, then lists where a value repeats.
    const firstByPath = new Map<string, number>();
    let shared: Map<string, number[]> | undefined;
    for (let j = from; j < to; j++) {
        const path = pathOf[sorted[j]], first = firstByPath.get(path);
        if (first === undefined) { firstByPath.set(path, j); continue; }
        shared ??= new Map();
        const list = shared.get(path);
        if (list) list.push(j); else shared.set(path, [first, j]);
    }
    if (!shared) return;
    // Rules sharing a path value, each list in precedence order; warnings in precedence order.
    const losers: { at: number; rule: PlanRule; winner: string }[] = [];
    for (const list of shared.values()) {
        const winners = new Map<string, PlanRule>();
        for (const j of list) {
            const r = unsorted[sorted[j]], k = matchKey(r.match), w = winners.get(k);
            if (!w) winners.set(k, r);
            else if (w.route !== r.route) losers.push({ at: j, rule: r, winner: w.route });
        }
    }
    losers.sort((a, b) => a.at - b.at);
    for (const l of losers) warnings.get(l.rule.route)?.push(identicalMatchWarning(where, l.rule, l.winner));
}

function identicalMatchWarning(where: string, r: PlanRule, winner: string): string {
    return `on ${where}, rule ${r.ruleName ?? r.ruleIndex} match ${r.matchIndex}${r.hostname ? ` (host ${r.hostname})` : ""} is identical to a match of ${winner}, which wins the tie (alphabetical namespace/name); this match never receives traffic`;
}

/**
 * Identical matches (same hostname, same matchKey) from different routes: the first in precedence
 * order wins; the route that loses is warned. Identical rules compare equal on hostname and
 * compareRuleMatches (what compareRules sorted them by: GRPCRoute rules by their own criteria), and
 * sorted rules that do are adjacent, so each such run is checked on its own, its rules grouped by
 * path value first: most runs need no matchKey at all.
 */
function warnIdenticalMatches(rules: PlanRule[], warnings: Map<string, string[]>, where: string): void {
    let start = 0;
    for (let i = 1; i <= rules.length; i++) {
        if (i < rules.length && rules[i].hostname === rules[start].hostname && compareRuleMatches(rules[start], rules[i]) === 0) continue;
        if (i - start > 1) warnInRun(rules, start, i, warnings, where);
        start = i;
    }
}

function warnInRun(rules: PlanRule[], from: number, to: number, warnings: Map<string, string[]>, where: string): void {
    let oneRoute = true;
    for (let i = from + 1; i < to && oneRoute; i++) oneRoute = rules[i].route === rules[from].route;
    if (oneRoute) return;
    // The first rule per path value; where a value repeats, the winners by whole matchKey.
    const byPath = new Map<string, PlanRule | Map<string, PlanRule>>();
    for (let i = from; i < to; i++) {
        const r = rules[i], path = r.match.path.value;
        let winners = byPath.get(path);
        if (!winners) { byPath.set(path, r); continue; }
        if (!(winners instanceof Map)) {
            const first = winners;
            byPath.set(path, winners = new Map([[matchKey(first.match), first]]));
        }
        const k = matchKey(r.match), w = winners.get(k);
        if (!w) { winners.set(k, r); continue; }
        if (w.route !== r.route) warnings.get(r.route)?.push(identicalMatchWarning(where, r, w.route));
    }
}
