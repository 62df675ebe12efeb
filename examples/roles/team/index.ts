// `pulumi up` entry point of the mygroup team's stack: config `operatorStack` names the operator's
// stack whose gatewayReference the route attaches to; `namespace` (default mygroup) is the team's.
// Exports the route's status (a namespace the listener does not admit reads NotAllowedByListeners)
// and its rules as the gateway places them.
import * as pulumi from "@pulumi/pulumi";
import { GatewayReference } from "../../../index";
import { applicationDeveloper } from "../program";

const config = new pulumi.Config();
const operator = new pulumi.StackReference(config.require("operatorStack"));
const made = applicationDeveloper({
    gateway: operator.requireOutput("gatewayReference") as pulumi.Output<GatewayReference>,
    namespace: config.get("namespace") ?? undefined,
    canaryWeight: config.getNumber("canaryWeight") ?? undefined,
});

export const status = made.status;
export const routes = made.routingTable;
