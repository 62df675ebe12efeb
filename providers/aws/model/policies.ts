// Backend policies on ALB target groups. A target group is one Service port, so what a
// BackendTrafficPolicy says of the Service becomes attributes of each of its target groups:
// - loadBalancer: RoundRobin → round_robin, LeastRequest → least_outstanding_requests, Random →
//   weighted_random (ConsistentHash has no ALB algorithm: the adapter refuses the feature). The
//   policy wins over the GatewayClass parameters.aws.loadBalancingAlgorithm for its Service's
//   groups; the class parameter stays the default of every other group.
// - healthCheck.active → the group's health check (path, interval, timeout, thresholds), within
//   ALB's ranges (interval 5–300 s, timeout 2–120 s and below the interval, thresholds 2–10, whole
//   seconds); it wins over parameters.aws.healthCheck for its Service. A gRPC group keeps ALB's gRPC
//   health-check path and matcher (the policy's path is an HTTP path) and takes the rest.
// - sessionPersistence Cookie → stickiness lb_cookie: the load balancer issues the cookie, which is
//   what Gateway API session persistence means (app_cookie follows a cookie the application issues).
//   cookieDuration is absoluteTimeout (1 s–7 days; absent: ALB's default, 1 day). ALB names its
//   cookie AWSALB, so a sessionName is refused; its cookie always carries an expiry, so a Session
//   lifetime (a browser-session cookie) is a declared deviation, warned about.
// A rule's own sessionPersistence: stickiness is a target-group attribute, shared by every rule that
// forwards to the group, so it is carried only when every such rule asks for the same persistence
// (or the Service's policy does); a weighted rule also gets forward.stickiness (ALB's group-level
// stickiness), so a client stays on one target group and, within it, on one target.

import { PlanBackendTraffic, PlanSessionPersistence } from "../../../routing/plan";
import type { AlbLoadBalancingAlgorithm } from "../parameters";
import { BuildContext, ForwardUse } from "./context";
import { AlbHealthCheck, AlbStickiness, AlbTargetGroup } from "./types";

const ALGORITHMS: Record<string, AlbLoadBalancingAlgorithm> = {
    RoundRobin: "round_robin", LeastRequest: "least_outstanding_requests", Random: "weighted_random",
};

/** ALB's stickiness duration range (seconds), and its default. */
const MAX_STICKINESS_S = 604_800, DEFAULT_STICKINESS_S = 86_400;

/** A persistence as ALB stickiness, or undefined after reporting why it cannot be one. */
export function stickinessOf(ctx: BuildContext, sp: PlanSessionPersistence, who: string): AlbStickiness | undefined {
    // Header persistence is refused by capability (SessionPersistenceHeader): ALB stickiness is a cookie.
    if (sp.type !== "Cookie") return undefined;
    if (sp.sessionName !== undefined) {
        ctx.problems.push(`${who}: sessionPersistence.sessionName ${JSON.stringify(sp.sessionName)} cannot be carried: an ALB names the cookie it issues AWSALB ` +
            "(stickiness type lb_cookie), and its app_cookie type follows a cookie your application issues instead; remove sessionName");
        return undefined;
    }
    let duration = DEFAULT_STICKINESS_S;
    if (sp.absoluteTimeoutMs !== undefined) {
        const s = sp.absoluteTimeoutMs / 1000;
        if (!Number.isInteger(s) || s < 1 || s > MAX_STICKINESS_S) {
            ctx.problems.push(`${who}: sessionPersistence.absoluteTimeout of ${sp.absoluteTimeoutMs} ms cannot be an ALB stickiness duration, which is whole seconds from 1 to ${MAX_STICKINESS_S} (7 days); give such a duration`);
            return undefined;
        }
        duration = s;
    } else {
        ctx.notes.push(`${who}: sessionPersistence has no absoluteTimeout; the ALB stickiness cookie lasts ALB's default of ${DEFAULT_STICKINESS_S} s (1 day)`);
    }
    if (sp.lifetimeType === "Session") {
        ctx.warnings.push(`${who}: sessionPersistence asks for a Session cookie (deleted when the browser closes); ALB's AWSALB cookie always expires after ${duration} s instead`);
    }
    return { type: "lb_cookie", cookieDuration: duration, enabled: true };
}

function healthCheckOf(ctx: BuildContext, hc: NonNullable<NonNullable<PlanBackendTraffic["healthCheck"]>["active"]>, who: string): AlbHealthCheck | undefined {
    const problems: string[] = [];
    const seconds = (ms: number, field: string, min: number, max: number) => {
        const s = ms / 1000;
        if (!Number.isInteger(s) || s < min || s > max) problems.push(`healthCheck.active.${field} of ${ms} ms: ALB takes whole seconds from ${min} to ${max}`);
        return s;
    };
    const interval = seconds(hc.intervalMs, "interval", 5, 300);
    const timeout = seconds(hc.timeoutMs, "timeout", 2, 120);
    if (timeout >= interval) problems.push(`healthCheck.active.timeout (${timeout} s) must be below its interval (${interval} s) on ALB`);
    for (const [field, v] of [["healthyThreshold", hc.healthyThreshold], ["unhealthyThreshold", hc.unhealthyThreshold]] as const) {
        if (!Number.isInteger(v) || v < 2 || v > 10) problems.push(`healthCheck.active.${field} ${v}: ALB takes 2 to 10`);
    }
    if (hc.path.length > 1024) problems.push(`healthCheck.active.path has ${hc.path.length} characters; ALB takes at most 1024`);
    if (problems.length > 0) {
        ctx.problems.push(...problems.map(p => `${who}: ${p}; change the policy's value`));
        return undefined;
    }
    return { path: hc.path, interval, timeout, healthyThreshold: hc.healthyThreshold, unhealthyThreshold: hc.unhealthyThreshold };
}

/** The target group with its Service's BackendTrafficPolicy applied (or unchanged when it has none). */
export function withTrafficPolicy(ctx: BuildContext, tg: AlbTargetGroup, traffic: PlanBackendTraffic | undefined): AlbTargetGroup {
    if (!traffic) return tg;
    const who = `BackendTrafficPolicy ${traffic.policy} (on Service ${tg.service} port ${tg.servicePort})`;
    const sets = traffic.loadBalancer !== undefined || traffic.sessionPersistence !== undefined || traffic.healthCheck?.active !== undefined;
    if (!sets) return tg;
    if (tg.existingArn) {
        ctx.problems.push(`${who}: the Service names an existing target group (realizations.aws.targetGroupArn), whose attributes gatewaykit does not manage; ` +
            "set the algorithm, stickiness and health check on that target group, or remove the policy's loadBalancer, sessionPersistence and healthCheck");
        return tg;
    }
    if (tg.targetType === "lambda") {
        ctx.problems.push(`${who}: the Service is a Lambda function, whose target group has no load-balancing algorithm or stickiness; remove the policy from the Service`);
        return tg;
    }
    const out: AlbTargetGroup = { ...tg, policy: traffic.policy };
    const algorithm = traffic.loadBalancer ? ALGORITHMS[traffic.loadBalancer.type] : undefined;
    if (algorithm) out.loadBalancingAlgorithm = algorithm;
    if (traffic.sessionPersistence) {
        const s = stickinessOf(ctx, traffic.sessionPersistence, who);
        if (s) out.stickiness = s;
    }
    if (traffic.healthCheck?.active) {
        const hc = healthCheckOf(ctx, traffic.healthCheck.active, who);
        if (hc) out.healthCheck = hc;
    }
    return out;
}

/**
 * Rule-level persistence onto the target groups: a group takes a rule's stickiness only when every
 * rule forwarding to it asks for the same (a group's stickiness would otherwise reach rules that did
 * not ask for it), or its Service's policy sets the same.
 */
export function ruleStickiness(ctx: BuildContext, uses: ForwardUse[]): void {
    const same = (a?: AlbStickiness, b?: AlbStickiness) => a?.cookieDuration === b?.cookieDuration && a?.enabled === b?.enabled;
    for (const tg of ctx.tgs.values()) {
        if (tg.invalid) continue;
        const users = uses.filter(u => u.targetGroups.includes(tg.key));
        const asking = users.filter(u => u.stickiness);
        if (asking.length === 0) continue;
        if (tg.stickiness) {
            const other = asking.find(u => !same(u.stickiness, tg.stickiness));
            if (other) {
                ctx.problems.push(`${other.who}: its sessionPersistence (${other.stickiness!.cookieDuration} s) differs from the BackendTrafficPolicy ${tg.policy} of Service ${tg.service} ` +
                    `(${tg.stickiness.cookieDuration} s), and ALB stickiness is one setting per target group; give them one persistence, or remove the rule's`);
            }
            continue;
        }
        const without = users.find(u => !same(u.stickiness, asking[0].stickiness));
        if (without) {
            ctx.problems.push(`${asking[0].who}: its sessionPersistence makes the target group of Service ${tg.service} port ${tg.servicePort} sticky, and ALB stickiness is one setting per target group, ` +
                `which ${without.who} forwards to ${without.stickiness ? "with another persistence" : "without persistence"}; give both rules the same sessionPersistence, ` +
                "or put it on the Service with a BackendTrafficPolicy");
            continue;
        }
        if (tg.existingArn || tg.targetType === "lambda") {
            ctx.problems.push(`${asking[0].who}: sessionPersistence needs stickiness on the target group of Service ${tg.service}, which ${tg.existingArn ? "exists already (realizations.aws.targetGroupArn) and is not gatewaykit's to change" : "is a Lambda function's and has none"}; remove the rule's sessionPersistence`);
            continue;
        }
        ctx.tgs.set(tg.key, { ...tg, stickiness: asking[0].stickiness });
    }
}
