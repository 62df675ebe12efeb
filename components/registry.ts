// What the running program has declared: Services (so a backendRef written by name, like a
// manifest, resolves) and Gateways (so a parentRef written by name attaches). Per process; the
// testing kit resets it between tests.

import * as pulumi from "@pulumi/pulumi";
import type { Gateway } from "./gateway";
import type { Service } from "./service";

export const declared = {
    services: [] as Service[],
    gateways: [] as Gateway[],
    /** RealizeContext.shared: adapters' per-program state. */
    adapterState: new Map<string, unknown>(),
};

/** Forgets every declaration (the testing kit calls this before each program). */
export function resetDeclarations(): void {
    declared.services.length = 0;
    declared.gateways.length = 0;
    declared.adapterState.clear();
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
