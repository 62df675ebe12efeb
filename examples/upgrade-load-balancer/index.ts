// `pulumi up` entry point of the load balancer upgrade: `pulumi config set className new-external-lb`
// then `pulumi up` moves the Gateway to the new class. Config: className (default external-lb),
// controllerName (default gatewaykit.dev/nginx), port (listener, default 8080).
import * as pulumi from "@pulumi/pulumi";
import { CLASS_NAMES, ClassName, upgradeLoadBalancer } from "./program";

const config = new pulumi.Config();
const className = (config.get("className") ?? "external-lb") as ClassName;
if (!CLASS_NAMES.includes(className)) throw new Error(`config className must be one of ${CLASS_NAMES.join(", ")} (got ${JSON.stringify(className)})`);
const made = upgradeLoadBalancer({ className, controllerName: config.get("controllerName") ?? undefined, port: config.getNumber("port") ?? undefined });

export const routes = made.routingTable;
export const gatewayClass = made.gateway.reference.apply(r => r.className);
export const addresses = made.gateway.addresses;
