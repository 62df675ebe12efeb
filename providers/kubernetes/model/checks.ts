// The CEL rules of the v1.6.1 CRDs (x-kubernetes-validations) that gatewaykit's objects can
// break, as TypeScript, checked on every emitted object before the cluster sees it: the API server
// would refuse the object mid-update otherwise. Defaults are applied first, as the API server
// applies them before it evaluates CEL. CORS, TLS/TCP/UDP-only and infrastructure rules are left
// out: gatewaykit never emits those fields.

import { parseDuration } from "../../../routing/durations";
import { Manifest } from "./manifests";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const has = (o: Obj | undefined, f: string) => o !== undefined && o !== null && o[f] !== undefined && o[f] !== "";

/** Problems with one object, each "<Kind> <ns>/<name>: <field>: <rule>". */
export function celProblems(m: Manifest): string[] {
    const name = `${m.kind} ${m.metadata.namespace ? m.metadata.namespace + "/" : ""}${m.metadata.name}`;
    const out: string[] = [];
    const add = (field: string, message: string) => out.push(`${name}: ${field}: ${message}`);
    if (m.apiVersion === "gateway.networking.k8s.io/v1" && m.kind === "Gateway") gatewayRules(m.spec as Obj, add);
    if (m.apiVersion === "gateway.networking.k8s.io/v1" && m.kind === "HTTPRoute") routeRules(m.spec as Obj, add);
    return out;
}

function gatewayRules(spec: Obj, add: (field: string, message: string) => void): void {
    const listeners: Obj[] = spec.listeners ?? [];
    listeners.forEach((l, i) => {
        if (["HTTP", "TCP", "UDP"].includes(l.protocol) && l.tls !== undefined) add(`spec.listeners[${i}].tls`, "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
        if (l.protocol === "HTTPS" && l.tls !== undefined && !["", "Terminate", undefined].includes(l.tls.mode)) add(`spec.listeners[${i}].tls.mode`, "tls mode must be Terminate for protocol HTTPS");
        const mode = l.tls?.mode ?? "Terminate";
        if (l.tls !== undefined && mode === "Terminate" && (l.tls.certificateRefs ?? []).length === 0 && Object.keys(l.tls.options ?? {}).length === 0) {
            add(`spec.listeners[${i}].tls`, "certificateRefs or options must be specified when mode is Terminate");
        }
        if (listeners.filter(o => o.name === l.name).length !== 1) add(`spec.listeners[${i}].name`, `Listener name must be unique within the Gateway (${JSON.stringify(l.name)} repeats)`);
        const same = listeners.filter(o => o.port === l.port && o.protocol === l.protocol && (o.hostname ?? undefined) === (l.hostname ?? undefined));
        if (same.length !== 1) add(`spec.listeners[${i}]`, "Combination of port, protocol and hostname must be unique for each listener");
    });
}

function parentKey(p: Obj): string {
    return JSON.stringify([p.group ?? "gateway.networking.k8s.io", p.kind ?? "Gateway", p.name, has(p, "namespace") ? p.namespace : ""]);
}

function routeRules(spec: Obj, add: (field: string, message: string) => void): void {
    const parents: Obj[] = spec.parentRefs ?? [];
    parents.forEach((p1, i) => {
        const same = parents.filter(p2 => parentKey(p2) === parentKey(p1));
        if (same.some(p2 => has(p2, "sectionName") !== has(p1, "sectionName"))) {
            add(`spec.parentRefs[${i}]`, "sectionName must be specified when parentRefs includes 2 or more references to the same parent");
        }
        if (same.filter(p2 => (p2.sectionName ?? "") === (p1.sectionName ?? "")).length !== 1) {
            add(`spec.parentRefs[${i}]`, "sectionName must be unique when parentRefs includes 2 or more references to the same parent");
        }
    });
    // The CRD default: one rule with one PathPrefix "/" match.
    const rules: Obj[] = spec.rules ?? [{}];
    const matchesOf = (r: Obj): Obj[] => r.matches ?? [{ path: { type: "PathPrefix", value: "/" } }];
    const total = rules.reduce((n, r) => n + matchesOf(r).length, 0);
    if (total > 128) add("spec.rules", `While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128 (got ${total})`);
    rules.forEach((r, i) => {
        const at = `spec.rules[${i}]`;
        const filters: Obj[] = r.filters ?? [];
        const backends: Obj[] = r.backendRefs ?? [];
        if (backends.length > 0 && filters.some(f => f.requestRedirect !== undefined)) add(at, "RequestRedirect filter must not be used together with backendRefs");
        const onePrefix = () => {
            const ms = matchesOf(r);
            return ms.length === 1 && ms[0].path !== undefined && (ms[0].path.type ?? "PathPrefix") === "PathPrefix";
        };
        const prefixModifier = (fs: Obj[], field: "requestRedirect" | "urlRewrite") =>
            fs.some(f => f[field]?.path?.type === "ReplacePrefixMatch" && f[field]?.path?.replacePrefixMatch !== undefined);
        for (const [field, label] of [["requestRedirect", "RequestRedirect"], ["urlRewrite", "URLRewrite"]] as const) {
            if (prefixModifier(filters, field) && !onePrefix()) add(at, `When using ${label} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`);
            if (backends.some(b => prefixModifier(b.filters ?? [], field)) && !onePrefix()) {
                add(at, `Within backendRefs, when using ${label} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`);
            }
        }
        matchesOf(r).forEach((m, j) => pathRules(m.path, `${at}.matches[${j}].path`, add));
        filterListRules(filters, `${at}.filters`, add);
        backends.forEach((b, j) => {
            refRules(b, `${at}.backendRefs[${j}]`, add);
            filterListRules(b.filters ?? [], `${at}.backendRefs[${j}].filters`, add);
        });
        const t = r.timeouts;
        if (t?.request !== undefined && t?.backendRequest !== undefined) {
            const req = parseDuration(t.request);
            const back = parseDuration(t.backendRequest);
            if (req !== undefined && back !== undefined && req !== 0 && back > req) add(`${at}.timeouts`, "backendRequest timeout cannot be longer than request timeout");
        }
    });
}

function refRules(ref: Obj, at: string, add: (field: string, message: string) => void): void {
    if ((ref.group ?? "") === "" && (ref.kind ?? "Service") === "Service" && ref.port === undefined) add(at, "Must have port for Service reference");
}

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

function pathRules(path: Obj | undefined, at: string, add: (field: string, message: string) => void): void {
    if (path === undefined) return;
    const type = path.type ?? "PathPrefix";
    const value: string = path.value ?? "/";
    if (!["Exact", "PathPrefix", "RegularExpression"].includes(type)) { add(at, "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']"); return; }
    if (type === "RegularExpression") return;
    if (!value.startsWith("/")) add(at, "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']");
    for (const bad of ["//", "/./", "/../", "%2f", "%2F", "#"]) if (value.includes(bad)) add(at, `must not contain '${bad}' when type one of ['Exact', 'PathPrefix']`);
    for (const end of ["/..", "/."]) if (value.endsWith(end)) add(at, `must not end with '${end}' when type one of ['Exact', 'PathPrefix']`);
    if (!PATH_CHARS.test(value)) add(at, "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']");
}

const FILTER_FIELDS: Record<string, string> = {
    RequestHeaderModifier: "requestHeaderModifier", ResponseHeaderModifier: "responseHeaderModifier", RequestMirror: "requestMirror",
    RequestRedirect: "requestRedirect", URLRewrite: "urlRewrite", ExtensionRef: "extensionRef",
};

function filterListRules(filters: Obj[], at: string, add: (field: string, message: string) => void): void {
    if (filters.some(f => f.type === "RequestRedirect") && filters.some(f => f.type === "URLRewrite")) {
        add(at, "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both");
    }
    for (const type of ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"]) {
        if (filters.filter(f => f.type === type).length > 1) add(at, `${type} filter cannot be repeated`);
    }
    filters.forEach((f, i) => {
        const fAt = `${at}[${i}]`;
        for (const [type, field] of Object.entries(FILTER_FIELDS)) {
            if (f[field] !== undefined && f.type !== type) add(fAt, `filter.${field} must be nil if the filter.type is not ${type}`);
            if (f[field] === undefined && f.type === type) add(fAt, `filter.${field} must be specified for ${type} filter.type`);
        }
        for (const field of ["requestRedirect", "urlRewrite"]) {
            const p = f[field]?.path;
            if (p === undefined) continue;
            const pAt = `${fAt}.${field}.path`;
            if (p.type === "ReplaceFullPath" && p.replaceFullPath === undefined) add(pAt, "replaceFullPath must be specified when type is set to 'ReplaceFullPath'");
            if (p.replaceFullPath !== undefined && p.type !== "ReplaceFullPath") add(pAt, "type must be 'ReplaceFullPath' when replaceFullPath is set");
            if (p.type === "ReplacePrefixMatch" && p.replacePrefixMatch === undefined) add(pAt, "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'");
            if (p.replacePrefixMatch !== undefined && p.type !== "ReplacePrefixMatch") add(pAt, "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set");
        }
        const mirror = f.requestMirror;
        if (mirror !== undefined) {
            if (mirror.percent !== undefined && mirror.fraction !== undefined) add(`${fAt}.requestMirror`, "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter");
            if (mirror.fraction !== undefined && mirror.fraction.numerator > (mirror.fraction.denominator ?? 100)) add(`${fAt}.requestMirror.fraction`, "numerator must be less than or equal to denominator");
            if (mirror.backendRef !== undefined) refRules(mirror.backendRef, `${fAt}.requestMirror.backendRef`, add);
        }
    });
}
