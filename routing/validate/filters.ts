// Spec validation: HTTPRoute filters (rule and backend level) and backend object references.

import { CORS_ORIGIN_SYNTAX } from "../cors";
import { HTTP_METHODS } from "../types";
import { Checker, Obj, quote } from "./checker";
import { CONTROL_CHARS } from "./patterns";

const FILTER_TYPES = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS"] as const;
/** The field each filter type must set, and only it. */
const FILTER_FIELD: Record<string, string> = {
    RequestHeaderModifier: "requestHeaderModifier",
    ResponseHeaderModifier: "responseHeaderModifier",
    RequestMirror: "requestMirror",
    RequestRedirect: "requestRedirect",
    URLRewrite: "urlRewrite",
    ExtensionRef: "extensionRef",
    CORS: "cors",
};
/** Filter types the CRD allows at most once per filter list. */
const UNREPEATABLE_FILTERS = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "CORS"];

/** The filter types a GRPCRoute allows: no redirect and no rewrite (gRPC calls are not redirected). */
export const GRPC_FILTER_TYPES: readonly string[] = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef"];

/**
 * Validates a filter list (rule or backend level); returns its entries, undefined where one is not an
 * object. `kind` "GRPCRoute" allows only GRPC_FILTER_TYPES.
 */
export function checkFilters(c: Checker, p: string, raw: unknown, kind: "HTTPRoute" | "GRPCRoute" = "HTTPRoute"): (Obj | undefined)[] {
    const list = c.list(p, raw, { max: 16, what: "filters" });
    if (!list) return [];
    const out: (Obj | undefined)[] = [];
    const counts = new Map<string, number>();
    list.forEach((r, i) => {
        const fp = `${p}[${i}]`;
        const f = c.obj(fp, r);
        out.push(f);
        if (!f) return;
        const type = f.type;
        if (kind === "GRPCRoute" && typeof type === "string" && Object.hasOwn(FILTER_FIELD, type) && !GRPC_FILTER_TYPES.includes(type)) {
            c.add(`${fp}.type`, type, `is not a GRPCRoute filter type: a GRPCRoute allows ${GRPC_FILTER_TYPES.filter(t => t !== "ExtensionRef").map(quote).join(", ")}; route this traffic with an HTTPRoute if it needs ${quote(type)}`);
            return;
        } else if (type === "ExtensionRef") {
            c.add(`${fp}.type`, type, "ExtensionRef filters are not supported by gatewaykit: no adapter can resolve custom filter kinds; use a built-in filter type");
        } else {
            c.oneOf(`${fp}.type`, type, FILTER_TYPES.filter(t => t !== "ExtensionRef"), true);
        }
        if (typeof type !== "string" || !Object.hasOwn(FILTER_FIELD, type)) return;
        counts.set(type, (counts.get(type) ?? 0) + 1);
        if (UNREPEATABLE_FILTERS.includes(type) && counts.get(type) === 2) {
            c.add(`${fp}.type`, type, `a ${type} filter cannot be repeated in one filter list; merge it into the first one`);
        }
        // Each type carries exactly its own configuration field.
        for (const [t, field] of Object.entries(FILTER_FIELD)) {
            const present = f[field] !== undefined && f[field] !== null;
            if (present && t !== type) c.add(`${fp}.${field}`, f[field], `must not be set when type is ${quote(type)}; remove it or set type to ${quote(t)}`);
        }
        const own = FILTER_FIELD[type];
        if (f[own] === undefined || f[own] === null) {
            if (type !== "ExtensionRef") c.add(`${fp}.${own}`, f[own], `is required when type is ${quote(type)}`);
            return;
        }
        switch (type) {
            case "RequestHeaderModifier":
            case "ResponseHeaderModifier":
                checkHeaderFilter(c, `${fp}.${own}`, f[own]);
                break;
            case "RequestMirror":
                checkMirror(c, `${fp}.${own}`, f[own]);
                break;
            case "RequestRedirect":
                checkRedirect(c, `${fp}.${own}`, f[own]);
                break;
            case "URLRewrite":
                checkRewrite(c, `${fp}.${own}`, f[own]);
                break;
            case "CORS":
                checkCors(c, `${fp}.${own}`, f[own]);
                break;
        }
    });
    if (counts.has("RequestRedirect") && counts.has("URLRewrite")) {
        const i = list.findIndex(f => (f as Obj | null)?.type === "URLRewrite");
        c.add(`${p}[${i}].type`, "URLRewrite", "a filter list may have a RequestRedirect or a URLRewrite, not both; a redirect sends the client elsewhere, so drop one of them");
    }
    return out;
}

/**
 * Headers the data plane owns: message framing, hop-by-hop connection management and the request
 * authority. A header modifier that sets, adds or removes one would break framing (a hung or
 * truncated message), tear connections or re-route the request, so they are refused in both
 * directions, as Envoy refuses Host and pseudo-headers. Change the host with URLRewrite.hostname.
 */
export const DATA_PLANE_HEADERS: readonly string[] = [
    "connection", "content-length", "host", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
];

function checkHeaderFilter(c: Checker, p: string, raw: unknown): void {
    const hf = c.obj(p, raw);
    if (!hf) return;
    const owned = (field: string, name: string) => {
        if (DATA_PLANE_HEADERS.includes(name.toLowerCase())) {
            c.add(field, name, `names a header the data plane owns (${DATA_PLANE_HEADERS.join(", ")}): routes cannot set, add or remove it${name.toLowerCase() === "host" ? "; rewrite the host with a URLRewrite filter's hostname" : ""}`);
        }
    };
    for (const op of ["set", "add"]) {
        const list = c.list(`${p}.${op}`, hf[op], { max: 16, what: "headers" });
        const seen = new Map<string, number>();
        list?.forEach((h, i) => {
            const hp = `${p}.${op}[${i}]`;
            const header = c.obj(hp, h);
            if (!header) return;
            const name = c.headerName(`${hp}.name`, header.name);
            c.safeValue(`${hp}.value`, header.value, 4096);
            if (name === undefined) return;
            owned(`${hp}.name`, name);
            const prev = seen.get(name.toLowerCase());
            if (prev !== undefined) c.add(`${hp}.name`, name, `must be unique within ${op} (header names are case-insensitive); ${op}[${prev}] already names ${quote(name)}`);
            else seen.set(name.toLowerCase(), i);
        });
    }
    const remove = c.list(`${p}.remove`, hf.remove, { max: 16, what: "header names" });
    const seen = new Map<string, number>();
    remove?.forEach((n, i) => {
        const name = c.headerName(`${p}.remove[${i}]`, n);
        if (name === undefined) return;
        owned(`${p}.remove[${i}]`, name);
        const prev = seen.get(name.toLowerCase());
        if (prev !== undefined) c.add(`${p}.remove[${i}]`, name, `must be unique (header names are case-insensitive); remove[${prev}] already names ${quote(name)}`);
        else seen.set(name.toLowerCase(), i);
    });
}

function checkMirror(c: Checker, p: string, raw: unknown): void {
    const m = c.obj(p, raw);
    if (!m) return;
    const ref = c.obj(`${p}.backendRef`, m.backendRef, true, "the Service to mirror requests to");
    if (ref) checkBackendObjectRef(c, `${p}.backendRef`, ref);
    const hasPercent = m.percent !== undefined && m.percent !== null;
    const hasFraction = m.fraction !== undefined && m.fraction !== null;
    c.int(`${p}.percent`, m.percent, 0, 100);
    const fraction = c.obj(`${p}.fraction`, m.fraction);
    if (fraction) {
        const num = c.int(`${p}.fraction.numerator`, fraction.numerator, 0, 2_147_483_647, true);
        const den = c.int(`${p}.fraction.denominator`, fraction.denominator, 1, 2_147_483_647) ?? (fraction.denominator === undefined ? 100 : undefined);
        if (num !== undefined && den !== undefined && num > den) c.add(`${p}.fraction.numerator`, num, `must be less than or equal to the denominator (${den})`);
    }
    if (hasPercent && hasFraction) c.add(p, { percent: m.percent, fraction: m.fraction }, "may set percent or fraction, not both; keep one");
}

function checkPathModifier(c: Checker, p: string, raw: unknown): void {
    const pm = c.obj(p, raw);
    if (!pm) return;
    const type = c.oneOf(`${p}.type`, pm.type, ["ReplaceFullPath", "ReplacePrefixMatch"], true);
    for (const [t, field] of [["ReplaceFullPath", "replaceFullPath"], ["ReplacePrefixMatch", "replacePrefixMatch"]] as const) {
        const present = pm[field] !== undefined && pm[field] !== null;
        if (present) {
            const v = c.str(`${p}.${field}`, pm[field], { max: 1024 });
            if (v !== undefined && CONTROL_CHARS.test(v)) c.add(`${p}.${field}`, v, "must not contain control characters; remove them");
            // A relative value would be glued onto whatever precedes it in a data plane (an upstream
            // name, a host), so every replacement path is absolute.
            if (v !== undefined && !v.startsWith("/")) c.add(`${p}.${field}`, v, `must be an absolute path starting with '/'; write ${quote("/" + v)}`);
            if (v !== undefined && /[?#]/.test(v)) c.add(`${p}.${field}`, v, "must not contain '?' or '#': a replacement is a path only (the query is kept as the client sent it)");
            if (type !== undefined && type !== t) c.add(`${p}.${field}`, pm[field], `must not be set when type is ${quote(type)}; set type to ${quote(t)} or remove it`);
        } else if (type === t) {
            c.add(`${p}.${field}`, pm[field], `is required when type is ${quote(t)}`);
        }
    }
}

function checkRedirect(c: Checker, p: string, raw: unknown): void {
    const r = c.obj(p, raw);
    if (!r) return;
    c.oneOf(`${p}.scheme`, r.scheme, ["http", "https"]);
    c.hostname(`${p}.hostname`, r.hostname, false);
    checkPathModifier(c, `${p}.path`, r.path);
    c.int(`${p}.port`, r.port, 1, 65535);
    c.oneOf(`${p}.statusCode`, r.statusCode, [301, 302, 303, 307, 308]);
}

function checkRewrite(c: Checker, p: string, raw: unknown): void {
    const r = c.obj(p, raw);
    if (!r) return;
    c.hostname(`${p}.hostname`, r.hostname, false);
    checkPathModifier(c, `${p}.path`, r.path);
}

/** HTTPCORSFilter: the CRD's schema and CEL rules, plus exposeHeaders '*' with credentials (meaningless, so refused). */
function checkCors(c: Checker, p: string, raw: unknown): void {
    const f = c.obj(p, raw);
    if (!f) return;
    // A list with set semantics and "*" only on its own (the CRD's x-kubernetes-list-type: set and CEL rule).
    const setOf = (field: string, max: number, what: string, item: (ip: string, v: unknown) => string | undefined, caseInsensitive: boolean, wildcardAlone: boolean): string[] => {
        const list = c.list(`${p}.${field}`, f[field], { max, what });
        const out: string[] = [];
        const seen = new Map<string, number>();
        list?.forEach((v, i) => {
            const s = item(`${p}.${field}[${i}]`, v);
            if (s === undefined) return;
            const k = caseInsensitive ? s.toLowerCase() : s;
            const prev = seen.get(k);
            if (prev !== undefined) c.add(`${p}.${field}[${i}]`, s, `must be unique; ${field}[${prev}] already lists ${quote(s)}`);
            else seen.set(k, i);
            out.push(s);
        });
        if (wildcardAlone && out.includes("*") && out.length > 1) c.add(`${p}.${field}`, out, "cannot contain '*' alongside other values: '*' already allows every one; keep only '*' or list them");
        return out;
    };
    setOf("allowOrigins", 64, "origins", (ip, v) => {
        const s = c.str(ip, v, { required: true, min: 1, max: 253 });
        if (s === undefined) return undefined;
        const m = CORS_ORIGIN_SYNTAX.exec(s);
        if (!m) {
            c.add(ip, s, "must be '*' or an origin <scheme>://<host>[:<port>] with scheme http or https, e.g. 'https://www.example.com' or 'https://*.example.com' (no path, no trailing '/')");
        } else if (m[8] !== undefined && (Number(m[8]) < 1 || Number(m[8]) > 65535)) {
            c.add(ip, s, "has a port outside 1–65535");
        }
        return s;
    }, false, true);
    const credentials = f.allowCredentials;
    if (credentials !== undefined && typeof credentials !== "boolean") c.add(`${p}.allowCredentials`, credentials, "must be true or false");
    setOf("allowMethods", 9, "methods", (ip, v) => c.oneOf(ip, v, [...HTTP_METHODS, "*"], true), false, true);
    setOf("allowHeaders", 64, "header names", (ip, v) => c.headerName(ip, v), true, true);
    const expose = setOf("exposeHeaders", 64, "header names", (ip, v) => c.headerName(ip, v), true, false);
    if (credentials === true && expose.includes("*")) {
        c.add(`${p}.exposeHeaders`, expose, "cannot contain '*' when allowCredentials is true: browsers read '*' as a header named '*' on credentialed requests, so it exposes nothing; list the response headers to expose");
    }
    c.int(`${p}.maxAge`, f.maxAge, 1, 2_147_483_647);
}

export function checkBackendObjectRef(c: Checker, p: string, ref: Obj): void {
    c.group(`${p}.group`, ref.group);
    c.kind(`${p}.kind`, ref.kind);
    c.str(`${p}.name`, ref.name, { required: true, min: 1, max: 253, what: "the name of a Service" });
    c.label(`${p}.namespace`, ref.namespace);
    const port = c.int(`${p}.port`, ref.port, 1, 65535);
    const group = ref.group ?? "";
    const kind = ref.kind ?? "Service";
    if (port === undefined && (ref.port === undefined || ref.port === null) && group === "" && kind === "Service") {
        c.add(`${p}.port`, ref.port, "is required for a Service reference: give the Service port to send traffic to, e.g. port: 8080");
    }
}
