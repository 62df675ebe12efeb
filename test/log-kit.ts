// Shared by the tests of where errors are reported (test/error-attribution.test.ts,
// test/kube-adapter-model.test.ts): pulumi.log.error calls recorded with the resource they name.
import * as pulumi from "@pulumi/pulumi";

export interface Logged { message: string; resource?: pulumi.Resource }

/** Runs the program, recording pulumi.log.error calls. */
export async function withLoggedErrors<T>(run: () => Promise<T>): Promise<{ result: T; errors: Logged[] }> {
    const errors: Logged[] = [];
    const original = pulumi.log.error;
    (pulumi.log as { error: typeof original }).error = (message: string, resource?: pulumi.Resource) => {
        errors.push({ message, resource });
        return Promise.resolve();
    };
    try {
        return { result: await run(), errors };
    } finally {
        (pulumi.log as { error: typeof original }).error = original;
    }
}
