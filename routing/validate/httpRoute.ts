// Spec validation: HTTPRoute (parentRefs, hostnames, rules, matches, timeouts); filters in ./filters.ts.

import { checkRetry, checkSessionPersistence } from "./policies";
import { ValidationIssue } from "../errors";
import { HTTP_METHODS, HTTPRouteSpec } from "../types";
import { begin, Checker, Obj, quote } from "./checker";
import { CORS_RESPONSE_HEADERS } from "../cors";
import { checkBackendObjectRef, checkFilters } from "./filters";
import { PATH_CHARS } from "./patterns";

export function validateRoute(spec: HTTPRouteSpec): ValidationIssue[] {
    return checkRouteSpec("HTTPRoute", spec, checkRule);
}

/**
 * What HTTPRoute and GRPCRoute share: parentRefs, hostnames, the rule list and its CRD limits, the
 * total of matches across rules, unique rule names; `checkRule` checks one rule of the kind. An
 * HTTPRoute needs a rule and counts an absent matches list as one (the CRD defaults it before its
 * CEL rule counts); a GRPCRoute may have none and counts written matches only.
 */
export function checkRouteSpec(kind: "HTTPRoute" | "GRPCRoute", spec: unknown, checkRule: (c: Checker, p: string, rule: Obj) => void): ValidationIssue[] {
    const [c, s] = begin(kind, spec);
    if (!s) return c.issues;
    checkParentRefs(c, s.parentRefs);
    const hostnames = c.list("spec.hostnames", s.hostnames, { max: 16, what: "hostnames" });
    hostnames?.forEach((h, i) => c.hostname(`spec.hostnames[${i}]`, h, true, true));

    const http = kind === "HTTPRoute";
    const rules = c.list("spec.rules", s.rules, http ? { min: 1, max: 16, what: "rules (omit rules for the default: every path to no backend)" } : { max: 16, what: "rules" });
    if (!rules) return c.issues;
    const totalMatches = rules.reduce<number>((n, r) => {
        const m = (r as Obj | null)?.matches;
        return n + (Array.isArray(m) ? m.length : http ? 1 : 0);
    }, 0);
    if (totalMatches > 128) c.add("spec.rules", totalMatches, `must have at most 128 matches across all rules (has ${totalMatches}); split the route into several ${kind}s`);
    const ruleNames = new Map<string, number>();
    rules.forEach((r, i) => {
        const rule = c.obj(`spec.rules[${i}]`, r);
        if (!rule) return;
        checkRule(c, `spec.rules[${i}]`, rule);
        // Rule names give a rule its identity in the plan, so two rules cannot share one.
        if (typeof rule.name === "string") {
            const prev = ruleNames.get(rule.name);
            if (prev !== undefined) c.add(`spec.rules[${i}].name`, rule.name, `must be unique within the route; rule ${prev} is also named ${quote(rule.name)}`);
            else ruleNames.set(rule.name, i);
        }
    });
    return c.issues;
}

export function checkParentRefs(c: Checker, raw: unknown): void {
    const refs = c.list("spec.parentRefs", raw, { max: 32, what: "parent references" });
    if (!refs) return;
    const valid: { i: number; parent: string; section: string }[] = [];
    refs.forEach((r, i) => {
        const p = `spec.parentRefs[${i}]`;
        const ref = c.obj(p, r);
        if (!ref) return;
        c.group(`${p}.group`, ref.group);
        c.kind(`${p}.kind`, ref.kind);
        const name = c.str(`${p}.name`, ref.name, { required: true, min: 1, max: 253, what: "the name of a Gateway" });
        c.label(`${p}.namespace`, ref.namespace);
        c.sectionName(`${p}.sectionName`, ref.sectionName);
        c.int(`${p}.port`, ref.port, 1, 65535);
        if (name === undefined) return;
        // Same parent as the CEL rule sees it: defaults filled for group/kind, namespace compared as written.
        const parent = [ref.group ?? "gateway.networking.k8s.io", ref.kind ?? "Gateway", ref.namespace ?? "", name].join("|");
        valid.push({ i, parent, section: typeof ref.sectionName === "string" ? ref.sectionName : "" });
    });
    const reported = new Set<number>();
    for (const a of valid) {
        for (const b of valid) {
            if (b.i <= a.i || a.parent !== b.parent || reported.has(b.i)) continue;
            const p = `spec.parentRefs[${b.i}]`;
            if ((a.section === "") !== (b.section === "")) {
                c.add(`${p}.sectionName`, refs[b.i], `sectionName must be set on every reference when parentRefs names the same parent more than once (see parentRefs[${a.i}])`);
                reported.add(b.i);
            } else if (a.section === b.section) {
                c.add(p, refs[b.i], `duplicates parentRefs[${a.i}]; references to the same parent must have distinct sectionNames`);
                reported.add(b.i);
            }
        }
    }
}

function checkRule(c: Checker, p: string, rule: Obj): void {
    c.sectionName(`${p}.name`, rule.name);
    const matches = c.list(`${p}.matches`, rule.matches, { max: 64, what: "matches" });
    matches?.forEach((m, i) => checkMatch(c, `${p}.matches[${i}]`, m));
    const filters = checkFilters(c, `${p}.filters`, rule.filters);
    const { backendRefs, backendFilters } = checkBackendRefs(c, p, rule.backendRefs, "HTTPRoute");

    // CEL: a redirect answers the request itself, so it cannot share a rule with backends.
    if (backendRefs && backendRefs.length > 0) {
        filters.forEach((f, i) => {
            if (f && f.requestRedirect !== undefined && f.requestRedirect !== null) {
                c.add(`${p}.filters[${i}]`, f.type, "a RequestRedirect filter must not be used together with backendRefs; remove the backendRefs or move the redirect to its own rule");
            }
        });
    }
    // CORS: the gateway answers a preflight before any backend is chosen, and the filter owns the
    // Access-Control-* response headers of its rule (routing/cors.ts).
    for (const { path, filters: fs } of backendFilters) {
        fs.forEach((f, i) => {
            if (f?.type === "CORS") c.add(`${path}[${i}].type`, "CORS", "a CORS filter applies to a whole rule (the gateway answers preflights before a backend is chosen); move it to the rule's filters");
        });
    }
    if (filters.some(f => f?.type === "CORS")) {
        for (const { path, filters: fs } of [{ path: `${p}.filters`, filters }, ...backendFilters]) {
            fs.forEach((f, i) => {
                const mod = f?.responseHeaderModifier as Obj | undefined;
                if (!mod || typeof mod !== "object") return;
                for (const op of ["set", "add", "remove"]) {
                    const list = mod[op];
                    if (!Array.isArray(list)) continue;
                    list.forEach((h, j) => {
                        const name = op === "remove" ? h : (h as Obj | null)?.name;
                        if (typeof name === "string" && CORS_RESPONSE_HEADERS.includes(name.toLowerCase())) {
                            c.add(`${path}[${i}].responseHeaderModifier.${op}[${j}]${op === "remove" ? "" : ".name"}`, name, "names a header the rule's CORS filter writes; set it through the CORS filter's fields instead");
                        }
                    });
                }
            });
        }
    }
    // CEL: ReplacePrefixMatch needs exactly one match whose (defaulted) path type is PathPrefix.
    const m = rule.matches;
    const singlePrefix = m === undefined || m === null
        || (Array.isArray(m) && m.length === 1 && (((m[0] as Obj | null)?.path as Obj | undefined)?.type ?? "PathPrefix") === "PathPrefix");
    if (!singlePrefix && (filters.length > 0 || backendFilters.some(b => b.filters.length > 0))) {
        const count = Array.isArray(m) ? m.length : 0;
        for (const { path, filters: fs } of [{ path: `${p}.filters`, filters }, ...backendFilters]) {
            fs.forEach((f, i) => {
                for (const field of ["requestRedirect", "urlRewrite"]) {
                    const mod = ((f?.[field] as Obj | undefined)?.path) as Obj | undefined;
                    if (mod && mod.type === "ReplacePrefixMatch" && mod.replacePrefixMatch !== undefined) {
                        c.add(`${path}[${i}].${field}.path`, mod, `ReplacePrefixMatch requires the rule to have exactly one match, of path type PathPrefix (this rule has ${count === 1 ? "a non-PathPrefix match" : `${count} matches`}); use ReplaceFullPath or split the rule`);
                    }
                }
            });
        }
    }
    checkTimeouts(c, `${p}.timeouts`, rule.timeouts);
    checkRetry(c, `${p}.retry`, rule.retry);
    checkSessionPersistence(c, `${p}.sessionPersistence`, rule.sessionPersistence);
}

/** A rule's backendRefs (either route kind): each ref, its weight and its filters, which are returned by field path. */
export function checkBackendRefs(c: Checker, p: string, raw: unknown, kind: "HTTPRoute" | "GRPCRoute"): { backendRefs?: unknown[]; backendFilters: { path: string; filters: (Obj | undefined)[] }[] } {
    const backendRefs = c.list(`${p}.backendRefs`, raw, { max: 16, what: "backend references" });
    const backendFilters: { path: string; filters: (Obj | undefined)[] }[] = [];
    backendRefs?.forEach((b, i) => {
        const bp = `${p}.backendRefs[${i}]`;
        const ref = c.obj(bp, b);
        if (!ref) return;
        checkBackendObjectRef(c, bp, ref);
        c.int(`${bp}.weight`, ref.weight, 0, 1_000_000);
        backendFilters.push({ path: `${bp}.filters`, filters: checkFilters(c, `${bp}.filters`, ref.filters, kind) });
    });
    return { backendRefs, backendFilters };
}

function checkMatch(c: Checker, p: string, raw: unknown): void {
    const match = c.obj(p, raw);
    if (!match) return;
    const path = c.obj(`${p}.path`, match.path);
    if (path) {
        const type = c.oneOf(`${p}.path.type`, path.type, ["Exact", "PathPrefix", "RegularExpression"]) ?? (path.type === undefined ? "PathPrefix" : undefined);
        const value = c.str(`${p}.path.value`, path.value, { max: 1024 });
        if (value !== undefined && type === "RegularExpression") c.regex(`${p}.path.value`, value);
        if (value !== undefined && (type === "Exact" || type === "PathPrefix")) checkPathValue(c, `${p}.path.value`, value);
    }
    const headers = c.list(`${p}.headers`, match.headers, { max: 16, what: "header matches" });
    checkValueMatches(c, `${p}.headers`, headers, 4096, true);
    const query = c.list(`${p}.queryParams`, match.queryParams, { max: 16, what: "query parameter matches" });
    checkValueMatches(c, `${p}.queryParams`, query, 1024, false);
    c.oneOf(`${p}.method`, match.method, HTTP_METHODS);
}

/** The CRD's CEL rules for Exact and PathPrefix path values, one issue per broken rule. */
/** Anything checkPathValue reports besides a missing leading '/' and characters outside PATH_CHARS. */
const PATH_PROBLEM = /\/\/|\/\.\.?\/|\/\.\.?$|%2[fF]|#/;

function checkPathValue(c: Checker, f: string, v: string): void {
    // The common case, a clean absolute path, in two tests instead of ten.
    if (v.startsWith("/") && !PATH_PROBLEM.test(v) && PATH_CHARS.test(v)) return;
    if (!v.startsWith("/")) {
        c.add(f, v, `must be an absolute path starting with '/'${v ? `; write ${quote("/" + v)}` : ""}`);
    }
    const normalised = "data planes normalise such paths, so the match would be ambiguous";
    for (const bad of ["//", "/./", "/../"]) {
        if (v.includes(bad)) c.add(f, v, `must not contain ${quote(bad)}: ${normalised}`);
    }
    for (const bad of ["%2f", "%2F"]) {
        if (v.includes(bad)) c.add(f, v, `must not contain ${quote(bad)}: an encoded '/' is ambiguous to data planes; write a literal '/'`);
    }
    if (v.includes("#")) c.add(f, v, "must not contain '#': it starts a URL fragment, which clients never send; remove it");
    for (const bad of ["/..", "/."]) {
        if (v.endsWith(bad)) c.add(f, v, `must not end with ${quote(bad)}: ${normalised}`);
    }
    // '#' is reported above; do not report it twice.
    if (v !== "" && !PATH_CHARS.test(v.replace(/#/g, "/"))) {
        const ch = [...v].find(ch => ch !== "#" && !/[-A-Za-z0-9/._~!$&'()*+,;=:@%]/.test(ch));
        const which = ch !== undefined ? `${JSON.stringify(ch)} is not allowed` : "'%' must be followed by two hex digits";
        c.add(f, v, `may only contain letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes: ${which}; percent-encode it`);
    }
}

export function checkValueMatches(c: Checker, p: string, list: unknown[] | undefined, maxValue: number, caseInsensitive: boolean): void {
    if (!list) return;
    const seen = new Map<string, number>();
    list.forEach((raw, i) => {
        const ip = `${p}[${i}]`;
        const m = c.obj(ip, raw);
        if (!m) return;
        const name = c.headerName(`${ip}.name`, m.name);
        const type = c.oneOf(`${ip}.type`, m.type, ["Exact", "RegularExpression"]) ?? (m.type === undefined ? "Exact" : undefined);
        const value = c.safeValue(`${ip}.value`, m.value, maxValue);
        if (value !== undefined && type === "RegularExpression") c.regex(`${ip}.value`, value);
        if (name === undefined) return;
        const key = caseInsensitive ? name.toLowerCase() : name;
        const prev = seen.get(key);
        if (prev !== undefined) {
            c.add(`${ip}.name`, name, caseInsensitive
                ? `must be unique within the match (header names are case-insensitive); ${p}[${prev}] also matches ${quote(name)}: combine them into one, e.g. with a RegularExpression`
                : `must be unique within the match; ${p}[${prev}] also matches ${quote(name)}`);
        } else seen.set(key, i);
    });
}

function checkTimeouts(c: Checker, p: string, raw: unknown): void {
    const t = c.obj(p, raw);
    if (!t) return;
    const ms: Record<string, number | undefined> = {};
    for (const field of ["request", "backendRequest"]) ms[field] = c.duration(`${p}.${field}`, t[field]);
    // A request timeout of 0s means "no timeout", which bounds nothing.
    if (ms.request !== undefined && ms.backendRequest !== undefined && ms.request !== 0 && ms.backendRequest > ms.request) {
        c.add(`${p}.backendRequest`, t.backendRequest, `must not be longer than the request timeout (${String(t.request)}); shorten it or raise request`);
    }
}
