// `pulumi up` entry point: the seed scenario on an ALB. Set aws:region, and the VPC and subnets:
//   pulumi config set vpcId vpc-…; pulumi config set --path 'subnetIds[0]' subnet-…; …
import * as pulumi from "@pulumi/pulumi";
import { awsAlb } from "./program";

const config = new pulumi.Config();
const made = awsAlb({
    vpcId: config.get("vpcId") ?? undefined,
    subnetIds: config.getObject<string[]>("subnetIds") ?? undefined,
    allowFrom: config.getObject<string[]>("allowFrom") ?? undefined,
    canaryWeight: config.getNumber("canaryWeight") ?? undefined,
});

export const address = made.address;
export const routes = made.routingTable;
export const status = made.routeStatus;
