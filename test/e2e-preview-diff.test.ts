// `pulumi preview --diff` (Automation API `preview({ diff: true })`) after a one-weight change on a
// quickstart-like nginx program: the NginxGateway carries one input (the GatewayInput, an object), so
// the diff names the changed weight once instead of printing the whole plan and its sources as JSON.

import * as assert from "assert";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import { resetDeclarations } from "../components/registry";
import { E2eWorld, ask, e2eGate, freePort } from "./nginx-e2e-kit";

function weightedProgram(port: number, canaryWeight: number) {
    return async () => {
        resetDeclarations();
        const gateway = new Gateway("mygroup-external", {
            gatewayClass: new GatewayClass("external-lb", { controllerName: "gatewaykit.dev/nginx" }),
            namespace: "mygroup", listeners: [{ name: "http", protocol: "HTTP", port }],
        });
        const groups = new Service("mygroup-groups", { namespace: "mygroup", port: 8080, endpoints: [{ address: "127.0.0.1", port: 9101 }] });
        const canary = new Service("mygroup-groups-canary", { namespace: "mygroup", port: 8080, endpoints: [{ address: "127.0.0.1", port: 9102 }] });
        new HTTPRoute("mygroup-groups", {
            namespace: "mygroup", parentRefs: [{ gateway }], hostnames: ["mygroup.io"],
            rules: [{
                matches: [{ path: { type: "PathPrefix", value: "/groups" } }],
                backendRefs: [{ service: groups, weight: 90 }, { service: canary, weight: canaryWeight }],
            }],
        });
        return { routingTable: gateway.routingTable };
    };
}

describe("e2e: pulumi preview --diff of a one-weight change", function () {
    this.timeout(10 * 60_000);
    let world: E2eWorld | undefined;

    before(async function () {
        this.timeout(35 * 60_000);
        const bin = e2eGate(this, "the preview-diff e2e test");
        if (!bin) return;
        world = new E2eWorld(bin);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await world?.cleanup();
    });

    it("the canary weight 10 → 20 appears once in the diff, which stays short", async () => {
        const port = await freePort();
        const stack = await world!.stack("gk-preview-diff", `diff${process.pid}`, weightedProgram(port, 10));
        const up = await stack.up();
        assert.equal(up.summary.result, "succeeded");
        // nginx serves (the backends are not running: 502 is an answer from nginx, not a refused connection).
        await ask(port, "mygroup.io", "/groups").catch(e => assert.fail(`nginx does not answer: ${(e as Error).message}`));

        stack.workspace.program = weightedProgram(port, 20);
        const preview = await stack.preview({ diff: true });
        const lines = preview.stdout.split("\n");
        const changes = lines.filter(l => /\b10\s*=>\s*20\b/.test(l));
        console.log(`      preview --diff: ${lines.length} lines, ${changes.length} line(s) with the weight change`);
        assert.strictEqual(changes.length, 1, `the weight change exactly once:\n${preview.stdout}`);
        assert.match(changes[0], /weight/, `the changed line names the weight: ${changes[0]}`);
        // Nothing else of the gateway's input is printed as changed: no JSON of the plan or its sources.
        assert.doesNotMatch(preview.stdout, /\bplan\b\s*:/, preview.stdout);
        assert.doesNotMatch(preview.stdout, /\bsources\b\s*:/, preview.stdout);
        // The engine prints the changed input whole, with its unchanged fields: 116 lines for this program,
        // where the plan and sources JSON strings printed 386 (4 weight-change lines) at 62a0eed.
        assert.ok(lines.length < 193, `under half the 386 lines the plan and sources JSON printed (${lines.length} lines):\n${preview.stdout}`);
        assert.deepStrictEqual(preview.changeSummary, { same: preview.changeSummary.same, update: 1 }, JSON.stringify(preview.changeSummary));
    });
});
