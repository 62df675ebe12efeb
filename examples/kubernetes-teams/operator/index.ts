// `pulumi up` entry point of the cluster operator's stack: config `infrastructureStack` names the
// infrastructure provider's stack (org/project/stack); `port` is the listener's (default 8080).
import * as pulumi from "@pulumi/pulumi";
import { TeamsClassReference, operator } from "../program";

const config = new pulumi.Config();
const infrastructure = new pulumi.StackReference(config.require("infrastructureStack"));
const made = operator({
    gatewayClass: infrastructure.requireOutput("gatewayClass") as pulumi.Output<TeamsClassReference>,
    namespaceLabels: infrastructure.requireOutput("namespaceLabels") as pulumi.Output<Record<string, Record<string, string>>>,
    port: config.getNumber("port") ?? undefined,
});

export const gatewayReference = made.reference;
export const gatewayStatus = made.clusterStatus;
