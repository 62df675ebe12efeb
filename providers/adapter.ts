// The adapter contract: what a vendor data plane declares (capabilities, limits) and does (realise a
// plan). The capability check runs before any resource is created, so a plan an adapter cannot
// carry fails with the route, rule, feature and the adapters that could carry it.

import * as pulumi from "@pulumi/pulumi";
import { CapabilityError } from "../routing/errors";
import { Feature, FeatureUse, featuresOfGateway } from "../routing/features";
import { GatewayPlan } from "../routing/plan";

/** Hard quotas of a data plane; a plan beyond them fails before deployment. */
export interface AdapterLimits {
    /** Rules (PlanRules: rule × match × hostname) one listener may carry. */
    maxRulesPerListener?: number;
    /** Backends one rule may split traffic across. */
    maxBackendsPerRule?: number;
}

export interface RealizeContext {
    /** The Gateway component: every resource the adapter creates is its child. */
    parent: pulumi.Resource;
    /** The Gateway's name ("namespace/name" is plan.gateway). */
    gatewayName: string;
    /** This adapter's section of the GatewayClass parameters (parameters[adapter.name]), or {}. */
    parameters: Record<string, unknown>;
    /**
     * Per-program scratch space shared by every realize call of the program (cleared between
     * runProgram runs), for objects several gateways share; adapters key it by their own name.
     */
    shared?: Map<string, unknown>;
    /**
     * TLS material for listener certificateRefs, keyed "namespace/name" (or "name" in the gateway's
     * namespace), from the Gateway's `certificates` argument. A secret Output: keep it one.
     */
    certificates?: pulumi.Output<Record<string, TlsCertificate>>;
}

/** A PEM certificate (chain) and its private key. */
export interface TlsCertificate {
    certificate: string;
    privateKey: string;
}

export interface RealizeResult {
    /** Where clients reach the data plane (IPs or DNS names). */
    addresses: pulumi.Output<string[]>;
}

export interface Adapter {
    /** Short name, e.g. "aws"; also the key of its GatewayClass parameters and Service realizations. */
    name: string;
    /** GatewayClass controllerNames this adapter answers to. */
    controllerNames: string[];
    capabilities: ReadonlySet<Feature>;
    limits?: AdapterLimits;
    /** Creates no data plane (e.g. the "plan" adapter): never suggested as an alternative. */
    planOnly?: boolean;
    /** Extra checks that need the class parameters; returns problems (empty when fine). */
    preflight?(plan: GatewayPlan, parameters: Record<string, unknown>): string[];
    /** Creates the data plane for one gateway. Absent when this version cannot create one. */
    realize?(plan: GatewayPlan, ctx: RealizeContext): RealizeResult;
    /**
     * Realises one route attached to another stack's gateway (a GatewayReference parentRef), as
     * children of the HTTPRoute component (ctx.parent); plan is that route compiled against the
     * reference. Only adapters whose routes are objects of their own (kubernetes) implement it.
     */
    realizeRoutes?(plan: GatewayPlan, ctx: RealizeContext): void;
}

/** One thing a plan needs that an adapter cannot do. */
export interface PortabilityFinding {
    feature: Feature | "limit";
    route?: string;
    ruleIndex?: number;
    ruleName?: string;
    listeners: string[];
    /** Adapters (with a data plane) that do support the feature. */
    supportedBy: string[];
    message: string;
}

function where(plan: GatewayPlan, use: Pick<FeatureUse, "route" | "ruleIndex" | "ruleName" | "listeners">): string {
    if (use.route === undefined) return `Gateway ${plan.gateway} listener ${use.listeners.join(", ")}`;
    const rule = use.ruleIndex === undefined ? "" : ` rule ${use.ruleIndex}` + (use.ruleName ? ` (${use.ruleName})` : "");
    return `HTTPRoute ${use.route}${rule}`;
}

/** Everything in the plan the target adapter cannot carry, without throwing (for a provider-swap preview). */
export function portabilityReport(plan: GatewayPlan, target: Adapter, all: readonly Adapter[] = []): PortabilityFinding[] {
    const findings: PortabilityFinding[] = [];
    for (const use of featuresOfGateway(plan)) {
        if (target.capabilities.has(use.feature)) continue;
        const supportedBy = all.filter(a => !a.planOnly && a.name !== target.name && a.capabilities.has(use.feature)).map(a => a.name);
        findings.push({
            ...use,
            supportedBy,
            message: `${where(plan, use)} uses ${use.feature}, which the ${target.name} adapter does not support; ` +
                (supportedBy.length > 0 ? `adapters that support it: ${supportedBy.join(", ")}` : "no registered adapter supports it"),
        });
    }
    const limits = target.limits ?? {};
    for (const l of plan.listeners) {
        if (limits.maxRulesPerListener !== undefined && l.rules.length > limits.maxRulesPerListener) {
            findings.push({
                feature: "limit", listeners: [l.name], supportedBy: [],
                message: `Gateway ${plan.gateway} listener ${l.name} needs ${l.rules.length} rules (rule × match × hostname); ` +
                    `the ${target.name} adapter allows at most ${limits.maxRulesPerListener}: split the routes across gateways`,
            });
        }
        const reported = new Set<string>();
        for (const r of l.rules) {
            const key = `${r.route}/${r.ruleIndex}`;
            if (limits.maxBackendsPerRule === undefined || r.backends.length <= limits.maxBackendsPerRule || reported.has(key)) continue;
            reported.add(key);
            findings.push({
                feature: "limit", route: r.route, ruleIndex: r.ruleIndex, ...(r.ruleName ? { ruleName: r.ruleName } : {}),
                listeners: [l.name], supportedBy: [],
                message: `${where(plan, { route: r.route, ruleIndex: r.ruleIndex, ruleName: r.ruleName, listeners: [] })} ` +
                    `splits traffic across ${r.backends.length} backends; the ${target.name} adapter allows at most ${limits.maxBackendsPerRule} per rule`,
            });
        }
    }
    return findings;
}

/** Throws CapabilityError listing every use the adapter cannot carry. */
export function checkCapabilities(plan: GatewayPlan, adapter: Adapter, all: readonly Adapter[]): void {
    const findings = portabilityReport(plan, adapter, all);
    if (findings.length === 0) return;
    const head = `Gateway ${plan.gateway} cannot be realised by the ${adapter.name} adapter` +
        (plan.controllerName ? ` (controllerName ${plan.controllerName})` : "");
    throw new CapabilityError(findings.length === 1
        ? `${head}: ${findings[0].message}`
        : `${head}, ${findings.length} problems:\n` + findings.map(f => "  - " + f.message).join("\n"));
}
