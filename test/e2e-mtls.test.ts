// Gateway spec.tls through the real Pulumi engine (Automation API, file backend) on nginx: one stack
// whose Gateway validates client certificates (AllowValidOnly) against a CA given as caCertificates
// and presents a backend client certificate. up → a client certificate the CA issued passes, none
// gets 400 → the private keys are secrets in the state (never plain text) → destroy leaves no process.
// Gated like the other e2e tests (CI=true or GATEWAYKIT_E2E=1; under CI a missing nginx/CLI fails).

import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { Gateway, GatewayClass, HTTPRoute } from "../components";
import { resetDeclarations } from "../components/registry";
import { localService } from "../components/service";
import { EchoBackend } from "../local/echo";
import { E2eWorld, e2eGate, freePort, processesNaming } from "./nginx-e2e-kit";

interface Material { certificate: string; privateKey: string }

/** A CA and a certificate it issued for `usage`, by openssl in `dir`. */
function issued(dir: string, name: string, usage: "serverAuth" | "clientAuth", san: string): { ca: string; leaf: Material } {
    const b = path.join(dir, name);
    const run = (args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}-ca`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", `${b}-ca.key`, "-out", `${b}-ca.crt`]);
    fs.writeFileSync(`${b}.ext`, `extendedKeyUsage=${usage}\nsubjectAltName=${san}\n`);
    run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${b}.key`, "-out", `${b}.csr`]);
    run(["x509", "-req", "-in", `${b}.csr`, "-CA", `${b}-ca.crt`, "-CAkey", `${b}-ca.key`, "-CAcreateserial", "-days", "2", "-extfile", `${b}.ext`, "-out", `${b}.crt`]);
    const out = { ca: fs.readFileSync(`${b}-ca.crt`, "utf8"), leaf: { certificate: fs.readFileSync(`${b}.crt`, "utf8"), privateKey: fs.readFileSync(`${b}.key`, "utf8") } };
    for (const f of [`${b}-ca.key`, `${b}.key`]) fs.rmSync(f);
    return out;
}

function get(port: number, trust: string, client?: Material): Promise<{ status: number; backend?: string }> {
    return new Promise((resolve, reject) => {
        const r = https.request({
            host: "127.0.0.1", port, path: "/", servername: "shop.example.org", headers: { host: "shop.example.org" }, ca: trust, agent: false, timeout: 5000,
            ...(client ? { cert: client.certificate, key: client.privateKey } : {}),
        }, res => {
            let body = "";
            res.on("data", d => { body += d; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, ...(res.statusCode === 200 ? { backend: JSON.parse(body).name } : {}) }));
        });
        r.on("timeout", () => r.destroy(new Error("timeout")));
        r.on("error", reject);
        r.end();
    });
}

describe("e2e: Gateway spec.tls on nginx through the Pulumi engine (client-certificate validation, backend client certificate)", function () {
    this.timeout(5 * 60_000);
    let world: E2eWorld | undefined;
    let stack: Stack;
    let port = 0;
    let pki: { server: ReturnType<typeof issued>; client: ReturnType<typeof issued>; backend: ReturnType<typeof issued> };

    before(async function () {
        this.timeout(35 * 60_000);
        const bin = e2eGate(this, "the mTLS e2e test (under a minute)");
        if (!bin) return;
        world = new E2eWorld(bin);
        port = await freePort();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-e2e-pki-"));
        pki = {
            server: issued(dir, "server", "serverAuth", "DNS:shop.example.org"),
            client: issued(dir, "client", "clientAuth", "DNS:client"),
            backend: issued(dir, "gateway-client", "clientAuth", "DNS:gateway"),
        };
        fs.rmSync(dir, { recursive: true, force: true });
        stack = await world.stack("gk-mtls", `mtls${process.pid}`, async () => {
            resetDeclarations();
            const gateway = new Gateway("edge", {
                gatewayClass: new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx" }),
                namespace: "infra",
                listeners: [{ name: "https", port, protocol: "HTTPS", hostname: "shop.example.org", tls: { certificateRefs: [{ name: "shop" }] } }],
                tls: {
                    frontend: { default: { validation: { caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "clients" }] } } },
                    backend: { clientCertificateRef: { name: "to-backends" } },
                },
                certificates: { shop: pki.server.leaf, "to-backends": pki.backend.leaf },
                caCertificates: { clients: pki.client.ca },
            });
            const shop = localService("shop", new EchoBackend("infra-shop", {}), { namespace: "infra" });
            new HTTPRoute("shop", { namespace: "infra", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: shop }] }] });
            return { status: gateway.status };
        });
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await world?.cleanup();
    });

    it("serves only clients with a certificate of the CA, keeps every private key a secret in the state, and leaves nothing behind", async () => {
        const up = await stack.up();
        assert.equal(up.summary.result, "succeeded");
        assert.deepEqual(await get(port, pki.server.ca, pki.client.leaf), { status: 200, backend: "infra-shop" });
        assert.equal((await get(port, pki.server.ca)).status, 400);
        assert.equal((await get(port, pki.server.ca, pki.backend.leaf)).status, 400, "a certificate of another CA");
        assert.ok((up.outputs.status.value.conditions as { type: string; status: string }[]).some(c => c.type === "ResolvedRefs" && c.status === "True"));
        // The stored state (exportStack would decrypt it: it runs `stack export --show-secrets`).
        const stored = (function find(d: string): string[] {
            return fs.readdirSync(d, { withFileTypes: true }).flatMap(e => e.isDirectory() ? find(path.join(d, e.name)) : e.name === `${stack.name}.json` ? [path.join(d, e.name)] : []);
        })(path.join(world!.tmp, "backend", ".pulumi", "stacks"));
        assert.equal(stored.length, 1, `one state file for ${stack.name}`);
        const state = fs.readFileSync(stored[0], "utf8");
        for (const key of [pki.server.leaf.privateKey, pki.backend.leaf.privateKey]) {
            assert.ok(!state.includes(key.split("\n")[1]), "a private key is in the stored state as plain text");
        }
        assert.match(state, /"certificates":\s*\{\s*"4dabf18193072939515e22adb298388d":\s*"1b47061264138c4ac30d75fd1eb44270",\s*"ciphertext"/, "the certificates are stored as a secret");
        assert.ok(state.includes(JSON.stringify(pki.client.ca).slice(1, 60)), "the CA bundle (public) is in the state as given");
        await stack.destroy();
        assert.deepEqual(processesNaming(world!.stateHome), []);
    });
});
