// The seed scenario's shared pieces, written once for the role, canary, upgrade and
// provider-swap examples: the vendors' controllerNames, one class parameters object carrying a
// section for every vendor (so a swap is a one-line controllerName change), the mygroup team's two
// backends (vendor-neutral, with each vendor's hints), the operator's gateway and the team's canary
// route on /groups of mygroup.io.
import type * as pulumi from "@pulumi/pulumi";
import * as gk from "../index";

/** The data-plane vendors and the controllerName that selects each. */
export const CONTROLLERS = {
    nginx: "gatewaykit.dev/nginx",
    aws: "gatewaykit.dev/aws-alb",
    gcp: "gatewaykit.dev/gcp-alb",
    kubernetes: "gatewaykit.dev/kubernetes",
} as const;
export type Vendor = keyof typeof CONTROLLERS;
export const VENDORS = Object.keys(CONTROLLERS) as Vendor[];

export interface SeedParameterOptions {
    /** Where the nginx data plane keeps its state (the default is ~/.local/state/gatewaykit). */
    nginxWorkDir?: string;
}

/**
 * Class parameters for every vendor at once. Each adapter reads only its own section, so the
 * infrastructure provider keeps all four and swapping vendor changes controllerName alone.
 */
export function seedClassParameters(options: SeedParameterOptions = {}): gk.GatewayClassParameters {
    return {
        nginx: { listenAddress: "127.0.0.1", ...(options.nginxWorkDir ? { workDir: options.nginxWorkDir } : {}) },
        aws: {
            vpcId: "vpc-0123456789abcdef0",
            subnetIds: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
            securityGroupIngressCidrs: ["10.0.0.0/8"],
        },
        gcp: { project: "my-project", network: "default", zone: "europe-west1-b" },
        // The in-cluster GatewayClass takes the gatewaykit class's name (external-lb, new-external-lb).
        kubernetes: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
    };
}

/** The seed's namespace label that the operator's listener admits (allowedRoutes Selector). */
export const ADMITTED = { gateway: "mygroup-external" };

/** The operator's listener: HTTP on 8080, admitting namespaces labelled gateway=mygroup-external. */
export function mygroupListeners(port = 8080): gk.GatewayListenerArgs[] {
    return [{
        name: "http", protocol: "HTTP", port,
        allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: ADMITTED } } },
    }];
}

/** The cluster operator's Gateway "mygroup-external" on the given class. */
export function mygroupGateway(gatewayClass: gk.GatewayClass | gk.GatewayClassRefArgs, extra: Partial<gk.GatewayArgs> = {}): gk.Gateway {
    return new gk.Gateway("mygroup-external", {
        gatewayClass,
        namespace: "mygroup",
        listeners: mygroupListeners(),
        // The namespaces the operator knows, with their labels: mygroup is admitted, others are not.
        namespaceLabels: { mygroup: ADMITTED, intruders: {} },
        ...extra,
    });
}

/**
 * The mygroup team's backends: VM addresses in the VPC, plus what a vendor needs to find them
 * (GCP's zonal NEGs need the VM that owns each address). Routes never name a vendor.
 */
export function seedServices(namespace = "mygroup"): { groups: gk.Service; canary: gk.Service } {
    const groups = new gk.Service("mygroup-groups", {
        namespace, port: 8080, endpoints: [{ address: "10.0.1.10" }, { address: "10.0.2.10" }],
        realizations: { gcp: { instances: { "10.0.1.10": "groups-vm-1", "10.0.2.10": "groups-vm-2" } } },
    });
    const canary = new gk.Service("mygroup-groups-canary", {
        namespace, port: 8080, endpoints: [{ address: "10.0.1.11" }],
        realizations: { gcp: { instance: "groups-canary-vm-1" } },
    });
    return { groups, canary };
}

export interface CanaryRouteOptions {
    /** The gateway: a Gateway component here, or another stack's GatewayReference. */
    gateway: gk.Gateway | pulumi.Input<gk.GatewayReference>;
    services: { groups: gk.Service; canary: gk.Service };
    /** Percent of /groups sent to the canary; defaults to 10. */
    canaryWeight?: number;
    namespace?: string;
    /** Adapter parameters for routes realised in this stack (kubernetes: { provider }). */
    parameters?: gk.GatewayClassParameters;
    /** Labels on the route (e.g. ADMITTED, what a Selector listener's teams carry). */
    labels?: Record<string, string>;
}

/** The application team's HTTPRoute: /groups on mygroup.io split stable/canary by weight. */
export function canaryRoute(options: CanaryRouteOptions): gk.HTTPRoute {
    const canary = options.canaryWeight ?? 10;
    return new gk.HTTPRoute("mygroup", {
        namespace: options.namespace ?? "mygroup",
        ...(options.labels ? { labels: options.labels } : {}),
        parentRefs: [{ gateway: options.gateway }],
        hostnames: ["mygroup.io"],
        rules: [{
            name: "groups",
            matches: [{ path: { type: "PathPrefix", value: "/groups" } }],
            backendRefs: [
                { service: options.services.groups, weight: 100 - canary },
                { service: options.services.canary, weight: canary },
            ],
        }],
        ...(options.parameters ? { parameters: options.parameters } : {}),
    });
}
