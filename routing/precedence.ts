// Rule precedence, in the order the HTTPRoute spec gives it:
//   1. characters in a matching non-wildcard hostname, then in a matching hostname;
//   2. an Exact path match; then RegularExpression (longer pattern first — the spec leaves regex
//      precedence to implementations; we follow Envoy Gateway's Exact > RegularExpression > PathPrefix);
//      then PathPrefix with the most characters;
//   3. a method match; 4. the most header matches; 5. the most query param matches;
//   6. across routes: Kubernetes uses the oldest creation timestamp, which we do not have, so we go
//      straight to the spec's next criterion — "{namespace}/{name}" in alphabetical order;
//   7. within a route: the first rule in list order, then the first match in list order.
// GRPCRoute rules (PlanRule.protocol "grpc") follow the GRPCRoute spec's order after the hostname:
//   the most characters in a matching service, then in a matching method, then the most header
//   matches; then the same route and rule tie-breaks. HTTPRoute and GRPCRoute rules are never merged:
//   compile accepts only one kind per hostname on a listener, so two rules of different kinds never
//   tie on hostname and are never compared by their matches.
// Rules whose hostnames differ but tie on specificity can never match the same host; we order them
// by hostname text right after specificity so output is stable and grouped by host.

import { compareHostnameSpecificity } from "./hostname";
import { PlanMatch, PlanRule } from "./plan";

const PATH_RANK: Record<PlanMatch["path"]["type"], number> = { Exact: 3, RegularExpression: 2, PathPrefix: 1 };

/** What precedence reads of a rule. */
export type RuleOrderKey = Pick<PlanRule, "hostname" | "match" | "route" | "ruleIndex" | "matchIndex" | "protocol">;

/** Negative when `a` takes precedence over `b`. */
export function compareRules(a: RuleOrderKey, b: RuleOrderKey): number {
    const h = compareHostnames(a.hostname, b.hostname);
    if (h !== 0) return h;
    const m = compareRuleMatches(a, b);
    if (m !== 0) return m;
    if (a.route !== b.route) return a.route < b.route ? -1 : 1;
    if (a.ruleIndex !== b.ruleIndex) return a.ruleIndex - b.ruleIndex;
    return a.matchIndex - b.matchIndex;
}

/** Steps 2–5 for two rules: GRPCRoute precedence when both are a GRPCRoute's, else HTTPRoute precedence. */
export function compareRuleMatches(a: Pick<RuleOrderKey, "match" | "protocol">, b: Pick<RuleOrderKey, "match" | "protocol">): number {
    return a.protocol === "grpc" && b.protocol === "grpc" ? compareGRPCMatches(a.match, b.match) : compareMatches(a.match, b.match);
}

/** Step 1, then the hostname text (ties in specificity never match one host; text keeps output stable). */
export function compareHostnames(a: string | undefined, b: string | undefined): number {
    const h = compareHostnameSpecificity(a, b);
    if (h !== 0) return h;
    if (a !== b) return (a ?? "") < (b ?? "") ? -1 : 1;
    return 0;
}

/**
 * `rules` in compareRules order, as a stable sort by it would put them, in a new array. The rules are
 * grouped by hostname first (compareRules' first criterion), so the sort runs over each group, not
 * over everything with the hostnames compared at every step.
 */
export function sortRules<T extends RuleOrderKey>(rules: readonly T[]): T[] {
    const byHost = new Map<string | undefined, T[]>();
    for (const r of rules) {
        const group = byHost.get(r.hostname);
        if (group) group.push(r); else byHost.set(r.hostname, [r]);
    }
    if (byHost.size <= 1) return (byHost.values().next().value ?? []).sort(compareRules);
    const out: T[] = [];
    for (const host of [...byHost.keys()].sort(compareHostnames)) {
        for (const r of byHost.get(host)!.sort(compareRules)) out.push(r);
    }
    return out;
}

/** Specificity of the match alone (steps 2–5). */
export function compareMatches(a: PlanMatch, b: PlanMatch): number {
    const ar = PATH_RANK[a.path.type], br = PATH_RANK[b.path.type];
    if (ar !== br) return br - ar;
    if (a.path.value.length !== b.path.value.length) return b.path.value.length - a.path.value.length;
    const am = a.method ? 1 : 0, bm = b.method ? 1 : 0;
    if (am !== bm) return bm - am;
    if (a.headers.length !== b.headers.length) return b.headers.length - a.headers.length;
    return b.queryParams.length - a.queryParams.length;
}

/** GRPCRoute specificity of the match alone: service characters, method characters, header matches. */
export function compareGRPCMatches(a: PlanMatch, b: PlanMatch): number {
    const as = a.grpc?.service?.length ?? 0, bs = b.grpc?.service?.length ?? 0;
    if (as !== bs) return bs - as;
    const am = a.grpc?.method?.length ?? 0, bm = b.grpc?.method?.length ?? 0;
    if (am !== bm) return bm - am;
    return b.headers.length - a.headers.length;
}

/** compareMatches' criteria packed into one number below 2^29 (see matchRank). */
export const MATCH_RANK_LIMIT = 2 ** 29;

/**
 * compareMatches as one number, for sorting many rules by a plain numeric sort: `a` precedes `b` in
 * compareMatches exactly when matchRank(a) > matchRank(b), and equal ranks compare equal. Undefined
 * when a count does not fit its bits (a path of 65536+ characters, 32+ header or query matches;
 * validation refuses these): compare such matches with compareMatches.
 */
export function matchRank(m: PlanMatch): number | undefined {
    const len = m.path.value.length, headers = m.headers.length, queries = m.queryParams.length;
    if (len >= 2 ** 16 || headers >= 32 || queries >= 32) return undefined;
    // Bits, most significant first: path type (2), path length (16), method (1), headers (5), query params (5).
    return PATH_RANK[m.path.type] * 2 ** 27 + len * 2 ** 11 + (m.method ? 2 ** 10 : 0) + headers * 2 ** 5 + queries;
}

/** A canonical text of a match: two rules on the same hostname whose matches have the same key are identical. */
export function matchKey(m: PlanMatch): string {
    const hs = m.headers.map(h => `${h.type}:${h.name}=${h.value}`).sort();
    const qs = m.queryParams.map(q => `${q.type}:${q.name}=${q.value}`).sort();
    return JSON.stringify([m.path.type, m.path.value, m.method ?? "", hs, qs]);
}
