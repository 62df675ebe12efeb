// Spec validation: issue collection. A Checker gathers the issues of one resource; its typed helpers
// return a value only when its JS type is right, so a wrong type yields an issue, never a crash.

import { ValidationIssue } from "../errors";
import { DEFAULT_NAMESPACE } from "../types";
import { parseDuration } from "../durations";
import { DNS_LABEL, DNS_SUBDOMAIN, GROUP, HEADER_NAME, KIND, LABEL_VALUE, CONTROL_CHARS, SUBDOMAIN_RULE, hostnameProblem, labelKeyProblem } from "./patterns";

export type Obj = Record<string, unknown>;

export function jsType(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "an object";
    return `a ${typeof v}`;
}

export function quote(s: string): string {
    return `'${s}'`;
}

/** A lower-cased, dash-joined version of a bad name, offered as a fix when it is itself valid. */
export function suggestName(v: string, re: RegExp, max: number): string {
    const s = v.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, max);
    return s && s !== v && re.test(s) ? `; try ${quote(s)}` : "";
}

/** Collects the issues of one resource. The typed helpers return the value only when its JS type is right. */
export class Checker {
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
        if ((v === undefined || v === null) && this.absent(field, v, opts.required ?? false, `a list of ${opts.what}`)) return undefined;
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
        // The common case first: building the "one of …" text for every valid value is most of the cost.
        if (v === undefined && !required) return undefined;
        if (v !== undefined && v !== null && (allowed as readonly unknown[]).includes(v)) return v as T;
        if (this.absent(field, v, required, `one of ${allowed.map(a => quote(String(a))).join(", ")}`)) return undefined;
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

    /** A Gateway API duration's milliseconds, when it is one; `positive`: 0 is refused too. */
    duration(field: string, v: unknown, positive = false): number | undefined {
        const s = this.str(field, v);
        if (s === undefined) return undefined;
        const ms = parseDuration(s);
        if (ms === undefined) this.add(field, s, "must be a duration of 1 to 4 parts of up to 5 digits and a unit h, m, s or ms, e.g. '10s', '1m30s' or '500ms'");
        else if (positive && ms === 0) this.add(field, s, "must be longer than 0; give a positive duration such as '1s'");
        return ms;
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

export function nsOf(spec: unknown): string {
    const ns = (spec as Obj | null)?.namespace;
    return typeof ns === "string" && ns !== "" ? ns : DEFAULT_NAMESPACE;
}

export function labelOf(kind: string, spec: unknown): string {
    const name = (spec as Obj | null)?.name;
    return `${kind} ${nsOf(spec)}/${typeof name === "string" && name !== "" ? name : "<unnamed>"}`;
}

/** Starts a resource: checks it is an object and validates its metadata. */
export function begin(kind: string, spec: unknown): [Checker, Obj | undefined] {
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
