// GRPCRoutes on ALB: gRPC target groups (protocolVersion GRPC, the gRPC health check), rules on the
// gRPC paths with method POST and header conditions, HTTPS listeners only; and the emitted rules,
// walked by evaluate.ts, against simulateGRPC on generated GRPCRoutes and calls.

import * as assert from "assert";
import fc from "fast-check";
import { grpcCalls, grpcRouteSet } from "../../test/grpc-generators";
import { evaluateAlb } from "./evaluate";
import { buildAlbModel } from "./model";
import { GRPC_HEALTH_CHECK } from "./realize";
import { compile } from "../../routing/compile";
import { CompileInput } from "../../routing/plan";
import { simulateGRPC } from "../../routing/simulate";
import { GRPCRouteSpec, Listener } from "../../routing/types";
import { Gateway, GRPCRoute, Service } from "../../components";
import { resourcesOfType, runProgram, setupMocks, failureOf } from "../../testing";
import { CLASS, PARAMS, SERVICES } from "../../test/aws-generators";

setupMocks();

const ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/one";
const HTTPS: Listener = { name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: ARN }] } };

function grpcInput(grpcRoutes: GRPCRouteSpec[], listeners: Listener[] = [HTTPS], extra: Partial<CompileInput> = {}): CompileInput {
    return { gatewayClasses: [CLASS], gateways: [{ name: "gw", namespace: "default", gatewayClassName: CLASS.name, listeners }], routes: [], grpcRoutes, services: SERVICES, ...extra };
}

const route = (name: string, spec: Partial<GRPCRouteSpec>): GRPCRouteSpec => ({ name, namespace: "default", parentRefs: [{ name: "gw" }], ...spec });

describe("aws: GRPCRoute", () => {
    it("forwards to GRPC target groups on path, POST and header conditions; an HTTPRoute to the same Service keeps its HTTP group", () => {
        const plan = compile(grpcInput([route("greeter", {
            hostnames: ["grpc.example.com"],
            rules: [{ matches: [{ method: { service: "helloworld.Greeter", method: "SayHello" }, headers: [{ name: "x-env", value: "canary" }] }], backendRefs: [{ name: "s1", port: 8080 }] }],
        })], [HTTPS], { routes: [{ name: "web", namespace: "default", parentRefs: [{ name: "gw" }], hostnames: ["www.example.com"], rules: [{ backendRefs: [{ name: "s1", port: 8080 }] }] }] }));
        const build = buildAlbModel(plan.gateways[0], PARAMS);
        assert.deepStrictEqual(build.problems, []);
        const tgs = build.model.targetGroups.map(t => [t.key, t.protocolVersion ?? "HTTP1"]).sort();
        assert.deepStrictEqual(tgs, [["default/s1:8080", "HTTP1"], ["default/s1:8080:grpc", "GRPC"]]);
        const grpcRule = build.model.listeners[0].rules.find(r => r.source?.route === "default/greeter")!;
        assert.ok(grpcRule.conditions.some(c => c.pathPattern?.values.includes("/helloworld.Greeter/SayHello")), JSON.stringify(grpcRule.conditions));
        assert.ok(grpcRule.conditions.some(c => c.httpRequestMethod?.values.includes("POST")), JSON.stringify(grpcRule.conditions));
        assert.ok(grpcRule.conditions.some(c => c.httpHeader?.httpHeaderName.toLowerCase() === "x-env" && c.httpHeader.values.includes("canary")), JSON.stringify(grpcRule.conditions));
        assert.deepStrictEqual(grpcRule.targetGroups, ["default/s1:8080:grpc"]);
    });

    it("refuses a GRPCRoute on an HTTP listener, saying ALB carries gRPC only on HTTPS", () => {
        const plan = compile(grpcInput([route("greeter", { rules: [{ backendRefs: [{ name: "s1", port: 8080 }] }] })], [{ name: "http", port: 80, protocol: "HTTP" }]));
        const build = buildAlbModel(plan.gateways[0], PARAMS);
        assert.deepStrictEqual(build.problems, ["GRPCRoute default/greeter rule 0: listener http is HTTP, and an ALB carries gRPC only on HTTPS listeners; " +
            "attach the GRPCRoute to an HTTPS listener (sectionName) or make listener http HTTPS"]);
    });

    it("answers an invalid share and a rule without backends with 503 (UNAVAILABLE), as simulateGRPC does", () => {
        const plan = compile(grpcInput([route("g", { rules: [
            { matches: [{ method: { service: "a.B", method: "Half" } }], backendRefs: [{ name: "s1", port: 8080 }, { name: "missing", port: 8080 }] },
            { matches: [{ method: { service: "a.B", method: "None" } }] },
        ] })]));
        const build = buildAlbModel(plan.gateways[0], PARAMS);
        assert.deepStrictEqual(build.problems, []);
        assert.deepStrictEqual(build.warnings, []);
        assert.ok(build.model.targetGroups.some(t => t.invalid && t.protocolVersion === "GRPC"));
        for (const method of ["Half", "None"]) {
            const call = { scheme: "https" as const, host: "x.example.com", service: "a.B", method };
            const sim = simulateGRPC(plan, call);
            const ev = evaluateAlb(build.model, { scheme: "https", host: call.host, method: "POST", path: `/a.B/${method}`, headers: { "content-type": "application/grpc" } });
            assert.deepStrictEqual(ev.outcomes.map(o => [o.status, o.probability]), sim.outcomes.map(o => [o.status, o.probability]), method);
            assert.ok(sim.outcomes.some(o => o.status === 503 && o.grpcStatus === "UNAVAILABLE"));
        }
    });

    it("agrees with simulateGRPC on generated GRPCRoutes and calls (rule and outcomes)", function () {
        this.timeout(20000);
        let compared = 0, matched = 0;
        fc.assert(fc.property(grpcRouteSet(["s1", "s2", "s3"]), grpcCalls, (specs, calls) => {
            const plan = compile(grpcInput(specs));
            const build = buildAlbModel(plan.gateways[0], PARAMS);
            assert.deepStrictEqual(build.problems, []);
            for (const c of calls) {
                const { metadata } = c;
                const sim = simulateGRPC(plan, { scheme: "https", host: c.host, service: c.service, method: c.method, metadata });
                const ev = evaluateAlb(build.model, { scheme: "https", host: c.host, method: "POST", path: `/${c.service}/${c.method}`, headers: { ...metadata, "content-type": "application/grpc" } });
                const where = JSON.stringify({ c, specs });
                assert.strictEqual(ev.rule?.source?.ruleId, sim.matched?.ruleId, where);
                const dist = (os: { status: number; probability: number; service?: string }[]) => {
                    const m = new Map<string, number>();
                    for (const o of os) if (o.probability > 0) m.set(`${o.status} ${o.status === 200 ? o.service : ""}`, (m.get(`${o.status} ${o.status === 200 ? o.service : ""}`) ?? 0) + o.probability);
                    return [...m].sort().map(([k, p]) => [k, Math.round(p * 1e9) / 1e9]);
                };
                assert.deepStrictEqual(dist(ev.outcomes.map(o => ({ status: o.status, probability: o.probability, service: o.targetGroup?.service }))),
                    dist(sim.outcomes.map(o => ({ status: o.status, probability: o.probability, service: o.backend?.service }))), where);
                compared++;
                if (sim.matched) matched++;
            }
        }), { numRuns: 150, seed: 1313 });
        assert.ok(compared >= 1500 && matched > 400, `${compared} calls compared, ${matched} matched a rule`);
    });

    it("realises the gRPC target group with protocolVersion GRPC and the gRPC health check", async () => {
        await runProgram(() => {
            const gateway = new Gateway("alb", { gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: PARAMS } }, listeners: [HTTPS] });
            const greeter = new Service("greeter", { port: 50051, endpoints: [{ address: "10.0.0.9" }] });
            new GRPCRoute("greeter", { parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: greeter }] }] });
        });
        const [tg] = resourcesOfType("aws:lb/targetGroup:TargetGroup");
        assert.strictEqual(tg.inputs.protocolVersion, "GRPC");
        assert.deepStrictEqual([(tg.inputs.healthCheck as { matcher: string }).matcher, (tg.inputs.healthCheck as { path: string }).path], [GRPC_HEALTH_CHECK.matcher, GRPC_HEALTH_CHECK.path]);
        assert.strictEqual(GRPC_HEALTH_CHECK.matcher, "12");

        const err = await failureOf(runProgram(() => {
            const gateway = new Gateway("alb", { gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: PARAMS } }, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
            new GRPCRoute("greeter", { parentRefs: [{ gateway }], rules: [{ backendRefs: [{ name: "greeter", port: 50051 }] }] });
        }));
        assert.match(err.message, /GRPCRoute default\/greeter rule 0: listener http is HTTP, and an ALB carries gRPC only on HTTPS listeners/);
    });
});

describe("aws: GRPCRoute refusals", () => {
    it("refuses a method match without a service (a regex path), saying why and what to write instead", async () => {
        const err = await failureOf(runProgram(() => {
            const gateway = new Gateway("alb", { gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: PARAMS } }, listeners: [HTTPS] });
            new GRPCRoute("any-service", { parentRefs: [{ gateway }], rules: [{ matches: [{ method: { method: "SayHello" } }], backendRefs: [{ name: "greeter", port: 50051 }] }] });
        }));
        assert.match(err.message, /GRPCRoute default\/any-service rule 0 uses GRPCRouteRegexMethodMatching, which the aws adapter does not support \(a method without a service, or a RegularExpression method match, is a regex path match, and ALB path conditions have no regular expressions; give the service with the method\); adapters that support it: nginx, kubernetes/);
    });
});
