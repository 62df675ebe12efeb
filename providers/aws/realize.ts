// The model (model/) as @pulumi/aws resources, every one a child of the Gateway. Conditions,
// actions and transforms are passed as the model holds them; only target group keys become ARNs.
// Target groups keep the provider's default create-before-delete replacement: their AWS names are
// content-hashed, so the replacement never clashes with the group it replaces and the listener
// rules move to it before the old group is deleted (no ResourceInUse).

import * as pulumi from "@pulumi/pulumi";
import type * as lbModule from "@pulumi/aws/lb";
import type * as securityGroupModule from "@pulumi/aws/ec2/securityGroup";
import type * as permissionModule from "@pulumi/aws/lambda/permission";
import { lazyPeer } from "../peer";
import { GatewayPlan } from "../../routing/plan";
import { RealizeContext, RealizeResult } from "../adapter";
import { AlbAction, AlbBuild, AlbModel, buildAlbModel, slug } from "./model";

/** The health check of a gRPC target group: ALB's default gRPC path, and gRPC status 12 (UNIMPLEMENTED) as healthy, so a backend answers it without a health service. */
export const GRPC_HEALTH_CHECK = { path: "/AWS.ALB/healthcheck", matcher: "12" };

// @pulumi/aws is an optional peer: loaded when the first resource is created.
const lb = lazyPeer<typeof lbModule>("@pulumi/aws/lb", "aws");
const ec2 = lazyPeer<typeof securityGroupModule>("@pulumi/aws/ec2/securityGroup", "aws");
const lambda = lazyPeer<typeof permissionModule>("@pulumi/aws/lambda/permission", "aws");

export interface AlbResources {
    loadBalancer: lbModule.LoadBalancer;
    securityGroup?: securityGroupModule.SecurityGroup;
    listeners: Map<number, lbModule.Listener>;
    targetGroups: Map<string, lbModule.TargetGroup>;
    rules: Map<string, lbModule.ListenerRule>;
}

export interface AlbRealized extends RealizeResult {
    build: AlbBuild;
    resources: AlbResources;
}

/** Builds the model, reports what the data plane does differently, and declares the resources. */
export function realizeAlb(plan: GatewayPlan, ctx: RealizeContext): AlbRealized {
    // The Gateway built the model once (adapter.model) and refused its problems; direct callers get it built here.
    const build = (ctx.model as AlbBuild | undefined) ?? buildAlbModel(plan, ctx.parameters);
    if (build.problems.length > 0) {
        throw new Error(`Gateway ${plan.gateway}: the aws adapter refuses this plan:\n` + build.problems.map(p => "  - " + p).join("\n"));
    }
    for (const w of build.warnings) void pulumi.log.warn(w, ctx.parent);
    for (const n of build.notes) void pulumi.log.info(n, ctx.parent);
    const resources = declare(build, ctx.parent);
    return { addresses: resources.loadBalancer.dnsName.apply(d => [d]), build, resources };
}

function declare(build: AlbBuild, parent: pulumi.Resource): AlbResources {
    const { model, settings } = build;
    const region = settings.region;
    const common = { parent };
    const tags = (extra: Record<string, string> = {}) => ({ ...settings.tags, "gatewaykit:gateway": model.gateway, ...extra });

    let securityGroup: securityGroupModule.SecurityGroup | undefined;
    if (settings.securityGroupIngressCidrs) {
        const cidrs = settings.securityGroupIngressCidrs;
        const v4 = cidrs.filter(c => !c.includes(":")), v6 = cidrs.filter(c => c.includes(":"));
        securityGroup = new ec2.SecurityGroup(`${model.resourcePrefix}-alb`, {
            region,
            vpcId: settings.vpcId,
            description: `gatewaykit ALB of Gateway ${model.gateway}: listener ports from the CIDRs in parameters.aws.securityGroupIngressCidrs`,
            ingress: model.listeners.map(l => ({
                protocol: "tcp", fromPort: l.port, toPort: l.port,
                ...(v4.length ? { cidrBlocks: v4 } : {}), ...(v6.length ? { ipv6CidrBlocks: v6 } : {}),
            })),
            // Egress stays open so the load balancer reaches its targets.
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            tags: tags(),
        }, common);
    }

    const loadBalancer = new lb.LoadBalancer(model.loadBalancer.resourceName, {
        region,
        name: model.loadBalancer.name,
        loadBalancerType: "application",
        internal: settings.internal,
        subnets: settings.subnetIds,
        securityGroups: [...settings.securityGroupIds, ...(securityGroup ? [securityGroup.id] : [])],
        ipAddressType: settings.ipAddressType,
        idleTimeout: settings.idleTimeout,
        enableDeletionProtection: settings.deletionProtection,
        accessLogs: settings.accessLogs,
        tags: tags(),
    }, common);

    const targetGroups = new Map<string, lbModule.TargetGroup>();
    const arns = new Map<string, pulumi.Input<string>>();
    for (const tg of model.targetGroups) {
        if (tg.existingArn) {
            arns.set(tg.key, tg.existingArn);
            continue;
        }
        const group = new lb.TargetGroup(tg.resourceName, {
            region,
            name: tg.name,
            targetType: tg.targetType,
            ...(tg.targetType === "lambda" ? {} : {
                port: tg.port, protocol: tg.protocol, vpcId: settings.vpcId,
                ...(tg.protocolVersion ? { protocolVersion: tg.protocolVersion } : {}),
                healthCheck: {
                    // gRPC groups: ALB's gRPC health check (its default path; status 12 UNIMPLEMENTED counts as alive).
                    enabled: true, path: tg.protocolVersion ? GRPC_HEALTH_CHECK.path : settings.healthCheck.path,
                    matcher: tg.protocolVersion ? GRPC_HEALTH_CHECK.matcher : settings.healthCheck.matcher,
                    interval: settings.healthCheck.intervalSeconds, healthyThreshold: settings.healthCheck.healthyThreshold,
                    unhealthyThreshold: settings.healthCheck.unhealthyThreshold,
                },
                loadBalancingAlgorithmType: settings.loadBalancingAlgorithm,
            }),
            tags: tags(tg.service ? { "gatewaykit:service": `${tg.service}:${tg.servicePort}` } : { "gatewaykit:purpose": "invalid backends answer 503" }),
        }, { ...common, deleteBeforeReplace: false });
        targetGroups.set(tg.key, group);
        arns.set(tg.key, group.arn);
        for (const t of tg.targets) {
            // Named by the target (its identity), except a Lambda group's only target: a function ARN is
            // often unknown in a preview (the function is created in the same stack), and the name must be
            // the one the update uses. The alias keeps stacks made before this name (the ARN's slug); built
            // from an ARN unknown in this preview it names nothing and matches nothing.
            const byTarget = `${tg.resourceName}-${slug(t.id)}${t.port !== undefined ? `-${t.port}` : ""}`;
            const name = tg.targetType === "lambda" ? `${tg.resourceName}-fn` : byTarget;
            const aliases = tg.targetType === "lambda" ? [{ name: byTarget }] : [];
            const deps: pulumi.Resource[] = [];
            if (tg.targetType === "lambda") {
                deps.push(new lambda.Permission(`${tg.resourceName}-invoke`, {
                    region, action: "lambda:InvokeFunction", function: t.id,
                    principal: "elasticloadbalancing.amazonaws.com", sourceArn: group.arn,
                }, common));
            }
            // A target unknown in this preview (a payload token) has an unknown port as well.
            const port = t.unknown ? pulumi.output(pulumi.unknown) as pulumi.Output<number> : t.port;
            new lb.TargetGroupAttachment(name, {
                region, targetGroupArn: group.arn, targetId: t.id, ...(t.port !== undefined ? { port } : {}),
            }, { ...common, dependsOn: deps, ...(aliases.length ? { aliases } : {}) });
        }
    }

    const listeners = new Map<number, lbModule.Listener>();
    const rules = new Map<string, lbModule.ListenerRule>();
    for (const l of model.listeners) {
        const listener = new lb.Listener(l.resourceName, {
            region,
            loadBalancerArn: loadBalancer.arn,
            port: l.port,
            protocol: l.protocol,
            ...(l.protocol === "HTTPS" ? { sslPolicy: settings.sslPolicy, certificateArn: l.certificateArns[0] } : {}),
            defaultActions: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not Found" } }],
            tags: tags({ "gatewaykit:listeners": tagValue(l.gatewayListeners.join(" ")) }),
        }, common);
        listeners.set(l.port, listener);
        l.certificateArns.forEach((arn, i) => {
            if (i === 0) return;
            // Named by the certificateRef: an ARN is often unknown in a preview (the certificate is
            // created in the same stack). The alias keeps stacks made before this name (the ARN's slug).
            const ref = l.certificateRefs[i] ?? arn;
            const byArn = `${l.resourceName}-sni-${slug(arn.split("/").pop() ?? arn)}`;
            const name = ref.startsWith("arn:") ? byArn : `${l.resourceName}-sni-${slug(ref)}`;
            // (An alias built from an ARN unknown in this preview names nothing, and matches nothing.)
            const aliases = name !== byArn ? [{ name: byArn }] : [];
            new lb.ListenerCertificate(name, {
                region, listenerArn: listener.arn, certificateArn: arn,
            }, { ...common, ...(aliases.length ? { aliases } : {}) });
        });
        for (const r of l.rules) {
            const rule = new lb.ListenerRule(r.resourceName, {
                region,
                listenerArn: listener.arn,
                priority: r.priority,
                conditions: r.conditions,
                actions: r.actions.map(a => toAction(a, arns)),
                ...(r.transforms ? { transforms: r.transforms } : {}),
                tags: tags({ "gatewaykit:rule": tagValue(r.source?.ruleId ?? r.key) }),
            }, common);
            rules.set(`${l.port}/${r.key}`, rule);
        }
    }
    return { loadBalancer, securityGroup, listeners, targetGroups, rules };
}

/** AWS tag values allow letters, digits, spaces and _ . : / = + - @ only, up to 256 characters. */
function tagValue(s: string): string {
    return s.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, "_").slice(0, 256);
}

function toAction(a: AlbAction, arns: Map<string, pulumi.Input<string>>) {
    if (a.type !== "forward") return a;
    return { type: "forward", forward: { targetGroups: a.forward.targetGroups.map(t => ({ arn: arns.get(t.targetGroup)!, weight: t.weight })) } };
}

export type { AlbModel };
