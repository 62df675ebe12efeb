// examples/update-infrastructure-provider as its index.ts runs it: the same routes on each vendor,
// with the other vendors as portability targets, previewed under Pulumi mocks. The findings are
// what a user sees before swapping; the 4 × 4 matrix itself is test/swap-matrix.test.ts.
import { strict as assert } from "assert";
import { CONTROLLERS, VENDORS } from "../examples/seed";
import { providerSwap } from "../examples/update-infrastructure-provider/program";
import { outputOf, runProgram, setupMocks } from "../testing";

describe("examples/update-infrastructure-provider (portability findings in preview)", () => {
    before(() => setupMocks({ preview: true }));
    after(() => setupMocks());

    it("the portable routes: every vendor previews with no finding against any other", async () => {
        for (const vendor of VENDORS) {
            const targets = Object.values(CONTROLLERS).filter(c => c !== CONTROLLERS[vendor]);
            let made!: ReturnType<typeof providerSwap>;
            const log = console.log;
            console.log = () => undefined; // the "nothing would be rejected" notes
            try {
                await runProgram(() => { made = providerSwap({ controllerName: CONTROLLERS[vendor], portabilityTargets: targets }); });
            } finally {
                console.log = log;
            }
            const report = await outputOf(made.gateway.portability);
            assert.deepEqual(report, Object.fromEntries(targets.map(t => [t, []])), vendor);
        }
    });

    it("with the shadow route on nginx: aws would reject the mirror and the regex, gcp the regex, kubernetes nothing", async () => {
        const targets = [CONTROLLERS.aws, CONTROLLERS.gcp, CONTROLLERS.kubernetes];
        let made!: ReturnType<typeof providerSwap>;
        const { warn, log } = console;
        const warnings: string[] = [];
        console.warn = (m: unknown) => { warnings.push(String(m)); };
        console.log = () => undefined;
        try {
            await runProgram(() => { made = providerSwap({ controllerName: CONTROLLERS.nginx, withShadowRoute: true, portabilityTargets: targets }); });
        } finally {
            console.warn = warn;
            console.log = log;
        }
        const report = await outputOf(made.gateway.portability);
        const summary = Object.fromEntries(Object.entries(report).map(([t, fs]) => [t, fs.map(f => `${f.route} ${f.ruleName} ${f.feature}`)]));
        assert.deepEqual(summary, {
            [CONTROLLERS.aws]: ["mygroup/mygroup-shadow shadow HTTPRouteRequestMirror", "mygroup/mygroup-shadow versioned HTTPRouteRegexPathMatching"],
            [CONTROLLERS.gcp]: ["mygroup/mygroup-shadow versioned HTTPRouteRegexPathMatching"],
            [CONTROLLERS.kubernetes]: [],
        });
        assert.equal(warnings.length, 3);
        assert.ok(warnings.every(w => w.startsWith("warning: [runtime] Gateway mygroup/mygroup-external: portability to gatewaykit.dev/")), warnings.join("\n"));
    });
});
