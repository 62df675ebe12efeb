// Feature detection (featuresOfRule, featuresOfGateway) on plans from compile().

import * as assert from "assert";
import { featuresOfGateway, featuresOfRule } from "./features";
import { HTTPRouteRule, Listener } from "./types";
import { backend, mirror, planOf } from "../test/capability-plans";

describe("features", () => {
    it("finds the features each rule uses, and only those", () => {
        const cases: [HTTPRouteRule, string[]][] = [
            [{ backendRefs: [backend("store")] }, ["HTTPRoute"]],
            [{ matches: [{ method: "POST" }], backendRefs: [backend("store")] }, ["HTTPRoute", "HTTPRouteMethodMatching"]],
            [{ matches: [{ path: { type: "RegularExpression", value: "/v[0-9]+" } }], backendRefs: [backend("store")] }, ["HTTPRoute", "HTTPRouteRegexPathMatching"]],
            [{ matches: [{ headers: [{ type: "RegularExpression", name: "x", value: "a.*" }], queryParams: [{ name: "q", value: "1" }] }], backendRefs: [backend("store")] },
                ["HTTPRoute", "HTTPRouteQueryParamMatching", "HTTPRouteRegexHeaderMatching"]],
            [{ filters: [mirror("audit"), mirror("audit-2", 10)], backendRefs: [backend("store")] },
                ["HTTPRoute", "HTTPRouteRequestMirror", "HTTPRouteRequestMultipleMirrors", "HTTPRouteRequestPercentageMirror"]],
            [{ backendRefs: [backend("store", 90), backend("store-v2", 10)] }, ["HTTPRoute", "HTTPRouteWeightedBackends"]],
            [{ backendRefs: [backend("store", 1), backend("store-v2", 0)] }, ["HTTPRoute"]],
            [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", port: 443, statusCode: 308 } }] },
                ["HTTPRoute", "HTTPRoutePortRedirect", "HTTPRouteSchemeRedirect", "HTTPRoute308RedirectStatusCode"]],
            [{ filters: [{ type: "URLRewrite", urlRewrite: { hostname: "internal", path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }], backendRefs: [backend("store")] },
                ["HTTPRoute", "HTTPRouteHostRewrite", "HTTPRoutePathRewrite"]],
            [{ backendRefs: [{ ...backend("store"), filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x", value: "1" }] } }] }], timeouts: { request: "10s" } },
                ["HTTPRoute", "HTTPRouteBackendRequestHeaderModification", "HTTPRouteRequestTimeout"]],
            [{ filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { add: [{ name: "x", value: "1" }] } }, { type: "ResponseHeaderModifier", responseHeaderModifier: { remove: ["server"] } }], backendRefs: [backend("store")] },
                ["HTTPRoute", "HTTPRouteRequestHeaderModification", "HTTPRouteResponseHeaderModification"]],
        ];
        for (const [rule, expected] of cases) {
            const rules = planOf([rule]).listeners[0].rules;
            assert.strictEqual(rules.length, 1);
            assert.deepStrictEqual(featuresOfRule(rules[0]), expected, JSON.stringify(rule));
        }
    });

    it("counts a rule once however many matches and listeners it expands to, and notes gateway features", () => {
        const listeners: Listener[] = [
            { name: "a", port: 8080, protocol: "HTTP", hostname: "a.io", allowedRoutes: { namespaces: { from: "All" } } },
            { name: "b", port: 8080, protocol: "HTTP", hostname: "b.io", allowedRoutes: { namespaces: { from: "All" } } },
        ];
        const plan = planOf([{ name: "m", matches: [{ method: "GET" }, { method: "PUT" }], backendRefs: [backend("store")] }], listeners);
        const uses = featuresOfGateway(plan);
        const method = uses.filter(u => u.feature === "HTTPRouteMethodMatching");
        assert.deepStrictEqual(method, [{ feature: "HTTPRouteMethodMatching", route: "team-a/store", ruleIndex: 0, ruleName: "m", listeners: ["a", "b"] }]);
        assert.deepStrictEqual(uses.filter(u => u.route === undefined).map(u => [u.feature, u.listeners]),
            [["GatewayPort8080", ["a", "b"]], ["GatewayHTTPListenerIsolation", ["a", "b"]]]);
    });
});
