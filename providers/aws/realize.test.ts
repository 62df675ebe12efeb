// The aws adapter's resource graph under Pulumi mocks: what a Gateway of class
// gatewaykit.dev/aws-alb declares, how it is named and parented, that nothing is opened to the
// world unasked, and that preflight refuses before any resource exists.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../../components";
import { realizeAlb } from "./realize";
import { compileGateway } from "../../routing/compile";
import { GatewayInput } from "../../routing/plan";
import { RecordedResource, resourcesOfType, runProgram, setupMocks, failureOf } from "../../testing";

setupMocks();

const BASE = { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1" };
const LB = "aws:lb/loadBalancer:LoadBalancer";
const LISTENER = "aws:lb/listener:Listener";
const RULE = "aws:lb/listenerRule:ListenerRule";
const TG = "aws:lb/targetGroup:TargetGroup";
const ATTACH = "aws:lb/targetGroupAttachment:TargetGroupAttachment";

function seed(aws: Record<string, unknown> = BASE, canaryWeight = 10) {
    const cls = new GatewayClass("external-lb", { controllerName: "gatewaykit.dev/aws-alb", parameters: { aws } });
    const gateway = new Gateway("mygroup-external", { gatewayClass: cls, namespace: "mygroup", listeners: [{ name: "http", protocol: "HTTP", port: 8080 }] });
    const groups = new Service("mygroup-groups", { namespace: "mygroup", port: 8080, endpoints: [{ address: "10.0.0.10" }, { address: "10.0.0.12" }] });
    const canary = new Service("mygroup-groups-canary", { namespace: "mygroup", port: 8080, endpoints: [{ address: "10.0.0.11" }] });
    new HTTPRoute("mygroup", {
        namespace: "mygroup", parentRefs: [{ gateway }], hostnames: ["mygroup.io"],
        rules: [{
            name: "groups",
            matches: [{ path: { type: "PathPrefix", value: "/groups" } }],
            backendRefs: [{ service: groups, weight: 100 - canaryWeight }, { service: canary, weight: canaryWeight }],
        }],
    });
    return { gateway };
}

const awsResources = (rs: RecordedResource[]) => rs.filter(r => r.type.startsWith("aws:"));

describe("aws: resources of an ALB gateway (mocks)", () => {
    it("realises the seed's canary: ALB, listener with a 404 default, two target groups, one weighted rule", async () => {
        const { resources, outputs } = await runProgram(() => ({ addresses: seed().gateway.addresses }));
        const [lb] = resourcesOfType(LB);
        assert.strictEqual(lb.inputs.loadBalancerType, "application");
        assert.strictEqual(lb.inputs.internal, false);
        assert.deepStrictEqual(lb.inputs.subnets, ["subnet-a", "subnet-b"]);
        assert.ok((lb.inputs.name as string).length <= 32);
        const [listener] = resourcesOfType(LISTENER);
        assert.strictEqual(listener.inputs.port, 8080);
        assert.deepStrictEqual(listener.inputs.defaultActions, [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not Found" } }]);
        const tgs = resourcesOfType(TG);
        assert.deepStrictEqual(tgs.map(t => t.name).sort(), ["mygroup-mygroup-external-mygroup-mygroup-groups-8080", "mygroup-mygroup-external-mygroup-mygroup-groups-canary-8080"]);
        for (const t of tgs) {
            assert.ok((t.inputs.name as string).length <= 32, t.inputs.name as string);
            assert.strictEqual(t.inputs.targetType, "ip");
            assert.strictEqual(t.inputs.vpcId, "vpc-1");
        }
        assert.deepStrictEqual(resourcesOfType(ATTACH).map(a => a.inputs.targetId).sort(), ["10.0.0.10", "10.0.0.11", "10.0.0.12"]);
        const [rule] = resourcesOfType(RULE);
        assert.strictEqual(rule.name, `mygroup-mygroup-external-8080-mygroup-mygroup-groups-m0-${rule.name.slice(-6)}`);
        assert.strictEqual(typeof rule.inputs.priority, "number");
        assert.deepStrictEqual(rule.inputs.conditions, [
            { hostHeader: { values: ["mygroup.io", "mygroup.io:8080"] } },
            { pathPattern: { values: ["/groups", "/groups/*"] } },
        ]);
        const forward = (rule.inputs.actions as { forward: { targetGroups: { weight: number }[] } }[])[0].forward;
        assert.deepStrictEqual(forward.targetGroups.map(t => t.weight), [90, 10]);
        assert.deepStrictEqual(outputs.addresses, [undefined]); // mocks have no dnsName
        // Nothing opened to the world: no security group unless asked for.
        assert.deepStrictEqual(resources.filter(r => r.type === "aws:ec2/securityGroup:SecurityGroup"), []);
        assert.deepStrictEqual(lb.inputs.securityGroups, []);
    });

    it("a weight change touches the one rule's inputs, not the target groups", async () => {
        const inputsOf = (rs: RecordedResource[]) => new Map(awsResources(rs).map(r => [r.name, JSON.stringify(r.inputs)]));
        const a = inputsOf((await runProgram(() => { seed(BASE, 10); })).resources);
        const b = inputsOf((await runProgram(() => { seed(BASE, 20); })).resources);
        assert.deepStrictEqual([...a.keys()].filter(k => a.get(k) !== b.get(k)), [[...a.keys()].find(k => k.includes("-groups-m0-"))]);
    });

    it("a canary step to 0/100 and back keeps the stable's target group and attachments; only the rule changes", async () => {
        const inputsOf = (rs: RecordedResource[]) => new Map(awsResources(rs).map(r => [`${r.type} ${r.name}`, JSON.stringify(r.inputs)]));
        const steps: Map<string, string>[] = [];
        const forwards: { weight: number }[][] = [];
        for (const w of [10, 50, 100, 10]) {
            steps.push(inputsOf((await runProgram(() => { seed(BASE, w); })).resources));
            forwards.push((resourcesOfType(RULE)[0].inputs.actions as { forward: { targetGroups: { weight: number }[] } }[])[0].forward.targetGroups);
        }
        for (let i = 1; i < steps.length; i++) {
            assert.deepStrictEqual([...steps[i].keys()].sort(), [...steps[0].keys()].sort(), `step ${i}: a resource was created or deleted`);
            const changed = [...steps[i].keys()].filter(k => steps[i].get(k) !== steps[i - 1].get(k));
            assert.deepStrictEqual(changed, [[...steps[i].keys()].find(k => k.startsWith(RULE))], `step ${i}`);
        }
        assert.strictEqual([...steps[2].keys()].filter(k => k.startsWith(ATTACH)).length, 3);
        // At 0/100 the stable group stays in the forward with weight 0 (mocks know no ARNs; the
        // model test in aws-evaluate pins which group each entry is).
        assert.deepStrictEqual(forwards.map(f => f.map(t => t.weight)), [[90, 10], [50, 50], [0, 100], [90, 10]]);
    });

    it("creates a security group only when asked, admitting the listener ports from the given CIDRs only", async () => {
        await runProgram(() => { seed({ ...BASE, securityGroupIngressCidrs: ["10.0.0.0/8"], securityGroupIds: ["sg-extra"] }); });
        const [sg] = resourcesOfType("aws:ec2/securityGroup:SecurityGroup");
        assert.deepStrictEqual(sg.inputs.ingress, [{ protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["10.0.0.0/8"] }]);
        const [lb] = resourcesOfType(LB);
        assert.strictEqual((lb.inputs.securityGroups as string[])[0], "sg-extra");
        assert.strictEqual((lb.inputs.securityGroups as string[]).length, 2);
    });

    it("passes the class parameters to the ALB and its target groups", async () => {
        await runProgram(() => {
            seed({
                ...BASE, scheme: "internal", ipAddressType: "dualstack", idleTimeout: 120, deletionProtection: true,
                accessLogs: { bucket: "logs", prefix: "alb" }, loadBalancingAlgorithm: "least_outstanding_requests", tags: { team: "edge" },
            });
        });
        const [lb] = resourcesOfType(LB);
        assert.deepStrictEqual([lb.inputs.internal, lb.inputs.ipAddressType, lb.inputs.idleTimeout, lb.inputs.enableDeletionProtection],
            [true, "dualstack", 120, true]);
        assert.deepStrictEqual(lb.inputs.accessLogs, { bucket: "logs", prefix: "alb", enabled: true });
        assert.strictEqual((lb.inputs.tags as Record<string, string>).team, "edge");
        assert.ok(resourcesOfType(TG).every(t => t.inputs.loadBalancingAlgorithmType === "least_outstanding_requests"));
    });

    it("terminates HTTPS with certificateRefs that are ACM ARNs; extra certificates are added for SNI", async () => {
        const arn1 = "arn:aws:acm:eu-west-1:123456789012:certificate/one", arn2 = "arn:aws:acm:eu-west-1:123456789012:certificate/two";
        await runProgram(() => {
            const gateway = new Gateway("tls", {
                gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: { ...BASE, certificateArns: { "shop-tls": arn2 } } } },
                listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: arn1 }, { name: "shop-tls" }] } }],
            });
            new Service("shop", { port: 80, endpoints: [{ address: "10.1.0.1" }] });
            new HTTPRoute("shop", { parentRefs: [{ gateway }], rules: [{ backendRefs: [{ name: "shop", port: 80 }] }] });
        });
        const [listener] = resourcesOfType(LISTENER);
        assert.deepStrictEqual([listener.inputs.protocol, listener.inputs.certificateArn, listener.inputs.sslPolicy], ["HTTPS", arn1, "ELBSecurityPolicy-TLS13-1-2-2021-06"]);
        assert.deepStrictEqual(resourcesOfType("aws:lb/listenerCertificate:ListenerCertificate").map(c => c.inputs.certificateArn), [arn2]);
        // "/" on any host: ALB requires a condition, so the catch-all is the path pattern "/*".
        assert.deepStrictEqual(resourcesOfType(RULE).map(r => r.inputs.conditions), [[{ pathPattern: { values: ["/*"] } }]]);
    });

    it("targets instances and Lambda functions named by the Service's realizations.aws, and reuses an existing target group", async () => {
        await runProgram(() => {
            const gateway = new Gateway("mixed", { gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: BASE } }, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
            new Service("vm", { ports: [{ port: 80, targetPort: 8080 }], realizations: { aws: { instanceIds: ["i-1", "i-2"] } } });
            new Service("fn", { port: 80, realizations: { aws: { lambdaFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:fn" } } });
            new Service("old", { port: 80, realizations: { aws: { targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/old/1" } } });
            new HTTPRoute("app", {
                parentRefs: [{ gateway }],
                rules: [
                    { matches: [{ path: { value: "/vm" } }], backendRefs: [{ name: "vm", port: 80 }] },
                    { matches: [{ path: { value: "/fn" } }], backendRefs: [{ name: "fn", port: 80 }] },
                    { matches: [{ path: { value: "/old" } }], backendRefs: [{ name: "old", port: 80 }] },
                ],
            });
        });
        const tgs = resourcesOfType(TG);
        assert.deepStrictEqual(tgs.map(t => [t.inputs.targetType, t.inputs.port]).sort(), [["instance", 8080], ["lambda", undefined]]);
        assert.deepStrictEqual(resourcesOfType(ATTACH).map(a => [a.inputs.targetId, a.inputs.port]).sort(),
            [["arn:aws:lambda:eu-west-1:123456789012:function:fn", undefined], ["i-1", 8080], ["i-2", 8080]]);
        const [permission] = resourcesOfType("aws:lambda/permission:Permission");
        assert.strictEqual(permission.inputs.principal, "elasticloadbalancing.amazonaws.com");
        const old = resourcesOfType(RULE).find(r => JSON.stringify(r.inputs.conditions).includes("/old"))!;
        assert.strictEqual((old.inputs.actions as { forward: { targetGroups: { arn: string }[] } }[])[0].forward.targetGroups[0].arn,
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/old/1");
    });

    it("parents every resource under the Gateway it realises", async () => {
        let urns: pulumi.Output<string>[] = [];
        const { outputs } = await runProgram(() => {
            const parent = new pulumi.ComponentResource("gatewaykit:index:Gateway", "gw");
            const input: GatewayInput = {
                gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb" },
                gateway: { name: "gw", gatewayClassName: "alb", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
                services: [{ name: "s", ports: [{ port: 80 }], endpoints: [{ address: "10.0.0.1" }] }],
                routes: [{ name: "r", parentRefs: [{ name: "gw" }], rules: [{ matches: [{ path: { value: "/x" } }], backendRefs: [{ name: "s", port: 80 }] }] }],
                namespaces: [],
            };
            const plan = compileGateway(input);
            const { resources } = realizeAlb(plan.gateways[0], { parent, gatewayName: "gw", input, parameters: { ...BASE, securityGroupIngressCidrs: ["10.0.0.0/8"] } });
            urns = [resources.loadBalancer, resources.securityGroup!, ...resources.listeners.values(), ...resources.targetGroups.values(), ...resources.rules.values()].map(r => r.urn);
            return { urns: pulumi.all(urns) };
        });
        assert.strictEqual(outputs.urns.length, 5);
        for (const urn of outputs.urns) assert.match(urn, /::gatewaykit:index:Gateway\$aws:/, urn);
    });

    it("shows plain-number priorities in a preview", async () => {
        setupMocks({ preview: true });
        try {
            await runProgram(() => { seed(); });
            const rules = resourcesOfType(RULE);
            assert.strictEqual(rules.length, 1);
            assert.ok(Number.isInteger(rules[0].inputs.priority), JSON.stringify(rules[0].inputs.priority));
        } finally {
            setupMocks();
        }
    });
});

describe("aws: preflight refuses before any resource exists", () => {
    async function refusal(program: () => void): Promise<string> {
        const err = await failureOf(runProgram(program));
        assert.deepStrictEqual(awsResources(resourcesOfType(LB)), [], "no ALB was declared");
        assert.deepStrictEqual(resourcesOfType(RULE), []);
        return err.message;
    }

    function gatewayWith(aws: Record<string, unknown>, rules: ConstructorParameters<typeof HTTPRoute>[1]["rules"], name = "app") {
        const gateway = new Gateway("edge", { namespace: "infra", gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws } },
            listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] });
        new Service("s", { namespace: "team-a", port: 80, endpoints: [{ address: "10.0.0.1" }] });
        new HTTPRoute(name, { namespace: "team-a", parentRefs: [{ gateway }], rules });
    }

    it("names the route that pushes past the rules quota", async () => {
        const message = await refusal(() => gatewayWith({ ...BASE, rulesQuota: 2 }, ["a", "b", "c"].map(p => ({ name: `r-${p}`, matches: [{ path: { value: `/${p}` } }], backendRefs: [{ name: "s", port: 80 }] }))));
        assert.match(message, /Gateway infra\/edge needs 3 ALB listener rules, over the rules quota of 2 \(parameters\.aws\.rulesQuota\); HTTPRoute team-a\/app rule \d \(r-\w\) is the first past it/);
    });

    it("refuses an Exact path with a wildcard character, a header match on Host, and more than 5 condition values", async () => {
        const message = await refusal(() => gatewayWith(BASE, [
            { name: "star", matches: [{ path: { type: "Exact", value: "/files/*" } }], backendRefs: [{ name: "s", port: 80 }] },
            { name: "host", matches: [{ headers: [{ name: "Host", value: "x" }] }], backendRefs: [{ name: "s", port: 80 }] },
            { name: "many", matches: [{ method: "GET", headers: ["a", "b", "c", "d", "e"].map(n => ({ name: `x-${n}`, value: "1" })) }], backendRefs: [{ name: "s", port: 80 }] },
        ]));
        assert.match(message, /HTTPRoute team-a\/app rule 0 \(star\): path "\/files\/\*" contains "\*" or "\?"/);
        assert.match(message, /HTTPRoute team-a\/app rule 1 \(host\): a header match on Host cannot be an ALB http-header condition/);
        assert.match(message, /HTTPRoute team-a\/app rule 2 \(many\): match 0 needs 6 ALB condition values, over ALB's 5 per rule/);
    });

    it("refuses missing subnets and vpcId, naming the parameter", async () => {
        const message = await refusal(() => gatewayWith({}, [{ backendRefs: [{ name: "s", port: 80 }] }]));
        assert.match(message, /GatewayClass parameters\.aws\.subnetIds: an Application Load Balancer needs subnets in at least two Availability Zones/);
        assert.match(message, /GatewayClass parameters\.aws\.vpcId is required for the target groups of team-a\/s/);
    });

    it("refuses a prefix-replacing redirect, which ALB cannot express", async () => {
        const message = await refusal(() => gatewayWith(BASE, [{ matches: [{ path: { value: "/old" } }],
            filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" } } }] }]));
        assert.match(message, /HTTPRoute team-a\/app rule 0: an ALB redirect cannot replace a path prefix \(ReplacePrefixMatch\)/);
    });
});
