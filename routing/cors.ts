// The CORS filter's semantics, decided once: which Origin values a policy allows, what a preflight
// is, and which Access-Control-* headers each answer carries. simulate evaluates corsAnswer; the
// adapters render corsHeaders (a declarative list of literals and gated echoes) and originPattern,
// so every data plane answers what simulate answers.
//
// - An Origin counts only when it is a serialised origin `http(s)://host[:port]` (letters, digits,
//   "-" and "." labels, or a bracketed IPv6 address): "null" and anything else match no policy, not
//   even "*". Scheme and host compare case-insensitively; a missing port is the scheme's default, so
//   "https://a.com" and "https://a.com:443" are the same origin. "*." in a host covers one or more
//   labels ("https://*.bar.com" allows "https://x.y.bar.com", never "https://bar.com"); a host of
//   "*" covers every host.
// - A preflight is an OPTIONS request with a non-empty Origin and Access-Control-Request-Method. The
//   gateway answers it itself with 200 (the upstream conformance test wants 200), whether or not the
//   origin is allowed: an allowed origin gets the headers below, another gets none (the browser then
//   refuses the actual request, as the spec describes). No backend sees a preflight, and it is
//   answered before the rule's other filters run: it carries only the CORS headers (no header
//   modifier, mirror or redirect applies to it), as Envoy's CORS filter answers before routing.
// - Every header is sent only when the origin is allowed. The origin is always echoed (never "*"), so
//   one answer is right with and without credentials; "*" in allowMethods / allowHeaders echoes the
//   request's Access-Control-Request-Method / -Headers when they are well-formed tokens (else the
//   header is omitted). Preflight: Allow-Origin, Allow-Credentials (when true), Allow-Methods,
//   Allow-Headers, Expose-Headers, Max-Age. Actual requests: Allow-Origin, Allow-Credentials,
//   Expose-Headers. Lists are joined with ", ".
// - The filter owns these headers on the rule's answers: a backend's own Access-Control-* headers
//   (CORS_RESPONSE_HEADERS) are removed, and validation refuses response header modifiers that name
//   them in a rule with a CORS filter.

import { HTTPCORSFilter } from "./types";

/** The response headers a CORS filter writes (and removes from the backend's answer). */
export const CORS_RESPONSE_HEADERS: readonly string[] = [
    "access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods",
    "access-control-allow-headers", "access-control-expose-headers", "access-control-max-age",
];

/** A resolved CORS filter: defaults applied, origins compiled to one pattern. */
export interface PlanCORS {
    /** As written. */
    allowOrigins: string[];
    /**
     * Anchored regular expression, JavaScript source without flags, matching exactly the Origin values
     * the policy allows (letters spelled out as [aA] classes, so no case flag is needed). It uses only
     * classes, non-capturing groups, alternation and counted repeats, so it means the same in PCRE
     * (after escape.ts jsRegexToPcre) and RE2. Absent when allowOrigins is empty (no origin allowed).
     */
    originPattern?: string;
    allowCredentials: boolean;
    /** As written; ["*"] allows every method. */
    allowMethods: string[];
    /** As written; ["*"] allows every header. */
    allowHeaders: string[];
    exposeHeaders: string[];
    /** Seconds; default 5. */
    maxAge: number;
}

/** Request headers a CORS answer may echo. */
export type CORSEchoSource = "origin" | "access-control-request-method" | "access-control-request-headers";

/** One header of a CORS answer: a literal, or a request header echoed when it matches `pattern` (anchored). */
export type CORSValue = { kind: "literal"; value: string } | { kind: "echo"; header: CORSEchoSource; pattern: string };
export interface CORSHeader { name: string; value: CORSValue }

const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
/** What an echoed Access-Control-Request-Method must look like (an HTTP token). */
export const METHOD_ECHO_PATTERN = `^${TOKEN}$`;
/** What an echoed Access-Control-Request-Headers must look like (tokens separated by commas). */
export const HEADERS_ECHO_PATTERN = `^${TOKEN}(?:[ \\t]*,[ \\t]*${TOKEN})*$`;

const LABEL = "[A-Za-z0-9-]+";
const ANY_HOST = `(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]+\\])`;
const ANY_ORIGIN = `[hH][tT][tT][pP][sS]?://${ANY_HOST}(?::[0-9]{1,5})?`;
/** The CRD's CORSOrigin pattern. */
export const CORS_ORIGIN_SYNTAX = /^(\*|(https?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?))$/;

function caseless(s: string): string {
    return s.replace(/[A-Za-z]|\./g, ch => (ch === "." ? "\\." : `[${ch.toLowerCase()}${ch.toUpperCase()}]`));
}

/** One allowOrigins entry as an unanchored pattern, or undefined when it is not CORSOrigin syntax. */
export function originEntryPattern(origin: string): string | undefined {
    const m = CORS_ORIGIN_SYNTAX.exec(origin);
    if (!m) return undefined;
    if (origin === "*") return ANY_ORIGIN;
    const scheme = m[2].toLowerCase();
    const host = m[4];
    const dflt = scheme === "https" ? 443 : 80;
    const port = m[8] === undefined ? dflt : Number(m[8]);
    const hostPattern = host === "*" ? ANY_HOST : host.startsWith("*.") ? `(?:${LABEL}\\.)+${caseless(host.slice(2))}` : caseless(host);
    return `${caseless(scheme)}://${hostPattern}${port === dflt ? `(?::${port})?` : `:${port}`}`;
}

export function corsPolicyOf(f: HTTPCORSFilter): PlanCORS {
    const allowOrigins = f.allowOrigins ?? [];
    const parts = allowOrigins.map(originEntryPattern).filter((p): p is string => p !== undefined);
    return {
        allowOrigins,
        ...(parts.length ? { originPattern: `^(?:${parts.join("|")})$` } : {}),
        allowCredentials: f.allowCredentials === true,
        allowMethods: f.allowMethods ?? [],
        allowHeaders: f.allowHeaders ?? [],
        exposeHeaders: f.exposeHeaders ?? [],
        maxAge: f.maxAge ?? 5,
    };
}

/** A preflight: OPTIONS with a non-empty Origin and Access-Control-Request-Method (headers lower-cased). */
export function isPreflight(method: string, headers: Record<string, string>): boolean {
    return method === "OPTIONS" && !!headers.origin && !!headers["access-control-request-method"];
}

/** The headers of a preflight answer (`preflight`) or of an actual answer, all sent only when the origin is allowed. */
export function corsHeaders(p: PlanCORS, preflight: boolean): CORSHeader[] {
    const out: CORSHeader[] = [];
    if (!p.originPattern) return out;
    const literal = (name: string, value: string) => out.push({ name, value: { kind: "literal", value } });
    out.push({ name: "access-control-allow-origin", value: { kind: "echo", header: "origin", pattern: p.originPattern } });
    if (p.allowCredentials) literal("access-control-allow-credentials", "true");
    if (preflight) {
        if (p.allowMethods.includes("*")) out.push({ name: "access-control-allow-methods", value: { kind: "echo", header: "access-control-request-method", pattern: METHOD_ECHO_PATTERN } });
        else if (p.allowMethods.length) literal("access-control-allow-methods", p.allowMethods.join(", "));
        if (p.allowHeaders.includes("*")) out.push({ name: "access-control-allow-headers", value: { kind: "echo", header: "access-control-request-headers", pattern: HEADERS_ECHO_PATTERN } });
        else if (p.allowHeaders.length) literal("access-control-allow-headers", p.allowHeaders.join(", "));
    }
    if (p.exposeHeaders.length) literal("access-control-expose-headers", p.exposeHeaders.join(", "));
    if (preflight) literal("access-control-max-age", String(p.maxAge));
    return out;
}

/** Whether the policy allows this Origin value. */
export function originAllowed(p: PlanCORS, origin: string | undefined): boolean {
    return !!origin && !!p.originPattern && new RegExp(p.originPattern).test(origin);
}

/**
 * The CORS part of an answer to a request (headers lower-cased, as simulate holds them): whether the
 * gateway answers it as a preflight, and the headers it sets (CORS_RESPONSE_HEADERS are otherwise removed).
 */
export function corsAnswer(p: PlanCORS, method: string, headers: Record<string, string>): { preflight: boolean; set: Record<string, string> } {
    const preflight = isPreflight(method, headers);
    const set: Record<string, string> = {};
    if (!originAllowed(p, headers.origin)) return { preflight, set };
    for (const h of corsHeaders(p, preflight)) {
        if (h.value.kind === "literal") { set[h.name] = h.value.value; continue; }
        const v = headers[h.value.header];
        if (v !== undefined && new RegExp(h.value.pattern).test(v)) set[h.name] = v;
    }
    return { preflight, set };
}
