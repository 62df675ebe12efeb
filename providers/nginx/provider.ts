// The Pulumi dynamic provider that owns one nginx instance per Gateway.
//
// Pulumi serialises the provider object's functions (closure serialisation) and runs them in the
// dynamic-provider host shipped in @pulumi/pulumi, a separate Node process without ts-node. So the
// methods capture only plain strings (absolute paths) and require the implementation (lifecycle.ts)
// lazily, registering ts-node (transpile-only) first when the implementation is TypeScript.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as Lifecycle from "./lifecycle";
import type { TlsMaterial } from "./render";

/** Absolute path of the implementation module (.ts under ts-node, .js when compiled). */
export const LIFECYCLE_MODULE = require.resolve("./lifecycle");
/** ts-node, when installed: the host needs it to load a .ts implementation. */
export const TS_NODE_MODULE = ((): string => {
    try {
        return require.resolve("ts-node");
    } catch {
        return "";
    }
})();

/**
 * Returns `loadLifecycle`, a function that is safe to serialise: it captures two strings only.
 * Exported for the tests, which serialise the providers and run them in a plain node process.
 */
export function lifecycleLoader<T = typeof Lifecycle>(lifecycleModule: string, tsNodeModule: string): () => T {
    return () => {
        if (lifecycleModule.endsWith(".ts")) {
            const registered = (process as unknown as Record<symbol, unknown>)[Symbol.for("ts-node.register.instance")];
            if (!registered) {
                if (!tsNodeModule) throw new Error(`gatewaykit: ${lifecycleModule} is TypeScript and ts-node is not installed; npm install ts-node`);
                // eslint-disable-next-line @typescript-eslint/no-var-requires
                require(tsNodeModule).register({ transpileOnly: true, projectSearchDir: lifecycleModule.replace(/[\\/][^\\/]*$/, "") });
            }
        }
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        return require(lifecycleModule);
    };
}

/** The nginx gateway provider; its functions are what the dynamic-provider host runs. */
export function nginxGatewayProvider(lifecycleModule = LIFECYCLE_MODULE, tsNodeModule = TS_NODE_MODULE): pulumi.dynamic.ResourceProvider {
    const load = lifecycleLoader(lifecycleModule, tsNodeModule);
    return {
        create: async (inputs: Lifecycle.NginxGatewayInputs) => load().createGateway(inputs),
        diff: async (_id: string, olds: Lifecycle.NginxGatewayOutputs, news: Lifecycle.NginxGatewayInputs) => load().diffGateway(olds, news),
        update: async (_id: string, olds: Lifecycle.NginxGatewayOutputs, news: Lifecycle.NginxGatewayInputs) => ({ outs: await load().updateGateway(olds, news) }),
        delete: async (_id: string, props: Lifecycle.NginxGatewayOutputs) => load().deleteGateway(props),
        read: async (id: string, props?: Lifecycle.NginxGatewayOutputs) => {
            if (!props) throw new Error(`gatewaykit: cannot import nginx gateway ${id}: declare it through a Gateway instead`);
            return { id, props: load().readGateway(props) };
        },
    };
}

export interface NginxGatewayArgs {
    /** "namespace/name" of the Gateway, for messages. */
    gateway: pulumi.Input<string>;
    /** Absolute instance directory, unique per gateway; changing it replaces the instance. */
    dir: pulumi.Input<string>;
    /** JSON of the GatewayPlan. */
    plan: pulumi.Input<string>;
    listenAddress: pulumi.Input<string>;
    nginxPath?: pulumi.Input<string>;
    /** Keyed "namespace/name"; always stored as a secret. */
    certificates?: pulumi.Input<Record<string, pulumi.Input<TlsMaterial>>>;
    /** The gateway's home, where other stacks' route files live (see attach.ts). */
    home?: pulumi.Input<string>;
    /** JSON of the GatewaySources the provider recompiles (with the route files) on every apply. */
    sources?: pulumi.Input<string>;
    /** `reuseport` on the listeners: lets a replacement serve before this instance stops. */
    reusePort?: pulumi.Input<boolean>;
}

// One provider object per process: Pulumi caches its serialisation per object.
let sharedProvider: pulumi.dynamic.ResourceProvider | undefined;

/** One nginx instance serving one Gateway's plan. Changing the plan reloads it in place. */
export class NginxGateway extends pulumi.dynamic.Resource {
    declare readonly gateway: pulumi.Output<string>;
    declare readonly dir: pulumi.Output<string>;
    declare readonly plan: pulumi.Output<string>;
    declare readonly listenAddress: pulumi.Output<string>;
    declare readonly running: pulumi.Output<boolean>;
    declare readonly pid: pulumi.Output<number | undefined>;
    declare readonly generation: pulumi.Output<string>;
    declare readonly ports: pulumi.Output<number[]>;
    /** Other stacks' routes this generation serves. */
    declare readonly teamRoutes: pulumi.Output<string[] | undefined>;
    /** Route files the gateway left out, with why. */
    declare readonly skippedRoutes: pulumi.Output<string[] | undefined>;

    constructor(name: string, args: NginxGatewayArgs, opts?: pulumi.CustomResourceOptions) {
        if (typeof args.dir === "string" && !path.isAbsolute(args.dir)) {
            throw new Error(`NginxGateway ${name}: dir must be an absolute path (got ${JSON.stringify(args.dir)})`);
        }
        sharedProvider ??= nginxGatewayProvider();
        const props: pulumi.Inputs = {
            gateway: args.gateway,
            dir: args.dir,
            plan: args.plan,
            listenAddress: args.listenAddress,
            nginxPath: args.nginxPath,
            home: args.home,
            sources: args.sources,
            reusePort: args.reusePort,
            // Private keys: secret in the program, in the state (inputs and outputs) and in previews.
            certificates: args.certificates === undefined ? undefined : pulumi.secret(args.certificates),
            running: undefined,
            pid: undefined,
            generation: undefined,
            ports: undefined,
            teamRoutes: undefined,
            skippedRoutes: undefined,
        };
        super(sharedProvider, name, props, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "certificates"],
        }, "gatewaykit", "NginxGateway");
    }
}

// ---------------------------------------------------------------- routes from other stacks

/** The route-attachment provider; like the gateway one, its functions capture plain strings only. */
export function nginxRouteProvider(lifecycleModule = LIFECYCLE_MODULE, tsNodeModule = TS_NODE_MODULE): pulumi.dynamic.ResourceProvider {
    const load = lifecycleLoader(lifecycleModule, tsNodeModule);
    return {
        create: async (inputs: Lifecycle.NginxRouteInputs) => load().createRoute(inputs),
        diff: async (_id: string, olds: Lifecycle.NginxRouteOutputs, news: Lifecycle.NginxRouteInputs) => load().diffRoute(olds, news),
        update: async (_id: string, olds: Lifecycle.NginxRouteOutputs, news: Lifecycle.NginxRouteInputs) => ({ outs: await load().updateRoute(olds, news) }),
        delete: async (_id: string, props: Lifecycle.NginxRouteOutputs) => load().deleteRoute(props),
        read: async (id: string, props?: Lifecycle.NginxRouteOutputs) => {
            if (!props) throw new Error(`gatewaykit: cannot import nginx route attachment ${id}: declare it through an HTTPRoute instead`);
            return { id, props: load().readRoute(props) };
        },
    };
}

export interface NginxRouteAttachmentArgs {
    /** "namespace/name" of the gateway. */
    gateway: pulumi.Input<string>;
    /** The gateway's home (GatewayReference.attachments.nginx.home). */
    home: pulumi.Input<string>;
    /** "namespace/name" of the route. */
    route: pulumi.Input<string>;
    /** "<project>/<stack>" of this stack. */
    owner: pulumi.Input<string>;
    /** JSON of { route: HTTPRouteSpec, services: ServiceSpec[] }. */
    spec: pulumi.Input<string>;
}

let sharedRouteProvider: pulumi.dynamic.ResourceProvider | undefined;

/**
 * One HTTPRoute of this stack served by another stack's nginx gateway: its spec file in the gateway's
 * home, recompiled into the gateway's nginx (verified reload) by this stack's own `up`.
 */
export class NginxRouteAttachment extends pulumi.dynamic.Resource {
    declare readonly gateway: pulumi.Output<string>;
    declare readonly home: pulumi.Output<string>;
    declare readonly route: pulumi.Output<string>;
    declare readonly served: pulumi.Output<{ dir: string; generation: string }[]>;

    constructor(name: string, args: NginxRouteAttachmentArgs, opts?: pulumi.CustomResourceOptions) {
        sharedRouteProvider ??= nginxRouteProvider();
        super(sharedRouteProvider, name, { ...args, served: undefined }, opts, "gatewaykit", "NginxRouteAttachment");
    }
}
