// Gateway API feature names: what a plan uses, so an adapter can refuse what it cannot carry before
// any resource exists. Names follow upstream SupportedFeature where one exists; the others
// (marked "ours") name a distinction upstream leaves implementation-specific but vendors differ on.

import { GatewayPlan, PlanBackendTLS, PlanFilters, PlanRule, PlanSessionPersistence } from "./plan";

export const FEATURES = [
    // core
    "HTTPRoute",
    // GRPCRoute (its rules use these names instead of the HTTPRoute ones for what they share with it)
    "GRPCRoute",
    "GRPCRouteNamedRouteRule",
    "GRPCRouteRegexMethodMatching", // ours: a RegularExpression method match, or an Exact method without a service (both are regex paths)
    // matching
    "HTTPRouteMethodMatching",
    "HTTPRouteQueryParamMatching",
    "HTTPRouteRegexPathMatching", // ours
    "HTTPRouteRegexHeaderMatching", // ours
    "HTTPRouteRegexQueryParamMatching", // ours
    // filters
    "HTTPRouteRequestHeaderModification", // ours (core upstream, but ALB cannot do it)
    "HTTPRouteResponseHeaderModification",
    "HTTPRouteBackendRequestHeaderModification",
    "HTTPRouteRequestMirror",
    "HTTPRouteRequestMultipleMirrors",
    "HTTPRouteRequestPercentageMirror",
    "HTTPRouteHostRewrite",
    "HTTPRoutePathRewrite",
    "HTTPRoutePathRedirect",
    "HTTPRoutePortRedirect",
    "HTTPRouteSchemeRedirect",
    "HTTPRoute303RedirectStatusCode",
    "HTTPRoute307RedirectStatusCode",
    "HTTPRoute308RedirectStatusCode",
    "HTTPRouteCORS",
    // backends and timeouts
    "HTTPRouteWeightedBackends", // ours: more than one backend sharing a rule's traffic
    "HTTPRouteRequestTimeout",
    "HTTPRouteBackendTimeout",
    "HTTPRouteBackendProtocolWebSocket",
    "HTTPRouteBackendProtocolH2C",
    "HTTPRouteRetry", // experimental: rules[].retry
    "HTTPRouteRetryBackendTimeout", // a retry rule with a backendRequest timeout: a timed-out attempt is retried
    "HTTPRouteRetryConnectionError", // a retry rule: an attempt that cannot reach its backend is retried (every retry rule)
    // backend policies
    "BackendTLSPolicy",
    "BackendTLSPolicySANValidation",
    "BackendLoadBalancingLeastRequest", // ours: BackendTrafficPolicy loadBalancer.type LeastRequest
    "BackendLoadBalancingRandom", // ours
    "BackendLoadBalancingConsistentHash", // ours
    "SessionPersistenceCookie", // ours: a rule's or a BackendTrafficPolicy's sessionPersistence of type Cookie
    "SessionPersistenceHeader", // ours: of type Header
    "BackendActiveHealthCheck", // ours: BackendTrafficPolicy healthCheck.active
    "BackendPassiveHealthCheck", // ours: healthCheck.passive (outlier detection)
    "BackendRetryBudget", // ours: XBackendTrafficPolicy retryConstraint
    // gateway
    "GatewayPort8080",
    "GatewayHTTPListenerIsolation",
    "GatewayHTTPSListener", // ours
    "ListenerSet",
    "ListenerSetNewPort", // ours: a ListenerSet listener on a port none of the Gateway's own listeners has
    "GatewayInfrastructurePropagation",
    "GatewayStaticAddresses",
    "GatewayAddressEmpty",
    "GatewayFrontendClientCertificateValidation",
    "GatewayFrontendClientCertificateValidationInsecureFallback",
    "GatewayBackendClientCertificate",
] as const;

export type Feature = typeof FEATURES[number];

const KNOWN = new Set<string>(FEATURES);
export function isFeature(name: string): name is Feature {
    return KNOWN.has(name);
}

/** One use of a feature in a gateway plan: which route and rule (or which listener) needs it. */
export interface FeatureUse {
    feature: Feature;
    /** "namespace/name" of the route; absent for gateway-level features. */
    route?: string;
    /** Set when the route is a GRPCRoute (absent: an HTTPRoute). */
    routeKind?: "GRPCRoute";
    ruleIndex?: number;
    ruleName?: string;
    /** Listeners the use appears on. */
    listeners: string[];
    /** For a Gateway-wide use on no listener: the Gateway field that needs it, e.g. "spec.infrastructure". */
    field?: string;
}

function filterFeatures(f: PlanFilters, out: Set<Feature>, backendLevel: boolean): void {
    if (f.requestHeaderModifier) out.add(backendLevel ? "HTTPRouteBackendRequestHeaderModification" : "HTTPRouteRequestHeaderModification");
    if (f.responseHeaderModifier) out.add("HTTPRouteResponseHeaderModification");
    if (f.requestMirrors.length > 0) out.add("HTTPRouteRequestMirror");
    if (f.requestMirrors.length > 1) out.add("HTTPRouteRequestMultipleMirrors");
    if (f.requestMirrors.some(m => m.percent < 100)) out.add("HTTPRouteRequestPercentageMirror");
    const redirect = f.requestRedirect;
    if (redirect) {
        if (redirect.path) out.add("HTTPRoutePathRedirect");
        if (redirect.port !== undefined) out.add("HTTPRoutePortRedirect");
        if (redirect.scheme !== undefined) out.add("HTTPRouteSchemeRedirect");
        if (redirect.statusCode === 303) out.add("HTTPRoute303RedirectStatusCode");
        if (redirect.statusCode === 307) out.add("HTTPRoute307RedirectStatusCode");
        if (redirect.statusCode === 308) out.add("HTTPRoute308RedirectStatusCode");
    }
    if (f.urlRewrite?.hostname !== undefined) out.add("HTTPRouteHostRewrite");
    if (f.urlRewrite?.path) out.add("HTTPRoutePathRewrite");
    if (f.cors) out.add("HTTPRouteCORS");
}

/** What a rule's retry, session persistence and its backends' policies need (HTTPRoute and GRPCRoute rules alike). */
function policyFeatures(rule: PlanRule, out: Set<Feature>): void {
    if (rule.retry) {
        out.add("HTTPRouteRetry");
        out.add("HTTPRouteRetryConnectionError");
        if (rule.timeouts?.backendRequest !== undefined) out.add("HTTPRouteRetryBackendTimeout");
    }
    const persistence = (sp: PlanSessionPersistence | undefined) => {
        if (sp) out.add(sp.type === "Header" ? "SessionPersistenceHeader" : "SessionPersistenceCookie");
    };
    persistence(rule.sessionPersistence);
    const tls = (t: PlanBackendTLS | undefined) => {
        if (!t) return;
        out.add("BackendTLSPolicy");
        if (t.subjectAltNames.length > 0) out.add("BackendTLSPolicySANValidation");
    };
    for (const b of rule.backends) {
        if (b.invalidReason) continue;
        tls(b.tls);
        const t = b.traffic;
        if (!t) continue;
        const lb = t.loadBalancer?.type;
        if (lb === "LeastRequest") out.add("BackendLoadBalancingLeastRequest");
        if (lb === "Random") out.add("BackendLoadBalancingRandom");
        if (lb === "ConsistentHash") out.add("BackendLoadBalancingConsistentHash");
        persistence(t.sessionPersistence);
        if (t.healthCheck?.active) out.add("BackendActiveHealthCheck");
        if (t.healthCheck?.passive) out.add("BackendPassiveHealthCheck");
        if (t.retryConstraint) out.add("BackendRetryBudget");
    }
    for (const m of [...rule.filters.requestMirrors, ...rule.backends.flatMap(b => b.filters.requestMirrors)]) tls(m.tls);
}

/** The features one plan rule needs, in FEATURES order. */
export function featuresOfRule(rule: PlanRule): Feature[] {
    if (rule.protocol === "grpc") return featuresOfGRPCRule(rule);
    const out = new Set<Feature>(["HTTPRoute"]);
    const m = rule.match;
    if (m.method) out.add("HTTPRouteMethodMatching");
    if (m.path.type === "RegularExpression") out.add("HTTPRouteRegexPathMatching");
    if (m.headers.some(h => h.type === "RegularExpression")) out.add("HTTPRouteRegexHeaderMatching");
    if (m.queryParams.length > 0) out.add("HTTPRouteQueryParamMatching");
    if (m.queryParams.some(q => q.type === "RegularExpression")) out.add("HTTPRouteRegexQueryParamMatching");
    filterFeatures(rule.filters, out, false);
    for (const b of rule.backends) filterFeatures(b.filters, out, true);
    if (rule.action.kind === "forward" && rule.action.valid.filter(s => s.share > 0).length > 1) out.add("HTTPRouteWeightedBackends");
    if (rule.timeouts?.request !== undefined) out.add("HTTPRouteRequestTimeout");
    if (rule.timeouts?.backendRequest !== undefined) out.add("HTTPRouteBackendTimeout");
    if (rule.backends.some(b => b.protocol === "ws" || b.protocol === "wss")) out.add("HTTPRouteBackendProtocolWebSocket");
    if (rule.backends.some(b => b.protocol === "h2c")) out.add("HTTPRouteBackendProtocolH2C");
    policyFeatures(rule, out);
    return FEATURES.filter(f => out.has(f));
}

/**
 * A GRPCRoute rule: its method POST and gRPC path are how gRPC is carried, not HTTPRoute method or
 * path features; header regexes, header modifiers, mirrors and weights are the same capabilities as
 * on an HTTPRoute and keep those names.
 */
function featuresOfGRPCRule(rule: PlanRule): Feature[] {
    const out = new Set<Feature>(["GRPCRoute"]);
    if (rule.ruleName !== undefined) out.add("GRPCRouteNamedRouteRule");
    if (rule.match.path.type === "RegularExpression") out.add("GRPCRouteRegexMethodMatching");
    if (rule.match.headers.some(h => h.type === "RegularExpression")) out.add("HTTPRouteRegexHeaderMatching");
    filterFeatures(rule.filters, out, false);
    for (const b of rule.backends) filterFeatures(b.filters, out, true);
    if (rule.action.kind === "forward" && rule.action.valid.filter(s => s.share > 0).length > 1) out.add("HTTPRouteWeightedBackends");
    policyFeatures(rule, out);
    return FEATURES.filter(f => out.has(f));
}

/**
 * Every feature the gateway plan uses, in reading order, once per (route, rule, feature) — a rule expands to several
 * PlanRules (matches × hostnames × listeners) but is one use — plus the gateway-level features.
 */
export function featuresOfGateway(plan: GatewayPlan): FeatureUse[] {
    const uses: FeatureUse[] = [];
    const byKey = new Map<string, FeatureUse>();
    const note = (key: string, make: () => FeatureUse, listener: string) => {
        let use = byKey.get(key);
        if (!use) {
            use = make();
            byKey.set(key, use);
            uses.push(use);
        }
        if (!use.listeners.includes(listener)) use.listeners.push(listener);
    };
    // Gateway-wide uses name no listener: the field is what the use is (useLabel).
    if (plan.infrastructure) note("infrastructure", () => ({ feature: "GatewayInfrastructurePropagation", listeners: [], field: "spec.infrastructure" }), "");
    plan.addresses?.forEach((a, i) => {
        const empty = a.value === undefined || a.value === "";
        note(empty ? "address-empty" : "address-static", () => ({ feature: empty ? "GatewayAddressEmpty" : "GatewayStaticAddresses", listeners: [], field: `spec.addresses[${i}]` }), "");
    });
    if (plan.backendTLS) note("backend-client-cert", () => ({ feature: "GatewayBackendClientCertificate", listeners: [], field: "spec.tls.backend.clientCertificateRef" }), "");
    for (const use of uses) use.listeners = use.listeners.filter(l => l !== "");
    // Client-certificate validation is per port; the use names the port's listeners and where it is written.
    for (const p of plan.ports) {
        const v = p.frontendValidation;
        if (!v) continue;
        const features: Feature[] = ["GatewayFrontendClientCertificateValidation", ...(v.mode === "AllowInsecureFallback" ? ["GatewayFrontendClientCertificateValidationInsecureFallback" as const] : [])];
        for (const feature of features) {
            for (const l of p.listeners) note(`${feature}\u0000${v.field}`, () => ({ feature, listeners: [], field: v.field }), l);
        }
    }
    for (const l of plan.listeners) {
        if (l.port === 8080) note("8080", () => ({ feature: "GatewayPort8080", listeners: [] }), l.name);
        if (l.protocol === "HTTPS") note("https", () => ({ feature: "GatewayHTTPSListener", listeners: [] }), l.name);
        if (l.listenerSet) {
            note("listenerset", () => ({ feature: "ListenerSet", listeners: [] }), l.name);
            if (!plan.listeners.some(o => !o.listenerSet && o.port === l.port)) note("listenerset-port", () => ({ feature: "ListenerSetNewPort", listeners: [] }), l.name);
        }
        const sharesPort = plan.listeners.some(o => o !== l && o.port === l.port && o.hostname !== l.hostname);
        if (sharesPort) note("isolation", () => ({ feature: "GatewayHTTPListenerIsolation", listeners: [] }), l.name);
        for (const r of l.rules) {
            for (const feature of featuresOfRule(r)) {
                note(`${r.protocol ?? ""}\u0000${r.route}\u0000${r.ruleIndex}\u0000${feature}`, () => ({
                    feature,
                    route: r.route,
                    ...(r.protocol === "grpc" ? { routeKind: "GRPCRoute" as const } : {}),
                    ruleIndex: r.ruleIndex,
                    ...(r.ruleName !== undefined ? { ruleName: r.ruleName } : {}),
                    listeners: [],
                }), l.name);
            }
        }
    }
    // Report in reading order (gateway, then route, rule, feature), not precedence order.
    const rank = new Map<Feature, number>(FEATURES.map((f, i) => [f, i]));
    return uses.sort((a, b) =>
        compareText(a.route ?? "", b.route ?? "") ||
        (a.ruleIndex ?? -1) - (b.ruleIndex ?? -1) ||
        rank.get(a.feature)! - rank.get(b.feature)!);
}

function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
