// Shared by the tests of what is logged where (test/error-attribution.test.ts, test/kube-adapter-model.test.ts,
// preview waits): pulumi.log.error / info calls recorded with the resource they name.
import * as pulumi from "@pulumi/pulumi";

export interface Logged { message: string; resource?: pulumi.Resource }

/** Runs `run` with pulumi.log[level] recorded (and, but for errors, still passed on to the SDK). */
async function withLogged<T>(level: "error" | "info" | "warn", run: () => Promise<T>): Promise<{ result: T; logged: Logged[] }> {
    const logged: Logged[] = [];
    const original = pulumi.log[level];
    (pulumi.log as Record<typeof level, typeof original>)[level] = (message: string, resource?: pulumi.Resource) => {
        logged.push({ message, resource });
        return level === "error" ? Promise.resolve() : original(message, resource);
    };
    try {
        return { result: await run(), logged };
    } finally {
        (pulumi.log as Record<typeof level, typeof original>)[level] = original;
    }
}

/** Runs the program, recording pulumi.log.error calls (not passed on: they would fail the mocked run). */
export async function withLoggedErrors<T>(run: () => Promise<T>): Promise<{ result: T; errors: Logged[] }> {
    const { result, logged } = await withLogged("error", run);
    return { result, errors: logged };
}

/** Runs the program, recording pulumi.log.info calls' messages. */
export async function withLoggedInfo<T>(run: () => Promise<T>): Promise<{ result: T; messages: string[] }> {
    const { result, logged } = await withLogged("info", run);
    return { result, messages: logged.map(l => l.message) };
}

/** Runs the program, recording pulumi.log.warn calls with the resource they name. */
export async function withLoggedWarnings<T>(run: () => Promise<T>): Promise<{ result: T; warnings: Logged[] }> {
    const { result, logged } = await withLogged("warn", run);
    return { result, warnings: logged };
}

/** Runs `run` with console.warn recorded instead of printed (the mocks print a program's warnings there). */
export async function withConsoleWarnings<T>(run: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: unknown) => { warnings.push(String(m)); };
    try {
        return { result: await run(), warnings };
    } finally {
        console.warn = warn;
    }
}
