// ALB rule priorities on a listener shared by several stacks (the operator's and the teams', which
// never see each other's rules): unique and in precedence order by construction, with no stack
// reading another's numbers.
//
// A rule's priority is band + cell + local:
//   band  = its precedence key, exactly: host level (precise · wildcard by label count, 5 … 2 ·
//           any host), then path level (Exact · PathPrefix by depth, 10 … 1), then extras
//           (method, header count, query count — descending, as routing/precedence.ts compares);
//           after the last path level of each host level, one band for the operator's isolation
//           rules (a hostnamed listener's "everything else here → 404");
//   cell  = the route namespace's slot (parameters.aws.namespaces[ns].slot, 0–7), each band holding
//           the 8 slots' cells in slot order;
//   local = the rule's place within its cell, chosen by the one stack that owns the namespace.
// Why it is exact: two rules that can match one request and differ in precedence key land in
// different bands, in key order. For such pairs the key above orders exactly as compareRules:
// precise hosts overlap only when equal; nested wildcards differ in label count as they differ in
// length; nested PathPrefixes differ in depth (2 × slashes of the value without its trailing "/",
// plus 1 for a trailing "/") as they differ in length; Exact paths overlap only when equal. Rules
// of one band that overlap therefore tie on everything compareRules reads before the route name;
// the route name "ns/name" then orders them by "ns/" — the slot order, which the operator's
// preflight requires to follow namespace names. Two stacks never write one cell (one namespace,
// one stack), so no two stacks can ever ask for one number; a rule's number depends only on its own
// key, its namespace's slot and its own stack's rules of the same cell.
//
// The price is a bounded domain: on a shared listener a wildcard hostname has at most 5 labels, a
// PathPrefix at most depth 10 (5 segments), a match at most 2 header matches and 1 query param
// match, and a namespace at most cellSize() ALB rules of one band (on a precise host 64 without
// method/header/query conditions, 24 with one method or header, 16 with one query param, 8 or 4
// with more; any host ×¾ of that, "*.example.com" ½, other wildcards ¼). Beyond it the preflight
// refuses, naming the rule. The whole layout ends at LAYOUT_END (46848 ≤ 50000).
//
// Pure TypeScript.

import { isWildcard } from "../../../routing/hostname";
import { stripTrailingSlash } from "../../../routing/paths";
import { SHARED_SLOTS } from "../parameters";
import { PriorityItem, canOverlap } from "./priorities";

/** Namespaces (slots) per shared listener. */
export const SLOTS = SHARED_SLOTS;
export const MAX_WILDCARD_LABELS = 5;
export const MAX_PATH_DEPTH = 10;
export const MAX_HEADER_MATCHES = 2;
export const MAX_QUERY_MATCHES = 1;
/** Priorities per host level for the operator's isolation rules. */
export const ISOLATION_BAND = 64;

/**
 * A rule's cell size by its extras (method, header count, query count): wide for the common
 * classes. Condition values beyond ALB's 5 split a rule into several (each needs a number), so
 * the classes with conditions hold a few of those too.
 */
export function cellSize(extras: Extras, hostLevel: number): number {
    const { method, headers, queries } = extras;
    const n = method + headers + queries;
    const base = n === 0 ? 32 : n === 1 ? (queries === 1 ? 8 : 12) : n === 2 ? 4 : 2;
    return base * HOST_LEVEL_SCALE[hostLevel] / 2;
}

/**
 * Cell sizes per host level, in halves of the base sizes: precise hosts (most rules) ×2, any host
 * ×1.5, "*.example.com" ×1, the rarer wildcards of 5, 4 and 2 labels ×0.5.
 */
const HOST_LEVEL_SCALE = [4, 1, 1, 2, 1, 3];

interface Extras { method: 0 | 1; headers: number; queries: number }

/** Host levels in precedence order: precise, wildcards of 5 … 2 labels, any host. */
const HOST_LEVELS = 2 + (MAX_WILDCARD_LABELS - 1);
/** Path levels: Exact, then PathPrefix depth 10 … 1. */
const PATH_LEVELS = 1 + MAX_PATH_DEPTH;

/** Extras in precedence order (a method first, then more headers, then more queries). */
const EXTRAS: Extras[] = [];
for (const method of [1, 0] as const) {
    for (let h = MAX_HEADER_MATCHES; h >= 0; h--) for (let q = MAX_QUERY_MATCHES; q >= 0; q--) EXTRAS.push({ method, headers: h, queries: q });
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const offsets = (widths: number[]) => widths.map((_, i) => sum(widths.slice(0, i)));
/** Per host level: each extras class's width (its cell × SLOTS) and offset within a path level. */
const EXTRAS_WIDTH = HOST_LEVEL_SCALE.map((_, h) => EXTRAS.map(e => cellSize(e, h) * SLOTS));
const EXTRAS_OFFSET = EXTRAS_WIDTH.map(offsets);
const PATH_LEVEL_WIDTH = EXTRAS_WIDTH.map(sum);
const HOST_LEVEL_WIDTH = PATH_LEVEL_WIDTH.map(w => PATH_LEVELS * w + ISOLATION_BAND);
const HOST_LEVEL_OFFSET = offsets(HOST_LEVEL_WIDTH);
/** The highest priority the layout uses (≤ ALB's 50000). */
export const LAYOUT_END = sum(HOST_LEVEL_WIDTH);

/** 0 precise, 1… wildcards by label count (more labels first), last: any host; undefined beyond the domain. */
export function hostLevel(hostname: string | undefined): number | undefined {
    if (hostname === undefined) return HOST_LEVELS - 1;
    if (!isWildcard(hostname)) return 0;
    const labels = hostname.split(".").length;
    if (labels > MAX_WILDCARD_LABELS) return undefined;
    return 1 + (MAX_WILDCARD_LABELS - labels);
}

/** PathPrefix depth: 2 × slashes of the value without its trailing "/", plus 1 for a trailing "/" ("/" is 1). */
export function pathDepth(value: string): number {
    const stripped = stripTrailingSlash(value);
    const slashes = [...stripped].filter(c => c === "/").length;
    return 2 * slashes + (stripped.length < value.length ? 1 : 0);
}

/** 0 Exact, then PathPrefix by depth (deeper first); undefined beyond the domain. */
export function pathLevel(path: PriorityItem["path"]): number | undefined {
    if (path.type === "Exact") return 0;
    const depth = pathDepth(path.value);
    if (depth > MAX_PATH_DEPTH) return undefined;
    return 1 + (MAX_PATH_DEPTH - depth);
}

export interface Cell {
    /** The cell's first priority. */
    first: number;
    size: number;
}

/** Where a rule of this content and slot may take its priority, or why it cannot be placed. */
export function cellOf(item: PriorityItem, slot: number): Cell | { refusal: string } {
    const h = hostLevel(item.hostname);
    if (h === undefined) {
        return { refusal: `hostname ${JSON.stringify(item.hostname)} has more than ${MAX_WILDCARD_LABELS} labels, more than a listener shared across stacks can order` };
    }
    const p = pathLevel(item.path);
    if (p === undefined) {
        return { refusal: `PathPrefix ${JSON.stringify(item.path.value)} is deeper than ${MAX_PATH_DEPTH / 2} segments, more than a listener shared across stacks can order` };
    }
    if (item.headers.length > MAX_HEADER_MATCHES || item.queries.length > MAX_QUERY_MATCHES) {
        return { refusal: `a match with ${item.headers.length} header and ${item.queries.length} query param matches is more than a listener shared across stacks can order ` +
            `(at most ${MAX_HEADER_MATCHES} and ${MAX_QUERY_MATCHES})` };
    }
    const extras: Extras = { method: item.method !== undefined ? 1 : 0, headers: item.headers.length, queries: item.queries.length };
    const e = EXTRAS.findIndex(x => x.method === extras.method && x.headers === extras.headers && x.queries === extras.queries);
    const size = cellSize(extras, h);
    return { first: 1 + HOST_LEVEL_OFFSET[h] + p * PATH_LEVEL_WIDTH[h] + EXTRAS_OFFSET[h][e] + slot * size, size };
}

/** The band of the operator's isolation rules for a listener hostname (undefined beyond the domain). */
export function isolationBand(hostname: string): Cell | undefined {
    const h = hostLevel(hostname);
    if (h === undefined) return undefined;
    return { first: 1 + HOST_LEVEL_OFFSET[h] + PATH_LEVELS * PATH_LEVEL_WIDTH[h], size: ISOLATION_BAND };
}

export interface SharedItem {
    item: PriorityItem;
    /** Route namespace; undefined for an isolation rule. */
    namespace?: string;
    /** What a refusal names ("HTTPRoute team-a/shop rule 0"). */
    label: string;
}

export interface SharedAssignment {
    priorities: Map<string, number>;
    problems: string[];
}

/**
 * Priorities for one stack's rules of one shared listener, given in the plan's precedence order.
 * Each cell is numbered on its own: a rule takes its hashed place in the cell, above every earlier
 * overlapping rule of the cell; when that does not fit, the cell is numbered in order from its start.
 */
export function assignSharedPriorities(items: readonly SharedItem[], slotOf: (namespace: string) => number | undefined): SharedAssignment {
    const problems: string[] = [];
    const cells = new Map<number, { cell: Cell; members: SharedItem[] }>();
    for (const s of items) {
        let cell: Cell | { refusal: string } | undefined;
        if (s.namespace === undefined) {
            cell = s.item.hostname !== undefined ? isolationBand(s.item.hostname) : undefined;
            if (cell === undefined) { problems.push(`${s.label}: its listener hostname is beyond what a shared listener can order`); continue; }
        } else {
            const slot = slotOf(s.namespace);
            if (slot === undefined) {
                problems.push(`${s.label}: namespace ${s.namespace} has no slot on this shared listener (GatewayClass parameters.aws.namespaces.${s.namespace}.slot)`);
                continue;
            }
            cell = cellOf(s.item, slot);
        }
        if ("refusal" in cell) { problems.push(`${s.label}: ${cell.refusal}; simplify the match, or give the route a gateway of its own`); continue; }
        const entry = cells.get(cell.first) ?? { cell, members: [] };
        entry.members.push(s);
        cells.set(cell.first, entry);
    }
    const priorities = new Map<string, number>();
    for (const { cell, members } of cells.values()) {
        if (members.length > cell.size) {
            const first = members[cell.size];
            problems.push(`${first.label}: ${members.length} rules of ${first.namespace !== undefined ? `namespace ${first.namespace}` : "the operator's isolation"} share one ` +
                `precedence class on this shared listener (same host kind, path kind and depth, method/header/query counts), which holds ${cell.size}; ` +
                "vary the matches (e.g. a longer or Exact path), or give the routes a gateway of their own");
            continue;
        }
        for (const [key, p] of placeInCell(cell, members.map(m => m.item))) priorities.set(key, p);
    }
    return { priorities, problems };
}

function placeInCell(cell: Cell, items: PriorityItem[]): Map<string, number> {
    const hashed = new Map<string, number>();
    const taken = new Set<number>();
    const placed: { item: PriorityItem; local: number }[] = [];
    for (const item of items) {
        let floor = -1;
        for (const p of placed) if (p.local > floor && canOverlap(p.item, item)) floor = p.local;
        let local = Math.max(floor + 1, hash32(item.key) % cell.size);
        while (taken.has(local)) local++;
        if (local >= cell.size) {
            // Numbered in order instead: fits, since the cell holds as many as its size.
            return new Map(items.map((it, i) => [it.key, cell.first + i]));
        }
        taken.add(local);
        hashed.set(item.key, cell.first + local);
        placed.push({ item, local });
    }
    return hashed;
}

function hash32(s: string): number {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
    return h;
}

/** "ns/" order: how routing/precedence.ts orders routes of two namespaces that tie ("ns/name" text). */
export function namespaceOrder(a: string, b: string): number {
    const x = `${a}/`, y = `${b}/`;
    return x < y ? -1 : x > y ? 1 : 0;
}
