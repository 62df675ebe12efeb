// Errors users see. Every problem names the resource, the field path, the bad value and the fix.

export interface ValidationIssue {
    /** e.g. "HTTPRoute team-a/store". */
    resource: string;
    /** e.g. "spec.rules[0].matches[1].path.value". */
    field: string;
    /** The offending value, as the user wrote it. */
    value: unknown;
    /** What is wrong and what is allowed, e.g. "must start with '/'; write '/groups'". */
    message: string;
}

export function formatIssue(i: ValidationIssue): string {
    return `${i.resource}: ${i.field}: ${i.message} (got ${describeValue(i.value)})`;
}

export function describeValue(v: unknown): string {
    if (v === undefined) return "nothing";
    if (typeof v === "string") return JSON.stringify(v);
    try {
        const s = JSON.stringify(v);
        return s === undefined ? String(v) : s.length > 200 ? s.slice(0, 197) + "..." : s;
    } catch {
        return String(v);
    }
}

/** Thrown when input specs are invalid; carries every issue found, not just the first. */
export class GatewayValidationError extends Error {
    readonly issues: ValidationIssue[];
    constructor(issues: ValidationIssue[]) {
        super(issues.length === 1
            ? formatIssue(issues[0])
            : `${issues.length} problems:\n` + issues.map(i => "  - " + formatIssue(i)).join("\n"));
        this.name = "GatewayValidationError";
        this.issues = issues;
    }
}

/** Thrown when a plan uses a feature the chosen adapter cannot carry, or exceeds its limits. */
export class CapabilityError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CapabilityError";
    }
}
