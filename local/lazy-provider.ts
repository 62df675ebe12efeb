// The shape shared by gatewaykit's dynamic providers (nginx gateway, nginx route attachment, echo).
//
// Pulumi serialises the provider object's functions (closure serialisation) and runs them in the
// dynamic-provider host shipped in @pulumi/pulumi, a separate Node process without ts-node. So the
// methods capture only plain strings (absolute paths, export names) and require the implementation
// lazily, registering ts-node (transpile-only) first when the implementation is TypeScript.

import type * as pulumi from "@pulumi/pulumi";

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
export function lifecycleLoader<T>(lifecycleModule: string, tsNodeModule: string): () => T {
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

/* eslint-disable @typescript-eslint/no-explicit-any */
type Verb = "create" | "diff" | "update" | "delete" | "read";
/** What an implementation module exports for one resource kind K: createK, diffK, updateK, deleteK, readK. */
export type LifecycleOf<K extends string> =
    Record<`create${K}`, (inputs: any) => Promise<pulumi.dynamic.CreateResult>> &
    Record<`diff${K}`, (olds: any, news: any) => pulumi.dynamic.DiffResult> &
    Record<`update${K}`, (olds: any, news: any) => Promise<any>> &
    Record<`delete${K}`, (props: any) => Promise<void>> &
    Record<`read${K}`, (props: any) => any>;

/**
 * A dynamic provider whose functions forward to `<verb><kind>` of the module at `lifecycleModule`
 * (M, its type, is checked to export them). `read` refuses imports: "cannot import <what> <id><hint>".
 */
export function lazyProvider<M extends LifecycleOf<K>, K extends string>(kind: K, what: string, hint: string,
    lifecycleModule: string, tsNodeModule: string): pulumi.dynamic.ResourceProvider {
    // Indexed by the computed export names below, which TypeScript cannot follow through M.
    const load = lifecycleLoader<Record<`${Verb}${K}`, (...args: any[]) => any>>(lifecycleModule, tsNodeModule);
    // Plain strings, computed here so the serialised functions capture them as values.
    const [createK, diffK, updateK, deleteK, readK] = (["create", "diff", "update", "delete", "read"] as const).map(verb => `${verb}${kind}` as const);
    return {
        create: async inputs => load()[createK](inputs),
        diff: async (_id, olds, news) => load()[diffK](olds, news),
        update: async (_id, olds, news) => ({ outs: await load()[updateK](olds, news) }),
        delete: async (_id, props) => load()[deleteK](props),
        read: async (id, props) => {
            if (!props) throw new Error(`gatewaykit: cannot import ${what} ${id}${hint}`);
            return { id, props: load()[readK](props) };
        },
    };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
