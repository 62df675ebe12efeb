// The aws adapter's backend-policy values, property-tested through the model: for any active
// health check (interval, timeout, thresholds) and any session lifetime the policy validates, the
// target group carries exactly those values when they lie in ALB's ranges, and the model refuses
// the policy, naming the field, when they do not — never a value rounded or clamped.

import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from "../routing/compile";
import { validateInput } from "../routing/validate";
import { CompileInput } from "../routing/plan";
import { BackendTrafficPolicySpec } from "../routing/types";
import { buildAlbModel } from "../providers/aws/model";

const PARAMS = { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1" };

function inputWith(policy: Omit<BackendTrafficPolicySpec, "name" | "namespace" | "targetRefs">): CompileInput {
    const p: BackendTrafficPolicySpec = { name: "api-traffic", namespace: "default", targetRefs: [{ group: "", kind: "Service", name: "api" }], ...policy };
    return {
        gatewayClasses: [{ name: "alb", controllerName: "gatewaykit.dev/aws-alb" }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "alb", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
        routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: [{ backendRefs: [{ name: "api", port: 8080 }] }] }],
        services: [{ name: "api", namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: "10.0.0.1" }], backendTrafficPolicies: [p] }],
    };
}

const seconds = (max: number) => fc.oneof(fc.integer({ min: 1, max }).map(s => `${s}s`), fc.integer({ min: 1, max: max * 1000 }).map(ms => `${ms}ms`));

describe("aws: backend-policy values against ALB's ranges (property)", () => {
    it("an active health check is carried exactly inside ALB's ranges and refused by field outside them", () => {
        let carried = 0, refused = 0;
        fc.assert(fc.property(seconds(400), seconds(150), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), (interval, timeout, healthyThreshold, unhealthyThreshold) => {
            const input = inputWith({ healthCheck: { active: { path: "/ready", interval, timeout, healthyThreshold, unhealthyThreshold } } });
            if (validateInput(input).length > 0) return; // what the policy's own validation refuses never reaches the adapter
            const build = buildAlbModel(compile(input).gateways[0], PARAMS);
            const tg = build.model.targetGroups.find(t => t.service === "default/api")!;
            const iv = tg && build.problems.length === 0 ? tg.healthCheck! : undefined;
            const intervalS = parse(interval) / 1000, timeoutS = parse(timeout) / 1000;
            const fits = Number.isInteger(intervalS) && intervalS >= 5 && intervalS <= 300 && Number.isInteger(timeoutS) && timeoutS >= 2 && timeoutS <= 120 &&
                timeoutS < intervalS && healthyThreshold >= 2 && unhealthyThreshold >= 2;
            if (fits) {
                carried++;
                assert.deepEqual(iv, { path: "/ready", interval: intervalS, timeout: timeoutS, healthyThreshold, unhealthyThreshold });
            } else {
                refused++;
                assert.equal(iv, undefined);
                assert.ok(build.problems.length > 0 && build.problems.every(p => p.startsWith("BackendTrafficPolicy default/api-traffic (on Service default/api port 8080): healthCheck.active.")), build.problems.join("\n"));
            }
        }), { numRuns: 400 });
        assert.ok(carried > 10 && refused > 10, `both outcomes exercised (carried ${carried}, refused ${refused})`);
        console.log(`      carried ${carried}, refused ${refused}`);
    });

    it("a Permanent cookie's absoluteTimeout is the stickiness duration when ALB takes it, refused otherwise", () => {
        let carried = 0, refused = 0;
        fc.assert(fc.property(fc.oneof(seconds(700_000), fc.constantFrom("1h", "168h", "169h", "500ms")), absoluteTimeout => {
            const input = inputWith({ sessionPersistence: { absoluteTimeout, cookieConfig: { lifetimeType: "Permanent" } } });
            if (validateInput(input).length > 0) return;
            const build = buildAlbModel(compile(input).gateways[0], PARAMS);
            const s = parse(absoluteTimeout) / 1000;
            const tg = build.model.targetGroups.find(t => t.service === "default/api")!;
            if (Number.isInteger(s) && s >= 1 && s <= 604_800) {
                carried++;
                assert.deepEqual(build.problems, []);
                assert.deepEqual(tg.stickiness, { type: "lb_cookie", cookieDuration: s, enabled: true });
            } else {
                refused++;
                assert.equal(tg.stickiness, undefined);
                assert.match(build.problems.join("\n"), /sessionPersistence\.absoluteTimeout of \d+ ms cannot be an ALB stickiness duration/);
            }
        }), { numRuns: 200 });
        assert.ok(carried > 10 && refused > 10, `both outcomes exercised (carried ${carried}, refused ${refused})`);
        console.log(`      carried ${carried}, refused ${refused}`);
    });
});

function parse(d: string): number {
    const m = /^(\d+)(ms|s|h)$/.exec(d)!;
    return Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 3_600_000);
}
