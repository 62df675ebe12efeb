import * as assert from "assert";
import { CompileInput } from "../plan";
import { formatIssue, GatewayValidationError, ValidationIssue } from "../errors";
import {
    assertValid, parseDuration, validateGateway, validateGatewayClass, validateInput, validateReferenceGrant,
    validateRoute, validateService,
} from ".";
import { invalidSpecs, seedInput } from "../../test/fixtures/invalid-specs";

function show(issues: ValidationIssue[]): string {
    return issues.length === 0 ? "(no issues)" : issues.map(formatIssue).join("\n");
}

/** A richer valid input: HTTPS with a namespace selector, every filter type, regexes, grants. */
function richInput(): CompileInput {
    const input = seedInput();
    input.namespaces = [{ name: "team-a", labels: { "gatewaykit.dev/shared-gateway": "true" } }, { name: "default" }];
    input.gateways.push({
        name: "shared",
        namespace: "infra",
        labels: { "app.kubernetes.io/part-of": "edge" },
        gatewayClassName: "nginx",
        listeners: [
            { name: "http", port: 80, protocol: "HTTP", hostname: "*.example.com", allowedRoutes: { namespaces: { from: "All" } } },
            {
                name: "https", port: 443, protocol: "HTTPS", hostname: "*.example.com",
                tls: { mode: "Terminate", certificateRefs: [{ name: "wildcard-cert", kind: "Secret", group: "" }] },
                allowedRoutes: {
                    namespaces: {
                        from: "Selector",
                        selector: {
                            matchLabels: { "gatewaykit.dev/shared-gateway": "true" },
                            matchExpressions: [{ key: "env", operator: "NotIn", values: ["dev"] }, { key: "team", operator: "Exists" }],
                        },
                    },
                    kinds: [{ kind: "HTTPRoute" }],
                },
            },
            { name: "https-api", port: 443, protocol: "HTTPS", hostname: "api.example.com", tls: { certificateRefs: [{ name: "api-cert" }] } },
        ],
    });
    input.routes.push({
        name: "store",
        namespace: "team-a",
        parentRefs: [
            { name: "shared", namespace: "infra", sectionName: "https" },
            { name: "shared", namespace: "infra", sectionName: "http" },
        ],
        hostnames: ["store.example.com", "*.shop.example.com"],
        rules: [
            {
                name: "to-https",
                matches: [{ path: { type: "PathPrefix", value: "/" } }],
                filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301, port: 443 } }],
            },
            {
                name: "api",
                matches: [
                    { path: { type: "Exact", value: "/api/v1/cart" }, method: "POST", headers: [{ name: "X-Env", value: "canary" }] },
                    { path: { type: "RegularExpression", value: "^/api/v[0-9]+/items/[^/]+$" }, queryParams: [{ name: "v", type: "RegularExpression", value: "^\\d+$" }, { name: "V", value: "x" }] },
                ],
                filters: [
                    { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-team", value: "a" }], add: [{ name: "x-trace", value: "on\tyes" }], remove: ["x-debug"] } },
                    { type: "ResponseHeaderModifier", responseHeaderModifier: { remove: ["server"] } },
                    { type: "RequestMirror", requestMirror: { backendRef: { name: "shadow", port: 80 }, fraction: { numerator: 1, denominator: 1000 } } },
                    { type: "RequestMirror", requestMirror: { backendRef: { name: "audit", port: 80 }, percent: 0 } },
                ],
                backendRefs: [
                    { name: "store-api", port: 8080, weight: 0 },
                    { name: "store-api-v2", namespace: "default", port: 8080, weight: 1_000_000,
                        filters: [{ type: "URLRewrite", urlRewrite: { hostname: "store-v2.internal", path: { type: "ReplaceFullPath", replaceFullPath: "/v2/cart" } } }] },
                ],
                timeouts: { request: "1m30s", backendRequest: "45s" },
            },
            {
                name: "legacy",
                // ReplacePrefixMatch is fine with the defaulted single PathPrefix match.
                filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }],
                backendRefs: [{ kind: "Bucket", group: "storage.example.com", name: "legacy-site" }],
                // A request timeout of 0s disables the limit, so any backendRequest is allowed.
                timeouts: { request: "0s", backendRequest: "10s" },
            },
            { matches: [{ path: { value: "/old" } }], filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" } } }] },
        ],
    });
    input.services!.push(
        { name: "store-api", namespace: "team-a", ports: [{ port: 8080, targetPort: 9000, name: "http" }, { port: 9090, name: "metrics" }], endpoints: [{ address: "fd00::1", port: 9000 }, { address: "api-1.internal" }] },
        { name: "mygroup-groups", namespace: "team-a", ports: [{ port: 8080 }], realizations: { aws: { targetGroupArn: "arn:aws:x" } } },
    );
    return input;
}

describe("validation", () => {
    describe("valid specs produce no issues", () => {
        it("the seed scenario (mygroup-external :80, mygroup.io /groups split 90/10)", () => {
            const issues = validateInput(seedInput());
            assert.deepStrictEqual(issues, [], show(issues));
            assert.doesNotThrow(() => assertValid(seedInput()));
        });

        it("HTTPS, namespace selectors, every supported filter, regexes, timeouts and grants", () => {
            const issues = validateInput(richInput());
            assert.deepStrictEqual(issues, [], show(issues));
        });

        it("minimal objects with every optional field omitted", () => {
            const input: CompileInput = {
                gateways: [{ name: "gw", gatewayClassName: "c", listeners: [{ name: "a", port: 8080, protocol: "HTTP" }] }],
                routes: [{ name: "r" }, { name: "r", namespace: "other" }],
            };
            const issues = validateInput(input);
            assert.deepStrictEqual(issues, [], show(issues));
        });

        it("a route with no matches and a default PathPrefix for ReplacePrefixMatch (CEL defaults)", () => {
            const issues = validateRoute({
                name: "r",
                rules: [
                    { matches: [{ headers: [{ name: "x", value: "1" }] }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/x" } } }], backendRefs: [{ name: "s", port: 80 }] },
                    { matches: [{ path: { value: "/a" } }], backendRefs: [{ name: "s", port: 80, filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } } }] }] },
                ],
            });
            assert.deepStrictEqual(issues, [], show(issues));
        });

        it("each single-object validator accepts its part of the seed", () => {
            const input = seedInput();
            assert.deepStrictEqual(validateGatewayClass(input.gatewayClasses![0]), []);
            assert.deepStrictEqual(validateGateway(input.gateways[0]), []);
            assert.deepStrictEqual(validateRoute(input.routes[0]), []);
            assert.deepStrictEqual(validateService(input.services![0]), []);
            assert.deepStrictEqual(validateReferenceGrant(input.referenceGrants![0]), []);
        });
    });

    describe(`invalid specs (${invalidSpecs.length} fixtures)`, () => {
        it("has at least 40 fixtures with distinct titles", () => {
            assert.ok(invalidSpecs.length >= 40);
            assert.strictEqual(new Set(invalidSpecs.map(c => c.title)).size, invalidSpecs.length);
        });

        for (const c of invalidSpecs) {
            it(`${c.title}: ${c.resource} ${c.field}`, () => {
                const issues = validateInput(c.input);
                const hit = issues.find(i => i.resource === c.resource && i.field === c.field && i.message.includes(c.message));
                assert.ok(hit, `expected ${c.resource} ${c.field} ~ "${c.message}", got:\n${show(issues)}`);
                // The thrown error carries the same issue, and its text names resource, field and fix.
                let thrown: unknown;
                try { assertValid(c.input); } catch (e) { thrown = e; }
                assert.ok(thrown instanceof GatewayValidationError, "assertValid must throw GatewayValidationError");
                assert.ok(thrown.issues.some(i => i.resource === c.resource && i.field === c.field));
                assert.ok(thrown.message.includes(`${c.resource}: ${c.field}: `), thrown.message);
                assert.ok(thrown.message.includes(c.message), thrown.message);
            });
        }
    });

    describe("reporting", () => {
        it("reports every problem, across fields and objects, not just the first", () => {
            const input = seedInput() as any;
            input.gateways[0].listeners[0].port = 0;
            input.gateways[0].listeners[0].protocol = "UDP";
            input.routes[0].hostnames = ["MyGroup.io", "10.1.2.3"];
            input.routes[0].rules[0].matches[0].path.value = "groups";
            input.routes[0].rules[0].backendRefs[1].weight = -5;
            input.services[1].ports[0].port = "8080";
            let thrown: GatewayValidationError | undefined;
            try { assertValid(input); } catch (e) { thrown = e as GatewayValidationError; }
            assert.ok(thrown, "expected a GatewayValidationError");
            const got = thrown.issues.map(i => `${i.resource} ${i.field}`);
            assert.deepStrictEqual(got.sort(), [
                "Gateway default/mygroup-external spec.listeners[0].port",
                "Gateway default/mygroup-external spec.listeners[0].protocol",
                "HTTPRoute default/mygroup spec.hostnames[0]",
                "HTTPRoute default/mygroup spec.hostnames[1]",
                "HTTPRoute default/mygroup spec.rules[0].backendRefs[1].weight",
                "HTTPRoute default/mygroup spec.rules[0].matches[0].path.value",
                "Service default/mygroup-groups-canary spec.ports[0].port",
            ]);
            assert.match(thrown.message, /^7 problems:/);
        });

        it("reports each broken CEL path rule separately", () => {
            const issues = validateRoute({ name: "r", rules: [{ matches: [{ path: { type: "Exact", value: "a//b/.." } }] }] });
            const messages = issues.map(i => i.message);
            assert.ok(messages.some(m => m.includes("starting with '/'")), show(issues));
            assert.ok(messages.some(m => m.includes("'//'")), show(issues));
            assert.ok(messages.some(m => m.includes("'/..'")), show(issues));
            assert.ok(issues.every(i => i.field === "spec.rules[0].matches[0].path.value"));
        });

        it("quotes the JavaScript engine's message for a regex that does not compile", () => {
            const issues = validateRoute({ name: "r", rules: [{ matches: [{ path: { type: "RegularExpression", value: "/(a" } }] }] });
            let engine = "";
            try { new RegExp("/(a"); } catch (e) { engine = (e as Error).message; }
            assert.strictEqual(issues.length, 1, show(issues));
            assert.ok(issues[0].message.includes(`does not compile: ${engine}`), issues[0].message);
        });

        it("does not crash on wrong JS types anywhere", () => {
            const junk: unknown[] = [null, 3, "x", [], true, { name: 5 }, [null], [3]];
            for (const j of junk) {
                for (const fn of [validateGatewayClass, validateGateway, validateRoute, validateService, validateReferenceGrant] as ((s: unknown) => ValidationIssue[])[]) {
                    const issues = fn(j);
                    assert.ok(issues.length > 0, `expected issues for ${JSON.stringify(j)}`);
                    for (const i of issues) assert.ok(i.resource && typeof i.message === "string");
                }
                assert.ok(validateInput(j as never).length > 0);
                assert.ok(validateInput({ gateways: [j], routes: [j], services: [j], referenceGrants: [j], gatewayClasses: [j], namespaces: [j] } as never).length > 0);
            }
            // Deep junk: every nested field of a route replaced by a wrong type.
            const route: any = { name: "r", parentRefs: [5], hostnames: [7], rules: [{ matches: [{ path: 3, headers: "h", queryParams: [null], method: 1 }], filters: [{ type: "RequestMirror", requestMirror: "s" }], backendRefs: [{ name: 1, port: "p", weight: {} , filters: {} }], timeouts: [] }] };
            assert.ok(validateRoute(route).length >= 10, show(validateRoute(route)));
        });

        it("labels resources by kind, namespace (default 'default') and name", () => {
            const issues = validateInput({ gateways: [], routes: [{ name: "a", namespace: "team-b", hostnames: ["X"] }, { name: "b", hostnames: ["Y"] }] });
            assert.deepStrictEqual(issues.map(i => i.resource), ["HTTPRoute team-b/a", "HTTPRoute default/b"]);
        });

        it("allows one name across kinds and namespaces, but not twice in one", () => {
            const input = seedInput();
            input.services!.push({ name: "mygroup", ports: [{ port: 80 }] }, { name: "mygroup-groups", namespace: "team-a", ports: [{ port: 80 }] });
            assert.deepStrictEqual(validateInput(input), []);
            input.services!.push({ name: "mygroup-groups", namespace: "team-a", ports: [{ port: 81 }] });
            const issues = validateInput(input);
            assert.deepStrictEqual(issues.map(i => `${i.resource} ${i.field}`), ["Service team-a/mygroup-groups metadata.name"]);
        });
    });

    describe("parseDuration", () => {
        it("sums the parts of a Gateway API duration", () => {
            assert.strictEqual(parseDuration("1h"), 3_600_000);
            assert.strictEqual(parseDuration("1m30s"), 90_000);
            assert.strictEqual(parseDuration("500ms"), 500);
            assert.strictEqual(parseDuration("1h2m3s4ms"), 3_723_004);
            assert.strictEqual(parseDuration("0s"), 0);
        });
        it("rejects what the CRD pattern rejects", () => {
            for (const bad of ["", "1", "1d", "1.5s", "-1s", "123456s", "1h2m3s4ms5ms", "10 s"]) {
                assert.strictEqual(parseDuration(bad), undefined, bad);
            }
        });
    });
});
