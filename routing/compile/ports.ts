// attach, last step: per port, its protocol and host ownership, decided once. The semantics are
// simulate's: among the port's listeners of the request's protocol, the one whose hostname matches
// the host most specifically takes it (the first on a tie); of its rules, those whose hostname
// matches the host are candidates.
//
// Why "the first entry whose pattern matches" is the same thing: the patterns matching one host form
// a chain ("a.b.c" ⊂ "*.b.c" ⊂ "*.c"), each covering the next, and specificity order is that chain's
// order. So the most specific entry P matching a host h is covered by every listener and every rule
// hostname that matches h, and by nothing else on the port: the owner of P is the most specific
// listener matching h, and the rules serving every host of P are the rules matching h.

import { compareHostnameSpecificity, hostnameCovers } from "../hostname";
import { HostOwner, ListenerPlan, PortPlan } from "../plan";

/** Does a listener hostname (undefined: any host) take every host of `pattern` (undefined: any host)? */
function covers(listenerHost: string | undefined, pattern: string | undefined): boolean {
    if (listenerHost === undefined) return true;
    return pattern !== undefined && hostnameCovers(listenerHost, pattern);
}

export function portsOf(gateway: string, listeners: readonly ListenerPlan[]): PortPlan[] {
    const byPort = new Map<number, ListenerPlan[]>();
    for (const l of listeners) {
        const list = byPort.get(l.port);
        if (list) list.push(l); else byPort.set(l.port, [l]);
    }
    return [...byPort.keys()].sort((a, b) => a - b).map(port => portOf(gateway, port, byPort.get(port)!));
}

function portOf(gateway: string, port: number, onPort: ListenerPlan[]): PortPlan {
    const protocols = [...new Set(onPort.map(l => l.protocol))];
    if (protocols.length > 1) {
        const names = onPort.map(l => l.name);
        return {
            port, listeners: names, hosts: [],
            conflict: {
                listeners: names,
                message: `Gateway ${gateway}: listeners ${onPort.map(l => `${l.name} (${l.protocol})`).join(", ")} share port ${port} with ` +
                    `different protocols; a port carries one protocol: move the ${protocols.slice(1).join(" and ")} listeners to another port`,
            },
        };
    }
    // Array.prototype.sort is stable: declaration order among equals, so the first wins a tie.
    const ordered = [...onPort].sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname));

    // One pass over each listener's rules: their positions by hostname, whose keys are the rule hostnames.
    const indexes = new Map<ListenerPlan, Map<string | undefined, number[]>>(ordered.map(l => [l, positionsByHostname(l)]));
    const origins = new Map<string | undefined, HostOwner["origin"]>();
    for (const l of ordered) origins.set(l.hostname, "listener");
    for (const l of ordered) for (const h of indexes.get(l)!.keys()) if (h !== undefined && !origins.has(h)) origins.set(h, "rule");
    const patterns = [...origins.keys()].sort((a, b) => compareHostnameSpecificity(a, b) || (a! < b! ? -1 : a! > b! ? 1 : 0));

    const hosts: HostOwner[] = patterns.map(pattern => {
        const owner = ordered.find(l => covers(l.hostname, pattern))!;
        const index = indexes.get(owner)!;
        return {
            ...(pattern !== undefined ? { pattern } : {}),
            origin: origins.get(pattern)!,
            listener: owner.name,
            ruleIds: servingPositions(index, pattern).map(i => owner.rules[i].id),
            shadows: ordered.filter(l => l !== owner && covers(l.hostname, pattern)).map(l => l.name),
        };
    });
    return { port, protocol: protocols[0], listeners: ordered.map(l => l.name), hosts };
}

/** Positions in listener.rules (precedence order) by rule hostname. */
function positionsByHostname(l: ListenerPlan): Map<string | undefined, number[]> {
    const out = new Map<string | undefined, number[]>();
    l.rules.forEach((r, i) => {
        const list = out.get(r.hostname);
        if (list) list.push(i); else out.set(r.hostname, [i]);
    });
    return out;
}

/**
 * Positions of the rules whose hostname covers every host of `pattern`: no hostname, the pattern
 * itself, or a wildcard over one of its parent domains ("a.b.c" ← "*.b.c", "*.c"). Looked up rather
 * than scanned, so a port with many rule hostnames stays linear.
 */
function servingPositions(index: Map<string | undefined, number[]>, pattern: string | undefined): number[] {
    const lists: number[][] = [];
    const add = (h: string | undefined) => { const l = index.get(h); if (l) lists.push(l); };
    add(undefined);
    if (pattern !== undefined) {
        add(pattern);
        const labels = (pattern.startsWith("*.") ? pattern.slice(2) : pattern).split(".");
        for (let i = 1; i < labels.length; i++) add("*." + labels.slice(i).join("."));
    }
    if (lists.length === 1) return lists[0];
    return lists.flat().sort((a, b) => a - b);
}
