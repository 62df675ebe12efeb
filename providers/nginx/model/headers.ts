// Header changes as symbolic states (the client's value, absent, a literal, or the client's value with
// literals appended), folded filter by filter in spec order, then written as nginx value expressions.
// Every name and value is checked or quoted here; headers the data plane owns are refused.

import { trimOws } from "../../../routing/simulate";
import { HTTPHeaderFilter } from "../../../routing/types";
import { DATA_PLANE_HEADERS } from "../../../routing/validate";
import { NginxRenderError, escapeValueBody, isPrintableAscii, isSafeHeaderToken, isVariableHeaderName } from "./escape";
import { Http } from "./http";

/** Symbolic state of one header while filters apply: the client's value, absent, a literal, or the client's value with literals appended. */
export type HeaderState = { kind: "orig" } | { kind: "absent" } | { kind: "literal"; value: string } | { kind: "append"; value: string };

export interface HeaderEntry { name: string; state: HeaderState }

/** Response headers nginx writes itself (a second copy would follow its own), on top of DATA_PLANE_HEADERS. */
export const NGINX_RESPONSE_HEADERS: readonly string[] = ["date", "server"];
/** Request headers nginx writes itself: who called (http.ts forwardingLines), on top of DATA_PLANE_HEADERS. */
export const NGINX_REQUEST_HEADERS: readonly string[] = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"];

export function applyHeaderOps(states: Map<string, HeaderEntry>, f: HTTPHeaderFilter | undefined, field: string, direction: "request" | "response"): void {
    if (!f) return;
    const get = (name: string): HeaderEntry => {
        const k = name.toLowerCase();
        let e = states.get(k);
        // nginx drops client request headers whose names are not letters, digits and "-" (underscores
        // included), so such a request header starts absent.
        if (!e) { e = { name, state: direction === "request" && !isVariableHeaderName(name) ? { kind: "absent" } : { kind: "orig" } }; states.set(k, e); }
        return e;
    };
    const check = (name: string, what: string) => {
        if (!isSafeHeaderToken(name)) throw new NginxRenderError(`${field}.${what}: header name ${JSON.stringify(name)} must be an HTTP token (letters, digits, !#%&'*+.^_\`|~-)`);
        const lower = name.toLowerCase();
        const own = direction === "response" ? NGINX_RESPONSE_HEADERS : NGINX_REQUEST_HEADERS;
        if (DATA_PLANE_HEADERS.includes(lower) || own.includes(lower)) {
            throw new NginxRenderError(`${field}.${what}: header ${JSON.stringify(name)} is owned by the data plane (${[...DATA_PLANE_HEADERS, ...own].join(", ")}) and cannot be changed by a route`);
        }
    };
    const value = (v: string, what: string): string => {
        if (!isPrintableAscii(v)) throw new NginxRenderError(`${field}.${what}: header value ${JSON.stringify(v)} must be printable ASCII for the nginx adapter`);
        const t = trimOws(v); // what reaches the other side: HTTP parsers strip surrounding spaces (simulate does too)
        if (t === "") throw new NginxRenderError(`${field}.${what}: header value ${JSON.stringify(v)} is empty once its surrounding spaces are stripped, and nginx does not send empty headers; give a value or use remove`);
        return t;
    };
    for (const n of f.remove ?? []) { check(n, "remove"); get(n).state = { kind: "absent" }; }
    for (const h of f.set ?? []) { check(h.name, "set"); get(h.name).state = { kind: "literal", value: value(h.value, "set") }; }
    for (const h of f.add ?? []) {
        check(h.name, "add");
        const v = value(h.value, "add");
        const e = get(h.name);
        const s = e.state;
        e.state = s.kind === "absent" ? { kind: "literal", value: v }
            : s.kind === "literal" ? { kind: "literal", value: `${s.value},${v}` }
            : s.kind === "orig" ? { kind: "append", value: v }
            : { kind: "append", value: `${s.value},${v}` };
    }
}

/**
 * The header's value as the inside of a quoted nginx value (variables braced): "" sends nothing,
 * undefined leaves the header as the client (or backend) sent it. `origVar` reads the current value
 * (e.g. http_x_foo).
 */
export function headerValue(http: Http, e: HeaderEntry, origVar: string | undefined, field: string): string | undefined {
    const s = e.state;
    if (s.kind === "orig") return undefined;
    if (s.kind === "absent") return "";
    if (s.kind === "literal") return escapeValueBody(s.value);
    if (!origVar) throw new NginxRenderError(`${field}: cannot append to header ${JSON.stringify(e.name)}: nginx only reads headers named with letters, digits and "-"`);
    if (origVar.startsWith("http_")) {
        http.warn(`${field}: add to ${e.name}: nginx 1.22 reads only the first line of a request header the client repeats, so the value is appended to that first line (nginx 1.23+ joins every line)`);
    }
    return `\${${origVar}}\${${http.separator(origVar)}}${escapeValueBody(s.value)}`;
}
