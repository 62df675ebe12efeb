// Spec validation: the rules of the Gateway API v1 CRDs (OpenAPI patterns, lengths, enums, maxItems
// and the CEL x-kubernetes-validations) for the fields gatewaykit models, plus gatewaykit's own
// limits (HTTP/HTTPS listeners only, no TLS passthrough, no ExtensionRef). Input is treated as
// untyped: users pass data from YAML/JSON or other Pulumi languages, so a wrong JS type yields an
// issue, never a crash. Every issue names the resource, the field path, the value and the fix, and
// all issues are returned, not just the first.

import { CompileInput } from "./plan";
import { GatewayValidationError, ValidationIssue } from "./errors";
import {
    DEFAULT_NAMESPACE, GatewayClassSpec, GatewaySpec, HTTP_METHODS, HTTPRouteSpec, ReferenceGrantSpec, ServiceSpec,
} from "./types";

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------- patterns (from the CRDs)

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const CONTROLLER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
// HTAB is legal inside a header value; every other control character (CR and LF above all) would
// let a value inject extra headers or config lines into a data plane.
const CONTROL_CHARS = /[\x00-\x08\x0a-\x1f\x7f]/;

const SUBDOMAIN_RULE = "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";
const FILTER_TYPES = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef"] as const;
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
const UNREPEATABLE_FILTERS = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"];

// ---------------------------------------------------------------- issue collection

function jsType(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "an object";
    return `a ${typeof v}`;
}

function quote(s: string): string {
    return `'${s}'`;
}

/** A lower-cased, dash-joined version of a bad name, offered as a fix when it is itself valid. */
function suggestName(v: string, re: RegExp, max: number): string {
    const s = v.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, max);
    return s && s !== v && re.test(s) ? `; try ${quote(s)}` : "";
}

/** Collects the issues of one resource. The typed helpers return the value only when its JS type is right. */
class Checker {
    readonly issues: ValidationIssue[] = [];
    constructor(readonly resource: string) {}

    add(field: string, value: unknown, message: string): void {
        this.issues.push({ resource: this.resource, field, value, message });
    }

    /**
     * True when the field has no value to check further. An explicit null is an issue of its own (YAML
     * `~`, a list item left empty): the compiler reads fields as their declared types, so a null that
     * passed here would surface later as a raw TypeError.
     */
    private absent(field: string, v: unknown, required: boolean, what?: string): boolean {
        if (v === null) {
            this.add(field, v, `must not be null: ${required ? "set it" : "omit it or set it"}${what ? ` (${what})` : ""}`);
            return true;
        }
        if (v !== undefined) return false;
        if (required) this.add(field, v, what ? `is required: ${what}` : "is required");
        return true;
    }

    obj(field: string, v: unknown, required = false, what?: string): Obj | undefined {
        if (this.absent(field, v, required, what)) return undefined;
        if (typeof v !== "object" || Array.isArray(v)) {
            this.add(field, v, `must be an object (a mapping of fields), not ${jsType(v)}`);
            return undefined;
        }
        return v as Obj;
    }

    list(field: string, v: unknown, opts: { max: number; min?: number; required?: boolean; what: string }): unknown[] | undefined {
        if (this.absent(field, v, opts.required ?? false, `a list of ${opts.what}`)) return undefined;
        if (!Array.isArray(v)) {
            this.add(field, v, `must be a list of ${opts.what}, not ${jsType(v)}`);
            return undefined;
        }
        // A hole or an undefined item (JS callers; JSON and YAML have none) is reported here; null items by each item's own check.
        for (let i = 0; i < v.length; i++) {
            if (v[i] === undefined) this.add(`${field}[${i}]`, undefined, `must not be an empty item: remove it from the list of ${opts.what}`);
        }
        if (opts.min !== undefined && v.length < opts.min) this.add(field, v, `must have at least ${opts.min} ${opts.what}`);
        if (v.length > opts.max) this.add(field, v, `must have at most ${opts.max} ${opts.what} (has ${v.length}); split it across more resources`);
        return v;
    }

    str(field: string, v: unknown, opts: { required?: boolean; min?: number; max?: number; what?: string } = {}): string | undefined {
        if (this.absent(field, v, opts.required ?? false, opts.what)) return undefined;
        if (typeof v !== "string") {
            this.add(field, v, `must be a string, not ${jsType(v)}`);
            return undefined;
        }
        if (opts.min !== undefined && v.length < opts.min) this.add(field, v, opts.min === 1 ? "must not be empty" : `must have at least ${opts.min} characters`);
        if (opts.max !== undefined && v.length > opts.max) this.add(field, v, `must be at most ${opts.max} characters (has ${v.length})`);
        return v;
    }

    int(field: string, v: unknown, min: number, max: number, required = false): number | undefined {
        if (this.absent(field, v, required)) return undefined;
        if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) {
            this.add(field, v, `must be a number, not a string; write ${v.trim()} without quotes`);
            return undefined;
        }
        if (typeof v !== "number" || !Number.isFinite(v)) {
            this.add(field, v, `must be a whole number from ${min} to ${max}, not ${jsType(v)}`);
            return undefined;
        }
        if (!Number.isInteger(v)) {
            this.add(field, v, `must be a whole number from ${min} to ${max}`);
            return undefined;
        }
        if (v < min || v > max) this.add(field, v, `must be from ${min} to ${max}`);
        return v;
    }

    oneOf<T extends string | number>(field: string, v: unknown, allowed: readonly T[], required = false): T | undefined {
        if (this.absent(field, v, required, `one of ${allowed.map(a => quote(String(a))).join(", ")}`)) return undefined;
        if ((allowed as readonly unknown[]).includes(v)) return v as T;
        const sameIgnoringCase = typeof v === "string" && allowed.find(a => String(a).toLowerCase() === v.toLowerCase());
        if (typeof v === "string" && typeof allowed[0] === "number" && allowed.includes(Number(v) as T)) {
            this.add(field, v, `must be a number, not a string; write ${v} without quotes`);
        } else if (sameIgnoringCase !== undefined && sameIgnoringCase !== false) {
            this.add(field, v, `values are case-sensitive; write ${quote(String(sameIgnoringCase))}`);
        } else {
            this.add(field, v, `must be one of ${allowed.map(a => quote(String(a))).join(", ")}`);
        }
        return undefined;
    }

    // ------------------------------------------------ common field kinds

    /** An object name: a DNS-1123 subdomain. */
    subdomain(field: string, v: unknown, required: boolean, what = "a name"): string | undefined {
        const s = this.str(field, v, { required, what });
        if (s === undefined) return undefined;
        if (s === "") this.add(field, s, `must not be empty: ${what} of ${SUBDOMAIN_RULE}`);
        else if (s.length > 253) this.add(field, s, "must be at most 253 characters");
        else if (!DNS_SUBDOMAIN.test(s)) this.add(field, s, `must be a DNS subdomain: ${SUBDOMAIN_RULE}${suggestName(s, DNS_SUBDOMAIN, 253)}`);
        return s;
    }

    /** A namespace name: a DNS-1123 label. */
    label(field: string, v: unknown, required = false, what = "a namespace name"): string | undefined {
        const s = this.str(field, v, { required });
        if (s === undefined) return undefined;
        if (s.length > 63) this.add(field, s, "must be at most 63 characters");
        else if (!DNS_LABEL.test(s)) {
            this.add(field, s, `must be a DNS label (${what}): lower-case letters, digits and '-', starting and ending with a letter or digit, no '.'${suggestName(s, DNS_LABEL, 63)}`);
        }
        return s;
    }

    /** A SectionName (listener and rule names). */
    sectionName(field: string, v: unknown, required = false): string | undefined {
        return this.subdomain(field, v, required, "a section name");
    }

    group(field: string, v: unknown, required = false): void {
        const s = this.str(field, v, { required, max: 253 });
        if (s !== undefined && !GROUP.test(s)) this.add(field, s, `must be empty (the core API group) or a DNS subdomain such as ${quote("gateway.networking.k8s.io")}`);
    }

    kind(field: string, v: unknown, required = false): void {
        const s = this.str(field, v, { required, min: 1, max: 63 });
        if (s && !KIND.test(s)) this.add(field, s, `must be a Kind name such as ${quote("Service")}: letters, digits and '-', starting with a letter`);
    }

    hostname(field: string, v: unknown, allowWildcard: boolean, required = false): string | undefined {
        const s = this.str(field, v, { required });
        if (s === undefined) return undefined;
        const problem = hostnameProblem(s, allowWildcard);
        if (problem) this.add(field, s, problem);
        return s;
    }

    /** A header or query parameter name (HTTPHeaderName). */
    headerName(field: string, v: unknown): string | undefined {
        const s = this.str(field, v, { required: true, min: 1, max: 256 });
        if (s && !HEADER_NAME.test(s)) {
            this.add(field, s, "must be an HTTP header name: letters, digits and !#$%&'*+-.^_`|~ only (no spaces, ':' or control characters)");
        }
        return s;
    }

    /** A value that reaches a data plane verbatim: bounded, and free of CR/LF and other control characters. */
    safeValue(field: string, v: unknown, max: number, required = true): string | undefined {
        const s = this.str(field, v, { required, min: 1, max });
        if (s !== undefined && CONTROL_CHARS.test(s)) {
            this.add(field, s, "must not contain CR, LF or other control characters (they would inject extra headers or config); remove them");
        }
        return s;
    }

    regex(field: string, v: string): void {
        try {
            new RegExp(v);
        } catch (e) {
            this.add(field, v, `is a RegularExpression that does not compile: ${(e as Error).message}; fix the pattern or use type Exact`);
        }
    }

    labels(field: string, v: unknown): void {
        const labels = this.obj(field, v);
        if (!labels) return;
        for (const [k, val] of Object.entries(labels)) {
            const keyProblem = labelKeyProblem(k);
            if (keyProblem) this.add(field, k, `label key ${quote(k)} ${keyProblem}`);
            if (typeof val !== "string") this.add(field, val, `label ${quote(k)} must have a string value, not ${jsType(val)}`);
            else if (val.length > 63 || !LABEL_VALUE.test(val)) {
                this.add(field, val, `label ${quote(k)} has an invalid value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)`);
            }
        }
    }
}

function labelKeyProblem(k: string): string | undefined {
    const slash = k.indexOf("/");
    if (slash >= 0 && slash > 253) return "has a prefix longer than 253 characters";
    if (!LABEL_KEY.test(k)) return "must be an optional DNS-subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
    return undefined;
}

/** Why `h` is not a valid Gateway API Hostname (or PreciseHostname when wildcards are not allowed). */
export function hostnameProblem(h: string, allowWildcard: boolean): string | undefined {
    const kind = allowWildcard ? "a hostname such as 'example.com' or '*.example.com'" : "a precise hostname such as 'example.com' (no wildcard)";
    if (h === "") return `must not be empty: ${kind}`;
    if (h.length > 253) return `must be at most 253 characters (has ${h.length})`;
    const v4 = IPV4.exec(h);
    if (v4 && v4.slice(1).every(o => Number(o) <= 255)) return `must be a DNS name, not an IP address: ${kind}`;
    if (h.includes(":")) return `must not contain ':' (no port, no IPv6 address): ${kind}`;
    if (h.includes("*")) {
        if (!allowWildcard) return `must not contain a wildcard: ${kind}`;
        if (!h.startsWith("*.") || h.indexOf("*", 1) >= 0) return `may use a wildcard only as the entire first label, e.g. '*.example.com'`;
    }
    if (h !== h.toLowerCase() && HOSTNAME.test(h.toLowerCase())) return `must be lower-case; write ${quote(h.toLowerCase())}`;
    if (h.endsWith(".")) return `must not end with '.'; write ${quote(h.replace(/\.+$/, ""))}`;
    if (!(allowWildcard ? HOSTNAME : DNS_SUBDOMAIN).test(h)) {
        return `must be ${kind}: labels of lower-case letters, digits and '-' separated by '.', each starting and ending with a letter or digit`;
    }
    return undefined;
}

/** Milliseconds of a Gateway API duration ("1h30m", "500ms"), or undefined when malformed. */
export function parseDuration(d: string): number | undefined {
    if (!DURATION.test(d)) return undefined;
    const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
    let total = 0;
    for (const m of d.matchAll(/(\d+)(ms|h|m|s)/g)) total += Number(m[1]) * unit[m[2]];
    return total;
}

// ---------------------------------------------------------------- resources

function nsOf(spec: unknown): string {
    const ns = (spec as Obj | null)?.namespace;
    return typeof ns === "string" && ns !== "" ? ns : DEFAULT_NAMESPACE;
}

function labelOf(kind: string, spec: unknown): string {
    const name = (spec as Obj | null)?.name;
    return `${kind} ${nsOf(spec)}/${typeof name === "string" && name !== "" ? name : "<unnamed>"}`;
}

/** Starts a resource: checks it is an object and validates its metadata. */
function begin(kind: string, spec: unknown): [Checker, Obj | undefined] {
    const isObj = typeof spec === "object" && spec !== null && !Array.isArray(spec);
    const c = new Checker(labelOf(kind, isObj ? spec : undefined));
    if (!isObj) {
        c.add("spec", spec, `must be an object describing a ${kind}, not ${jsType(spec)}`);
        return [c, undefined];
    }
    const s = spec as Obj;
    c.subdomain("metadata.name", s.name, true, `a ${kind} name`);
    c.label("metadata.namespace", s.namespace);
    c.labels("metadata.labels", s.labels);
    return [c, s];
}

export function validateGatewayClass(spec: GatewayClassSpec): ValidationIssue[] {
    const [c, s] = begin("GatewayClass", spec);
    if (!s) return c.issues;
    const controller = c.str("spec.controllerName", s.controllerName, { required: true, max: 253, what: "the adapter's controller name, e.g. 'gatewaykit.dev/nginx'" });
    if (controller !== undefined && !CONTROLLER_NAME.test(controller)) {
        c.add("spec.controllerName", controller, "must be a domain-prefixed path such as 'gatewaykit.dev/nginx': a lower-case DNS subdomain, '/', then a path");
    }
    c.str("spec.description", s.description, { max: 64 });
    c.obj("spec.parameters", s.parameters);
    return c.issues;
}

export function validateGateway(spec: GatewaySpec): ValidationIssue[] {
    const [c, s] = begin("Gateway", spec);
    if (!s) return c.issues;
    c.str("spec.gatewayClassName", s.gatewayClassName, { required: true, min: 1, max: 253, what: "the name of a GatewayClass" });
    const listeners = c.list("spec.listeners", s.listeners, { min: 1, max: 64, required: true, what: "listeners" });
    if (!listeners) return c.issues;
    const seenNames = new Map<string, number>();
    const seenCombos = new Map<string, number>();
    listeners.forEach((raw, i) => {
        const p = `spec.listeners[${i}]`;
        const l = c.obj(p, raw);
        if (!l) return;
        const name = c.sectionName(`${p}.name`, l.name, true);
        const hostname = c.hostname(`${p}.hostname`, l.hostname, true);
        const port = c.int(`${p}.port`, l.port, 1, 65535, true);
        const protocol = checkProtocol(c, `${p}.protocol`, l.protocol);
        checkListenerTLS(c, p, protocol, l.tls);
        checkAllowedRoutes(c, `${p}.allowedRoutes`, l.allowedRoutes);

        if (name !== undefined) {
            const prev = seenNames.get(name);
            if (prev !== undefined) c.add(`${p}.name`, name, `must be unique within the Gateway; listener ${prev} is also named ${quote(name)}`);
            else seenNames.set(name, i);
        }
        if (port !== undefined && typeof l.protocol === "string") {
            const combo = `${port}|${l.protocol}|${hostname ?? ""}`;
            const prev = seenCombos.get(combo);
            if (prev !== undefined) {
                c.add(p, { port, protocol: l.protocol, hostname }, `the combination of port, protocol and hostname must be unique; listener ${prev} has the same; change the hostname or port`);
            } else seenCombos.set(combo, i);
        }
    });
    return c.issues;
}

function checkProtocol(c: Checker, field: string, v: unknown): "HTTP" | "HTTPS" | undefined {
    const s = c.str(field, v, { required: true, what: "'HTTP' or 'HTTPS'" });
    if (s === undefined || s === "HTTP" || s === "HTTPS") return s as "HTTP" | "HTTPS" | undefined;
    if (s.toUpperCase() === "HTTP" || s.toUpperCase() === "HTTPS") c.add(field, s, `protocol names are case-sensitive; write ${quote(s.toUpperCase())}`);
    else c.add(field, s, "is not supported: gatewaykit supports HTTP and HTTPS listeners only (TLS, TCP, UDP and other protocols are not)");
    return undefined;
}

function checkListenerTLS(c: Checker, p: string, protocol: string | undefined, raw: unknown): void {
    const f = `${p}.tls`;
    // An unsupported protocol is already reported; its tls rules (e.g. TLS passthrough) do not apply.
    if (protocol === undefined) return;
    if (protocol === "HTTP") {
        if (raw !== undefined && raw !== null) c.add(f, raw, "must not be set on an HTTP listener; remove tls or use protocol 'HTTPS'");
        return;
    }
    const tls = c.obj(f, raw, protocol === "HTTPS", "HTTPS listeners need tls with mode 'Terminate' and at least one certificateRef");
    if (!tls) return;
    const mode = c.oneOf(`${f}.mode`, tls.mode, ["Terminate", "Passthrough"]);
    if (mode === "Passthrough") c.add(`${f}.mode`, mode, "Passthrough is not supported: gatewaykit terminates TLS on HTTPS listeners; use mode 'Terminate' (or omit it)");
    const refs = c.list(`${f}.certificateRefs`, tls.certificateRefs, { min: 1, max: 64, required: true, what: "certificate references (Secrets holding the certificate and key)" });
    refs?.forEach((r, j) => {
        const rp = `${f}.certificateRefs[${j}]`;
        const ref = c.obj(rp, r);
        if (!ref) return;
        c.str(`${rp}.name`, ref.name, { required: true, min: 1, max: 253 });
        c.group(`${rp}.group`, ref.group);
        c.kind(`${rp}.kind`, ref.kind);
        c.label(`${rp}.namespace`, ref.namespace);
    });
    const options = c.obj(`${f}.options`, tls.options);
    if (options) {
        if (Object.keys(options).length > 16) c.add(`${f}.options`, options, "must have at most 16 entries");
        for (const [k, v] of Object.entries(options)) c.str(`${f}.options["${k}"]`, v, { max: 4096 });
    }
}

function checkAllowedRoutes(c: Checker, p: string, raw: unknown): void {
    const ar = c.obj(p, raw);
    if (!ar) return;
    const ns = c.obj(`${p}.namespaces`, ar.namespaces);
    if (ns) {
        const from = c.oneOf(`${p}.namespaces.from`, ns.from, ["All", "Same", "Selector"]);
        const hasSelector = ns.selector !== undefined && ns.selector !== null;
        if (from === "Selector" && !hasSelector) {
            c.add(`${p}.namespaces.selector`, ns.selector, "is required when from is 'Selector': give matchLabels or matchExpressions that select the namespaces whose routes may attach");
        } else if (hasSelector && from !== "Selector" && (from !== undefined || ns.from === undefined)) {
            c.add(`${p}.namespaces.selector`, ns.selector, `is only used when from is 'Selector' (from is ${quote(from ?? "Same")}); set from: 'Selector' or remove the selector`);
        }
        if (hasSelector) checkLabelSelector(c, `${p}.namespaces.selector`, ns.selector);
    }
    const kinds = c.list(`${p}.kinds`, ar.kinds, { max: 8, what: "route kinds" });
    kinds?.forEach((k, i) => {
        const kp = `${p}.kinds[${i}]`;
        const gk = c.obj(kp, k);
        if (!gk) return;
        c.group(`${kp}.group`, gk.group);
        c.kind(`${kp}.kind`, gk.kind, true);
    });
}

function checkLabelSelector(c: Checker, p: string, raw: unknown): void {
    const sel = c.obj(p, raw);
    if (!sel) return;
    c.labels(`${p}.matchLabels`, sel.matchLabels);
    const exprs = c.list(`${p}.matchExpressions`, sel.matchExpressions, { max: Infinity, what: "label selector requirements" });
    exprs?.forEach((e, i) => {
        const ep = `${p}.matchExpressions[${i}]`;
        const req = c.obj(ep, e);
        if (!req) return;
        const key = c.str(`${ep}.key`, req.key, { required: true });
        if (key !== undefined) {
            const problem = labelKeyProblem(key);
            if (problem) c.add(`${ep}.key`, key, problem);
        }
        const op = c.oneOf(`${ep}.operator`, req.operator, ["In", "NotIn", "Exists", "DoesNotExist"], true);
        const values = c.list(`${ep}.values`, req.values, { max: Infinity, what: "label values" });
        values?.forEach((v, j) => c.str(`${ep}.values[${j}]`, v, { max: 63 }));
        const count = Array.isArray(req.values) ? req.values.length : 0;
        if ((op === "In" || op === "NotIn") && count === 0) c.add(`${ep}.values`, req.values, `must list at least one value when operator is ${quote(op)}`);
        if ((op === "Exists" || op === "DoesNotExist") && count > 0) c.add(`${ep}.values`, req.values, `must be empty when operator is ${quote(op)}; remove values`);
    });
}

// ---------------------------------------------------------------- HTTPRoute

export function validateRoute(spec: HTTPRouteSpec): ValidationIssue[] {
    const [c, s] = begin("HTTPRoute", spec);
    if (!s) return c.issues;
    checkParentRefs(c, s.parentRefs);
    const hostnames = c.list("spec.hostnames", s.hostnames, { max: 16, what: "hostnames" });
    hostnames?.forEach((h, i) => c.hostname(`spec.hostnames[${i}]`, h, true, true));

    const rules = c.list("spec.rules", s.rules, { min: 1, max: 16, what: "rules (omit rules for the default: every path to no backend)" });
    if (!rules) return c.issues;
    // The CRD defaults an absent matches list to one match before its CEL rule counts them.
    const totalMatches = rules.reduce<number>((n, r) => {
        const m = (r as Obj | null)?.matches;
        return n + (Array.isArray(m) ? m.length : 1);
    }, 0);
    if (totalMatches > 128) c.add("spec.rules", totalMatches, `must have at most 128 matches across all rules (has ${totalMatches}); split the route into several HTTPRoutes`);
    const ruleNames = new Map<string, number>();
    rules.forEach((r, i) => {
        const rule = c.obj(`spec.rules[${i}]`, r);
        if (!rule) return;
        checkRule(c, `spec.rules[${i}]`, rule);
        // Rule names give a rule its identity in the plan, so two rules cannot share one.
        if (typeof rule.name === "string") {
            const prev = ruleNames.get(rule.name);
            if (prev !== undefined) c.add(`spec.rules[${i}].name`, rule.name, `must be unique within the route; rule ${prev} is also named ${quote(rule.name)}`);
            else ruleNames.set(rule.name, i);
        }
    });
    return c.issues;
}

function checkParentRefs(c: Checker, raw: unknown): void {
    const refs = c.list("spec.parentRefs", raw, { max: 32, what: "parent references" });
    if (!refs) return;
    const valid: { i: number; parent: string; section: string }[] = [];
    refs.forEach((r, i) => {
        const p = `spec.parentRefs[${i}]`;
        const ref = c.obj(p, r);
        if (!ref) return;
        c.group(`${p}.group`, ref.group);
        c.kind(`${p}.kind`, ref.kind);
        const name = c.str(`${p}.name`, ref.name, { required: true, min: 1, max: 253, what: "the name of a Gateway" });
        c.label(`${p}.namespace`, ref.namespace);
        c.sectionName(`${p}.sectionName`, ref.sectionName);
        c.int(`${p}.port`, ref.port, 1, 65535);
        if (name === undefined) return;
        // Same parent as the CEL rule sees it: defaults filled for group/kind, namespace compared as written.
        const parent = [ref.group ?? "gateway.networking.k8s.io", ref.kind ?? "Gateway", ref.namespace ?? "", name].join("|");
        valid.push({ i, parent, section: typeof ref.sectionName === "string" ? ref.sectionName : "" });
    });
    const reported = new Set<number>();
    for (const a of valid) {
        for (const b of valid) {
            if (b.i <= a.i || a.parent !== b.parent || reported.has(b.i)) continue;
            const p = `spec.parentRefs[${b.i}]`;
            if ((a.section === "") !== (b.section === "")) {
                c.add(`${p}.sectionName`, refs[b.i], `sectionName must be set on every reference when parentRefs names the same parent more than once (see parentRefs[${a.i}])`);
                reported.add(b.i);
            } else if (a.section === b.section) {
                c.add(p, refs[b.i], `duplicates parentRefs[${a.i}]; references to the same parent must have distinct sectionNames`);
                reported.add(b.i);
            }
        }
    }
}

function checkRule(c: Checker, p: string, rule: Obj): void {
    c.sectionName(`${p}.name`, rule.name);
    const matches = c.list(`${p}.matches`, rule.matches, { max: 64, what: "matches" });
    matches?.forEach((m, i) => checkMatch(c, `${p}.matches[${i}]`, m));
    const filters = checkFilters(c, `${p}.filters`, rule.filters);
    const backendRefs = c.list(`${p}.backendRefs`, rule.backendRefs, { max: 16, what: "backend references" });
    const backendFilters: { path: string; filters: (Obj | undefined)[] }[] = [];
    backendRefs?.forEach((b, i) => {
        const bp = `${p}.backendRefs[${i}]`;
        const ref = c.obj(bp, b);
        if (!ref) return;
        checkBackendObjectRef(c, bp, ref);
        c.int(`${bp}.weight`, ref.weight, 0, 1_000_000);
        backendFilters.push({ path: `${bp}.filters`, filters: checkFilters(c, `${bp}.filters`, ref.filters) });
    });

    // CEL: a redirect answers the request itself, so it cannot share a rule with backends.
    if (backendRefs && backendRefs.length > 0) {
        filters.forEach((f, i) => {
            if (f && f.requestRedirect !== undefined && f.requestRedirect !== null) {
                c.add(`${p}.filters[${i}]`, f.type, "a RequestRedirect filter must not be used together with backendRefs; remove the backendRefs or move the redirect to its own rule");
            }
        });
    }
    // CEL: ReplacePrefixMatch needs exactly one match whose (defaulted) path type is PathPrefix.
    const m = rule.matches;
    const singlePrefix = m === undefined || m === null
        || (Array.isArray(m) && m.length === 1 && (((m[0] as Obj | null)?.path as Obj | undefined)?.type ?? "PathPrefix") === "PathPrefix");
    if (!singlePrefix) {
        const count = Array.isArray(m) ? m.length : 0;
        for (const { path, filters: fs } of [{ path: `${p}.filters`, filters }, ...backendFilters]) {
            fs.forEach((f, i) => {
                for (const field of ["requestRedirect", "urlRewrite"]) {
                    const mod = ((f?.[field] as Obj | undefined)?.path) as Obj | undefined;
                    if (mod && mod.type === "ReplacePrefixMatch" && mod.replacePrefixMatch !== undefined) {
                        c.add(`${path}[${i}].${field}.path`, mod, `ReplacePrefixMatch requires the rule to have exactly one match, of path type PathPrefix (this rule has ${count === 1 ? "a non-PathPrefix match" : `${count} matches`}); use ReplaceFullPath or split the rule`);
                    }
                }
            });
        }
    }
    checkTimeouts(c, `${p}.timeouts`, rule.timeouts);
}

function checkMatch(c: Checker, p: string, raw: unknown): void {
    const match = c.obj(p, raw);
    if (!match) return;
    const path = c.obj(`${p}.path`, match.path);
    if (path) {
        const type = c.oneOf(`${p}.path.type`, path.type, ["Exact", "PathPrefix", "RegularExpression"]) ?? (path.type === undefined ? "PathPrefix" : undefined);
        const value = c.str(`${p}.path.value`, path.value, { max: 1024 });
        if (value !== undefined && type === "RegularExpression") c.regex(`${p}.path.value`, value);
        if (value !== undefined && (type === "Exact" || type === "PathPrefix")) checkPathValue(c, `${p}.path.value`, value);
    }
    const headers = c.list(`${p}.headers`, match.headers, { max: 16, what: "header matches" });
    checkValueMatches(c, `${p}.headers`, headers, 4096, true);
    const query = c.list(`${p}.queryParams`, match.queryParams, { max: 16, what: "query parameter matches" });
    checkValueMatches(c, `${p}.queryParams`, query, 1024, false);
    c.oneOf(`${p}.method`, match.method, HTTP_METHODS);
}

/** The CRD's CEL rules for Exact and PathPrefix path values, one issue per broken rule. */
function checkPathValue(c: Checker, f: string, v: string): void {
    if (!v.startsWith("/")) {
        c.add(f, v, `must be an absolute path starting with '/'${v ? `; write ${quote("/" + v)}` : ""}`);
    }
    const normalised = "data planes normalise such paths, so the match would be ambiguous";
    for (const bad of ["//", "/./", "/../"]) {
        if (v.includes(bad)) c.add(f, v, `must not contain ${quote(bad)}: ${normalised}`);
    }
    for (const bad of ["%2f", "%2F"]) {
        if (v.includes(bad)) c.add(f, v, `must not contain ${quote(bad)}: an encoded '/' is ambiguous to data planes; write a literal '/'`);
    }
    if (v.includes("#")) c.add(f, v, "must not contain '#': it starts a URL fragment, which clients never send; remove it");
    for (const bad of ["/..", "/."]) {
        if (v.endsWith(bad)) c.add(f, v, `must not end with ${quote(bad)}: ${normalised}`);
    }
    // '#' is reported above; do not report it twice.
    if (v !== "" && !PATH_CHARS.test(v.replace(/#/g, "/"))) {
        const ch = [...v].find(ch => ch !== "#" && !/[-A-Za-z0-9/._~!$&'()*+,;=:@%]/.test(ch));
        const which = ch !== undefined ? `${JSON.stringify(ch)} is not allowed` : "'%' must be followed by two hex digits";
        c.add(f, v, `may only contain letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes: ${which}; percent-encode it`);
    }
}

function checkValueMatches(c: Checker, p: string, list: unknown[] | undefined, maxValue: number, caseInsensitive: boolean): void {
    if (!list) return;
    const seen = new Map<string, number>();
    list.forEach((raw, i) => {
        const ip = `${p}[${i}]`;
        const m = c.obj(ip, raw);
        if (!m) return;
        const name = c.headerName(`${ip}.name`, m.name);
        const type = c.oneOf(`${ip}.type`, m.type, ["Exact", "RegularExpression"]) ?? (m.type === undefined ? "Exact" : undefined);
        const value = c.safeValue(`${ip}.value`, m.value, maxValue);
        if (value !== undefined && type === "RegularExpression") c.regex(`${ip}.value`, value);
        if (name === undefined) return;
        const key = caseInsensitive ? name.toLowerCase() : name;
        const prev = seen.get(key);
        if (prev !== undefined) {
            c.add(`${ip}.name`, name, caseInsensitive
                ? `must be unique within the match (header names are case-insensitive); ${p}[${prev}] also matches ${quote(name)}: combine them into one, e.g. with a RegularExpression`
                : `must be unique within the match; ${p}[${prev}] also matches ${quote(name)}`);
        } else seen.set(key, i);
    });
}

/** Validates a filter list (rule or backend level); returns its entries, undefined where one is not an object. */
function checkFilters(c: Checker, p: string, raw: unknown): (Obj | undefined)[] {
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
        if (type === "CORS") {
            c.add(`${fp}.type`, type, "CORS filters are not supported by gatewaykit yet; set the CORS headers with a ResponseHeaderModifier filter");
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
            if (type !== "ExtensionRef" && type !== "CORS") c.add(`${fp}.${own}`, f[own], `is required when type is ${quote(type)}`);
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

function checkBackendObjectRef(c: Checker, p: string, ref: Obj): void {
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

function checkTimeouts(c: Checker, p: string, raw: unknown): void {
    const t = c.obj(p, raw);
    if (!t) return;
    const ms: Record<string, number | undefined> = {};
    for (const field of ["request", "backendRequest"]) {
        const v = c.str(`${p}.${field}`, t[field]);
        if (v === undefined) continue;
        ms[field] = parseDuration(v);
        if (ms[field] === undefined) c.add(`${p}.${field}`, v, "must be a duration of 1 to 4 parts of up to 5 digits and a unit h, m, s or ms, e.g. '10s', '1m30s' or '500ms'");
    }
    // A request timeout of 0s means "no timeout", which bounds nothing.
    if (ms.request !== undefined && ms.backendRequest !== undefined && ms.request !== 0 && ms.backendRequest > ms.request) {
        c.add(`${p}.backendRequest`, t.backendRequest, `must not be longer than the request timeout (${String(t.request)}); shorten it or raise request`);
    }
}

// ---------------------------------------------------------------- backends and grants

export function validateService(spec: ServiceSpec): ValidationIssue[] {
    const [c, s] = begin("Service", spec);
    if (!s) return c.issues;
    const ports = c.list("spec.ports", s.ports, { min: 1, max: Infinity, required: true, what: "ports, e.g. [{ port: 8080 }]" });
    const seenPorts = new Map<number, number>();
    const seenNames = new Map<string, number>();
    ports?.forEach((raw, i) => {
        const p = `spec.ports[${i}]`;
        const sp = c.obj(p, raw);
        if (!sp) return;
        const port = c.int(`${p}.port`, sp.port, 1, 65535, true);
        c.int(`${p}.targetPort`, sp.targetPort, 1, 65535);
        const name = c.label(`${p}.name`, sp.name, false, "a port name");
        if (port !== undefined) {
            const prev = seenPorts.get(port);
            if (prev !== undefined) c.add(`${p}.port`, port, `must be unique within the Service; ports[${prev}] is also ${port}`);
            else seenPorts.set(port, i);
        }
        if (name !== undefined) {
            const prev = seenNames.get(name);
            if (prev !== undefined) c.add(`${p}.name`, name, `must be unique within the Service; ports[${prev}] is also named ${quote(name)}`);
            else seenNames.set(name, i);
        }
    });
    const endpoints = c.list("spec.endpoints", s.endpoints, { max: Infinity, what: "endpoints" });
    endpoints?.forEach((raw, i) => {
        const p = `spec.endpoints[${i}]`;
        const ep = c.obj(p, raw);
        if (!ep) return;
        const address = c.str(`${p}.address`, ep.address, { required: true, what: "an IP address or hostname" });
        if (address !== undefined && !isIP(address) && hostnameProblem(address, false) !== undefined) {
            c.add(`${p}.address`, address, "must be an IP address (e.g. '10.0.0.5' or '::1') or a lower-case DNS hostname (e.g. 'api.internal'), without a port; put the port in port");
        }
        c.int(`${p}.port`, ep.port, 1, 65535);
    });
    const realizations = c.obj("spec.realizations", s.realizations);
    if (realizations) {
        for (const [adapter, hints] of Object.entries(realizations)) c.obj(`spec.realizations.${adapter}`, hints);
    }
    return c.issues;
}

function isIP(s: string): boolean {
    const v4 = IPV4.exec(s);
    if (v4) return v4.slice(1).every(o => Number(o) <= 255);
    // IPv6: hex groups and colons (optionally a trailing dotted quad); at most one "::".
    if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":") || s.split("::").length > 2) return false;
    const groups = s.split(":");
    return groups.length >= 3 && groups.length <= 8 && groups.every(g => g === "" || /^[0-9a-fA-F]{1,4}$/.test(g) || IPV4.test(g));
}

export function validateReferenceGrant(spec: ReferenceGrantSpec): ValidationIssue[] {
    const [c, s] = begin("ReferenceGrant", spec);
    if (!s) return c.issues;
    const from = c.list("spec.from", s.from, { min: 1, max: 16, required: true, what: "sources ({ group, kind, namespace })" });
    from?.forEach((raw, i) => {
        const p = `spec.from[${i}]`;
        const f = c.obj(p, raw);
        if (!f) return;
        c.group(`${p}.group`, f.group, true);
        c.kind(`${p}.kind`, f.kind, true);
        c.label(`${p}.namespace`, f.namespace, true);
    });
    const to = c.list("spec.to", s.to, { min: 1, max: 16, required: true, what: "targets ({ group, kind, name? })" });
    to?.forEach((raw, i) => {
        const p = `spec.to[${i}]`;
        const t = c.obj(p, raw);
        if (!t) return;
        c.group(`${p}.group`, t.group, true);
        c.kind(`${p}.kind`, t.kind, true);
        c.str(`${p}.name`, t.name, { min: 1, max: 253 });
    });
    return c.issues;
}

// ---------------------------------------------------------------- whole input

/** Every issue in every object of `input`, plus duplicate names of one kind in one namespace. */
export function validateInput(input: CompileInput): ValidationIssue[] {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
        return [{ resource: "CompileInput", field: "", value: input, message: `must be an object with gateways and routes lists, not ${jsType(input)}` }];
    }
    const issues: ValidationIssue[] = [];
    const raw = input as unknown as Obj;
    const each = <T>(key: keyof CompileInput, kind: string, required: boolean, validate: (spec: T) => ValidationIssue[]) => {
        // Namespaces are cluster-scoped: their identity and label are the name alone.
        const clusterScoped = kind === "Namespace";
        const list = raw[key];
        if (list === undefined || list === null) {
            if (required) issues.push({ resource: "CompileInput", field: key, value: list, message: `is required: a list of ${kind} specs (may be empty)` });
            return;
        }
        if (!Array.isArray(list)) {
            issues.push({ resource: "CompileInput", field: key, value: list, message: `must be a list of ${kind} specs, not ${jsType(list)}` });
            return;
        }
        const seen = new Set<string>();
        for (const spec of list) {
            issues.push(...validate(spec as T));
            const name = (spec as Obj | null)?.name;
            if (typeof name !== "string") continue;
            const id = clusterScoped ? name : `${nsOf(spec)}/${name}`;
            if (seen.has(id)) {
                issues.push({
                    resource: clusterScoped ? `${kind} ${name}` : labelOf(kind, spec), field: "metadata.name", value: name,
                    message: clusterScoped
                        ? `is a duplicate: another ${kind} has this name; names must be unique`
                        : `is a duplicate: another ${kind} in namespace ${quote(nsOf(spec))} has this name; names must be unique per kind and namespace`,
                });
            }
            seen.add(id);
        }
    };
    each<GatewayClassSpec>("gatewayClasses", "GatewayClass", false, validateGatewayClass);
    each<GatewaySpec>("gateways", "Gateway", true, validateGateway);
    each<HTTPRouteSpec>("routes", "HTTPRoute", true, validateRoute);
    each<ServiceSpec>("services", "Service", false, validateService);
    each<ReferenceGrantSpec>("referenceGrants", "ReferenceGrant", false, validateReferenceGrant);
    each<unknown>("namespaces", "Namespace", false, validateNamespace);
    return issues;
}

/** Namespaces are cluster-scoped: labelled "Namespace <name>", identity is the name alone. */
function validateNamespace(spec: unknown): ValidationIssue[] {
    const name = (spec as Obj | null)?.name;
    const c = new Checker(`Namespace ${typeof name === "string" ? name : "<unnamed>"}`);
    const s = c.obj("spec", spec, true);
    if (!s) return c.issues;
    c.label("metadata.name", s.name, true);
    c.labels("metadata.labels", s.labels);
    return c.issues;
}

/** Throws GatewayValidationError carrying every issue when `input` is invalid. */
export function assertValid(input: CompileInput): void {
    const issues = validateInput(input);
    if (issues.length > 0) throw new GatewayValidationError(issues);
}
