// examples/canary-rollout under Pulumi mocks: at each step (90/10 → 50/50 → 0/100, then back to
// 90/10) the route sends /groups as the step says, and on every vendor the step is an in-place
// update of the one object that holds the weights (ALB listener rule, GCP URL map, HTTPRoute,
// nginx gateway): no data-plane resource is created, replaced or deleted — not even the stable's
// weight-0 backend at 0/100 — so rolling back is as cheap as rolling forward.
import { strict as assert } from "assert";
import { ROLLOUT_STEPS, canaryRollout } from "../examples/canary-rollout/program";
import { CONTROLLERS, VENDORS, Vendor } from "../examples/seed";
import { RecordedResource, outputOf, routeRequest, runProgram, setupMocks } from "../testing";

setupMocks();

/** The rollout and its rollback: 90/10 → 50/50 → 0/100 → 90/10. */
const STEPS = [...ROLLOUT_STEPS, ROLLOUT_STEPS[0]];

/**
 * Per vendor, the one resource type a weight step may update, the inputs of it whose change forces
 * a replacement (the provider's forceNew fields; nginx: a new dir or binary is a new instance), and
 * which of those the mocks know. (The ALB rule's listenerArn is the Listener's output, unknown
 * under mocks; the Listener itself is checked to stay unchanged, so its ARN does too.)
 */
const IN_PLACE: Record<Vendor, { type: string; replaceOn: string[]; known: string[] }> = {
    aws: { type: "aws:lb/listenerRule:ListenerRule", replaceOn: ["listenerArn", "region"], known: [] },
    gcp: { type: "gcp:compute/uRLMap:URLMap", replaceOn: ["name", "project"], known: ["name", "project"] },
    kubernetes: { type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", replaceOn: ["apiVersion", "kind", "metadata"], known: ["metadata"] },
    nginx: { type: "pulumi-nodejs:dynamic/gatewaykit:NginxGateway", replaceOn: ["dir", "nginxPath"], known: ["dir"] },
};

describe("examples/canary-rollout (90/10 → 50/50 → 0/100 → 90/10)", () => {
    it("routes each step's split, and the routing table and status follow", async () => {
        const seen: [string | undefined, number][][] = [];
        for (const canaryWeight of STEPS) {
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
            [["mygroup/mygroup-groups", 0.9], ["mygroup/mygroup-groups-canary", 0.1]],
        ]);
    });

    for (const vendor of VENDORS) {
        it(`on ${vendor}: every step, 0/100 and the rollback included, updates the weights in place and nothing else`, async () => {
            const steps: RecordedResource[][] = [];
            for (const canaryWeight of STEPS) {
                steps.push((await runProgram(() => { canaryRollout({ canaryWeight, controllerName: CONTROLLERS[vendor] }); })).resources.filter(r => r.custom));
            }
            const key = (r: RecordedResource) => `${r.type} ${r.name}`;
            assert.ok(steps[0].length > 0);
            const { type, replaceOn, known } = IN_PLACE[vendor];
            for (let i = 1; i < steps.length; i++) {
                const step = `${vendor}, step ${i} (${100 - STEPS[i - 1]}/${STEPS[i - 1]} → ${100 - STEPS[i]}/${STEPS[i]})`;
                const before = new Map(steps[i - 1].map(r => [key(r), r])), after = new Map(steps[i].map(r => [key(r), r]));
                assert.deepEqual([...after.keys()].filter(k => !before.has(k)), [], `${step}: created`);
                assert.deepEqual([...before.keys()].filter(k => !after.has(k)), [], `${step}: deleted`);
                const changed = [...after.values()].filter(r => JSON.stringify(r.inputs) !== JSON.stringify(before.get(key(r))!.inputs));
                assert.deepEqual(changed.map(r => r.type), [type], `${step}: changed ${changed.map(key).join(", ")}`);
                const [now] = changed, was = before.get(key(now))!;
                for (const f of known) assert.notEqual(now.inputs[f], undefined, `${step}: ${type} has no input ${f}; update IN_PLACE`);
                for (const f of replaceOn) assert.deepEqual(now.inputs[f], was.inputs[f], `${step}: ${type} input ${f} changed, which replaces it`);
            }
            // A full round trip lands on the very inputs it started from.
            assert.deepEqual(steps[steps.length - 1].map(r => [key(r), r.inputs]), steps[0].map(r => [key(r), r.inputs]));
        });
    }

    it("refuses a weight outside 0–100 naming the steps", () => {
        assert.throws(() => canaryRollout({ canaryWeight: 150 }), /canaryWeight must be an integer percent 0–100 \(got 150\); the steps are 10, 50, 100/);
    });
});
