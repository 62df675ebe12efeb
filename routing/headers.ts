// Header semantics shared by simulate and the adapters: lower-cased names, values without the
// spaces and tabs HTTP parsers strip, a repeated name's values joined with "," (RFC 7230 §3.2.2),
// header modifiers applied remove → set → add (add appends with ","), as Envoy does.

import { HTTPHeaderFilter } from "./types";

/** Header changes with lower-cased names; a repeated name's values are joined with ",". */
export interface HeaderChanges {
    set: Record<string, string>;
    add: Record<string, string>;
    remove: string[];
}

export function emptyChanges(): HeaderChanges {
    return { set: {}, add: {}, remove: [] };
}

/** A header value without the leading and trailing spaces and tabs HTTP parsers strip. */
export function trimOws(v: string): string {
    return v.replace(/^[ \t]+|[ \t]+$/g, "");
}

/** Request headers as the matchers see them: lower-cased names, repeated values joined with ",". */
export function lowerHeaders(h: Record<string, string | string[]> | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    if (!h) return out;
    for (const name of Object.keys(h)) {
        const v = h[name];
        const key = name.toLowerCase();
        const joined = Array.isArray(v) ? v.map(trimOws).join(",") : trimOws(v);
        out[key] = key in out ? out[key] + "," + joined : joined;
    }
    return out;
}

export function copyHeaders(h: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k in h) out[k] = h[k];
    return out;
}

/** A header filter as lower-cased changes; several values for one name are joined with ",". */
export function toChanges(f: HTTPHeaderFilter | undefined): HeaderChanges {
    const c = emptyChanges();
    if (!f) return c;
    for (const h of f.set ?? []) c.set[h.name.toLowerCase()] = trimOws(h.value);
    for (const h of f.add ?? []) {
        const k = h.name.toLowerCase();
        c.add[k] = k in c.add ? `${c.add[k]},${trimOws(h.value)}` : trimOws(h.value);
    }
    for (const n of f.remove ?? []) {
        const k = n.toLowerCase();
        if (!c.remove.includes(k)) c.remove.push(k);
    }
    return c;
}

/** Applies a header filter in place: remove, then set, then add (appending with ","). */
export function applyHeaderFilter(headers: Record<string, string>, f: HTTPHeaderFilter): void {
    for (const n of f.remove ?? []) delete headers[n.toLowerCase()];
    for (const h of f.set ?? []) headers[h.name.toLowerCase()] = trimOws(h.value);
    for (const h of f.add ?? []) {
        const k = h.name.toLowerCase();
        headers[k] = k in headers ? `${headers[k]},${trimOws(h.value)}` : trimOws(h.value);
    }
}

/** `b` applied after `a`: b's set and remove win over a's for the same name, adds accumulate. */
export function mergeChanges(a: HeaderChanges, b: HeaderChanges): HeaderChanges {
    if (!Object.keys(b.set).length && !Object.keys(b.add).length && !b.remove.length) return a;
    const out: HeaderChanges = { set: { ...a.set }, add: { ...a.add }, remove: [...a.remove] };
    for (const k of b.remove) {
        delete out.set[k]; delete out.add[k];
        if (!out.remove.includes(k)) out.remove.push(k);
    }
    for (const k of Object.keys(b.set)) { out.set[k] = b.set[k]; delete out.add[k]; }
    for (const k of Object.keys(b.add)) out.add[k] = k in out.add ? `${out.add[k]},${b.add[k]}` : b.add[k];
    return out;
}

/**
 * Hop-by-hop headers describe one connection (RFC 9110 §7.6.1), so a proxy answers them itself and
 * never forwards them; Expect is answered by the proxy too. Routes may still match on them.
 */
export const HOP_BY_HOP_HEADERS: readonly string[] = ["connection", "expect", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"];

export function withoutHopByHop(h: Record<string, string>): Record<string, string> {
    let out: Record<string, string> | undefined;
    for (const k of HOP_BY_HOP_HEADERS) {
        if (!(k in h)) continue;
        out ??= copyHeaders(h);
        delete out[k];
    }
    return out ?? h;
}

/** Headers that describe an answer the gateway writes itself (a redirect, a 500): its body's type and its target. */
export const GATEWAY_ANSWER_HEADERS: readonly string[] = ["content-type", "location"];

/** Response changes on an answer the gateway writes itself: GATEWAY_ANSWER_HEADERS stay the gateway's. */
export function onGatewayAnswer(c: HeaderChanges): HeaderChanges {
    if (!GATEWAY_ANSWER_HEADERS.some(k => k in c.set || k in c.add || c.remove.includes(k))) return c;
    const out: HeaderChanges = { set: { ...c.set }, add: { ...c.add }, remove: c.remove.filter(k => !GATEWAY_ANSWER_HEADERS.includes(k)) };
    for (const k of GATEWAY_ANSWER_HEADERS) { delete out.set[k]; delete out.add[k]; }
    return out;
}
