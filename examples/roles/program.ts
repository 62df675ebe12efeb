// The seed's three roles, each a function that is the body of its own stack (infrastructure/,
// operator/, team/), wired by plain exported references read through StackReferences:
//   infrastructure provider → the GatewayClass "external-lb" (vendor and its parameters);
//   cluster operator        → the Gateway "mygroup-external", admitting namespaces labelled
//                             gateway=mygroup-external (allowedRoutes), exporting its reference;
//   application developer   → the mygroup team's services and canary HTTPRoute on that gateway.
// How a team's route reaches the data plane depends on the vendor: an adapter that realises routes
// apart from their gateway (Adapter.realizeRoutes: kubernetes's HTTPRoute objects, nginx's route
// attachments) does it from the team's own stack; for the others (aws, gcp) the operator's program
// declares the team's route (applicationDeveloper given the Gateway itself) and ships it.
import * as pulumi from "@pulumi/pulumi";
import * as gk from "../../index";
import { CONTROLLERS, canaryRoute, mygroupGateway, mygroupListeners, seedClassParameters, seedServices } from "../seed";

/** What the infrastructure provider's stack exports for operators: the class, as plain data. */
export interface ClassReference {
    name: string;
    controllerName: string;
    parameters: gk.GatewayClassParameters;
}

export interface InfrastructureOptions {
    /** The vendor: the one line a provider swap changes. Defaults to nginx. */
    controllerName?: string;
    className?: string;
    parameters?: gk.GatewayClassParameters;
}

/** Infrastructure provider: owns the class — which data plane, and its parameters. */
export function infrastructureProvider(options: InfrastructureOptions = {}) {
    const gatewayClass = new gk.GatewayClass(options.className ?? "external-lb", {
        controllerName: options.controllerName ?? CONTROLLERS.nginx,
        description: "external load balancers for application teams",
        parameters: options.parameters ?? seedClassParameters(),
    });
    const classReference = pulumi.output({
        name: gatewayClass.name,
        controllerName: gatewayClass.controllerName,
        parameters: gatewayClass.parameters,
    }) as pulumi.Output<ClassReference>;
    return { gatewayClass, classReference };
}

export interface OperatorOptions {
    /** The provider's class: the component (same program) or its exported ClassReference. */
    gatewayClass: gk.GatewayClass | pulumi.Input<ClassReference>;
    /**
     * Teams whose routes this stack declares on their behalf, for adapters that cannot realise a
     * route from another stack (aws, gcp): a team's change then ships with the operator's `pulumi up`.
     */
    teams?: ((gateway: gk.Gateway) => void)[];
    /** The HTTP listener's port; defaults to the seed's 8080. */
    port?: number;
}

/** Cluster operator: owns the Gateway — listeners and which namespaces may attach routes. */
export function clusterOperator(options: OperatorOptions) {
    let gatewayClass: gk.GatewayClass | gk.GatewayClassRefArgs;
    if (options.gatewayClass instanceof gk.GatewayClass) {
        gatewayClass = options.gatewayClass;
    } else {
        const ref = pulumi.output(options.gatewayClass) as pulumi.Output<ClassReference>;
        gatewayClass = { name: ref.name, controllerName: ref.controllerName, parameters: ref.parameters };
    }
    const gateway = mygroupGateway(gatewayClass, options.port !== undefined ? { listeners: mygroupListeners(options.port) } : {});
    for (const team of options.teams ?? []) team(gateway);
    return { gateway, reference: gateway.reference, routingTable: gateway.routingTable, status: gateway.status };
}

export interface DeveloperOptions {
    /** The operator's Gateway (same program) or its exported GatewayReference (another stack). */
    gateway: gk.Gateway | pulumi.Input<gk.GatewayReference>;
    /** The team's namespace; the operator's listener admits only labelled ones (mygroup). */
    namespace?: string;
    canaryWeight?: number;
    /** Adapter parameters for routes realised in this stack, e.g. { kubernetes: { provider } }. */
    parameters?: gk.GatewayClassParameters;
}

/** Application developer: owns the HTTPRoute and its backends — paths, hostnames, weights. */
export function applicationDeveloper(options: DeveloperOptions) {
    const namespace = options.namespace ?? "mygroup";
    const services = seedServices(namespace);
    const route = canaryRoute({
        gateway: options.gateway, services, namespace,
        ...(options.canaryWeight !== undefined ? { canaryWeight: options.canaryWeight } : {}),
        ...(options.parameters ? { parameters: options.parameters } : {}),
    });
    return { route, services, status: route.status, routingTable: route.routingTable };
}
