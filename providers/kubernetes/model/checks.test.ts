// The CRDs' CEL rules (x-kubernetes-validations) as the kubernetes adapter checks them on every
// emitted object, before the cluster sees it.

import { strict as assert } from "assert";
import { celProblems } from "./checks";
import { Manifest } from "./manifests";

describe("kubernetes adapter: the CRDs' CEL rules, checked before the cluster sees an object", () => {
    const route = (spec: object): Manifest => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r", namespace: "default" }, spec });
    const gateway = (spec: object): Manifest => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "g", namespace: "default" }, spec });

    it("redirect with backendRefs", () => {
        assert.deepEqual(celProblems(route({ rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { statusCode: 301 } }], backendRefs: [{ name: "s", port: 80 }] }] })),
            ["HTTPRoute default/r: spec.rules[0]: RequestRedirect filter must not be used together with backendRefs"]);
    });

    it("duplicate listener names, and the same port/protocol/hostname twice", () => {
        const problems = celProblems(gateway({ gatewayClassName: "c", listeners: [{ name: "http", port: 80, protocol: "HTTP" }, { name: "http", port: 80, protocol: "HTTP" }] }));
        // The rules sit on the list node (spec.listeners), so the server names that field (as a real server said).
        assert.deepEqual(problems, [
            "Gateway default/g: spec.listeners: Listener name must be unique within the Gateway",
            "Gateway default/g: spec.listeners: Combination of port, protocol and hostname must be unique for each listener",
            // listeners is a list-type map keyed by name: the server refuses the duplicate key too.
            "Gateway default/g: spec.listeners[1]: Duplicate value: {\"name\":\"http\"}",
        ]);
    });

    it("filter type and field must agree; a filter kind cannot repeat; redirect and rewrite exclude each other", () => {
        const problems = celProblems(route({
            rules: [{
                filters: [
                    { type: "RequestHeaderModifier", responseHeaderModifier: { remove: ["x"] } },
                    { type: "URLRewrite", urlRewrite: { hostname: "a" } }, { type: "URLRewrite", urlRewrite: { hostname: "b" } },
                    { type: "RequestRedirect", requestRedirect: {} },
                ],
            }],
        }));
        for (const expected of [
            "spec.rules[0].filters[0]: filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type",
            "spec.rules[0].filters[0]: filter.responseHeaderModifier must be nil if the filter.type is not ResponseHeaderModifier",
            "spec.rules[0].filters: URLRewrite filter cannot be repeated",
            "spec.rules[0].filters: May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
        ]) assert.ok(problems.some(p => p.endsWith(expected)), `missing ${expected} in\n${problems.join("\n")}`);
    });

    it("ReplacePrefixMatch needs exactly one PathPrefix match; timeouts; mirrors; sectionName rules", () => {
        const problems = celProblems(route({
            parentRefs: [{ name: "g" }, { name: "g", sectionName: "http" }],
            rules: [
                { matches: [{ path: { type: "Exact", value: "/a" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } } }], backendRefs: [{ name: "s", port: 80 }] },
                { timeouts: { request: "1s", backendRequest: "2s" }, filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "m" }, percent: 5, fraction: { numerator: 2, denominator: 1 } } }] },
            ],
        }));
        for (const expected of [
            "spec.parentRefs: sectionName must be specified when parentRefs includes 2 or more references to the same parent",
            "spec.rules[0]: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
            "spec.rules[1].timeouts: backendRequest timeout cannot be longer than request timeout",
            "spec.rules[1].filters[0].requestMirror: Only one of percent or fraction may be specified in HTTPRequestMirrorFilter",
            "spec.rules[1].filters[0].requestMirror.fraction: numerator must be less than or equal to denominator",
            "spec.rules[1].filters[0].requestMirror.backendRef: Must have port for Service reference",
        ]) assert.ok(problems.some(p => p.endsWith(expected)), `missing ${expected} in\n${problems.join("\n")}`);
    });
});
