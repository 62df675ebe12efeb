// GRPCRoutes on the global external LB: HTTP/2 backend services of their own (H2C, or HTTP2 when
// the Service speaks TLS), route rules on the gRPC paths and headers, 503 (UNAVAILABLE) aborts; and
// the emitted URL map, walked by evaluate.ts, against simulateGRPC on generated GRPCRoutes and calls.

import { strict as assert } from "assert";
import fc from "fast-check";
import { grpcCalls, grpcRouteSet } from "../../test/grpc-generators";
import { evaluate } from "./evaluate";
import { compile } from "../../routing/compile";
import { CompileInput } from "../../routing/plan";
import { simulateGRPC } from "../../routing/simulate";
import { GRPCRouteSpec, Listener } from "../../routing/types";
import { build, input, route, rulesOf, svc } from "../../test/gcp-fixtures";
import { Gateway, GatewayClass, GRPCRoute, Service } from "../../components";
import { resourcesOfType, runProgram, setupMocks } from "../../testing";

setupMocks();

const HTTPS: Listener = { name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: [{ name: "cert" }] } };

function grpcInput(grpcRoutes: GRPCRouteSpec[], extra: Partial<CompileInput> = {}): CompileInput {
    return { ...input([], [HTTPS]), grpcRoutes, ...extra };
}

const grpcRoute = (name: string, spec: Partial<GRPCRouteSpec>): GRPCRouteSpec => ({ name, namespace: "default", parentRefs: [{ name: "gw" }], ...spec });

describe("gcp: GRPCRoute", () => {
    it("routes gRPC paths and headers to an H2C backend service of its own; the HTTPRoute's stays HTTP", () => {
        const routing = compile(grpcInput([grpcRoute("greeter", {
            hostnames: ["grpc.example.com"],
            rules: [{ matches: [{ method: { service: "helloworld.Greeter", method: "SayHello" }, headers: [{ name: "x-env", value: "canary" }] }], backendRefs: [{ name: "s1", port: 8080 }] }],
        })], { routes: [route("web", [{ backendRefs: [{ name: "s1", port: 8080 }] }], ["www.example.com"])], services: [svc("s1"), svc("s2", { realizations: { gcp: { zone: "europe-west1-b", instance: "vm-1", protocol: "HTTPS" } } })] }));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        assert.deepEqual(dp.backends.map(b => [b.key, b.protocol, b.healthCheck?.protocol ?? "HTTP"]).sort(), [["default/s1:8080", "HTTP", "HTTP"], ["default/s1:8080:grpc", "H2C", "GRPC"]]);
        const [rule] = rulesOf(dp, "grpc.example.com");
        assert.deepEqual(rule.matchRules, [{ fullPathMatch: "/helloworld.Greeter/SayHello", headerMatches: [{ headerName: "x-env", exactMatch: "canary" }] }]);
        assert.ok(dp.notes.some(n => /GRPCRoute default\/greeter rule 0: the global LB cannot match the method/.test(n)), dp.notes.join("\n"));

        const tls = build(compile(grpcInput([grpcRoute("tls", { rules: [{ backendRefs: [{ name: "s2", port: 8080 }] }] })], { services: [svc("s2", { realizations: { gcp: { zone: "europe-west1-b", instance: "vm-1", protocol: "HTTPS" } } })] })));
        assert.deepEqual(tls.problems, []);
        assert.deepEqual(tls.backends.map(b => b.protocol), ["HTTP2"]);
    });

    it("aborts an invalid share and a rule without backends with 503 (UNAVAILABLE), as simulateGRPC answers", () => {
        const routing = compile(grpcInput([grpcRoute("g", { rules: [
            { matches: [{ method: { service: "a.B", method: "Half" } }], backendRefs: [{ name: "s1", port: 8080 }, { name: "missing", port: 8080 }] },
            { matches: [{ method: { service: "a.B", method: "None" } }] },
        ] })]));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        for (const method of ["Half", "None"]) {
            const sim = simulateGRPC(routing, { scheme: "https", host: "x.example.com", service: "a.B", method });
            const gcp = evaluate(dp.frontends, { scheme: "https", host: "x.example.com", method: "POST", path: `/a.B/${method}`, headers: { "content-type": "application/grpc" } });
            assert.deepEqual(gcp.outcomes.map(o => [o.status, o.probability]).sort(), sim.outcomes.map(o => [o.status, o.probability]).sort(), method);
            assert.ok(sim.outcomes.some(o => o.status === 503 && o.grpcStatus === "UNAVAILABLE"));
        }
    });

    it("agrees with simulateGRPC on generated GRPCRoutes and calls", function () {
        this.timeout(20000);
        let compared = 0, forwarded = 0;
        fc.assert(fc.property(grpcRouteSet(["s0", "s1", "s2"]), grpcCalls, (specs, calls) => {
            const routing = compile(grpcInput(specs));
            const dp = build(routing);
            assert.deepEqual(dp.problems, []);
            const keyOf = new Map(dp.backends.map(b => [b.link, b.key]));
            for (const c of calls) {
                const { metadata } = c;
                const sim = simulateGRPC(routing, { scheme: "https", host: c.host, service: c.service, method: c.method, metadata });
                const gcp = evaluate(dp.frontends, { scheme: "https", host: c.host, method: "POST", path: `/${c.service}/${c.method}`, headers: { ...metadata, "content-type": "application/grpc" } });
                const dist = (os: [number, string, number][]) => {
                    const m = new Map<string, number>();
                    for (const [status, backend, p] of os) if (p > 0) m.set(`${status} ${backend}`, (m.get(`${status} ${backend}`) ?? 0) + p);
                    return [...m].sort().map(([k, p]) => [k, Math.round(p * 1e9) / 1e9]);
                };
                assert.deepEqual(
                    dist(gcp.outcomes.map(o => [o.status, o.status === 200 ? keyOf.get(o.backend!)! : "", o.probability])),
                    dist(sim.outcomes.map(o => [o.status, o.status === 200 ? `${o.backend!.service}:${o.backend!.port}:grpc` : "", o.probability])),
                    JSON.stringify({ c, specs }));
                compared++;
                if (sim.outcomes.some(o => o.status === 200)) forwarded++;
            }
        }), { numRuns: 150, seed: 2727 });
        assert.ok(compared >= 1500 && forwarded > 300, `${compared} calls compared, ${forwarded} forwarded`);
    });

    it("realises the gRPC backend service as H2C with a gRPC health check", async () => {
        await runProgram(() => {
            const cls = new GatewayClass("gcp", { controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: { project: "p", zone: "z" } } });
            const gateway = new Gateway("tls", { gatewayClass: cls, listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "grpc-cert" }] } }] });
            new Service("greeter", { port: 50051, endpoints: [{ address: "10.0.0.5" }], realizations: { gcp: { instance: "vm" } } });
            new GRPCRoute("greeter", { parentRefs: [{ gateway }], rules: [{ backendRefs: [{ name: "greeter", port: 50051 }] }] });
        });
        const [bs] = resourcesOfType("gcp:compute/backendService:BackendService").filter(r => r.inputs.protocol !== "HTTP" || (r.inputs.backends as unknown[] | undefined)?.length);
        assert.equal(bs.inputs.protocol, "H2C");
        const checks = resourcesOfType("gcp:compute/healthCheck:HealthCheck");
        assert.deepEqual(checks.map(c => c.inputs.grpcHealthCheck), [{ portSpecification: "USE_SERVING_PORT" }]);
    });
});
