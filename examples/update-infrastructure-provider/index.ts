// `pulumi up` entry point of the provider swap. Before swapping, `pulumi preview` warns about what
// each other vendor would reject (the `portability` output lists it too); the swap itself is
// `pulumi config set controllerName gatewaykit.dev/gcp-alb`. Config: controllerName (default
// gatewaykit.dev/nginx), withShadowRoute (adds a route ALB cannot carry), workDir (nginx state),
// port (listener, default 8080).
import * as pulumi from "@pulumi/pulumi";
import { CONTROLLERS } from "../seed";
import { providerSwap } from "./program";

const config = new pulumi.Config();
const controllerName = config.get("controllerName") ?? CONTROLLERS.nginx;
const made = providerSwap({
    controllerName,
    portabilityTargets: Object.values(CONTROLLERS).filter(c => c !== controllerName),
    withShadowRoute: config.getBoolean("withShadowRoute") ?? false,
    nginxWorkDir: config.get("workDir") ?? undefined,
    port: config.getNumber("port") ?? undefined,
});

export const routes = made.gateway.routingTable;
export const portability = made.gateway.portability;
export const addresses = made.gateway.addresses;
