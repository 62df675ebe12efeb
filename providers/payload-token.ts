// Stand-ins for payload values that are unknown during a preview (an address, ARN, subnet or project
// id of a resource not yet created). The Gateway compiles with a token in their place (routing never
// depends on them), the adapters build their model with it like any other string, and the Gateway's
// resource transformation turns every resource argument holding a token into an unknown Output, so a
// preview registers the resources an update will, with those arguments shown as unknown.
// A token is a valid lower-case DNS hostname (it passes the endpoint-address check) under the
// reserved .invalid TLD; tokens never exist outside a preview. Pure: no Pulumi.

const TOKEN = /gk-unknown-\d+\.invalid/;

let counter = 0;

/** A fresh token (unique within the process). */
export function payloadToken(): string {
    return `gk-unknown-${++counter}.invalid`;
}

/** True when s is, or contains (e.g. inside a JSON string or an ARN built from it), a token. */
export function holdsPayloadToken(s: unknown): boolean {
    return typeof s === "string" && TOKEN.test(s);
}

/** True when any string inside v (deeply) holds a token. */
export function containsPayloadToken(v: unknown, seen = new Set<unknown>()): boolean {
    if (typeof v === "string") return TOKEN.test(v);
    if (v === null || typeof v !== "object" || seen.has(v)) return false;
    // Only plain data: Outputs and resources are never built from a token.
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return false;
    seen.add(v);
    return Object.values(v as Record<string, unknown>).some(x => containsPayloadToken(x, seen));
}
