// The model (model/) as @pulumi/aws resources, every one a child of the Gateway. Conditions,
// actions and transforms are passed as the model holds them; only target group keys become ARNs.
// Target groups keep the provider's default create-before-delete replacement: their AWS names are
// content-hashed, so the replacement never clashes with the group it replaces and the listener
// rules move to it before the old group is deleted (no ResourceInUse).

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as lbModule from "@pulumi/aws/lb";
import type * as securityGroupModule from "@pulumi/aws/ec2/securityGroup";
import type * as permissionModule from "@pulumi/aws/lambda/permission";
import type * as bucketObjectModule from "@pulumi/aws/s3/bucketObjectv2";
import type * as certificateModule from "@pulumi/aws/acm/certificate";
import { lazyPeer } from "../peer";
import { GatewayPlan } from "../../routing/plan";
import { ListenerSetRealizeContext, RealizeContext, RealizeResult, TlsCertificate } from "../adapter";
import { listenerSetNotServedReason } from "../served";
import { CapabilityError } from "../../routing/errors";
import { AlbAction, AlbBuild, AlbModel, AlbTargetGroup, buildAlbModel, slug, stackOwnerProblem } from "./model";
import type { AlbMutualAuthentication } from "./model/types";
import { readSettings } from "./parameters";
import { awsName } from "./model/names";
import type { AwsClassParameters, AwsNamespaceShare, StackIdentity } from "./parameters";

/** The health check of a gRPC target group: ALB's default gRPC path, and gRPC status 12 (UNIMPLEMENTED) as healthy, so a backend answers it without a health service. */
export const GRPC_HEALTH_CHECK = { path: "/AWS.ALB/healthcheck", matcher: "12" };

// @pulumi/aws is an optional peer: loaded when the first resource is created.
const lb = lazyPeer<typeof lbModule>("@pulumi/aws/lb", "aws");
const ec2 = lazyPeer<typeof securityGroupModule>("@pulumi/aws/ec2/securityGroup", "aws");
const lambda = lazyPeer<typeof permissionModule>("@pulumi/aws/lambda/permission", "aws");
const s3 = lazyPeer<typeof bucketObjectModule>("@pulumi/aws/s3/bucketObjectv2", "aws");
const acm = lazyPeer<typeof certificateModule>("@pulumi/aws/acm/certificate", "aws");

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
    const missing = build.model.listeners.flatMap(l => (l.mutualAuthentication?.trustStore?.caCertificateKeys ?? [])
        .filter(key => !(ctx.caCertificateKeys ?? []).includes(key))
        .map(key => `port ${l.port}: no CA bundle for caCertificateRef ConfigMap ${key}; give its ca.crt as the Gateway's caCertificates["${key}"]`));
    if (missing.length > 0) throw new CapabilityError(`Gateway ${plan.gateway}: the aws adapter refuses this plan:\n` + [...new Set(missing)].map(p => "  - " + p).join("\n"));
    const resources = declare(build, ctx.parent, ctx.caCertificates);
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
    const build = buildAlbModel(ctx.programPlan ?? plan, { ...(attachment.parameters ?? {}), ...ctx.parameters }, { team: { namespaces: attachment.namespaces, stack: runningStack() } });
    const problems = [...build.problems];
    for (const l of build.model.listeners) {
        if (!l.rules.some(r => r.source && routes.has(r.source.route))) continue;
        const shared = attachment.listeners[String(l.port)];
        if (shared === undefined) {
            problems.push(`${who}: Gateway ${plan.gateway} has no shared ALB listener on port ${l.port}; a new port needs the operator's stack`);
        } else if (shared.protocol !== l.protocol) {
            problems.push(`${who}: Gateway ${plan.gateway}'s ALB listener on port ${l.port} is ${shared.protocol}, not ${l.protocol}; attach to a listener of that protocol`);
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

/** This program's organization, project and stack: what a namespace's owning stack is compared with. */
export function runningStack(): StackIdentity {
    let organization: string | undefined;
    try {
        organization = pulumi.getOrganization();
    } catch {
        organization = undefined; // a runtime without one (older mocks): project and stack decide
    }
    return { ...(organization !== undefined ? { organization } : {}), project: pulumi.getProject(), stack: pulumi.getStack() };
}

/**
 * A team's ListenerSet on another stack's ALB (a GatewayReference): on the operator's ALB listener of
 * each of its listeners' ports, from this stack, as children of the ListenerSet —
 * - its HTTPS listeners' certificates as listener certificates (SNI): an ACM ARN as the
 *   certificateRef name, one mapped by the ListenerSet's parameters.aws.certificateArns, or PEM
 *   material from its `certificates`, imported into ACM here (the private key stays secret);
 * - for a listener hostname that a less specific listener of the port also matches, the isolation
 *   rule (that hostname → 404 once none of its own rules matched), in its namespace's slot.
 * Its routes (`parentRefs: [{ listenerSet }]`) are listener rules of their own (realizeAlbRoutes).
 * A port the operator's ALB has no listener on is refused: a new ALB listener is the operator's.
 */
export function realizeAlbListenerSet(ctx: ListenerSetRealizeContext): pulumi.Resource[] {
    const namespace = ctx.spec.namespace ?? "default";
    const key = `${namespace}/${ctx.spec.name}`;
    const who = `ListenerSet ${key}`;
    const attachment = ctx.attachment as Partial<AlbAttachment> | undefined;
    const refuse = (problems: string[]) => new CapabilityError(problems.length === 1
        ? `${who}: the aws adapter refuses it on Gateway ${ctx.gateway}: ${problems[0]}`
        : `${who}: the aws adapter refuses it on Gateway ${ctx.gateway}:\n` + problems.map(p => "  - " + p).join("\n"));
    if (!attachment?.listeners || !attachment.namespaces) {
        throw refuse([`the gateway's reference carries no aws attachment (its ALB listeners are not shared with other stacks); ask its operator to set ` +
            `GatewayClass parameters.aws.namespaces.${namespace} = { slot, rules, stack } so this stack may add listeners, or declare the ListenerSet in the operator's program`]);
    }
    const notServed = listenerSetNotServedReason(key, [ctx.status], ctx.gateway);
    if (notServed) throw refuse([notServed]);
    const problems: string[] = [];
    const share = attachment.namespaces[namespace];
    if (share === undefined || share.rules === undefined) {
        problems.push(`Gateway ${ctx.gateway} gives namespace ${namespace} no ${share === undefined ? "slot" : "rules budget"} on its shared ALB: ` +
            `ask its operator to set GatewayClass parameters.aws.namespaces.${namespace} = { slot, rules, stack }`);
    } else {
        const owner = stackOwnerProblem(ctx.gateway, namespace, share, runningStack(), who);
        if (owner) problems.push(owner);
    }
    const parameters = { ...(attachment.parameters ?? {}), ...ctx.parameters };
    const settings = readSettings(parameters, ctx.gateway).settings;
    const material = new Set(ctx.certificateKeys ?? []);
    const accepted = new Set(ctx.status.listeners.filter(l => l.conditions.some(c => c.type === "Accepted" && c.status === "True")).map(l => l.name));
    interface Wanted { port: number; listenerArn: string; ref: string; arn?: string; material?: string }
    const wanted: Wanted[] = [];
    for (const l of ctx.spec.listeners) {
        if (!accepted.has(l.name)) continue;
        const at = `listener ${l.name}`;
        const alb = attachment.listeners[String(l.port)];
        const protocol = l.protocol === "HTTPS" ? "HTTPS" : "HTTP";
        if (alb === undefined) {
            problems.push(`${at}: Gateway ${ctx.gateway} has no ALB listener on port ${l.port}, and a new port is a new ALB listener, which only the operator's stack creates: ` +
                `ask the operator to add a listener on port ${l.port} to the Gateway's spec.listeners (e.g. { name: "${protocol.toLowerCase()}-${l.port}", port: ${l.port}, protocol: "${protocol}"` +
                `${protocol === "HTTPS" ? ", tls: { certificateRefs: [<the operator's certificate>] }" : ""} }) and run the operator's \`up\`, or use a port the Gateway has ` +
                `(${Object.entries(attachment.listeners).map(([p, x]) => `${p} ${x.protocol}`).join(", ")})`);
            continue;
        }
        if (alb.protocol !== protocol) {
            problems.push(`${at}: Gateway ${ctx.gateway}'s ALB listener on port ${l.port} is ${alb.protocol}, and this listener is ${l.protocol}; use protocol ${alb.protocol} on port ${l.port}`);
            continue;
        }
        if (protocol !== "HTTPS") continue;
        (l.tls?.certificateRefs ?? []).forEach((ref, i) => {
            const certKey = `${ref.namespace ?? namespace}/${ref.name}`;
            const arn = ref.name.startsWith("arn:") ? ref.name : settings.certificateArns[certKey] ?? settings.certificateArns[ref.name];
            if (arn !== undefined) wanted.push({ port: l.port, listenerArn: alb.arn, ref: ref.name.startsWith("arn:") ? ref.name : certKey, arn });
            else if (material.has(certKey)) wanted.push({ port: l.port, listenerArn: alb.arn, ref: certKey, material: certKey });
            else {
                problems.push(`${at} spec.listeners[].tls.certificateRefs[${i}]: ${JSON.stringify(ref.name)} is neither an ACM certificate ARN, nor a key of the ListenerSet's ` +
                    `parameters.aws.certificateArns, nor a certificate it supplies (certificates["${ref.name}"]); write the ARN as the name, map it in certificateArns, or supply the PEM certificate and key`);
            }
        });
    }
    // The isolation rules of its listeners, numbered with every route of this program on the gateway.
    const build = ctx.programPlan
        ? buildAlbModel(ctx.programPlan, parameters, { team: { namespaces: attachment.namespaces, stack: runningStack() } })
        : undefined;
    const ownListeners = new Set(ctx.spec.listeners.map(l => `${namespace}/${ctx.spec.name}/${l.name}`));
    problems.push(...(build?.problems ?? []).filter(p => p.includes(who) || [...ownListeners].some(l => p.includes(`isolate:${l}`))));
    if (problems.length > 0) throw refuse(problems);
    const resources: pulumi.Resource[] = [];
    const base = slug(`${key}--${ctx.gateway}`);
    const created = new Map<string, certificateModule.Certificate>();
    for (const w of wanted) {
        let arn: pulumi.Input<string> | undefined = w.arn;
        if (w.material !== undefined) {
            let cert = created.get(w.material);
            if (cert === undefined) {
                const pem = pulumi.secret(ctx.certificates!.apply(c => c[w.material!])) as pulumi.Output<TlsCertificate>;
                const blocks = pem.apply(p => splitPemChain(p.certificate));
                cert = new acm.Certificate(`${base}-cert-${slug(w.material)}`, {
                    region: settings.region,
                    certificateBody: blocks.apply(b => b[0]),
                    certificateChain: blocks.apply(b => b.length > 1 ? b.slice(1).join("\n") : undefined) as pulumi.Output<string>,
                    privateKey: pulumi.secret(pem.apply(p => p.privateKey)),
                    tags: { ...settings.tags, "gatewaykit:gateway": ctx.gateway, "gatewaykit:listenerset": key },
                }, { parent: ctx.parent });
                created.set(w.material, cert);
                resources.push(cert);
            }
            arn = cert.arn;
        }
        resources.push(new lb.ListenerCertificate(`${base}-${w.port}-sni-${slug(w.ref)}`, {
            region: settings.region, listenerArn: w.listenerArn, certificateArn: arn!,
        }, { parent: ctx.parent }));
    }
    if (build && build.problems.length === 0) {
        const tags = { ...build.settings.tags, ...build.model.infrastructureTags, "gatewaykit:gateway": ctx.gateway };
        for (const l of build.model.listeners) {
            for (const r of l.rules) {
                if (r.source || r.owner === undefined || !ownListeners.has(r.key.slice("isolate:".length))) continue;
                resources.push(new lb.ListenerRule(`${base}-${r.resourceName}`, {
                    region: build.settings.region, listenerArn: attachment.listeners[String(l.port)].arn, priority: r.priority,
                    conditions: r.conditions, actions: r.actions.map(a => toAction(a, new Map())),
                    tags: { ...tags, "gatewaykit:rule": tagValue(r.key) },
                }, { parent: ctx.parent }));
            }
        }
    } else if (build) {
        void pulumi.log.info(`${who}: its listeners' isolation rules wait until this stack's rules on Gateway ${ctx.gateway} are accepted (see its routes' errors)`, ctx.parent);
    } else {
        void pulumi.log.info(`${who}: its listeners' isolation rules are numbered once this program's routes and Services are known (during update)`, ctx.parent);
    }
    return resources;
}

/** A PEM chain's certificates, leaf first (ACM imports the leaf and its chain separately). */
function splitPemChain(pem: string): string[] {
    return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [pem];
}

function declare(build: AlbBuild, parent: pulumi.Resource, caCertificates?: pulumi.Output<Record<string, string>>): AlbResources {
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
        const mutual = l.mutualAuthentication;
        const trustStoreArn = mutual?.trustStore ? declareTrustStore(model.gateway, l.port, mutual.trustStore, caCertificates, region, tags(), common) : undefined;
        const listener = new lb.Listener(l.resourceName, {
            region,
            loadBalancerArn: loadBalancer.arn,
            port: l.port,
            protocol: l.protocol,
            ...(l.protocol === "HTTPS" ? { sslPolicy: settings.sslPolicy, certificateArn: l.certificateArns[0] } : {}),
            ...(mutual ? { mutualAuthentication: { mode: mutual.mode, ...(trustStoreArn ? { trustStoreArn, ignoreClientCertificateExpiry: false } : {}) } } : {}),
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
 * The port's CA bundle as an S3 object in parameters.aws.trustStoreBucket and the ALB trust store
 * made from it; its ARN. A caCertificateRef without a bundle fails naming the Gateway argument.
 */
function declareTrustStore(
    gateway: string, port: number, ts: NonNullable<AlbMutualAuthentication["trustStore"]>, caCertificates: pulumi.Output<Record<string, string>> | undefined,
    region: string | undefined, tags: Record<string, string>, common: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
    const bundle = pulumi.output(caCertificates ?? {}).apply(cas => ts.caCertificateKeys.map(key => {
        const pem = cas[key] ?? (key.startsWith(`${gateway.split("/")[0]}/`) ? cas[key.slice(key.indexOf("/") + 1)] : undefined);
        if (pem === undefined) {
            throw new Error(`Gateway ${gateway} port ${port}: no CA bundle for caCertificateRef ConfigMap ${key}; give its ca.crt as the Gateway's caCertificates["${key}"]`);
        }
        return pem.endsWith("\n") ? pem : pem + "\n";
    }).join(""));
    // The key carries the bundle's hash: a new bundle is a new object (created before the old one is
    // deleted) and a new key the trust store is modified to, versioned bucket or not.
    const key = bundle.apply(b => `${ts.key.replace(/\.pem$/, "")}-${crypto.createHash("sha256").update(b).digest("hex").slice(0, 12)}.pem`);
    // No tags on the object: S3 objects take at most 10, fewer than the ALB's resources carry.
    const object = new s3.BucketObjectv2(`${ts.resourceName}-bundle`, {
        region, bucket: ts.bucket, key, content: bundle, contentType: "application/x-pem-file",
    }, common);
    const store = new lb.TrustStore(ts.resourceName, {
        region, name: ts.name,
        caCertificatesBundleS3Bucket: object.bucket, caCertificatesBundleS3Key: object.key,
        tags,
    }, common);
    return store.arn;
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
