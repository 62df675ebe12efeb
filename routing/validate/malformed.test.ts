// Malformed input, property-based: null, undefined or a wrong-typed value in any list item or field of
// a valid input ends in a GatewayValidationError naming the resource and the field — never a raw
// TypeError from the compiler or the nginx renderer further down.
import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from "../compile";
import { GatewayValidationError } from "../errors";
import { CompileInput } from "../plan";
import { renderNginx } from "../../providers/nginx/model";

/** A valid input using every list and most fields the validator knows. */
function richInput(): CompileInput {
    return JSON.parse(JSON.stringify({
        gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx", description: "d", parameters: { nginx: {} } }],
        gateways: [{
            name: "gw", namespace: "default", gatewayClassName: "c", labels: { team: "ops" }, listeners: [
                {
                    name: "http", port: 8080, protocol: "HTTP", hostname: "a.example",
                    allowedRoutes: {
                        namespaces: { from: "Selector", selector: { matchLabels: { t: "a" }, matchExpressions: [{ key: "t", operator: "In", values: ["a", "b"] }] } },
                        kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
                    },
                },
                { name: "https", port: 8443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: [{ name: "cert", kind: "Secret", group: "" }], options: { k: "v" } } },
            ],
            allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: { t: "a" }, matchExpressions: [{ key: "t", operator: "Exists" }] } } },
        }],
        listenerSets: [{
            name: "ls", namespace: "default", labels: { team: "a" },
            parentRef: { name: "gw", namespace: "default", kind: "Gateway", group: "gateway.networking.k8s.io" },
            listeners: [
                { name: "web", port: 8080, protocol: "HTTP", hostname: "ls.example", allowedRoutes: { namespaces: { from: "All" } } },
                { name: "secure", port: 8443, protocol: "HTTPS", hostname: "ls.example", tls: { certificateRefs: [{ name: "cert" }] } },
            ],
        }],
        routes: [{
            name: "r", namespace: "default", labels: { a: "b" },
            parentRefs: [
                { name: "gw", namespace: "default", sectionName: "http", port: 8080, kind: "Gateway", group: "gateway.networking.k8s.io" },
                { name: "ls", namespace: "default", sectionName: "web", kind: "ListenerSet", group: "gateway.networking.k8s.io" },
            ],
            hostnames: ["a.example", "*.b.example", "ls.example"],
            rules: [{
                name: "main",
                matches: [{
                    path: { type: "PathPrefix", value: "/a" },
                    headers: [{ name: "x-h", value: "y", type: "Exact" }],
                    queryParams: [{ name: "q", value: "v", type: "Exact" }],
                    method: "GET",
                }],
                filters: [
                    { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "a", value: "b" }], add: [{ name: "c", value: "d" }], remove: ["e"] } },
                    { type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "a", value: "b" }], add: [{ name: "c", value: "d" }], remove: ["e"] } },
                    { type: "URLRewrite", urlRewrite: { hostname: "h.example", path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } } },
                    { type: "RequestMirror", requestMirror: { backendRef: { name: "svc", port: 80 } } },
                ],
                backendRefs: [{
                    name: "svc", port: 80, weight: 1, kind: "Service", group: "", namespace: "default",
                    filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "a", value: "b" }] } }],
                }],
                timeouts: { request: "10s", backendRequest: "5s" },
            }, {
                matches: [{ path: { type: "Exact", value: "/r" } }],
                filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", hostname: "x.example", port: 443, statusCode: 301, path: { type: "ReplaceFullPath", replaceFullPath: "/z" } } }],
            }],
        }],
        services: [{
            name: "svc", namespace: "default", ports: [{ port: 80, targetPort: 8080, name: "http" }],
            endpoints: [{ address: "127.0.0.1", port: 8080 }, { address: "::1" }], realizations: { nginx: {} },
        }],
        referenceGrants: [{
            name: "g", namespace: "default",
            from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "other" }],
            to: [{ group: "", kind: "Service", name: "svc" }],
        }],
        namespaces: [{ name: "default", labels: { t: "a" } }],
    }));
}

type Path = (string | number)[];

/** Every position in the input below a resource: each list item and each field. */
function positions(v: unknown, p: Path = [], out: Path[] = []): Path[] {
    if (p.length >= 2) out.push(p);
    if (v && typeof v === "object") {
        for (const k of Object.keys(v)) positions((v as Record<string, unknown>)[k], [...p, Array.isArray(v) ? Number(k) : k], out);
    }
    return out;
}

const KIND: Record<string, string> = {
    gatewayClasses: "GatewayClass", gateways: "Gateway", routes: "HTTPRoute", services: "Service",
    referenceGrants: "ReferenceGrant", namespaces: "Namespace", listenerSets: "ListenerSet",
};

/** The field path an issue at `p` carries: "spec", "metadata.name", "spec.listeners[0].hostname", ... */
function fieldOf(p: Path): string {
    const rest = p.slice(2);
    if (rest.length === 0) return "spec";
    const head = rest[0] as string;
    const root = ["name", "namespace", "labels"].includes(head) ? "metadata" : "spec";
    return root + rest.map(s => typeof s === "number" ? `[${s}]` : `.${s}`).join("");
}

function withValue(input: CompileInput, p: Path, value: unknown): CompileInput {
    const copy = JSON.parse(JSON.stringify(input));
    let o = copy;
    for (const k of p.slice(0, -1)) o = o[k];
    o[p[p.length - 1]] = value;
    return copy;
}

const CERTS = { "default/cert": { certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", privateKey: "key" } };

/** Compiles and renders; returns the thrown error, or undefined when the input was accepted. */
function outcome(input: CompileInput): unknown {
    try {
        for (const gw of compile(input).gateways) renderNginx(gw, { dir: "/tmp/gk-x", generation: "g", certificates: CERTS });
        return undefined;
    } catch (e) {
        return e;
    }
}

const WRONG = [null, undefined, 0, -1, 1.5, true, "", "x", "/", {}, [], [null], [1], { a: null }] as const;

describe("malformed input (property-based): a named GatewayValidationError, never a TypeError", () => {
    const base = richInput();
    // A class's parameters belong to its adapter (checked by the adapter's preflight), not to routing.
    const all = positions(base).filter(p => !(p[0] === "gatewayClasses" && p[2] === "parameters" && p.length > 3));

    it("the rich input is valid and renders", () => {
        assert.equal(outcome(base), undefined);
        // The ListenerSet is admitted and the route attached through it, so its fields reach compile and render.
        const plan = compile(base);
        assert.equal(plan.listenerSets?.[0].conditions[0].status, "True");
        assert.ok(plan.gateways[0].listeners.some(l => l.name === "default/ls/web" && l.rules.length > 0));
        assert.ok(all.length > 150, `${all.length} positions`);
    });

    it("null in any list item or field is refused, naming the resource and that field", () => {
        fc.assert(fc.property(fc.constantFrom(...all), p => {
            const err = outcome(withValue(base, p, null));
            assert.ok(err instanceof GatewayValidationError, `${p.join(".")} = null: ${(err as Error)?.stack ?? "accepted"}`);
            const field = fieldOf(p);
            // Label maps are checked as a whole: a bad entry is reported on the map.
            const labelMap = ["labels", "matchLabels"].includes(String(p[p.length - 2])) ? fieldOf(p.slice(0, -1)) : undefined;
            const options = p[p.length - 2] === "options" ? `${fieldOf(p.slice(0, -1))}["${String(p[p.length - 1])}"]` : undefined;
            const issue = err.issues.find(i => (i.field === field || i.field === labelMap || i.field === options) && i.value === null);
            assert.ok(issue, `${p.join(".")} = null: no issue on ${field}: ${err.message}`);
            assert.ok(issue.resource.startsWith(KIND[p[0] as string] + " "), issue.resource);
            assert.ok(issue.message.length > 10, issue.message); // what is allowed, e.g. "must not be null: omit it or set it"
        }), { numRuns: 400 });
    });

    it("every position holds each wrong-typed value without a raw TypeError", () => {
        // Exhaustive over positions x values is ~3000 compiles: fast enough, and nothing left to chance.
        for (const p of all) {
            for (const v of WRONG) {
                const err = outcome(withValue(base, p, v));
                if (err === undefined) continue; // some values are valid there (e.g. "x" as a name)
                assert.ok(err instanceof GatewayValidationError || /^(NginxRenderError|CapabilityError)$/.test((err as Error).name),
                    `${p.join(".")} = ${JSON.stringify(v)}: ${(err as Error).stack}`);
                if (err instanceof GatewayValidationError) for (const i of err.issues) assert.ok(i.resource && i.field !== undefined && i.message, JSON.stringify(i));
            }
        }
    });

    it("random wrong values at several positions at once never crash the compiler", () => {
        fc.assert(fc.property(
            fc.array(fc.tuple(fc.constantFrom(...all), fc.oneof(fc.constantFrom(...WRONG), fc.anything())), { minLength: 1, maxLength: 4 }),
            edits => {
                let input = base;
                for (const [p, v] of edits) {
                    try { input = withValue(input, p, v); } catch { /* a parent was replaced by a primitive */ }
                }
                const err = outcome(input);
                assert.ok(err === undefined || err instanceof GatewayValidationError || /^(NginxRenderError|CapabilityError)$/.test((err as Error).name),
                    `${JSON.stringify(edits)}: ${(err as Error)?.stack}`);
            }), { numRuns: 500 });
    });
});
