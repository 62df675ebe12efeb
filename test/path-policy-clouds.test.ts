// Where the cloud adapters differ from the path policy (routing/paths.ts), pinned on their
// evaluators: neither ALB nor the GCP URL map is documented to normalise the path, and both
// evaluators model matching and forwarding the path as sent. simulate (and nginx) route "/x/../a"
// by the "/a" rule and forward "/a"; the cloud models route it by "/x" and forward "/x/../a". These
// tests keep the README's per-adapter statement true of the models; they cannot prove the clouds.
import { strict as assert } from "assert";
import { evaluateAlb } from "../providers/aws/evaluate";
import { buildAlbModel } from "../providers/aws/model";
import { buildDataPlane } from "../providers/gcp/model/dataplane";
import { evaluate } from "../providers/gcp/evaluate";
import { compile } from "../routing/compile";
import { HTTPRouteRule } from "../routing/types";
import { simulate } from "../routing/simulate";
import { CLASS, PARAMS, SERVICES } from "./aws-generators";

const RULES: HTTPRouteRule[] = [
    { matches: [{ path: { type: "PathPrefix", value: "/x" } }], backendRefs: [{ name: "s1", port: 8080 }] },
    { matches: [{ path: { type: "PathPrefix", value: "/a" } }], backendRefs: [{ name: "s2", port: 8080 }] },
];

function planFor(className: string, controllerName: string, services = SERVICES) {
    return compile({
        gatewayClasses: [{ name: className, controllerName }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: className, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
        services,
        routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: RULES }],
    });
}

describe("path policy: the cloud adapters' declared deviation, pinned", () => {
    it("simulate routes /x/../a and /x/%2e%2e/a by the /a rule, forwarding /a; //a/b as /a/b; refuses /x/..%2Fa", () => {
        const plan = planFor(CLASS.name, CLASS.controllerName);
        for (const path of ["/x/../a", "/x/%2e%2e/a"]) {
            const r = simulate(plan, { host: "h", path });
            assert.deepEqual([r.status, r.outcomes[0].backend?.service, r.outcomes[0].request.path], [200, "default/s2", "/a"], path);
        }
        assert.equal(simulate(plan, { host: "h", path: "//a/b" }).outcomes[0].request.path, "/a/b");
        assert.equal(simulate(plan, { host: "h", path: "/x/..%2Fa" }).status, 400);
    });

    it("ALB (as modelled): the path as sent picks the rule and reaches the target", () => {
        const build = buildAlbModel(planFor(CLASS.name, CLASS.controllerName).gateways[0], PARAMS);
        assert.deepEqual(build.problems, []);
        for (const path of ["/x/../a", "/x/%2e%2e/a", "/x/..%2Fa"]) {
            const ev = evaluateAlb(build.model, { port: 80, host: "h", path });
            assert.deepEqual([ev.status, ev.outcomes[0].targetGroup?.service, ev.outcomes[0].request.path], [200, "default/s1", path], path);
        }
        assert.equal(evaluateAlb(build.model, { port: 80, host: "h", path: "//a/b" }).status, 404, "//a/b is no /a path to a raw matcher");
    });

    it("GCP URL map (as modelled): the path as sent picks the route rule and reaches the backend", () => {
        const services = SERVICES.map(s => ({ ...s, realizations: { gcp: { zone: "europe-west1-b", instance: "vm-1" } } }));
        const plan = planFor("gcp", "gatewaykit.dev/gcp-alb", services);
        const dp = buildDataPlane(plan.gateways[0], { project: "proj", zone: "europe-west1-b", region: "europe-west1" }, { scope: "test" });
        const backendOf = (path: string) => {
            const r = evaluate(dp.frontends, { port: 80, host: "h", path });
            return [r.status, r.outcomes[0].request.path, r.priority];
        };
        const viaX = backendOf("/x/y");
        const viaA = backendOf("/a/y");
        assert.notDeepEqual(viaX[2], viaA[2], "the /x and /a rules are distinct route rules");
        for (const path of ["/x/../a", "/x/%2e%2e/a", "/x/..%2Fa"]) {
            assert.deepEqual(backendOf(path), [200, path, viaX[2]], path);
        }
    });
});
