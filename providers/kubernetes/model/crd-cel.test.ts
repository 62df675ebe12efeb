// The CRDs' own CEL rules, evaluated with @bufbuild/cel: the table holds every rule of the CRD
// files, every rule compiles, Kubernetes' CEL semantics (defaults, absent fields, escaped property
// names, int vs double, transition rules) hold, and over generated routes and gateways the
// evaluator refuses exactly what a rule refuses and accepts valid objects.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { EMITTED_CRD_FILES, evaluateCrdRules, findCrdDir, isTransitionRule, loadRuleTable, planOf, readRuleTable, ruleTableFromCrds } from "./crd-cel";

type Obj = Record<string, unknown>;
const route = (spec: Obj) => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r", namespace: "default" }, spec });
const gateway = (spec: Obj) => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "g", namespace: "default" }, spec });
const problems = (m: { apiVersion: string; kind: string }): string[] => evaluateCrdRules(m)!.violations.map(v => `${v.field}: ${v.message}`);

describe("kubernetes adapter: the CRDs' CEL rules, evaluated by a CEL library", () => {
    const table = loadRuleTable();

    it("holds every x-kubernetes-validations rule of the emitted CRDs, and every rule compiles", () => {
        const dir = findCrdDir();
        assert.ok(dir, "the CRDs are found beside the repository");
        const counts: string[] = [];
        for (const file of EMITTED_CRD_FILES) {
            const text: string = fs.readFileSync(path.join(dir, file), "utf8");
            const kind = /\n {4}kind: (\w+)\n/.exec(text)![1];
            // Counted from the YAML text of each served version (backendtlspolicies.yaml keeps an
            // unserved v1alpha3), independently of the table's schema walk.
            const versions = text.split(/\n  - (?=[a-zA-Z]+:)/).slice(1);
            const inFile: number = versions.filter(v => !/\n    served: false\n/.test(v)).reduce((n, v) => n + (v.match(/^\s*(- )?rule: /gm) ?? []).length, 0);
            const inTable = table.rules.filter(r => r.kind === kind).length;
            assert.equal(inTable, inFile, `${file}: ${inFile} rules in the file, ${inTable} in the table`);
            counts.push(`${kind} ${inTable}`);
        }
        console.log(`      rules: ${counts.join(", ")} (all served versions); transition rules: ${table.rules.filter(isTransitionRule).length}`);
        for (const r of table.rules) assert.doesNotThrow(() => planOf(r.rule), `${r.kind} ${r.version} ${r.path}: ${r.rule}`);
        assert.deepEqual(JSON.parse(JSON.stringify(table)), table, "the table survives the JSON the build writes");
    });

    it("fails with a clear message when neither the generated table nor the CRDs are there", () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "gk-cel-"));
        try {
            assert.throws(() => readRuleTable(empty, undefined), /CEL rule table is missing: neither .*gateway-api-cel-rules\.json .*GATEWAYKIT_GATEWAY_API_CRDS/);
            fs.writeFileSync(path.join(empty, "gateway-api-cel-rules.json"), JSON.stringify(ruleTableFromCrds(findCrdDir()!)));
            assert.equal(readRuleTable(empty, undefined).rules.length, table.rules.length, "the generated file is read when present");
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("skips transition rules (oldSelf) with the reason, on create", () => {
        const r = evaluateCrdRules({ apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "c" }, spec: { controllerName: "example.com/c" } } as never)!;
        assert.deepEqual(r.violations, []);
        assert.deepEqual(r.skipped.map(s => s.rule.rule), ["self == oldSelf"]);
        assert.match(r.skipped[0].why, /on update only/);
    });

    it("reads a parentRef's namespace as __namespace__ (Kubernetes escapes CEL reserved words)", () => {
        assert.deepEqual(problems(route({ parentRefs: [{ name: "g", namespace: "a" }, { name: "g", namespace: "b" }] })), []);
        assert.deepEqual(problems(route({ parentRefs: [{ name: "g", namespace: "a" }, { name: "g", namespace: "a" }] })),
            ["spec.parentRefs: sectionName must be unique when parentRefs includes 2 or more references to the same parent"]);
    });

    it("applies the CRD defaults before the rules, and runs a rule only where its node is present", () => {
        const prefix = { type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } } };
        // No matches: the default is one PathPrefix "/" match; a path without type defaults to PathPrefix.
        assert.deepEqual(problems(route({ rules: [{ filters: [prefix] }] })), []);
        assert.deepEqual(problems(route({ rules: [{ matches: [{ path: { value: "/a" } }], filters: [prefix] }] })), []);
        assert.deepEqual(problems(route({ rules: [{ matches: [{ path: { type: "Exact", value: "/a" } }], filters: [prefix] }] })),
            ["spec.rules[0]: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"]);
        // fraction.denominator defaults to 100; numbers are CEL ints; undefined and null are absent.
        const mirror = (fraction: Obj) => route({ rules: [{ filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "m", port: 80 }, fraction, percent: undefined } }] }] });
        assert.deepEqual(problems(mirror({ numerator: 99 })), []);
        assert.deepEqual(problems(mirror({ numerator: 101 })), ["spec.rules[0].filters[0].requestMirror.fraction: numerator must be less than or equal to denominator"]);
        assert.deepEqual(problems(mirror({ numerator: 3, denominator: 2 })), ["spec.rules[0].filters[0].requestMirror.fraction: numerator must be less than or equal to denominator"]);
        assert.deepEqual(problems(route({ rules: [{ timeouts: { request: "1s", backendRequest: "1500ms" } }] })), ["spec.rules[0].timeouts: backendRequest timeout cannot be longer than request timeout"]);
        assert.deepEqual(problems(route({ rules: [{ timeouts: { request: "0s", backendRequest: "1h" } }] })), [], "request 0s disables the comparison");
        assert.deepEqual(problems(route({ rules: [{ timeouts: { request: "2s", backendRequest: "1s" } }] })), []);
    });

    it("words an evaluation error as the server does (a TLS listener without certificateRefs reads an absent field)", () => {
        assert.deepEqual(problems(gateway({ gatewayClassName: "c", listeners: [{ name: "s", port: 443, protocol: "HTTPS", tls: { mode: "Terminate" } }] })),
            ["spec.listeners[0].tls: no such key: certificateRefs evaluating rule: certificateRefs or options must be specified when mode is Terminate"]);
    });

    it("accepts duplicate rule names, as the v1.6.1 standard CRD does (no rule refuses them; the field's doc says MUST)", () => {
        assert.deepEqual(problems(route({ rules: [{ name: "a" }, { name: "a" }] })), []);
    });

    // ------------------------------------------------------------ generated objects

    const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._~-]{0,6}$/).filter(s => s !== "." && s !== ".." && !s.endsWith("."));
    const absPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map(ss => "/" + ss.join("/"));
    const header = fc.record({ set: fc.constant([{ name: "x-a", value: "1" }]), remove: fc.constant(["x-b"]) }, { requiredKeys: [] })
        .filter(h => Object.keys(h).length > 0);
    const backend = fc.record({ name: fc.constantFrom("s1", "s2"), port: fc.integer({ min: 1, max: 65535 }), weight: fc.integer({ min: 0, max: 100 }) });
    const durationMs = fc.integer({ min: 1, max: 100_000 });

    /** A valid rule: at most one filter of each kind, field and type agreeing, no redirect beside backends, prefix modifiers on one PathPrefix match. */
    const validRule = fc.record({
        matches: fc.array(fc.record({ path: fc.record({ type: fc.constantFrom("Exact", "PathPrefix"), value: absPath }) }), { minLength: 1, maxLength: 3 }),
        reqHeader: fc.option(header, { nil: undefined }),
        respHeader: fc.option(header, { nil: undefined }),
        modifier: fc.constantFrom("none", "redirect", "rewrite"),
        prefix: fc.boolean(),
        backends: fc.array(backend, { minLength: 1, maxLength: 3 }),
        timeouts: fc.option(fc.tuple(durationMs, durationMs), { nil: undefined }),
    }).map(g => {
        const onePrefix = g.prefix;
        const matches = onePrefix ? [{ path: { type: "PathPrefix", value: g.matches[0].path.value } }] : g.matches;
        const path = onePrefix ? { type: "ReplacePrefixMatch", replacePrefixMatch: "/p" } : { type: "ReplaceFullPath", replaceFullPath: "/f" };
        const filters: Obj[] = [];
        if (g.reqHeader) filters.push({ type: "RequestHeaderModifier", requestHeaderModifier: g.reqHeader });
        if (g.respHeader) filters.push({ type: "ResponseHeaderModifier", responseHeaderModifier: g.respHeader });
        if (g.modifier === "redirect") filters.push({ type: "RequestRedirect", requestRedirect: { path, statusCode: 302 } });
        if (g.modifier === "rewrite") filters.push({ type: "URLRewrite", urlRewrite: { path } });
        const rule: Obj = { matches, ...(filters.length ? { filters } : {}) };
        if (g.modifier !== "redirect") rule.backendRefs = g.backends;
        if (g.timeouts) {
            const [a, b] = g.timeouts;
            rule.timeouts = { request: `${Math.max(a, b)}ms`, backendRequest: `${Math.min(a, b)}ms` };
        }
        return rule;
    });
    const validRoute = fc.record({
        parentRefs: fc.uniqueArray(fc.record({ name: fc.constantFrom("g1", "g2"), sectionName: fc.constantFrom("http", "https") }), { selector: p => `${p.name}/${p.sectionName}`, minLength: 1, maxLength: 4 }),
        rules: fc.array(validRule, { minLength: 1, maxLength: 4 }),
    });

    it("accepts every valid generated HTTPRoute", () => {
        fc.assert(fc.property(validRoute, spec => { assert.deepEqual(problems(route(spec)), []); }), { numRuns: 300 });
    });

    /** One way to break a valid route, and what the CRD says about it. */
    const breakages: { name: string; apply: (spec: Obj, i: number) => void; expect: (i: number) => string }[] = [
        {
            name: "RequestRedirect beside backendRefs",
            apply: (s, i) => {
                const r = rulesOf(s)[i];
                r.filters = [...((r.filters as Obj[]) ?? []).filter(f => f.type !== "URLRewrite" && f.type !== "RequestRedirect"), { type: "RequestRedirect", requestRedirect: { statusCode: 301 } }];
                r.backendRefs = [{ name: "s1", port: 80 }];
            },
            expect: i => `spec.rules[${i}]: RequestRedirect filter must not be used together with backendRefs`,
        },
        {
            name: "ReplacePrefixMatch on a non-PathPrefix match",
            apply: (s, i) => {
                const r = rulesOf(s)[i];
                r.filters = [...((r.filters as Obj[]) ?? []).filter(f => f.type !== "URLRewrite" && f.type !== "RequestRedirect"), { type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/x" } } }];
                r.matches = [{ path: { type: "Exact", value: "/e" } }];
            },
            expect: i => `spec.rules[${i}]: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
        },
        {
            name: "a repeated filter kind",
            apply: (s, i) => {
                const r = rulesOf(s)[i];
                r.filters = [...((r.filters as Obj[]) ?? []), { type: "RequestHeaderModifier", requestHeaderModifier: { remove: ["y"] } }, { type: "RequestHeaderModifier", requestHeaderModifier: { remove: ["z"] } }];
            },
            expect: i => `spec.rules[${i}].filters: RequestHeaderModifier filter cannot be repeated`,
        },
        {
            name: "a filter whose type and field disagree",
            apply: (s, i) => { rulesOf(s)[i].filters = [{ type: "ResponseHeaderModifier", requestHeaderModifier: { remove: ["y"] } }]; },
            expect: i => `spec.rules[${i}].filters[0]: filter.requestHeaderModifier must be nil if the filter.type is not RequestHeaderModifier`,
        },
        {
            name: "a Service backend without a port",
            apply: (s, i) => { rulesOf(s)[i].filters = []; rulesOf(s)[i].backendRefs = [{ name: "s1" }]; },
            expect: i => `spec.rules[${i}].backendRefs[0]: Must have port for Service reference`,
        },
        {
            name: "a backend timeout longer than the request timeout",
            apply: (s, i) => { rulesOf(s)[i].timeouts = { request: "1s", backendRequest: "2s" }; },
            expect: i => `spec.rules[${i}].timeouts: backendRequest timeout cannot be longer than request timeout`,
        },
        {
            name: "a relative path",
            apply: (s, i) => { rulesOf(s)[i].matches = [{ path: { type: "PathPrefix", value: "rel" } }]; rulesOf(s)[i].filters = []; },
            expect: i => `spec.rules[${i}].matches[0].path: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`,
        },
        {
            name: "a path with an encoded slash",
            apply: (s, i) => { rulesOf(s)[i].matches = [{ path: { type: "Exact", value: "/a%2Fb" } }]; rulesOf(s)[i].filters = []; },
            expect: i => `spec.rules[${i}].matches[0].path: must not contain '%2F' when type one of ['Exact', 'PathPrefix']`,
        },
        {
            name: "two references to one parent without sectionName",
            apply: s => { s.parentRefs = [{ name: "g9" }, { name: "g9", sectionName: "http" }]; },
            expect: () => "spec.parentRefs: sectionName must be specified when parentRefs includes 2 or more references to the same parent",
        },
    ];
    const rulesOf = (s: Obj) => s.rules as Obj[];

    it("refuses each generated breakage with the CRD's own message at the rule's field", () => {
        const hits = new Map<string, number>();
        fc.assert(fc.property(validRoute, fc.constantFrom(...breakages), fc.nat(), (spec, b, n) => {
            const broken = structuredClone(spec) as Obj;
            const i = n % rulesOf(broken).length;
            b.apply(broken, i);
            const got = problems(route(broken));
            assert.ok(got.includes(b.expect(i)), `${b.name}: expected ${b.expect(i)}, got\n${got.join("\n")}`);
            hits.set(b.name, (hits.get(b.name) ?? 0) + 1);
        }), { numRuns: 400 });
        assert.equal(hits.size, breakages.length, "every breakage was generated");
    });

    it("gateways: distinct listeners pass; a repeated listener breaks both uniqueness rules; tls on HTTP is refused", () => {
        const listener = fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), port: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom("HTTP", "HTTPS") });
        const listeners = fc.uniqueArray(listener, { selector: l => l.name, minLength: 1, maxLength: 6 })
            .map(ls => ls.map((l, i) => ({ ...l, port: 1000 + i, ...(l.protocol === "HTTPS" ? { tls: { certificateRefs: [{ name: "cert" }] } } : {}) })));
        fc.assert(fc.property(listeners, fc.nat(), (ls, n) => {
            assert.deepEqual(problems(gateway({ gatewayClassName: "c", listeners: ls })), []);
            const dup = [...ls, ls[n % ls.length]];
            assert.deepEqual(problems(gateway({ gatewayClassName: "c", listeners: dup })), [
                "spec.listeners: Listener name must be unique within the Gateway",
                "spec.listeners: Combination of port, protocol and hostname must be unique for each listener",
                `spec.listeners[${ls.length}]: Duplicate value: {"name":${JSON.stringify(ls[n % ls.length].name)}}`,
            ]);
            const tlsOnHttp = ls.map(l => ({ ...l, protocol: "HTTP", tls: { certificateRefs: [{ name: "cert" }] } }));
            assert.ok(problems(gateway({ gatewayClassName: "c", listeners: tlsOnHttp })).includes("spec.listeners: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"));
        }), { numRuns: 200 });
    });
});
