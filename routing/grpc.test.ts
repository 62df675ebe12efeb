// GRPCRoute: the gRPC → HTTP mapping, validation (CRD patterns and CEL rules), attachment by kind,
// the HTTPRoute/GRPCRoute hostname rule, precedence, features, the routing table and simulateGRPC
// (the upstream GRPCRoute conformance cases, and a property test against a direct reading of the spec).
import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from "./compile";
import { featuresOfGateway } from "./features";
import { grpcPathMatch, planGRPCMethod } from "./grpc";
import { hostnameMatches } from "./hostname";
import { CompileInput, RoutingPlan } from "./plan";
import { simulateGRPC } from "./simulate";
import { routingTable } from "./table";
import { GRPCRouteMatch, GRPCRouteSpec } from "./types";
import { validateInput } from "./validate";
import { gateway, httpListener, input, route, service } from "../test/fixtures/build";

const ECHO = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho";

function grpcRoute(name: string, spec: Partial<GRPCRouteSpec> = {}): GRPCRouteSpec {
    return { name, namespace: "default", parentRefs: [{ name: "gw" }], ...spec };
}

function grpcInput(grpcRoutes: GRPCRouteSpec[], parts: Partial<CompileInput> = {}): CompileInput {
    return input({ services: [service("v1"), service("v2"), service("v3")], grpcRoutes, ...parts });
}

function issuesOf(spec: GRPCRouteSpec, parts: Partial<CompileInput> = {}) {
    return validateInput(grpcInput([spec], parts)).map(i => `${i.resource} ${i.field}: ${i.message}`);
}

function accepted(plan: RoutingPlan, key: string, parent = 0) {
    const r = plan.routes.find(x => x.route === key);
    assert.ok(r, `no status for ${key}`);
    return r.parents[parent].conditions.find(c => c.type === "Accepted")!;
}

const call = (service: string, method: string, metadata: Record<string, string> = {}, host = "example.com") => ({ host, service, method, metadata });

describe("GRPCRoute", () => {
    describe("gRPC → HTTP mapping (routing/grpc.ts)", () => {
        it("maps each method matcher shape to the path it stands for", () => {
            assert.deepEqual(grpcPathMatch(undefined), { type: "PathPrefix", value: "/" });
            assert.deepEqual(grpcPathMatch(planGRPCMethod({ service: "a.B", method: "C" })), { type: "Exact", value: "/a.B/C" });
            assert.deepEqual(grpcPathMatch(planGRPCMethod({ service: "a.B" })), { type: "PathPrefix", value: "/a.B/" });
            assert.deepEqual(grpcPathMatch(planGRPCMethod({ method: "C" })), { type: "RegularExpression", value: "/[^/]+/C" });
            assert.deepEqual(grpcPathMatch(planGRPCMethod({ type: "RegularExpression", service: "a\\..*" })), { type: "RegularExpression", value: "/(?:a\\..*)/(?:[^/]+)" });
            // Empty strings mean "any", as the CRD says.
            assert.equal(planGRPCMethod({ service: "", method: "" }), undefined);
        });

        it("compiles a rule to POST on the gRPC path with its header matches, marked protocol grpc", () => {
            const plan = compile(grpcInput([grpcRoute("echo", {
                rules: [{ name: "echo", matches: [{ method: { service: ECHO, method: "Echo" }, headers: [{ name: "Version", value: "one" }] }], backendRefs: [{ name: "v1", port: 8080 }] }],
            })]));
            const [rule] = plan.gateways[0].listeners[0].rules;
            assert.equal(rule.protocol, "grpc");
            assert.deepEqual(rule.match.path, { type: "Exact", value: `/${ECHO}/Echo` });
            assert.equal(rule.match.method, "POST");
            assert.deepEqual(rule.match.headers, [{ type: "Exact", name: "version", value: "one" }]);
            assert.deepEqual(rule.match.grpc, { type: "Exact", service: ECHO, method: "Echo" });
            assert.equal(rule.label, "GRPCRoute default/echo rule 0 (echo)");
            assert.equal(rule.id, "default/echo/echo/0");
            assert.equal(plan.routes[0].kind, "GRPCRoute");
        });

        it("matches every gRPC call when a rule has no matches, and nothing when the route has no rules", () => {
            const plan = compile(grpcInput([grpcRoute("all", { rules: [{ backendRefs: [{ name: "v1", port: 8080 }] }] }), grpcRoute("none", { hostnames: ["none.example"] })]));
            const rules = plan.gateways[0].listeners[0].rules;
            assert.deepEqual(rules.map(r => r.route), ["default/all"]);
            assert.deepEqual(rules[0].match.path, { type: "PathPrefix", value: "/", prefix: "" });
            assert.equal(simulateGRPC(plan, call("any.Service", "Any")).matched?.route, "default/all");
            assert.equal(accepted(plan, "default/none").status, "True");
        });
    });

    describe("validation", () => {
        it("accepts the upstream conformance routes", () => {
            assert.deepEqual(issuesOf(grpcRoute("exact-matching", {
                rules: [
                    { matches: [{ method: { service: ECHO, method: "Echo" } }], backendRefs: [{ name: "v1", port: 8080 }] },
                    { name: "named-rule", matches: [{ method: { service: ECHO, method: "EchoTwo" } }], backendRefs: [{ name: "v2", port: 8080, weight: 30 }] },
                    { matches: [{ headers: [{ name: "version", value: "two" }, { name: "color", value: "orange" }] }], backendRefs: [{ name: "v1", port: 8080 }] },
                ],
            })), []);
        });

        it("refuses what the CRD's schema and CEL rules refuse, naming the field and the fix", () => {
            const bad = (m: GRPCRouteMatch) => issuesOf(grpcRoute("r", { rules: [{ matches: [m] }] }));
            assert.match(bad({ method: {} }).join("\n"), /spec\.rules\[0\]\.matches\[0\]\.method: must set service or method/);
            assert.match(bad({ method: { service: "", method: "" } }).join("\n"), /must set service or method/);
            assert.match(bad({ method: { service: "foo/bar", method: "X" } }).join("\n"), /\.method\.service: must be a gRPC service name.*RegularExpression/);
            assert.match(bad({ method: { service: "a.B", method: "9x" } }).join("\n"), /\.method\.method: must be a gRPC method name/);
            assert.match(bad({ method: { type: "RegularExpression", service: "a/b" } }).join("\n"), /\.method\.service: must not contain '\/'/);
            assert.match(bad({ method: { type: "RegularExpression", method: "(" } }).join("\n"), /\.method\.method: is a RegularExpression that does not compile/);
            assert.match(bad({ method: { type: "Prefix" as "Exact", service: "a.B" } }).join("\n"), /\.method\.type/);
            assert.match(bad({ headers: [{ name: "Foo", value: "1" }, { name: "foo", value: "2" }] }).join("\n"), /headers\[1\]\.name: must be unique/);
            assert.match(bad({ headers: [{ name: "bad name", value: "1" }] }).join("\n"), /headers\[0\]\.name: must be an HTTP header name/);
            assert.match(bad({ headers: [{ name: "x", value: "a\r\nInjected: 1" }] }).join("\n"), /control characters/);
        });

        it("allows only the GRPCRoute filter types, and no repeated header modifier", () => {
            const withFilters = (filters: unknown[]) => issuesOf(grpcRoute("r", { rules: [{ filters: filters as never, backendRefs: [{ name: "v1", port: 8080 }] }] })).join("\n");
            assert.match(withFilters([{ type: "RequestRedirect", requestRedirect: { statusCode: 301 } }]), /filters\[0\]\.type: is not a GRPCRoute filter type.*'RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror'/);
            assert.match(withFilters([{ type: "URLRewrite", urlRewrite: { hostname: "x.example" } }]), /is not a GRPCRoute filter type/);
            assert.match(withFilters([{ type: "ExtensionRef", extensionRef: { group: "x", kind: "Y", name: "z" } }]), /ExtensionRef filters are not supported/);
            const twice = { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "a", value: "1" }] } };
            assert.match(withFilters([twice, twice]), /filters\[1\]\.type: a RequestHeaderModifier filter cannot be repeated/);
            assert.match(withFilters([{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "content-length", value: "1" }] } }]), /content-length/);
            assert.equal(withFilters([{ type: "RequestMirror", requestMirror: { backendRef: { name: "v2", port: 8080 }, percent: 10 } }]), "");
        });

        it("counts written matches toward the CEL limit of 128, requires unique rule names and a port on Service refs", () => {
            const many = Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 43 }, (_, i) => ({ method: { service: "a.B", method: `M${i}` } })) }));
            assert.match(issuesOf(grpcRoute("r", { rules: many })).join("\n"), /spec\.rules: must have at most 128 matches across all rules \(has 129\)/);
            assert.match(issuesOf(grpcRoute("r", { rules: [{ name: "x" }, { name: "x" }] })).join("\n"), /spec\.rules\[1\]\.name: must be unique within the route/);
            assert.match(issuesOf(grpcRoute("r", { rules: [{ backendRefs: [{ name: "v1" }] }] })).join("\n"), /backendRefs\[0\]\.port: is required for a Service reference/);
            assert.match(issuesOf(grpcRoute("r", { rules: Array.from({ length: 17 }, () => ({})) })).join("\n"), /spec\.rules/);
        });

        it("refuses a GRPCRoute named like an HTTPRoute of its namespace, and duplicate GRPCRoutes", () => {
            const same = validateInput(grpcInput([grpcRoute("shop")], { routes: [route("shop")] }));
            assert.equal(same.length, 1);
            assert.equal(same[0].resource, "GRPCRoute default/shop");
            assert.match(same[0].message, /also the name of an HTTPRoute.*'shop-grpc'/);
            assert.match(validateInput(grpcInput([grpcRoute("a"), grpcRoute("a")])).map(i => i.message).join("\n"), /duplicate: another GRPCRoute/);
            assert.deepEqual(validateInput(grpcInput([grpcRoute("shop", { namespace: "other" })], { routes: [route("shop")] })).filter(i => i.resource.startsWith("GRPCRoute")), []);
        });

        it("reports a wrong JS type as an issue, never a crash", () => {
            const raw = { name: "r", rules: [{ matches: [{ method: "Echo", headers: "x" }], backendRefs: "v1" }] } as unknown as GRPCRouteSpec;
            const issues = issuesOf(raw);
            assert.ok(issues.some(i => /matches\[0\]\.method: must be an object/.test(i)), issues.join("\n"));
            assert.ok(issues.some(i => /backendRefs: must be a list/.test(i)), issues.join("\n"));
            assert.match(validateInput({ ...grpcInput([]), grpcRoutes: {} as never }).map(i => i.message).join(), /must be a list of GRPCRoute specs/);
        });
    });

    describe("attachment", () => {
        it("HTTP and HTTPS listeners admit GRPCRoutes by default; allowedRoutes.kinds can exclude either kind", () => {
            const gw = gateway("gw", [
                httpListener("default", 80),
                httpListener("http-only", 81, { allowedRoutes: { kinds: [{ kind: "HTTPRoute" }] } }),
                httpListener("grpc-only", 82, { allowedRoutes: { kinds: [{ group: "gateway.networking.k8s.io", kind: "GRPCRoute" }] } }),
            ]);
            const plan = compile(grpcInput([
                grpcRoute("g-default", { parentRefs: [{ name: "gw", sectionName: "default" }], rules: [{}] }),
                grpcRoute("g-http-only", { parentRefs: [{ name: "gw", sectionName: "http-only" }], rules: [{}] }),
                grpcRoute("g-grpc-only", { parentRefs: [{ name: "gw", sectionName: "grpc-only" }], rules: [{}] }),
            ], { gateways: [gw], routes: [route("h-grpc-only", { parentRefs: [{ name: "gw", sectionName: "grpc-only" }] })] }));
            const kinds = (l: string) => plan.gateways[0].status.listeners.find(s => s.name === l)!.supportedKinds.map(k => k.kind);
            assert.deepEqual(kinds("default"), ["HTTPRoute", "GRPCRoute"]);
            assert.deepEqual(kinds("http-only"), ["HTTPRoute"]);
            assert.deepEqual(kinds("grpc-only"), ["GRPCRoute"]);
            assert.equal(accepted(plan, "default/g-default").status, "True");
            assert.equal(accepted(plan, "default/g-grpc-only").status, "True");
            const refused = accepted(plan, "default/g-http-only");
            assert.equal(refused.reason, "NotAllowedByListeners");
            assert.match(refused.message, /admits GRPCRoutes/);
            assert.match(accepted(plan, "default/h-grpc-only").message, /admits HTTPRoutes/);
        });

        it("intersects hostnames with the listener like an HTTPRoute", () => {
            const gw = gateway("gw", [httpListener("foo", 80, { hostname: "foo.example.com" })]);
            const plan = compile(grpcInput([grpcRoute("g", { hostnames: ["bar.example.com"], rules: [{}] })], { gateways: [gw] }));
            assert.equal(accepted(plan, "default/g").reason, "NoMatchingListenerHostname");
        });

        it("needs a ReferenceGrant from kind GRPCRoute for a backend in another namespace", () => {
            const r = grpcRoute("g", { rules: [{ backendRefs: [{ name: "v1", namespace: "other", port: 8080 }] }] });
            const services = [service("v1", 8080, "other")];
            const grant = (kind: string) => ({ name: "g", namespace: "other", from: [{ group: "gateway.networking.k8s.io", kind, namespace: "default" }], to: [{ group: "", kind: "Service" }] });
            const refs = (kind: string) => compile(grpcInput([r], { services, referenceGrants: [grant(kind)] })).routes[0].parents[0].conditions.find(c => c.type === "ResolvedRefs")!;
            assert.equal(refs("GRPCRoute").status, "True");
            assert.equal(refs("HTTPRoute").reason, "RefNotPermitted");
        });
    });

    describe("an HTTPRoute and a GRPCRoute claiming one hostname on a listener", () => {
        it("accepts the first by namespace/name and rejects the other with a status and a warning", () => {
            const plan = compile(grpcInput([grpcRoute("b-grpc", { hostnames: ["api.example.com"], rules: [{ backendRefs: [{ name: "v1", port: 8080 }] }] })], {
                routes: [route("a-http", { hostnames: ["*.example.com"], rules: [{ backendRefs: [{ name: "v2", port: 8080 }] }] })],
            }));
            assert.equal(accepted(plan, "default/a-http").status, "True");
            const lost = accepted(plan, "default/b-grpc");
            assert.equal(lost.status, "False");
            assert.equal(lost.reason, "NotAllowedByListeners");
            assert.match(lost.message, /HTTPRoute default\/a-http/);
            assert.match(plan.routes.find(r => r.route === "default/b-grpc")!.warnings.join(), /default\/gw\/http, HTTPRoute default\/a-http shares a hostname/);
            assert.deepEqual(plan.gateways[0].listeners[0].rules.map(r => r.route), ["default/a-http"]);
            // The other way round, the GRPCRoute wins.
            const flipped = compile(grpcInput([grpcRoute("a-grpc", { rules: [{}] })], { routes: [route("b-http")] }));
            assert.equal(accepted(flipped, "default/a-grpc").status, "True");
            assert.equal(accepted(flipped, "default/b-http").status, "False");
            assert.equal(flipped.gateways[0].status.listeners[0].attachedRoutes, 1);
        });

        it("keeps both when their hostnames are disjoint, and stays Accepted where another listener takes the route", () => {
            const gw = gateway("gw", [httpListener("a", 80), httpListener("b", 81)]);
            const plan = compile(grpcInput([grpcRoute("g", { hostnames: ["grpc.example.com"], rules: [{ backendRefs: [{ name: "v1", port: 8080 }] }] })], {
                gateways: [gw],
                routes: [route("a-web", { parentRefs: [{ name: "gw", sectionName: "a" }], hostnames: ["grpc.example.com"] }), route("www", { parentRefs: [{ name: "gw", sectionName: "b" }], hostnames: ["www.example.com"] })],
            }));
            assert.equal(accepted(plan, "default/g").status, "True");
            assert.match(plan.routes.find(r => r.route === "default/g")!.warnings.join(), /on default\/gw\/a/);
            assert.deepEqual(plan.gateways[0].listeners.map(l => l.rules.map(r => r.route)), [["default/a-web"], ["default/g", "default/www"].sort()]);
        });
    });

    describe("precedence", () => {
        it("orders by service characters, then method characters, then header matches, then route name and rule order", () => {
            const plan = compile(grpcInput([
                grpcRoute("z", { rules: [{ matches: [{ method: { service: "a.Svc" } }] }, { matches: [{ method: { service: "a.Svc", method: "Do" } }] }] }),
                grpcRoute("y", { rules: [{ matches: [{ method: { service: "a.Svc", method: "Do" }, headers: [{ name: "x", value: "1" }] }] }, { matches: [{ method: { service: "a.LongerSvc" } }] }] }),
                grpcRoute("x", { rules: [{ matches: [{ method: { method: "DoMore" } }] }, { matches: [{ method: { service: "a.Svc", method: "Do" } }] }, {}] }),
            ]));
            assert.deepEqual(plan.gateways[0].listeners[0].rules.map(r => `${r.routeName}#${r.ruleIndex}`), [
                "y#1", // service a.LongerSvc (11)
                "y#0", // a.Svc / Do + 1 header
                "x#1", // a.Svc / Do, route x before z
                "z#1",
                "z#0", // a.Svc, any method
                "x#0", // method only
                "x#2", // every call
            ]);
        });
    });

    describe("precedence beside HTTPRoutes (compile's numeric sort is HTTPRoute precedence only)", () => {
        it("keeps GRPCRoute order on a listener that also serves HTTPRoutes, and HTTPRoute order for those", () => {
            const plan = compile(grpcInput([
                grpcRoute("g", { hostnames: ["grpc.example.com"], rules: [
                    { matches: [{ method: { service: "a.Svc", method: "Do" } }] }, // Exact path /a.Svc/Do
                    { matches: [{ method: { service: "a.LongerSvc" } }] }, // a prefix, but the longer service
                ] }),
            ], {
                routes: [route("w", { hostnames: ["web.example.com"], rules: [
                    { matches: [{ path: { type: "PathPrefix", value: "/a-much-longer-prefix" } }] },
                    { matches: [{ path: { type: "Exact", value: "/x" } }] },
                ] })],
            }));
            assert.deepEqual(plan.gateways[0].listeners[0].rules.map(r => `${r.hostname} ${r.routeName}#${r.ruleIndex}`), [
                "grpc.example.com g#1", // service characters first: a.LongerSvc (11) before a.Svc (5), though HTTP would put Exact first
                "grpc.example.com g#0",
                "web.example.com w#1", // HTTPRoute: Exact before any prefix
                "web.example.com w#0",
            ]);
        });

        it("warns of an identical gRPC match even when a rule of equal gRPC precedence but another shape sorts between them", () => {
            // a#0 and b#0 are identical; a#1 ties with them on service and method characters (2, 1) but
            // is a RegularExpression match, so it sorts between them (route a's rules first).
            const plan = compile(grpcInput([
                grpcRoute("a", { rules: [
                    { matches: [{ method: { service: "ab", method: "c" } }] },
                    { matches: [{ method: { type: "RegularExpression", service: "x.", method: "z" } }] },
                ] }),
                grpcRoute("b", { rules: [{ matches: [{ method: { service: "ab", method: "c" } }] }] }),
            ]));
            assert.deepEqual(plan.gateways[0].listeners[0].rules.map(r => `${r.routeName}#${r.ruleIndex}`), ["a#0", "a#1", "b#0"]);
            const warnings = plan.routes.find(r => r.route === "default/b")!.warnings;
            assert.equal(warnings.length, 1, warnings.join("\n"));
            assert.match(warnings[0], /rule 0 match 0 is identical to a match of default\/a/);
            assert.deepEqual(plan.routes.find(r => r.route === "default/a")!.warnings, []);
        });
    });

    describe("simulateGRPC (the upstream GRPCRoute conformance cases)", () => {
        it("exact method matching: Echo → v1, EchoTwo → v2, EchoThree → UNIMPLEMENTED", () => {
            const plan = compile(grpcInput([grpcRoute("exact-matching", { rules: [
                { matches: [{ method: { service: ECHO, method: "Echo" } }], backendRefs: [{ name: "v1", port: 8080 }] },
                { matches: [{ method: { service: ECHO, method: "EchoTwo" } }], backendRefs: [{ name: "v2", port: 8080 }] },
            ] })]));
            assert.equal(simulateGRPC(plan, call(ECHO, "Echo")).outcomes[0].backend?.service, "default/v1");
            assert.equal(simulateGRPC(plan, call(ECHO, "EchoTwo")).outcomes[0].backend?.service, "default/v2");
            const unmatched = simulateGRPC(plan, call(ECHO, "EchoThree"));
            assert.equal(unmatched.status, 404);
            assert.equal(unmatched.grpcStatus, "UNIMPLEMENTED");
            assert.equal(unmatched.grpcCode, 12);
            assert.equal(simulateGRPC(plan, call(ECHO, "Echo")).grpcStatus, "OK");
        });

        it("header matching: ANDed headers beat fewer, each match of a rule is ORed", () => {
            const plan = compile(grpcInput([grpcRoute("grpc-header-matching", { rules: [
                { matches: [{ headers: [{ name: "version", value: "one" }] }], backendRefs: [{ name: "v1", port: 8080 }] },
                { matches: [{ headers: [{ name: "version", value: "two" }] }], backendRefs: [{ name: "v2", port: 8080 }] },
                { matches: [{ headers: [{ name: "version", value: "two" }, { name: "color", value: "orange" }] }], backendRefs: [{ name: "v1", port: 8080 }] },
                { matches: [{ headers: [{ name: "color", value: "blue" }] }, { headers: [{ name: "color", value: "green" }] }], backendRefs: [{ name: "v1", port: 8080 }] },
                { matches: [{ headers: [{ name: "color", value: "red" }] }, { headers: [{ name: "color", value: "yellow" }] }], backendRefs: [{ name: "v2", port: 8080 }] },
            ] })]));
            const to = (md: Record<string, string>) => simulateGRPC(plan, call(ECHO, "Echo", md)).outcomes[0].backend?.service ?? simulateGRPC(plan, call(ECHO, "Echo", md)).grpcStatus;
            assert.equal(to({ version: "one" }), "default/v1");
            assert.equal(to({ version: "two" }), "default/v2");
            assert.equal(to({ version: "two", color: "orange" }), "default/v1");
            assert.equal(to({ color: "blue" }), "default/v1");
            assert.equal(to({ color: "green" }), "default/v1");
            assert.equal(to({ color: "red" }), "default/v2");
            assert.equal(to({ color: "yellow" }), "default/v2");
            assert.equal(to({ color: "purple" }), "UNIMPLEMENTED");
        });

        it("listener hostname matching: each listener's hostname takes its own calls", () => {
            const gw = gateway("gw", [
                httpListener("listener-1", 80, { hostname: "bar.com" }),
                httpListener("listener-2", 80, { hostname: "foo.bar.com" }),
                httpListener("listener-3", 80, { hostname: "*.bar.com" }),
                httpListener("listener-4", 80, { hostname: "*.foo.com" }),
            ]);
            const plan = compile(grpcInput([
                grpcRoute("backend-v1", { parentRefs: [{ name: "gw", sectionName: "listener-1" }], rules: [{ backendRefs: [{ name: "v1", port: 8080 }] }] }),
                grpcRoute("backend-v2", { parentRefs: [{ name: "gw", sectionName: "listener-2" }], rules: [{ backendRefs: [{ name: "v2", port: 8080 }] }] }),
                grpcRoute("backend-v3", { parentRefs: [{ name: "gw", sectionName: "listener-3" }, { name: "gw", sectionName: "listener-4" }], rules: [{ backendRefs: [{ name: "v3", port: 8080 }] }] }),
            ], { gateways: [gw] }));
            const to = (host: string) => simulateGRPC(plan, call(ECHO, "Echo", {}, host));
            assert.equal(to("bar.com").outcomes[0].backend?.service, "default/v1");
            assert.equal(to("foo.bar.com").outcomes[0].backend?.service, "default/v2");
            for (const h of ["baz.bar.com", "boo.bar.com", "multiple.prefixes.bar.com", "bar.foo.com", "baz.foo.com"]) assert.equal(to(h).outcomes[0].backend?.service, "default/v3", h);
            for (const h of ["foo.com", "no.matching.host"]) assert.equal(to(h).grpcStatus, "UNIMPLEMENTED", h);
        });

        it("weight: 70/30/0 shares; an invalid share and a rule without backends answer 503 UNAVAILABLE", () => {
            const plan = compile(grpcInput([grpcRoute("weighted-backends", { rules: [{ backendRefs: [
                { name: "v1", port: 8080, weight: 70 }, { name: "v2", port: 8080, weight: 30 }, { name: "v3", port: 8080, weight: 0 },
            ] }] })]));
            const r = simulateGRPC(plan, call(ECHO, "Echo"));
            assert.deepEqual(r.outcomes.map(o => [o.backend?.service, o.probability]), [["default/v1", 0.7], ["default/v2", 0.3]]);

            const broken = compile(grpcInput([grpcRoute("broken", { rules: [
                { matches: [{ method: { service: "a.B", method: "Half" } }], backendRefs: [{ name: "v1", port: 8080 }, { name: "missing", port: 8080 }] },
                { matches: [{ method: { service: "a.B", method: "None" } }] },
            ] })]));
            const half = simulateGRPC(broken, call("a.B", "Half"));
            assert.deepEqual(half.outcomes.map(o => [o.status, o.grpcStatus, o.probability]), [[200, "OK", 0.5], [503, "UNAVAILABLE", 0.5]]);
            const none = simulateGRPC(broken, call("a.B", "None"));
            assert.equal(none.status, 503);
            assert.equal(none.grpcStatus, "UNAVAILABLE");
            assert.equal(none.reason, "no-backends");
            assert.match(routingTable(broken), /503 UNAVAILABLE \(no backends\)/);
        });

        it("named rule: the rule's name reaches the result and the GRPCRouteNamedRouteRule feature", () => {
            const plan = compile(grpcInput([grpcRoute("grpc-named-rules", { rules: [
                { name: "named-rule", matches: [{ method: { service: ECHO, method: "Echo" } }], backendRefs: [{ name: "v1", port: 8080 }] },
                { matches: [{ method: { service: ECHO, method: "EchoTwo" } }], backendRefs: [{ name: "v2", port: 8080 }] },
            ] })]));
            assert.equal(simulateGRPC(plan, call(ECHO, "Echo")).matched?.ruleName, "named-rule");
            const uses = featuresOfGateway(plan.gateways[0]).map(u => `${u.routeKind} ${u.ruleIndex} ${u.feature}`);
            assert.deepEqual(uses, ["GRPCRoute 0 GRPCRoute", "GRPCRoute 0 GRPCRouteNamedRouteRule", "GRPCRoute 1 GRPCRoute"]);
        });

        it("applies header modifiers (rule, then backend) and mirrors, and reports a non-POST request as unmatched", () => {
            const plan = compile(grpcInput([grpcRoute("mod", { rules: [{
                filters: [
                    { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-team", value: "a" }], remove: ["x-drop"] } },
                    { type: "RequestMirror", requestMirror: { backendRef: { name: "v3", port: 8080 }, percent: 25 } },
                ],
                backendRefs: [{ name: "v1", port: 8080, filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { add: [{ name: "x-team", value: "b" }] } }] }],
            }] })]));
            const r = simulateGRPC(plan, call("a.B", "C", { "x-drop": "1" }));
            assert.equal(r.outcomes[0].request.headers["x-team"], "a,b");
            assert.equal(r.outcomes[0].request.headers["x-drop"], undefined);
            assert.equal(r.outcomes[0].request.path, "/a.B/C");
            assert.deepEqual(r.mirrors.map(m => [m.service, m.percent]), [["default/v3", 25]]);
            assert.match(routingTable(plan), /\* · gRPC \* → .*\[GRPCRoute default\/mod rule 0\]/);
        });

        it("agrees with a direct reading of the spec on generated routes and calls (property)", () => {
            // The reference: the GRPCRoute spec's precedence applied to the specs themselves, without the plan.
            const services = ["a.Svc", "a.Svc2", "b.Other"];
            const methods = ["Get", "GetAll", "Put"];
            const matchArb: fc.Arbitrary<GRPCRouteMatch> = fc.record({
                method: fc.option(fc.record({ service: fc.option(fc.constantFrom(...services), { nil: undefined }), method: fc.option(fc.constantFrom(...methods), { nil: undefined }) })
                    .filter(m => m.service !== undefined || m.method !== undefined), { nil: undefined }),
                headers: fc.option(fc.uniqueArray(fc.record({ name: fc.constantFrom("v", "c"), value: fc.constantFrom("1", "2") }), { selector: h => h.name, maxLength: 2 }), { nil: undefined }),
            }, { requiredKeys: [] });
            const routesArb = fc.uniqueArray(fc.record({
                name: fc.constantFrom("r1", "r2", "r3", "r4"),
                hostnames: fc.option(fc.constantFrom(["api.example.com"], ["*.example.com"]), { nil: undefined }),
                rules: fc.array(fc.record({ matches: fc.option(fc.array(matchArb, { maxLength: 2 }), { nil: undefined }), backend: fc.constantFrom("v1", "v2", "v3") }), { minLength: 1, maxLength: 3 }),
            }), { selector: r => r.name, minLength: 1, maxLength: 3 });
            const callArb = fc.record({ host: fc.constantFrom("api.example.com", "x.example.com", "other.org"), service: fc.constantFrom(...services), method: fc.constantFrom(...methods), v: fc.option(fc.constantFrom("1", "2")), c: fc.option(fc.constantFrom("1", "2")) });

            fc.assert(fc.property(routesArb, fc.array(callArb, { minLength: 1, maxLength: 8 }), (generated, calls) => {
                const specs: GRPCRouteSpec[] = generated.map(g => grpcRoute(g.name, {
                    ...(g.hostnames ? { hostnames: [...g.hostnames] } : {}),
                    rules: g.rules.map(r => ({ ...(r.matches ? { matches: r.matches } : {}), backendRefs: [{ name: r.backend, port: 8080 }] })),
                }));
                const plan = compile(grpcInput(specs));
                for (const c of calls) {
                    const metadata: Record<string, string> = {};
                    if (c.v) metadata.v = c.v;
                    if (c.c) metadata.c = c.c;
                    const got = simulateGRPC(plan, { host: c.host, service: c.service, method: c.method, metadata });
                    const want = reference(specs, c.host, c.service, c.method, metadata);
                    assert.equal(got.matched ? `${got.matched.route}#${got.matched.ruleIndex}#${got.matched.matchIndex}` : "none", want, JSON.stringify({ c, specs }));
                    if (!want.startsWith("default/")) assert.equal(got.grpcStatus, "UNIMPLEMENTED");
                }
            }), { numRuns: 300 });
        });
    });
});

/** The rule the GRPCRoute spec picks for a call, read straight from the specs. */
function reference(specs: GRPCRouteSpec[], host: string, service: string, method: string, md: Record<string, string>): string {
    type Cand = { key: string; host?: string; svc: number; meth: number; headers: number; route: string; rule: number; match: number };
    const cands: Cand[] = [];
    for (const s of specs) {
        const hosts = s.hostnames?.length ? s.hostnames.filter(h => hostnameMatches(h, host)) : [undefined];
        if (hosts.length === 0) continue;
        // The most specific of the route's hostnames that matches (precise before wildcard).
        const h = hosts.sort((a, b) => (a?.startsWith("*") ? 1 : 0) - (b?.startsWith("*") ? 1 : 0))[0];
        (s.rules ?? []).forEach((r, ri) => {
            const matches = r.matches?.length ? r.matches : [{}];
            matches.forEach((m, mi) => {
                if (m.method?.service && m.method.service !== service) return;
                if (m.method?.method && m.method.method !== method) return;
                if ((m.headers ?? []).some(hm => md[hm.name] !== hm.value)) return;
                cands.push({ key: `default/${s.name}#${ri}#${mi}`, host: h, svc: m.method?.service?.length ?? 0, meth: m.method?.method?.length ?? 0, headers: m.headers?.length ?? 0, route: `default/${s.name}`, rule: ri, match: mi });
            });
        });
    }
    const precise = (h?: string) => (h && !h.startsWith("*") ? h.length : 0);
    const any = (h?: string) => (h ? h.length : 0);
    cands.sort((a, b) => precise(b.host) - precise(a.host) || any(b.host) - any(a.host) || b.svc - a.svc || b.meth - a.meth || b.headers - a.headers
        || (a.route < b.route ? -1 : a.route > b.route ? 1 : 0) || a.rule - b.rule || a.match - b.match);
    return cands[0]?.key ?? "none";
}
