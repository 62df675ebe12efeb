// GatewayClass parameters of the aws adapter (parameters.aws) and their checks. Every check names
// the field and the fix; the adapter's model reports them before any resource exists.

import { holdsPayloadToken } from "../payload-token";

/** Namespaces one shared ALB listener has slots for (model/slots.ts SLOTS). */
export const SHARED_SLOTS = 8;

export type AlbScheme = "internet-facing" | "internal";
export type AlbIpAddressType = "ipv4" | "dualstack" | "dualstack-without-public-ipv4";
export type AlbLoadBalancingAlgorithm = "round_robin" | "least_outstanding_requests" | "weighted_random";

/** GatewayClass parameters for the aws adapter (parameters.aws). */
export interface AwsClassParameters {
    /** AWS region of every resource; defaults to the provider's. */
    region?: string;
    /** The VPC of the target groups; required unless every backend names an existing target group or a Lambda function. */
    vpcId?: string;
    /** Subnets of the load balancer, in at least two Availability Zones. */
    subnetIds?: string[];
    /** Security groups of the load balancer. Without them (and without securityGroupIngressCidrs) the VPC's default group applies. */
    securityGroupIds?: string[];
    /**
     * Creates a security group that admits the listener ports from these CIDR blocks only (egress
     * open, so the load balancer reaches its targets). Nothing is ever opened to 0.0.0.0/0 or ::/0
     * unless you list it here.
     */
    securityGroupIngressCidrs?: string[];
    /** Defaults to "internet-facing". */
    scheme?: AlbScheme;
    /** Same as scheme: "internal" (kept for older programs; scheme wins when both are set). */
    internal?: boolean;
    /** Defaults to "ipv4". */
    ipAddressType?: AlbIpAddressType;
    /** Idle timeout in seconds (1–4000); the ALB default is 60. */
    idleTimeout?: number;
    /** Protects the load balancer from deletion (the ALB default is off). */
    deletionProtection?: boolean;
    /** Access logs to an S3 bucket. */
    accessLogs?: { bucket: string; prefix?: string; enabled?: boolean };
    /** Target group algorithm; the ALB default is round_robin. A Service's BackendTrafficPolicy loadBalancer wins for its target groups. */
    loadBalancingAlgorithm?: AlbLoadBalancingAlgorithm;
    /** The account's "Rules per Application Load Balancer" quota; defaults to 100. */
    rulesQuota?: number;
    /** The account's "Target groups per Application Load Balancer" quota; defaults to 100. */
    targetGroupsQuota?: number;
    /** TLS policy of HTTPS listeners; defaults to ELBSecurityPolicy-TLS13-1-2-2021-06. */
    sslPolicy?: string;
    /**
     * ACM certificate ARNs by certificateRef name ("name" or "namespace/name"), for refs whose
     * name is not itself an ARN — e.g. `{ "mygroup-tls": cert.arn }` with an aws.acm.Certificate.
     */
    certificateArns?: Record<string, string>;
    /**
     * An S3 bucket of yours (in the ALB's region) for spec.tls.frontend: gatewaykit uploads each HTTPS
     * port's CA bundle there (key gatewaykit/<namespace>/<gateway>/client-ca-<port>-<hash>.pem) and makes
     * the ALB trust store from it. Required when a port validates client certificates (AllowValidOnly).
     */
    trustStoreBucket?: string;
    /**
     * Health check of every target group (path defaults to "/", matcher to "200-399"). A Service's
     * BackendTrafficPolicy healthCheck.active wins for its target groups (the matcher stays this one).
     */
    healthCheck?: { path?: string; matcher?: string; intervalSeconds?: number; healthyThreshold?: number; unhealthyThreshold?: number };
    /** Tags on every resource. */
    tags?: Record<string, string>;
    /**
     * Shares the listeners with other stacks: per route namespace, its slot of every priority band
     * (0–7, in namespace-name order; leave gaps for namespaces to come) and, for a namespace whose
     * routes another stack declares on this gateway's `reference`, the listener rules that stack may
     * create (its part of rulesQuota). Fixed for the life of the gateway: a slot never moves.
     */
    namespaces?: Record<string, AwsNamespaceShare>;
}

/** One route namespace's part of a shared ALB (parameters.aws.namespaces[ns]). */
export interface AwsNamespaceShare {
    slot: number;
    /** Rules another stack creates for this namespace; absent: the namespace's routes are the operator's own. */
    rules?: number;
    /**
     * The one stack that writes this namespace's rules ("org/project/stack" or "project/stack"):
     * any other stack is refused before it creates anything, so two stacks can never number rules
     * in one slot. Needs `rules`. Unset: any stack may, and the operator must keep it to one.
     */
    stack?: string;
}

/** The running stack, as a namespace's `stack` is compared with it. */
export interface StackIdentity {
    /** Undefined where the runtime does not know it (then "org/…" compares project and stack only). */
    organization?: string;
    project: string;
    stack: string;
}

/** "org/project/stack" or "project/stack", split; undefined when it is neither. */
export function parseStackName(name: string): { organization?: string; project: string; stack: string } | undefined {
    const parts = name.split("/");
    if (parts.some(p => p === "" || /\s/.test(p))) return undefined;
    if (parts.length === 2) return { project: parts[0], stack: parts[1] };
    if (parts.length === 3) return { organization: parts[0], project: parts[1], stack: parts[2] };
    return undefined;
}

/** Whether the running stack is the one a namespace's `stack` names. */
export function isStack(name: string, running: StackIdentity): boolean {
    const named = parseStackName(name);
    if (!named) return false;
    if (named.organization !== undefined && running.organization !== undefined && named.organization !== running.organization) return false;
    return named.project === running.project && named.stack === running.stack;
}

/** Parameters with defaults applied. */
export interface AlbSettings {
    region?: string;
    vpcId?: string;
    subnetIds: string[];
    securityGroupIds: string[];
    securityGroupIngressCidrs?: string[];
    internal: boolean;
    ipAddressType?: AlbIpAddressType;
    idleTimeout?: number;
    deletionProtection?: boolean;
    accessLogs?: { bucket: string; prefix?: string; enabled: boolean };
    loadBalancingAlgorithm?: AlbLoadBalancingAlgorithm;
    rulesQuota: number;
    targetGroupsQuota: number;
    sslPolicy: string;
    certificateArns: Record<string, string>;
    trustStoreBucket?: string;
    healthCheck: { path: string; matcher: string; intervalSeconds?: number; healthyThreshold?: number; unhealthyThreshold?: number };
    tags: Record<string, string>;
    /** parameters.aws.namespaces, checked; undefined: the listeners are this stack's alone. */
    namespaces?: Record<string, AwsNamespaceShare>;
}

export const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

function isStringList(v: unknown): v is string[] {
    return Array.isArray(v) && v.every(x => typeof x === "string");
}

/** Reads parameters.aws; `problems` name the field and the fix. */
export function readSettings(raw: Record<string, unknown>, gateway: string): { settings: AlbSettings; problems: string[] } {
    const problems: string[] = [];
    const at = (field: string) => `Gateway ${gateway}: GatewayClass parameters.aws.${field}`;
    const str = (field: string): string | undefined => {
        const v = raw[field];
        if (v === undefined) return undefined;
        if (typeof v !== "string" || v === "") { problems.push(`${at(field)} must be a non-empty string (got ${JSON.stringify(v)})`); return undefined; }
        return v;
    };
    const list = (field: string): string[] | undefined => {
        const v = raw[field];
        if (v === undefined) return undefined;
        if (!isStringList(v)) { problems.push(`${at(field)} must be a list of strings (got ${JSON.stringify(v)})`); return undefined; }
        return v;
    };
    const num = (field: string, min: number, max: number): number | undefined => {
        const v = raw[field];
        if (v === undefined) return undefined;
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
            problems.push(`${at(field)} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
            return undefined;
        }
        return v;
    };
    const oneOf = <T extends string>(field: string, allowed: readonly T[]): T | undefined => {
        const v = raw[field];
        if (v === undefined) return undefined;
        if (typeof v !== "string" || !allowed.includes(v as T)) {
            problems.push(`${at(field)} must be one of ${allowed.map(a => JSON.stringify(a)).join(", ")} (got ${JSON.stringify(v)})`);
            return undefined;
        }
        return v as T;
    };

    const subnetIds = list("subnetIds") ?? [];
    // [token]: a subnet list unknown in this preview (its length is checked during the update).
    if (subnetIds.length < 2 && !subnetIds.some(holdsPayloadToken)) {
        problems.push(`${at("subnetIds")}: an Application Load Balancer needs subnets in at least two Availability Zones; list them (got ${subnetIds.length})`);
    }
    const scheme = oneOf<AlbScheme>("scheme", ["internet-facing", "internal"]);
    if (raw.internal !== undefined && typeof raw.internal !== "boolean") problems.push(`${at("internal")} must be true or false`);
    const cidrs = list("securityGroupIngressCidrs");
    if (cidrs !== undefined && cidrs.length === 0) {
        problems.push(`${at("securityGroupIngressCidrs")} is empty: list the CIDR blocks that may reach the listeners, or remove it and give securityGroupIds`);
    }
    const logs = raw.accessLogs as AwsClassParameters["accessLogs"] | undefined;
    if (logs !== undefined && (typeof logs !== "object" || logs === null || typeof logs.bucket !== "string" || logs.bucket === "")) {
        problems.push(`${at("accessLogs")} needs a bucket name: { bucket: "my-alb-logs", prefix?: "…" }`);
    }
    const certificateArns = (raw.certificateArns ?? {}) as Record<string, unknown>;
    if (typeof certificateArns !== "object" || certificateArns === null || Object.values(certificateArns).some(v => typeof v !== "string")) {
        problems.push(`${at("certificateArns")} must map certificateRef names to ACM certificate ARNs`);
    }
    const hc = (raw.healthCheck ?? {}) as AwsClassParameters["healthCheck"] & object;
    const tags = (raw.tags ?? {}) as Record<string, string>;
    for (const flag of ["deletionProtection"]) {
        if (raw[flag] !== undefined && typeof raw[flag] !== "boolean") problems.push(`${at(flag)} must be true or false`);
    }
    const settings: AlbSettings = {
        region: str("region"),
        vpcId: str("vpcId"),
        subnetIds,
        securityGroupIds: list("securityGroupIds") ?? [],
        securityGroupIngressCidrs: cidrs,
        internal: scheme !== undefined ? scheme === "internal" : raw.internal === true,
        ipAddressType: oneOf<AlbIpAddressType>("ipAddressType", ["ipv4", "dualstack", "dualstack-without-public-ipv4"]),
        idleTimeout: num("idleTimeout", 1, 4000),
        deletionProtection: typeof raw.deletionProtection === "boolean" ? raw.deletionProtection : undefined,
        accessLogs: logs && typeof logs.bucket === "string" ? { bucket: logs.bucket, prefix: logs.prefix, enabled: logs.enabled ?? true } : undefined,
        loadBalancingAlgorithm: oneOf<AlbLoadBalancingAlgorithm>("loadBalancingAlgorithm", ["round_robin", "least_outstanding_requests", "weighted_random"]),
        rulesQuota: num("rulesQuota", 1, 10000) ?? 100,
        targetGroupsQuota: num("targetGroupsQuota", 1, 10000) ?? 100,
        sslPolicy: str("sslPolicy") ?? DEFAULT_SSL_POLICY,
        certificateArns: certificateArns as Record<string, string>,
        trustStoreBucket: str("trustStoreBucket"),
        healthCheck: { ...hc, path: hc.path ?? "/", matcher: hc.matcher ?? "200-399" },
        tags,
        ...(raw.namespaces !== undefined ? { namespaces: readNamespaces(raw.namespaces, at("namespaces"), problems) } : {}),
    };
    return { settings, problems };
}

/** parameters.aws.namespaces: slots 0–7, unique, in namespace-name order (the order ties between namespaces take). */
function readNamespaces(raw: unknown, at: string, problems: string[]): Record<string, AwsNamespaceShare> {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        problems.push(`${at} must map route namespaces to { slot, rules?, stack? } (got ${JSON.stringify(raw)})`);
        return {};
    }
    const out: Record<string, AwsNamespaceShare> = {};
    for (const [ns, v] of Object.entries(raw as Record<string, unknown>)) {
        const share = v as Partial<AwsNamespaceShare> | null;
        const slot = share?.slot, rules = share?.rules, stack = share?.stack;
        if (typeof slot !== "number" || !Number.isInteger(slot) || slot < 0 || slot >= SHARED_SLOTS) {
            problems.push(`${at}.${ns}.slot must be a whole number from 0 to ${SHARED_SLOTS - 1} (got ${JSON.stringify(slot)})`);
            continue;
        }
        if (rules !== undefined && (typeof rules !== "number" || !Number.isInteger(rules) || rules < 0)) {
            problems.push(`${at}.${ns}.rules must be a whole number ≥ 0 (got ${JSON.stringify(rules)})`);
            continue;
        }
        if (stack !== undefined && (typeof stack !== "string" || parseStackName(stack) === undefined)) {
            problems.push(`${at}.${ns}.stack must name a stack as "org/project/stack" or "project/stack" (got ${JSON.stringify(stack)})`);
            continue;
        }
        if (stack !== undefined && rules === undefined) {
            problems.push(`${at}.${ns}.stack names the stack that writes namespace ${ns}'s rules, but the namespace has no rules budget (its rules are the operator's own): ` +
                "give rules too, or remove stack");
            continue;
        }
        out[ns] = { slot, ...(rules !== undefined ? { rules } : {}), ...(stack !== undefined ? { stack } : {}) };
    }
    const bySlot = Object.entries(out).sort((a, b) => a[1].slot - b[1].slot);
    for (let i = 1; i < bySlot.length; i++) {
        const [pa, a] = bySlot[i - 1], [pb, b] = bySlot[i];
        if (a.slot === b.slot) {
            problems.push(`${at}: namespaces ${pa} and ${pb} both have slot ${a.slot}; give each namespace a slot of its own`);
        } else if (`${pa}/` > `${pb}/`) {
            // Rules of two namespaces that tie in precedence go by route name ("ns/name"): slots must follow it.
            problems.push(`${at}: namespace ${pb} (slot ${b.slot}) sorts before ${pa} (slot ${a.slot}), so its slot must be lower: ` +
                "slots follow namespace names, which decide ties between namespaces; renumber the slots in name order (leave gaps for namespaces to come)");
        }
    }
    return out;
}
