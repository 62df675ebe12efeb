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

/** The bytes 0x00–0xFF a one-character JavaScript pattern (a class, ".", "\\s", an escape) matches, as a PCRE class. */
function byteClass(jsAtom: string): string {
    const re = new RegExp(`^(?:${jsAtom})$`);
    const ranges: [number, number][] = [];
    for (let b = 0; b < 256; b++) {
        if (!re.test(String.fromCharCode(b))) continue;
        const last = ranges[ranges.length - 1];
        if (last && last[1] === b - 1) last[1] = b; else ranges.push([b, b]);
    }
    const hex = (b: number) => "\\x" + b.toString(16).padStart(2, "0");
    if (ranges.length === 0) return "(?!)"; // matches no byte ("[]" in JavaScript)
    if (ranges.length === 1 && ranges[0][0] === ranges[0][1]) {
        const b = ranges[0][0];
        return /[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : hex(b);
    }
    return "[" + ranges.map(([a, z]) => (a === z ? hex(a) : `${hex(a)}-${hex(z)}`)).join("") + "]";
}

/** PCRE's limits that JavaScript does not share: a quantifier bound, group nesting, compiled size. */
const MAX_REPEAT = 1000;
const MAX_DEPTH = 32;
const MAX_EXPANDED = 20000;

/**
 * Translates a JavaScript regular expression (no flags, as simulate() runs it) to a PCRE pattern that
 * matches exactly the same byte strings, reading each byte as one character (Latin-1, as Node's http
 * decodes header values). Throws an Error saying which construct has no exact equivalent.
 *
 * - Every character, class, "." and class escape (\\d \\w \\s and their negations) is rewritten as an
 *   explicit byte class computed by asking JavaScript itself which of the 256 bytes it matches — so
 *   "\\s" includes NBSP (0xA0) as in JavaScript, "." excludes CR and LF, "[^]" is every byte.
 * - Every group becomes non-capturing: named groups would become global nginx variables ($name) and
 *   numbered ones would overwrite the captures gatewaykit's own maps use. Backreferences are refused.
 * - "$" becomes "\\z" (PCRE's "$" also matches before a final newline); "^", "|", lookaheads, lazy
 *   quantifiers and \\b \\B mean the same in both dialects and are kept.
 * - Refused: lookbehind, modifiers "(?i:", \\k, \\p, \\c, octal and other letter escapes, quantified
 *   assertions, quantifier bounds over 1000, nesting deeper than 32, and patterns whose repetitions
 *   would compile too large for PCRE — so nginx -t never refuses what validation accepted.
 */
export function jsRegexToPcre(src: string): string {
    try {
        new RegExp(src);
    } catch (e) {
        throw new Error(`is not a valid JavaScript regular expression (${(e as Error).message})`);
    }
    if (/[^\u0000-\u00ff]/.test(src)) throw new Error("contains characters above U+00FF, which can never equal a single byte nginx reads");
    // Parts of the output per open group, to estimate the compiled size of repetitions.
    const stack: { out: string; size: number; lastSize: number; lastStart: number; assertion: boolean }[] = [{ out: "", size: 0, lastSize: 0, lastStart: -1, assertion: false }];
    let lastWasAssertion = false;
    const top = () => stack[stack.length - 1];
    const emit = (s: string, size = 1) => {
        const t = top();
        t.lastStart = t.out.length; t.lastSize = size;
        t.out += s; t.size += size;
        lastWasAssertion = false;
    };
    const emitZeroWidth = (s: string) => {
        const t = top();
        t.lastStart = -1; t.lastSize = 0; t.out += s;
        lastWasAssertion = true;
    };
    let i = 0;
    const n = src.length;
    while (i < n) {
        const c = src[i];
        if (c === "\\") {
            const d = src[i + 1];
            if (d === undefined) throw new Error("ends with a lone backslash");
            if (d === "b" || d === "B") { emitZeroWidth("\\" + d); i += 2; continue; }
            if (/[dDwWsSnrtfv]/.test(d)) { emit(byteClass("\\" + d)); i += 2; continue; }
            if (d === "0" && !/[0-9]/.test(src[i + 2] ?? "")) { emit(byteClass("\\0")); i += 2; continue; }
            if (d === "x" && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) { emit(byteClass(src.slice(i, i + 4))); i += 4; continue; }
            if (d === "u" && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) { emit(byteClass(src.slice(i, i + 6))); i += 6; continue; }
            if (/[1-9]/.test(d)) throw new Error(`uses a backreference or octal escape (\\${d}), which has no exact PCRE equivalent here`);
            if (/[A-Za-z0-9]/.test(d)) throw new Error(`uses the escape \\${d}, whose meaning differs between JavaScript and PCRE (or has no PCRE equivalent)`);
            emit(byteClass("\\" + d)); // escaped punctuation: the literal character
            i += 2;
            continue;
        }
        if (c === "[") {
            // The class as JavaScript reads it: "]" right after "[" or "[^" closes it (an empty class).
            let j = i + 1;
            if (src[j] === "^") j++;
            while (j < n && src[j] !== "]") j += src[j] === "\\" ? 2 : 1;
            const cls = src.slice(i, j + 1);
            if (/\\k/.test(cls)) throw new Error("uses \\k inside a class, whose meaning depends on named groups");
            emit(byteClass(cls));
            i = j + 1;
            continue;
        }
        if (c === "(") {
            let assertion = false;
            if (src[i + 1] === "?") {
                const rest = src.slice(i + 2);
                if (rest[0] === ":") i += 3;
                else if (rest[0] === "=" || rest[0] === "!") { assertion = true; i += 3; }
                else if (/^<[=!]/.test(rest)) throw new Error("uses a lookbehind, which PCRE accepts only with a fixed length");
                else if (rest[0] === "<") {
                    // A named group: inert (non-capturing) — in nginx its name would become a global variable.
                    i += 2 + rest.indexOf(">") + 1;
                } else throw new Error(`uses the group syntax "(?${rest.slice(0, 2)}", which has no exact PCRE equivalent`);
            } else i++;
            if (stack.length > MAX_DEPTH) throw new Error(`nests groups deeper than ${MAX_DEPTH}`);
            stack.push({ out: assertion ? `(?${src[i - 1]}` : "(?:", size: 0, lastSize: 0, lastStart: -1, assertion });
            continue;
        }
        if (c === ")") {
            const g = stack.pop()!;
            if (g.assertion) emitZeroWidth(g.out + ")");
            else emit(g.out + ")", g.size + 1);
            i++;
            continue;
        }
        if (c === "|") { const t = top(); t.out += "|"; t.lastStart = -1; t.lastSize = 0; lastWasAssertion = false; i++; continue; }
        if (c === "^") { emitZeroWidth("^"); i++; continue; }
        if (c === "$") { emitZeroWidth("\\z"); i++; continue; }
        const q = /^(?:[*+?]|\{(\d+)(?:(,)(\d*))?\})\??/.exec(src.slice(i));
        if (q && (c !== "{" || q[1] !== undefined)) {
            if (lastWasAssertion) throw new Error("quantifies an assertion (a lookahead, ^, $ or \\b), which PCRE reads differently");
            const lo = q[1] === undefined ? 0 : Number(q[1]);
            const hi = q[1] === undefined || q[2] === undefined || q[3] === "" ? lo : Number(q[3]);
            if (lo > MAX_REPEAT || hi > MAX_REPEAT) throw new Error(`repeats more than ${MAX_REPEAT} times`);
            const t = top();
            // PCRE copies a group once per counted repetition: bound the total.
            t.size += t.lastSize * Math.max(0, Math.max(lo, hi) - 1);
            if (t.size > MAX_EXPANDED) throw new Error("repeats groups so much that PCRE would compile it too large");
            t.out += q[0];
            t.lastSize = 0; t.lastStart = -1;
            i += q[0].length;
            continue;
        }
        // Any other character (including "{", "}", "]" and "." outside a class) stands for itself or, for ".", any non-newline.
        emit(byteClass(c === "." ? "." : c.replace(/[\\^$.*+?()[\]{}|\/-]/, "\\$&")));
        i++;
    }
    if (stack.length !== 1) throw new Error("has unbalanced parentheses");
    if (top().size > MAX_EXPANDED) throw new Error("is too large for PCRE");
    return top().out;
}
