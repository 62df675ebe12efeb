// A preview whose payload values are unknown (addresses, ARNs, subnets, certificates, project ids of
// resources not yet created) registers the same resources as the update, for every adapter, and the
// routing table is known; only an unknown routing-relevant value makes a gateway wait, and then its
// message names the value (resource and field). Pulumi mocks: a normal run (every output known) is
// compared with a preview in which every resource output is unknown.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, GatewayReference, HTTPRoute, Service } from "../components";
import { payloadTransformation } from "../components/payload";
import { resolveOutput } from "../components/registry";
import { payloadToken } from "../providers/payload-token";
import { RecordedResource, runProgram, setupMocks } from "../testing";

/** A resource of this test whose `value` output is known in a normal run and unknown in the all-unknown preview. */
class Made<T> extends pulumi.CustomResource {
    declare readonly value: pulumi.Output<T>;
    constructor(name: string, value: T) {
        super("test:index:Made", name, { value });
    }
}
const made = <T>(name: string, value: T) => new Made(name, value).value;

type Program = () => { gateway: Gateway };

function nginxProgram(): { gateway: Gateway } {
    const gateway = new Gateway("edge", {
        gatewayClass: new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx" }),
        namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port: 18080 }],
    });
    // Like an EchoBackend's host and bound port: only known once the backend runs.
    const shop = new Service("shop", { namespace: "infra", port: 8080, endpoints: [{ address: made("shop-host", "127.0.0.1"), port: made("shop-port", 41234) }] });
    new HTTPRoute("shop", { namespace: "infra", parentRefs: [{ gateway }], hostnames: ["shop.example"], rules: [{ backendRefs: [{ service: shop }] }] });
    return { gateway };
}

function awsProgram(): { gateway: Gateway } {
    const gateway = new Gateway("edge", {
        gatewayClass: new GatewayClass("alb", {
            controllerName: "gatewaykit.dev/aws-alb",
            parameters: {
                aws: {
                    // The case: VPC, subnets and certificate created in the same program.
                    vpcId: made("vpc", "vpc-1"),
                    subnetIds: [made("subnet-a", "subnet-a"), made("subnet-b", "subnet-b")],
                    certificateArns: {
                        "shop-tls": made("cert", "arn:aws:acm:eu-west-1:1:certificate/abc"),
                        "api-tls": made("cert-sni", "arn:aws:acm:eu-west-1:1:certificate/def"),
                    },
                    tags: { team: made("tag", "shop") },
                } as unknown as Record<string, string>,
            },
        }),
        namespace: "infra",
        listeners: [
            { name: "http", protocol: "HTTP", port: 80 },
            { name: "https", protocol: "HTTPS", port: 443, tls: { mode: "Terminate", certificateRefs: [{ name: "shop-tls" }, { name: "api-tls" }] } },
        ],
    });
    const shop = new Service("shop", { namespace: "infra", port: 8080, endpoints: [{ address: "10.0.0.5" }, { address: "10.0.0.6" }] });
    const fn = new Service("thumbs", { namespace: "infra", port: 80, realizations: { aws: { lambdaFunctionArn: made("fn", "arn:aws:lambda:eu-west-1:1:function:thumbs") } } });
    const legacy = new Service("legacy", { namespace: "infra", port: 80, realizations: { aws: { targetGroupArn: made("tg", "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/legacy/1") } } });
    new HTTPRoute("shop", {
        namespace: "infra", parentRefs: [{ gateway }], hostnames: ["shop.example"],
        rules: [
            { name: "thumbs", matches: [{ path: { type: "PathPrefix", value: "/thumbs" } }], backendRefs: [{ service: fn }] },
            { name: "legacy", matches: [{ path: { type: "PathPrefix", value: "/old" } }], backendRefs: [{ service: legacy }] },
            { name: "shop", backendRefs: [{ service: shop, weight: 90 }, { service: legacy, weight: 10 }] },
        ],
    });
    return { gateway };
}

function gcpProgram(): { gateway: Gateway } {
    const gateway = new Gateway("edge", {
        gatewayClass: new GatewayClass("glb", {
            controllerName: "gatewaykit.dev/gcp-alb",
            parameters: { gcp: { project: made("project", "my-project"), region: "europe-west1" } as unknown as Record<string, string> },
        }),
        namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
    });
    // A VM's VPC address and a Cloud Run service, both created in the same program.
    const vm = new Service("vm", {
        namespace: "infra", port: 8080, endpoints: [{ address: made("vm-ip", "10.0.0.7") }],
        realizations: { gcp: { zone: "europe-west1-b", instance: made("vm-name", "vm-1") } },
    });
    const run = new Service("run", { namespace: "infra", port: 80, realizations: { gcp: { cloudRun: made("run", "thumbs") } } });
    new HTTPRoute("shop", {
        namespace: "infra", parentRefs: [{ gateway }], hostnames: ["shop.example"],
        rules: [
            { name: "run", matches: [{ path: { type: "PathPrefix", value: "/run" } }], backendRefs: [{ service: run }] },
            { name: "vm", backendRefs: [{ service: vm }] },
        ],
    });
    return { gateway };
}

function kubernetesProgram(): { gateway: Gateway } {
    const gateway = new Gateway("edge", {
        gatewayClass: new GatewayClass("k8s", { controllerName: "gatewaykit.dev/kubernetes" }),
        namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
    });
    const pods = new Service("pods", { namespace: "infra", port: 8080, endpoints: [{ address: made("pod-ip", "10.1.0.4") }] });
    const existing = new Service("existing", { namespace: "infra", port: 80, realizations: { kubernetes: { serviceName: made("svc", "legacy") } } });
    new HTTPRoute("shop", {
        namespace: "infra", parentRefs: [{ gateway }], hostnames: ["shop.example"],
        rules: [
            { name: "old", matches: [{ path: { type: "PathPrefix", value: "/old" } }], backendRefs: [{ service: existing }] },
            { name: "pods", backendRefs: [{ service: pods }] },
        ],
    });
    return { gateway };
}

/** An application team's stack: its route on another stack's gateway (a GatewayReference), realised here. */
function kubernetesTeamProgram(): { route: HTTPRoute } {
    const reference: GatewayReference = {
        name: "edge", namespace: "infra", className: "k8s", controllerName: "gatewaykit.dev/kubernetes",
        listeners: [{ name: "http", protocol: "HTTP", port: 80 }], namespaceLabels: {},
    };
    const pods = new Service("pods", { namespace: "infra", port: 8080, endpoints: [{ address: made("pod-ip", "10.1.0.4") }] });
    const route = new HTTPRoute("shop", { namespace: "infra", parentRefs: [{ gateway: reference }], hostnames: ["shop.example"], rules: [{ backendRefs: [{ service: pods }] }] });
    return { route };
}

const PROGRAMS: [string, Program][] = [["nginx", nginxProgram], ["aws", awsProgram], ["gcp", gcpProgram], ["kubernetes", kubernetesProgram]];

/** The custom resources a run declared (types and names), without the test's own Made resources. */
const declaredResources = (rs: RecordedResource[]) => rs.filter(r => r.custom && r.type !== "test:index:Made").map(r => `${r.type} ${r.name}`).sort();

async function run(program: Program, mode: "update" | "unknown preview") {
    setupMocks(mode === "update" ? {} : { preview: true, unknownOutputs: true });
    let gateway: Gateway | undefined;
    const { resources } = await runProgram(() => { gateway = program().gateway; });
    const table = await resolveOutput(gateway!.routingTable);
    return { resources, table };
}

describe("preview with unknown payload values (mocks: every resource output unknown)", () => {
    after(() => setupMocks());

    for (const [adapter, program] of PROGRAMS) {
        it(`${adapter}: registers the same resources (types and names) as the update, and the routing table is known`, async () => {
            const update = await run(program, "update");
            const preview = await run(program, "unknown preview");
            const expected = declaredResources(update.resources);
            assert.ok(expected.length >= (adapter === "nginx" ? 1 : 4), `the ${adapter} gateway declares its data plane (${expected.join(", ")})`);
            assert.deepStrictEqual(declaredResources(preview.resources), expected);
            assert.ok(preview.resources.some(r => r.type === "test:index:Made"), "the program's own resources are there too");
            assert.strictEqual(preview.table.known, true, "the routing table is known in the preview");
            assert.strictEqual(preview.table.value, update.table.value);
            // The payload reached the resources as unknown values, never as the token that stood in for it.
            assert.ok(!JSON.stringify(preview.resources.map(r => r.inputs)).includes("gk-unknown-"), "no payload token in any resource input");
        });
    }

    it("kubernetes, a team's route on another stack's gateway: the same objects as the update, and the route's table is known", async () => {
        const runTeam = async (mode: "update" | "unknown preview") => {
            setupMocks(mode === "update" ? {} : { preview: true, unknownOutputs: true });
            let route: HTTPRoute | undefined;
            const { resources } = await runProgram(() => { route = kubernetesTeamProgram().route; });
            return { resources, table: await resolveOutput(route!.routingTable) };
        };
        const update = await runTeam("update");
        const preview = await runTeam("unknown preview");
        assert.ok(declaredResources(update.resources).length >= 3, declaredResources(update.resources).join(", "));
        assert.deepStrictEqual(declaredResources(preview.resources), declaredResources(update.resources));
        assert.strictEqual(preview.table.known, true);
        assert.strictEqual(preview.table.value, update.table.value);
        assert.ok(!JSON.stringify(preview.resources.map(r => r.inputs)).includes("gk-unknown-"), "no payload token in any resource input");
    });

    it("aws: the subnets, VPC and certificate are unknown arguments of the ALB, target groups and HTTPS listener", async () => {
        const { resources } = await run(awsProgram, "unknown preview");
        const lb = resources.find(r => r.type === "aws:lb/loadBalancer:LoadBalancer")!;
        const subnets = lb.inputs.subnets as unknown[];
        assert.strictEqual(subnets.length, 2);
        assert.ok(subnets.every(s => pulumi.isUnknown(s)), JSON.stringify(subnets));
        const https = resources.find(r => r.type === "aws:lb/listener:Listener" && r.inputs.port === 443)!;
        assert.ok(pulumi.isUnknown(https.inputs.certificateArn));
        const sni = resources.filter(r => r.type === "aws:lb/listenerCertificate:ListenerCertificate");
        assert.deepStrictEqual(sni.map(r => r.name), [`${https.name}-sni-infra-api-tls`], "the SNI certificate is named by its certificateRef");
        assert.ok(pulumi.isUnknown(sni[0].inputs.certificateArn));
        for (const tg of resources.filter(r => r.type === "aws:lb/targetGroup:TargetGroup" && r.inputs.targetType === "ip")) {
            assert.ok(pulumi.isUnknown(tg.inputs.vpcId), `${tg.name}: vpcId`);
            assert.ok(pulumi.isUnknown(tg.inputs.name), `${tg.name}: its AWS name hashes the VPC id`);
        }
        assert.strictEqual(https.inputs.protocol, "HTTPS");
        const rules = resources.filter(r => r.type === "aws:lb/listenerRule:ListenerRule");
        assert.ok(rules.every(r => Array.isArray(r.inputs.conditions)), "rule conditions (the routing) are known");
    });

    it("the payload transformation: token-holding arguments become unknown, and resources depend on where their inputs came from", async () => {
        setupMocks();
        const source = new Made("source", "x");
        const other = new Made("other", "y");
        const token = payloadToken();
        const t = payloadTransformation(() => [source]);
        const out = t({
            type: "t:index:R", name: "r", resource: other, opts: { dependsOn: other },
            props: { plan: JSON.stringify({ address: token }), port: 8080, nested: [{ id: `arn:${token}` }, "kept"] },
        })!;
        assert.ok(pulumi.Output.isInstance(out.props.plan));
        assert.strictEqual(await resolveOutput(out.props.plan as pulumi.Output<string>).then(r => r.known), false);
        assert.strictEqual(out.props.port, 8080);
        assert.ok(pulumi.Output.isInstance((out.props.nested as unknown[])[0] && ((out.props.nested as { id: unknown }[])[0].id)));
        assert.strictEqual((out.props.nested as unknown[])[1], "kept");
        assert.deepStrictEqual(out.opts.dependsOn, [other, source]);
        // Nothing to do without tokens or dependencies.
        assert.strictEqual(payloadTransformation(() => [])({ type: "t", name: "n", resource: other, opts: {}, props: { a: "b" } }), undefined);
    });

    it("a gateway's resources depend on the resources behind the Services its routes use, not on every declared Service", async () => {
        setupMocks();
        let gateway!: Gateway;
        let used!: Made<string>, unused!: Made<string>;
        await runProgram(() => {
            gateway = new Gateway("edge", {
                gatewayClass: new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx" }),
                namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port: 18080 }],
            });
            used = new Made("used-host", "127.0.0.1");
            unused = new Made("unused-host", "127.0.0.2");
            const shop = new Service("shop", { namespace: "infra", port: 8080, endpoints: [{ address: used.value }] });
            new Service("other", { namespace: "infra", port: 8080, endpoints: [{ address: unused.value }] });
            new HTTPRoute("shop", { namespace: "infra", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: shop }] }] });
        });
        const deps = (gateway as unknown as { payloadDependencies: pulumi.Resource[] }).payloadDependencies;
        assert.ok(deps.includes(used), "depends on the used Service's source");
        assert.ok(!deps.includes(unused), "not on an unused Service's source");
    });

    it("waits only for an unknown routing-relevant value, and its message names the resource and field", async () => {
        setupMocks({ preview: true, unknownOutputs: true });
        const messages: string[] = [];
        const info = pulumi.log.info;
        (pulumi.log as { info: typeof info }).info = (msg: string, res?: pulumi.Resource) => { messages.push(msg); return info(msg, res); };
        try {
            let gateway: Gateway | undefined;
            const { resources } = await runProgram(() => {
                gateway = new Gateway("edge", {
                    gatewayClass: new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx" }),
                    namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port: made("port", 18080) }],
                });
                const shop = new Service("shop", { namespace: "infra", port: 8080, endpoints: [{ address: "127.0.0.1" }] });
                new HTTPRoute("shop", { namespace: "infra", parentRefs: [{ gateway }], hostnames: [made("host", "shop.example")], rules: [{ backendRefs: [{ service: shop }] }] });
            });
            assert.strictEqual((await resolveOutput(gateway!.routingTable)).known, false);
            assert.deepStrictEqual(declaredResources(resources), []);
            const wait = messages.find(m => m.includes("routing plan is computed once its inputs are known"));
            assert.ok(wait, messages.join("\n"));
            assert.match(wait!, /Gateway infra\/edge spec\.listeners\[0\]\.port/);
            assert.match(wait!, /HTTPRoute infra\/shop spec\.hostnames\[0\]/);
        } finally {
            (pulumi.log as { info: typeof info }).info = info;
        }
    });
});
