// The URL map of one port, from the plan's host ownership (PortPlan.hosts) and rules. GCP picks ONE
// hostRule per request: the exact host, then the longest matching wildcard, then "*" — the order of
// PortPlan.hosts, whose first matching entry owns a host. So every host entry becomes a hostRule
// whose pathMatcher holds the entry's rules (the owning listener's rules serving those hosts, in
// precedence order); entries with identical rule lists share one pathMatcher. An entry without
// rules is left out unless it keeps its hosts from another listener (its shadows): then it is a
// 404 pathMatcher. Route rules get priorities in plan order, sparse: a band per (hostname, path
// type, path length) class and a rank within the band, so adding a rule renumbers only the rules
// of its own class. Unmatched hosts and paths go to the URL map's and each pathMatcher's
// defaultRouteAction: abort 100% with 404, aimed at a "sink" backend service that has no backends
// (so even without the abort nothing could be served).

import { isWildcard } from "../../../routing/hostname";
import { GatewayPlan, ListenerPlan, PlanRule, PortPlan } from "../../../routing/plan";
import { BackendTarget } from "./backends";
import { shortHash } from "./names";
import { RuleParts, ruleBodies } from "./routeRules";
import { PathMatcherSpec, RouteActionSpec, RouteRuleSpec, UrlMapBuild, UrlMapSpec } from "./urlmapTypes";

/** Route rules one (hostname, path type, path length) class may hold in one pathMatcher. */
export const RANK_SLOTS = 1000;

export function notFoundAction(sinkLink: string): RouteActionSpec {
    return { weightedBackendServices: [{ backendService: sinkLink, weight: 1 }], faultInjectionPolicy: { abort: { httpStatus: 404, percentage: 100 } } };
}

/** Any host is `undefined` in the plan and "*" on GCP. */
const ANY = "*";

// ---------------------------------------------------------------- priorities

const HOST_LEN = 256, PATH_LEN = 1025, PATH_RANKS = 4;
const BAND_MAX = ((1 * HOST_LEN + HOST_LEN - 1) * PATH_RANKS + PATH_RANKS - 1) * PATH_LEN + PATH_LEN - 1;

/**
 * Larger = higher priority; plan order never increases it within one pathMatcher. A GRPCRoute rule
 * (whose precedence after the hostname is service length, then method length) takes the path slots
 * by `grpcClass`, the dense rank of its (service, method) lengths in its pathMatcher.
 */
function band(r: PlanRule, grpcClass?: Map<string, number>): number {
    const precise = r.hostname !== undefined && !isWildcard(r.hostname) ? 1 : 0;
    const hostLen = r.hostname?.length ?? 0;
    const grpc = r.protocol === "grpc" && grpcClass !== undefined;
    const pathRank = grpc ? 1 : r.match.path.type === "Exact" ? 3 : r.match.path.type === "RegularExpression" ? 2 : 1;
    const pathLen = grpc ? Math.max(0, PATH_LEN - 1 - grpcClass.get(grpcLengths(r))!) : Math.min(r.match.path.value.length, PATH_LEN - 1);
    return ((precise * HOST_LEN + Math.min(hostLen, HOST_LEN - 1)) * PATH_RANKS + pathRank) * PATH_LEN + pathLen;
}

function grpcLengths(r: PlanRule): string {
    return `${r.match.grpc?.service?.length ?? 0}/${r.match.grpc?.method?.length ?? 0}`;
}

/** The gRPC rules' (service, method) length classes, longest first, numbered 0, 1, … */
function grpcClasses(rules: PlanRule[]): Map<string, number> | undefined {
    const grpc = rules.filter(r => r.protocol === "grpc");
    if (grpc.length === 0) return undefined;
    const pairs = [...new Set(grpc.map(grpcLengths))].map(k => k.split("/").map(Number) as [number, number]);
    pairs.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
    return new Map(pairs.map((p, i) => [`${p[0]}/${p[1]}`, i]));
}

// ---------------------------------------------------------------- the URL map of one port

export interface UrlMapInput {
    name: string;
    plan: GatewayPlan;
    port: PortPlan;
    links: Map<string, BackendTarget>;
    sinkLink: string;
}

export function buildUrlMap(input: UrlMapInput): UrlMapBuild {
    const { plan, port, sinkLink } = input;
    const problems: string[] = [], notes: string[] = [];
    const listeners = new Map<string, { listener: ListenerPlan; byId: Map<string, PlanRule> }>(plan.listeners.filter(l => l.port === port.port)
        .map(l => [l.name, { listener: l, byId: new Map(l.rules.map(r => [r.id, r])) }]));

    // Host entries in GCP host text order (the order hostRules have always been emitted in).
    const entries = port.hosts.map(h => ({ host: h.pattern ?? ANY, owner: h }))
        .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    const byContent = new Map<string, { hosts: string[]; rules: PlanRule[]; listener: ListenerPlan }>();
    for (const { host, owner } of entries) {
        if (owner.ruleIds.length === 0 && owner.shadows.length === 0) continue; // its hosts reach no rule either way
        const { listener, byId } = listeners.get(owner.listener)!;
        const rules = owner.ruleIds.map(id => byId.get(id)!);
        const key = owner.ruleIds.join("\n");
        const group = byContent.get(key);
        if (group) group.hosts.push(host); else byContent.set(key, { hosts: [host], rules, listener });
    }

    const hostRules: NonNullable<UrlMapSpec["hostRules"]> = [];
    const pathMatchers: PathMatcherSpec[] = [];
    const ruleCache = new Map<string, RuleParts[] | undefined>();
    const ruleNotes = new Set<string>();
    for (const [key, group] of byContent) {
        const pmName = `pm-${shortHash(key)}`;
        hostRules.push({ hosts: group.hosts, pathMatcher: pmName });
        const routeRules: RouteRuleSpec[] = [];
        let lastBand = Number.POSITIVE_INFINITY, rank = 0;
        const classes = grpcClasses(group.rules);
        for (const r of group.rules) {
            if (!ruleCache.has(r.id)) {
                const local: string[] = [];
                ruleCache.set(r.id, ruleBodies(r, { links: input.links, sinkLink, listener: group.listener, problems, notes: local }));
                for (const n of local) ruleNotes.add(n);
            }
            const parts = ruleCache.get(r.id);
            if (!parts) continue;
            const b = band(r, classes);
            if (b > lastBand) throw new Error(`gcp: internal error: plan order is not monotone in priority bands at rule ${r.id}`);
            if (b < lastBand) { lastBand = b; rank = 0; }
            for (const part of parts) {
                if (rank >= RANK_SLOTS) {
                    problems.push(`Gateway ${input.plan.gateway} port ${port.port}: more than ${RANK_SLOTS} route rules share one specificity class (hostname ${r.hostname ?? "*"}, ${r.match.path.type} path of length ${r.match.path.value.length}) in one path matcher; split the routes across gateways`);
                    break;
                }
                routeRules.push({ priority: (BAND_MAX - b) * RANK_SLOTS + rank, matchRules: part.matches, ...part.body });
                rank++;
            }
        }
        const pm: PathMatcherSpec = { name: pmName, defaultRouteAction: notFoundAction(sinkLink) };
        if (routeRules.length) pm.routeRules = routeRules;
        pathMatchers.push(pm);
    }
    notes.push(...ruleNotes);
    const urlMap: UrlMapSpec = {
        name: input.name,
        description: `gatewaykit: Gateway ${input.plan.gateway} port ${port.port}`,
        defaultRouteAction: notFoundAction(sinkLink),
    };
    if (hostRules.length) urlMap.hostRules = hostRules;
    if (pathMatchers.length) urlMap.pathMatchers = pathMatchers;
    return { urlMap, notes, problems };
}

/** Bytes of the URL map as GCP stores it (links expanded to full URLs), for the size limit. */
export function urlMapBytes(u: UrlMapSpec, project = "a-project-id-of-thirty-chars-xx"): number {
    const json = JSON.stringify(u, (k, v) => {
        if (typeof v === "string" && (k === "backendService" || k === "service") && !v.startsWith("https://")) {
            return `https://www.googleapis.com/compute/v1/${v.startsWith("projects/") ? "" : `projects/${project}/`}${v}`;
        }
        return v;
    });
    return Buffer.byteLength(json, "utf8");
}
