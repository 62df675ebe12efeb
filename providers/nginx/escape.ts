// Every user value that reaches an nginx config file goes through one of these: quoted and escaped,
// or rejected. nginx's parser un-escapes \" and \\ inside double quotes; "$" starts a variable in
// values that accept variables, so a literal "$" is written as ${gk_dollar} (a geo constant).

/** Thrown for a value the nginx renderer must refuse; `where` names the route/rule/field. */
export class NginxRenderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "NginxRenderError";
    }
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const NON_PRINTABLE_ASCII = /[^\u0020-\u007e]/;

/** A double-quoted literal for directives that do not interpolate variables (regexes, file paths). */
export function quoteLiteral(s: string): string {
    if (CONTROL.test(s)) throw new Error(`control characters cannot be written to an nginx config (got ${JSON.stringify(s)})`);
    return `"${s.replace(/\\/g, "\\\\").replace(/"/g, "\\\"")}"`;
}

/** A double-quoted string for directives whose arguments interpolate variables: "$" stays literal. */
export function quoteValue(s: string): string {
    if (CONTROL.test(s)) throw new Error(`control characters cannot be written to an nginx config (got ${JSON.stringify(s)})`);
    return `"${escapeValueBody(s)}"`;
}

/** The inside of a quoted value string (no surrounding quotes), for composing with variables. */
export function escapeValueBody(s: string): string {
    return s.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\$/g, "${gk_dollar}");
}

/** Escapes a literal for use inside a PCRE pattern. */
export function regexEscape(s: string): string {
    return s.replace(/[\\^$.|?*+()[\]{}-]/g, "\\$&");
}

export function isPrintableAscii(s: string): boolean {
    return !NON_PRINTABLE_ASCII.test(s);
}

const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isSafeHostname(h: string): boolean {
    return h.length <= 253 && HOSTNAME.test(h);
}

/** Header names nginx exposes as $http_<name>: letters, digits and "-" (nginx drops "_" and others). */
export function isVariableHeaderName(n: string): boolean {
    return /^[A-Za-z0-9-]+$/.test(n);
}

/** The nginx variable suffix for a header name: lower-case, "-" → "_". */
export function headerVar(n: string): string {
    return n.toLowerCase().replace(/-/g, "_");
}

/** RFC 7230 token without "$" (which nginx would read as a variable in some directives). */
export function isSafeHeaderToken(n: string): boolean {
    return /^[A-Za-z0-9!#%&'*+.^_`|~-]+$/.test(n);
}

/**
 * Translates a JavaScript regular expression (no flags, as simulate() runs it) to an equivalent PCRE
 * pattern, or throws an Error saying which construct has no exact PCRE equivalent. Only constructs
 * whose meaning is the same in both dialects pass: the rest is refused rather than guessed.
 */
export function jsRegexToPcre(src: string): string {
    try {
        new RegExp(src);
    } catch (e) {
        throw new Error(`is not a valid JavaScript regular expression (${(e as Error).message})`);
    }
    if (NON_PRINTABLE_ASCII.test(src)) throw new Error("contains non-ASCII or control characters, which nginx (PCRE, bytes) and JavaScript (UTF-16) match differently");
    let out = "";
    let inClass = false;
    let i = 0;
    const n = src.length;
    while (i < n) {
        const c = src[i];
        if (c === "\\") {
            const d = src[i + 1];
            if (d === undefined) throw new Error("ends with a lone backslash");
            if (/[dDwWsSbBnrtf]/.test(d)) { out += "\\" + d; i += 2; continue; }
            if (d === "v") { out += "\\x0b"; i += 2; continue; }
            if (d === "0" && !/[0-9]/.test(src[i + 2] ?? "")) { out += "\\x00"; i += 2; continue; }
            if (d === "x" && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) { out += src.slice(i, i + 4); i += 4; continue; }
            if (/[1-9]/.test(d)) throw new Error(`uses a backreference (\\${d}), which nginx's matcher is not given`);
            if (/[A-Za-z0-9]/.test(d)) throw new Error(`uses the escape \\${d}, whose meaning differs between JavaScript and PCRE (or has no PCRE equivalent)`);
            out += "\\" + d; // escaped punctuation means the literal character in both
            i += 2;
            continue;
        }
        if (inClass) {
            if (c === "]") inClass = false;
            // "[" inside a class is literal in JS but may open a POSIX class ("[:alpha:]") in PCRE.
            out += c === "[" ? "\\[" : c;
            i++;
            continue;
        }
        if (c === "[") {
            out += "[";
            i++;
            if (src[i] === "^") { out += "^"; i++; }
            if (src[i] === "]") throw new Error(`uses "${src.slice(0, i + 1).endsWith("^]") ? "[^]" : "[]"}", which means "anything"/"nothing" in JavaScript but opens a class containing "]" in PCRE`);
            inClass = true;
            continue;
        }
        if (c === "(") {
            if (src[i + 1] === "?") {
                const rest = src.slice(i + 2);
                if (/^[:=!]/.test(rest)) { out += "(?" + rest[0]; i += 3; continue; }
                if (/^<[=!]/.test(rest)) throw new Error("uses a lookbehind, which PCRE accepts only with a fixed length");
                const named = /^<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
                if (named) { out += "(?<" + named[1] + ">"; i += 2 + named[0].length; continue; }
                throw new Error(`uses the group syntax "(?${rest.slice(0, 2)}", which has no exact PCRE equivalent`);
            }
            out += c;
            i++;
            continue;
        }
        if (c === "{") {
            // A quantifier in both dialects only in these forms; anything else is a literal "{" in JS.
            const q = /^\{\d+(,\d*)?\}/.exec(src.slice(i));
            if (q) { out += q[0]; i += q[0].length; continue; }
            out += "\\{";
            i++;
            continue;
        }
        if (c === "}") { out += "\\}"; i++; continue; }
        if (c === "#" || c === " ") { out += "\\" + c; i++; continue; }
        out += c;
        i++;
    }
    return out;
}

/** Gateway API duration ("1h2m3s4ms") → milliseconds, or undefined when it does not parse. */
export function durationMs(d: string): number | undefined {
    const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(d);
    if (!m || d === "") return undefined;
    const [h, min, s, ms] = [m[1], m[2], m[3], m[4]].map(x => (x ? Number(x) : 0));
    return ((h * 60 + min) * 60 + s) * 1000 + ms;
}
