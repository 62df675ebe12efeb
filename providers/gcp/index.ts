// gcp (global external managed Application LB, URL map routeRules). Facts: no method match, no
// regex on the global LB, one requestMirrorPolicy per route rule, urlRedirect has no port field.
// parameters.ts (what users write), model/ (pure: plan → data plane + problems; dataplane.ts, the URL
// map in urlmap.ts / routeRules.ts / headers.ts, backends.ts for the NEG / bucket / service per
// backend), realize.ts (Pulumi resources), evaluate.ts (the proof against simulate).

import { FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";
import { buildDataPlane } from "./model/dataplane";
import { checkGcpListenerSet, namingScope, realizeGcp } from "./realize";

export type { GcpClassParameters, GcpLimits, GcpServiceRealization, GcpHealthCheckParameters } from "./parameters";
export { GCP_LIMITS } from "./parameters";

const unsupported = new Set<Feature>([
    "GRPCRouteRegexMethodMatching", // a regex path: the global LB has no regex match
    "HTTPRouteMethodMatching",
    "HTTPRouteRegexPathMatching",
    "HTTPRouteRegexHeaderMatching",
    "HTTPRouteRegexQueryParamMatching",
    "HTTPRouteRequestMultipleMirrors",
    "HTTPRoutePortRedirect",
    "ListenerSetNewPort", // a ListenerSet listener on a port the Gateway does not already have (missingReasons)
    // Carries every backend policy but the retry budget (model/policies.ts, routeRules.ts retry).
    "BackendRetryBudget",
]);

/** Why a ListenerSet cannot open a port here. */
const NEW_PORT_REASON = "a new port is a new forwarding rule and target proxy, which only the operator's Gateway creates: ask the operator to add a listener on that port to the Gateway, then the ListenerSet can add its hostname and certificate there";

export const gcpAdapter: Adapter = {
    name: "gcp",
    controllerNames: ["gatewaykit.dev/gcp-alb"],
    capabilities: new Set<Feature>(FEATURES.filter(f => !unsupported.has(f))),
    missingReasons: {
        BackendRetryBudget: "GCP's retry policy has a count per request (numRetries) but no budget across requests; remove retryConstraint and bound retries with the route's retry.attempts",
        GRPCRouteRegexMethodMatching: "a method without a service, or a RegularExpression method match, is a regex path match, and the global LB has no regular-expression path match; give the service with the method", ListenerSetNewPort: NEW_PORT_REASON,
    },
    // Backends per rule: the Gateway API's own cap (16) is below anything GCP documents.
    limits: {},
    model: (plan, { parameters, certificateKeys }) => {
        const model = buildDataPlane(plan, parameters, { scope: namingScope(), ...(certificateKeys ? { certificateKeys } : {}) });
        return { problems: model.problems, model };
    },
    realize: realizeGcp,
    // A team's ListenerSet: checked in its own stack, then published (publishRoutes) for the operator's Gateway to import.
    realizeListenerSet: checkGcpListenerSet,
};
