// Backend policies: which BackendTLSPolicy and BackendTrafficPolicy apply to a Service port, decided
// once here for every adapter and for status. Policies arrive attached to their Services
// (ServiceSpec.backendTLSPolicies / backendTrafficPolicies); validation has checked their shapes.
//
// Precedence (Gateway API policy attachment, GEP-713): a BackendTLSPolicy naming the port by
// sectionName beats one naming the whole Service; among equals the oldest wins, and gatewaykit has
// no creation times, so the first by "namespace/name" wins (the upstream tie-break). A policy that
// wins on none of its targets is Conflicted.

import { parseDuration } from "./durations";
import { Condition, PlanBackendTLS, PlanBackendTraffic, PlanRetry, PlanSessionPersistence, PolicyStatus } from "./plan";
import { BackendTLSPolicySpec, BackendTrafficPolicySpec, HTTPRouteRetry, ServicePort, ServiceSpec, SessionPersistence, DEFAULT_NAMESPACE } from "./types";

const keyOf = (p: { namespace?: string; name: string }) => `${p.namespace ?? DEFAULT_NAMESPACE}/${p.name}`;
const byKey = <T extends { namespace?: string; name: string }>(a: T, b: T) => keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0;

/** The BackendTLSPolicy that applies to one port of a Service, if any. */
export function backendTLSPolicyFor(svc: ServiceSpec, port: ServicePort): BackendTLSPolicySpec | undefined {
    const policies = svc.backendTLSPolicies;
    if (!policies || policies.length === 0) return undefined;
    const targets = (p: BackendTLSPolicySpec, section: boolean) => p.targetRefs.some(t =>
        t.name === svc.name && (section ? t.sectionName !== undefined && t.sectionName === port.name : t.sectionName === undefined || t.sectionName === ""));
    const sorted = [...policies].sort(byKey);
    return sorted.find(p => targets(p, true)) ?? sorted.find(p => targets(p, false));
}

/** The BackendTrafficPolicy of a Service, if any (it covers every port). */
export function backendTrafficPolicyFor(svc: ServiceSpec): BackendTrafficPolicySpec | undefined {
    const policies = svc.backendTrafficPolicies;
    if (!policies || policies.length === 0) return undefined;
    return [...policies].sort(byKey).find(p => p.targetRefs.some(t => t.name === svc.name));
}

export function planBackendTLS(p: BackendTLSPolicySpec): PlanBackendTLS {
    const refs = p.validation.caCertificateRefs ?? [];
    const ns = p.namespace ?? DEFAULT_NAMESPACE;
    return {
        policy: keyOf(p),
        hostname: p.validation.hostname,
        ca: refs.length > 0
            ? { kind: "pem", refs: refs.map(r => `${ns}/${r.name}`), pem: refs.map(r => p.caCertificates?.[r.name] ?? "") }
            : { kind: "system" },
        subjectAltNames: (p.validation.subjectAltNames ?? []).map(s => ({ type: s.type, value: (s.type === "Hostname" ? s.hostname : s.uri) ?? "" })),
    };
}

export function planSessionPersistence(s: SessionPersistence): PlanSessionPersistence {
    const type = s.type ?? "Cookie";
    const ms = s.absoluteTimeout !== undefined ? parseDuration(s.absoluteTimeout) : undefined;
    return {
        type,
        ...(s.sessionName !== undefined ? { sessionName: s.sessionName } : {}),
        lifetimeType: type === "Cookie" && s.cookieConfig?.lifetimeType === "Permanent" ? "Permanent" : "Session",
        ...(ms !== undefined ? { absoluteTimeoutMs: ms } : {}),
    };
}

export function planRetry(r: HTTPRouteRetry): PlanRetry {
    const backoffMs = r.backoff !== undefined ? parseDuration(r.backoff) : undefined;
    return {
        codes: [...new Set(r.codes ?? [])].sort((a, b) => a - b),
        ...(r.attempts !== undefined ? { attempts: r.attempts } : {}),
        ...(backoffMs !== undefined ? { backoffMs } : {}),
    };
}

const ms = (d: string | undefined, fallback: number) => (d !== undefined ? parseDuration(d) : undefined) ?? fallback;

export function planBackendTraffic(p: BackendTrafficPolicySpec): PlanBackendTraffic {
    const out: PlanBackendTraffic = { policy: keyOf(p) };
    if (p.loadBalancer) out.loadBalancer = p.loadBalancer;
    if (p.sessionPersistence) out.sessionPersistence = planSessionPersistence(p.sessionPersistence);
    const hc = p.healthCheck;
    if (hc && (hc.active || hc.passive)) {
        out.healthCheck = {
            ...(hc.active ? { active: {
                path: hc.active.path ?? "/",
                intervalMs: ms(hc.active.interval, 10_000),
                timeoutMs: ms(hc.active.timeout, 5_000),
                healthyThreshold: hc.active.healthyThreshold ?? 2,
                unhealthyThreshold: hc.active.unhealthyThreshold ?? 2,
            } } : {}),
            ...(hc.passive ? { passive: { consecutiveFailures: hc.passive.consecutiveFailures ?? 5, intervalMs: ms(hc.passive.interval, 10_000) } } : {}),
        };
    }
    const rc = p.retryConstraint;
    if (rc && (rc.budget || rc.minRetryRate)) {
        out.retryConstraint = {
            ...(rc.budget ? { budget: { percent: rc.budget.percent ?? 20, intervalMs: ms(rc.budget.interval, 10_000) } } : {}),
            ...(rc.minRetryRate ? { minRetryRate: { count: rc.minRetryRate.count ?? 10, intervalMs: ms(rc.minRetryRate.interval, 1_000) } } : {}),
        };
    }
    return out;
}

/** The statuses of every policy attached to `services`: Accepted when it applies somewhere, else Conflicted. */
export function policyStatuses(services: readonly ServiceSpec[]): PolicyStatus[] | undefined {
    const tls = new Map<string, { spec: BackendTLSPolicySpec; wins: boolean; winners: Set<string> }>();
    const traffic = new Map<string, { spec: BackendTrafficPolicySpec; wins: boolean; winners: Set<string> }>();
    for (const svc of services) {
        for (const p of svc.backendTLSPolicies ?? []) if (!tls.has(keyOf(p))) tls.set(keyOf(p), { spec: p, wins: false, winners: new Set() });
        for (const p of svc.backendTrafficPolicies ?? []) if (!traffic.has(keyOf(p))) traffic.set(keyOf(p), { spec: p, wins: false, winners: new Set() });
        for (const port of svc.ports) {
            const w = backendTLSPolicyFor(svc, port);
            if (!w) continue;
            tls.get(keyOf(w))!.wins = true;
            for (const p of svc.backendTLSPolicies ?? []) if (p !== w) tls.get(keyOf(p))!.winners.add(`${keyOf(w)} on ${keyOf(svc)} port ${port.name ?? port.port}`);
        }
        const t = backendTrafficPolicyFor(svc);
        if (t) {
            traffic.get(keyOf(t))!.wins = true;
            for (const p of svc.backendTrafficPolicies ?? []) if (p !== t) traffic.get(keyOf(p))!.winners.add(`${keyOf(t)} on ${keyOf(svc)}`);
        }
    }
    if (tls.size === 0 && traffic.size === 0) return undefined;
    const status = (kind: PolicyStatus["kind"], policy: string, e: { wins: boolean; winners: Set<string> }): PolicyStatus => ({
        kind, policy, conditions: [accepted(e.wins, [...e.winners].join("; "))],
    });
    return [
        ...[...tls.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(([k, e]) => status("BackendTLSPolicy", k, e)),
        ...[...traffic.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(([k, e]) => status("BackendTrafficPolicy", k, e)),
    ];
}

function accepted(wins: boolean, winners: string): Condition {
    return wins
        ? { type: "Accepted", status: "True", reason: "Accepted", message: "Policy has been accepted" }
        : { type: "Accepted", status: "False", reason: "Conflicted", message: `other policies apply to every target of this one: ${winners} (a sectionName beats the whole Service, then the first by namespace/name wins)` };
}
