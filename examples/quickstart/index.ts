// `pulumi up` entry point of the root Pulumi.yaml: the seed scenario, exporting the routing table
// so that `pulumi preview` in a pull request shows routing changes in words.
import * as pulumi from "@pulumi/pulumi";
import { quickstart } from "./program";

const config = new pulumi.Config();
const { routingTable, routeStatus } = quickstart({
    controllerName: config.get("controllerName") ?? undefined,
    canaryWeight: config.getNumber("canaryWeight") ?? undefined,
});

export const routes = routingTable;
export const status = routeStatus;
