// Service: the vendor-neutral backend a backendRef points at. Routes reference it by object
// (backendRefs[].service) or by {name, namespace, port} like a manifest.

import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "../routing/types";
import { declarations, labelOf } from "./registry";
import type { GcpHealthCheckParameters } from "../providers/gcp/parameters";

export interface ServicePortArgs {
    port: pulumi.Input<number>;
    /** The port on the endpoints; defaults to port. */
    targetPort?: pulumi.Input<number>;
    name?: pulumi.Input<string>;
    /** How to speak to the endpoints: "kubernetes.io/ws", "kubernetes.io/wss", "kubernetes.io/h2c"; absent: HTTP/1.1. */
    appProtocol?: pulumi.Input<string>;
}

export interface EndpointArgs {
    /** An IP address or hostname. */
    address: pulumi.Input<string>;
    port?: pulumi.Input<number>;
}

/** How each adapter finds this backend in its own world; routes never name a vendor. */
export interface ServiceRealizationsArgs {
    aws?: pulumi.Input<{ targetGroupArn?: pulumi.Input<string>; instanceIds?: pulumi.Input<pulumi.Input<string>[]>; lambdaFunctionArn?: pulumi.Input<string> }>;
    /** See GcpServiceRealization (providers/gcp/parameters.ts) for what each field selects. */
    gcp?: pulumi.Input<{
        networkEndpointGroup?: pulumi.Input<string>;
        backendService?: pulumi.Input<string>;
        backendBucket?: pulumi.Input<string>;
        bucket?: pulumi.Input<string>;
        cloudRun?: pulumi.Input<string>;
        cloudFunction?: pulumi.Input<string>;
        appEngine?: pulumi.Input<{ service?: pulumi.Input<string>; version?: pulumi.Input<string> }>;
        region?: pulumi.Input<string>;
        zone?: pulumi.Input<string>;
        instance?: pulumi.Input<string>;
        instances?: pulumi.Input<Record<string, pulumi.Input<string>>>;
        protocol?: pulumi.Input<"HTTP" | "HTTPS" | "HTTP2" | "H2C">;
        healthCheck?: pulumi.Input<false | GcpHealthCheckParameters>;
    }>;
    kubernetes?: pulumi.Input<{ serviceName?: pulumi.Input<string>; namespace?: pulumi.Input<string> }>;
    nginx?: pulumi.Input<{ upstreamOptions?: pulumi.Input<string> }>;
}

export interface ServiceArgs {
    /** Defaults to the resource name. */
    name?: pulumi.Input<string>;
    /** The owning team; defaults to "default". */
    namespace?: pulumi.Input<string>;
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    ports?: pulumi.Input<pulumi.Input<ServicePortArgs>[]>;
    /** Shorthand for ports: [{ port }]. */
    port?: pulumi.Input<number>;
    endpoints?: pulumi.Input<pulumi.Input<EndpointArgs>[]>;
    realizations?: pulumi.Input<ServiceRealizationsArgs>;
}

export class Service extends pulumi.ComponentResource {
    readonly name: pulumi.Output<string>;
    readonly namespace: pulumi.Output<string>;
    /** The port a backendRef without a port uses: the only port, when there is exactly one. */
    readonly defaultPort: pulumi.Output<number | undefined>;
    readonly spec: pulumi.Output<ServiceSpec>;
    /** "namespace/name" as far as known at construction (for messages). */
    readonly label: string;

    constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gatewaykit:index:Service", name, {}, opts);
        if (args.ports === undefined && args.port === undefined) {
            throw new Error(`Service ${name}: set ports (e.g. ports: [{ port: 8080 }]) or port: a backend needs at least one port`);
        }
        this.label = labelOf(args.namespace, args.name, name);
        const ports = args.ports ?? [{ port: args.port! }];
        this.spec = pulumi.output({
            name: args.name ?? name,
            namespace: args.namespace ?? "default",
            labels: args.labels ?? {},
            ports,
            endpoints: args.endpoints ?? [],
            realizations: args.realizations ?? {},
        }) as unknown as pulumi.Output<ServiceSpec>;
        // From their own inputs, not from spec: an unknown endpoint (a payload value) must not make
        // the Service's identity unknown to the routes that reference it.
        this.name = pulumi.output(args.name ?? name);
        this.namespace = pulumi.output(args.namespace ?? "default");
        this.defaultPort = pulumi.output(ports).apply(ps => ps.length === 1 ? ps[0].port : undefined);
        declarations().services.push(this);
        this.registerOutputs({ name: this.name, namespace: this.namespace, spec: this.spec });
    }
}

/** A backend process on this machine (e.g. providers/nginx's EchoBackend): its name, host and bound port. */
export interface LocalBackend {
    name: pulumi.Input<string>;
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
}

/**
 * A Service named like a local backend process whose only endpoint is that process. The Service
 * port defaults to the bound port; set `port` to show another in routes.
 */
export function localService(resourceName: string, backend: LocalBackend,
    args: { name?: pulumi.Input<string>; namespace?: pulumi.Input<string>; port?: pulumi.Input<number> } = {},
    opts?: pulumi.ComponentResourceOptions): Service {
    return new Service(resourceName, {
        name: args.name ?? backend.name,
        namespace: args.namespace,
        port: args.port ?? backend.port,
        endpoints: [{ address: backend.host, port: backend.port }],
    }, opts);
}
