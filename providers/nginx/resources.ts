// The Pulumi dynamic providers that own one nginx instance per Gateway and the route files other stacks
// attach to it. Their functions capture plain strings only and require runtime/lifecycle.ts lazily
// (local/lazy-provider.ts), by absolute path: from ts-node the .ts file, from the compiled package the .js.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayInput } from "../../routing/plan";
import { TS_NODE_MODULE, lazyProvider } from "../../local/lazy-provider";
import type { TlsMaterial } from "./model";
import type * as Lifecycle from "./runtime/lifecycle";

/** Absolute path of the implementation module (.ts under ts-node, .js when compiled). */
export const LIFECYCLE_MODULE = require.resolve("./runtime/lifecycle");

/** The nginx gateway provider; its functions are what the dynamic-provider host runs. */
export function nginxGatewayProvider(lifecycleModule = LIFECYCLE_MODULE, tsNodeModule = TS_NODE_MODULE): pulumi.dynamic.ResourceProvider {
    return lazyProvider<typeof Lifecycle, "Gateway">("Gateway", "nginx gateway", ": declare it through a Gateway instead",
        lifecycleModule, tsNodeModule);
}

export interface NginxGatewayArgs {
    /** "namespace/name" of the Gateway, for messages. */
    gateway: pulumi.Input<string>;
    /** Absolute instance directory, unique per gateway; changing it replaces the instance. */
    dir: pulumi.Input<string>;
    /**
     * The specs the gateway was compiled from (ctx.input): what the provider recompiles, with the route
     * files, on every apply. An object, not JSON, so a preview's diff shows a changed value once.
     */
    input: pulumi.Input<GatewayInput>;
    listenAddress: pulumi.Input<string>;
    nginxPath?: pulumi.Input<string>;
    /** Keyed "namespace/name"; always stored as a secret. */
    certificates?: pulumi.Input<Record<string, pulumi.Input<TlsMaterial>>>;
    /** CA bundles (PEM) of spec.tls.frontend's caCertificateRefs, keyed "namespace/name". */
    caCertificates?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The gateway's home, where other stacks' route files live (runtime/routeFiles.ts). */
    home: pulumi.Input<string>;
    /** `reuseport` on the listeners: lets a replacement serve before this instance stops. */
    reusePort?: pulumi.Input<boolean>;
    /** Seconds an update waits for nginx to load a new configuration (parameters.nginx.reloadTimeoutSeconds); default scaled from `nginx -t`. */
    reloadTimeoutSeconds?: pulumi.Input<number>;
}

// One provider object per process: Pulumi caches its serialisation per object.
let sharedProvider: pulumi.dynamic.ResourceProvider | undefined;

/** One nginx instance serving one Gateway. Changing its input reloads it in place. */
export class NginxGateway extends pulumi.dynamic.Resource {
    declare readonly gateway: pulumi.Output<string>;
    declare readonly dir: pulumi.Output<string>;
    declare readonly input: pulumi.Output<GatewayInput>;
    declare readonly listenAddress: pulumi.Output<string>;
    declare readonly running: pulumi.Output<boolean>;
    declare readonly pid: pulumi.Output<number | undefined>;
    declare readonly generation: pulumi.Output<string>;
    declare readonly ports: pulumi.Output<number[]>;
    /** Other stacks' routes this generation serves. */
    declare readonly teamRoutes: pulumi.Output<string[] | undefined>;
    /** Route (and ListenerSet) files the gateway left out, with why. */
    declare readonly skippedRoutes: pulumi.Output<string[] | undefined>;
    /** Other stacks' ListenerSets this generation serves. */
    declare readonly teamListenerSets: pulumi.Output<string[] | undefined>;

    constructor(name: string, args: NginxGatewayArgs, opts?: pulumi.CustomResourceOptions) {
        if (typeof args.dir === "string" && !path.isAbsolute(args.dir)) {
            throw new Error(`NginxGateway ${name}: dir must be an absolute path (got ${JSON.stringify(args.dir)})`);
        }
        sharedProvider ??= nginxGatewayProvider();
        const props: pulumi.Inputs = {
            gateway: args.gateway,
            dir: args.dir,
            input: args.input,
            listenAddress: args.listenAddress,
            nginxPath: args.nginxPath,
            home: args.home,
            reusePort: args.reusePort,
            reloadTimeoutSeconds: args.reloadTimeoutSeconds,
            // Private keys: secret in the program, in the state (inputs and outputs) and in previews.
            certificates: args.certificates === undefined ? undefined : pulumi.secret(args.certificates),
            caCertificates: args.caCertificates,
            running: undefined,
            pid: undefined,
            generation: undefined,
            ports: undefined,
            teamRoutes: undefined,
            skippedRoutes: undefined,
            teamListenerSets: undefined,
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
    return lazyProvider<typeof Lifecycle, "Route">("Route", "nginx route attachment", ": declare it through an HTTPRoute instead",
        lifecycleModule, tsNodeModule);
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

// ---------------------------------------------------------------- ListenerSets from other stacks

/** The ListenerSet-attachment provider; like the others, its functions capture plain strings only. */
export function nginxListenerSetProvider(lifecycleModule = LIFECYCLE_MODULE, tsNodeModule = TS_NODE_MODULE): pulumi.dynamic.ResourceProvider {
    return lazyProvider<typeof Lifecycle, "ListenerSet">("ListenerSet", "nginx ListenerSet attachment", ": declare it through a ListenerSet instead",
        lifecycleModule, tsNodeModule);
}

export interface NginxListenerSetAttachmentArgs {
    /** "namespace/name" of the gateway. */
    gateway: pulumi.Input<string>;
    /** The gateway's home (GatewayReference.attachments.nginx.home). */
    home: pulumi.Input<string>;
    /** "namespace/name" of the ListenerSet. */
    listenerSet: pulumi.Input<string>;
    /** "<project>/<stack>" of this stack. */
    owner: pulumi.Input<string>;
    /** JSON of the ListenerSetSpec. */
    spec: pulumi.Input<string>;
    /** Keyed "namespace/name" in the ListenerSet's namespace; always stored as a secret. */
    certificates?: pulumi.Input<Record<string, pulumi.Input<TlsMaterial>>>;
}

let sharedListenerSetProvider: pulumi.dynamic.ResourceProvider | undefined;

/**
 * One ListenerSet of this stack added to another stack's nginx gateway: its file in the gateway's home
 * (0600: it carries the certificates), recompiled into the gateway's nginx by this stack's own `up`.
 */
export class NginxListenerSetAttachment extends pulumi.dynamic.Resource {
    declare readonly gateway: pulumi.Output<string>;
    declare readonly home: pulumi.Output<string>;
    declare readonly listenerSet: pulumi.Output<string>;
    declare readonly served: pulumi.Output<{ dir: string; generation: string }[]>;

    constructor(name: string, args: NginxListenerSetAttachmentArgs, opts?: pulumi.CustomResourceOptions) {
        sharedListenerSetProvider ??= nginxListenerSetProvider();
        super(sharedListenerSetProvider, name, {
            ...args,
            certificates: args.certificates === undefined ? undefined : pulumi.secret(args.certificates),
            served: undefined,
        }, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "certificates"] }, "gatewaykit", "NginxListenerSetAttachment");
    }
}
