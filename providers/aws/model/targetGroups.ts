// Target groups: one per gateway × service × port — ip targets from endpoints, instance ids, a
// Lambda function, or an existing target group ARN from the Service's realizations.aws — plus the
// empty group that invalid backends' shares go to (ALB answers it with 503).

import { isIP } from "net";
import { PlanBackend } from "../../../routing/plan";
import { holdsPayloadToken } from "../../payload-token";
import { BuildContext } from "./context";
import { withTrafficPolicy } from "./policies";
import { awsName, slug } from "./names";
import { AlbTarget, AlbTargetGroup, INVALID_GRPC_TARGET_GROUP, INVALID_TARGET_GROUP } from "./types";

/** Marks targets whose id stands for a value unknown in this preview. */
function withUnknown(t: AlbTarget): AlbTarget {
    return holdsPayloadToken(t.id) ? { ...t, unknown: true } : t;
}

/**
 * The key of the backend's target group (created on first use), or undefined after reporting why it
 * has none. A GRPCRoute rule's backend (`grpc`) gets a group of its own, protocolVersion GRPC: the
 * same Service behind an HTTPRoute keeps its HTTP/1.1 group.
 */
export function targetGroupFor(ctx: BuildContext, b: PlanBackend, who: string, problems: string[], grpc = false): string | undefined {
    if (b.port === undefined) {
        problems.push(`${who}: backend ${b.service} has no port; give backendRefs[].port`);
        return undefined;
    }
    const key = `${b.service}:${b.port}${grpc ? ":grpc" : ""}`;
    if (ctx.tgs.has(key)) return key;
    const hints = (b.serviceSpec?.realizations?.aws ?? {}) as { targetGroupArn?: unknown; instanceIds?: unknown; lambdaFunctionArn?: unknown };
    const servicePort = b.serviceSpec?.ports.find(p => p.port === b.port);
    const targetPort = servicePort?.targetPort ?? b.port;
    const base = {
        key, service: b.service, servicePort: b.port, resourceName: `${ctx.prefix}-${slug(b.service)}-${b.port}${grpc ? "-grpc" : ""}`,
        ...(grpc ? { protocolVersion: "GRPC" as const } : {}),
    };
    const version = grpc ? "|GRPC" : "";
    const vpc = ctx.settings.vpcId ?? "";
    let tg: AlbTargetGroup;
    if (typeof hints.targetGroupArn === "string") {
        tg = { ...base, name: "", targetType: "ip", targets: [], existingArn: hints.targetGroupArn };
    } else if (typeof hints.lambdaFunctionArn === "string" && grpc) {
        problems.push(`${who}: backend ${b.service} is a Lambda function, which cannot serve gRPC behind an ALB; give the GRPCRoute IP or instance targets`);
        return undefined;
    } else if (typeof hints.lambdaFunctionArn === "string") {
        tg = { ...base, name: awsName(`${b.service.split("/")[1]}-fn`, `${ctx.plan.gateway}|${key}|lambda`), targetType: "lambda", targets: [{ id: hints.lambdaFunctionArn }] };
    } else if (Array.isArray(hints.instanceIds)) {
        const ids = hints.instanceIds.filter((x): x is string => typeof x === "string");
        tg = {
            ...base, name: awsName(`${b.service.split("/")[1]}-${b.port}`, `${ctx.plan.gateway}|${key}|instance|HTTP|${targetPort}|${vpc}${version}`),
            targetType: "instance", port: targetPort, protocol: "HTTP", targets: ids.map(id => ({ id, port: targetPort })),
        };
    } else {
        // An address unknown in this preview (a payload token) is taken for the IP the update will check.
        const bad = b.endpoints.filter(e => isIP(e.address) === 0 && !holdsPayloadToken(e.address));
        if (bad.length > 0) {
            problems.push(`${who}: backend ${b.service} has endpoints that are not IP addresses (${bad.map(e => e.address).join(", ")}); ` +
                "ALB ip targets need IPs: list IPs, or set the Service's realizations.aws (instanceIds, lambdaFunctionArn or targetGroupArn)");
            return undefined;
        }
        tg = {
            ...base, name: awsName(`${b.service.split("/")[1]}-${b.port}`, `${ctx.plan.gateway}|${key}|ip|HTTP|${targetPort}|${vpc}${version}`),
            targetType: "ip", port: targetPort, protocol: "HTTP",
            targets: b.endpoints.map(e => ({ id: e.address, port: e.port ?? targetPort })),
        };
    }
    ctx.tgs.set(key, withTrafficPolicy(ctx, { ...tg, targets: tg.targets.map(withUnknown) }, b.traffic));
    return key;
}

/**
 * The gateway's one empty target group for invalid backends' shares (created on first use); gRPC
 * rules get a GRPC one, as a forward's target groups share one protocol version.
 */
export function invalidTargetGroup(ctx: BuildContext, grpc = false): string {
    const key = grpc ? INVALID_GRPC_TARGET_GROUP : INVALID_TARGET_GROUP;
    if (!ctx.tgs.has(key)) {
        ctx.tgs.set(key, {
            key, service: "", resourceName: `${ctx.prefix}-invalid-backends${grpc ? "-grpc" : ""}`,
            name: awsName(`${ctx.plan.name}-invalid`, `${ctx.plan.gateway}|invalid|${ctx.settings.vpcId}${grpc ? "|GRPC" : ""}`),
            targetType: "ip", port: 80, protocol: "HTTP", targets: [], invalid: true,
            ...(grpc ? { protocolVersion: "GRPC" as const } : {}),
        });
    }
    return key;
}
