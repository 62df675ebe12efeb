// One plan rule → the ALB rules that carry it: its match as conditions (conditions.ts), its action
// as actions and transforms (actions.ts), one ALB rule per condition set when the 5-value limit
// splits it, each with the item its priority is drawn from (priorities.ts).

import { PlanRule } from "../../../routing/plan";
import { actionFor } from "./actions";
import { Condition, HostHeader, HttpHeader, HttpRequestMethod, MAX_CONDITION_VALUES, PathPattern, QueryString, conditionSets } from "./conditions";
import { BuildContext, planned } from "./context";
import { shortHash, slug } from "./names";
import { PriorityItem } from "./priorities";
import { AlbListener, AlbRule, AlbRuleSource } from "./types";

/**
 * Sort key of an ALB listener's merged order: the rule hostname's place in PortPlan.hosts (most
 * specific first, as the plan orders host ownership), then the Gateway listener's place in
 * PortPlan.listeners, the rule's in its listener (precedence), and the split part.
 */
export type MergedOrder = [host: number, listener: number, rule: number, part: number];

/** An ALB rule before its priority is known. */
export interface Entry {
    item: PriorityItem;
    order: MergedOrder;
    rule: Omit<AlbRule, "priority">;
}

export function compareOrder(a: MergedOrder, b: MergedOrder): number {
    for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

/** The match's conditions: host and path OR-lists, and the singles every split part carries. */
function conditionsOf(rule: PlanRule, alb: AlbListener, who: string): { host?: HostHeader; path?: PathPattern; singles: Condition[]; problems: string[] } {
    const m = rule.match;
    const host = rule.hostname !== undefined ? HostHeader.forHostname(rule.hostname, alb.port, alb.protocol) : undefined;
    const { pattern: path, refusal } = PathPattern.forMatch(m.path, who);
    const singles: Condition[] = [
        ...(m.method ? [new HttpRequestMethod(m.method)] : []),
        ...m.headers.map(h => new HttpHeader(h.name, h.value)),
        ...m.queryParams.map(q => new QueryString(q.name, q.value)),
    ];
    const problems = [...(refusal ? [refusal] : []), ...(host?.problems(who) ?? []), ...(path?.problems(who) ?? []), ...singles.flatMap(c => c.problems(who))];
    return { host, path, singles, problems };
}

/** One plan rule → one ALB rule, or several when the condition values must be split; none when refused. */
export function translateRule(ctx: BuildContext, alb: AlbListener, rule: PlanRule, order: [host: number, listener: number, rule: number]): Entry[] {
    const who = planned(rule.label, "rule label");
    const { host, path, singles, problems } = conditionsOf(rule, alb, who);
    const sets = conditionSets(host, path, singles);
    if ("needed" in sets) {
        problems.push(`${who}: match ${rule.matchIndex} needs ${sets.needed} ALB condition values, ` +
            `over ALB's ${MAX_CONDITION_VALUES} per rule (host, path, method, one per header and query param); match on fewer headers or query params`);
    }
    const { actions, transforms, targetGroups } = actionFor(ctx, rule, who, problems);
    ctx.problems.push(...problems);
    if (problems.length > 0 || "needed" in sets) return [];

    const parts = sets.sets;
    if (parts.length > 1) ctx.notes.push(`${who}: match ${rule.matchIndex} is split into ${parts.length} ALB rules to stay within ${MAX_CONDITION_VALUES} condition values per rule`);
    const ruleSlug = slug(rule.ruleName ?? String(rule.ruleIndex));
    const baseName = `${ctx.prefix}-${alb.port}-${slug(rule.route)}-${ruleSlug}-m${rule.matchIndex}-${shortHash(rule.id, 6)}`;
    const source: AlbRuleSource = {
        ruleId: rule.id, label: who, route: rule.route, ruleIndex: rule.ruleIndex, matchIndex: rule.matchIndex,
        ...(rule.ruleName !== undefined ? { ruleName: rule.ruleName } : {}),
        ...(rule.hostname !== undefined ? { hostname: rule.hostname } : {}),
    };
    return parts.map((conditions, k) => {
        const key = parts.length > 1 ? `${rule.id}#${k}` : rule.id;
        return {
            item: priorityItem(key, rule),
            order: [order[0], order[1], order[2], k],
            rule: {
                key, resourceName: parts.length > 1 ? `${baseName}-p${k}` : baseName,
                conditions, actions, ...(transforms.length ? { transforms } : {}), source, targetGroups,
            },
        };
    });
}

/** What the priority assignment needs of a plan rule (its match has one matcher per header/query name). */
export function priorityItem(key: string, rule: PlanRule): PriorityItem {
    const m = rule.match;
    return {
        key, hostname: rule.hostname,
        path: { type: m.path.type === "Exact" ? "Exact" : "PathPrefix", value: m.path.value },
        method: m.method,
        headers: m.headers.map(h => ({ name: h.name, value: h.value })),
        queries: m.queryParams.map(q => ({ name: q.name, value: q.value })),
    };
}
