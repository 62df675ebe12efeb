// gcp (global external managed Application LB, URL map routeRules). Facts: no method match, no
// regex on the global LB, one requestMirrorPolicy per route rule, urlRedirect has no port field.

import { FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";

/** GatewayClass parameters for the gcp adapter (parameters.gcp). */
export interface GcpClassParameters {
    project?: string;
    /** Region of the backends' network endpoint groups. */
    region?: string;
    network?: string;
}

const unsupported = new Set<Feature>([
    "HTTPRouteMethodMatching",
    "HTTPRouteRegexPathMatching",
    "HTTPRouteRegexHeaderMatching",
    "HTTPRouteRegexQueryParamMatching",
    "HTTPRouteRequestMultipleMirrors",
    "HTTPRoutePortRedirect",
]);

export const gcpAdapter: Adapter = {
    name: "gcp",
    controllerNames: ["gatewaykit.dev/gcp-alb"],
    capabilities: new Set<Feature>(FEATURES.filter(f => !unsupported.has(f))),
};
