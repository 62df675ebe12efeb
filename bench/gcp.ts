// gcp adapter benches: churn on a 50-route gateway (resources besides the URL map whose inputs
// change when one route is added / removed / re-weighted; target 0) and URL map bytes at 50 and 500
// routes beside GCP's 1 MB per-URL-map limit (the synthetic workload: 4 rules × 2 matches per route,
// over 50 hostnames, method matches dropped).
import { compile } from "../routing/compile";
import { buildDataPlane } from "../providers/gcp/model/dataplane";
import { GCP_LIMITS } from "../providers/gcp/parameters";
import { churn, Registration } from "../test/churn";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import { runProgram, setupMocks } from "../testing";
import { Bench } from "./types";
import { syntheticInput } from "./workload";

const URL_MAP_TYPE = "gcp:compute/uRLMap:URLMap";
const PARAMS = { gcp: { project: "bench-project", zone: "europe-west1-b" } };

/** A gateway with `routes` routes over 10 VM-backed services; `weight` is the first route's canary weight. */
function program(routes: number, weight = 10): () => void {
    return () => {
        const cls = new GatewayClass("gcp", { controllerName: "gatewaykit.dev/gcp-alb", parameters: PARAMS });
        const gateway = new Gateway("bench", { gatewayClass: cls, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
        for (let s = 0; s < 10; s++) {
            new Service(`svc-${s}`, { port: 8080, endpoints: [{ address: `10.0.0.${s + 1}` }], realizations: { gcp: { instance: `vm-${s}` } } });
        }
        for (let r = 0; r < routes; r++) {
            new HTTPRoute(`route-${r}`, {
                parentRefs: [{ gateway }],
                hostnames: [`app${r % 10}.example.com`],
                rules: [{
                    name: "main",
                    matches: [{ path: { value: `/r${r}` } }, { path: { type: "Exact", value: `/r${r}/exact` }, headers: [{ name: "x-team", value: `t${r % 3}` }] }],
                    backendRefs: [
                        { name: `svc-${r % 10}`, port: 8080, weight: r === 0 ? 100 - weight : 90 },
                        // The added route (index 50) brings a service of its own.
                        { name: r === 50 ? "svc-new" : `svc-${(r + 1) % 10}`, port: 8080, weight: r === 0 ? weight : 10 },
                    ],
                }],
            });
        }
        if (routes > 50) new Service("svc-new", { port: 8080, endpoints: [{ address: "10.0.1.1" }], realizations: { gcp: { instance: "vm-new" } } });
    };
}

async function record(routes: number, weight?: number): Promise<Registration[]> {
    return (await runProgram(program(routes, weight))).resources;
}

function changedBesidesUrlMap(before: Registration[], after: Registration[]): number {
    return churn(before, after).changed.filter(k => !k.startsWith(URL_MAP_TYPE + "::")).length;
}

function urlMapBytes(routes: number): number {
    const input = syntheticInput(routes);
    // The synthetic workload uses method matches (no method matching on the global LB): drop them.
    for (const r of input.routes) for (const rule of r.rules ?? []) for (const m of rule.matches ?? []) delete m.method;
    for (const s of input.services ?? []) s.realizations = { gcp: { zone: "europe-west1-b", instance: "vm" } };
    const plan = compile(input).gateways[0];
    // Beyond the limit preflight refuses the plan; the figure is reported all the same.
    const dp = buildDataPlane(plan, { ...PARAMS.gcp, limits: { urlMapBytes: Number.POSITIVE_INFINITY } }, { scope: "bench" });
    if (dp.problems.length) throw new Error(dp.problems.join("\n"));
    return dp.frontends[0].urlMapBytes;
}

export const gcpBenches: Bench[] = [
    {
        name: "gcp.churn",
        run: async () => {
            setupMocks();
            const base = await record(50);
            return {
                "gcp.churn.add": changedBesidesUrlMap(base, await record(51)),
                "gcp.churn.remove": changedBesidesUrlMap(base, await record(49)),
                "gcp.churn.reweight": changedBesidesUrlMap(base, await record(50, 20)),
            };
        },
    },
    {
        name: "gcp.urlMapBytes",
        run: async () => ({
            "gcp.urlMapBytes50": urlMapBytes(50),
            "gcp.urlMapBytes500": urlMapBytes(500),
            "gcp.urlMapBytesLimit": GCP_LIMITS.urlMapBytes,
        }),
    },
];
