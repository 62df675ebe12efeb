// Backend policies on GCP backend services (one per Service port). Pure: problems name the policy
// or rule, the field and the fix.
// - loadBalancer → localityLbPolicy: ROUND_ROBIN, LEAST_REQUEST, RANDOM, or RING_HASH with the hash
//   key as sessionAffinity + consistentHash: a header (HEADER_FIELD + httpHeaderName), a cookie
//   (HTTP_COOKIE + httpCookie.name; GCP issues the cookie when the request has none) or the source IP
//   (CLIENT_IP).
// - sessionPersistence Cookie → STRONG_COOKIE_AFFINITY (the LB issues the cookie, named sessionName
//   or "GCLB_SESSION"; ttl absoluteTimeout, 0 for a Session cookie); Header → HEADER_FIELD on
//   RING_HASH over the header sessionName: GCP hashes the header the client sends and issues none (a
//   declared deviation, noted). Persistence and a consistent hash both need sessionAffinity: refused
//   together. A rule's sessionPersistence lands on its backends' backend services, so every rule
//   forwarding to one must ask for the same persistence (or its Service's policy must).
// - healthCheck.active → the backend's own health check (path, interval, timeout, thresholds in
//   GCP's ranges); realizations.gcp.healthCheck says the same thing, so giving both is refused.
//   healthCheck.passive → outlierDetection: consecutiveErrors (5xx) ejects, for baseEjectionTime =
//   interval, counted every interval; success-rate ejection off, so only the policy's rule ejects.
// - BackendTLSPolicy → protocol HTTPS (HTTP2 for gRPC backends) with tlsSettings: sni = hostname,
//   subjectAltNames (GCP then checks only those, as the spec says), and an authenticationConfig: a
//   BackendAuthenticationConfig over a TrustConfig of the CA PEMs (wellKnownRoots NONE), or over
//   PUBLIC_ROOTS for wellKnownCACertificates System. The Gateway's spec.tls.backend client
//   certificate is that config's clientCertificate (dataplane.ts backendClientCertificate, realize.ts).

import { PlanBackendTLS, PlanBackendTraffic, PlanSessionPersistence } from "../../../routing/plan";
import type { GcpHealthCheckParameters } from "../parameters";
import { gcpName } from "./names";

export interface GcpTraffic {
    /** "namespace/name" of the BackendTrafficPolicy, when one applies. */
    policy?: string;
    localityLbPolicy?: "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | "RING_HASH";
    sessionAffinity?: "HEADER_FIELD" | "HTTP_COOKIE" | "CLIENT_IP" | "STRONG_COOKIE_AFFINITY";
    consistentHash?: { httpHeaderName?: string; httpCookie?: { name: string } };
    strongSessionAffinityCookie?: { name: string; ttl: { seconds: number } };
    outlierDetection?: {
        consecutiveErrors: number; enforcingConsecutiveErrors: 100; enforcingSuccessRate: 0;
        interval: { seconds: number; nanos?: number }; baseEjectionTime: { seconds: number; nanos?: number };
    };
}

export interface GcpBackendTls {
    policy: string;
    sni: string;
    subjectAltNames: ({ dnsName: string } | { uniformResourceIdentifier: string })[];
    /** The CA bundles (a TrustConfig named trustConfigName), or Google's public roots. */
    trust: { kind: "pem"; pems: string[]; trustConfigName: string } | { kind: "system" };
    authenticationConfigName: string;
}

/** The cookie name GCP's strong affinity cookie gets when sessionPersistence names none. */
export const DEFAULT_SESSION_COOKIE = "GCLB_SESSION";

const LB_POLICIES = { RoundRobin: "ROUND_ROBIN", LeastRequest: "LEAST_REQUEST", Random: "RANDOM", ConsistentHash: "RING_HASH" } as const;

function duration(ms: number): { seconds: number; nanos?: number } {
    const nanos = (ms % 1000) * 1_000_000;
    return nanos ? { seconds: Math.floor(ms / 1000), nanos } : { seconds: Math.floor(ms / 1000) };
}

/** What the backend's rules ask of it (backends.ts collects them). */
export interface RulePersistence { who: string; persistence?: PlanSessionPersistence }

/** Backend kinds whose backend service gatewaykit creates (and so may configure). */
const CONFIGURABLE = new Set<string>(["vpc", "internet-ip", "internet-fqdn", "serverless", "neg"]);

/** What of a backend (backends.ts BackendTarget) its policies read and set. */
export interface PolicyTarget {
    key: string;
    service: string;
    port?: number;
    kind: string;
    isBucket: boolean;
    backendServiceName?: string;
    protocol: "HTTP" | "HTTPS" | "HTTP2" | "H2C";
    explicitProtocol?: boolean;
    healthCheck?: GcpHealthCheckParameters & { custom: boolean };
    traffic?: GcpTraffic;
    tls?: GcpBackendTls;
}

function samePersistence(a?: PlanSessionPersistence, b?: PlanSessionPersistence): boolean {
    return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The backend with its policies applied (or unchanged); `explicitHealthCheck` says the Service's
 * realizations.gcp gives a health check (or false) of its own.
 */
export function withBackendPolicies<T extends PolicyTarget>(
    t: T, ref: { tls?: PlanBackendTLS; traffic?: PlanBackendTraffic; rules: RulePersistence[] }, explicitHealthCheck: boolean,
    scope: string, problems: string[], notes: string[],
): T {
    const where = `Service ${t.service}${t.port !== undefined ? ` port ${t.port}` : ""}`;
    const traffic = ref.traffic;
    const asking = ref.rules.filter(r => r.persistence);
    const sets = ref.tls !== undefined || asking.length > 0 ||
        (traffic !== undefined && (traffic.loadBalancer || traffic.sessionPersistence || traffic.healthCheck));
    if (!sets) return t;
    if (!CONFIGURABLE.has(t.kind)) {
        const what = t.isBucket ? "a backend bucket, which takes no load balancing, affinity, health check or TLS settings" : "an existing backend service (realizations.gcp.backendService), which gatewaykit does not change";
        problems.push(`${where}: ${[ref.tls?.policy && `BackendTLSPolicy ${ref.tls.policy}`, traffic?.policy && `BackendTrafficPolicy ${traffic.policy}`, asking[0]?.who].filter(Boolean).join(", ")} ` +
            `cannot apply: the Service is ${what}; set these on it in GCP, or remove them`);
        return t;
    }
    const out: T = { ...t };
    const g: GcpTraffic = {};
    const who = traffic ? `BackendTrafficPolicy ${traffic.policy} (on ${where})` : where;
    if (traffic) g.policy = traffic.policy;

    // Load balancing.
    const lb = traffic?.loadBalancer;
    if (lb) {
        g.localityLbPolicy = LB_POLICIES[lb.type];
        const ch = lb.consistentHash;
        if (lb.type === "ConsistentHash") {
            if (ch?.type === "Header" && ch.header) { g.sessionAffinity = "HEADER_FIELD"; g.consistentHash = { httpHeaderName: ch.header.name }; }
            else if (ch?.type === "Cookie" && ch.cookie) { g.sessionAffinity = "HTTP_COOKIE"; g.consistentHash = { httpCookie: { name: ch.cookie.name } }; }
            else g.sessionAffinity = "CLIENT_IP";
        }
    }

    // Session persistence: the policy's, else the one every rule on this backend asks for.
    let persistence = traffic?.sessionPersistence;
    let persistenceWho = who;
    if (persistence) {
        const other = asking.find(r => !samePersistence(r.persistence, persistence));
        if (other) problems.push(`${other.who}: its sessionPersistence differs from the one BackendTrafficPolicy ${traffic!.policy} gives ${where}, and GCP session affinity is one setting per backend service; give them one persistence, or remove the rule's`);
    } else if (asking.length > 0) {
        const other = ref.rules.find(r => !samePersistence(r.persistence, asking[0].persistence));
        if (other) {
            problems.push(`${asking[0].who}: its sessionPersistence sets session affinity on the backend service of ${where}, which is one setting per backend service, and ${other.who} forwards to it ` +
                `${other.persistence ? "with another persistence" : "without persistence"}; give both rules the same sessionPersistence, or put it on the Service with a BackendTrafficPolicy`);
        } else {
            persistence = asking[0].persistence;
            persistenceWho = asking[0].who;
        }
    }
    if (persistence) {
        if (g.sessionAffinity) {
            problems.push(`${who}: sessionPersistence and a ConsistentHash loadBalancer both need the backend service's one sessionAffinity; keep one of them`);
        } else if (persistence.type === "Cookie") {
            g.sessionAffinity = "STRONG_COOKIE_AFFINITY";
            const ttl = persistence.lifetimeType === "Permanent" ? persistence.absoluteTimeoutMs : undefined;
            if (persistence.lifetimeType === "Session" && persistence.absoluteTimeoutMs !== undefined) {
                notes.push(`${persistenceWho}: a Session cookie with absoluteTimeout: GCP's affinity cookie is either a session cookie or one with a lifetime; it is a session cookie (ttl 0), and the absoluteTimeout is not enforced`);
            }
            g.strongSessionAffinityCookie = { name: persistence.sessionName ?? DEFAULT_SESSION_COOKIE, ttl: { seconds: Math.floor((ttl ?? 0) / 1000) } };
            if (ttl !== undefined && ttl % 1000 !== 0) problems.push(`${persistenceWho}: sessionPersistence.absoluteTimeout of ${ttl} ms: GCP's affinity cookie lifetime is whole seconds; give one`);
        } else if (persistence.sessionName === undefined) {
            problems.push(`${persistenceWho}: a Header sessionPersistence on GCP needs sessionName, the header the backend service hashes (HEADER_FIELD); set it`);
        } else if (g.localityLbPolicy !== undefined && g.localityLbPolicy !== "RING_HASH") {
            problems.push(`${persistenceWho}: a Header sessionPersistence is GCP header affinity, which works on RING_HASH only; the loadBalancer ${lb!.type} asks for ${g.localityLbPolicy}: remove one of them`);
        } else {
            g.localityLbPolicy = "RING_HASH";
            g.sessionAffinity = "HEADER_FIELD";
            g.consistentHash = { httpHeaderName: persistence.sessionName };
            notes.push(`${persistenceWho}: Header session persistence is header affinity on GCP: the backend service hashes the ${persistence.sessionName} header the client sends and issues none itself, so a client must send its own session header`);
        }
    }

    // Health checks.
    const active = traffic?.healthCheck?.active;
    if (active) {
        const bad: string[] = [];
        const sec = (ms: number, field: string) => {
            const s = ms / 1000;
            if (!Number.isInteger(s) || s < 1 || s > 300) bad.push(`healthCheck.active.${field} of ${ms} ms: GCP takes whole seconds from 1 to 300`);
            return s;
        };
        const interval = sec(active.intervalMs, "interval"), timeout = sec(active.timeoutMs, "timeout");
        if (timeout > interval) bad.push(`healthCheck.active.timeout (${timeout} s) must not exceed its interval (${interval} s) on GCP`);
        if (explicitHealthCheck) bad.push("the Service's realizations.gcp.healthCheck also decides its health check (false: none); keep one of them (the policy is the portable one)");
        if (!t.healthCheck && !explicitHealthCheck) bad.push(`the Service is a ${t.kind === "serverless" ? "serverless" : "internet"} NEG, and GCP health-checks no such backend; remove healthCheck.active`);
        if (bad.length > 0) problems.push(...bad.map(b => `${who}: ${b}`));
        else {
            out.healthCheck = {
                ...(t.healthCheck ?? {}), custom: true, path: active.path, checkIntervalSec: interval, timeoutSec: timeout,
                healthyThreshold: active.healthyThreshold, unhealthyThreshold: active.unhealthyThreshold,
            };
        }
    }
    const passive = traffic?.healthCheck?.passive;
    if (passive) {
        g.outlierDetection = {
            consecutiveErrors: passive.consecutiveFailures, enforcingConsecutiveErrors: 100, enforcingSuccessRate: 0,
            interval: duration(passive.intervalMs), baseEjectionTime: duration(passive.intervalMs),
        };
    }
    if (Object.keys(g).some(k => k !== "policy")) out.traffic = g;

    // TLS to the backend.
    const tls = ref.tls;
    if (tls) {
        const tlsWho = `BackendTLSPolicy ${tls.policy} (on ${where})`;
        if (t.kind === "serverless") {
            problems.push(`${tlsWho}: a serverless NEG is reached through Google's own front end, which takes no backend TLS settings; remove the policy from the Service`);
        } else if (t.protocol === "HTTP" && t.explicitProtocol) {
            problems.push(`${tlsWho}: the Service's realizations.gcp.protocol is HTTP, and the policy asks for TLS; remove realizations.gcp.protocol (the policy makes it HTTPS)`);
        } else if (t.protocol === "H2C" && t.explicitProtocol) {
            problems.push(`${tlsWho}: the Service's realizations.gcp.protocol is H2C (cleartext), and the policy asks for TLS; use HTTP2 (HTTP/2 over TLS), or remove the policy`);
        } else {
            out.protocol = t.protocol === "H2C" || t.protocol === "HTTP2" ? "HTTP2" : "HTTPS";
            const name = (kind: string, ...parts: unknown[]) => gcpName(`${t.backendServiceName ?? t.key}-${kind}`, scope, kind, t.key, ...parts);
            // Names hash the CA content: a new CA is a new TrustConfig and BackendAuthenticationConfig,
            // created before the backend service moves to them and the old ones are deleted.
            const trustConfigName = tls.ca.kind === "pem" ? name("tc", tls.ca.pem) : undefined;
            out.tls = {
                policy: tls.policy, sni: tls.hostname,
                subjectAltNames: tls.subjectAltNames.map(s => s.type === "URI" ? { uniformResourceIdentifier: s.value } : { dnsName: s.value }),
                trust: tls.ca.kind === "pem" ? { kind: "pem", pems: tls.ca.pem, trustConfigName: trustConfigName! } : { kind: "system" },
                authenticationConfigName: name("bac", tls.ca.kind, trustConfigName ?? ""),
            };
            if (tls.ca.kind === "pem") {
                const { refs, pem } = tls.ca;
                const empty = refs.filter((_, i) => !pem[i].includes("-----BEGIN CERTIFICATE-----"));
                if (empty.length > 0) problems.push(`${tlsWho}: caCertificates ${empty.join(", ")} hold no PEM certificate; give the CA bundle in PEM`);
            }
        }
    }
    return out;
}
