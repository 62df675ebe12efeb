// The cloud SDKs (@pulumi/aws, @pulumi/gcp, @pulumi/kubernetes) are optional peer dependencies: an
// nginx user installs none of them. Each adapter loads its SDK on first use through lazyPeer, and a
// missing one fails with the package to install rather than Node's bare MODULE_NOT_FOUND.

export class MissingPeerError extends Error {
    constructor(readonly packageName: string, adapter: string) {
        super(`the ${adapter} adapter needs ${packageName}, which is not installed: npm install ${packageName} ` +
            "(it is an optional peer dependency of gatewaykit, installed next to it by the program that uses that adapter)");
        this.name = "MissingPeerError";
    }
}

/** The npm package a module specifier belongs to ("@pulumi/aws/lb" → "@pulumi/aws"). */
export function packageOf(specifier: string): string {
    const parts = specifier.split("/");
    return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** require(specifier), or a MissingPeerError naming the package when it is not installed. */
export function requirePeer<T>(specifier: string, adapter: string): T {
    try {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        return require(specifier) as T;
    } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const pkg = packageOf(specifier);
        if (e?.code === "MODULE_NOT_FOUND" && String(e.message).includes(`'${pkg}`)) throw new MissingPeerError(pkg, adapter);
        throw err;
    }
}

/**
 * A stand-in for `import * as m from specifier` that loads the module on first use: property reads
 * (`new m.Resource(...)`) go to the real module, required then.
 */
export function lazyPeer<T extends object>(specifier: string, adapter: string): T {
    let loaded: T | undefined;
    const load = (): T => (loaded ??= requirePeer<T>(specifier, adapter));
    return new Proxy({} as T, {
        get: (_target, key) => (load() as Record<string | symbol, unknown>)[key],
        has: (_target, key) => key in load(),
    });
}
