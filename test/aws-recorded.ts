// The ALB as the resources of several stacks make it (Pulumi mocks record them): the operator's
// listeners with every stack's listener rules and target groups, linked by ARN (testing's mocks
// give each AWS resource the ARN "arn:aws:mock:<type>:<name>"), as plain model data the AWS
// evaluator walks.

import { AlbAction, AlbCondition, AlbModel, AlbRule, AlbTargetGroup } from "../providers/aws/model";
import { RecordedResource } from "../testing";

export const LISTENER_TYPE = "aws:lb/listener:Listener", RULE = "aws:lb/listenerRule:ListenerRule";
export const TG = "aws:lb/targetGroup:TargetGroup", ATTACH = "aws:lb/targetGroupAttachment:TargetGroupAttachment";
export const LISTENER_CERTIFICATE = "aws:lb/listenerCertificate:ListenerCertificate", ACM_CERTIFICATE = "aws:acm/certificate:Certificate";

export const arnOf = (r: RecordedResource) => `arn:aws:mock:${r.type}:${r.name}`;

/**
 * Listeners, rules and target groups of every stack, linked by ARN. A rule's source is read from its
 * gatewaykit:rule tag (the plan rule id "ns/route/rule/match…", what simulate reports as matched);
 * an isolation rule has none.
 */
export function albOf(stacks: RecordedResource[][]): AlbModel {
    const all = stacks.flat();
    const targetGroups: AlbTargetGroup[] = all.filter(r => r.type === TG).map(r => {
        const tags = r.inputs.tags as Record<string, string>;
        const service = tags["gatewaykit:service"] ?? "";
        return {
            key: arnOf(r), service: service.slice(0, service.lastIndexOf(":")), resourceName: r.name, name: String(r.inputs.name),
            targetType: "ip", port: Number(r.inputs.port), protocol: "HTTP",
            targets: all.filter(a => a.type === ATTACH && a.inputs.targetGroupArn === arnOf(r)).map(a => ({ id: String(a.inputs.targetId), port: Number(a.inputs.port) })),
        };
    });
    const listeners = all.filter(r => r.type === LISTENER_TYPE).map(l => ({
        resourceName: l.name, port: Number(l.inputs.port), protocol: l.inputs.protocol as "HTTP" | "HTTPS", gatewayListeners: [],
        certificateArns: [String(l.inputs.certificateArn ?? ""), ...all.filter(c => c.type === LISTENER_CERTIFICATE && c.inputs.listenerArn === arnOf(l)).map(c => String(c.inputs.certificateArn))].filter(Boolean),
        certificateRefs: [],
        rules: all.filter(r => r.type === RULE && r.inputs.listenerArn === arnOf(l)).map((r): AlbRule => {
            const ruleId = (r.inputs.tags as Record<string, string>)["gatewaykit:rule"];
            const actions = (r.inputs.actions as AlbAction[]).map(a => a.type !== "forward" ? a : {
                type: "forward" as const, forward: { targetGroups: (a.forward.targetGroups as unknown as { arn: string; weight: number }[]).map(t => ({ targetGroup: t.arn, weight: t.weight })) },
            });
            const isolation = ruleId.startsWith("isolate:");
            return {
                key: r.name, resourceName: r.name, priority: Number(r.inputs.priority), conditions: r.inputs.conditions as AlbCondition[], actions,
                ...(isolation ? {} : { source: { ruleId, label: ruleId, route: ruleId.split("/").slice(0, 2).join("/"), ruleIndex: 0, matchIndex: 0 } }), targetGroups: [],
            };
        }).sort((a, b) => a.priority - b.priority),
    }));
    return { gateway: "", resourcePrefix: "", loadBalancer: { resourceName: "", name: "" }, listeners, targetGroups };
}
