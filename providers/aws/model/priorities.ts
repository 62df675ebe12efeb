// ALB rule priorities: unique per listener (1–50000, lowest evaluated first), in the plan's order
// for every pair of rules that can match the same request, and stable when unrelated rules come
// and go. A numbering by rank renumbers on every insert, so a rule's priority is drawn from its
// own content instead:
//
//   ideal = tier base (precise host · wildcard host · any host)
//         + level × width (path level: Exact, PathPrefix by length bucket, "/"; then "has
//           method/header/query conditions" before "has none")
//         + hash(rule key) mod width
//
// Levels are monotone in the precedence key (routing/precedence.ts compareRules), so rules that
// overlap usually already sit in plan order. Rules are then placed in the listener's merged order
// at their ideal or, when an earlier rule that can match the same request sits at or above it, at
// a hashed distance (1–64) above the highest such rule; then at the next free number. That
// enforces the order exactly where it matters (rules of one length bucket, ties broken by route
// name) and makes priorities unique. A rule moves only when its own content changes, when an
// overlapping rule ahead of it is placed above its ideal, or on a hash collision with a rule of
// the same level (probability ≈ rules in that level ÷ level width: 2500 for precise hosts, 833
// for wildcard and any host). Without the previous deployment's numbers a collision cannot be
// ruled out; if a moved rule asks for a number a rule being deleted still holds, ALB refuses that
// one update.
//
// Pure TypeScript: the evaluator and the tests use it without Pulumi.

import { createHash } from "crypto";
import { hostnameCovers, hostnameMatches, isWildcard } from "../../../routing/hostname";
import { prefixMatches, stripTrailingSlash } from "../../../routing/paths";

export const MAX_PRIORITY = 50000;

/** What decides whether two ALB rules can match one request. Header/query values compare case-insensitively on ALB. */
export interface PriorityItem {
    /** Unique within the listener; the hash of it spreads rules within their level. */
    key: string;
    /** undefined: any host. */
    hostname?: string;
    path: { type: "Exact" | "PathPrefix"; value: string };
    method?: string;
    headers: { name: string; value: string }[];
    queries: { name: string; value: string }[];
}

interface Tier { base: number; width: number }

// 12 levels per tier: 6 path levels × (with conditions, without). Precise hosts get the widest
// levels because most rules name a precise host and distinct precise hosts never overlap.
/** How far above an overlapping rule a pushed rule may land. */
const PUSH_SPREAD = 64;
const TIERS: Tier[] = [
    { base: 0, width: 2500 },      // precise hostname: 1–30000
    { base: 30000, width: 833 },   // wildcard hostname: 30001–39996
    { base: 40000, width: 833 },   // any host: 40001–49996
];

function tierOf(hostname: string | undefined): Tier {
    if (hostname === undefined) return TIERS[2];
    return isWildcard(hostname) ? TIERS[1] : TIERS[0];
}

/** Exact first, then PathPrefix by the length of its value as written (longer first), "/" last. */
function pathLevel(p: PriorityItem["path"]): number {
    if (p.type === "Exact") return 0;
    const n = p.value.length;
    return n >= 16 ? 1 : n >= 8 ? 2 : n >= 4 ? 3 : n >= 2 ? 4 : 5;
}

function hash32(s: string): number {
    return createHash("sha256").update(s).digest().readUInt32BE(0);
}

/** The priority a rule takes when nothing ahead of it is in the way. */
export function idealPriority(item: PriorityItem): number {
    const tier = tierOf(item.hostname);
    const extras = item.method !== undefined || item.headers.length > 0 || item.queries.length > 0 ? 0 : 1;
    const level = pathLevel(item.path) * 2 + extras;
    return 1 + tier.base + level * tier.width + (hash32(item.key) % tier.width);
}

/** Does the PathPrefix `prefix` (as written) match `path` (whole segments)? */
function segmentPrefix(prefix: string, path: string): boolean {
    return prefixMatches(stripTrailingSlash(prefix), path);
}

function hostsOverlap(a: string | undefined, b: string | undefined): boolean {
    if (a === undefined || b === undefined || a === b) return true;
    const wa = isWildcard(a), wb = isWildcard(b);
    if (!wa && !wb) return false;
    if (wa && !wb) return hostnameMatches(a, b);
    if (!wa && wb) return hostnameMatches(b, a);
    return hostnameCovers(a, b) || hostnameCovers(b, a);
}

function pathsOverlap(a: PriorityItem["path"], b: PriorityItem["path"]): boolean {
    if (a.type === "Exact" && b.type === "Exact") return a.value === b.value;
    if (a.type === "Exact") return segmentPrefix(b.value, a.value);
    if (b.type === "Exact") return segmentPrefix(a.value, b.value);
    return segmentPrefix(a.value, stripTrailingSlash(b.value)) || segmentPrefix(b.value, stripTrailingSlash(a.value));
}

/** Two value conditions on the same name with different values (ignoring case, as ALB does) exclude each other. */
function valuesCompatible(a: PriorityItem["headers"], b: PriorityItem["headers"]): boolean {
    for (const x of a) {
        for (const y of b) {
            if (x.name.toLowerCase() === y.name.toLowerCase() && x.value.toLowerCase() !== y.value.toLowerCase()) return false;
        }
    }
    return true;
}

/** Can one request match both rules? Errs on "yes": a false "yes" only adds an ordering constraint. */
export function canOverlap(a: PriorityItem, b: PriorityItem): boolean {
    if (!hostsOverlap(a.hostname, b.hostname)) return false;
    if (!pathsOverlap(a.path, b.path)) return false;
    if (a.method !== undefined && b.method !== undefined && a.method !== b.method) return false;
    return valuesCompatible(a.headers, b.headers) && valuesCompatible(a.queries, b.queries);
}

export interface PriorityAssignment {
    /** key → priority. */
    priorities: Map<string, number>;
    /** Items that found no free priority ≤ 50000 (named by key). */
    overflow: string[];
}

/**
 * Priorities for one listener's rules, given in the order ALB must honour between overlapping
 * rules (the plan's precedence order). Deterministic in the rule set.
 */
export function assignPriorities(items: readonly PriorityItem[]): PriorityAssignment {
    const priorities = new Map<string, number>();
    const taken = new Set<number>();
    const overflow: string[] = [];
    const placed: { item: PriorityItem; priority: number }[] = [];
    for (const item of items) {
        let floor = 0;
        for (const p of placed) if (p.priority > floor && canOverlap(p.item, item)) floor = p.priority;
        const ideal = idealPriority(item);
        // A rule pushed above an overlapping rule lands at a hashed distance above it, not right
        // on top: rules pushed by one floor then rarely compete for the same number, so a move
        // seldom asks for a number another rule still holds.
        let priority = ideal > floor ? ideal : floor + 1 + (hash32(`${item.key}\u0000pushed`) % PUSH_SPREAD);
        while (taken.has(priority)) priority++;
        if (priority > MAX_PRIORITY) {
            overflow.push(item.key);
            continue;
        }
        taken.add(priority);
        priorities.set(item.key, priority);
        placed.push({ item, priority });
    }
    return { priorities, overflow };
}
