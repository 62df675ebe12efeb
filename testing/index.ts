// A test kit for mocha tests of programs that use gatewaykit. Pulumi mocks are global to the
// process and mocha runs every test file in one process, so: setupMocks() installs one recording
// mocks implementation (later calls reuse it), and runProgram() clears the records and the
// program's declarations before each run.
//
//   import { setupMocks, runProgram, routeRequest } from "gatewaykit/testing";
//   setupMocks();
//   it("sends 10% to the canary", async () => {
//       const { outputs } = await runProgram(() => { const gw = new Gateway(...); ...; return { gw }; });
//       const result = await routeRequest(gw, { host: "mygroup.io", path: "/groups" });
//   });

import * as pulumi from "@pulumi/pulumi";
import { Gateway } from "../components/gateway";
import { declarations, resetDeclarations, resolveOutput } from "../components/registry";
import { GRPCCall, GRPCSimResult, SimRequest, SimResult, simulate, simulateGRPC } from "../routing/simulate";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** False for component resources. */
    custom: boolean;
}

export interface MockOptions {
    project?: string;
    stack?: string;
    /** pulumi.getOrganization(); defaults to "organization" (what a DIY backend reports). */
    organization?: string;
    /** Run as a preview (pulumi preview), where unknown values stay unknown. */
    preview?: boolean;
    /**
     * With preview: every output of every resource is unknown (no id, no state), as in the first
     * preview of a stack where nothing exists yet.
     */
    unknownOutputs?: boolean;
}

let records: RecordedResource[] = [];
let installed: string | undefined;
let unknownOutputs = false;

const recordingMocks: pulumi.runtime.Mocks = {
    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        records.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? false });
        if (unknownOutputs) return { id: undefined, state: {} };
        // AWS resources get the ARN AWS would assign (named after the resource), so what links
        // resources by ARN (a listener rule to its listener and target groups) stays checkable.
        const arn = args.custom && args.type.startsWith("aws:") && args.inputs.arn === undefined ? { arn: `arn:aws:mock:${args.type}:${args.name}` } : {};
        // GCP resources likewise get a self link (what one resource names another by, e.g. a proxy its SSL certificates).
        const selfLink = args.custom && args.type.startsWith("gcp:") && args.inputs.selfLink === undefined ? { selfLink: `mock:${args.type}:${args.name}` } : {};
        return { id: args.custom ? `${args.name}-id` : undefined, state: { ...args.inputs, ...arn, ...selfLink } };
    },
    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        return args.inputs;
    },
};

/**
 * Installs Pulumi mocks that record every resource. Call it before creating resources; calling it
 * again (from another test file) keeps the same mocks unless the options differ.
 */
export function setupMocks(options: MockOptions = {}): void {
    const key = JSON.stringify([options.project ?? "project", options.stack ?? "stack", options.preview ?? false, options.unknownOutputs ?? false, options.organization ?? "organization"]);
    if (installed === key) return;
    installed = key;
    unknownOutputs = (options.preview ?? false) && (options.unknownOutputs ?? false);
    // Defaults passed explicitly: the SDK keeps the previous project and stack when given none.
    void pulumi.runtime.setMocks(recordingMocks, options.project ?? "project", options.stack ?? "stack", options.preview ?? false, options.organization ?? "organization");
}

/** Every resource registered since the last runProgram started (or since setupMocks). */
export function recordedResources(): RecordedResource[] {
    return [...records];
}

/** Recorded resources of one type token, e.g. "gatewaykit:index:Gateway". */
export function resourcesOfType(type: string): RecordedResource[] {
    return records.filter(r => r.type === type);
}

/** The value of an output (rejects with its error, or when it is unknown in a preview). */
export async function outputOf<T>(output: pulumi.Input<T>): Promise<T> {
    const { known, value } = await resolveOutput(pulumi.output(output) as pulumi.Output<T>);
    if (!known) throw new Error("outputOf: the output is unknown (a preview with values not yet known)");
    return value;
}

export interface ProgramRun<T> {
    resources: RecordedResource[];
    outputs: pulumi.Unwrap<T>;
}

/**
 * Runs a program function the way `pulumi up` would run the program body, waits for every Gateway
 * it declared to render its data plane, and returns the recorded resources and the program's
 * resolved return value. Rejects with the first Gateway or HTTPRoute failure (validation, capability, …).
 */
export async function runProgram<T>(program: () => T | Promise<T>): Promise<ProgramRun<T>> {
    if (installed === undefined) setupMocks();
    records = [];
    resetDeclarations();
    const result = await program();
    // A gateway's render may declare further gateways' inputs; loop until none is pending.
    let waited = 0;
    while (waited < declarations().gateways.length) {
        const pending = declarations().gateways.slice(waited);
        waited = declarations().gateways.length;
        await Promise.all(pending.map(g => g.rendered));
    }
    // A route's failure (e.g. on another stack's gateway) is logged on it and its outputs turn unknown.
    await Promise.all(declarations().routes.map(r => r.settled));
    const outputs = await outputOf(result as pulumi.Input<T>) as pulumi.Unwrap<T>;
    await waitForRegistrations();
    return { resources: [...records], outputs };
}

/** Where a request to the gateway goes, per the gateway's rendered plan (see routing/simulate). */
export async function routeRequest(gateway: Gateway, request: SimRequest): Promise<SimResult> {
    const rendered = await gateway.rendered;
    if (!rendered.known) throw new Error(`routeRequest: Gateway ${gateway.label} has no plan yet (a preview with unknown inputs)`);
    return simulate(rendered.routing, request, { gateway: rendered.plan.gateway });
}

/** routeRequest for a gRPC call: where `call` goes on the gateway's plan, and the gRPC status the gateway itself answers. */
export async function routeGRPCCall(gateway: Gateway, call: GRPCCall): Promise<GRPCSimResult> {
    const rendered = await gateway.rendered;
    if (!rendered.known) throw new Error(`routeGRPCCall: Gateway ${gateway.label} has no plan yet (a preview with unknown inputs)`);
    return simulateGRPC(rendered.routing, call, { gateway: rendered.plan.gateway });
}

/**
 * Waits until every outstanding resource registration has completed, using the runtime's own
 * RPC tracking (the same wait `pulumi up` does before it disconnects).
 */
export async function waitForRegistrations(): Promise<void> {
    const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
    if (runtime.waitForRPCs) await runtime.waitForRPCs();
}

/**
 * The error a promise rejects with; throws when it resolves instead. For asserting on a failed
 * program run, e.g. `assert.match((await failureOf(runProgram(p))).message, /HTTPRoute .../)`.
 */
export async function failureOf(p: Promise<unknown>): Promise<Error> {
    try {
        await p;
    } catch (err) {
        return err as Error;
    }
    throw new Error("expected a failure, but it succeeded");
}
