// Why a route or ListenerSet is not served by a gateway, in one wording every adapter uses: each
// parent's conditions, each listener's admission rule and the fix. Pure (no @pulumi import): the nginx
// dynamic-provider host loads it too.

import type { ListenerSetStatus, RouteParentStatus, RouteStatus } from "../routing/plan";
import type { GatewaySpec, Listener } from "../routing/types";

function describeFrom(l: Listener, gatewayNamespace: string): string {
    const from = l.allowedRoutes?.namespaces?.from ?? "Same";
    if (from === "Same") return `namespace ${gatewayNamespace} only (allowedRoutes.namespaces.from: Same)`;
    if (from === "All") return "all namespaces";
    return `namespaces whose labels match ${JSON.stringify(l.allowedRoutes?.namespaces?.selector ?? {})}`;
}

function isAccepted(p: RouteParentStatus): boolean {
    return p.conditions.some(c => c.type === "Accepted" && c.status === "True");
}

/**
 * Undefined when `key` attaches to the gateway; otherwise why not, with its conditions, each
 * listener's admission rule and the fix. Never silently unserved: the attaching `up` fails with this.
 */
export function notServedReason(key: string, routes: RouteStatus[], gateway: Pick<GatewaySpec, "name" | "namespace" | "listeners">,
    listenerSets?: ListenerSetStatus[]): string | undefined {
    const gwNamespace = gateway.namespace ?? "default";
    const label = `${gwNamespace}/${gateway.name}`;
    const status = routes.find(r => r.route === key);
    // A ListenerSet parent is this gateway's when its status names the gateway (unknown statuses: assumed so).
    const ofGateway = (p: RouteParentStatus) => p.parentRef.kind === "ListenerSet"
        ? listenerSets === undefined || listenerSets.some(l => l.listenerSet === `${p.parentRef.namespace}/${p.parentRef.name}` && l.parentRef.name === gateway.name && l.parentRef.namespace === gwNamespace)
        : p.parentRef.name === gateway.name && p.parentRef.namespace === gwNamespace;
    const parents = (status?.parents ?? []).filter(ofGateway);
    const refused = parents.filter(p => !isAccepted(p));
    if (parents.length > 0 && refused.length === 0) return undefined;
    const routeNs = key.split("/")[0];
    const reasons = refused.map(p => {
        const c = p.conditions.find(x => x.type === "Accepted");
        const where = p.parentRef.sectionName ? ` (sectionName ${p.parentRef.sectionName})` : p.parentRef.port ? ` (port ${p.parentRef.port})` : "";
        return `parentRef${where}: Accepted=False, reason ${c?.reason ?? "?"}: ${c?.message ?? ""}`;
    });
    const listeners = gateway.listeners.map(l => `listener ${l.name} (port ${l.port}) admits HTTPRoutes from ${describeFrom(l, gwNamespace)}`);
    const notAllowed = refused.some(p => p.conditions.some(c => c.reason === "NotAllowedByListeners"));
    const fix = notAllowed
        ? `ask the owner of Gateway ${label} to admit namespace ${routeNs} (listeners[].allowedRoutes.namespaces.from: All, or a Selector matching its labels), or attach the route to a listener that admits it`
        : parents.length === 0
            ? `name Gateway ${label} in spec.parentRefs`
            : "fix the parentRef (sectionName, port) or the hostnames so a listener accepts the route";
    return `HTTPRoute ${key} is not served by Gateway ${label}: ` +
        (reasons.length ? reasons.join("; ") : "no parentRef names the gateway") +
        `. ${listeners.join("; ")}. Fix: ${fix}`;
}

/**
 * Undefined when ListenerSet `key` is Accepted on the gateway with every listener accepted; otherwise
 * its conditions (and each refused listener's) and the fix: the attaching `up` fails with this.
 */
export function listenerSetNotServedReason(key: string, statuses: ListenerSetStatus[] | undefined, gatewayLabel: string): string | undefined {
    const status = statuses?.find(s => s.listenerSet === key);
    if (!status) return `ListenerSet ${key} is not served by Gateway ${gatewayLabel}: the gateway compiled no status for it. Fix: name Gateway ${gatewayLabel} in spec.parentRef`;
    const accepted = status.conditions.find(c => c.type === "Accepted");
    const refusedListeners = status.listeners.filter(l => l.conditions.some(c => (c.type === "Accepted" && c.status === "False") || (c.type === "Conflicted" && c.status === "True")));
    if (accepted?.status === "True" && refusedListeners.length === 0) return undefined;
    const parts = accepted?.status === "True" ? [] : [`Accepted=False, reason ${accepted?.reason ?? "?"}: ${accepted?.message ?? ""}`];
    for (const l of refusedListeners) {
        const c = l.conditions.find(x => x.type === "Conflicted" && x.status === "True") ?? l.conditions.find(x => x.type === "Accepted");
        parts.push(`listener ${l.name}: ${c?.type}=${c?.status}, reason ${c?.reason ?? "?"}: ${c?.message ?? ""}`);
    }
    const fix = accepted?.reason === "NotAllowed"
        ? `ask the owner of Gateway ${gatewayLabel} to admit namespace ${key.split("/")[0]} (spec.allowedListeners.namespaces.from: All, or a Selector matching its labels)`
        : "change the listeners (hostname, port, protocol) so they do not conflict with the gateway's, and are valid";
    return `ListenerSet ${key} is not served by Gateway ${gatewayLabel}: ${parts.join("; ")}. Fix: ${fix}`;
}
