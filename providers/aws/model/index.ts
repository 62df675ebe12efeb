// GatewayPlan → the ALB configuration as plain data (types.ts): listeners, target groups and
// listener rules whose conditions, actions and transforms are exactly what realize.ts hands to
// lb.ListenerRule. evaluate.ts walks the same data, so the differential test checks what is
// deployed. Pure: no Pulumi. Built once per plan (the adapter's model()); realize receives it.
//
// The plan carries every routing decision; this model only expresses them on ALB, and refuses
// (problems), warns (deviations) or notes (roundings, splits) where ALB differs:
// - one ALB listener per port (PortPlan); Gateway listeners sharing a port become host conditions,
//   with host ownership as the plan decided it (listener.ts);
// - a match becomes conditions (conditions.ts): host ∩ listener hostname as host-header (plus
//   ":port" on a non-default port), PathPrefix "/p" → "/p" and "/p/*" ("/": none), Exact "/p" → "/p",
//   headers, query params and method one condition each; ALB compares header and query values (and
//   query names) case-insensitively, a declared deviation warned about where two rules differ only
//   by case; more than 5 condition values split the OR-lists into adjacent rules, else refuse;
// - the action becomes actions and transforms (actions.ts), target groups per service × port
//   (targetGroups.ts), weights above 999 scaled; priorities are drawn from content (priorities.ts).

import { GatewayPlan } from "../../../routing/plan";
import { AwsNamespaceShare, StackIdentity, isStack, readSettings } from "../parameters";
import { BuildContext, planned } from "./context";
import { buildListener, namespaceOf } from "./listener";
import { ruleStickiness } from "./policies";
import { awsName, slug } from "./names";
import { AlbBuild, AlbModel, AlbRule, AlbTargetGroup } from "./types";

export * from "./types";
export { shortHash, slug } from "./names";

export interface AlbModelOptions {
    /** Routes of this stack on another stack's gateway: the operator's namespaces (from its reference's attachments.aws). */
    team?: { namespaces: Record<string, AwsNamespaceShare>; stack?: StackIdentity };
}

export function buildAlbModel(plan: GatewayPlan, parameters: Record<string, unknown>, options: AlbModelOptions = {}): AlbBuild {
    const { settings, problems } = readSettings(parameters, plan.gateway);
    const warnings: string[] = [];
    const notes: string[] = [];
    const prefix = slug(`${plan.namespace}-${plan.name}`);
    const model: AlbModel = {
        gateway: plan.gateway,
        resourcePrefix: prefix,
        loadBalancer: { resourceName: prefix, name: awsName(`${plan.namespace}-${plan.name}`, `${plan.gateway}|${settings.internal}`) },
        listeners: [],
        targetGroups: [],
        infrastructureTags: infrastructureTags(plan, settings.tags, problems),
    };
    const tgs = new Map<string, AlbTargetGroup>();
    const ctx: BuildContext = { plan, settings, problems, warnings, notes, tgs, prefix, forwards: [], ...(options.team ? { team: { namespaces: options.team.namespaces } } : {}) };

    for (const port of planned(plan.ports, "ports")) {
        if (port.conflict) { problems.push(port.conflict.message); continue; }
        // ALB serves gRPC target groups only behind HTTPS listeners (HTTP/2 is negotiated by ALPN).
        if (port.protocol === "HTTP") {
            for (const l of plan.listeners.filter(x => x.port === port.port)) {
                const grpc = l.rules.find(r => r.protocol === "grpc");
                if (grpc) problems.push(`${grpc.label}: listener ${l.name} is HTTP, and an ALB carries gRPC only on HTTPS listeners; attach the GRPCRoute to an HTTPS listener (sectionName) or make listener ${l.name} HTTPS`);
            }
        }
        const alb = buildListener(ctx, port, planned(port.protocol, `protocol of port ${port.port}`));
        if (alb) model.listeners.push(alb);
    }
    ruleStickiness(ctx, ctx.forwards);
    model.targetGroups = [...tgs.values()];
    problems.push(...quotaProblems(ctx, model, options.team?.stack));
    if (!options.team) {
        const unowned = Object.entries(settings.namespaces ?? {}).filter(([, s]) => s.rules !== undefined && s.stack === undefined).map(([ns]) => ns);
        if (unowned.length > 0) {
            notes.push(`Gateway ${plan.gateway}: GatewayClass parameters.aws.namespaces ${unowned.join(", ")} name no owning stack, so any stack with the gateway's reference may write ` +
                `their rules; two stacks writing one namespace would number rules in one slot: set namespaces.<ns>.stack ("org/project/stack") to the one stack that owns each`);
        }
    }
    return { model, settings, problems: [...new Set(problems)], warnings: [...new Set(warnings)], notes: [...new Set(notes)] };
}

/** What AWS takes in a tag (key 1–128, value 0–256 characters); "aws:" keys are AWS's own. */
const TAG_CHARS = /^[\p{L}\p{N} _.:/=+\-@]*$/u;
/** Tags per AWS resource; gatewaykit adds up to 2 of its own (gatewaykit:gateway and one per resource kind). */
const MAX_TAGS = 50, OWN_TAGS = 2;

/**
 * The Gateway's spec.infrastructure as ALB tags: labels and annotations alike (AWS has one kind of
 * key/value metadata). What a tag cannot hold is refused, naming the field, never cut or dropped.
 */
function infrastructureTags(plan: GatewayPlan, classTags: Record<string, string>, problems: string[]): Record<string, string> {
    const tags: Record<string, string> = {};
    const from = new Map<string, string>();
    const entries = [
        ...Object.entries(plan.infrastructure?.labels ?? {}).map(([k, v]) => ({ k, v, field: `spec.infrastructure.labels[${JSON.stringify(k)}]` })),
        ...Object.entries(plan.infrastructure?.annotations ?? {}).map(([k, v]) => ({ k, v, field: `spec.infrastructure.annotations[${JSON.stringify(k)}]` })),
    ];
    for (const { k, v, field } of entries) {
        const at = `Gateway ${plan.gateway} ${field}`;
        if (k.length > 128) { problems.push(`${at}: an AWS tag key has at most 128 characters (this has ${k.length}); shorten the key`); continue; }
        if (k.toLowerCase().startsWith("aws:")) { problems.push(`${at}: AWS reserves tag keys starting with "aws:"; rename the key`); continue; }
        if (v.length > 256) { problems.push(`${at}: an AWS tag value has at most 256 characters (this has ${v.length}); shorten the value or move it out of spec.infrastructure`); continue; }
        if (!TAG_CHARS.test(v)) { problems.push(`${at}: an AWS tag value holds letters, digits, spaces and _ . : / = + - @ only; ${JSON.stringify(v)} has others: remove them`); continue; }
        const prev = from.get(k);
        if (prev !== undefined && tags[k] !== v) { problems.push(`${at}: the same key is also ${prev} with another value, and both become one AWS tag ${JSON.stringify(k)}; give them one value or different keys`); continue; }
        if (classTags[k] !== undefined && classTags[k] !== v) { problems.push(`${at}: the GatewayClass parameters.aws.tags give tag ${JSON.stringify(k)} another value (${JSON.stringify(classTags[k])}); remove one of them`); continue; }
        from.set(k, field);
        tags[k] = v;
    }
    const total = new Set([...Object.keys(classTags), ...Object.keys(tags)]).size + OWN_TAGS;
    if (entries.length > 0 && total > MAX_TAGS) {
        problems.push(`Gateway ${plan.gateway}: spec.infrastructure and parameters.aws.tags make ${total} tags per resource (with gatewaykit's ${OWN_TAGS}), over AWS's ${MAX_TAGS}; remove labels, annotations or class tags`);
    }
    return tags;
}

/** Limits: rules and target groups per load balancer; what the target groups need of the parameters. */
function quotaProblems({ plan, settings, team }: BuildContext, model: AlbModel, stack: StackIdentity | undefined): string[] {
    const problems: string[] = [];
    const rules = model.listeners.flatMap(l => [...l.rules].sort(planOrder));
    if (team) {
        problems.push(...budgetProblems(plan.gateway, rules, team.namespaces, stack));
    } else if (settings.namespaces) {
        problems.push(...sharedQuotaProblems(plan.gateway, rules, settings.namespaces, settings.rulesQuota));
    } else if (rules.length > settings.rulesQuota) {
        const first = rules[settings.rulesQuota];
        const who = first.source ? first.source.label : `the isolation rule ${first.key}`;
        problems.push(`Gateway ${plan.gateway} needs ${rules.length} ALB listener rules, over the rules quota of ${settings.rulesQuota} ` +
            `(parameters.aws.rulesQuota); ${who} is the first past it: split the routes across gateways, or raise the ` +
            "\"Rules per Application Load Balancer\" quota in AWS Service Quotas and set rulesQuota");
    }
    const created = model.targetGroups.length;
    if (created > settings.targetGroupsQuota) {
        const over = model.targetGroups[settings.targetGroupsQuota];
        problems.push(`Gateway ${plan.gateway} needs ${created} target groups, over the quota of ${settings.targetGroupsQuota} (parameters.aws.targetGroupsQuota); ` +
            `the backend ${over.service}:${over.servicePort} is the first past it: split the routes across gateways or raise the quota and set targetGroupsQuota`);
    }
    const needVpc = model.targetGroups.filter(t => !t.existingArn && t.targetType !== "lambda");
    if (needVpc.length > 0 && !settings.vpcId) {
        problems.push(`Gateway ${plan.gateway}: GatewayClass parameters.aws.vpcId is required for the target groups of ` +
            `${needVpc.map(t => t.service || "invalid backends").join(", ")}; set vpcId`);
    }
    if (settings.securityGroupIngressCidrs && !settings.vpcId) {
        problems.push(`Gateway ${plan.gateway}: GatewayClass parameters.aws.securityGroupIngressCidrs creates a security group, which needs parameters.aws.vpcId; set vpcId`);
    }
    return problems;
}


/** What a message names for a rule: its route rule, or the isolation rule's key. */
function ruleLabelOf(rule: AlbRule): string {
    return rule.source ? rule.source.label : `the isolation rule ${rule.key}`;
}

/**
 * A team's stack: every namespace it writes rules for has the operator's budget (namespaces[ns].rules)
 * and stays within it; the operator's own namespaces are not the team's to write.
 */
function budgetProblems(gateway: string, rules: AlbRule[], namespaces: Record<string, AwsNamespaceShare>, stack: StackIdentity | undefined): string[] {
    const problems: string[] = [];
    const byNamespace = new Map<string, AlbRule[]>();
    for (const r of rules) {
        const ns = namespaceOf(r);
        if (ns !== undefined) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), r]);
    }
    for (const [ns, own] of byNamespace) {
        const share = namespaces[ns];
        const owner = share === undefined ? undefined : stackOwnerProblem(gateway, ns, share, stack, ruleLabelOf(own[0]));
        if (share === undefined) {
            problems.push(`Gateway ${gateway} admits no listener rules from other stacks for namespace ${ns} (${ruleLabelOf(own[0])}): ` +
                `ask its operator to add namespaces.${ns} = { slot, rules } to the GatewayClass parameters.aws`);
        } else if (owner) {
            problems.push(owner);
        } else if (share.rules === undefined) {
            problems.push(`Gateway ${gateway}: the rules of namespace ${ns} (${ruleLabelOf(own[0])}) are its operator's own ` +
                `(parameters.aws.namespaces.${ns} has no rules budget); declare the route in the operator's stack, or ask for a budget`);
        } else if (own.length > share.rules) {
            problems.push(`Gateway ${gateway}: namespace ${ns} needs ${own.length} ALB listener rules, over its budget of ${share.rules} ` +
                `(the operator's GatewayClass parameters.aws.namespaces.${ns}.rules, its part of the shared rules quota); ` +
                `${ruleLabelOf(own[share.rules])} is the first past it: remove rules, or ask the operator to raise the budget`);
        }
    }
    return problems;
}

/**
 * Why this stack may not write namespace `ns`'s rules on a shared gateway: the operator named another
 * stack as its owner (parameters.aws.namespaces[ns].stack). `who` is what this stack declares there.
 */
export function stackOwnerProblem(gateway: string, ns: string, share: AwsNamespaceShare, stack: StackIdentity | undefined, who: string): string | undefined {
    if (share.stack === undefined || (stack !== undefined && isStack(share.stack, stack))) return undefined;
    const running = stack ? `${stack.organization !== undefined ? `${stack.organization}/` : ""}${stack.project}/${stack.stack}` : "a stack whose name is unknown";
    return `Gateway ${gateway}: namespace ${ns} belongs to stack ${share.stack} on this shared ALB (the operator's GatewayClass parameters.aws.namespaces.${ns}.stack), ` +
        `and this is ${running} (${who}): declare namespace ${ns}'s routes and ListenerSets in ${share.stack}, or ask the operator to name this stack there`;
}

/** The operator's stack of a shared gateway: its own rules plus every team's budget fit the quota. */
function sharedQuotaProblems(gateway: string, rules: AlbRule[], namespaces: Record<string, AwsNamespaceShare>, quota: number): string[] {
    const problems: string[] = [];
    for (const r of rules) {
        const ns = namespaceOf(r);
        if (ns !== undefined && namespaces[ns]?.rules !== undefined) {
            problems.push(`Gateway ${gateway}: ${r.source!.label} is declared in the operator's stack, but namespace ${ns}'s rules belong to another stack ` +
                `(parameters.aws.namespaces.${ns}.rules); declare the route in that stack on the gateway's reference, or remove the budget`);
            break;
        }
    }
    const budgets = Object.entries(namespaces).filter(([, s]) => s.rules !== undefined);
    const reserved = budgets.reduce((sum, [, s]) => sum + s.rules!, 0);
    if (rules.length + reserved > quota) {
        problems.push(`Gateway ${gateway} needs ${rules.length} ALB listener rules of its own and reserves ${reserved} for other stacks ` +
            `(${budgets.map(([ns, s]) => `${ns}: ${s.rules}`).join(", ")}), over the rules quota of ${quota} (parameters.aws.rulesQuota): ` +
            "lower the budgets in parameters.aws.namespaces, or raise the \"Rules per Application Load Balancer\" quota and set rulesQuota");
    }
    return problems;
}

/** Plan order across listeners, for naming the rule that pushes past a quota. */
function planOrder(a: AlbRule, b: AlbRule): number {
    if (!a.source !== !b.source) return a.source ? -1 : 1;
    return a.priority - b.priority;
}
