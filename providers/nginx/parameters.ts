// The nginx GatewayClass parameters (parameters.nginx), what they refuse, and the directories they
// decide: an instance's state dir and the gateway's home. No @pulumi import.

import * as path from "path";
import type { GatewayPlan } from "../../routing/plan";
import { defaultStateRoot } from "../../local/stateRoot";

/** GatewayClass parameters for the nginx adapter (parameters.nginx). */
export interface NginxClassParameters {
    /** Address the local gateway binds; defaults to 127.0.0.1. */
    listenAddress?: string;
    /** Directory for the generated configuration and logs. */
    workDir?: string;
    /** nginx binary; defaults to "nginx" on PATH. Changing it replaces the instance (a reload cannot switch binaries). */
    nginxPath?: string;
    /**
     * `reuseport` on the listening sockets (default true): a replacement instance (a new class, a new
     * workDir) binds the same ports and serves before the old one stops. Closing the old listener resets
     * connections still in its accept queue unless the host has net.ipv4.tcp_migrate_req = 1.
     */
    reusePort?: boolean;
    /**
     * Addresses or CIDRs of proxies in front of the gateway (e.g. ["10.0.0.0/8"]): their
     * X-Forwarded-For is appended to and their X-Forwarded-Proto/Host/Port kept. Anyone else's are
     * replaced by what the gateway saw. Default: none (every client is the first hop).
     */
    trustedProxies?: string[];
    /**
     * Seconds an update waits for nginx to load a new configuration and serve it (1–3600). Default: four
     * times the `nginx -t` of the same files, measured just before the reload, plus 2.5 s (nginx retries a
     * busy bind() that long), and at least 8 s. A reload
     * still loading when it runs out is reported as such and is not rolled back over (nginx finishes it;
     * the next update records the outcome).
     */
    reloadTimeoutSeconds?: number;
}

/** trustedProxies of an nginx class section, as given ([] when absent). */
export function trustedProxiesOf(parameters: object | undefined): string[] {
    const t = (parameters as NginxClassParameters | undefined)?.trustedProxies;
    return Array.isArray(t) ? t.map(String) : [];
}

/** The bounds of parameters.nginx.reloadTimeoutSeconds. */
export const RELOAD_TIMEOUT_SECONDS = { min: 1, max: 3600 } as const;

// The control endpoint is the unix socket <dir>/run/control.sock; sun_path holds at most 107 bytes.
export const MAX_DIR_LENGTH = 107 - "/run/control.sock".length;

/**
 * <state root>/<stack>/_gateways/<namespace>/<name>: the gateway's home, where other stacks' route files
 * live. It does not depend on the class (workDir), so swapping the class keeps the teams' routes; "_"
 * cannot start a namespace, so it never meets an instance dir.
 */
export function nginxGatewayHome(plan: Pick<GatewayPlan, "namespace" | "name">, stack: string): string {
    return path.join(defaultStateRoot(), stack, "_gateways", plan.namespace, plan.name);
}

/** <workDir or the state root (defaultStateRoot)>/<stack>/<namespace>/<name>: unique per stack and gateway. */
export function nginxStateDir(plan: Pick<GatewayPlan, "namespace" | "name">, parameters: NginxClassParameters, stack: string): string {
    const root = parameters.workDir ? path.resolve(parameters.workDir) : defaultStateRoot();
    return path.join(root, stack, plan.namespace, plan.name);
}

/**
 * The address nginx listens on: the Gateway's one IPAddress of spec.addresses (an IPv6 one
 * bracketed, as listenAddress takes it), else parameters.nginx.listenAddress, else 127.0.0.1.
 * An IPAddress with no value asks for any address: the configured one.
 */
export function nginxListenAddress(plan: Pick<GatewayPlan, "addresses">, parameters: NginxClassParameters): string {
    const requested = plan.addresses?.find(a => (a.type ?? "IPAddress") === "IPAddress" && a.value);
    if (requested?.value) return requested.value.includes(":") ? `[${requested.value}]` : requested.value;
    return parameters.listenAddress ?? "127.0.0.1";
}

/** What nginx cannot do with the Gateway's spec.addresses: it listens on one IP address. */
export function addressProblems(plan: Pick<GatewayPlan, "gateway" | "addresses">, parameters: NginxClassParameters): string[] {
    const problems: string[] = [];
    const ips: number[] = [];
    (plan.addresses ?? []).forEach((a, i) => {
        const type = a.type ?? "IPAddress";
        if (type !== "IPAddress") {
            problems.push(`Gateway ${plan.gateway} spec.addresses[${i}].type ${JSON.stringify(type)}: nginx listens on an IP address and takes no ${type}; use type "IPAddress" with one of this host's IPs, or remove the address`);
        } else if (a.value) ips.push(i);
    });
    if (ips.length > 1) {
        problems.push(`Gateway ${plan.gateway} spec.addresses[${ips[1]}]: nginx listens on one address per gateway, and spec.addresses[${ips[0]}] already gives one; keep one IPAddress`);
    }
    const chosen = ips.length > 0 ? nginxListenAddress(plan, {}) : undefined;
    if (chosen !== undefined && parameters.listenAddress !== undefined && parameters.listenAddress !== chosen) {
        problems.push(`Gateway ${plan.gateway} spec.addresses[${ips[0]}].value ${JSON.stringify(plan.addresses![ips[0]].value)} differs from the GatewayClass parameters.nginx.listenAddress ` +
            `${JSON.stringify(parameters.listenAddress)}, and nginx listens on one address: remove one of them, or give both the same address`);
    }
    return problems;
}

/** What refuses `parameters` for this gateway, each naming the field, the bad value and the fix. */
export function parametersProblems(plan: Pick<GatewayPlan, "namespace" | "name">, parameters: Record<string, unknown>, stack: string): string[] {
    const p = parameters as NginxClassParameters;
    const problems: string[] = [];
    if (p.listenAddress !== undefined && !/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|localhost)$/.test(String(p.listenAddress))) {
        problems.push(`parameters.nginx.listenAddress must be an IPv4 address, a bracketed IPv6 address or "localhost" (got ${JSON.stringify(p.listenAddress)})`);
    }
    if (p.trustedProxies !== undefined) {
        const bad = Array.isArray(p.trustedProxies) ? p.trustedProxies.filter(t => typeof t !== "string" || !/^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-fA-F:]*:[0-9a-fA-F:.]*(\/\d{1,3})?)$/.test(t)) : [p.trustedProxies];
        if (bad.length) problems.push(`parameters.nginx.trustedProxies must be a list of IPv4 or IPv6 addresses or CIDRs, e.g. ["10.0.0.0/8"] (got ${JSON.stringify(bad[0])})`);
    }
    for (const key of ["workDir", "nginxPath"] as const) {
        const v = p[key];
        if (v !== undefined && (typeof v !== "string" || v === "" || /[\0\n]/.test(v))) {
            problems.push(`parameters.nginx.${key} must be a non-empty path (got ${JSON.stringify(v)})`);
        }
    }
    const timeout = p.reloadTimeoutSeconds as unknown;
    if (timeout !== undefined && (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < RELOAD_TIMEOUT_SECONDS.min || timeout > RELOAD_TIMEOUT_SECONDS.max)) {
        problems.push(`parameters.nginx.reloadTimeoutSeconds must be a number of seconds from ${RELOAD_TIMEOUT_SECONDS.min} to ${RELOAD_TIMEOUT_SECONDS.max} ` +
            `(got ${typeof timeout === "number" ? String(timeout) : JSON.stringify(timeout)}): set it to how long nginx may take to load this gateway's ` +
            "configuration, or leave it unset to scale it from the measured `nginx -t` (4× plus 2.5 s, at least 8 s)");
    }
    if (problems.length === 0) {
        const dir = nginxStateDir(plan, p, stack);
        if (dir.length > MAX_DIR_LENGTH) {
            problems.push(`the nginx state directory ${dir} is ${dir.length} characters; its control socket needs at most ${MAX_DIR_LENGTH}: ` +
                "set a shorter parameters.nginx.workDir");
        }
    }
    return problems;
}

/** Certificates keyed "namespace/name"; a bare "name" is in the gateway's namespace (as a certificateRef without namespace). */
export function normaliseCertificateKeys<T>(certs: Record<string, T>, namespace: string): Record<string, T> {
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(certs)) out[k.includes("/") ? k : `${namespace}/${k}`] = v;
    return out;
}
