// The nginx adapter's realize(): one NginxGateway (a dynamic resource owning one nginx process) per
// Gateway, a child of the Gateway component, carrying the GatewayInput it recompiles (with the teams'
// route files) on every apply; certificates stay secret. realizeRoutes(): one NginxRouteAttachment per
// route this stack attaches to another stack's nginx gateway.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GatewayPlan } from "../../routing/plan";
import { ListenerSetRealizeContext, RealizeContext, RealizeResult } from "../adapter";
import { NginxClassParameters, nginxGatewayHome, nginxListenAddress, nginxStateDir, normaliseCertificateKeys, trustedProxiesOf } from "./parameters";
import { nginxRefusal } from "./model";
import { NginxGateway, NginxListenerSetAttachment, NginxRouteAttachment } from "./resources";
import { listenerSetNotServedReason, notServedReason } from "../served";

export function realize(plan: GatewayPlan, ctx: RealizeContext): RealizeResult {
    const parameters = ctx.parameters as NginxClassParameters;
    const listenAddress = nginxListenAddress(plan, parameters);
    const dir = nginxStateDir(plan, parameters, pulumi.getStack());
    const certificates = ctx.certificates === undefined
        ? undefined
        : pulumi.secret(pulumi.output(ctx.certificates).apply(c => normaliseCertificateKeys(c ?? {}, plan.namespace)));
    const caCertificates = ctx.caCertificates === undefined
        ? undefined
        : pulumi.output(ctx.caCertificates).apply(c => normaliseCertificateKeys(c ?? {}, plan.namespace));
    // Whatever the renderer refuses (a regex without an exact PCRE meaning, a header the data plane
    // owns, …) fails here, at preview, before any file is written.
    const refusal = nginxRefusal(plan, { dir, listenAddress, trustedProxies: trustedProxiesOf(parameters) });
    if (refusal !== undefined) throw new pulumi.ResourceError(`Gateway ${plan.gateway}: the nginx data plane refuses this configuration: ${refusal}`, ctx.parent, true);
    // A CA bundle the Gateway was not given fails here, at preview, naming the argument (the keys are known before the values).
    const missing = plan.ports.flatMap(p => (p.frontendValidation?.caCertificateKeys ?? []).filter(k => !(ctx.caCertificateKeys ?? []).includes(k))
        .map(k => `port ${p.port} (${p.frontendValidation!.field}): no CA bundle for caCertificateRef ConfigMap ${k}; give its ca.crt as the Gateway's caCertificates["${k}"]`));
    if (missing.length > 0) throw new pulumi.ResourceError(`Gateway ${plan.gateway}: the nginx data plane refuses this configuration: ${[...new Set(missing)].join("; ")}`, ctx.parent, true);
    const home = nginxGatewayHome(plan, pulumi.getStack());
    const instance = new NginxGateway(`${plan.namespace}-${plan.name}-nginx`, {
        gateway: plan.gateway,
        dir,
        input: ctx.input,
        home,
        reusePort: parameters.reusePort ?? true,
        listenAddress,
        ...(parameters.nginxPath ? { nginxPath: parameters.nginxPath } : {}),
        ...(parameters.reloadTimeoutSeconds !== undefined ? { reloadTimeoutSeconds: parameters.reloadTimeoutSeconds } : {}),
        ...(certificates ? { certificates } : {}),
        ...(caCertificates ? { caCertificates } : {}),
    }, { parent: ctx.parent });
    const ports = [...new Set(plan.listeners.map(l => l.port))];
    const host = listenAddress.includes(":") && !listenAddress.startsWith("[") ? `[${listenAddress}]` : listenAddress;
    // Known once nginx serves (after create/update), so dependants wait for a live data plane.
    return { addresses: instance.generation.apply(() => ports.map(p => `${host}:${p}`)), attachment: { home } };
}

/**
 * A route of this stack on another stack's nginx gateway: a NginxRouteAttachment (a route file in the
 * gateway's home, recompiled into its nginx by this stack's `up`). A route no listener admits keeps
 * its status (NotAllowedByListeners, …), warns in preview, and fails the `up` with the reason and the
 * fix: the gateway checks against its own current listeners before the file is accepted.
 */
export function realizeRoutes(plan: GatewayPlan, ctx: RealizeContext): void {
    const home = homeOf(plan.gateway, ctx.attachment, ctx.parent);
    for (const route of ctx.input.routes) {
        const key = `${route.namespace ?? "default"}/${route.name}`;
        // Shown in preview; the attachment's create/update then fails with the same reason, checked by the
        // gateway against its own current listeners (the authority: this stack's copy of them may be stale).
        const why = notServedReason(key, ctx.routeStatuses ?? [], ctx.input.gateway, ctx.listenerSetStatuses);
        if (why) pulumi.log.warn(why, ctx.parent);
        const ns = route.namespace ?? "default";
        // Only the services this route references, and only its own namespace's (the gateway ignores others).
        const services = ctx.input.services.filter(s => (s.namespace ?? "default") === ns);
        new NginxRouteAttachment(`${ns}-${route.name}--${plan.namespace}-${plan.name}-nginx`, {
            gateway: plan.gateway,
            home,
            route: key,
            owner: `${pulumi.getProject()}/${pulumi.getStack()}`,
            spec: JSON.stringify({ route, services }),
        }, { parent: ctx.parent });
    }
}

/** The gateway's home from its reference's nginx attachment; refuses a reference without one. */
function homeOf(gateway: string, attachment: Record<string, unknown> | undefined, parent: pulumi.Resource): string {
    const home = attachment?.home;
    if (typeof home !== "string" || !path.isAbsolute(home)) {
        throw new pulumi.ResourceError(`Gateway ${gateway}'s reference carries no nginx attachment (attachments.nginx.home): ` +
            "export `gateway.reference` from the gateway's stack after a `pulumi up` with this version of gatewaykit", parent, true);
    }
    return home;
}

/**
 * A ListenerSet of this stack on another stack's nginx gateway: a NginxListenerSetAttachment (a file in
 * the gateway's home, with its certificates, recompiled into the gateway's nginx by this stack's `up`).
 * One the gateway does not admit warns in preview with its status and fails the `up` with the reason:
 * the gateway checks against its own current listeners and allowedListeners.
 */
export function realizeListenerSet(ctx: ListenerSetRealizeContext): pulumi.Resource[] {
    const home = homeOf(ctx.gateway, ctx.attachment, ctx.parent);
    const key = `${ctx.spec.namespace ?? "default"}/${ctx.spec.name}`;
    const why = listenerSetNotServedReason(key, [ctx.status], ctx.gateway);
    if (why) pulumi.log.warn(why, ctx.parent);
    const [gwNamespace, gwName] = ctx.gateway.split("/");
    const certificates = ctx.certificates === undefined ? undefined
        : pulumi.secret(pulumi.output(ctx.certificates).apply(c => normaliseCertificateKeys(c ?? {}, ctx.spec.namespace ?? "default")));
    return [new NginxListenerSetAttachment(`${ctx.spec.namespace ?? "default"}-${ctx.spec.name}--${gwNamespace}-${gwName}-nginx`, {
        gateway: ctx.gateway,
        home,
        listenerSet: key,
        owner: `${pulumi.getProject()}/${pulumi.getStack()}`,
        spec: JSON.stringify(ctx.spec),
        ...(certificates ? { certificates } : {}),
    }, { parent: ctx.parent })];
}
