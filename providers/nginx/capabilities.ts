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
    /** nginx binary; defaults to "nginx" on PATH. Changing it replaces the instance (a reload cannot switch binaries). */
    nginxPath?: string;
    /**
     * `reuseport` on the listening sockets (default true): a replacement instance (a new class, a new
     * workDir) binds the same ports and serves before the old one stops. Closing the old listener resets
     * connections still in its accept queue unless the host has net.ipv4.tcp_migrate_req = 1.
     */
    reusePort?: boolean;
}

export const nginxAdapter: Adapter = {
    name: "nginx",
    controllerNames: ["gatewaykit.dev/nginx"],
    capabilities: new Set<Feature>(FEATURES),
};
