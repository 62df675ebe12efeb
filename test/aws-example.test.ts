// examples/aws-alb under Pulumi mocks: the seed's canary realised as ALB resources, and the emitted
// listener rule routing as the seed says (evaluated as ALB would, with the port in the Host header).
import * as assert from "assert";
import { awsAlb } from "../examples/aws-alb/program";
import { evaluateAlb } from "../providers/aws/evaluate";
import { buildAlbModel } from "../providers/aws/model";
import { resourcesOfType, routeRequest, runProgram, setupMocks } from "../testing";

setupMocks();

describe("examples/aws-alb (the seed scenario on an ALB)", () => {
    it("declares one ALB, one listener, two target groups and one weighted rule, and routes 90/10", async () => {
        let made!: ReturnType<typeof awsAlb>;
        const { resources } = await runProgram(() => { made = awsAlb(); });
        const count = (type: string) => resources.filter(r => r.type === type).length;
        assert.deepStrictEqual([
            count("aws:lb/loadBalancer:LoadBalancer"), count("aws:lb/listener:Listener"), count("aws:lb/targetGroup:TargetGroup"),
            count("aws:lb/targetGroupAttachment:TargetGroupAttachment"), count("aws:lb/listenerRule:ListenerRule"), count("aws:ec2/securityGroup:SecurityGroup"),
        ], [1, 1, 2, 3, 1, 1]);
        const [sg] = resourcesOfType("aws:ec2/securityGroup:SecurityGroup");
        assert.ok(!JSON.stringify(sg.inputs.ingress).includes("0.0.0.0/0"), "ingress only from the listed CIDRs");

        const sim = await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/groups/42" });
        assert.deepStrictEqual(sim.outcomes.map(o => [o.backend?.service, o.probability]), [["mygroup/mygroup-groups", 0.9], ["mygroup/mygroup-groups-canary", 0.1]]);
        const rendered = await made.gateway.rendered;
        assert.ok(rendered.known);
        const { model } = buildAlbModel(rendered.plan, { vpcId: "vpc-1", subnetIds: ["a", "b"] });
        const alb = evaluateAlb(model, { port: 8080, host: "mygroup.io:8080", path: "/groups/42" });
        assert.deepStrictEqual(alb.outcomes.map(o => [o.targetGroup?.service, o.probability]), [["mygroup/mygroup-groups", 0.9], ["mygroup/mygroup-groups-canary", 0.1]]);
        assert.strictEqual(evaluateAlb(model, { port: 8080, host: "mygroup.io:8080", path: "/users" }).status, 404);
    });
});
