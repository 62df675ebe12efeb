// A rule's match as nginx tests it: "0"/"1" condition flags (header, query, method, regex path) plus
// the key its path is looked up by (dispatch.ts): the exact path, or the prefix and its depth in
// segments. The plan's match is already de-duplicated (one matcher per header or query name) and
// carries the PathPrefix without its trailing "/": it is read as given.

import { PlanRule } from "../../../routing/plan";
import { NginxRenderError, headerVar, isPrintableAscii, isVariableHeaderName, jsRegexToPcre, regexEscape } from "./escape";
import { Http } from "./http";

/** How a rule's path is found: by the exact path, by a prefix of `depth` whole segments, or by a regex flag. */
export type PathKey = { kind: "exact"; path: string } | { kind: "prefix"; prefix: string; depth: number } | { kind: "regex" };

/** The condition flags a rule needs and the key of its path. */
export function matchPattern(http: Http, rule: PlanRule): { flags: string[]; path: PathKey } {
    const m = rule.match;
    const at = `${rule.label}: ${rule.field!.match}`;
    const flags: string[] = [];
    let path: PathKey;
    const pv = m.path.value;
    if (m.path.type !== "RegularExpression" && (!isPrintableAscii(pv) || /\s/.test(pv))) {
        throw new NginxRenderError(`${at}.path.value: ${JSON.stringify(pv)} must be printable ASCII without spaces for the nginx adapter`);
    }
    if (m.path.type === "Exact") {
        path = { kind: "exact", path: pv };
    } else if (m.path.type === "PathPrefix") {
        const prefix = m.path.prefix!;
        path = { kind: "prefix", prefix, depth: prefix.split("/").length - 1 };
    } else {
        flags.push(http.cond(`path|${pv}`, "$gk_path", pcre(pv, `${at}.path.value`)));
        path = { kind: "regex" };
    }
    if (m.method !== undefined) {
        if (!/^[A-Z]+$/.test(m.method)) throw new NginxRenderError(`${at}.method: ${JSON.stringify(m.method)} is not an HTTP method`);
        // nginx answers TRACE (405) and CONNECT (since 1.21.1: an error) itself, before any location runs.
        if (m.method === "TRACE" || m.method === "CONNECT") throw new NginxRenderError(`${at}.method: nginx answers ${m.method} requests itself with an error and cannot route them; remove the ${m.method} match`);
        flags.push(http.cond(`method|${m.method}`, "$request_method", m.method));
    }
    m.headers.forEach((h, i) => {
        if (!isVariableHeaderName(h.name)) {
            throw new NginxRenderError(`${at}.headers[${i}].name: ${JSON.stringify(h.name)} cannot be matched by nginx, which only reads headers named with letters, digits and "-"`);
        }
        const value = valuePattern(h.type, h.value, `${at}.headers[${i}].value`);
        // "(?=[\\x00-\\xff])": nginx reads an absent header as "", so an empty value matches nothing (as in simulate).
        flags.push(http.cond(`header|${h.name}|${h.type}|${h.value}`, `$http_${headerVar(h.name)}`, "(?=[\\x00-\\xff])(?:" + value + ")"));
    });
    m.queryParams.forEach((q, i) => {
        if (!isPrintableAscii(q.name) || /[\s&=#]/.test(q.name)) {
            throw new NginxRenderError(`${at}.queryParams[${i}].name: ${JSON.stringify(q.name)} must be printable ASCII without spaces, "&", "=" or "#"`);
        }
        const value = valuePattern(q.type, q.value, `${at}.queryParams[${i}].value`);
        const qv = http.query(q.name);
        const matchesEmpty = q.type === "RegularExpression" ? new RegExp(`^(?:${q.value})$`).test("") : q.value === "";
        flags.push(qv.present, http.cond(`query|${q.name}|${q.type}|${q.value}`, "$" + qv.value, value, matchesEmpty));
    });
    return { flags, path };
}

function valuePattern(type: string, value: string, field: string): string {
    if (type === "RegularExpression") return pcre(value, field);
    if (!isPrintableAscii(value)) throw new NginxRenderError(`${field}: ${JSON.stringify(value)} must be printable ASCII for the nginx adapter`);
    return regexEscape(value);
}

/** A JS regex as PCRE with the same meaning byte for byte, or a refusal naming the field. */
function pcre(js: string, field: string): string {
    try {
        return jsRegexToPcre(js);
    } catch (e) {
        throw new NginxRenderError(`${field}: the regular expression ${JSON.stringify(js)} ${(e as Error).message}; nginx cannot run it with the same meaning, so rewrite it with plain classes, groups, alternation and quantifiers`);
    }
}
