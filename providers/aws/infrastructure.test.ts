// The Gateway's spec.infrastructure and spec.addresses on an ALB (mocks): labels and annotations are
// tags on every resource the adapter creates; what a tag cannot hold, and any requested address, is refused.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { resolveOutput } from "../../components/registry";
import { Gateway, GatewayClass, GatewayReference, HTTPRoute, Service } from "../../components";
import { GatewayInfrastructure, GatewaySpecAddress } from "../../routing/types";
import { RecordedResource, failureOf, runProgram, setupMocks } from "../../testing";
import { withLoggedInfo } from "../../test/log-kit";

setupMocks();

class Made<T> extends pulumi.CustomResource {
    declare readonly value: pulumi.Output<T>;
    constructor(name: string, value: T) {
        super("test:index:Made", name, { value });
    }
}

const BASE = { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1", securityGroupIngressCidrs: ["10.0.0.0/8"], tags: { team: "edge" } };

function program(infrastructure?: GatewayInfrastructure, addresses?: GatewaySpecAddress[]) {
    return () => {
        const cls = new GatewayClass("alb", { controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: BASE } });
        const gateway = new Gateway("edge", {
            gatewayClass: cls, namespace: "infra", infrastructure, addresses,
            listeners: [{ name: "http", protocol: "HTTP", port: 80 }, { name: "http2", protocol: "HTTP", port: 8080 }],
        });
        const a = new Service("a", { namespace: "infra", port: 80, endpoints: [{ address: "10.0.0.10" }] });
        const b = new Service("b", { namespace: "infra", port: 80, endpoints: [{ address: "10.0.0.11" }] });
        new HTTPRoute("r", {
            namespace: "infra", parentRefs: [{ gateway }],
            rules: [
                { matches: [{ path: { type: "PathPrefix", value: "/a" } }], backendRefs: [{ service: a, weight: 90 }, { service: b, weight: 10 }] },
                { matches: [{ path: { type: "Exact", value: "/b" } }], backendRefs: [{ service: b }] },
            ],
        });
    };
}

const awsResources = (rs: RecordedResource[]) => rs.filter(r => r.type.startsWith("aws:") && r.type !== "aws:lb/targetGroupAttachment:TargetGroupAttachment");
const tagsOf = (r: RecordedResource) => r.inputs.tags as Record<string, string> | undefined;

describe("aws: Gateway spec.infrastructure and spec.addresses", () => {
    it("puts the labels and annotations as tags on the ALB, security group, listeners, target groups and listener rules", async () => {
        const { resources } = await runProgram(program({ labels: { "example.com/cost-center": "cc-42", env: "prod" }, annotations: { owner: "team edge@example.com" } }));
        const tagged = awsResources(resources);
        const kinds = new Set(tagged.map(r => r.type));
        for (const k of ["aws:lb/loadBalancer:LoadBalancer", "aws:ec2/securityGroup:SecurityGroup", "aws:lb/listener:Listener", "aws:lb/targetGroup:TargetGroup", "aws:lb/listenerRule:ListenerRule"]) {
            assert.ok(kinds.has(k), `no ${k} recorded`);
        }
        for (const r of tagged) {
            const tags = tagsOf(r);
            assert.ok(tags, `${r.type} ${r.name} has no tags`);
            assert.strictEqual(tags["example.com/cost-center"], "cc-42", `${r.type} ${r.name}`);
            assert.strictEqual(tags.env, "prod", `${r.type} ${r.name}`);
            assert.strictEqual(tags.owner, "team edge@example.com", `${r.type} ${r.name}`);
            assert.strictEqual(tags.team, "edge", `${r.type} ${r.name}: the class tags stay`);
            assert.strictEqual(tags["gatewaykit:gateway"], "infra/edge");
        }
    });

    it("adds no tags of its own when the Gateway has no infrastructure", async () => {
        const { resources } = await runProgram(program());
        const lb = resources.find(r => r.type === "aws:lb/loadBalancer:LoadBalancer")!;
        assert.deepStrictEqual(tagsOf(lb), { team: "edge", "gatewaykit:gateway": "infra/edge" });
    });

    it("refuses an annotation a tag cannot hold, naming the field, before any AWS resource exists", async () => {
        let recorded: RecordedResource[] = [];
        const err = await failureOf(runProgram(program({ annotations: { note: "a;b" } })).then(r => { recorded = r.resources; return r; }));
        assert.match(err.message, /spec\.infrastructure\.annotations\["note"\].*AWS tag value holds letters, digits, spaces/);
        assert.deepStrictEqual(awsResources(recorded), []);
        const long = await failureOf(runProgram(program({ annotations: { note: "x".repeat(300) } })));
        assert.match(long.message, /at most 256 characters \(this has 300\)/);
    });

    it("refuses a label that gives a class tag another value", async () => {
        const err = await failureOf(runProgram(program({ labels: { team: "payments" } })));
        assert.match(err.message, /spec\.infrastructure\.labels\["team"\].*parameters\.aws\.tags give tag "team" another value \("edge"\)/);
    });

    it("refuses a requested address: an ALB cannot take one", async () => {
        const err = await failureOf(runProgram(program(undefined, [{ type: "IPAddress", value: "203.0.113.7" }])));
        assert.match(err.message, /Gateway infra\/edge spec\.addresses\[0\] uses GatewayStaticAddresses, which the aws adapter does not support \(.*Elastic IP/);
        const empty = await failureOf(runProgram(program(undefined, [{ type: "IPAddress" }])));
        assert.match(empty.message, /spec\.addresses\[0\] uses GatewayAddressEmpty/);
    });

    it("tags a team's target groups and listener rules on the operator's ALB with the infrastructure its reference carries", async () => {
        const parameters = { aws: { ...BASE, namespaces: { infra: { slot: 0 }, "team-a": { slot: 2, rules: 10 } } } };
        const operator = await runProgram(() => {
            const gateway = new Gateway("edge", {
                gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters }, namespace: "infra",
                infrastructure: { labels: { env: "prod" } },
                listeners: [{ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "All" } } }],
            });
            return { reference: gateway.reference };
        });
        const reference = operator.outputs.reference as GatewayReference;
        assert.deepStrictEqual(reference.infrastructure, { labels: { env: "prod" } });
        const team = await runProgram(() => {
            const s = new Service("shop", { namespace: "team-a", port: 80, endpoints: [{ address: "10.1.0.1" }] });
            new HTTPRoute("shop", { namespace: "team-a", parentRefs: [{ gateway: reference }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/shop" } }], backendRefs: [{ service: s }] }] });
        });
        const mine = awsResources(team.resources);
        assert.deepStrictEqual([...new Set(mine.map(r => r.type))].sort(), ["aws:lb/listenerRule:ListenerRule", "aws:lb/targetGroup:TargetGroup"]);
        for (const r of mine) assert.strictEqual(tagsOf(r)?.env, "prod", `${r.type} ${r.name}`);
    });

    it("in a preview, an infrastructure label not yet known makes the Gateway wait, naming the field", async () => {
        setupMocks({ preview: true, unknownOutputs: true });
        try {
            const { messages } = await withLoggedInfo(async () => {
                let gateway!: Gateway;
                await runProgram(() => {
                    const cls = new GatewayClass("alb", { controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: BASE } });
                    gateway = new Gateway("edge", {
                        gatewayClass: cls, namespace: "infra", infrastructure: { labels: { env: new Made("env", "prod").value } } as unknown as GatewayInfrastructure,
                        listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
                    });
            });
            assert.strictEqual((await resolveOutput(gateway.plan)).known, false);
            });
            assert.ok(messages.some(m => /routing plan is computed once its inputs are known.*Gateway infra\/edge spec\.infrastructure\.labels\.env is not known in this preview/.test(m)), messages.join("\n"));
        } finally {
            setupMocks();
        }
    });
});
