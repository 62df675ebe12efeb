// How messages name a rule: one wording for every adapter and for compile, so a problem about the
// same rule reads the same whichever component reports it.

/** The rule's identity as messages print it. */
export interface RuleIdentity {
    /** "namespace/name" of the HTTPRoute. */
    route: string;
    ruleIndex: number;
    ruleName?: string;
    /** Defaults to "HTTPRoute". */
    kind?: "HTTPRoute" | "GRPCRoute";
}

/** "HTTPRoute team-a/shop rule 2" (or "GRPCRoute …"), plus " (canary)" when the rule is named. */
export function ruleLabel(r: RuleIdentity): string {
    // join: one flat string (compile keeps one per rule; a template keeps a chain of concatenations).
    return [r.kind ?? "HTTPRoute", " ", r.route, " rule ", r.ruleIndex, r.ruleName ? ` (${r.ruleName})` : ""].join("");
}

/**
 * Field-path heads of a rule and one of its matches, for messages: "spec.rules[2]",
 * "spec.rules[2].matches[0]". A rule written without matches has the default match at index 0.
 */
export function ruleFields(ruleIndex: number, matchIndex: number): { rule: string; match: string } {
    const rule = `spec.rules[${ruleIndex}]`;
    return { rule, match: `${rule}.matches[${matchIndex}]` };
}
