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
import { CapabilityError } from "../../routing/errors";
import { AlbAction, AlbBuild, AlbModel, AlbTargetGroup, buildAlbModel, slug } from "./model";
import { awsName } from "./model/names";
import type { AwsClassParameters, AwsNamespaceShare } from "./parameters";

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
    return {
        addresses: resources.loadBalancer.dnsName.apply(d => [d]), build, resources,
        ...(build.settings.namespaces ? { attachment: attachmentOf(build, ctx.parameters, resources) } : {}),
    };
}

/**
 * What a team's stack needs to put its rules on this gateway's listeners (GatewayReference
 * attachments.aws): the listeners' ARNs, the namespaces' slots and
 * budgets, and the parameters its target groups take. No secrets.
 */
export interface AlbAttachment {
    listeners: Record<string, { arn: string; protocol: "HTTP" | "HTTPS" }>;
    namespaces: Record<string, AwsNamespaceShare>;
    /** parameters.aws of the operator that a team's target groups and preflight read. */
    parameters: Pick<AwsClassParameters, "region" | "vpcId" | "subnetIds" | "tags" | "healthCheck" | "loadBalancingAlgorithm">;
}

const ATTACHED_PARAMETERS = ["region", "vpcId", "subnetIds", "tags", "healthCheck", "loadBalancingAlgorithm"] as const;

function attachmentOf(build: AlbBuild, parameters: Record<string, unknown>, resources: AlbResources): Record<string, unknown> {
    const listeners: Record<string, { arn: pulumi.Output<string>; protocol: "HTTP" | "HTTPS" }> = {};
    for (const l of build.model.listeners) listeners[String(l.port)] = { arn: resources.listeners.get(l.port)!.arn, protocol: l.protocol };
    const shared = Object.fromEntries(ATTACHED_PARAMETERS.filter(k => parameters[k] !== undefined).map(k => [k, parameters[k]]));
    return { listeners, namespaces: build.settings.namespaces!, parameters: shared };
}

/**
 * A team's routes on another stack's ALB (a GatewayReference parentRef): this route's target groups
 * and listener rules, children of the HTTPRoute, on the operator's listeners. Priorities come from
 * every route this program attaches to the gateway (ctx.programPlan), so the program's rules of one
 * namespace never ask for one number; the namespace's slot keeps them apart from other stacks'.
 */
export function realizeAlbRoutes(plan: GatewayPlan, ctx: RealizeContext): void {
    const attachment = ctx.attachment as Partial<AlbAttachment> | undefined;
    const routes = new Set((ctx.routeStatuses ?? []).map(s => s.route));
    const who = [...routes].map(r => `HTTPRoute ${r}`).join(", ") || `routes on Gateway ${plan.gateway}`;
    if (!attachment?.listeners || !attachment.namespaces) {
        // The operator's stack declares this gateway's routes itself (its listeners are not shared): status only here.
        void pulumi.log.info(`${who}: status computed against Gateway ${plan.gateway}; no listener rules are created by this stack, since the gateway's ` +
            "reference carries no aws attachment: to own them here, its operator sets GatewayClass parameters.aws.namespaces (a slot and a rules budget per team namespace)", ctx.parent);
        return;
    }
    const build = buildAlbModel(ctx.programPlan ?? plan, { ...(attachment.parameters ?? {}), ...ctx.parameters }, { team: { namespaces: attachment.namespaces } });
    const problems = [...build.problems];
    for (const l of build.model.listeners) {
        if (attachment.listeners[String(l.port)] === undefined && l.rules.some(r => r.source && routes.has(r.source.route))) {
            problems.push(`${who}: Gateway ${plan.gateway} has no shared ALB listener on port ${l.port}; a new port needs the operator's stack`);
        }
    }
    if (problems.length > 0) {
        throw new CapabilityError(`${who}: the aws adapter refuses these rules on Gateway ${plan.gateway}:\n` + problems.map(p => "  - " + p).join("\n"));
    }
    for (const w of build.warnings) void pulumi.log.warn(w, ctx.parent);
    for (const n of build.notes) void pulumi.log.info(n, ctx.parent);
    const own = build.model.listeners.map(l => ({ ...l, rules: l.rules.filter(r => r.source && routes.has(r.source.route)) }));
    const used = new Set(own.flatMap(l => l.rules.flatMap(r => r.targetGroups)));
    const routeSlug = slug([...routes].join("-"));
    // Named after the route as well: another route of this stack (or the operator's) may use the same Service.
    const { arns } = declareTargetGroups(build, build.model.targetGroups.filter(t => used.has(t.key)), ctx.parent, tg => ({
        ...tg, resourceName: `${tg.resourceName}-${routeSlug}`, name: tg.existingArn ? tg.name : awsName(tg.name.slice(0, 23), `${tg.name}|${[...routes].join(",")}`),
    }));
    const tags = (extra: Record<string, string>) => ({ ...build.settings.tags, ...build.model.infrastructureTags, "gatewaykit:gateway": plan.gateway, ...extra });
    for (const l of own) {
        for (const r of l.rules) {
            new lb.ListenerRule(r.resourceName, {
                region: build.settings.region,
                listenerArn: attachment.listeners[String(l.port)].arn,
                priority: r.priority,
                conditions: r.conditions,
                actions: r.actions.map(a => toAction(a, arns)),
                ...(r.transforms ? { transforms: r.transforms } : {}),
                tags: tags({ "gatewaykit:rule": tagValue(r.source?.ruleId ?? r.key) }),
            }, { parent: ctx.parent });
        }
    }
}

function declare(build: AlbBuild, parent: pulumi.Resource): AlbResources {
    const { model, settings } = build;
    const region = settings.region;
    const common = { parent };
    const tags = (extra: Record<string, string> = {}) => ({ ...settings.tags, ...model.infrastructureTags, "gatewaykit:gateway": model.gateway, ...extra });

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

    const { targetGroups, arns } = declareTargetGroups(build, model.targetGroups, parent, tg => tg);

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

/**
 * The target groups (and their targets) as resources. `naming` renames a group (its resource and
 * AWS names) where several stacks' groups could meet, e.g. a team's routes on another stack's ALB.
 */
function declareTargetGroups(build: AlbBuild, groups: AlbTargetGroup[], parent: pulumi.Resource, naming: (tg: AlbTargetGroup) => AlbTargetGroup) {
    const { model, settings } = build;
    const region = settings.region;
    const common = { parent };
    const tags = (extra: Record<string, string> = {}) => ({ ...settings.tags, ...model.infrastructureTags, "gatewaykit:gateway": model.gateway, ...extra });
    const targetGroups = new Map<string, lbModule.TargetGroup>();
    const arns = new Map<string, pulumi.Input<string>>();
    for (const original of groups) {
        const tg = naming(original);
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
                    enabled: true, path: tg.protocolVersion ? GRPC_HEALTH_CHECK.path : tg.healthCheck?.path ?? settings.healthCheck.path,
                    matcher: tg.protocolVersion ? GRPC_HEALTH_CHECK.matcher : settings.healthCheck.matcher,
                    // A BackendTrafficPolicy's health check wins over the class's for its Service (model/policies.ts).
                    ...(tg.healthCheck
                        ? { interval: tg.healthCheck.interval, timeout: tg.healthCheck.timeout, healthyThreshold: tg.healthCheck.healthyThreshold, unhealthyThreshold: tg.healthCheck.unhealthyThreshold }
                        : { interval: settings.healthCheck.intervalSeconds, healthyThreshold: settings.healthCheck.healthyThreshold, unhealthyThreshold: settings.healthCheck.unhealthyThreshold }),
                },
                // The policy's algorithm wins over the class's for its Service.
                loadBalancingAlgorithmType: tg.loadBalancingAlgorithm ?? settings.loadBalancingAlgorithm,
                ...(tg.stickiness ? { stickiness: tg.stickiness } : {}),
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

    return { targetGroups, arns };
}

/** AWS tag values allow letters, digits, spaces and _ . : / = + - @ only, up to 256 characters. */
function tagValue(s: string): string {
    return s.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, "_").slice(0, 256);
}

function toAction(a: AlbAction, arns: Map<string, pulumi.Input<string>>) {
    if (a.type !== "forward") return a;
    return {
        type: "forward",
        forward: {
            targetGroups: a.forward.targetGroups.map(t => ({ arn: arns.get(t.targetGroup)!, weight: t.weight })),
            ...(a.forward.stickiness ? { stickiness: a.forward.stickiness } : {}),
        },
    };
}

export type { AlbModel };
