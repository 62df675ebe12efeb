// `pulumi up` entry point of the root Pulumi.yaml: the seed scenario on the local nginx data plane,
// with two echo backends (local processes) behind it. Exports the routing table (so `pulumi preview`
// in a pull request shows routing changes in words) and a curl command that reaches the gateway.
//
// Config: port (listener, default 8080), canaryWeight (default 10), controllerName (default
// gatewaykit.dev/nginx; "gatewaykit.dev/plan" computes routing only), workDir (nginx state root).
import * as pulumi from "@pulumi/pulumi";
import { localService } from "../../components/service";
import { EchoBackend } from "../../local/echo";
import { quickstart } from "./program";

const config = new pulumi.Config();
const port = config.getNumber("port") ?? 8080;
const controllerName = config.get("controllerName") ?? "gatewaykit.dev/nginx";
const workDir = config.get("workDir");

// The backends answer with their own name, so the split is visible in every response.
const groupsEcho = new EchoBackend("mygroup-groups", {});
const canaryEcho = new EchoBackend("mygroup-groups-canary", {});

const made = quickstart({
    controllerName,
    port,
    canaryWeight: config.getNumber("canaryWeight") ?? undefined,
    ...(workDir ? { classParameters: { nginx: { workDir } } } : {}),
    backends: {
        groups: localService("mygroup-groups", groupsEcho, { namespace: "mygroup", port: 8080 }),
        canary: localService("mygroup-groups-canary", canaryEcho, { namespace: "mygroup", port: 8080 }),
    },
});

export const routes = made.routingTable;
export const status = made.routeStatus;
export const addresses = made.gateway.addresses;
export const backends = { "mygroup-groups": groupsEcho.url, "mygroup-groups-canary": canaryEcho.url };
export const curl = `curl -H 'Host: mygroup.io' http://127.0.0.1:${port}/groups`;
