// routing/paths.ts's path policy in nginx terms: `$gk_path` holds the normalised path every rule
// matches and every backend receives, or "" when the policy refuses the path (answered 400 by
// REFUSE_LINE in every server block).
//
// nginx's own `$uri` decodes *every* escape (%2F becomes a separator, %3F a "?", %25 a "%"), so it
// is used only where that equals the policy: when the path's escapes are all of unreserved
// characters. Then `$uri` is exactly "decode unreserved, merge slashes, remove dot segments" (nginx
// itself answers 400 for a ".." above the root, and for %00). A path that is already normal is taken
// from `$request_uri` as sent, escapes included. Anything else is "" — which is the policy's
// "mixed-escapes" refusal plus its character, escape, separator and dot-parameter refusals. The regexes below are
// the policy's grammar; test/nginx-paths.test.ts checks them against normalizePath over real HTTP.

/** Hex pairs of unreserved characters (A–Z a–z 0–9 - . _ ~), either case. */
const UNRESERVED_HEX_ANY_CASE = "(?:2[DdEe]|3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]|5[Ff]|6[1-9A-Fa-f]|7[0-9Aa]|7[Ee])";
/** Upper-case hex pairs a normal path may not carry: unreserved characters, "/", "\" and NUL. */
const NOT_IN_NORMAL_PATH = "(?:2[DEF]|3[0-9]|4[1-9A-F]|5[0-9ACF]|6[1-9A-F]|7[0-9AE]|00)";
/** Raw characters a path may carry: RFC 3986 pchar without "%". */
const RAW_CHAR = "[A-Za-z0-9._~!$&'()*+,;=:@-]";
/** One character of a normal path segment: a raw pchar or an upper-case escape of anything else. */
const NORMAL_CHAR = `(?:${RAW_CHAR}|%(?!${NOT_IN_NORMAL_PATH})[0-9A-F]{2})`;
/** A normal segment: not empty, not "." or "..", not "." or ".." with ";" parameters. */
const NORMAL_SEGMENT = `(?!\\.\\.?(?:[/;?]|$))${NORMAL_CHAR}+`;

/** `$request_uri` (path and query) when its path is already normal; $1 is the path. */
export const NORMAL_PATH_RE = `^(/(?:${NORMAL_SEGMENT}(?:/${NORMAL_SEGMENT})*/?)?)(?:\\?|$)`;
/**
 * `$request_uri` whose path has only raw pchars, "/" and escapes of unreserved characters, and no
 * segment of one or two (possibly encoded) dots followed by ";".
 */
export const UNRESERVED_ESCAPES_ONLY_RE = `^(?![^?]*/(?:\\.|%2[Ee]){1,2};)/(?:${RAW_CHAR}|/|%${UNRESERVED_HEX_ANY_CASE})*(?:\\?|$)`;

/** http-level lines (before any server) defining $gk_path. */
export function pathPolicyLines(quote: (s: string) => string): string[] {
    return [
        // nginx's default, stated because $uri's slash merging is part of the policy.
        "merge_slashes on;",
        "map $request_uri $gk_path {",
        `    ${quote("~" + NORMAL_PATH_RE)} $1;`,
        `    ${quote("~" + UNRESERVED_ESCAPES_ONLY_RE)} $uri;`,
        "    default \"\";",
        "}",
    ];
}

/** Server-level line: a refused path answers 400 before any location (so before any rule). */
export const REFUSE_LINE = "if ($gk_path = \"\") { return 400; }";
