// examples/canary-rollout under Pulumi mocks: at each step (90/10 → 50/50 → 0/100) the route sends
// /groups as the step says, and on every vendor the step is an in-place update of the same
// data-plane resources (same types and names; only inputs change; at 0/100 an adapter may drop the
// stable's weight-0 backend resources).
import { strict as assert } from "assert";
import { ROLLOUT_STEPS, canaryRollout } from "../examples/canary-rollout/program";
import { CONTROLLERS, VENDORS } from "../examples/seed";
import { outputOf, routeRequest, runProgram, setupMocks } from "../testing";

setupMocks();

describe("examples/canary-rollout (90/10 → 50/50 → 0/100)", () => {
    it("routes each step's split, and the routing table and status follow", async () => {
        const seen: [string | undefined, number][][] = [];
        for (const canaryWeight of ROLLOUT_STEPS) {
            let made!: ReturnType<typeof canaryRollout>;
            await runProgram(() => { made = canaryRollout({ canaryWeight, controllerName: CONTROLLERS.kubernetes }); });
            const r = await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/groups/7" });
            seen.push(r.outcomes.map(o => [o.backend?.service, o.probability]));
            assert.ok(r.outcomes.every(o => o.status === 200));
            assert.match(await outputOf(made.routingTable), new RegExp(`mygroup-groups:8080 ${100 - canaryWeight}%, mygroup/mygroup-groups-canary:8080 ${canaryWeight}%`));
            const status = await outputOf(made.routeStatus);
            assert.deepEqual(status.parents[0].conditions.map(c => c.status), ["True", "True"]);
            assert.equal((await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/users" })).status, 404);
        }
        assert.deepEqual(seen, [
            [["mygroup/mygroup-groups", 0.9], ["mygroup/mygroup-groups-canary", 0.1]],
            [["mygroup/mygroup-groups", 0.5], ["mygroup/mygroup-groups-canary", 0.5]],
            [["mygroup/mygroup-groups-canary", 1]],
        ]);
    });

    for (const vendor of VENDORS) {
        it(`on ${vendor}: every step updates the same data-plane resources in place`, async () => {
            const steps: { key: string; inputs: string }[][] = [];
            for (const canaryWeight of ROLLOUT_STEPS) {
                const { resources } = await runProgram(() => { canaryRollout({ canaryWeight, controllerName: CONTROLLERS[vendor] }); });
                steps.push(resources.filter(r => r.custom).map(r => ({ key: `${r.type} ${r.name}`, inputs: JSON.stringify(r.inputs) })));
            }
            const keys = steps.map(s => s.map(r => r.key).sort());
            assert.ok(keys[0].length > 0);
            assert.deepEqual(keys[1], keys[0]);
            // At 0/100 nothing is created or renamed; an adapter may drop the stable's weight-0 backend
            // (gcp drops its NEG and backend service; rolling back re-creates them).
            assert.deepEqual(keys[2].filter(k => !keys[0].includes(k)), []);
            const dropped = keys[0].filter(k => !keys[2].includes(k));
            assert.ok(dropped.every(k => /mygroup-groups(:|-)8080/.test(k)), `only the stable backend may go: ${dropped.join(", ")}`);
            for (const i of [1, 2]) {
                const changed = steps[i].filter(r => steps[i - 1].find(p => p.key === r.key)!.inputs !== r.inputs).map(r => r.key);
                assert.ok(changed.length > 0, `step ${i}: the new weights did not reach the ${vendor} data plane`);
            }
        });
    }

    it("refuses a weight outside 0–100 naming the steps", () => {
        assert.throws(() => canaryRollout({ canaryWeight: 150 }), /canaryWeight must be an integer percent 0–100 \(got 150\); the steps are 10, 50, 100/);
    });
});
