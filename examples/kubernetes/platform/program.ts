// The seed's scenario, platform side (the infrastructure provider and the cluster operator): the
// external-lb class realised by the cluster's own Gateway API controller (Envoy Gateway here) and
// the mygroup-external Gateway. Application teams attach their routes from their own stacks.
import type * as pulumi from "@pulumi/pulumi";
import * as gk from "../../../index";

export interface PlatformOptions {
    /** The Kubernetes provider (cluster); defaults to the ambient kubeconfig. */
    provider?: pulumi.ProviderResource;
    /** The in-cluster controller that serves the class. */
    controllerName?: string;
    /** Wait until the controller reports the Gateway Programmed. */
    await?: boolean;
}

export function platform(options: PlatformOptions = {}) {
    const externalLb = new gk.GatewayClass("external-lb", {
        controllerName: "gatewaykit.dev/kubernetes",
        description: "external load balancers for application teams",
        parameters: {
            kubernetes: {
                controllerName: options.controllerName ?? "gateway.envoyproxy.io/gatewayclass-controller",
                gatewayClassName: "external-lb",
                description: "external load balancers (Envoy Gateway)",
                ...(options.provider ? { provider: options.provider } : {}),
                await: options.await ?? false,
            },
        },
    });

    const gateway = new gk.Gateway("mygroup-external", {
        gatewayClass: externalLb,
        namespace: "mygroup",
        listeners: [{
            name: "http", protocol: "HTTP", port: 8080,
            // Teams whose namespace carries gateway=mygroup-external may attach (the seed's route selector).
            allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { gateway: "mygroup-external" } } } },
        }],
        namespaceLabels: { mygroup: { gateway: "mygroup-external" } },
    });

    return { gateway, reference: gateway.reference, addresses: gateway.addresses };
}
