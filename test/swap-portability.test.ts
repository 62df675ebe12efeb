// The portability check before a provider swap: what the routes use that a target class would
// reject, listed in preview (warnings and the Gateway's `portability` output) and by the plain
// function checkPortability(plan, controllerName), while the gateway keeps its current class.
import { strict as assert } from "assert";
import { checkPortability } from "../components/gateway";
import { CONTROLLERS, seedClassParameters } from "../examples/seed";
import { providerSwap } from "../examples/update-infrastructure-provider/program";
import { outputOf, recordedResources, runProgram, setupMocks } from "../testing";

/** Runs a program, returning what it logged through pulumi.log (console under mocks: no engine). */
async function withLogs<T>(run: () => Promise<T>): Promise<{ result: T; warnings: string[]; infos: string[] }> {
    const warnings: string[] = [];
    const infos: string[] = [];
    const { warn, log } = console;
    console.warn = (m: unknown) => { warnings.push(String(m)); };
    console.log = (m: unknown) => { infos.push(String(m)); };
    try {
        return { result: await run(), warnings, infos };
    } finally {
        console.warn = warn;
        console.log = log;
    }
}

const MIRROR_ON_AWS = "HTTPRoute mygroup/mygroup-shadow rule 0 (shadow) uses HTTPRouteRequestMirror, which the aws adapter does not support; " +
    "adapters that support it: nginx, gcp, kubernetes";
const REGEX_ON_AWS = "HTTPRoute mygroup/mygroup-shadow rule 1 (versioned) uses HTTPRouteRegexPathMatching, which the aws adapter does not support; " +
    "adapters that support it: nginx, kubernetes";

describe("portability check before a provider swap (Pulumi mocks, preview)", () => {
    before(() => setupMocks({ preview: true }));
    after(() => setupMocks());

    it("nginx → aws lists the RequestMirror and the regex path with route, rule, feature and supporting adapters; nginx → kubernetes lists nothing", async () => {
        let made!: ReturnType<typeof providerSwap>;
        const targets = [CONTROLLERS.aws, CONTROLLERS.kubernetes, CONTROLLERS.gcp];
        const { warnings, infos } = await withLogs(() => runProgram(() => {
            made = providerSwap({ controllerName: CONTROLLERS.nginx, withShadowRoute: true, portabilityTargets: targets });
        }));
        const report = await outputOf(made.gateway.portability);
        assert.deepEqual(Object.keys(report), targets);
        assert.deepEqual(report[CONTROLLERS.aws].map(f => [f.route, f.ruleIndex, f.ruleName, f.feature, f.supportedBy]), [
            ["mygroup/mygroup-shadow", 0, "shadow", "HTTPRouteRequestMirror", ["nginx", "gcp", "kubernetes"]],
            ["mygroup/mygroup-shadow", 1, "versioned", "HTTPRouteRegexPathMatching", ["nginx", "kubernetes"]],
        ]);
        assert.deepEqual(report[CONTROLLERS.aws].map(f => f.message), [MIRROR_ON_AWS, REGEX_ON_AWS]);
        assert.deepEqual(report[CONTROLLERS.kubernetes], []);
        assert.deepEqual(report[CONTROLLERS.gcp].map(f => [f.ruleName, f.feature]), [["versioned", "HTTPRouteRegexPathMatching"]]);
        // In preview: one warning per finding, naming the gateway and the target; a note for a clean target.
        assert.deepEqual(warnings.filter(w => w.includes("gatewaykit.dev/aws-alb")), [
            `warning: [runtime] Gateway mygroup/mygroup-external: portability to gatewaykit.dev/aws-alb (aws): ${MIRROR_ON_AWS}`,
            `warning: [runtime] Gateway mygroup/mygroup-external: portability to gatewaykit.dev/aws-alb (aws): ${REGEX_ON_AWS}`,
        ]);
        assert.equal(warnings.filter(w => w.includes("gatewaykit.dev/kubernetes")).length, 0);
        assert.ok(infos.includes("info: [runtime] Gateway mygroup/mygroup-external: portability to gatewaykit.dev/kubernetes (kubernetes): " +
            "nothing the routes use would be rejected"), infos.join("\n"));
        // The gateway itself stays on nginx.
        assert.deepEqual(recordedResources().filter(r => r.custom).map(r => r.type), ["pulumi-nodejs:dynamic/gatewaykit:NginxGateway"]);

        // The plain function gives the same findings from the plan.
        const rendered = await made.gateway.rendered;
        assert.ok(rendered.known);
        assert.deepEqual(checkPortability(rendered.plan, CONTROLLERS.aws), report[CONTROLLERS.aws]);
        assert.deepEqual(checkPortability(rendered.plan, CONTROLLERS.kubernetes, seedClassParameters(), rendered.input), []);
    });

    it("the swap itself to aws fails preview with the capability error and declares no ALB", async () => {
        await assert.rejects(
            runProgram(() => { providerSwap({ controllerName: CONTROLLERS.aws, withShadowRoute: true }); }),
            (err: Error) => {
                assert.equal(err.message, "Gateway mygroup/mygroup-external cannot be realised by the aws adapter (controllerName gatewaykit.dev/aws-alb), 2 problems:\n" +
                    `  - ${MIRROR_ON_AWS}\n  - ${REGEX_ON_AWS}`);
                return true;
            });
        assert.deepEqual(recordedResources().filter(r => r.custom), []);
    });

    it("with the class parameters, a capable target's preflight refusals are listed too (an aws section without a VPC)", async () => {
        let made!: ReturnType<typeof providerSwap>;
        await runProgram(() => { made = providerSwap({ controllerName: CONTROLLERS.kubernetes }); });
        const rendered = await made.gateway.rendered;
        assert.ok(rendered.known);
        const findings = checkPortability(rendered.plan, CONTROLLERS.aws, { ...seedClassParameters(), aws: { subnetIds: ["subnet-a", "subnet-b"] } }, rendered.input);
        assert.ok(findings.length > 0 && findings.every(f => f.feature === "preflight"));
        assert.match(findings.map(f => f.message).join("\n"), /^the aws adapter's preflight refuses: Gateway mygroup\/mygroup-external: GatewayClass parameters\.aws\.vpcId is required/m);
        assert.deepEqual(checkPortability(rendered.plan, CONTROLLERS.aws, seedClassParameters(), rendered.input), []);
    });

    it("refuses an unknown portability target where it is written", async () => {
        await assert.rejects(runProgram(() => { providerSwap({ portabilityTargets: ["gatewaykit.dev/aws"] }); }),
            /unknown GatewayClass controllerName "gatewaykit\.dev\/aws"; known controllerNames: .*gatewaykit\.dev\/aws-alb \(aws\)/);
    });
});
