// `pulumi up` entry point of the cluster operator's stack: config `infrastructureStack` names the
// provider's stack (org/project/stack). Config `serveTeams` (set it for aws and gcp, which cannot
// realise a route from the team's stack) declares the mygroup team's route here too; `port` is the
// listener's (default 8080).
import * as pulumi from "@pulumi/pulumi";
import { ClassReference, applicationDeveloper, clusterOperator } from "../program";

const config = new pulumi.Config();
const infrastructure = new pulumi.StackReference(config.require("infrastructureStack"));
const made = clusterOperator({
    gatewayClass: infrastructure.requireOutput("gatewayClass") as pulumi.Output<ClassReference>,
    teams: config.getBoolean("serveTeams") ? [gateway => { applicationDeveloper({ gateway }); }] : [],
    port: config.getNumber("port") ?? undefined,
});

export const gatewayReference = made.reference;
export const routes = made.routingTable;
export const status = made.status;
export const addresses = made.gateway.addresses;
