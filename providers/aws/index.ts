// The aws adapter (Application Load Balancer): name, capabilities, limits, model and realize.
// Facts: no per-rule request/response header modification, no mirroring, no regex conditions here
// (ALB's own regex dialect is not JavaScript's), redirects answer 301/302 only, timeouts are per
// load balancer not per rule; host/path rewrite exists as rule transforms. Quotas: rules per ALB
// (parameters.aws.rulesQuota, default 100, checked by the model), 5 target groups per weighted
// forward. model/ states how each feature maps and where ALB deviates from the spec.

import { FEATURES, Feature } from "../../routing/features";
import { GatewayPlan } from "../../routing/plan";
import { Adapter, ListenerSetRealizeContext, RealizeContext, RealizeResult } from "../adapter";
import { buildAlbModel } from "./model";

export type { AwsClassParameters } from "./parameters";

const unsupported = new Set<Feature>([
    "GRPCRouteRegexMethodMatching", // a regex path, as HTTPRouteRegexPathMatching
    "HTTPRouteRequestHeaderModification",
    "HTTPRouteResponseHeaderModification",
    "HTTPRouteBackendRequestHeaderModification",
    "HTTPRouteRequestMirror",
    "HTTPRouteRequestMultipleMirrors",
    "HTTPRouteRequestPercentageMirror",
    "HTTPRouteRegexPathMatching",
    "HTTPRouteRegexHeaderMatching",
    "HTTPRouteRegexQueryParamMatching",
    "HTTPRoute303RedirectStatusCode",
    "HTTPRoute307RedirectStatusCode",
    "HTTPRoute308RedirectStatusCode",
    "HTTPRouteRequestTimeout",
    "HTTPRouteBackendTimeout",
    // ALB speaks HTTP/2 to targets only through protocolVersion HTTP2 target groups, not modelled yet.
    "HTTPRouteBackendProtocolH2C",
    "HTTPRouteCORS",
    "ListenerSetNewPort", // a ListenerSet listener on a port the Gateway does not already have (missingReasons)
    "GatewayStaticAddresses", // an ALB's addresses are AWS's (missingReasons)
    "GatewayAddressEmpty",
    // Backend policies ALB cannot carry (missingReasons); it carries LeastRequest, Random, Cookie
    // persistence and active health checks as target-group attributes (model/policies.ts).
    "HTTPRouteRetry", "HTTPRouteRetryBackendTimeout", "HTTPRouteRetryConnectionError",
    "BackendTLSPolicy", "BackendTLSPolicySANValidation",
    "BackendLoadBalancingConsistentHash", "SessionPersistenceHeader", "BackendPassiveHealthCheck", "BackendRetryBudget",
    "GatewayBackendClientCertificate", // missingReasons
]);

const RETRY_REASON = "an ALB never retries a request on another target (it has no retry setting); retry in the client or the backend";
const BACKEND_TLS_REASON = "an ALB encrypts to HTTPS targets (target group protocol HTTPS) but verifies no certificate: neither the CA, the hostname nor the subject alt names, " +
    "so the policy's verification would silently not happen; remove the BackendTLSPolicy (and accept unverified TLS by giving the Service realizations.aws.targetGroupArn of an HTTPS target group), " +
    "or use an adapter that verifies the backend";

/** Why an ALB takes no requested address. */
const ADDRESS_REASON = "an ALB's IP addresses are assigned by AWS per subnet and change over its life, and it takes no Elastic IP or requested IP (only a Network Load Balancer does); " +
    "remove spec.addresses and point DNS at the Gateway's addresses output (the ALB's DNS name)";

/** Why a ListenerSet cannot open a port here. */
const NEW_PORT_REASON = "a new port is a new ALB listener, which only the operator's Gateway creates: ask the operator to add a listener on that port to the Gateway, then the ListenerSet can add its hostname and certificate there";

export const awsAdapter: Adapter = {
    name: "aws",
    controllerNames: ["gatewaykit.dev/aws-alb"],
    capabilities: new Set<Feature>(FEATURES.filter(f => !unsupported.has(f))),
    missingReasons: {
        GRPCRouteRegexMethodMatching: "a method without a service, or a RegularExpression method match, is a regex path match, and ALB path conditions have no regular expressions; give the service with the method",
        // The listener attributes routing.http.response.access_control_* add fixed values to every
        // answer of a listener: they cannot match an Origin against a list, echo it, or answer a preflight.
        HTTPRouteCORS: "ALB has no per-rule CORS: its only CORS settings are listener-wide fixed response headers, which cannot match or echo the request's Origin and never answer a preflight, so OPTIONS requests would reach the backend; answer CORS in the backend or use the nginx, gcp or kubernetes adapter",
        ListenerSetNewPort: NEW_PORT_REASON,
        GatewayStaticAddresses: ADDRESS_REASON,
        GatewayAddressEmpty: ADDRESS_REASON,
        GatewayBackendClientCertificate: "an ALB presents no client certificate to its targets: HTTPS target groups are encrypted but the load balancer has no client identity to offer; " +
            "remove spec.tls.backend or use the nginx adapter",
        HTTPRouteRetry: RETRY_REASON,
        HTTPRouteRetryBackendTimeout: RETRY_REASON,
        HTTPRouteRetryConnectionError: RETRY_REASON,
        BackendTLSPolicy: BACKEND_TLS_REASON,
        BackendTLSPolicySANValidation: BACKEND_TLS_REASON,
        BackendLoadBalancingConsistentHash: "ALB's target-group algorithms are round_robin, least_outstanding_requests and weighted_random; none hashes a header, cookie or source IP. " +
            "Use sessionPersistence of type Cookie (ALB stickiness) to keep a client on one target",
        SessionPersistenceHeader: "ALB stickiness is a cookie (AWSALB) only; it cannot follow a header. Use sessionPersistence type Cookie",
        BackendPassiveHealthCheck: "ALB has no outlier ejection by consecutive failures; its only passive signal is automatic target weights (anomaly mitigation), which runs only with the weighted_random algorithm " +
            "and takes no failure count or interval. Use healthCheck.active (target-group health checks)",
        BackendRetryBudget: "an ALB does not retry, so there is no retry budget to set; remove retryConstraint",
    },
    // Rules per ALB depend on the account's quota (parameters.aws.rulesQuota): the model checks them.
    limits: { maxBackendsPerRule: 5 },
    model: (plan: GatewayPlan, { parameters }) => {
        const model = buildAlbModel(plan, parameters);
        return { problems: model.problems, model };
    },
    // Loaded on first use, so programs of other adapters do not load @pulumi/aws.
    realize: (plan: GatewayPlan, ctx: RealizeContext): RealizeResult =>
        (require("./realize") as typeof import("./realize")).realizeAlb(plan, ctx),
    // A team's routes on another stack's ALB: its own target groups and listener rules (realize.ts).
    realizeRoutes: (plan: GatewayPlan, ctx: RealizeContext): void =>
        (require("./realize") as typeof import("./realize")).realizeAlbRoutes(plan, ctx),
    // A team's ListenerSet on another stack's ALB: listener certificates and isolation rules on the operator's listeners (realize.ts).
    realizeListenerSet: (ctx: ListenerSetRealizeContext) =>
        (require("./realize") as typeof import("./realize")).realizeAlbListenerSet(ctx),
};
