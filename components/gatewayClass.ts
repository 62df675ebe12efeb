// GatewayClass: picks the adapter (data plane) by controllerName and carries its parameters.

import * as pulumi from "@pulumi/pulumi";
import { adapterFor } from "../providers";
import type { AwsClassParameters, GcpClassParameters, KubernetesClassParameters, NginxClassParameters } from "../providers";

/**
 * Parameters per adapter, keyed by adapter name; only the section of the class's adapter is used,
 * so a provider swap changes controllerName and nothing else.
 */
export interface GatewayClassParameters {
    nginx?: NginxClassParameters;
    aws?: AwsClassParameters;
    gcp?: GcpClassParameters;
    kubernetes?: KubernetesClassParameters;
    /** Sections for adapters registered with registerAdapter. */
    [adapterName: string]: object | undefined;
}

export interface GatewayClassArgs {
    /** Defaults to the resource name. */
    name?: pulumi.Input<string>;
    /** e.g. "gatewaykit.dev/nginx", "gatewaykit.dev/aws-alb", "gatewaykit.dev/gcp-alb", "gatewaykit.dev/kubernetes", "gatewaykit.dev/plan". */
    controllerName: pulumi.Input<string>;
    description?: pulumi.Input<string>;
    parameters?: pulumi.Input<GatewayClassParameters>;
}

export class GatewayClass extends pulumi.ComponentResource {
    readonly name: pulumi.Output<string>;
    readonly controllerName: pulumi.Output<string>;
    /** The adapter that realises gateways of this class, e.g. "aws". */
    readonly adapterName: pulumi.Output<string>;
    readonly description: pulumi.Output<string | undefined>;
    readonly parameters: pulumi.Output<GatewayClassParameters>;
    /** The name as far as known at construction (for messages). */
    readonly label: string;

    constructor(name: string, args: GatewayClassArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gatewaykit:index:GatewayClass", name, {}, opts);
        // A plain controllerName is checked now, so a typo fails at the line that wrote it.
        if (typeof args.controllerName === "string") adapterFor(args.controllerName);
        this.label = typeof args.name === "string" ? args.name : name;
        this.name = pulumi.output(args.name ?? name);
        this.controllerName = pulumi.output(args.controllerName);
        this.adapterName = this.controllerName.apply(c => adapterFor(c).name);
        this.description = pulumi.output(args.description);
        this.parameters = pulumi.output(args.parameters ?? {}) as pulumi.Output<GatewayClassParameters>;
        this.registerOutputs({ name: this.name, controllerName: this.controllerName, adapterName: this.adapterName });
    }
}
