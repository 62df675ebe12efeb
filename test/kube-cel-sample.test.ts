// A small cross-check of the CEL evaluator (providers/kubernetes/model/crd-cel.ts) against the real
// kube-apiserver with the v1.6.1 CRDs: generated HTTPRoutes and Gateways, valid and broken, are
// created with server-side dry run (dryRun=All); for each, the server's CEL verdict — the set of
// (field, message) it refuses with — must equal the evaluator's. The full differential over
// generated plans is another test's; this one pins the evaluator's semantics (defaults, escaping,
// durations, list-level rules) to the server's. Gated like the other e2e tests.

import { strict as assert } from "assert";
import fc from "fast-check";
import { evaluateCrdRules } from "../providers/kubernetes/model/crd-cel";
import { ControlPlane, KubeTools, kubeGate } from "./kube/harness";

const NS = "gk-cel";
type Obj = Record<string, unknown>;

// Fragments of rules, each valid or breaking one CRD rule; a route draws one or two of them.
const ruleFragments: Obj[] = [
    { backendRefs: [{ name: "s", port: 80 }] },
    { matches: [{ path: { type: "Exact", value: "/x" } }, { headers: [{ name: "h", value: "v" }] }], backendRefs: [{ name: "s", port: 80, weight: 10 }] },
    { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
    {},
    { matches: [{ path: { value: "/a" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } } }], backendRefs: [{ name: "s", port: 80 }] },
    { matches: [{ path: { type: "Exact", value: "/a" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } } }] },
    { filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } } }], matches: [{ path: { value: "/x" } }, { path: { value: "/y" } }] },
    { filters: [{ type: "RequestRedirect", requestRedirect: { statusCode: 301 } }], backendRefs: [{ name: "s", port: 80 }] },
    { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https" } }, { type: "URLRewrite", urlRewrite: { hostname: "h" } }] },
    { filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { remove: ["a"] } }, { type: "RequestHeaderModifier", requestHeaderModifier: { remove: ["b"] } }] },
    { filters: [{ type: "ResponseHeaderModifier", requestHeaderModifier: { remove: ["a"] } }] },
    { backendRefs: [{ name: "s" }] },
    { backendRefs: [{ name: "s", port: 80, filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/z" } } }] }], matches: [{ path: { type: "Exact", value: "/e" } }] },
    { timeouts: { request: "1h30m", backendRequest: "1h29m59s" } },
    { timeouts: { request: "1s", backendRequest: "1500ms" } },
    { timeouts: { request: "0s", backendRequest: "1h" } },
    { filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "m", port: 80 }, fraction: { numerator: 101 } } }] },
    { filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "m" }, percent: 5, fraction: { numerator: 1, denominator: 2 } } }] },
    { matches: [{ path: { type: "PathPrefix", value: "rel" } }] },
    { matches: [{ path: { type: "Exact", value: "/a/../b" } }, { path: { type: "PathPrefix", value: "/a%2Fb" } }, { path: { type: "Exact", value: "/a/." } }] },
    { matches: [{ path: { type: "RegularExpression", value: "/a/../[b]+" } }] },
    { name: "same" },
];
const parentFragments: Obj[][] = [
    [{ name: "g" }],
    [{ name: "g" }],
    [{ name: "g", namespace: "a" }, { name: "g", namespace: "b" }],
    [{ name: "g", namespace: "a" }, { name: "g", namespace: "a" }],
    [{ name: "g" }, { name: "g", sectionName: "http" }],
    [{ name: "g", sectionName: "http" }, { name: "g", sectionName: "https" }],
];
const routes = fc.record({
    parentRefs: fc.constantFrom(...parentFragments),
    rules: fc.array(fc.constantFrom(...ruleFragments), { minLength: 1, maxLength: 2 }),
});
const listener = (name: string, port: number, extra: Obj = {}) => ({ name, port, protocol: "HTTP", ...extra });
const gateways: Obj[] = [
    { gatewayClassName: "c", listeners: [listener("a", 80), listener("b", 81)] },
    { gatewayClassName: "c", listeners: [listener("a", 80), listener("a", 80)] },
    { gatewayClassName: "c", listeners: [listener("a", 80, { hostname: "x.example.com" }), listener("b", 80, { hostname: "y.example.com" })] },
    { gatewayClassName: "c", listeners: [listener("a", 80, { tls: { certificateRefs: [{ name: "c" }] } })] },
    { gatewayClassName: "c", listeners: [{ name: "s", port: 443, protocol: "HTTPS", tls: { mode: "Terminate" } }] },
];

/** The server's refusal as "field: message" lines (CEL causes only), or [] when it accepts. */
function serverVerdict(status: number, json: { details?: { causes?: { field?: string; message?: string }[] }; message?: string } | undefined): string[] {
    if (status >= 200 && status < 300) return [];
    assert.equal(status, 422, `unexpected answer ${status}: ${JSON.stringify(json)}`);
    return (json?.details?.causes ?? []).map(c => {
        // CEL causes read `Invalid value: <message>` or `Invalid value: "object": <message>` (the node's type).
        const m = /^Invalid value: (?:"(?:object|array|string)": )?(.*)$/s.exec(c.message ?? "");
        return `${c.field}: ${m ? m[1] : c.message}`;
    }).sort();
}

describe("CEL evaluator vs the real kube-apiserver (server-side dry run of generated objects)", function () {
    this.timeout(120_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;

    before(async function () {
        this.timeout(50 * 60_000);
        tools = kubeGate(this, "the CEL evaluator's server cross-check");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin, namespaces: [NS] });
    });
    after(async function () {
        this.timeout(60_000);
        await cp?.stop();
    });

    it("gives the server's verdict, field and message, on every sampled HTTPRoute and Gateway", async function () {
        if (!cp) return this.skip();
        const objects = [
            ...fc.sample(routes, { numRuns: 80, seed: 15 }).map((spec, i) => ({ plural: "httproutes", kind: "HTTPRoute", name: `r${i}`, spec })),
            ...gateways.map((spec, i) => ({ plural: "gateways", kind: "Gateway", name: `g${i}`, spec })),
        ];
        let refused = 0;
        const mismatches: string[] = [];
        for (const o of objects) {
            const manifest = { apiVersion: "gateway.networking.k8s.io/v1", kind: o.kind, metadata: { name: o.name, namespace: NS }, spec: o.spec };
            const answer = await cp.request("POST", `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/${o.plural}?dryRun=All`, JSON.stringify(manifest));
            const server = serverVerdict(answer.status, answer.json);
            const ours = evaluateCrdRules(manifest)!.violations.map(v => `${v.field}: ${v.message}`).sort();
            if (server.length > 0) refused++;
            if (JSON.stringify(server) !== JSON.stringify(ours)) mismatches.push(`${o.kind} ${JSON.stringify(o.spec)}\n  server: ${server.join(" | ")}\n  ours:   ${ours.join(" | ")}`);
        }
        console.log(`      ${objects.length} objects dry-run on the server, ${refused} refused by CEL rules, ${mismatches.length} verdicts differ`);
        assert.deepEqual(mismatches, []);
        assert.ok(refused > 10 && refused < objects.length - 10, `the sample should mix accepted and refused objects (${refused} of ${objects.length} refused)`);
    });
});
