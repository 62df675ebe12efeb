// Errors where the user looks for them: a Gateway's failure is logged once, on the resource at fault
// (a bad route on its HTTPRoute, a bad Service on the Service, the rest on the Gateway), and then no
// output repeats it. Before, every output of the Gateway and its routes rejected with the error,
// and the engine printed it three or four times, nested in `error serializing property "outputs"`,
// with Node's PromiseRejectionHandledWarning for the rejections Pulumi handled late.

import * as pulumi from "@pulumi/pulumi";
import { GatewayValidationError } from "../routing/errors";

const reported = new WeakSet<object>();

// @internal in the SDK (absent from its .d.ts): the run's AsyncLocalStorage store, set only when the
// Automation API's server runs an inline program.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getLocalStore } = require("@pulumi/pulumi/runtime/state") as { getLocalStore(): object | undefined };

/** The exit code by which the SDK's runner tells the language host the error was logged already. */
const EXITED_AFTER_LOGGING = 32;

/**
 * A logged error alone does not fail a program the CLI runs (the Automation API's inline server does
 * fail on it): under the CLI's nodejs runner the exit code says so, which the language host reports
 * as a failure without printing anything more. Never under mocks or inline programs, whose process
 * is the user's (a test runner, an Automation API host).
 */
function failRunQuietly(): void {
    if (process.env.PULUMI_NODEJS_MONITOR && getLocalStore() === undefined) process.exitCode = EXITED_AFTER_LOGGING;
}

/** True when this error has been logged on its resource already. */
export function isReported(err: unknown): boolean {
    return typeof err === "object" && err !== null && reported.has(err);
}

/**
 * Logs the failure once per resource at fault and returns the error to reject with (marked as
 * reported, so outputs built with `unlessReported` turn unknown instead of repeating it).
 * `culprits` maps a validation issue's resource ("HTTPRoute team-a/store") to its component.
 */
export function reportFailure(err: Error, fallback: pulumi.Resource, culprits: ReadonlyMap<string, pulumi.Resource>): pulumi.ResourceError {
    let first: pulumi.Resource = fallback;
    if (err instanceof GatewayValidationError && err.issues.length > 0) {
        const byResource = new Map<string, typeof err.issues>();
        for (const issue of err.issues) byResource.set(issue.resource, [...(byResource.get(issue.resource) ?? []), issue]);
        let i = 0;
        for (const [resource, issues] of byResource) {
            const at = culprits.get(resource) ?? fallback;
            if (i++ === 0) first = at;
            pulumi.log.error(new GatewayValidationError(issues).message, at);
        }
    } else {
        pulumi.log.error(err.message, fallback);
    }
    failRunQuietly();
    const failure = new pulumi.ResourceError(err.message, first, true);
    (failure as { cause?: unknown }).cause = err;
    reported.add(failure);
    return failure;
}

/** p, except that a failure already reported becomes an unknown value (the run fails on the logged error). */
export function unlessReported<T>(p: Promise<T>): Promise<T> {
    return p.catch(err => {
        if (isReported(err)) return pulumi.unknown as unknown as T;
        throw err;
    });
}
