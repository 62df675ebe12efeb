// The CORS filter (HTTPRouteCORS) in routing/: validation against the CRD's schema and CEL rules,
// origin matching against a reference reading of the CRD's wildcard rules (fast-check), simulate's
// preflight and response headers, and the cloud adapters' handling (GCP corsPolicy checked against
// simulate through the evaluator; ALB refused with the reason).

import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from "../routing/compile";
import { corsPolicyOf, originAllowed } from "../routing/cors";
import { featuresOfRule } from "../routing/features";
import { routingTableRows } from "../routing/table";
import { CompileInput } from "../routing/plan";
import { simulate, SimRequest } from "../routing/simulate";
import { HTTPCORSFilter, HTTPRouteRule } from "../routing/types";
import { validateInput } from "../routing/validate";
import { awsAdapter } from "../providers/aws";
import { checkCapabilities } from "../providers/adapter";
import { evaluate, applyResponseHeaders } from "../providers/gcp/evaluate";
import { build, input as gcpInput, route as gcpRoute } from "./gcp-fixtures";

const SVC = { name: "app", namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: "10.0.0.1" }] };

function inputOf(rules: HTTPRouteRule[], controllerName = "gatewaykit.dev/nginx"): CompileInput {
    return {
        gatewayClasses: [{ name: "c", controllerName }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "c", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
        services: [SVC],
        routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules }],
    };
}
const cors = (c: HTTPCORSFilter) => ({ type: "CORS" as const, cors: c });
const TO = [{ name: "app", port: 8080 }];

/** field → message of every issue. */
function issues(rules: HTTPRouteRule[]): [string, string][] {
    return validateInput(inputOf(rules)).map(i => [i.field, i.message]);
}
function refuses(rules: HTTPRouteRule[], field: string, message: RegExp): void {
    const got = issues(rules);
    assert.ok(got.some(([f, m]) => f === field && message.test(m)), `expected ${field} ~ ${message}, got ${JSON.stringify(got)}`);
}

describe("CORS: validation (the CRD's schema and CEL rules)", () => {
    it("accepts the upstream conformance policies", () => {
        assert.deepEqual(issues([
            { filters: [cors({ allowOrigins: ["https://www.foo.com", "https://*.bar.com"], allowMethods: ["GET", "OPTIONS"], allowHeaders: ["x-header-1", "x-header-2"], exposeHeaders: ["x-header-3", "x-header-4"], allowCredentials: true, maxAge: 3600 })], backendRefs: TO },
            { filters: [cors({ allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], allowCredentials: true })], backendRefs: TO },
            { filters: [cors({ allowOrigins: ["http://a.example:8080", "https://*"], exposeHeaders: ["*"] })], backendRefs: TO },
        ]), []);
    });

    it("refuses malformed policies, naming the field and the fix", () => {
        const f = "spec.rules[0].filters[0]";
        refuses([{ filters: [{ type: "CORS" }], backendRefs: TO }], `${f}.cors`, /is required when type is 'CORS'/);
        refuses([{ filters: [cors({ allowOrigins: ["https://a.example/"] })], backendRefs: TO }], `${f}.cors.allowOrigins[0]`, /no path, no trailing '\/'/);
        refuses([{ filters: [cors({ allowOrigins: ["null"] })], backendRefs: TO }], `${f}.cors.allowOrigins[0]`, /must be '\*' or an origin/);
        refuses([{ filters: [cors({ allowOrigins: ["https://a.example:70000"] })], backendRefs: TO }], `${f}.cors.allowOrigins[0]`, /port outside 1–65535/);
        refuses([{ filters: [cors({ allowOrigins: ["*", "https://a.example"] })], backendRefs: TO }], `${f}.cors.allowOrigins`, /cannot contain '\*' alongside/);
        refuses([{ filters: [cors({ allowOrigins: ["https://a.example", "https://a.example"] })], backendRefs: TO }], `${f}.cors.allowOrigins[1]`, /must be unique/);
        refuses([{ filters: [cors({ allowMethods: ["get" as never] })], backendRefs: TO }], `${f}.cors.allowMethods[0]`, /case-sensitive; write 'GET'/);
        refuses([{ filters: [cors({ allowMethods: ["*", "GET"] })], backendRefs: TO }], `${f}.cors.allowMethods`, /alongside/);
        refuses([{ filters: [cors({ allowHeaders: ["x a"] })], backendRefs: TO }], `${f}.cors.allowHeaders[0]`, /HTTP header name/);
        refuses([{ filters: [cors({ allowHeaders: ["X-A", "x-a"] })], backendRefs: TO }], `${f}.cors.allowHeaders[1]`, /must be unique/);
        refuses([{ filters: [cors({ exposeHeaders: ["*"], allowCredentials: true })], backendRefs: TO }], `${f}.cors.exposeHeaders`, /list the response headers to expose/);
        refuses([{ filters: [cors({ maxAge: 0 })], backendRefs: TO }], `${f}.cors.maxAge`, /from 1 to/);
        refuses([{ filters: [cors({ allowCredentials: "yes" as never })], backendRefs: TO }], `${f}.cors.allowCredentials`, /true or false/);
        refuses([{ filters: [cors({}), cors({})], backendRefs: TO }], "spec.rules[0].filters[1].type", /cannot be repeated/);
        refuses([{ filters: [{ type: "CORS", cors: {}, requestHeaderModifier: { set: [] } }], backendRefs: TO }], `${f}.requestHeaderModifier`, /must not be set when type is 'CORS'/);
    });

    it("refuses CORS on a backendRef and response modifiers that write the CORS headers", () => {
        refuses([{ backendRefs: [{ ...TO[0], filters: [cors({ allowOrigins: ["*"] })] }] }], "spec.rules[0].backendRefs[0].filters[0].type", /move it to the rule's filters/);
        refuses([{ filters: [cors({ allowOrigins: ["*"] }), { type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "Access-Control-Allow-Origin", value: "*" }] } }], backendRefs: TO }],
            "spec.rules[0].filters[1].responseHeaderModifier.set[0].name", /set it through the CORS filter's fields/);
        refuses([{ filters: [cors({ allowOrigins: ["*"] })], backendRefs: [{ ...TO[0], filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { remove: ["access-control-max-age"] } }] }] }],
            "spec.rules[0].backendRefs[0].filters[0].responseHeaderModifier.remove[0]", /CORS filter writes/);
        // Without a CORS filter the same modifier is the route's own business.
        assert.deepEqual(issues([{ filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "Access-Control-Allow-Origin", value: "*" }] } }], backendRefs: TO }]), []);
    });
});

// ---------------------------------------------------------------- origin matching

/** The CRD's allowOrigins rules read literally: the reference the compiled pattern is checked against. */
function referenceAllowed(entry: string, origin: string): boolean {
    const o = /^(https?):\/\/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/i.exec(origin);
    if (!o) return false;
    if (entry === "*") return true;
    const e = /^(https?):\/\/([^:]+)(?::([0-9]+))?$/.exec(entry)!;
    if (o[1].toLowerCase() !== e[1]) return false;
    const dflt = e[1] === "https" ? "443" : "80";
    if ((o[3] ?? dflt) !== (e[3] === undefined ? dflt : String(Number(e[3])))) return false;
    const host = o[2].toLowerCase(), want = e[2].toLowerCase();
    if (want === "*") return true;
    if (want.startsWith("*.")) {
        const suffix = want.slice(1); // ".bar.com"
        return host.endsWith(suffix) && host.length > suffix.length && !host.startsWith("[");
    }
    return host === want;
}

describe("CORS: origin matching", () => {
    it("matches exactly what the CRD's wildcard rules allow (fast-check against a literal reading)", () => {
        const label = fc.constantFrom("a", "b", "www", "x-1", "A", "Bar");
        const host = fc.array(label, { minLength: 1, maxLength: 3 }).map(ls => ls.join("."));
        const scheme = fc.constantFrom("http", "https");
        const entry = fc.oneof(
            fc.constant("*"),
            fc.tuple(scheme, fc.oneof(host, host.map(h => "*." + h), fc.constant("*")), fc.constantFrom("", ":80", ":443", ":8080", ":08080"))
                .map(([s, h, p]) => `${s}://${h}${p}`),
        );
        const origin = fc.oneof(
            fc.tuple(fc.constantFrom("http", "https", "HTTPS", "ftp"), fc.oneof(host, fc.constantFrom("[::1]", "a..b", "-", "a_b")), fc.constantFrom("", ":80", ":443", ":8080", ":0443", ":", ":123456"), fc.constantFrom("", "", "/", ".", "/x"))
                .map(([s, h, p, tail]) => `${s}://${h}${p}${tail}`),
            fc.constantFrom("null", "", "https://", "https://a.b,https://c.d", "https://a.b\n"),
        );
        fc.assert(fc.property(entry, origin, (e, o) => {
            const p = corsPolicyOf({ allowOrigins: [e] });
            assert.equal(originAllowed(p, o), referenceAllowed(e, o), `${e} vs ${JSON.stringify(o)}: pattern ${p.originPattern}`);
        }), { numRuns: 3000, seed: 13 });
    });

    it("the upstream examples", () => {
        const p = corsPolicyOf({ allowOrigins: ["https://www.foo.com", "https://*.bar.com"] });
        for (const o of ["https://www.foo.com", "https://www.bar.com", "https://xpto.www.bar.com", "https://WWW.FOO.COM:443"]) assert.ok(originAllowed(p, o), o);
        for (const o of ["https://foobar.com", "https://bar.com", "http://www.foo.com", "https://www.foo.com.evil.com", "https://www.foo.com:8443", "null"]) assert.ok(!originAllowed(p, o), o);
        assert.equal(corsPolicyOf({}).originPattern, undefined);
        assert.ok(!originAllowed(corsPolicyOf({}), "https://a.b"));
    });
});

// ---------------------------------------------------------------- simulate

const POLICY: HTTPCORSFilter = { allowOrigins: ["https://*.foo.com"], allowMethods: ["GET", "PUT"], allowHeaders: ["x-h1"], exposeHeaders: ["x-e1", "x-e2"], allowCredentials: true, maxAge: 60 };

function sim(rules: HTTPRouteRule[], req: Partial<SimRequest>) {
    return simulate(compile(inputOf(rules)), { host: "example.com", path: "/", ...req });
}

describe("CORS: simulate", () => {
    const rules: HTTPRouteRule[] = [{ filters: [cors(POLICY), { type: "RequestMirror", requestMirror: { backendRef: TO[0] } }, { type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "X-R", value: "1" }] } }], backendRefs: TO }];

    it("answers a preflight itself with 200 and only the CORS headers", () => {
        const r = sim(rules, { method: "OPTIONS", headers: { Origin: "https://a.foo.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-h1" } });
        assert.equal(r.status, 200);
        assert.equal(r.reason, "cors-preflight");
        assert.equal(r.outcomes.length, 1);
        assert.equal(r.outcomes[0].backend, undefined);
        assert.deepEqual(r.mirrors, []);
        assert.deepEqual(r.outcomes[0].responseHeaders.set, {
            "access-control-allow-origin": "https://a.foo.com", "access-control-allow-credentials": "true",
            "access-control-allow-methods": "GET, PUT", "access-control-allow-headers": "x-h1",
            "access-control-expose-headers": "x-e1, x-e2", "access-control-max-age": "60",
        });
        // A disallowed origin: still the gateway's 200, without any CORS header.
        const no = sim(rules, { method: "OPTIONS", headers: { Origin: "https://foo.com", "Access-Control-Request-Method": "PUT" } });
        assert.equal(no.reason, "cors-preflight");
        assert.deepEqual(no.outcomes[0].responseHeaders.set, {});
        assert.ok(no.outcomes[0].responseHeaders.remove.includes("access-control-allow-origin"));
    });

    it("adds the actual-response headers (and removes the backend's) on every other answer", () => {
        const r = sim(rules, { method: "PUT", headers: { Origin: "https://a.foo.com" } });
        assert.equal(r.reason, "forwarded");
        assert.deepEqual(r.outcomes[0].responseHeaders.set, {
            "x-r": "1", "access-control-allow-origin": "https://a.foo.com", "access-control-allow-credentials": "true", "access-control-expose-headers": "x-e1, x-e2",
        });
        assert.ok(r.outcomes[0].responseHeaders.remove.includes("access-control-max-age"));
        assert.equal(r.mirrors.length, 1);
        // OPTIONS without Access-Control-Request-Method is not a preflight; no Origin, no CORS headers.
        assert.equal(sim(rules, { method: "OPTIONS", headers: { Origin: "https://a.foo.com" } }).reason, "forwarded");
        const plain = sim(rules, {});
        assert.deepEqual(plain.outcomes[0].responseHeaders.set, { "x-r": "1" });
        assert.ok(plain.outcomes[0].responseHeaders.remove.includes("access-control-allow-origin"));
        // A redirect and a 500 of a CORS rule carry them too.
        const rd = sim([{ filters: [cors(POLICY), { type: "RequestRedirect", requestRedirect: { hostname: "b.example" } }] }], { headers: { Origin: "https://a.foo.com" } });
        assert.equal(rd.status, 302);
        assert.equal(rd.outcomes[0].responseHeaders.set["access-control-allow-origin"], "https://a.foo.com");
        const err = sim([{ filters: [cors(POLICY)] }], { headers: { Origin: "https://a.foo.com" } });
        assert.equal(err.status, 500);
        assert.equal(err.outcomes[0].responseHeaders.set["access-control-allow-origin"], "https://a.foo.com");
    });

    it("'*' lists echo the request's well-formed values, never '*'", () => {
        const any: HTTPRouteRule[] = [{ filters: [cors({ allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"] })], backendRefs: TO }];
        const pre = (acrm: string, acrh?: string) => sim(any, { method: "OPTIONS", headers: { Origin: "http://x.y:81", "Access-Control-Request-Method": acrm, ...(acrh !== undefined ? { "Access-Control-Request-Headers": acrh } : {}) } }).outcomes[0].responseHeaders.set;
        assert.deepEqual(pre("PATCH", "x-a, X-B"), { "access-control-allow-origin": "http://x.y:81", "access-control-allow-methods": "PATCH", "access-control-allow-headers": "x-a, X-B", "access-control-max-age": "5" });
        assert.deepEqual(pre("PA TCH", "x a"), { "access-control-allow-origin": "http://x.y:81", "access-control-max-age": "5" });
        assert.deepEqual(pre("GET"), { "access-control-allow-origin": "http://x.y:81", "access-control-allow-methods": "GET", "access-control-max-age": "5" });
    });

    it("shows in the routing table", () => {
        const rows = routingTableRows(compile(inputOf(rules)));
        assert.ok(rows.some(r => r.action.startsWith("cors https://*.foo.com with credentials, response set-header x-r=1")), JSON.stringify(rows.map(r => r.action)));
    });

    it("declares HTTPRouteCORS", () => {
        const plan = compile(inputOf(rules));
        assert.ok(featuresOfRule(plan.gateways[0].listeners[0].rules[0]).includes("HTTPRouteCORS"));
        assert.ok(!featuresOfRule(compile(inputOf([{ backendRefs: TO }])).gateways[0].listeners[0].rules[0]).includes("HTTPRouteCORS"));
    });
});

// ---------------------------------------------------------------- clouds

describe("CORS: cloud adapters", () => {
    it("aws refuses it, saying why ALB cannot", () => {
        const plan = compile(inputOf([{ filters: [cors({ allowOrigins: ["*"] })], backendRefs: TO }], "gatewaykit.dev/aws-alb")).gateways[0];
        assert.throws(() => checkCapabilities(plan, awsAdapter, [awsAdapter]), (e: Error) => /uses HTTPRouteCORS, which the aws adapter does not support \(ALB has no per-rule CORS: .*never answer a preflight/.test(e.message));
    });

    /** The response headers an answer ends with, from an empty response: simulate's changes vs the LB's header actions. */
    const fromSim = (c: { set: Record<string, string>; add: Record<string, string> }) => Object.entries({ ...c.set, ...c.add }).sort();
    const fromGcp = (actions: Parameters<typeof applyResponseHeaders>[1][]) => {
        const h: Record<string, string> = {};
        for (const a of actions) applyResponseHeaders(h, a);
        return Object.entries(h).sort();
    };

    it("gcp: routeAction.corsPolicy answers as simulate does (allowed origins, lists without '*')", () => {
        const policies: HTTPCORSFilter[] = [POLICY, { allowOrigins: ["https://www.foo.com", "http://*.bar.com:8080"], allowMethods: ["GET"], exposeHeaders: ["*"] }, { allowOrigins: ["*"], allowMethods: ["*"] }];
        const routing = compile(gcpInput([gcpRoute("r", policies.map((c, i) => ({ matches: [{ path: { type: "PathPrefix" as const, value: `/p${i}` } }], filters: [cors(c), { type: "ResponseHeaderModifier" as const, responseHeaderModifier: { add: [{ name: "x-r", value: "1" }] } }], backendRefs: [{ name: "s0", port: 8080 }] })))]));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        const rules = dp.frontends[0].urlMap.pathMatchers!.flatMap(p => p.routeRules ?? []);
        assert.ok(rules.length > 0 && rules.every(r => r.routeAction?.corsPolicy?.allowOriginRegexes?.length === 1));
        let compared = 0;
        for (const [i] of policies.entries()) {
            for (const origin of ["https://a.foo.com", "https://www.foo.com", "http://x.bar.com:8080", "http://x.bar.com", "https://evil.com", undefined]) {
                for (const method of ["GET", "OPTIONS"]) {
                    for (const acrm of [undefined, "GET"]) {
                        const headers: Record<string, string> = { ...(origin ? { origin } : {}), ...(acrm ? { "access-control-request-method": acrm } : {}) };
                        const req = { host: "example.com", path: `/p${i}`, method, headers };
                        const s = simulate(routing, req), g = evaluate(dp.frontends, req);
                        const allowed = origin !== undefined && originAllowed(corsPolicyOf(policies[i]), origin);
                        // Declared deviation: a preflight from a disallowed origin is routed on GCP (Envoy forwards it).
                        if (s.reason === "cors-preflight" && !allowed) { assert.equal(g.outcomes[0].backend !== undefined, true); continue; }
                        assert.equal(g.status, s.status, JSON.stringify(req));
                        // Declared deviation: "*" in allowMethods is sent as "*" where simulate echoes the method.
                        const simSet = fromSim(s.outcomes[0].responseHeaders).map(([k, v]) => (k === "access-control-allow-methods" && policies[i].allowMethods?.[0] === "*" ? [k, "*"] : [k, v]));
                        const gcpSet = fromGcp(g.outcomes[0].responseHeaderActions);
                        assert.deepEqual(gcpSet, simSet, JSON.stringify(req));
                        compared++;
                    }
                }
            }
        }
        assert.ok(compared >= 50, `only ${compared} requests compared`);
    });

    it("gcp refuses what corsPolicy cannot say, naming the field", () => {
        const refused = (rules: HTTPRouteRule[], msg: RegExp) => {
            const dp = build(compile(gcpInput([gcpRoute("r", rules)])));
            assert.ok(dp.problems.some(p => msg.test(p)), dp.problems.join("\n"));
        };
        refused([{ filters: [cors({ allowOrigins: ["*"], allowMethods: ["*"], allowCredentials: true })], backendRefs: [{ name: "s0", port: 8080 }] }], /filters\.cors\.allowMethods "\*" with allowCredentials: true .*list the methods/);
        refused([{ filters: [cors({ allowOrigins: ["*"], allowHeaders: ["*"], allowCredentials: true })], backendRefs: [{ name: "s0", port: 8080 }] }], /filters\.cors\.allowHeaders/);
        refused([{ filters: [cors({ allowOrigins: ["*"] }), { type: "RequestRedirect", requestRedirect: { hostname: "b.example" } }] }], /CORS filter on a RequestRedirect rule/);
    });
});
