// The nginx adapter (the embedded default data plane): map + internal locations, split_clients and
// mirror cover every feature the plan can express. model() checks the class parameters; realize.ts
// creates the NginxGateway (resources.ts) whose lifecycle (runtime/) runs the nginx processes.

import * as pulumi from "@pulumi/pulumi";
import { FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";
import { parametersProblems } from "./parameters";
import { realize, realizeRoutes } from "./realize";

export type { NginxClassParameters } from "./parameters";

/** Not yet on nginx: gRPC needs grpc_pass over HTTP/2, which the renderer does not emit yet. */
const GRPC_NOT_YET = "the nginx data plane does not carry gRPC yet: grpc_pass over HTTP/2 is still to come; keep GRPCRoutes off nginx gateways until then, or use an adapter that carries them";
const notYet: Feature[] = ["GRPCRoute", "GRPCRouteNamedRouteRule", "GRPCRouteRegexMethodMatching"];

export const nginxAdapter: Adapter = {
    name: "nginx",
    controllerNames: ["gatewaykit.dev/nginx"],
    capabilities: new Set<Feature>(FEATURES.filter(f => !notYet.includes(f))),
    missingReasons: Object.fromEntries(notYet.map(f => [f, GRPC_NOT_YET])),
    model: (plan, { parameters }) => ({ problems: parametersProblems(plan, parameters, pulumi.getStack?.() ?? "stack") }),
    realize,
    realizeRoutes,
};
