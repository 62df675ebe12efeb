// Synthetic route sets for benches: N routes over 50 hostnames, 4 rules × 2 matches each.
import { CompileInput } from "../routing/plan";
import { HTTPRouteSpec, ServiceSpec } from "../routing/types";

export const HOSTNAMES = Array.from({ length: 50 }, (_, i) => `app${i}.bench.example.com`);
const SERVICE_COUNT = 100;

export function syntheticInput(routeCount: number): CompileInput {
    const services: ServiceSpec[] = Array.from({ length: SERVICE_COUNT }, (_, i) => ({
        name: `svc-${i}`, namespace: "bench", ports: [{ port: 8080 }], endpoints: [{ address: `10.0.${i >> 8}.${i & 255}` }],
    }));
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
        gatewayClasses: [{ name: "bench", controllerName: "gatewaykit.dev/plan" }],
        gateways: [{ name: "gw", namespace: "bench", gatewayClassName: "bench", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
        routes, services,
    };
}
