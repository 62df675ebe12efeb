// ALB listener rule conditions as a closed set, in the manner of aws-cdk's ListenerCondition: each
// kind validates its own values against ALB's rules (problems) and renders itself as the block
// @pulumi/aws ListenerRule takes (render). A rule carries at most 5 condition values in all
// (MAX_CONDITION_VALUES): host-header and path-pattern are OR-lists, which `conditionSets` splits
// into rules of adjacent priority with the same action when they do not fit; the others count one
// value each.
//
// ALB facts these encode: "*" and "?" are wildcards in every value (an exact match containing them
// cannot be expressed); values are ≤ 128 characters; header names ≤ 40; path patterns accept only
// A-Z a-z 0-9 _ - . $ / ~ " ' @ : + &; Host cannot be matched as an http-header; header and query
// comparisons are case-insensitive (caseCollisions warns where that merges two rules).

import { PlanPathMatch } from "../../../routing/plan";
import { planned } from "./context";
import { AlbCondition, AlbRule } from "./types";

export const MAX_CONDITION_VALUES = 5;
const MAX_PATTERN_LENGTH = 128;
const MAX_HEADER_NAME_LENGTH = 40;
// Characters ALB accepts in a path pattern besides the wildcards.
const PATH_CHARS = /^[A-Za-z0-9_\-.$/~"'@:+&]*$/;

function hasWildcard(s: string): boolean {
    return s.includes("*") || s.includes("?");
}

/** A condition whose values are OR-ed: split one value per rule when a rule cannot hold them all. */
abstract class OrCondition<Self extends OrCondition<Self>> {
    constructor(readonly values: readonly string[]) {}
    protected abstract withValues(values: readonly string[]): Self;
    abstract render(): AlbCondition;

    problems(who: string): string[] {
        return this.values.filter(v => v.length > MAX_PATTERN_LENGTH)
            .map(v => `${who}: condition value ${JSON.stringify(v)} is longer than ALB's ${MAX_PATTERN_LENGTH} characters; shorten it`);
    }
    /** The same OR-list as one condition per value. */
    alternatives(): Self[] {
        return this.values.map(v => this.withValues([v]));
    }
}

/** host-header: any of the values (case-insensitive, as sent in Host, port included). */
export class HostHeader extends OrCondition<HostHeader> {
    readonly kind = "host-header";

    /** A rule hostname on an ALB listener: with ":port" added on a non-default port, as clients send it in Host. */
    static forHostname(hostname: string, port: number, protocol: "HTTP" | "HTTPS"): HostHeader {
        const defaultPort = protocol === "HTTPS" ? 443 : 80;
        return new HostHeader(port === defaultPort ? [hostname] : [hostname, `${hostname}:${port}`]);
    }
    protected withValues(values: readonly string[]): HostHeader {
        return new HostHeader(values);
    }
    render(): AlbCondition {
        return { hostHeader: { values: [...this.values] } };
    }
}

/** path-pattern: any of the patterns (case-sensitive, the path without the query). */
export class PathPattern extends OrCondition<PathPattern> {
    readonly kind = "path-pattern";

    /**
     * A plan path match as patterns: Exact "/p" → "/p"; PathPrefix (prefix "/p") → "/p" and "/p/*",
     * the prefix "" (for "/") → no condition (`pattern` undefined). `refusal` when ALB cannot express it.
     */
    static forMatch(path: PlanPathMatch, who: string): { pattern?: PathPattern; refusal?: string } {
        if (path.type === "RegularExpression") return { refusal: `${who}: RegularExpression paths are not supported on ALB; use PathPrefix or Exact` };
        if (hasWildcard(path.value)) {
            return { refusal: `${who}: path ${JSON.stringify(path.value)} contains "*" or "?", which ALB path patterns read as wildcards; ` +
                "an exact match cannot be expressed: remove them from the path" };
        }
        if (!PATH_CHARS.test(path.value)) {
            return { refusal: `${who}: path ${JSON.stringify(path.value)} has characters ALB path patterns do not accept ` +
                "(allowed: A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + &); use a path without them" };
        }
        if (path.type === "Exact") return { pattern: new PathPattern([path.value]) };
        const prefix = planned(path.prefix, "match.path.prefix");
        return prefix === "" ? {} : { pattern: new PathPattern([prefix, `${prefix}/*`]) };
    }
    protected withValues(values: readonly string[]): PathPattern {
        return new PathPattern(values);
    }
    render(): AlbCondition {
        return { pathPattern: { values: [...this.values] } };
    }
}

/** http-header: the named header (name case-insensitive) has the value (case-insensitive). */
export class HttpHeader {
    readonly kind = "http-header";
    readonly values: readonly string[];
    constructor(readonly name: string, readonly value: string) { this.values = [value]; }

    problems(who: string): string[] {
        const out: string[] = [];
        if (this.name.toLowerCase() === "host") out.push(`${who}: a header match on Host cannot be an ALB http-header condition; use the route's hostnames`);
        else if (this.name.length > MAX_HEADER_NAME_LENGTH) out.push(`${who}: header name ${JSON.stringify(this.name)} is longer than ALB's ${MAX_HEADER_NAME_LENGTH} characters`);
        if (hasWildcard(this.value)) {
            out.push(`${who}: header ${this.name} value ${JSON.stringify(this.value)} contains "*" or "?", which ALB reads as wildcards; an exact match cannot be expressed`);
        }
        if (this.value.length > MAX_PATTERN_LENGTH) out.push(`${who}: header ${this.name} value is longer than ALB's ${MAX_PATTERN_LENGTH} characters`);
        return out;
    }
    render(): AlbCondition {
        return { httpHeader: { httpHeaderName: this.name, values: [this.value] } };
    }
}

/** query-string: the key occurs with the value (both case-insensitive). */
export class QueryString {
    readonly kind = "query-string";
    readonly values: readonly string[];
    constructor(readonly key: string, readonly value: string) { this.values = [value]; }

    problems(who: string): string[] {
        return hasWildcard(this.key) || hasWildcard(this.value)
            ? [`${who}: query param ${this.key}=${this.value} contains "*" or "?", which ALB reads as wildcards; an exact match cannot be expressed`]
            : [];
    }
    render(): AlbCondition {
        return { queryStrings: [{ key: this.key, value: this.value }] };
    }
}

/** http-request-method: exactly this method. */
export class HttpRequestMethod {
    readonly kind = "http-request-method";
    readonly values: readonly string[];
    constructor(readonly method: string) { this.values = [method]; }

    problems(): string[] {
        return [];
    }
    render(): AlbCondition {
        return { httpRequestMethod: { values: [this.method] } };
    }
}

export type Condition = HostHeader | PathPattern | HttpHeader | QueryString | HttpRequestMethod;

/**
 * The condition lists of the ALB rules that together express host ∧ path ∧ singles within
 * MAX_CONDITION_VALUES per rule: unsplit if it fits, else the hosts split, else the paths, else
 * both (the same OR, spread over adjacent rules). `needed` instead when even one value of each
 * does not fit. A rule without conditions gets the catch-all "/*" (ALB requires one).
 */
export function conditionSets(host: HostHeader | undefined, path: PathPattern | undefined, singles: readonly Condition[]):
    { sets: AlbCondition[][] } | { needed: number } {
    const hosts = host?.values.length ?? 0, paths = path?.values.length ?? 0;
    const count = (h: number, p: number) => h + p + singles.length;
    const splits: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
    const split = splits.find(([sh, sp]) => count(sh ? Math.min(hosts, 1) : hosts, sp ? Math.min(paths, 1) : paths) <= MAX_CONDITION_VALUES);
    if (!split) return { needed: count(Math.min(hosts, 1), Math.min(paths, 1)) };
    const hostGroups: (HostHeader | undefined)[] = host && split[0] ? host.alternatives() : [host];
    const pathGroups: (PathPattern | undefined)[] = path && split[1] ? path.alternatives() : [path];
    const sets: AlbCondition[][] = [];
    for (const h of hostGroups) {
        for (const p of pathGroups) {
            const conds: AlbCondition[] = [];
            if (h) conds.push(h.render());
            if (p) conds.push(p.render());
            if (conds.length + singles.length === 0) conds.push(new PathPattern(["/*"]).render());
            sets.push([...conds, ...singles.map(s => s.render())]);
        }
    }
    return { sets };
}

/** Two rules whose header/query values differ only by case collide on ALB: the first takes both. */
export function caseCollisions(rules: readonly AlbRule[]): string[] {
    const warnings: string[] = [];
    const seen = new Map<string, { value: string; who: string }>();
    for (const r of rules) {
        if (!r.source) continue;
        const who = r.source.label;
        for (const c of r.conditions) {
            const pairs: [string, string, string][] = [];
            if (c.httpHeader) pairs.push([`header ${c.httpHeader.httpHeaderName.toLowerCase()}`, c.httpHeader.httpHeaderName.toLowerCase(), c.httpHeader.values[0]]);
            for (const q of c.queryStrings ?? []) pairs.push([`query param ${q.key}`, `?${(q.key ?? "").toLowerCase()}`, `${q.key}=${q.value}`]);
            for (const [label, name, value] of pairs) {
                const key = `${name}\u0000${value.toLowerCase()}`;
                const prev = seen.get(key);
                if (prev && prev.value !== value && prev.who !== who) {
                    warnings.push(`${who} and ${prev.who} match ${label} as ${JSON.stringify(value)} and ${JSON.stringify(prev.value)}; ` +
                        "ALB compares header and query values (and query names) case-insensitively, so the rule of higher precedence takes both: make them differ by more than case");
                } else if (!prev) {
                    seen.set(key, { value, who });
                }
            }
        }
    }
    return warnings;
}
