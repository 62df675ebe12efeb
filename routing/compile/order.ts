// Stage 3, order: one PlanRule per (rule × match × effective hostname), matches de-duplicated
// (the first matcher per header / query name counts), sorted by precedence, each with its label,
// field paths and resolved action.

import { grpcMatchesOf, httpMatchOfGRPC, planGRPCMethod } from "../grpc";
import { ruleFields, ruleLabel } from "../labels";
import { stripTrailingSlash } from "../paths";
import { PlanMatch, PlanRule, PlanValueMatch } from "../plan";
import { compareRules, matchKey } from "../precedence";
import { GRPCRouteMatch, Listener } from "../types";
import { actionOf, forwardOf, timeoutsOf } from "./actions";
import { Context, DEFAULT_MATCH, key, ns, rulesOf } from "./context";
import { Attachment } from "./attach";
import { resolveRule } from "./resolve";

export type RawValueMatch = { type?: "Exact" | "RegularExpression"; name: string; value: string };

/**
 * One HTTPRouteMatch with defaults applied, header names lower-cased, and only the first matcher per
 * header name (case-insensitively) and per query name (case-sensitively), as the spec says.
 * Validation refuses repeats; dropping them here keeps the PlanMatch invariant under skipValidation.
 */
export function planMatch(m: { path?: { type?: PlanMatch["path"]["type"]; value?: string }; headers?: RawValueMatch[]; queryParams?: RawValueMatch[]; method?: PlanMatch["method"] }): PlanMatch {
    const type = m.path?.type ?? "PathPrefix";
    const value = m.path?.value ?? "/";
    return {
        path: type === "PathPrefix" ? { type, value, prefix: stripTrailingSlash(value) } : { type, value },
        headers: firstPerName(m.headers, true),
        queryParams: firstPerName(m.queryParams, false),
        ...(m.method ? { method: m.method } : {}),
    };
}

/** A GRPCRouteMatch as a PlanMatch: the HTTP match it stands for (routing/grpc.ts), plus the method matcher as written. */
export function planGRPCMatch(m: GRPCRouteMatch): PlanMatch {
    const grpc = planGRPCMethod(m.method);
    return { ...planMatch(httpMatchOfGRPC(m)), ...(grpc ? { grpc } : {}) };
}

export function firstPerName(ms: RawValueMatch[] | undefined, lowerNames: boolean): PlanValueMatch[] {
    const out: PlanValueMatch[] = [];
    if (!ms) return out;
    const seen = new Set<string>();
    for (const v of ms) {
        const name = lowerNames ? v.name.toLowerCase() : v.name;
        if (seen.has(name)) continue;
        seen.add(name);
        out.push({ type: v.type ?? "Exact", name, value: v.value });
    }
    return out;
}

export function orderRules(attachments: Attachment[], listener: Listener, ctx: Context, warnings: Map<string, string[]>, where: string): PlanRule[] {
    const rules: PlanRule[] = [];
    for (const { route, hostnames, kind } of attachments) {
        const routeKey = key(route);
        const grpcRoute = ctx.grpcOrigin.get(route);
        rulesOf(route).forEach((rule, ruleIndex) => {
            const { filters, backends } = resolveRule(route, ruleIndex, ctx);
            const ruleId = rule.name ?? String(ruleIndex);
            const label = ruleLabel({ route: routeKey, ruleIndex, ruleName: rule.name, kind });
            const timeouts = rule.timeouts ? timeoutsOf(rule.timeouts) : undefined;
            // A GRPCRoute's matches are built from the GRPCRoute itself (its method matcher is kept for precedence).
            const matches: PlanMatch[] = grpcRoute
                ? grpcMatchesOf(grpcRoute.rules![ruleIndex].matches).map(planGRPCMatch)
                : (rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCH).map(planMatch);
            matches.forEach((match, matchIndex) => {
                const field = ruleFields(ruleIndex, matchIndex);
                let action: PlanRule["action"];
                if (filters.requestRedirect) {
                    action = actionOf(filters, backends, match, listener);
                } else {
                    const cacheKey = `${kind} ${routeKey}#${ruleIndex}#${matchIndex}`;
                    let forward = ctx.forwardCache.get(cacheKey);
                    if (!forward) ctx.forwardCache.set(cacheKey, forward = forwardOf(filters, backends, match));
                    action = forward;
                }
                for (const hostname of hostnames) {
                    rules.push({
                        id: `${routeKey}/${ruleId}/${matchIndex}${hostname !== undefined ? "@" + hostname : ""}`,
                        ...(grpcRoute ? { protocol: "grpc" as const } : {}),
                        route: routeKey,
                        routeNamespace: ns(route),
                        routeName: route.name,
                        ruleIndex,
                        ...(rule.name !== undefined ? { ruleName: rule.name } : {}),
                        matchIndex,
                        ...(hostname !== undefined ? { hostname } : {}),
                        match,
                        filters,
                        backends,
                        ...(timeouts ? { timeouts } : {}),
                        label,
                        field,
                        action,
                    });
                }
            });
        });
    }
    rules.sort(compareRules);
    // Identical matches from different routes: the first in order wins; warn the route that loses.
    const winners = new Map<string, PlanRule>();
    for (const r of rules) {
        const k = matchKey(r.hostname, r.match);
        const w = winners.get(k);
        if (!w) { winners.set(k, r); continue; }
        if (w.route !== r.route) {
            warnings.get(r.route)?.push(
                `on ${where}, rule ${r.ruleName ?? r.ruleIndex} match ${r.matchIndex}${r.hostname ? ` (host ${r.hostname})` : ""} is identical to a match of ${w.route}, which wins the tie (alphabetical namespace/name); this match never receives traffic`);
        }
    }
    return rules;
}
