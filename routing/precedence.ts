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

import { hostnameSpecificity } from "./hostname";
import { PlanMatch, PlanRule } from "./plan";

const PATH_RANK: Record<PlanMatch["path"]["type"], number> = { Exact: 3, RegularExpression: 2, PathPrefix: 1 };

/** What precedence reads of a rule. */
export type RuleOrderKey = Pick<PlanRule, "hostname" | "match" | "route" | "ruleIndex" | "matchIndex" | "protocol">;

/** Negative when `a` takes precedence over `b`. */
export function compareRules(a: RuleOrderKey, b: RuleOrderKey): number {
    const [an, al] = hostnameSpecificity(a.hostname);
    const [bn, bl] = hostnameSpecificity(b.hostname);
    if (an !== bn) return bn - an;
    if (al !== bl) return bl - al;
    if (a.hostname !== b.hostname) return (a.hostname ?? "") < (b.hostname ?? "") ? -1 : 1;
    const m = a.protocol === "grpc" && b.protocol === "grpc" ? compareGRPCMatches(a.match, b.match) : compareMatches(a.match, b.match);
    if (m !== 0) return m;
    if (a.route !== b.route) return a.route < b.route ? -1 : 1;
    if (a.ruleIndex !== b.ruleIndex) return a.ruleIndex - b.ruleIndex;
    return a.matchIndex - b.matchIndex;
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

/** A canonical text of a match on a hostname: two rules with the same key are identical matches. */
export function matchKey(hostname: string | undefined, m: PlanMatch): string {
    const hs = m.headers.map(h => `${h.type}:${h.name}=${h.value}`).sort();
    const qs = m.queryParams.map(q => `${q.type}:${q.name}=${q.value}`).sort();
    return JSON.stringify([hostname ?? "*any*", m.path.type, m.path.value, m.method ?? "", hs, qs]);
}
