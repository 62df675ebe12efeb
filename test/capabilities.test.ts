// The capability check and the adapter registry, on plans from compile() (feature detection: routing/features.test.ts).

import * as assert from "assert";
import { Adapter, adapterFor, allAdapters, checkCapabilities, portabilityReport, registerAdapter, unregisterAdapter } from "../providers";
import { CapabilityError } from "../routing/errors";
import { FEATURES } from "../routing/features";
import { backend, mirror, planOf } from "./capability-fixtures";

describe("checkCapabilities", () => {
    it("throws one CapabilityError listing every unsupported use with the adapters that support it", () => {
        const plan = planOf([
            { name: "canary", filters: [mirror("audit")], backendRefs: [backend("store")] },
            { matches: [{ path: { type: "RegularExpression", value: "/v[0-9]+" } }], backendRefs: [backend("store")] },
        ]);
        assert.throws(() => checkCapabilities(plan, adapterFor("gatewaykit.dev/aws-alb"), allAdapters()), (e: Error) => {
            assert.ok(e instanceof CapabilityError);
            assert.strictEqual(e.message,
                "Gateway infra/gw cannot be realised by the aws adapter (controllerName gatewaykit.dev/aws-alb), 2 problems:\n" +
                "  - HTTPRoute team-a/store rule 0 (canary) uses HTTPRouteRequestMirror, which the aws adapter does not support; adapters that support it: nginx, gcp, kubernetes\n" +
                "  - HTTPRoute team-a/store rule 1 uses HTTPRouteRegexPathMatching, which the aws adapter does not support; adapters that support it: nginx, kubernetes");
            return true;
        });
    });

    it("passes a plan every feature of which the adapter supports", () => {
        const plan = planOf([{ matches: [{ method: "GET" }], backendRefs: [backend("store", 90), backend("store-v2", 10)] }]);
        assert.doesNotThrow(() => checkCapabilities(plan, adapterFor("gatewaykit.dev/aws-alb"), allAdapters()));
        assert.throws(() => checkCapabilities(plan, adapterFor("gatewaykit.dev/gcp-alb"), allAdapters()),
            /rule 0 uses HTTPRouteMethodMatching, which the gcp adapter does not support; adapters that support it: nginx, aws, kubernetes$/);
    });

    it("enforces adapter limits (ALB: 5 backends per weighted forward)", () => {
        const six = ["store", "store-v2", "audit", "audit-2", "store", "store-v2"].map(n => backend(n, 1));
        const plan = planOf([{ name: "wide", backendRefs: six }]);
        const findings = portabilityReport(plan, adapterFor("gatewaykit.dev/aws-alb"), allAdapters());
        assert.deepStrictEqual(findings.map(f => f.message),
            ["HTTPRoute team-a/store rule 0 (wide) splits traffic across 6 backends; the aws adapter allows at most 5 per rule"]);
        assert.deepStrictEqual(portabilityReport(plan, adapterFor("gatewaykit.dev/gcp-alb"), allAdapters()), []);
    });

    it("reports what a provider swap would lose without throwing", () => {
        const plan = planOf([{ filters: [{ type: "RequestRedirect", requestRedirect: { port: 8443 } }] }]);
        const gcp = portabilityReport(plan, adapterFor("gatewaykit.dev/gcp-alb"), allAdapters());
        assert.deepStrictEqual(gcp.map(f => [f.feature, f.route, f.ruleIndex, f.supportedBy]), [["HTTPRoutePortRedirect", "team-a/store", 0, ["nginx", "aws", "kubernetes"]]]);
        assert.deepStrictEqual(portabilityReport(plan, adapterFor("gatewaykit.dev/nginx"), allAdapters()), []);
    });
});

describe("adapter registry", () => {
    it("maps the built-in controllerNames to their adapters", () => {
        assert.deepStrictEqual(
            ["gatewaykit.dev/nginx", "gatewaykit.dev/aws-alb", "gatewaykit.dev/gcp-alb", "gatewaykit.dev/kubernetes", "gatewaykit.dev/plan"].map(c => adapterFor(c).name),
            ["nginx", "aws", "gcp", "kubernetes", "plan"]);
        assert.strictEqual(adapterFor("gatewaykit.dev/plan").capabilities.size, FEATURES.length);
        assert.strictEqual(typeof adapterFor("gatewaykit.dev/nginx").realize, "function", "the nginx data plane is built in");
    });

    it("names the known controllerNames when one is unknown", () => {
        assert.throws(() => adapterFor("new-vendor.io/gateway"),
            /^UnknownControllerError: unknown GatewayClass controllerName "new-vendor.io\/gateway"; known controllerNames: gatewaykit.dev\/nginx \(nginx\), gatewaykit.dev\/aws-alb \(aws\)/);
    });

    it("registers, replaces and removes a user adapter, refusing a controllerName another adapter owns", () => {
        const mine: Adapter = { name: "mine", controllerNames: ["example.com/mine"], capabilities: new Set(["HTTPRoute"]) };
        try {
            registerAdapter(mine);
            assert.strictEqual(adapterFor("example.com/mine"), mine);
            const replacement = { ...mine, capabilities: new Set(FEATURES) };
            registerAdapter(replacement);
            assert.strictEqual(adapterFor("example.com/mine"), replacement);
            assert.throws(() => registerAdapter({ name: "thief", controllerNames: ["gatewaykit.dev/nginx"], capabilities: new Set() }),
                /adapter "thief" claims controllerName gatewaykit.dev\/nginx, which adapter "nginx" already answers to/);
        } finally {
            unregisterAdapter("mine");
        }
        assert.throws(() => adapterFor("example.com/mine"), /unknown GatewayClass controllerName/);
    });
});
