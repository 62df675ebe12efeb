// nginx (the embedded default data plane): map + internal locations, split_clients and mirror cover
// every feature the plan can express.

import { FEATURES, Feature } from "../../routing/features";
import { Adapter } from "../adapter";

/** GatewayClass parameters for the nginx adapter (parameters.nginx). */
export interface NginxClassParameters {
    /** Address the local gateway binds; defaults to 127.0.0.1. */
    listenAddress?: string;
    /** Directory for the generated configuration and logs. */
    workDir?: string;
    /** nginx binary; defaults to "nginx" on PATH. */
    nginxPath?: string;
}

export const nginxAdapter: Adapter = {
    name: "nginx",
    controllerNames: ["gatewaykit.dev/nginx"],
    capabilities: new Set<Feature>(FEATURES),
};
