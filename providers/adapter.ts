// The adapter contract: what a vendor data plane declares (capabilities, limits) and does (realise a
// plan). The capability check runs before any resource is created, so a plan an adapter cannot
// carry fails with the route, rule, feature and the adapters that could carry it.

import type * as pulumi from "@pulumi/pulumi";
import { CapabilityError } from "../routing/errors";
import { Feature, FeatureUse, featuresOfGateway } from "../routing/features";
import { ruleLabel } from "../routing/labels";
import { GatewayInput, GatewayPlan, ListenerSetStatus, RouteStatus } from "../routing/plan";
import { ListenerSetSpec, NamespaceSpec } from "../routing/types";

/** Hard quotas of a data plane; a plan beyond them fails before deployment. */
export interface AdapterLimits {
    /** Rules (PlanRules: rule × match × hostname) one listener may carry. */
    maxRulesPerListener?: number;
    /** Backends one rule may split traffic across. */
    maxBackendsPerRule?: number;
}

/** What an adapter's model() reads besides the plan. */
export interface ModelContext {
    /** This adapter's section of the GatewayClass parameters (parameters[adapter.name]), or {}. */
    parameters: Record<string, unknown>;
    /** The specs the plan was compiled from (components/compileInput.ts). */
    input: GatewayInput;
    /**
     * Keys ("namespace/name") of the certificateRefs whose PEM material the program supplies (the
     * Gateway's certificates, its ListenerSets', imported ListenerSets'): for data planes that upload it (gcp).
     */
    certificateKeys?: string[];
}

/** An adapter's vendor model of one plan: built once, before anything is created. */
export interface AdapterModel {
    /** What refuses the plan (quotas, sizes, parameters); empty when it can be realised. */
    problems: string[];
    /** The vendor model realize() receives as ctx.model (pure data). */
    model?: unknown;
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
    /**
     * CA bundles (PEM) for the ports' client-certificate validation (PortPlan.frontendValidation
     * caCertificateKeys), keyed "namespace/name" (or "name" in the gateway's namespace), from the
     * Gateway's `caCertificates` argument.
     */
    caCertificates?: pulumi.Output<Record<string, string>>;
    /**
     * The keys of caCertificates, "namespace/name", known before their values (an Output): adapters
     * that create resources from the bundles refuse a missing one before declaring anything.
     */
    caCertificateKeys?: string[];
    /** The specs the plan was compiled from (components/compileInput.ts): gateway, routes, services, namespaces. */
    input: GatewayInput;
    /** What this adapter's model() built for the plan, when it has one (realize only). */
    model?: unknown;
    /** Labels of route namespaces (the Gateway's namespaceLabels), for data planes that recompile routes themselves. */
    namespaces?: NamespaceSpec[];
    /**
     * realizeRoutes only: this adapter's section of the GatewayReference's `attachments` (what the
     * gateway's realize returned as `attachment`), e.g. where the nginx gateway reads route files.
     */
    attachment?: Record<string, unknown>;
    /** realizeRoutes only: the status of the routes being realised, as compiled against the reference. */
    routeStatuses?: RouteStatus[];
    /** realizeRoutes only: the statuses of this program's ListenerSets on the same reference (routes may attach to them). */
    listenerSetStatuses?: ListenerSetStatus[];
    /**
     * realizeRoutes only: every route this program attaches to the same reference (each valid on its
     * own), compiled together — for data planes that number rules across routes (aws priorities).
     */
    programPlan?: GatewayPlan;
}

/** A PEM certificate (chain) and its private key. */
export interface TlsCertificate {
    certificate: string;
    privateKey: string;
}

export interface RealizeResult {
    /** Where clients reach the data plane (IPs or DNS names). */
    addresses: pulumi.Output<string[]>;
    /**
     * Plain, serialisable data another stack needs to attach routes to this gateway (exported in
     * GatewayReference.attachments[adapter.name]); no secrets.
     */
    attachment?: Record<string, unknown>;
}

export interface Adapter {
    /** Short name, e.g. "aws"; also the key of its GatewayClass parameters and Service realizations. */
    name: string;
    /** GatewayClass controllerNames this adapter answers to. */
    controllerNames: string[];
    capabilities: ReadonlySet<Feature>;
    /** Why a feature outside `capabilities` is missing, where the adapter can say (shown in the refusal). */
    missingReasons?: Partial<Record<Feature, string>>;
    limits?: AdapterLimits;
    /** Creates no data plane (e.g. the "plan" adapter): never suggested as an alternative. */
    planOnly?: boolean;
    /**
     * The vendor model of the plan (pure): built once per render; its problems refuse the plan
     * before any resource exists (and show in portability reports), realize receives its model.
     */
    model?(plan: GatewayPlan, ctx: ModelContext): AdapterModel;
    /** Creates the data plane for one gateway. Absent when this version cannot create one. */
    realize?(plan: GatewayPlan, ctx: RealizeContext): RealizeResult;
    /**
     * Realises one route attached to another stack's gateway (a GatewayReference parentRef), as
     * children of the HTTPRoute component (ctx.parent); plan is that route compiled against the
     * reference. Only adapters whose routes are objects of their own (kubernetes) implement it.
     */
    realizeRoutes?(plan: GatewayPlan, ctx: RealizeContext): void;
    /**
     * Realises one ListenerSet declared against another stack's gateway (a GatewayReference), as
     * children of the ListenerSet component (ctx.parent), once its status there is computed; returns
     * the resources routes attached to it must wait for. Absent: such a ListenerSet is refused.
     */
    realizeListenerSet?(ctx: ListenerSetRealizeContext): pulumi.Resource[];
}

/** What realizeListenerSet receives. */
export interface ListenerSetRealizeContext {
    /** The ListenerSet component. */
    parent: pulumi.Resource;
    /** "namespace/name" of the gateway. */
    gateway: string;
    spec: ListenerSetSpec;
    /** Its status as compiled against the reference. */
    status: ListenerSetStatus;
    /** This adapter's section of the ListenerSet's parameters, or {}. */
    parameters: Record<string, unknown>;
    /** This adapter's section of the GatewayReference's attachments. */
    attachment?: Record<string, unknown>;
    /** Its certificates keyed "namespace/name" in its own namespace; a secret Output. */
    certificates?: pulumi.Output<Record<string, TlsCertificate>>;
    /** The keys of `certificates` ("namespace/name"), known when the program declares them. */
    certificateKeys?: string[];
    /**
     * Every route and ListenerSet of this program on the same reference (each valid on its own),
     * compiled together, as realizeRoutes' programPlan: for data planes that number rules across them (aws).
     */
    programPlan?: GatewayPlan;
    /** The reference's gateway with this ListenerSet (no routes): what its status was compiled from. */
    input: GatewayInput;
    /** `input` compiled (the plan the status came from). */
    plan: GatewayPlan;
    /** The program's adapter scratch space (RealizeContext.shared). */
    shared?: Map<string, unknown>;
}

/** One thing a plan needs that an adapter cannot do. */
export interface PortabilityFinding {
    /** The feature; "limit" for a quota; "preflight" for a problem the adapter's preflight reports with the class parameters. */
    feature: Feature | "limit" | "preflight";
    route?: string;
    ruleIndex?: number;
    ruleName?: string;
    listeners: string[];
    /** Adapters (with a data plane) that do support the feature. */
    supportedBy: string[];
    message: string;
}

/**
 * Where a feature use or limit is, for messages: the rule in routing/labels.ts's one wording
 * ("HTTPRoute ns/name rule 2 (canary)"), the route when the use is route-wide, else the listeners.
 */
export function useLabel(gateway: string, use: Pick<FeatureUse, "route" | "ruleIndex" | "ruleName" | "listeners" | "routeKind" | "field">): string {
    if (use.route === undefined && use.field !== undefined) return `Gateway ${gateway} ${use.field}`;
    if (use.route === undefined) return `Gateway ${gateway} listener ${use.listeners.join(", ")}`;
    if (use.ruleIndex === undefined) return `${use.routeKind ?? "HTTPRoute"} ${use.route}`;
    return ruleLabel({ route: use.route, ruleIndex: use.ruleIndex, ...(use.ruleName ? { ruleName: use.ruleName } : {}), ...(use.routeKind ? { kind: use.routeKind } : {}) });
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
            message: `${useLabel(plan.gateway, use)} uses ${use.feature}, which the ${target.name} adapter does not support` +
                (target.missingReasons?.[use.feature] ? ` (${target.missingReasons[use.feature]})` : "") + "; " +
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
                message: `${useLabel(plan.gateway, { route: r.route, ruleIndex: r.ruleIndex, ruleName: r.ruleName, listeners: [], ...(r.protocol === "grpc" ? { routeKind: "GRPCRoute" as const } : {}) })} ` +
                    `splits traffic across ${r.backends.length} backends; the ${target.name} adapter allows at most ${limits.maxBackendsPerRule} per rule`,
            });
        }
    }
    return findings;
}

/**
 * What the target adapter's preflight would refuse, given the class parameters (the whole
 * parameters object, keyed by adapter name; the target reads its own section), as findings.
 */
export function preflightFindings(plan: GatewayPlan, target: Adapter, parameters: Record<string, unknown>, input: GatewayInput): PortabilityFinding[] {
    if (!target.model) return [];
    const own = (parameters[target.name] ?? {}) as Record<string, unknown>;
    let problems: string[];
    try {
        problems = target.model(plan, { parameters: own, input }).problems;
    } catch (err) {
        problems = [err instanceof Error ? err.message : String(err)];
    }
    return problems.map(p => ({
        feature: "preflight" as const, listeners: [], supportedBy: [],
        message: `the ${target.name} adapter's preflight refuses: ${p}`,
    }));
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
