// attach, first step for ListenerSets: which ListenerSets a Gateway admits (spec.allowedListeners),
// and the merged listener list the CRD defines — the Gateway's own listeners first, then each
// admitted ListenerSet's in "{namespace}/{name}" order (the CRD orders by creation time first;
// gatewaykit has no creation timestamps, so the name decides, as it does for routes). A ListenerSet
// listener that collides with an earlier listener of the merged list is the one Conflicted: same
// port with another protocol (ProtocolConflict), or same port, protocol and hostname
// (HostnameConflict). A conflicted listener stays out of the plan, so the earlier one keeps its port
// and hosts untouched. The rest of the plan (ports, host ownership, adapters) sees merged listeners
// like any other.

import { CompileInput, Condition, ListenerSetStatus } from "../plan";
import { GATEWAY_GROUP, GatewaySpec, Listener, ListenerSetSpec } from "../types";
import { ListenerConflict, ListenerState, listenerStateOf, selectorMatches } from "./attach";
import { Context, cond, key, ns } from "./context";

/** The plan name of a listener: its own for a Gateway listener, "{namespace}/{listenerSet}/{name}" for a ListenerSet's. */
export function planListenerName(state: Pick<ListenerState, "listener" | "listenerSet">): string {
    return state.listenerSet ? `${key(state.listenerSet)}/${state.listener.name}` : state.listener.name;
}

/** Does the Gateway's allowedListeners admit ListenerSets from `listenerSetNs`? Absent or "None": no. */
export function listenerSetAllowed(gw: GatewaySpec, listenerSetNs: string, ctx: Context): boolean {
    const from = gw.allowedListeners?.namespaces?.from ?? "None";
    switch (from) {
        case "All": return true;
        case "Same": return listenerSetNs === ns(gw);
        case "Selector": return selectorMatches(gw.allowedListeners?.namespaces?.selector, ctx.namespaceLabels.get(listenerSetNs) ?? {});
        default: return false;
    }
}

/** The ListenerSets of `input` in merge order ("namespace/name"). */
export function sortedListenerSets(listenerSets: readonly ListenerSetSpec[]): ListenerSetSpec[] {
    return [...listenerSets].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Why `l` cannot join the merged list after `earlier` (the non-conflicted listeners before it), if it cannot. */
export function listenerConflict(l: Listener, earlier: readonly ListenerState[]): ListenerConflict | undefined {
    const onPort = earlier.filter(e => e.listener.port === l.port);
    const other = onPort.find(e => e.listener.protocol !== l.protocol);
    if (other) {
        return {
            reason: "ProtocolConflict",
            accepted: `port ${l.port} is already used with protocol ${other.listener.protocol} by ${ownerText(other)}; use another port for this ${l.protocol} listener`,
            conflicted: `port ${l.port} is used with both ${other.listener.protocol} (${ownerText(other)}) and ${l.protocol} (this listener)`,
        };
    }
    const same = onPort.find(e => (e.listener.hostname ?? "") === (l.hostname ?? ""));
    if (same) {
        const host = l.hostname === undefined ? "no hostname (any host)" : `hostname ${l.hostname}`;
        return {
            reason: "HostnameConflict",
            accepted: `${ownerText(same)} already serves port ${l.port} with ${host}, and it comes first; give this listener another hostname or port`,
            conflicted: `port ${l.port} with ${host} is also claimed by ${ownerText(same)}, which takes precedence`,
        };
    }
    return undefined;
}

/**
 * Says which earlier listener a conflict is with: a Gateway listener by name; another team's
 * ListenerSet only as such (the CRD asks not to leak siblings' details to a ListenerSet's status).
 */
function ownerText(e: ListenerState): string {
    return e.listenerSet ? "a listener of an earlier ListenerSet" : `listener ${e.listener.name} of Gateway ${key(e.gateway)}`;
}

/**
 * Appends every admitted ListenerSet's listeners to its Gateway's states in `listenerStates` (keyed
 * by gateway), records each admitted ListenerSet's Gateway in ctx.listenerSetParents, and returns
 * one status per input ListenerSet in "namespace/name" order (undefined when the input has none).
 */
export function mergeListenerSets(input: CompileInput, ctx: Context, listenerStates: Map<string, ListenerState[]>): ListenerSetStatus[] | undefined {
    if (input.listenerSets === undefined) return undefined;
    const statuses: ListenerSetStatus[] = [];
    for (const ls of sortedListenerSets(input.listenerSets)) {
        const parentRef = {
            group: ls.parentRef.group ?? GATEWAY_GROUP,
            kind: ls.parentRef.kind ?? "Gateway",
            namespace: ls.parentRef.namespace ?? ns(ls),
            name: ls.parentRef.name,
        };
        const gwText = `Gateway ${parentRef.namespace}/${parentRef.name}`;
        const refused = (reason: string, message: string, programmed: string): void => {
            statuses.push({
                listenerSet: key(ls), parentRef,
                conditions: [cond("Accepted", false, reason, message), cond("Programmed", false, programmed, message)],
                listeners: [],
            });
        };
        const gw = ctx.gateways.get(`${parentRef.namespace}/${parentRef.name}`);
        if (!gw) {
            refused("ParentNotAccepted", `${gwText} does not exist`, "ParentNotProgrammed");
            continue;
        }
        if (!listenerSetAllowed(gw, ns(ls), ctx)) {
            const from = gw.allowedListeners?.namespaces?.from ?? "None";
            refused("NotAllowed", `${gwText} does not admit ListenerSets from namespace ${ns(ls)} (its spec.allowedListeners.namespaces.from is ${from}); ` +
                `the Gateway's owner must allow this namespace (from: All, Same or a Selector matching it)`, "Invalid");
            continue;
        }
        const states = listenerStates.get(key(gw))!;
        const classKnown = !input.gatewayClasses || ctx.classes.has(gw.gatewayClassName);
        if (!classKnown || !states.some(s => s.listenerSet === undefined && s.valid)) {
            refused("ParentNotAccepted", `${gwText} is not accepted (see its status), so it programs no listeners of its ListenerSets`, "ParentNotProgrammed");
            continue;
        }
        const own: ListenerState[] = [];
        for (const l of ls.listeners) {
            const conflict = listenerConflict(l, states.filter(s => !s.conflicted));
            const state = listenerStateOf(gw, l, ctx, conflict, ls);
            own.push(state);
            states.push(state);
        }
        ctx.listenerSetParents.set(ls, gw);
        const anyValid = own.some(s => s.valid);
        const conditions: Condition[] = anyValid
            ? [cond("Accepted", true, "Accepted", `listeners merged into ${gwText}`), cond("Programmed", true, "Programmed", "routing plan compiled")]
            : [cond("Accepted", false, "ListenersNotValid", "no listener is valid (see each listener's conditions)"), cond("Programmed", false, "Invalid", "no listener is valid")];
        statuses.push({ listenerSet: key(ls), parentRef, gateway: key(gw), conditions, listeners: own.map(s => s.status) });
    }
    return statuses;
}
