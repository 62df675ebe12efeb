// Errors where the user looks for them (Pulumi mocks): a Gateway's validation failure is reported
// on the resource each issue names — a bad route on its HTTPRoute, a bad Service on the Service —
// once, with the validator's text, and no output of the Gateway or its routes repeats it.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, GatewayReference, HTTPRoute, Service } from "../components";
import { resolveOutput } from "../components/registry";
import { failureOf, runProgram, setupMocks } from "../testing";

import { withLoggedErrors } from "./log-kit";

setupMocks();


function program(opts: { badPath?: boolean; badEndpoint?: boolean; mirror?: boolean } = {}) {
    const made: { gateway?: Gateway; route?: HTTPRoute; shop?: Service } = {};
    const run = () => {
        made.gateway = new Gateway("edge", {
            gatewayClass: new GatewayClass("alb", { controllerName: opts.mirror ? "gatewaykit.dev/aws-alb" : "gatewaykit.dev/nginx", parameters: { aws: { subnetIds: ["a", "b"], vpcId: "v" } } }),
            namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port: 18080 }],
        });
        made.shop = new Service("shop", { namespace: "infra", port: 8080, endpoints: [{ address: opts.badEndpoint ? "not an address" : "10.0.0.1" }] });
        made.route = new HTTPRoute("store", {
            namespace: "infra", parentRefs: [{ gateway: made.gateway }], hostnames: ["shop.example"],
            rules: [{
                matches: [{ path: { type: "PathPrefix", value: opts.badPath ? "groups" : "/groups" } }],
                ...(opts.mirror ? { filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "shop", port: 8080 } } }] } : {}),
                backendRefs: [{ service: made.shop }],
            }],
        });
    };
    return { made, run };
}

const BAD_PATH = "HTTPRoute infra/store: spec.rules[0].matches[0].path.value: must be an absolute path starting with '/'; write '/groups' (got \"groups\")";

describe("errors on the resource at fault (mocks)", () => {
    it("a bad HTTPRoute: reported once, on the HTTPRoute, with the validator's text", async () => {
        const { made, run } = program({ badPath: true });
        const { result: err, errors } = await withLoggedErrors(() => failureOf(runProgram(run)));
        assert.deepStrictEqual(errors.map(e => e.message), [BAD_PATH]);
        assert.strictEqual(errors[0].resource, made.route, "logged on the HTTPRoute, not the Gateway");
        assert.strictEqual(err.message, BAD_PATH);
        assert.strictEqual((err as pulumi.ResourceError).resource, made.route);
        // No output repeats it: they are unknown (the run fails on the logged error).
        for (const o of [made.gateway!.routingTable, made.gateway!.status, made.route!.status, made.route!.routingTable]) {
            assert.deepStrictEqual(await resolveOutput(o as pulumi.Output<unknown>).then(r => r.known), false);
        }
    });

    it("a bad Service: reported on the Service", async () => {
        const { made, run } = program({ badEndpoint: true });
        const { errors } = await withLoggedErrors(() => failureOf(runProgram(run)));
        assert.strictEqual(errors.length, 1, JSON.stringify(errors.map(e => e.message)));
        assert.match(errors[0].message, /^Service infra\/shop: spec\.endpoints\[0\]\.address: must be an IP address .*\(got "not an address"\)$/);
        assert.strictEqual(errors[0].resource, made.shop);
    });

    it("issues in two resources: each reported once, on its own resource", async () => {
        const { made, run } = program({ badPath: true, badEndpoint: true });
        const { errors } = await withLoggedErrors(() => failureOf(runProgram(run)));
        assert.deepStrictEqual(errors.map(e => [e.resource === made.route ? "route" : e.resource === made.shop ? "service" : "other", e.message.split(":")[0]]).sort(),
            [["route", "HTTPRoute infra/store"], ["service", "Service infra/shop"]]);
    });

    it("a bad route on another stack's gateway (a GatewayReference): reported once, on the HTTPRoute; runProgram rejects with it", async () => {
        const reference: GatewayReference = {
            name: "edge", namespace: "infra", className: "k8s", controllerName: "gatewaykit.dev/kubernetes",
            listeners: [{ name: "http", protocol: "HTTP", port: 80 }], namespaceLabels: {},
        };
        let route!: HTTPRoute;
        const { result: err, errors } = await withLoggedErrors(() => failureOf(runProgram(() => {
            const shop = new Service("shop", { namespace: "infra", port: 8080, endpoints: [{ address: "10.0.0.1" }] });
            route = new HTTPRoute("store", {
                namespace: "infra", parentRefs: [{ gateway: reference }], hostnames: ["shop.example"],
                rules: [{ matches: [{ path: { type: "PathPrefix", value: "groups" } }], backendRefs: [{ service: shop }] }],
            });
        })));
        assert.deepStrictEqual(errors.map(e => e.message), [BAD_PATH]);
        assert.strictEqual(errors[0].resource, route);
        assert.strictEqual(err.message, BAD_PATH);
        assert.strictEqual((await resolveOutput(route.status as pulumi.Output<unknown>)).known, false, "the status output does not repeat it");
    });

    it("a plan the class's adapter cannot carry: reported once, on the Gateway", async () => {
        const { made, run } = program({ mirror: true });
        const { result: err, errors } = await withLoggedErrors(() => failureOf(runProgram(run)));
        assert.strictEqual(errors.length, 1);
        assert.strictEqual(errors[0].resource, made.gateway);
        assert.match(errors[0].message, /RequestMirror/);
        assert.strictEqual(err.message, errors[0].message);
    });
});
