// examples/upgrade-load-balancer under Pulumi mocks: moving the Gateway from class external-lb to
// new-external-lb (same vendor) leaves the team's route and services untouched and routes the
// same, while the gateway's data plane takes the new class's parameters.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ClassName, upgradeLoadBalancer } from "../examples/upgrade-load-balancer/program";
import { CONTROLLERS, VENDORS, Vendor } from "../examples/seed";
import { outputOf, routeRequest, runProgram, setupMocks } from "../testing";

setupMocks();

const VENDOR_TYPE: Record<Vendor, RegExp> = { nginx: /^pulumi-nodejs:dynamic\//, aws: /^aws:/, gcp: /^gcp:/, kubernetes: /^kubernetes:/ };

async function run(vendor: Vendor, className: ClassName) {
    let made!: ReturnType<typeof upgradeLoadBalancer>;
    const { resources } = await runProgram(() => { made = upgradeLoadBalancer({ controllerName: CONTROLLERS[vendor], className }); });
    const team = [made.route, made.services.groups, made.services.canary];
    const rendered = await made.gateway.rendered;
    assert.ok(rendered.known);
    return {
        resources,
        team: await outputOf(pulumi.all(team.map(c => pulumi.all([c.urn, c.spec as pulumi.Output<unknown>])))),
        teamRecords: resources.filter(r => r.type === "gatewaykit:index:HTTPRoute" || r.type === "gatewaykit:index:Service"),
        plan: rendered.plan,
        routing: await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/groups/3" }),
        status: await outputOf(made.route.status),
    };
}

describe("examples/upgrade-load-balancer (external-lb → new-external-lb, same vendor)", () => {
    for (const vendor of VENDORS) {
        it(`on ${vendor}: routes and services untouched, routing the same, the gateway on the new class`, async () => {
            const before = await run(vendor, "external-lb");
            const after = await run(vendor, "new-external-lb");
            assert.deepEqual(after.team, before.team);
            assert.deepEqual(after.teamRecords, before.teamRecords);
            assert.deepEqual(after.routing.outcomes, before.routing.outcomes);
            assert.deepEqual(after.routing.outcomes.map(o => o.probability), [0.9, 0.1]);
            assert.deepEqual(after.status, before.status);
            assert.deepEqual([before.plan.className, after.plan.className], ["external-lb", "new-external-lb"]);
            assert.deepEqual({ ...after.plan, className: "x", sources: undefined }, { ...before.plan, className: "x", sources: undefined });
            for (const s of [before, after]) {
                const types = s.resources.filter(r => r.custom).map(r => r.type);
                assert.ok(types.length > 0 && types.every(t => VENDOR_TYPE[vendor].test(t)), types.join(", "));
            }
        });
    }

    it("the data plane takes the new class's parameters (ALB idle timeout and algorithm; the in-cluster GatewayClass)", async () => {
        const input = (rs: { type: string; inputs: Record<string, unknown> }[], type: string) => rs.filter(r => r.type === type).map(r => r.inputs);
        const [awsBefore, awsAfter] = [await run("aws", "external-lb"), await run("aws", "new-external-lb")];
        assert.deepEqual([input(awsBefore.resources, "aws:lb/loadBalancer:LoadBalancer")[0].idleTimeout, input(awsAfter.resources, "aws:lb/loadBalancer:LoadBalancer")[0].idleTimeout], [undefined, 120]);
        assert.ok(input(awsAfter.resources, "aws:lb/targetGroup:TargetGroup").every(tg => tg.loadBalancingAlgorithmType === "least_outstanding_requests"));

        const k8s = await run("kubernetes", "new-external-lb");
        const objects = (kind: string) => k8s.resources.filter(r => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: string }).kind === kind)
            .map(r => r.inputs as { metadata: { name: string }; spec: Record<string, unknown> });
        assert.deepEqual(objects("GatewayClass").map(c => c.metadata.name), ["new-external-lb"]);
        assert.equal(objects("Gateway")[0].spec.gatewayClassName, "new-external-lb");
    });
});
