// The gcp adapter's resource graph under Pulumi mocks: what a gateway creates, per backend kind,
// what changes when a route is added / removed / re-weighted, and refusals before any resource.

import { strict as assert } from "assert";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import { gcpExample } from "../examples/gcp/program";
import { churn } from "./churn";
import { outputOf, RecordedResource, recordedResources, resourcesOfType, routeRequest, runProgram, setupMocks, failureOf } from "../testing";

setupMocks();

const T = {
    address: "gcp:compute/globalAddress:GlobalAddress",
    rule: "gcp:compute/globalForwardingRule:GlobalForwardingRule",
    httpProxy: "gcp:compute/targetHttpProxy:TargetHttpProxy",
    httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
    backend: "gcp:compute/backendService:BackendService",
    bucket: "gcp:compute/backendBucket:BackendBucket",
    neg: "gcp:compute/networkEndpointGroup:NetworkEndpointGroup",
    endpoints: "gcp:compute/networkEndpointList:NetworkEndpointList",
    globalNeg: "gcp:compute/globalNetworkEndpointGroup:GlobalNetworkEndpointGroup",
    globalEndpoint: "gcp:compute/globalNetworkEndpoint:GlobalNetworkEndpoint",
    serverlessNeg: "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
    healthCheck: "gcp:compute/healthCheck:HealthCheck",
};
const URL_MAP_TYPE = "gcp:compute/uRLMap:URLMap";

function gcpTypes(resources: RecordedResource[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of resources) if (r.type.startsWith("gcp:")) out[r.type] = (out[r.type] ?? 0) + 1;
    return out;
}

describe("gcp adapter resources (mocks)", () => {
    it("realises the seed (examples/gcp): address, forwarding rule, proxy, URL map, backend services over zonal NEGs", async () => {
        let made!: ReturnType<typeof gcpExample>;
        const { resources } = await runProgram(() => { made = gcpExample(); });
        assert.deepEqual(gcpTypes(resources), {
            [T.address]: 1, [T.rule]: 1, [T.httpProxy]: 1, [URL_MAP_TYPE]: 1,
            [T.backend]: 3, [T.neg]: 2, [T.endpoints]: 2, [T.healthCheck]: 1,
        });
        const [rule] = resourcesOfType(T.rule);
        assert.equal(rule.inputs.portRange, "8080");
        assert.equal(rule.inputs.loadBalancingScheme, "EXTERNAL_MANAGED");
        const [urlMap] = resourcesOfType(URL_MAP_TYPE);
        const pm = (urlMap.inputs.pathMatchers as { routeRules: { routeAction: { weightedBackendServices: { weight: number }[] } }[] }[])[0];
        assert.deepEqual(pm.routeRules[0].routeAction.weightedBackendServices.map(w => w.weight), [90, 10]);
        const neg = resourcesOfType(T.neg).find(r => r.name.includes("mygroup-groups:8080"))!;
        assert.equal(neg.inputs.networkEndpointType, "GCE_VM_IP_PORT");
        assert.equal(neg.inputs.zone, "europe-west1-b");
        const eps = resourcesOfType(T.endpoints).find(r => r.name.includes("mygroup-groups:8080"))!;
        assert.deepEqual(eps.inputs.networkEndpoints, [{ ipAddress: "10.10.0.11", port: 9101, instance: "groups-vm-1" }]);
        const bs = resourcesOfType(T.backend).find(r => r.name.includes("mygroup-groups:8080"))!;
        assert.deepEqual((bs.inputs.logConfig as object), { enable: true, sampleRate: 0.5 });
        assert.match(String(bs.inputs.name), /^gk-mygroup-external-mygroup-mygroup-groups-8080-[0-9a-f]{7}$/);
        // Logical names come from identity, never positions.
        assert.deepEqual(resourcesOfType(T.backend).map(r => r.name).sort(), [
            "mygroup/mygroup-external/backend/mygroup/mygroup-groups-canary:8080",
            "mygroup/mygroup-external/backend/mygroup/mygroup-groups:8080",
            "mygroup/mygroup-external/backend/notfound",
        ]);
        assert.equal((await outputOf(made.addresses)).length, 1, "one address: the reserved global IP");
        const sim = await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/groups/42" });
        assert.deepEqual(sim.outcomes.map(o => o.probability), [0.9, 0.1]);
    });

    it("adding, removing or re-weighting a route changes no existing resource but the URL map", async () => {
        const run = async (extraRoutes: number, canaryWeight = 10) => (await runProgram(() => { gcpExample({ extraRoutes, canaryWeight }); })).resources;
        const base = await run(3);
        const added = churn(base, await run(4));
        assert.deepEqual(added.changed, [`${URL_MAP_TYPE}::mygroup/mygroup-external/urlmap/8080`]);
        assert.deepEqual(added.deleted, []);
        const removed = churn(base, await run(2));
        assert.deepEqual(removed.changed, [`${URL_MAP_TYPE}::mygroup/mygroup-external/urlmap/8080`]);
        const reweighted = churn(base, await run(3, 20));
        assert.deepEqual(reweighted.changed, [`${URL_MAP_TYPE}::mygroup/mygroup-external/urlmap/8080`]);
        assert.deepEqual([...reweighted.created, ...reweighted.deleted], []);
    });

    it("a canary step to 0/100 and back changes only the URL map: no NEG, endpoint or backend service goes or comes", async () => {
        const run = async (canaryWeight: number) => (await runProgram(() => { gcpExample({ canaryWeight }); })).resources;
        const steps = [];
        for (const w of [10, 50, 100, 10]) steps.push(await run(w));
        for (let i = 1; i < steps.length; i++) {
            const c = churn(steps[i - 1], steps[i]);
            assert.deepEqual(c, { created: [], deleted: [], changed: [`${URL_MAP_TYPE}::mygroup/mygroup-external/urlmap/8080`] }, `step ${i}`);
        }
        const weights = (rs: RecordedResource[]) => {
            const um = rs.find(r => r.type === URL_MAP_TYPE)!;
            const pm = (um.inputs.pathMatchers as { routeRules: { routeAction: { weightedBackendServices: { backendService: string; weight: number }[] } }[] }[])[0];
            return pm.routeRules[0].routeAction.weightedBackendServices.map(w => [w.backendService.replace(/-[0-9a-f]{7}$/, ""), w.weight]);
        };
        assert.deepEqual(weights(steps[2]), [
            ["projects/my-project/global/backendServices/gk-mygroup-external-mygroup-mygroup-groups-8080", 0],
            ["projects/my-project/global/backendServices/gk-mygroup-external-mygroup-mygroup-groups-canary-8080", 100],
        ]);
    });

    it("chooses the NEG by backend kind: internet FQDN / IP, serverless, bucket, existing backend service", async () => {
        const { resources } = await runProgram(() => {
            const cls = new GatewayClass("gcp", { controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: { project: "p", region: "europe-west1" } } });
            const gateway = new Gateway("edge", { gatewayClass: cls, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
            new Service("ext", { port: 443, endpoints: [{ address: "api.partner.example" }], realizations: { gcp: { protocol: "HTTPS" } } });
            new Service("ip", { port: 80, endpoints: [{ address: "203.0.113.7" }] });
            new Service("run", { port: 80, realizations: { gcp: { cloudRun: "orders" } } });
            new Service("assets", { port: 80, realizations: { gcp: { bucket: "my-assets" } } });
            new Service("legacy", { port: 80, realizations: { gcp: { backendService: "legacy-bs" } } });
            new HTTPRoute("r", {
                parentRefs: [{ gateway }],
                rules: [
                    { matches: [{ path: { value: "/ext" } }], backendRefs: [{ name: "ext", port: 443 }] },
                    { matches: [{ path: { value: "/ip" } }], backendRefs: [{ name: "ip", port: 80 }] },
                    { matches: [{ path: { value: "/run" } }], backendRefs: [{ name: "run", port: 80 }] },
                    { matches: [{ path: { value: "/static" } }], backendRefs: [{ name: "assets", port: 80 }] },
                    { matches: [{ path: { value: "/legacy" } }], backendRefs: [{ name: "legacy", port: 80 }] },
                ],
            });
        });
        const types = gcpTypes(resources);
        assert.equal(types[T.globalNeg], 2);
        assert.equal(types[T.globalEndpoint], 2);
        assert.equal(types[T.serverlessNeg], 1);
        assert.equal(types[T.bucket], 1);
        assert.equal(types[T.backend], 4, "ext, ip, run and the sink; legacy is used as is");
        assert.equal(types[T.healthCheck], undefined, "internet and serverless NEGs take no health check");
        const negTypes = resourcesOfType(T.globalNeg).map(r => r.inputs.networkEndpointType).sort();
        assert.deepEqual(negTypes, ["INTERNET_FQDN_PORT", "INTERNET_IP_PORT"]);
        assert.deepEqual(resourcesOfType(T.serverlessNeg)[0].inputs.cloudRun, { service: "orders" });
        const rules = (resourcesOfType(URL_MAP_TYPE)[0].inputs.pathMatchers as { routeRules: { service?: string; routeAction?: { weightedBackendServices: { backendService: string }[] } }[] }[])[0].routeRules;
        assert.ok(rules.some(r => /global\/backendBuckets\/gk-edge-default-assets-80-/.test(r.service ?? "")), "the bucket is a route rule's service");
        assert.ok(rules.some(r => r.routeAction?.weightedBackendServices[0].backendService === "projects/p/global/backendServices/legacy-bs"));
    });

    it("terminates HTTPS with the listener's certificateRefs as SSL certificates", async () => {
        await runProgram(() => {
            const cls = new GatewayClass("gcp", { controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: { project: "p", zone: "z", sslPolicy: "modern" } } });
            const gateway = new Gateway("tls", { gatewayClass: cls, listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "www-cert" }] } }] });
            new Service("web", { port: 80, endpoints: [{ address: "10.0.0.5" }], realizations: { gcp: { instance: "vm" } } });
            new HTTPRoute("web", { parentRefs: [{ gateway }], hostnames: ["www.example.com"], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] });
        });
        const [proxy] = resourcesOfType(T.httpsProxy);
        assert.deepEqual(proxy.inputs.sslCertificates, ["projects/p/global/sslCertificates/www-cert"]);
        assert.equal(proxy.inputs.sslPolicy, "modern");
        assert.equal(resourcesOfType(T.rule)[0].inputs.portRange, "443");
    });

    it("refuses a plan it cannot carry before creating any GCP resource, naming service and fix", async () => {
        const err = await failureOf(runProgram(() => {
            const cls = new GatewayClass("gcp", { controllerName: "gatewaykit.dev/gcp-alb" });
            const gateway = new Gateway("gw", { gatewayClass: cls, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
            new Service("local", { port: 8080, endpoints: [{ address: "127.0.0.1", port: 9101 }] });
            new HTTPRoute("r", { parentRefs: [{ gateway }], rules: [{ backendRefs: [{ name: "local", port: 8080 }] }] });
        }));
        assert.match(err.message, /Gateway default\/gw: the gcp adapter refuses this plan:\n {2}- Service default\/local port 8080 \(used by HTTPRoute default\/r rule 0\): endpoint 127\.0\.0\.1 is loopback/);
        assert.deepEqual(gcpTypes(recordedResources()), {});
    });
});
