// `pulumi up` entry point of one application team's stack (one stack per team): config
// `operatorStack` names the operator's stack (org/project/stack), `namespace` the team's namespace;
// `listenerHostname` (optional) adds the team's own listener (a ListenerSet) for its route;
// `canaryWeight` (default 10) splits /shop. A namespace the Gateway does not admit reads
// NotAllowedByListeners in `status` (and the cluster's controller refuses the object).
import * as pulumi from "@pulumi/pulumi";
import { GatewayReference } from "../../../index";
import { team } from "../program";

const config = new pulumi.Config();
const operator = new pulumi.StackReference(config.require("operatorStack"));
const made = team({
    gateway: operator.requireOutput("gatewayReference") as pulumi.Output<GatewayReference>,
    namespace: config.require("namespace"),
    listenerHostname: config.get("listenerHostname") ?? undefined,
    canaryWeight: config.getNumber("canaryWeight") ?? undefined,
});

export const status = made.status;
export const listenerSetStatus = made.listenerSetStatus;
export const clusterStatus = made.clusterStatus;
export const routes = made.routingTable;
