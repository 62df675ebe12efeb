// EchoBackend: a local echo process (echo-server.js) as a Pulumi dynamic resource, for the quickstart and
// the tests. It answers every request with its name and the request it saw, as JSON.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as Lifecycle from "./echo-lifecycle";
import { TS_NODE_MODULE, lazyProvider } from "./lazy-provider";
import { defaultStateRoot } from "./stateRoot";

/** Absolute path of the implementation module (.ts under ts-node, .js when compiled). */
export const ECHO_LIFECYCLE_MODULE = require.resolve("./echo-lifecycle");

/** The echo provider; like the nginx one, its functions capture plain strings only. */
export function echoProvider(lifecycleModule = ECHO_LIFECYCLE_MODULE, tsNodeModule = TS_NODE_MODULE): pulumi.dynamic.ResourceProvider {
    return lazyProvider<typeof Lifecycle, "Echo">("Echo", "echo backend", "", lifecycleModule, tsNodeModule);
}

export interface EchoBackendArgs {
    /** The name it answers with; defaults to the resource name. */
    name?: pulumi.Input<string>;
    /** Port to bind; 0 (the default) picks a free port, kept across restarts when possible. */
    port?: pulumi.Input<number>;
    /** Defaults to 127.0.0.1. */
    host?: pulumi.Input<string>;
    /** Directory for its pid, port and log files; defaults to <state root>/<stack>/echo/<name>. */
    dir?: pulumi.Input<string>;
}

let sharedProvider: pulumi.dynamic.ResourceProvider | undefined;

export class EchoBackend extends pulumi.dynamic.Resource {
    declare readonly name: pulumi.Output<string>;
    declare readonly host: pulumi.Output<string>;
    /** The port actually bound. */
    declare readonly port: pulumi.Output<number>;
    declare readonly pid: pulumi.Output<number>;
    declare readonly running: pulumi.Output<boolean>;
    /** e.g. "http://127.0.0.1:41234". */
    declare readonly url: pulumi.Output<string>;
    declare readonly dir: pulumi.Output<string>;

    constructor(name: string, args: EchoBackendArgs = {}, opts?: pulumi.CustomResourceOptions) {
        sharedProvider ??= echoProvider();
        const echoName = args.name ?? name;
        const props: pulumi.Inputs = {
            name: echoName,
            requestedPort: args.port ?? 0,
            host: args.host ?? "127.0.0.1",
            dir: args.dir ?? pulumi.output(echoName).apply(n => path.join(defaultStateRoot(), pulumi.getStack(), "echo", n)),
            port: undefined,
            pid: undefined,
            running: undefined,
            url: undefined,
        };
        super(sharedProvider, name, props, opts, "gatewaykit", "EchoBackend");
    }
}
