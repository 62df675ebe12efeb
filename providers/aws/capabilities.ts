// aws (Application Load Balancer). Facts: no per-rule request/response header modification, no
// mirroring, no regex conditions (wildcards only), redirects answer 301/302 only, timeouts are per
// load balancer not per rule; host/path rewrite exists as rule transforms. Quotas: 100 rules per ALB
// (default), 5 target groups per weighted forward.

import { FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";

/** GatewayClass parameters for the aws adapter (parameters.aws). */
export interface AwsClassParameters {
    region?: string;
    vpcId?: string;
    subnetIds?: string[];
    securityGroupIds?: string[];
    /** An internal (VPC-only) load balancer instead of an internet-facing one. */
    internal?: boolean;
}

const unsupported = new Set<Feature>([
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
]);

export const awsAdapter: Adapter = {
    name: "aws",
    controllerNames: ["gatewaykit.dev/aws-alb"],
    capabilities: new Set<Feature>(FEATURES.filter(f => !unsupported.has(f))),
    limits: { maxRulesPerListener: 100, maxBackendsPerRule: 5 },
};
