// The adapter registry: a GatewayClass's controllerName selects one adapter. Built-ins are
// registered at load; users (and tests) add their own with registerAdapter.

import * as pulumi from "@pulumi/pulumi";
import { FEATURES, Feature } from "../routing/features";
import { Adapter, PortabilityFinding, portabilityReport, preflightFindings } from "./adapter";
import { GatewayInput, GatewayPlan } from "../routing/plan";
import { awsAdapter } from "./aws";
import { gcpAdapter } from "./gcp";
import { kubernetesAdapter } from "./kubernetes";
import { nginxAdapter } from "./nginx";

export * from "./adapter";
export type { AwsClassParameters } from "./aws";
export type { GcpClassParameters } from "./gcp";
export type { KubernetesClassParameters } from "./kubernetes";
export type { NginxClassParameters } from "./nginx/parameters";

/**
 * The "plan" adapter (controllerName "gatewaykit.dev/plan") supports every feature and creates no
 * resources: a Gateway of this class computes its plan, status and routing table only. Use it for
 * dry runs ("what would this routing do") and in unit tests of your own programs.
 */
export const planAdapter: Adapter = {
    name: "plan",
    controllerNames: ["gatewaykit.dev/plan"],
    capabilities: new Set<Feature>(FEATURES),
    planOnly: true,
    realize: () => ({ addresses: pulumi.output([] as string[]) }),
};

export class UnknownControllerError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UnknownControllerError";
    }
}

const adapters = new Map<string, Adapter>();

/**
 * Adds an adapter, or replaces the one with the same name. A controllerName already owned by an
 * adapter of another name is refused, so a class never silently changes data plane.
 */
export function registerAdapter(adapter: Adapter): void {
    for (const other of adapters.values()) {
        if (other.name === adapter.name) continue;
        const shared = adapter.controllerNames.filter(c => other.controllerNames.includes(c));
        if (shared.length > 0) {
            throw new Error(`registerAdapter: adapter ${JSON.stringify(adapter.name)} claims controllerName ${shared.join(", ")}, ` +
                `which adapter ${JSON.stringify(other.name)} already answers to; choose another controllerName`);
        }
    }
    adapters.set(adapter.name, adapter);
}

/** Removes an adapter by name (tests use this to clean up). Built-ins can be removed too. */
export function unregisterAdapter(name: string): void {
    adapters.delete(name);
}

export function allAdapters(): Adapter[] {
    return [...adapters.values()];
}

export function adapterFor(controllerName: string): Adapter {
    for (const a of adapters.values()) if (a.controllerNames.includes(controllerName)) return a;
    const known = allAdapters().flatMap(a => a.controllerNames.map(c => `${c} (${a.name})`));
    throw new UnknownControllerError(`unknown GatewayClass controllerName ${JSON.stringify(controllerName)}; known controllerNames: ${known.join(", ")}. ` +
        `Use one of them, or registerAdapter() your own adapter first`);
}

/**
 * Before a provider swap: everything in the plan the class with this controllerName would reject —
 * features its adapter lacks and its limits (route, rule, feature and the adapters that support it).
 * Given the class parameters (GatewayClassParameters: keyed by adapter name), the specs the plan
 * came from (GatewayRender's `input`) and no such finding, it also builds the target's model and
 * reports its problems (VPC, project, quotas, …), since that is what the swap would run into next.
 * It lives beside the registry because it resolves the controllerName there.
 */
export function checkPortability(plan: GatewayPlan, controllerName: string, parameters?: object, input?: GatewayInput): PortabilityFinding[] {
    const target = adapterFor(controllerName);
    const findings = portabilityReport(plan, target, allAdapters());
    if (findings.length > 0 || parameters === undefined || input === undefined) return findings;
    return preflightFindings(plan, target, parameters as Record<string, unknown>, input);
}

for (const a of [nginxAdapter, awsAdapter, gcpAdapter, kubernetesAdapter, planAdapter]) registerAdapter(a);

/**
 * A markdown table of features × built-in data-plane adapters ("yes" / "no"), as the README shows
 * it. It is rendered from the declared capabilities, and a test keeps the README's copy in step.
 */
export function featureTable(): string {
    const shown = allAdapters().filter(a => !a.planOnly && a.name !== "plan");
    const rows = [
        `| feature | ${shown.map(a => a.name).join(" | ")} |`,
        `|---|${shown.map(() => "---").join("|")}|`,
        ...FEATURES.map(f => `| ${f} | ${shown.map(a => (a.capabilities.has(f) ? "yes" : "no")).join(" | ")} |`),
    ];
    return rows.join("\n");
}
