// The request-path policy: one normaliser, applied before any rule is matched, whose result is both
// what the rules see and what the backend receives. Path confusion ("/x/../a" routed by the "/x" rule,
// then served as "/a" by a backend that normalises) needs the gateway and the backend to read one
// path two ways; matching and forwarding the same normal form closes that gap.
//
// The policy, for the path part of the request target (the query string is never touched):
//
// 1. Refused with 400 (`PathRefusal`):
//    - a path that does not start with "/";
//    - a raw character outside RFC 3986 `pchar` and "/" (unreserved, sub-delims, ":", "@", "%"):
//      space, `"`, `#`, `<`, `>`, `[`, `]`, `\`, `^`, "`", `{`, `|`, `}`, control characters and
//      anything non-ASCII. Clients must percent-encode these; a raw backslash is a separator to IIS
//      and some frameworks, raw non-ASCII is a second spelling of its UTF-8 escapes;
//    - a malformed escape ("%" not followed by two hex digits);
//    - an encoded "/" (%2F), "\" (%5C) or NUL (%00), in either case: decoding them would change
//      the path's segments, keeping them lets a decoding backend see segments the rules did not;
//    - an escape of anything but an unreserved character written with lower-case hex ("%c3"):
//      RFC 3986 §6.2.2.1 makes "%c3" and "%C3" one octet, and a second spelling of a path is what
//      confusion attacks are made of;
//    - a ".." that climbs above the root ("/../a", "/a/../../b");
//    - a "." or ".." segment with parameters ("/x/..;/admin", "/.%2e;x/"): servlet containers drop
//      ";…" from each segment before resolving dot segments, so to them it is a ".." the rules never
//      saw (the classic Tomcat bypass);
//    - a path that needs normalising (step 2 changes it) and also carries escapes of characters other
//      than unreserved ones ("/a/../b%20c"). Such requests are rare outside attacks, and the nginx
//      data plane cannot rewrite them without decoding those escapes too.
// 2. Normalised, in this order:
//    a. escapes of unreserved characters (A–Z a–z 0–9 - . _ ~) are decoded (RFC 3986 §6.2.2.2), so
//       "%2e%2e" is "..", "%61dmin" is "admin";
//    b. runs of "/" are merged into one ("//a///b" is "/a/b");
//    c. "." and ".." segments are removed (RFC 3986 §5.2.4): "/a/./b/../c" is "/a/c", a trailing
//       "/." or "/.." leaves a trailing "/" ("/a/b/.." is "/a/").
//    Merging before dot removal is nginx's order; Envoy's merge_slashes runs after normalize_path,
//    so "/a//../b" is "/b" here and "/a/b" there.
// Escapes of other characters (%20, %3F, %25, UTF-8 octets …) stay encoded: RFC 3986 §2.2 says an
// encoded reserved character is not the same as the raw one, so "/a%3Fb" is matched and forwarded
// as "/a%3Fb".
//
// Pure TypeScript, no I/O: used by routing/simulate and mirrored by providers/nginx/render.ts.

import type { PlanPathRewrite } from "./plan";

export type PathRefusal =
    | "not-absolute"      // does not start with "/"
    | "raw-character"     // a character that must be percent-encoded appears raw
    | "malformed-escape"  // "%" not followed by two hex digits
    | "encoded-separator" // %2F, %5C or %00
    | "lowercase-escape"  // "%c3" instead of "%C3" for a non-unreserved octet
    | "above-root"        // ".." past the first segment
    | "dot-parameters"    // "..;x" or ".;x": a dot segment to servlet containers
    | "mixed-escapes";    // needs normalising and also carries non-unreserved escapes

export type NormalizedPath =
    | { ok: true; path: string; changed: boolean }
    | { ok: false; refusal: PathRefusal; detail: string };

/** HTTP status answered for a refused path. */
export const PATH_REFUSAL_STATUS = 400;

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Raw characters a path may carry (RFC 3986 pchar without "%", plus "/"). */
const RAW_ALLOWED = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
const HEX = /^[0-9A-Fa-f]{2}$/;

function isUnreservedCode(code: number): boolean {
    return UNRESERVED.test(String.fromCharCode(code));
}

/** Applies the policy above to a path (no query string). */
export function normalizePath(raw: string): NormalizedPath {
    if (raw.charCodeAt(0) !== 47 /* "/" */) return refuse("not-absolute", `the path ${JSON.stringify(raw)} does not start with "/"`);
    let decoded = "";
    let needsWork = false;
    let otherEscape: string | undefined;
    for (let i = 0; i < raw.length; i++) {
        const c = raw[i];
        if (c !== "%") {
            if (!RAW_ALLOWED.test(c)) return refuse("raw-character", `${JSON.stringify(c)} at offset ${i} must be percent-encoded`);
            decoded += c;
            continue;
        }
        const hex = raw.slice(i + 1, i + 3);
        if (!HEX.test(hex)) return refuse("malformed-escape", `"%" at offset ${i} is not followed by two hex digits`);
        const code = parseInt(hex, 16);
        if (code === 0x2f || code === 0x5c || code === 0x00) return refuse("encoded-separator", `%${hex} at offset ${i} encodes ${code === 0 ? "NUL" : JSON.stringify(String.fromCharCode(code))}`);
        if (isUnreservedCode(code)) {
            decoded += String.fromCharCode(code);
            needsWork = true;
        } else {
            if (hex !== hex.toUpperCase()) return refuse("lowercase-escape", `%${hex} at offset ${i} must be written %${hex.toUpperCase()}`);
            decoded += "%" + hex;
            otherEscape ??= `%${hex}`;
        }
        i += 2;
    }
    let merged = decoded;
    if (merged.includes("//")) { merged = merged.replace(/\/{2,}/g, "/"); needsWork = true; }
    const segments = merged.slice(1).split("/");
    const withParams = segments.find(s => /^\.\.?;/.test(s));
    if (withParams !== undefined) return refuse("dot-parameters", `the segment ${JSON.stringify(withParams)} is a dot segment to servers that drop ";" parameters`);
    const out: string[] = [];
    for (let i = 0; i < segments.length; i++) {
        const s = segments[i];
        const last = i === segments.length - 1;
        if (s === ".") {
            needsWork = true;
            if (last) out.push("");
        } else if (s === "..") {
            needsWork = true;
            if (out.length === 0) return refuse("above-root", `".." climbs above the root in ${JSON.stringify(raw)}`);
            out.pop();
            if (last) out.push("");
        } else {
            out.push(s);
        }
    }
    if (needsWork && otherEscape !== undefined) {
        return refuse("mixed-escapes", `${JSON.stringify(raw)} needs normalising and also carries ${otherEscape}; send it already normalised`);
    }
    const path = "/" + out.join("/");
    return { ok: true, path, changed: path !== raw };
}

function refuse(refusal: PathRefusal, detail: string): NormalizedPath {
    return { ok: false, refusal, detail };
}

// ---------------------------------------------------------------- prefixes and rewrites
// The PathPrefix and ReplacePrefixMatch semantics, for compile (PlanPathMatch.prefix, PlanPathRewrite)
// and the readers of those fields.

/** "/foo/" → "/foo"; "/" → "". One trailing "/" only, as PathPrefix matching ignores it. */
export function stripTrailingSlash(p: string): string {
    return p.endsWith("/") ? p.slice(0, -1) : p;
}

/** Segment-wise prefix test; `prefix` has no trailing "/" ("" stands for "/"). */
export function prefixMatches(prefix: string, path: string): boolean {
    if (!path.startsWith(prefix)) return false;
    return path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* "/" */;
}

/** A PlanPathRewrite applied to a (normalised) path. */
export function rewritePath(rewrite: PlanPathRewrite, path: string): string {
    switch (rewrite.kind) {
        case "keep": return path;
        case "full": return rewrite.path;
        case "prefix": {
            const rest = prefixMatches(rewrite.matchedPrefix, path) ? path.slice(rewrite.matchedPrefix.length) : path;
            const out = rewrite.replacement + rest;
            return out === "" ? "/" : out;
        }
    }
}

/**
 * ReplacePrefixMatch as the spec's table states it, on prefixes and replacements as written: their
 * trailing "/" is ignored and an empty result is "/" ("/foo/bar" with "/foo"→"/" is "/bar"; "/foo/"
 * with "/foo"→"/xyz" is "/xyz/"). The same rewrite as PlanPathRewrite kind "prefix".
 */
export function replacePrefix(path: string, matchedPrefix: string, replacement: string): string {
    return rewritePath({ kind: "prefix", matchedPrefix: stripTrailingSlash(matchedPrefix), replacement: stripTrailingSlash(replacement) }, path);
}

// ---------------------------------------------------------------- request targets

/** A request target as simulate and the evaluators read it: the path as sent, plus extra raw query entries. */
export interface RequestTarget {
    /** The request target as sent; may include "?query". */
    path: string;
    /** Extra query parameters (raw, i.e. already percent-encoded), appended after the path's query. */
    query?: Record<string, string | string[]>;
}

/**
 * The request target's raw path (query excluded) and its query string: the path's own query, then
 * `request.query`'s entries. The adapters' evaluators read requests the same way.
 */
export function splitTarget(request: RequestTarget): { rawPath: string; queryString: string } {
    const q = request.path.indexOf("?");
    return {
        rawPath: q < 0 ? request.path : request.path.slice(0, q),
        queryString: joinQuery(q < 0 ? "" : request.path.slice(q + 1), request.query),
    };
}

function joinQuery(fromPath: string, extra: RequestTarget["query"]): string {
    if (!extra) return fromPath;
    const parts = fromPath ? [fromPath] : [];
    for (const name of Object.keys(extra)) {
        const v = extra[name];
        for (const one of Array.isArray(v) ? v : [v]) parts.push(`${name}=${one}`);
    }
    return parts.join("&");
}

export function withQuery(path: string, query: string): string {
    return query ? `${path}?${query}` : path;
}

/** "/foo/bar" → "foo"; "/" → ""; paths not starting with "/" (e.g. "*") share one key of their own. */
export function firstSegment(path: string): string {
    if (path.charCodeAt(0) !== 47 /* "/" */) return "\u0000";
    const end = path.indexOf("/", 1);
    return end < 0 ? path.slice(1) : path.slice(1, end);
}
