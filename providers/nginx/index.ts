// The nginx adapter (the embedded default data plane): hashed dispatch maps, shared shape locations,
// split_clients, mirror and grpc_pass cover every feature the plan can express but those `unsupported` names. model() checks the class parameters; realize.ts
// creates the NginxGateway (resources.ts) whose lifecycle (runtime/) runs the nginx processes.

import * as pulumi from "@pulumi/pulumi";
import { FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";
import { NginxClassParameters, addressProblems, parametersProblems } from "./parameters";
import { realize, realizeListenerSet, realizeRoutes } from "./realize";
import { NGINX_ACTIVE_HEALTH_REASON, NGINX_SAN_REASON } from "./model/backendPolicies";
import { backendCAProblems } from "./runtime/caBundles";

/** What open-source nginx 1.22 cannot carry (missingReasons says why and what to use instead). */
const unsupported = new Set<Feature>([
    // nginx proxies HTTP to backends over HTTP/1.x only (its HTTP/2 upstreams carry gRPC alone).
    "HTTPRouteBackendProtocolH2C",
    "BackendTLSPolicySANValidation",
    "BackendActiveHealthCheck",
    "BackendRetryBudget",
]);

export type { NginxClassParameters } from "./parameters";

export const nginxAdapter: Adapter = {
    name: "nginx",
    controllerNames: ["gatewaykit.dev/nginx"],
    // GatewayInfrastructurePropagation: nginx creates no resource that takes labels or annotations
    // (a local process and its files), so there is nothing to carry and nothing is lost.
    // GatewayStaticAddresses: an IPAddress is the listen address (addressProblems).
    // Backend policies: model/backendPolicies.ts says how each is realised.
    capabilities: new Set<Feature>(FEATURES.filter(f => !unsupported.has(f))),
    missingReasons: {
        HTTPRouteBackendProtocolH2C: "nginx proxies HTTP requests to backends over HTTP/1.x only (its HTTP/2 upstreams carry gRPC alone): serve the backend over HTTP/1.1, or use the aws or gcp adapter",
        BackendTLSPolicySANValidation: NGINX_SAN_REASON,
        BackendActiveHealthCheck: NGINX_ACTIVE_HEALTH_REASON,
        BackendRetryBudget: "nginx has no retry budget across requests (it bounds retries per request with proxy_next_upstream_tries): remove retryConstraint, or use the kubernetes adapter with a controller that reads it",
    },
    model: (plan, { parameters }) => ({
        problems: [...parametersProblems(plan, parameters, pulumi.getStack?.() ?? "stack"), ...addressProblems(plan, parameters as NginxClassParameters), ...backendCAProblems(plan)],
    }),
    realize,
    realizeRoutes,
    realizeListenerSet,
};
