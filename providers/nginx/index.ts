// The nginx adapter (the embedded default data plane): hashed dispatch maps, shared shape locations,
// split_clients, mirror and grpc_pass cover every feature the plan can express but h2c backends. model() checks the class parameters; realize.ts
// creates the NginxGateway (resources.ts) whose lifecycle (runtime/) runs the nginx processes.

import * as pulumi from "@pulumi/pulumi";
import { BACKEND_POLICY_FEATURES, FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";
import { NginxClassParameters, addressProblems, parametersProblems } from "./parameters";
import { realize, realizeListenerSet, realizeRoutes } from "./realize";

export type { NginxClassParameters } from "./parameters";

export const nginxAdapter: Adapter = {
    name: "nginx",
    controllerNames: ["gatewaykit.dev/nginx"],
    // nginx proxies HTTP to backends over HTTP/1.x only (its HTTP/2 upstreams carry gRPC alone).
    // GatewayInfrastructurePropagation: nginx creates no resource that takes labels or annotations
    // (a local process and its files), so there is nothing to carry and nothing is lost.
    // GatewayStaticAddresses: an IPAddress is the listen address (addressProblems).
    capabilities: new Set<Feature>(FEATURES.filter(f => f !== "HTTPRouteBackendProtocolH2C" && !BACKEND_POLICY_FEATURES.includes(f))),
    model: (plan, { parameters }) => ({
        problems: [...parametersProblems(plan, parameters, pulumi.getStack?.() ?? "stack"), ...addressProblems(plan, parameters as NginxClassParameters)],
    }),
    realize,
    realizeRoutes,
    realizeListenerSet,
};
