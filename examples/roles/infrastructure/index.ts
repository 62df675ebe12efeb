// `pulumi up` entry point of the infrastructure provider's stack. Config `controllerName` picks the
// vendor (default gatewaykit.dev/nginx); swapping vendor is `pulumi config set controllerName …`.
import * as pulumi from "@pulumi/pulumi";
import { infrastructureProvider } from "../program";

const config = new pulumi.Config();
const { classReference } = infrastructureProvider({ controllerName: config.get("controllerName") ?? undefined });

export const gatewayClass = classReference;
