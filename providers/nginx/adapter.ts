// The nginx adapter's realize(): one NginxGateway (a dynamic resource owning one nginx process) per
// Gateway, a child of the Gateway component. The plan travels as JSON; certificates stay secret.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GatewayPlan } from "../../routing/plan";
import { Adapter, RealizeContext, RealizeResult } from "../adapter";
import { NginxClassParameters, nginxAdapter as declaredNginxAdapter } from "./capabilities";
import { defaultStateRoot } from "./echo";
import { GatewaySources, notServedReason } from "./attach";
import { NginxGateway, NginxRouteAttachment } from "./provider";
import { nginxRefusal } from "./render";

// The control endpoint is the unix socket <dir>/run/control.sock; sun_path holds at most 107 bytes.
const MAX_DIR_LENGTH = 107 - "/run/control.sock".length;

/**
 * <state root>/<stack>/_gateways/<namespace>/<name>: the gateway's home, where other stacks' route files
 * live. It does not depend on the class (workDir), so swapping the class keeps the teams' routes; "_"
 * cannot start a namespace, so it never meets an instance dir.
 */
export function nginxGatewayHome(plan: Pick<GatewayPlan, "namespace" | "name">, stack: string): string {
    return path.join(defaultStateRoot(), stack, "_gateways", plan.namespace, plan.name);
}

/** <workDir or the state root (defaultStateRoot)>/<stack>/<namespace>/<name>: unique per stack and gateway. */
export function nginxStateDir(plan: Pick<GatewayPlan, "namespace" | "name">, parameters: NginxClassParameters, stack: string): string {
    const root = parameters.workDir ? path.resolve(parameters.workDir) : defaultStateRoot();
    return path.join(root, stack, plan.namespace, plan.name);
}

function parametersProblems(plan: GatewayPlan, parameters: Record<string, unknown>): string[] {
    const p = parameters as NginxClassParameters;
    const problems: string[] = [];
    if (p.listenAddress !== undefined && !/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|localhost)$/.test(String(p.listenAddress))) {
        problems.push(`parameters.nginx.listenAddress must be an IPv4 address, a bracketed IPv6 address or "localhost" (got ${JSON.stringify(p.listenAddress)})`);
    }
    for (const key of ["workDir", "nginxPath"] as const) {
        const v = p[key];
        if (v !== undefined && (typeof v !== "string" || v === "" || /[\0\n]/.test(v))) {
            problems.push(`parameters.nginx.${key} must be a non-empty path (got ${JSON.stringify(v)})`);
        }
    }
    if (problems.length === 0) {
        const dir = nginxStateDir(plan, p, pulumi.getStack?.() ?? "stack");
        if (dir.length > MAX_DIR_LENGTH) {
            problems.push(`the nginx state directory ${dir} is ${dir.length} characters; its control socket needs at most ${MAX_DIR_LENGTH}: ` +
                "set a shorter parameters.nginx.workDir");
        }
    }
    return problems;
}

/** Certificates keyed "namespace/name"; a bare "name" is in the gateway's namespace (as a certificateRef without namespace). */
function normaliseCertificateKeys<T>(certs: Record<string, T>, namespace: string): Record<string, T> {
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(certs)) out[k.includes("/") ? k : `${namespace}/${k}`] = v;
    return out;
}

/** The plan as nginx needs it: without the source specs some adapters carry (they would only add state noise). */
function planForNginx(plan: GatewayPlan): GatewayPlan {
    const { sources: _sources, ...rest } = plan as GatewayPlan & { sources?: unknown };
    return rest;
}

function realize(plan: GatewayPlan, ctx: RealizeContext): RealizeResult {
    const parameters = ctx.parameters as NginxClassParameters;
    const listenAddress = parameters.listenAddress ?? "127.0.0.1";
    const dir = nginxStateDir(plan, parameters, pulumi.getStack());
    const certificates = ctx.certificates === undefined
        ? undefined
        : pulumi.secret(pulumi.output(ctx.certificates).apply(c => normaliseCertificateKeys(c ?? {}, plan.namespace)));
    // Whatever the renderer refuses (a regex without an exact PCRE meaning, a header the data plane
    // owns, …) fails here, at preview, before any file is written.
    const refusal = nginxRefusal(planForNginx(plan), { dir, listenAddress });
    if (refusal !== undefined) throw new pulumi.ResourceError(`Gateway ${plan.gateway}: the nginx data plane refuses this configuration: ${refusal}`, ctx.parent, true);
    const home = nginxGatewayHome(plan, pulumi.getStack());
    const sources: GatewaySources = {
        gatewayClass: { name: plan.className, controllerName: plan.controllerName ?? declaredNginxAdapter.controllerNames[0] },
        gateway: plan.sources?.gateway ?? { name: plan.name, namespace: plan.namespace, gatewayClassName: plan.className, listeners: [] },
        routes: plan.sources?.routes ?? [],
        services: plan.sources?.services ?? [],
        namespaces: ctx.namespaces ?? [],
    };
    const instance = new NginxGateway(`${plan.namespace}-${plan.name}-nginx`, {
        gateway: plan.gateway,
        dir,
        plan: JSON.stringify(planForNginx(plan)),
        home,
        sources: JSON.stringify(sources),
        reusePort: parameters.reusePort ?? true,
        listenAddress,
        ...(parameters.nginxPath ? { nginxPath: parameters.nginxPath } : {}),
        ...(certificates ? { certificates } : {}),
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
function realizeRoutes(plan: GatewayPlan, ctx: RealizeContext): void {
    const home = ctx.attachment?.home;
    if (typeof home !== "string" || !path.isAbsolute(home)) {
        throw new pulumi.ResourceError(`Gateway ${plan.gateway}'s reference carries no nginx attachment (attachments.nginx.home): ` +
            "export `gateway.reference` from the gateway's stack after a `pulumi up` with this version of gatewaykit", ctx.parent, true);
    }
    for (const route of plan.sources?.routes ?? []) {
        const key = `${route.namespace ?? "default"}/${route.name}`;
        // Shown in preview; the attachment's create/update then fails with the same reason, checked by the
        // gateway against its own current listeners (the authority: this stack's copy of them may be stale).
        const why = notServedReason(key, ctx.routeStatuses ?? [], plan.sources!.gateway);
        if (why) pulumi.log.warn(why, ctx.parent);
        const ns = route.namespace ?? "default";
        // Only the services this route references, and only its own namespace's (the gateway ignores others).
        const services = (plan.sources?.services ?? []).filter(s => (s.namespace ?? "default") === ns);
        new NginxRouteAttachment(`${ns}-${route.name}--${plan.namespace}-${plan.name}-nginx`, {
            gateway: plan.gateway,
            home,
            route: key,
            owner: `${pulumi.getProject()}/${pulumi.getStack()}`,
            spec: JSON.stringify({ route, services }),
        }, { parent: ctx.parent });
    }
}

export const nginxAdapter: Adapter = {
    ...declaredNginxAdapter,
    model: (plan, { parameters }) => ({ problems: parametersProblems(plan, parameters) }),
    realize,
    realizeRoutes,
};
