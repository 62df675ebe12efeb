// The nginx adapter refuses at preview (Pulumi mocks: no nginx, no files) what its renderer would refuse
// later, so nginx -t never meets a pattern validation let through.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, HTTPRoute } from "../components";
import { failureOf, resourcesOfType, runProgram, setupMocks } from "../testing";

setupMocks();

describe("nginx adapter: refusals at preview", () => {
    it("fails the Gateway, naming route and field, for a regex PCRE would compile differently, and creates no nginx instance", async () => {
        const err = await failureOf(runProgram(() => {
            const gateway = new Gateway("gw", { gatewayClass: { name: "nginx", controllerName: "gatewaykit.dev/nginx" }, listeners: [{ name: "http", port: 18080, protocol: "HTTP" }] });
            new HTTPRoute("rx", { parentRefs: [{ gateway }], rules: [{ matches: [{ path: { type: "RegularExpression", value: "/(?<=a)b" } }], backendRefs: [{ name: "x", port: 80 }] }] });
        }));
        assert.ok(pulumi.ResourceError.isInstance(err), `expected a ResourceError, got ${err}`);
        assert.match(err.message, /the nginx data plane refuses this configuration: HTTPRoute default\/rx rule 0: spec\.rules\[0\]\.matches\[0\]\.path\.value: the regular expression "\/\(\?<=a\)b" uses a lookbehind/);
        assert.deepStrictEqual(resourcesOfType("pulumi-nodejs:dynamic:Resource"), []);
    });
});
