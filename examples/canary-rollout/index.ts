// `pulumi up` entry point of the canary rollout, on the local nginx data plane with two echo
// backends (each answers with its own name, so the split shows in every response). Step through
// the rollout with `pulumi config set canaryWeight 50 && pulumi up`, then 100.
// Config: canaryWeight (default 10), port (listener, default 8080), controllerName (default
// gatewaykit.dev/nginx), workDir.
import * as pulumi from "@pulumi/pulumi";
import { localService } from "../../components/service";
import { EchoBackend } from "../../local/echo";
import { CONTROLLERS, seedClassParameters } from "../seed";
import { canaryRollout } from "./program";

const config = new pulumi.Config();
const controllerName = config.get("controllerName") ?? CONTROLLERS.nginx;
const local = controllerName === CONTROLLERS.nginx;
const port = config.getNumber("port") ?? 8080;
const groupsEcho = local ? new EchoBackend("mygroup-groups", {}) : undefined;
const canaryEcho = local ? new EchoBackend("mygroup-groups-canary", {}) : undefined;

const made = canaryRollout({
    controllerName,
    canaryWeight: config.getNumber("canaryWeight") ?? undefined,
    port,
    classParameters: seedClassParameters({ nginxWorkDir: config.get("workDir") ?? undefined }),
    ...(groupsEcho && canaryEcho ? {
        backends: {
            groups: localService("mygroup-groups", groupsEcho, { namespace: "mygroup", port: 8080 }),
            canary: localService("mygroup-groups-canary", canaryEcho, { namespace: "mygroup", port: 8080 }),
        },
    } : {}),
});

export const routes = made.routingTable;
export const status = made.routeStatus;
export const addresses = made.gateway.addresses;
export const curl = `curl -H 'Host: mygroup.io' http://127.0.0.1:${port}/groups`;
