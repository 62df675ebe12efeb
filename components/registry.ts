// What the running program has declared: Services (so a backendRef written by name, like a
// manifest, resolves) and Gateways (so a parentRef written by name attaches). Scoped to the running
// program, not the module: the Automation API runs several inline programs in one process, each in
// its own runtime store (the SDK's AsyncLocalStorage-based `getStore()`, one LocalStore per run, the
// global store outside the Automation API), so the registry is a WeakMap keyed on that store. The
// testing kit resets the current program's declarations between tests.

import * as pulumi from "@pulumi/pulumi";
import type { Gateway } from "./gateway";
import type { ListenerSet } from "./listenerSet";
import type { DeclaredRoute } from "./route";
import type { Service } from "./service";
import type { AnyBackendPolicy } from "./backendPolicies";

export interface Declarations {
    services: Service[];
    gateways: Gateway[];
    /** For the testing kit: it waits for every route (their failures are logged, not thrown by an output). */
    routes: DeclaredRoute[];
    /** So a route's parentRef of kind ListenerSet written by name finds it. */
    listenerSets: ListenerSet[];
    /** BackendTLSPolicies and BackendTrafficPolicies: attached to the Services they target when those are read. */
    backendPolicies: AnyBackendPolicy[];
    /** RealizeContext.shared: adapters' per-program state. */
    adapterState: Map<string, unknown>;
}

// getStore is @internal in the SDK (absent from its .d.ts), hence the typed require; it has the same
// shape in every 3.x release since the Automation API ran programs in AsyncLocalStorage.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): object };

const byProgram = new WeakMap<object, Declarations>();

/** The declarations of the program running in the current async context. */
export function declarations(): Declarations {
    const store = getStore();
    let d = byProgram.get(store);
    if (d === undefined) {
        d = { services: [], gateways: [], routes: [], listenerSets: [], backendPolicies: [], adapterState: new Map() };
        byProgram.set(store, d);
    }
    return d;
}

/** Forgets every declaration of the current program (the testing kit calls this before each program). */
export function resetDeclarations(): void {
    byProgram.delete(getStore());
}

/**
 * The value of an Output, and whether it is known (it is not during a preview when it depends on
 * a resource not yet created). Uses the SDK's Output internals (promise(withUnknowns), isKnown),
 * because apply() never runs on an unknown value and would leave the caller waiting forever.
 */
export async function resolveOutput<T>(o: pulumi.Output<T>): Promise<{ known: boolean; value: T }> {
    const internal = o as unknown as { promise(withUnknowns?: boolean): Promise<T>; isKnown: Promise<boolean> };
    const [value, known] = await Promise.all([internal.promise(true), internal.isKnown]);
    return { known: known && !pulumi.containsUnknowns(value), value };
}

/** "namespace/name" when both are plain strings now, else a fallback; for messages raised synchronously. */
export function labelOf(namespace: pulumi.Input<string> | undefined, name: pulumi.Input<string> | undefined, fallbackName: string): string {
    const ns = namespace === undefined ? "default" : typeof namespace === "string" ? namespace : "<namespace>";
    return `${ns}/${typeof name === "string" ? name : fallbackName}`;
}
