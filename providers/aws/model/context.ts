// What the model builders share while they turn one GatewayPlan into an AlbModel.

import { GatewayPlan } from "../../../routing/plan";
import type { AwsNamespaceShare } from "../parameters";
import { AlbBuild, AlbStickiness, AlbTargetGroup } from "./types";

export interface BuildContext extends Pick<AlbBuild, "settings" | "problems" | "warnings" | "notes"> {
    plan: GatewayPlan;
    /** Target groups by key, in the order the rules first name them. */
    tgs: Map<string, AlbTargetGroup>;
    /** Resource-name prefix of the gateway ("namespace-name"). */
    prefix: string;
    /**
     * Set when this stack attaches routes to another stack's gateway (a GatewayReference): the
     * operator's namespaces (slots and budgets); the model then holds this stack's listener rules
     * and target groups only (no load balancer, listeners, certificates or isolation rules).
     */
    team?: { namespaces: Record<string, AwsNamespaceShare> };
    /** Every forward the rules made, with the persistence each rule asks for (policies.ts ruleStickiness). */
    forwards: ForwardUse[];
}

/**
 * A plan field compile always sets (optional in the types only for hand-built test plans). The
 * model reads decisions; it never makes them up, so a plan without one is refused loudly.
 */
export function planned<T>(value: T | undefined, field: string): T {
    if (value === undefined) throw new Error(`aws adapter: the plan has no ${field}; build plans with routing/compile, which sets it`);
    return value;
}

/** One forward of a rule: the target groups it names and the persistence the rule asks for. */
export interface ForwardUse {
    who: string;
    targetGroups: string[];
    stickiness?: AlbStickiness;
}
