// Which rule a request matched, in a few hashed lookups whatever the size of the table.
//
// A server's candidate rules (precedence order) are cut into tiers: runs in which the order is
// "path-major" — Exact, then RegularExpression, then PathPrefix, never a prefix before one of its own
// descendants. The plan's order (routing/precedence.ts) is hostname-major then path-major, so a tier is
// normally the rules of one effective hostname; any other order just makes more tiers, never a wrong
// answer. Inside a tier the first matching rule is the first candidate whose conditions hold in the
// first group that has one, taking groups in this order: the exact path, the regexes, then the
// prefixes from the request path's deepest segment to "/".
//
// Each group is one entry of a hashed map keyed "<tier>|<path>" (Exact: the whole $gk_path; PathPrefix
// of d segments: $gk_p<d>, the request path's first d segments). nginx lower-cases map keys, so the
// entry's value repeats the key as written next to the request's own text and a backreference keeps
// the match case-sensitive; keys that differ only by case share an entry, one section each. The value
// lists the group's candidates as "<action>:<flags>;" where <flags> interpolates the candidate's
// condition variables (only a hit evaluates them), and one generic regex picks the first candidate
// whose flags are all "1". Cost per request: one map lookup per path depth the tier uses, plus the
// condition flags of the candidates found — never a scan over the table.

import { ListenerPlan, PlanRule } from "../../../routing/plan";
import { escapeValueBody, quoteLiteral } from "./escape";
import { Http } from "./http";
import { PathKey, matchPattern } from "./matches";

/** One candidate: its action id (actions.ts) and the condition flags it needs. */
export interface Candidate { rule: PlanRule; action: string; flags: string[]; path: PathKey }

type Position = { kind: "exact" } | { kind: "regex" } | { kind: "prefix"; depth: number };

/** Keys of every group, per map: source variable → key → sections (canonical text → entries). */
interface GroupMap { source: string; canonVar?: string; entries: Map<string, Map<string, string[]>> }

/** The http-level dispatch tables every server shares. */
export class Dispatch {
    private maps = new Map<string, GroupMap>();
    private tierCount = 0;
    private depthVars = new Set<number>();
    /** Longest hashed key written, for map_hash_bucket_size. */
    maxKeyLength = 0;
    /** Most entries in one hashed map, for map_hash_max_size. */
    get maxEntries(): number {
        let n = 0;
        for (const m of this.maps.values()) n = Math.max(n, m.entries.size);
        return n;
    }

    constructor(private readonly http: Http) {}

    /**
     * The server-level lines that name this server's tiers and set $gk_act to the action of the
     * request's rule ("" when none matched).
     */
    server(candidates: Candidate[]): string[] {
        if (candidates.length === 0) return ["set $gk_act \"\";"];
        const tiers = cutTiers(candidates);
        const lines: string[] = [];
        const chain: string[] = [];
        tiers.forEach((tier, i) => {
            const tierVar = `gk_t${i + 1}`;
            const tierId = `t${++this.tierCount}`;
            lines.push(`set $${tierVar} "${tierId}";`);
            const groups = new Map<string, { pos: Position; key: string; canon?: string; entries: string[] }>();
            for (const c of tier) {
                const pos: Position = c.path.kind === "prefix" ? { kind: "prefix", depth: c.path.depth } : { kind: c.path.kind };
                const canon = c.path.kind === "exact" ? c.path.path : c.path.kind === "prefix" && c.path.depth > 0 ? c.path.prefix : undefined;
                const gid = `${positionName(pos)} ${canon ?? ""}`;
                let g = groups.get(gid);
                if (!g) { g = { pos, key: canon ?? "", canon, entries: [] }; groups.set(gid, g); }
                // After a candidate without conditions, the rest of its group is unreachable.
                if (g.entries.length && g.entries[g.entries.length - 1].endsWith(":;")) continue;
                g.entries.push(`${c.action}:${c.flags.map(f => "${" + f + "}").join("")};`);
            }
            const used = new Map<string, Position>();
            for (const g of groups.values()) {
                const m = this.groupMap(tierVar, g.pos);
                const key = `${tierId}|${g.key}`;
                this.maxKeyLength = Math.max(this.maxKeyLength, key.length);
                const lower = key.toLowerCase();
                let sections = m.entries.get(lower);
                if (!sections) { sections = new Map(); m.entries.set(lower, sections); }
                sections.set(g.canon ?? "", [...(sections.get(g.canon ?? "") ?? []), ...g.entries]);
                used.set(positionName(g.pos), g.pos);
            }
            // Chain order inside a tier: exact, regex, prefixes deepest first.
            const order = [...used.values()].sort((a, b) => rank(b) - rank(a));
            for (const pos of order) chain.push("${" + this.selectVar(tierVar, pos) + "}");
        });
        const first = this.http.map(`"${chain.join("|")}"`, [[quoteLiteral("~^\\|*([^|]+)"), "$1"]], "\"\"");
        lines.push(`set $gk_act $${first};`);
        return lines;
    }

    /** The http-level lines: path segments, group maps and their selectors. */
    lines(): string[] {
        const out: string[] = [];
        for (const d of [...this.depthVars].sort((a, b) => a - b)) {
            out.push(`map $gk_path $gk_p${d} {`, `    ${quoteLiteral(`~^((?:/[^/]*){${d}})(?:/|$)`)} $1;`, "    default \"\";", "}");
        }
        for (const [name, m] of this.maps) {
            out.push(`map ${m.source} $${name} {`);
            for (const [key, sections] of m.entries) {
                const value = [...sections].map(([canon, entries]) =>
                    (m.canonVar ? `${escapeValueBody(canon)} \${${m.canonVar}} ` : "") + entries.join("")).join("|");
                out.push(`    ${quoteLiteral(key)} "${value}";`);
            }
            out.push("    default \"\";", "}");
            // The first section whose text equals the request's, then its first candidate whose flags are all 1.
            const pick = m.canonVar ? "~^(?:[^|]*\\|)*?(\\S*) \\1 (?:[^;|]*;)*?(a[0-9_]+):1*;" : "~^(?:[^;]*;)*?(a[0-9_]+):1*;";
            out.push(`map $${name} $${name}s {`, `    ${quoteLiteral(pick)} $${m.canonVar ? 2 : 1};`, "    default \"\";", "}");
        }
        return out;
    }

    private groupMap(tierVar: string, pos: Position): GroupMap {
        const name = `gk_k_${tierVar.slice(3)}_${positionName(pos)}`;
        let m = this.maps.get(name);
        if (!m) {
            if (pos.kind === "prefix" && pos.depth > 0) this.depthVars.add(pos.depth);
            const pathVar = pos.kind === "exact" ? "gk_path" : pos.kind === "prefix" && pos.depth > 0 ? `gk_p${pos.depth}` : undefined;
            m = { source: pathVar ? `"\${${tierVar}}|\${${pathVar}}"` : `$${tierVar}`, canonVar: pathVar, entries: new Map() };
            // A tier-only map is keyed "<tier>|".
            if (!pathVar) m.source = `"\${${tierVar}}|"`;
            this.maps.set(name, m);
        }
        return m;
    }

    private selectVar(tierVar: string, pos: Position): string {
        return `gk_k_${tierVar.slice(3)}_${positionName(pos)}s`;
    }
}

function positionName(p: Position): string {
    return p.kind === "prefix" ? `p${p.depth}` : p.kind === "exact" ? "e" : "x";
}

/** Higher first: exact, regex, then prefixes by depth. */
function rank(p: Position): number {
    return p.kind === "exact" ? 1e6 + 1 : p.kind === "regex" ? 1e6 : p.depth;
}

/** Runs of candidates in path-major order (see the head of this file). */
function cutTiers(candidates: Candidate[]): Candidate[][] {
    const tiers: Candidate[][] = [];
    let tier: Candidate[] = [];
    let lastRank = Infinity;
    let prefixes = new Set<string>();
    for (const c of candidates) {
        const r = c.path.kind === "exact" ? 2 : c.path.kind === "regex" ? 1 : 0;
        let ok = r <= lastRank;
        if (ok && c.path.kind === "prefix") {
            // A prefix after one of its own ancestors would be tried before it (deeper first): a new tier.
            const segs = c.path.prefix.split("/");
            for (let d = 1; d <= segs.length && ok; d++) {
                const ancestor = segs.slice(0, d).join("/");
                if (ancestor !== c.path.prefix && prefixes.has(ancestor)) ok = false;
            }
        }
        if (!ok) { tiers.push(tier); tier = []; prefixes = new Set(); }
        tier.push(c);
        lastRank = r;
        if (c.path.kind === "prefix") prefixes.add(c.path.prefix);
    }
    if (tier.length) tiers.push(tier);
    return tiers;
}

/** The candidates of a server's rules, in the order given. */
export function candidatesOf(http: Http, rules: PlanRule[], actionOf: (rule: PlanRule) => string): Candidate[] {
    return rules.map(rule => {
        const m = matchPattern(http, rule);
        return { rule, action: actionOf(rule), flags: m.flags, path: m.path };
    });
}

export type { ListenerPlan };
