// Backend policies the way a user writes them: BackendTLSPolicy and BackendTrafficPolicy components
// attached to Services, an HTTPRoute rule with retry, on an nginx Gateway (Pulumi mocks). The nginx
// gateway's one input carries the policies with their Services, and the config nginx would load from
// it realises them; a feature nginx cannot carry fails the program naming it and saying why.
import { strict as assert } from "assert";
import { BackendTLSPolicy, BackendTrafficPolicy, Gateway, GatewayClass, HTTPRoute, Service } from "../index";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { compileGateway } from "../routing/compile";
import { GatewayInput } from "../routing/plan";
import { renderNginx } from "../providers/nginx/model";
import { failureOf, resourcesOfType, runProgram, setupMocks } from "../testing";

setupMocks();

/** A real CA certificate (openssl), since the adapter refuses a PEM OpenSSL cannot read. */
function testCA(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-bpolc-"));
    try {
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "k"), "-out", path.join(dir, "c"), "-days", "2", "-subj", "/CN=components test CA"], { stdio: ["ignore", "ignore", "pipe"] });
        return fs.readFileSync(path.join(dir, "c"), "utf8");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
const CA = testCA();

function program(session?: "Cookie" | "Header") {
    const gateway = new Gateway("edge", {
        gatewayClass: new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx" }),
        namespace: "shop", listeners: [{ name: "http", protocol: "HTTP", port: 18081 }],
    });
    const api = new Service("api", { namespace: "shop", port: 8443, endpoints: [{ address: "10.0.0.1" }, { address: "10.0.0.2" }] });
    new BackendTLSPolicy("api-tls", { targetRefs: [api], validation: { hostname: "api.internal", caCertificates: { "api-ca": CA } } });
    new BackendTrafficPolicy("api-lb", { targetRefs: [api], loadBalancer: { type: "LeastRequest" }, healthCheck: { passive: { consecutiveFailures: 2, interval: "5s" } } });
    new HTTPRoute("shop", {
        namespace: "shop", parentRefs: [{ gateway }], hostnames: ["shop.example"],
        rules: [{ backendRefs: [{ service: api }], retry: { codes: [503], attempts: 2 }, ...(session ? { sessionPersistence: { type: session, sessionName: session === "Cookie" ? "x_session" : "x-session" } } : {}) }],
    });
    return { gateway, api };
}

describe("nginx backend policies through the components (mocks)", () => {
    it("the nginx gateway's input carries the policies, and its config realises them", async () => {
        await runProgram(() => { program(); });
        const [nginx] = resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway");
        assert.ok(nginx, "the program declares the nginx gateway");
        const input = nginx.inputs.input as GatewayInput;
        const api = input.services!.find(s => s.name === "api")!;
        assert.deepEqual(api.backendTLSPolicies?.map(p => p.name), ["api-tls"]);
        assert.deepEqual(api.backendTrafficPolicies?.map(p => p.name), ["api-lb"]);
        const plan = compileGateway(input);
        const main = renderNginx(plan.gateways[0], { dir: "/tmp/gk-c", generation: "g" }).files[0].content;
        for (const line of ["least_conn;", "server 10.0.0.1:8443 max_fails=2 fail_timeout=5s;", "proxy_ssl_verify on;", "proxy_next_upstream error timeout http_503 non_idempotent;", "proxy_next_upstream_tries 3;"]) {
            assert.ok(main.includes(line), `the config has ${line}`);
        }
    });

    it("an active health check fails the program naming the feature and why nginx cannot carry it", async () => {
        const e = await failureOf(runProgram(() => {
            const { api } = program();
            // "a-probe" sorts before "api-lb", so it is the Service's policy.
            new BackendTrafficPolicy("a-probe", { targetRefs: [api], healthCheck: { active: { path: "/healthz" } } });
        }));
        assert.match(e.message, /BackendActiveHealthCheck.*open-source nginx sends no health probes/s);
    });

    it("a Cookie session reaches the config as the gateway's own cookie", async () => {
        await runProgram(() => { program("Cookie"); });
        const [nginx] = resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway");
        const main = renderNginx(compileGateway(nginx.inputs.input as GatewayInput).gateways[0], { dir: "/tmp/gk-c", generation: "g" }).files[0].content;
        assert.match(main, /add_header Set-Cookie "\$\{gk_v\d+\}";/);
        assert.match(main, /x_session=\$\{gk_m\d+\}; Path=\/; HttpOnly/);
    });
});
