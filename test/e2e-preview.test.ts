// `pulumi preview` through the real engine (Automation API, local file backend):
// - a nginx program whose Service endpoint comes from an EchoBackend not yet created previews the
//   nginx gateway resource, and its routingTable output is known;
// - a program with a bad HTTPRoute fails its preview with the validation error once, on the
//   HTTPRoute's URN, without Node noise (PromiseRejectionHandledWarning) or nested
//   `error serializing property "outputs"`.

import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Gateway, GatewayClass, HTTPRoute, Service, localService } from "../components";
import { resetDeclarations } from "../components/registry";
import { EchoBackend } from "../local/echo";
import { E2eWorld, ask, e2eGate, freePort } from "./nginx-e2e-kit";

function echoProgram(port: number) {
    return async () => {
        resetDeclarations();
        const gateway = new Gateway("edge", {
            gatewayClass: new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx" }),
            namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port }],
        });
        // The Service port is written here; the endpoint (the echo's bound port) exists only after `up`.
        const shop = localService("shop", new EchoBackend("shop", {}), { namespace: "infra", port: 8080 });
        new HTTPRoute("shop", { namespace: "infra", parentRefs: [{ gateway }], hostnames: ["shop.example"], rules: [{ backendRefs: [{ service: shop }] }] });
        return { routingTable: gateway.routingTable };
    };
}

function badRouteProgram(port: number) {
    return async () => {
        resetDeclarations();
        const gateway = new Gateway("edge", {
            gatewayClass: new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx" }),
            namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port }],
        });
        const shop = new Service("shop", { namespace: "infra", port: 8080, endpoints: [{ address: "127.0.0.1" }] });
        new HTTPRoute("store", {
            namespace: "infra", parentRefs: [{ gateway }], hostnames: ["shop.example"],
            rules: [{ matches: [{ path: { type: "PathPrefix", value: "groups" } }], backendRefs: [{ service: shop }] }],
        });
        return { routingTable: gateway.routingTable };
    };
}

const BAD_PATH = /HTTPRoute infra\/store: spec\.rules\[0\]\.matches\[0\]\.path\.value: .*\(got "groups"\)/;

describe("e2e: pulumi preview (Automation API)", function () {
    this.timeout(10 * 60_000);
    let world: E2eWorld | undefined;

    before(async function () {
        this.timeout(35 * 60_000);
        const bin = e2eGate(this, "the preview e2e tests");
        if (!bin) return;
        world = new E2eWorld(bin);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await world?.cleanup();
    });

    it("an endpoint of a backend not yet created: the preview shows the nginx gateway and a known routing table", async () => {
        const port = await freePort();
        const stack = await world!.stack("gk-preview-echo", `echo${process.pid}`, echoProgram(port));
        const events: EngineEvent[] = [];
        const r = await stack.preview({ onEvent: e => events.push(e) });
        const steps = events.flatMap(e => e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []);
        const created = steps.filter(m => m.op === "create").map(m => m.type);
        assert.ok(created.includes("pulumi-nodejs:dynamic/gatewaykit:NginxGateway"), `the nginx gateway is in the preview: ${created.join(", ")}`);
        assert.ok(created.includes("pulumi-nodejs:dynamic/gatewaykit:EchoBackend"));
        const gateway = steps.find(m => m.type === "pulumi-nodejs:dynamic/gatewaykit:NginxGateway")!;
        // Its plan holds the echo's port, so it is unknown until the echo runs.
        assert.ok(gateway.new?.inputs, "the gateway's inputs are previewed");
        // The preview's Outputs section: a known value is printed, an unknown one reads "output<string>".
        assert.match(r.stdout, /routingTable: "gateway infra\/edge \(class local\)/, r.stdout);
        assert.match(r.stdout, /shop\.example · PathPrefix \/ → infra\/shop:8080/);
        assert.doesNotMatch(r.stdout, /routing plan is computed once/);

        // The update creates what the preview showed; the endpoint's real port reached nginx, and the
        // gateway depends on the backend its inputs came from (as an Output passed straight in would).
        const up = await stack.up();
        assert.equal(up.summary.result, "succeeded");
        assert.deepStrictEqual(Object.keys(up.summary.resourceChanges ?? {}), ["create"]);
        // The engine counts default providers in the preview's steps, not in the summary.
        assert.equal(up.summary.resourceChanges?.create, created.filter(t => !t.startsWith("pulumi:providers:")).length);
        assert.equal(await ask(port, "shop.example", "/"), "shop");
        const state = (await stack.exportStack()).deployment as { resources: { urn: string; type: string; dependencies?: string[] }[] };
        const echo = state.resources.find(x => x.type === "pulumi-nodejs:dynamic/gatewaykit:EchoBackend")!;
        const nginx = state.resources.find(x => x.type === "pulumi-nodejs:dynamic/gatewaykit:NginxGateway")!;
        assert.ok(nginx.dependencies?.includes(echo.urn), `the nginx gateway depends on the echo backend: ${JSON.stringify(nginx.dependencies)}`);
    });

    it("a bad HTTPRoute: the error once, on the HTTPRoute's URN, with no Node noise", async () => {
        const stack = await world!.stack("gk-preview-bad", `bad${process.pid}`, badRouteProgram(await freePort()));
        const warnings: string[] = [];
        const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
        process.on("warning", onWarning);
        const events: EngineEvent[] = [];
        let stdout = "", stderr = "";
        const failure = await stack.preview({ onEvent: e => events.push(e), onOutput: o => { stdout += o; } }).then(
            () => undefined, (e: Error & { stderr?: string }) => { stderr = e.stderr ?? ""; return e; });
        // Let late rejection-handled warnings (emitted a tick after the handler) arrive.
        await new Promise(resolve => setTimeout(resolve, 200));
        process.off("warning", onWarning);
        assert.ok(failure, "the preview fails");
        const errors = events.flatMap(e => e.diagnosticEvent && e.diagnosticEvent.severity === "error" ? [e.diagnosticEvent] : []);
        const withText = errors.filter(d => BAD_PATH.test(d.message));
        assert.strictEqual(withText.length, 1, `the validation error exactly once: ${JSON.stringify(errors, null, 1)}`);
        assert.match(withText[0].urn ?? "", /gatewaykit:index:HTTPRoute::store$/, `on the HTTPRoute: ${withText[0].urn}`);
        const all = stdout + stderr + (failure?.message ?? "");
        const diagnostics = stdout.slice(stdout.indexOf("Diagnostics:"));
        assert.strictEqual(countIn(diagnostics, BAD_PATH), 1, `once in the preview's diagnostics:\n${diagnostics}`);
        assert.doesNotMatch(all, /PromiseRejectionHandledWarning/);
        assert.doesNotMatch(all, /error serializing/);
        // The inline program runs in this process: Node's own warnings would be emitted here.
        assert.deepStrictEqual(warnings.filter(w => /PromiseRejection/.test(w)), []);
    });
});

function countIn(s: string, re: RegExp): number {
    return s.match(new RegExp(re.source, "g"))?.length ?? 0;
}

