// Small hand-built plans for unit tests of the plan's readers (simulate, table). The decisions a plan
// carries (normalised match, resolved action, label and field, ports and host ownership) are filled
// by compile's own functions, so a built plan is what compile would produce for the same rules; the
// tests only choose the rules, their order and the listeners. A test helper: stays in test/.

import { actionOf } from "../routing/compile/actions";
import { planMatch } from "../routing/compile";
import { portsOf } from "../routing/compile/ports";
import { ruleFields, ruleLabel } from "../routing/labels";
import { GatewayPlan, ListenerPlan, PlanBackend, PlanFilters, PlanMatch, PlanRule, RoutingPlan } from "../routing/plan";
import { compareRules } from "../routing/precedence";

export interface RuleOpts {
    /** "namespace/name"; default "default/r". */
    route?: string;
    ruleIndex?: number;
    ruleName?: string;
    matchIndex?: number;
    hostname?: string;
    path?: [PlanMatch["path"]["type"], string];
    headers?: { type?: "Exact" | "RegularExpression"; name: string; value: string }[];
    queryParams?: { type?: "Exact" | "RegularExpression"; name: string; value: string }[];
    method?: PlanMatch["method"];
    filters?: Partial<PlanFilters>;
    backends?: PlanBackend[];
}

const DEFAULT_LISTENER = { port: 80, protocol: "HTTP" as const };

/** One PlanRule as compile builds it; its action is resolved against an HTTP :80 listener until `listener()` re-resolves it. */
export function planRule(o: RuleOpts = {}): PlanRule {
    const route = o.route ?? "default/r";
    const [ns, name] = route.split("/");
    const ruleIndex = o.ruleIndex ?? 0, matchIndex = o.matchIndex ?? 0;
    const match = planMatch({ path: { type: o.path?.[0] ?? "PathPrefix", value: o.path?.[1] ?? "/" }, headers: o.headers, queryParams: o.queryParams, method: o.method });
    const filters: PlanFilters = { requestMirrors: [], ...o.filters };
    const backends = o.backends ?? [];
    return {
        id: `${route}/${o.ruleName ?? ruleIndex}/${matchIndex}${o.hostname !== undefined ? "@" + o.hostname : ""}`,
        route, routeNamespace: ns, routeName: name, ruleIndex,
        ...(o.ruleName !== undefined ? { ruleName: o.ruleName } : {}),
        matchIndex,
        ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
        match, filters, backends,
        label: ruleLabel({ route, ruleIndex, ruleName: o.ruleName }),
        field: ruleFields(ruleIndex, matchIndex),
        action: actionOf(filters, backends, match, DEFAULT_LISTENER),
    };
}

/** A listener whose rules are kept in the order given (compile sorts them; some tests deliberately do not). */
export function planListener(rules: PlanRule[], extra: Partial<Omit<ListenerPlan, "rules">> = {}): ListenerPlan {
    const l = { name: "http", port: 80, protocol: "HTTP" as const, ...extra };
    return { ...l, rules: rules.map(r => ({ ...r, action: actionOf(r.filters, r.backends, r.match, l) })) };
}

/** A gateway plan with its ports and host ownership decided as compile decides them. */
export function planGateway(listeners: ListenerPlan[], name = "default/gw"): GatewayPlan {
    const [namespace, n] = name.split("/");
    return { gateway: name, name: n, namespace, className: "nginx", listeners, ports: portsOf(name, listeners), status: { conditions: [], listeners: [] } };
}

export function routingPlan(...gws: GatewayPlan[]): RoutingPlan {
    return { gateways: gws, routes: [] };
}

/** A one-listener (http :80) plan whose rules are sorted by the project's precedence, as compile does. */
export function sortedPlan(...rules: PlanRule[]): RoutingPlan {
    return routingPlan(planGateway([planListener([...rules].sort(compareRules))]));
}

/** A resolved Service backend ("name" means "default/name") with one endpoint, port 8080. */
export function planBackend(name: string, weight = 1, extra: Partial<PlanBackend> = {}): PlanBackend {
    return {
        service: name.includes("/") ? name : `default/${name}`, kind: "Service", group: "", port: 8080, weight,
        endpoints: [{ address: "10.0.0.1", port: 8080 }], filters: { requestMirrors: [] }, ...extra,
    };
}
