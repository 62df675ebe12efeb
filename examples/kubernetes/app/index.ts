// `pulumi up` entry point of the mygroup team's stack: config `platformStack` names the platform
// stack (org/project/stack) whose gatewayReference the route attaches to.
import * as pulumi from "@pulumi/pulumi";
import { clusterStatus } from "../../../providers/kubernetes";
import { GatewayReference } from "../../../index";
import { app } from "./program";

const config = new pulumi.Config();
const platformStack = new pulumi.StackReference(config.require("platformStack"));
const { route, routeStatus, routingTable } = app({
    gateway: platformStack.requireOutput("gatewayReference") as pulumi.Output<GatewayReference>,
    canaryWeight: config.getNumber("canaryWeight") ?? undefined,
});

export const status = routeStatus;
export const routes = routingTable;
export const clusterRouteStatus = clusterStatus(route);
