// Synthetic route sets for benches: N routes over 50 hostnames, 4 rules × 2 matches each, every rule
// split 90/10 over two of 100 services.
import { CompileInput } from "../routing/plan";
import { HTTPRouteSpec, ServiceSpec } from "../routing/types";

export const HOSTNAMES = Array.from({ length: 50 }, (_, i) => `app${i}.bench.example.com`);
export const SERVICE_COUNT = 100;

export interface WorkloadOptions {
    /** The gateway's one HTTP listener port; default 80. */
    listenerPort?: number;
    /**
     * Real backends: service i targets 127.0.0.1:backendPorts[i % length] (e.g. a few echo servers),
     * so the config can be served. Default: unroutable 10.0.x.y:8080 addresses, for compile-only benches.
     */
    backendPorts?: number[];
    /** The GatewayClass controller; default "gatewaykit.dev/plan". */
    controllerName?: string;
}

export function syntheticInput(routeCount: number, opts: WorkloadOptions = {}): CompileInput {
    const real = opts.backendPorts;
    if (real && real.length === 0) throw new Error("syntheticInput: backendPorts is empty; give at least one port or leave it out");
    const services: ServiceSpec[] = Array.from({ length: SERVICE_COUNT }, (_, i) => real
        ? { name: `svc-${i}`, namespace: "bench", ports: [{ port: 8080, targetPort: real[i % real.length] }], endpoints: [{ address: "127.0.0.1" }] }
        : { name: `svc-${i}`, namespace: "bench", ports: [{ port: 8080 }], endpoints: [{ address: `10.0.${i >> 8}.${i & 255}` }] });
    const routes: HTTPRouteSpec[] = [];
    for (let r = 0; r < routeCount; r++) {
        const base = `/r${r}`;
        routes.push({
            name: `route-${r}`,
            namespace: "bench",
            parentRefs: [{ name: "gw" }],
            hostnames: [HOSTNAMES[r % HOSTNAMES.length]],
            rules: [0, 1, 2, 3].map(k => ({
                matches: [
                    { path: { type: k === 0 ? "Exact" as const : "PathPrefix" as const, value: `${base}/p${k}` } },
                    { path: { type: "PathPrefix" as const, value: `${base}/q${k}` }, headers: [{ name: "x-team", value: `t${k}` }], ...(k % 2 ? { method: "GET" as const } : {}) },
                ],
                backendRefs: [
                    { name: `svc-${(r + k) % SERVICE_COUNT}`, port: 8080, weight: 90 },
                    { name: `svc-${(r + k + 1) % SERVICE_COUNT}`, port: 8080, weight: 10 },
                ],
            })),
        });
    }
    return {
        gatewayClasses: [{ name: "bench", controllerName: opts.controllerName ?? "gatewaykit.dev/plan" }],
        gateways: [{ name: "gw", namespace: "bench", gatewayClassName: "bench", listeners: [{ name: "http", port: opts.listenerPort ?? 80, protocol: "HTTP" }] }],
        routes, services,
    };
}
