// The seed's scenario on an Application Load Balancer: the infrastructure provider's class names
// the VPC, subnets and who may connect; the cluster operator's Gateway "mygroup-external" listens
// on 8080; the application team's HTTPRoute sends /groups on mygroup.io 90/10 to a stable and a
// canary service. The routes are the quickstart's, word for word: only the class differs.
import * as gk from "../../index";
import { canaryRoute } from "../seed";

export interface AwsAlbOptions {
    vpcId?: string;
    subnetIds?: string[];
    /** Who may reach the listeners; nothing is opened to the world unless listed here. */
    allowFrom?: string[];
    canaryWeight?: number;
}

export function awsAlb(options: AwsAlbOptions = {}) {
    const externalLb = new gk.GatewayClass("external-lb", {
        controllerName: "gatewaykit.dev/aws-alb",
        description: "internet-facing Application Load Balancers for application teams",
        parameters: {
            aws: {
                vpcId: options.vpcId ?? "vpc-0123456789abcdef0",
                subnetIds: options.subnetIds ?? ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
                securityGroupIngressCidrs: options.allowFrom ?? ["10.0.0.0/8"],
                idleTimeout: 60,
                rulesQuota: 100,
            },
        },
    });

    const gateway = new gk.Gateway("mygroup-external", {
        gatewayClass: externalLb,
        namespace: "mygroup",
        listeners: [{ name: "http", protocol: "HTTP", port: 8080 }],
    });

    // ALB ip targets: the services' endpoints are addresses in the VPC.
    const groups = new gk.Service("mygroup-groups", { namespace: "mygroup", port: 8080, endpoints: [{ address: "10.0.1.10" }, { address: "10.0.2.10" }] });
    const groupsCanary = new gk.Service("mygroup-groups-canary", { namespace: "mygroup", port: 8080, endpoints: [{ address: "10.0.1.11" }] });

    const route = canaryRoute({ gateway, services: { groups, canary: groupsCanary }, canaryWeight: options.canaryWeight });

    return { gateway, route, address: gateway.addresses, routingTable: gateway.routingTable, routeStatus: route.status };
}
