// aws adapter benches.
// - aws.churn.{add,remove,reweight}: on a 50-route gateway (two matches per route, so 100 listener
//   rules over 10 hostnames and 10 services), the number of existing ListenerRule/TargetGroup
//   resources whose inputs change when one route is added, one removed, one weight changed — two
//   mocks runs compared by resource name. A rule also counts when a target group it forwards to
//   changes (its ARN would change). Target 0 / 0 / 1.
// - aws.programRatio: a mocks run of a 90-rule ALB gateway through gatewaykit ÷ a hand-written
//   @pulumi/aws program registering the same resources with the same inputs. Target ≤ 1.5.
import * as lb from "@pulumi/aws/lb";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import { AlbModel, buildAlbModel } from "../providers/aws/model";
import { RecordedResource, runProgram, setupMocks } from "../testing";
import { Bench } from "./types";

const AWS = { vpcId: "vpc-bench", subnetIds: ["subnet-a", "subnet-b"], rulesQuota: 200 };
const RULE = "aws:lb/listenerRule:ListenerRule";
const TG = "aws:lb/targetGroup:TargetGroup";

interface Variant { routes: number; skip?: number; weight?: number; matches?: number }

/** `routes` routes over 10 hostnames and 10 services; route 0's canary weight is `weight`; route `skip` is left out. */
function program(v: Variant, keep?: (g: Gateway) => void): () => void {
    return () => {
        const cls = new GatewayClass("alb", { controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: AWS } });
        const gateway = new Gateway("bench", { gatewayClass: cls, listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
        keep?.(gateway);
        for (let s = 0; s < 10; s++) new Service(`svc-${s}`, { port: 8080, endpoints: [{ address: `10.0.0.${s + 1}` }] });
        for (let r = 0; r < v.routes; r++) {
            if (r === v.skip) continue;
            const matches = [{ path: { value: `/r${r}` } }, { path: { type: "Exact" as const, value: `/r${r}/exact` }, headers: [{ name: "x-team", value: `t${r % 3}` }] }];
            new HTTPRoute(`route-${r}`, {
                parentRefs: [{ gateway }],
                hostnames: [`app${r % 10}.example.com`],
                rules: [{
                    name: "main",
                    matches: matches.slice(0, v.matches ?? 2),
                    backendRefs: [
                        { name: `svc-${r % 10}`, port: 8080, weight: r === 0 ? 100 - (v.weight ?? 10) : 90 },
                        { name: `svc-${(r + 1) % 10}`, port: 8080, weight: r === 0 ? (v.weight ?? 10) : 10 },
                    ],
                }],
            });
        }
    };
}

async function record(v: Variant): Promise<{ resources: RecordedResource[]; model: AlbModel }> {
    let gateway!: Gateway;
    const { resources } = await runProgram(program(v, g => { gateway = g; }));
    const rendered = await gateway.rendered;
    if (!rendered.known) throw new Error("bench: the gateway did not render");
    return { resources, model: buildAlbModel(rendered.plan, AWS).model };
}

/** Existing rules and target groups whose inputs (or whose target groups) change from `a` to `b`. */
function churn(a: Awaited<ReturnType<typeof record>>, b: Awaited<ReturnType<typeof record>>): number {
    const inputs = (rs: RecordedResource[]) => new Map(rs.filter(r => r.type === RULE || r.type === TG).map(r => [`${r.type} ${r.name}`, JSON.stringify(r.inputs)]));
    const ia = inputs(a.resources), ib = inputs(b.resources);
    const changed = new Set([...ia.keys()].filter(k => ib.has(k) && ib.get(k) !== ia.get(k)));
    const tgName = new Map(b.model.targetGroups.map(t => [t.key, `${TG} ${t.resourceName}`]));
    for (const l of b.model.listeners) {
        for (const r of l.rules) {
            const key = `${RULE} ${r.resourceName}`;
            if (ia.has(key) && r.targetGroups.some(t => changed.has(tgName.get(t)!))) changed.add(key);
        }
    }
    return changed.size;
}

/** The same resources, declared by hand from the model (as a user without gatewaykit would write them). */
function handWritten(model: AlbModel): () => void {
    return () => {
        const alb = new lb.LoadBalancer(model.loadBalancer.resourceName, { name: model.loadBalancer.name, loadBalancerType: "application", internal: false, subnets: AWS.subnetIds, securityGroups: [] });
        const arns = new Map<string, lb.TargetGroup>();
        for (const tg of model.targetGroups) {
            const group = new lb.TargetGroup(tg.resourceName, { name: tg.name, targetType: tg.targetType, port: tg.port, protocol: tg.protocol, vpcId: AWS.vpcId, healthCheck: { enabled: true, path: "/", matcher: "200-399" } });
            arns.set(tg.key, group);
            for (const t of tg.targets) new lb.TargetGroupAttachment(`${tg.resourceName}-${t.id}`, { targetGroupArn: group.arn, targetId: t.id, port: t.port });
        }
        for (const l of model.listeners) {
            const listener = new lb.Listener(l.resourceName, {
                loadBalancerArn: alb.arn, port: l.port, protocol: l.protocol,
                defaultActions: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not Found" } }],
            });
            for (const r of l.rules) {
                new lb.ListenerRule(r.resourceName, {
                    listenerArn: listener.arn, priority: r.priority, conditions: r.conditions,
                    actions: r.actions.map(a => a.type !== "forward" ? a : { type: "forward", forward: { targetGroups: a.forward.targetGroups.map(t => ({ arn: arns.get(t.targetGroup)!.arn, weight: t.weight })) } }),
                });
            }
        }
    };
}

async function timeMs(run: () => Promise<unknown>): Promise<number> {
    const t0 = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(xs: number[]): number {
    return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

export const awsBenches: Bench[] = [
    {
        name: "aws.churn",
        run: async () => {
            setupMocks();
            const base = await record({ routes: 50 });
            return {
                "aws.churn.add": churn(base, await record({ routes: 51 })),
                "aws.churn.remove": churn(base, await record({ routes: 50, skip: 17 })),
                "aws.churn.reweight": churn(base, await record({ routes: 50, weight: 20 })),
            };
        },
    },
    {
        name: "aws.programRatio",
        run: async () => {
            setupMocks();
            const v: Variant = { routes: 90, matches: 1 };
            const { model } = await record(v);
            const rules = model.listeners.reduce((n, l) => n + l.rules.length, 0);
            if (rules !== 90) throw new Error(`bench: expected 90 rules, got ${rules}`);
            const ours: number[] = [], hand: number[] = [];
            for (let i = 0; i < 5; i++) {
                ours.push(await timeMs(() => runProgram(program(v))));
                hand.push(await timeMs(() => runProgram(handWritten(model))));
            }
            return {
                "aws.programRatio": Math.round((median(ours) / median(hand)) * 100) / 100,
                "aws.program90.ms": Math.round(median(ours)),
                "aws.handWritten90.ms": Math.round(median(hand)),
            };
        },
    },
];
