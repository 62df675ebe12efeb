// One port of the plan → one ALB listener. The plan decided which Gateway listener owns which host
// (PortPlan.hosts); this file only reads it:
// - a rule is realised when it serves a host its listener owns (its id is in the owner's ruleIds
//   for the rule's hostname); otherwise a more specific listener takes every such host and the rule
//   is dropped with a note;
// - a Gateway listener's hostname that less specific listeners also match (HostOwner.shadows) gets
//   an "isolation" rule after its own rules (that hostname → 404), so its hosts never fall through
//   to the other listeners' rules.
// Rules then take priorities in the merged order (priorities.ts); HTTPS listeners take their
// certificates from the certificateRefs (ARNs, or names mapped by parameters.aws.certificateArns).

import { ListenerPlan, PortPlan } from "../../../routing/plan";
import { hostnameCovers } from "../../../routing/hostname";
import { FixedResponse } from "./actions";
import { HostHeader, caseCollisions } from "./conditions";
import { BuildContext, planned } from "./context";
import { awsName, slug } from "./names";
import { assignPriorities } from "./priorities";
import { assignSharedPriorities } from "./slots";
import { Entry, compareOrder, translateRule } from "./rules";
import { AlbListener, AlbMutualAuthentication, AlbRule } from "./types";

/**
 * spec.tls.frontend of an HTTPS port as the listener's mutualAuthentication. AllowValidOnly is
 * "verify" (a client without a certificate its trust store's CAs issued is refused in the handshake;
 * expired certificates too: ignoreClientCertificateExpiry stays false), which needs the CA bundle in
 * S3 (parameters.aws.trustStoreBucket). AllowInsecureFallback is "passthrough": the ALB accepts every
 * client, as the mode says, and hands the certificate it got to the targets unverified.
 */
function mutualAuthentication(ctx: BuildContext, port: PortPlan, listenerResource: string): AlbMutualAuthentication | undefined {
    const v = port.frontendValidation;
    if (!v) return undefined;
    if (v.mode === "AllowInsecureFallback") {
        ctx.warnings.push(`Gateway ${ctx.plan.gateway} port ${port.port} (${v.field}): AllowInsecureFallback is the ALB's "passthrough" mode: every client is accepted and its certificate chain, if any, reaches the targets unverified in the X-Amzn-Mtls-Clientcert header; the targets must validate it`);
        return { mode: "passthrough" };
    }
    const bucket = ctx.settings.trustStoreBucket;
    if (!bucket) {
        ctx.problems.push(`Gateway ${ctx.plan.gateway} port ${port.port} (${v.field}): an ALB validates client certificates against a trust store made from a CA bundle in S3; ` +
            "set GatewayClass parameters.aws.trustStoreBucket to a bucket of yours in the ALB's region, and gatewaykit uploads the bundle (the Gateway's caCertificates) there");
        return undefined;
    }
    const gw = ctx.plan.gateway;
    return {
        mode: "verify",
        trustStore: {
            resourceName: `${listenerResource}-trust`,
            name: awsName(`${ctx.plan.name}-${port.port}-trust`, `${gw}|${port.port}|${v.caCertificateKeys.join(",")}`),
            bucket, key: `gatewaykit/${gw}/client-ca-${port.port}.pem`, caCertificateKeys: [...v.caCertificateKeys],
        },
    };
}

/** The port's ALB listener; undefined for an HTTPS port none of whose certificates resolved (reported). */
export function buildListener(ctx: BuildContext, port: PortPlan, protocol: "HTTP" | "HTTPS"): AlbListener | undefined {
    const { plan } = ctx;
    const byName = new Map(plan.listeners.filter(l => l.port === port.port).map(l => [l.name, l] as const));
    const ordered = port.listeners.map(name => planned(byName.get(name), `listener ${name} of port ${port.port}`));
    const alb: AlbListener = {
        resourceName: `${ctx.prefix}-${protocol.toLowerCase()}-${port.port}`,
        port: port.port, protocol,
        gatewayListeners: [...port.listeners],
        certificateArns: [],
        certificateRefs: [],
        rules: [],
    };
    if (protocol === "HTTPS" && !ctx.team) {
        for (const l of ordered) addCertificates(ctx, alb, l);
        if (alb.certificateArns.length === 0) return undefined;
        const mutual = mutualAuthentication(ctx, port, alb.resourceName);
        if (mutual) alb.mutualAuthentication = mutual;
    }

    if (ctx.team) ctx.problems.push(...uncoveredIsolation(ordered, port.port));

    // Each rule hostname's (precise name, wildcard or undefined) owner entry and its place in the port's host order.
    const owners = new Map(port.hosts.map((h, rank) => [h.pattern, { ...h, rank, serves: new Set(h.ruleIds) }] as const));
    const entries: Entry[] = [];
    // Per listener, the route namespaces whose rules it realises (a team's ListenerSet isolation takes the last one's cell).
    const namespacesOn = new Map<string, Set<string>>();
    ordered.forEach((l, li) => {
        l.rules.forEach((rule, ri) => {
            const owner = planned(owners.get(rule.hostname), `host owner of ${rule.hostname ?? "any host"} on port ${port.port}`);
            if (owner.listener !== l.name || !owner.serves.has(rule.id)) {
                ctx.notes.push(`${planned(rule.label, "rule label")} on listener ${l.name} is not realised for host ${rule.hostname ?? "*"}: listener ${owner.listener} ` +
                    "is more specific for every such host, so the rule can never be chosen");
                return;
            }
            const translated = translateRule(ctx, alb, rule, [owner.rank, li, ri]);
            if (translated.length > 0) namespacesOn.set(l.name, (namespacesOn.get(l.name) ?? new Set()).add(rule.routeNamespace));
            entries.push(...translated);
        });
    });
    port.hosts.forEach((h, rank) => {
        if (h.origin !== "listener" || h.pattern === undefined || h.shadows.length === 0) return;
        const listenerSet = byName.get(h.listener)?.listenerSet;
        // A team's stack isolates its own ListenerSets' listeners only; the Gateway's are the operator's.
        if (ctx.team && !listenerSet) return;
        const key = `isolate:${h.listener}`;
        const owner = ctx.team && listenerSet ? isolationOwner(listenerSet.namespace, namespacesOn.get(h.listener), ctx.team.namespaces) : undefined;
        entries.push({
            item: { key, hostname: h.pattern, path: { type: "PathPrefix", value: "/" }, headers: [], queries: [] },
            order: [rank, port.listeners.indexOf(h.listener), Number.MAX_SAFE_INTEGER, 0],
            rule: {
                key, resourceName: `${ctx.prefix}-${port.port}-isolate-${slug(h.listener)}`,
                conditions: [HostHeader.forHostname(h.pattern, port.port, protocol).render()],
                actions: [new FixedResponse(404, "Not Found").render()],
                targetGroups: [],
                ...(owner !== undefined ? { owner } : {}),
            },
        });
    });

    entries.sort((a, b) => compareOrder(a.order, b.order));
    const shared = ctx.team?.namespaces ?? ctx.settings.namespaces;
    let priorities: Map<string, number>;
    if (shared) {
        // Listeners shared across stacks: priorities by precedence band and namespace slot (slots.ts).
        const assigned = assignSharedPriorities(entries.map(e => {
            const namespace = namespaceOf(e.rule);
            return {
                item: e.item,
                ...(namespace !== undefined ? { namespace } : {}),
                label: e.rule.source ? e.rule.source.label : `Gateway ${plan.gateway} port ${port.port} isolation rule ${e.item.key}`,
            };
        }), ns => shared[ns]?.slot);
        priorities = assigned.priorities;
        ctx.problems.push(...assigned.problems.map(p => `${p} (port ${port.port})`));
    } else {
        const assigned = assignPriorities(entries.map(e => e.item));
        priorities = assigned.priorities;
        for (const key of assigned.overflow) {
            const e = entries.find(x => x.item.key === key)!;
            ctx.problems.push(`${e.rule.source ? e.rule.source.label : key}: no free ALB rule priority left on port ${port.port} (1–50000); split the routes across gateways`);
        }
    }
    alb.rules = entries.filter(e => priorities.has(e.item.key))
        .map(e => ({ ...e.rule, priority: priorities.get(e.item.key)! }))
        .sort((a, b) => a.priority - b.priority);
    ctx.warnings.push(...caseCollisions(alb.rules));
    return alb;
}

/**
 * Whose cell a team's ListenerSet listener's isolation rule takes: the last slot among the ListenerSet's
 * namespace and the namespaces of the rules it realises there. Its path "/" puts it in the last path
 * band of its host level, and the last slot's cell there comes after every such rule of the listener
 * (they serve only hosts of its hostname), so it answers 404 only where none of them matches — before
 * any less specific listener's rule. Those cells are this stack's own: no other stack numbers there.
 */
function isolationOwner(listenerSetNamespace: string, ruleNamespaces: Set<string> | undefined, shares: Record<string, { slot: number }>): string {
    let owner = listenerSetNamespace;
    for (const ns of ruleNamespaces ?? []) {
        if ((shares[ns]?.slot ?? -1) > (shares[owner]?.slot ?? -1)) owner = ns;
    }
    return owner;
}

/**
 * A team's ListenerSet listener whose wildcard hostname covers a Gateway listener's hostname on the
 * port that the operator's stack does not isolate (no less specific Gateway listener there, so in
 * its view nothing shadows it): on the ALB this stack's rules for the wildcard would come after the
 * operator's rules for that host and take the requests they leave, which the Gateway's listener owns
 * (404). Refused, with the fix.
 */
function uncoveredIsolation(listeners: ListenerPlan[], port: number): string[] {
    const problems: string[] = [];
    const own = listeners.filter(l => !l.listenerSet);
    for (const l of listeners) {
        if (!l.listenerSet || l.hostname === undefined) continue;
        for (const g of own) {
            const host = g.hostname;
            if (host === undefined || host === l.hostname || !hostnameCovers(l.hostname, host)) continue;
            const isolated = own.some(o => o !== g && (o.hostname === undefined || (o.hostname !== host && hostnameCovers(o.hostname, host))));
            if (isolated) continue;
            problems.push(`ListenerSet ${l.listenerSet.namespace}/${l.listenerSet.name} listener ${l.listenerSet.sectionName}: its hostname ${l.hostname} covers the Gateway's listener ${g.name} ` +
                `(${g.hostname}) on port ${port}, which the operator's stack does not isolate (no less specific Gateway listener on the port), so on the shared ALB this stack's rules ` +
                `would take the requests for ${g.hostname} that the operator's rules leave; use a hostname that does not cover ${g.hostname}, or ask the operator to add a listener ` +
                `without hostname on port ${port} to the Gateway (its stack then isolates ${g.hostname})`);
        }
    }
    return problems;
}

function addCertificates(ctx: BuildContext, alb: AlbListener, l: ListenerPlan): void {
    const refs = l.tls?.certificateRefs ?? [];
    const keys = refs.length ? planned(l.tls?.certificateKeys, `certificateKeys of listener ${l.name}`) : [];
    refs.forEach((ref, i) => {
        const arn = ref.name.startsWith("arn:") ? ref.name : ctx.settings.certificateArns[keys[i]] ?? ctx.settings.certificateArns[ref.name];
        if (arn === undefined) {
            ctx.problems.push(`Gateway ${ctx.plan.gateway} listener ${l.name}: certificateRef ${JSON.stringify(ref.name)} is neither an ACM certificate ARN ` +
                "nor a key of GatewayClass parameters.aws.certificateArns; write the ARN (arn:aws:acm:…) as the certificateRef name, or map the name to an ARN in certificateArns");
        } else if (!alb.certificateArns.includes(arn)) {
            alb.certificateArns.push(arn);
            alb.certificateRefs.push(ref.name.startsWith("arn:") ? ref.name : keys[i]);
        }
    });
}

/** The namespace whose slot a rule takes: its route's, or an isolation rule's owner's. */
export function namespaceOf(rule: Pick<AlbRule, "source" | "owner">): string | undefined {
    return rule.source ? rule.source.route.slice(0, rule.source.route.indexOf("/")) : rule.owner;
}
