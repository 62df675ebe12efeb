// The aws adapter (Application Load Balancer): name, capabilities, limits, model and realize.
// Facts: no per-rule request/response header modification, no mirroring, no regex conditions here
// (ALB's own regex dialect is not JavaScript's), redirects answer 301/302 only, timeouts are per
// load balancer not per rule; host/path rewrite exists as rule transforms. Quotas: rules per ALB
// (parameters.aws.rulesQuota, default 100, checked by the model), 5 target groups per weighted
// forward. model/ states how each feature maps and where ALB deviates from the spec.

import { FEATURES, Feature } from "../../routing/features";
import { GatewayPlan } from "../../routing/plan";
import { Adapter, RealizeContext, RealizeResult } from "../adapter";
import { buildAlbModel } from "./model";

export type { AwsClassParameters } from "./parameters";

const unsupported = new Set<Feature>([
    "GRPCRoute", // not yet: ALB gRPC target groups are not modelled yet
    "GRPCRouteNamedRouteRule",
    "GRPCRouteRegexMethodMatching",
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
    "ListenerSetNewPort", // a ListenerSet listener on a port the Gateway does not already have (missingReasons)
]);

/** Why a ListenerSet cannot open a port here. */
const NEW_PORT_REASON = "a new port is a new ALB listener, which only the operator's Gateway creates: ask the operator to add a listener on that port to the Gateway, then the ListenerSet can add its hostname and certificate there";

export const awsAdapter: Adapter = {
    name: "aws",
    controllerNames: ["gatewaykit.dev/aws-alb"],
    capabilities: new Set<Feature>(FEATURES.filter(f => !unsupported.has(f))),
    missingReasons: { ListenerSetNewPort: NEW_PORT_REASON },
    // Rules per ALB depend on the account's quota (parameters.aws.rulesQuota): the model checks them.
    limits: { maxBackendsPerRule: 5 },
    model: (plan: GatewayPlan, { parameters }) => {
        const model = buildAlbModel(plan, parameters);
        return { problems: model.problems, model };
    },
    // Loaded on first use, so programs of other adapters do not load @pulumi/aws.
    realize: (plan: GatewayPlan, ctx: RealizeContext): RealizeResult =>
        (require("./realize") as typeof import("./realize")).realizeAlb(plan, ctx),
};
