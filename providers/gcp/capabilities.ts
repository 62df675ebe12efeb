// gcp (global external managed Application LB, URL map routeRules). Facts: no method match, no
// regex on the global LB, one requestMirrorPolicy per route rule, urlRedirect has no port field.
// The data plane: dataplane.ts (plain data + problems), urlmap.ts (the URL map), backends.ts
// (NEG / bucket / service per backend), realize.ts (Pulumi resources), evaluate.ts (the proof).

import { FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";
import { buildDataPlane } from "./dataplane";
import { namingScope, realizeGcp } from "./realize";

export type { GcpClassParameters, GcpLimits } from "./dataplane";
export type { GcpServiceRealization, GcpHealthCheckParameters } from "./backends";
export { GCP_LIMITS } from "./dataplane";

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
    // Backends per rule: the Gateway API's own cap (16) is below anything GCP documents.
    limits: {},
    model: (plan, { parameters }) => {
        const model = buildDataPlane(plan, parameters, { scope: namingScope() });
        return { problems: model.problems, model };
    },
    realize: realizeGcp,
};
