// `pulumi up` entry point of the backend-policy example (examples/backend-policy/Pulumi.yaml).
// Config controllerName (default gatewaykit.dev/gcp-alb) picks the adapter; gcp:project its project.
import * as pulumi from "@pulumi/pulumi";
import { backendPolicyExample } from "./program";

const config = new pulumi.Config();
const { routingTable, addresses } = backendPolicyExample({
    controllerName: config.get("controllerName"),
    project: new pulumi.Config("gcp").get("project"),
});

export const routes = routingTable;
export const ip = addresses;
