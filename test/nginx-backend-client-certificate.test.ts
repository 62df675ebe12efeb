// GatewayBackendClientCertificate on real nginx: a Gateway's spec.tls.backend.clientCertificateRef is
// the certificate nginx presents to a TLS backend (a BackendTLSPolicy's). The backend here demands a
// client certificate of its own CA: with the Gateway's certificate the request is served (and the
// backend sees the Gateway's identity); the same route on a gateway without spec.tls.backend gets 502,
// because the backend refuses the handshake.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { TLSSocket } from "tls";
import { compile } from "../routing/compile";
import { CompileInput } from "../routing/plan";
import { applyConfig, stopInstance } from "../providers/nginx/runtime/apply";
import { findNginx } from "../providers/nginx/runtime/process";
import { renderNginx } from "../providers/nginx/model";
import { freePort } from "./conformance/harness";

function nginxAvailable(): boolean {
    try { findNginx(); return true; } catch { return false; }
}

/** A server CA and certificate for api.internal; a client CA and the Gateway's client certificate it signed; a stranger's. */
function makePki(dir: string) {
    const f = (n: string) => path.join(dir, n);
    const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    const ca = (name: string, cn: string) => ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f(`${name}.key`), "-out", f(`${name}.crt`), "-days", "2", "-subj", `/CN=${cn}`);
    const leaf = (name: string, cn: string, issuer: string, ext: string) => {
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", `/CN=${cn}`);
        fs.writeFileSync(f(`${name}.cnf`), ext);
        ssl("x509", "-req", "-in", f(`${name}.csr`), "-CA", f(`${issuer}.crt`), "-CAkey", f(`${issuer}.key`), "-CAcreateserial", "-out", f(`${name}.crt`), "-days", "2", "-extfile", f(`${name}.cnf`));
    };
    ca("server-ca", "gatewaykit test server CA");
    ca("client-ca", "gatewaykit test client CA");
    leaf("server", "api.internal", "server-ca", "subjectAltName=DNS:api.internal\nextendedKeyUsage=serverAuth\n");
    leaf("gateway", "gateway.edge", "client-ca", "extendedKeyUsage=clientAuth\n");
    const read = (n: string) => fs.readFileSync(f(n), "utf8");
    return { serverCa: read("server-ca.crt"), clientCa: read("client-ca.crt"), serverKey: read("server.key"), serverCert: read("server.crt"), gatewayKey: read("gateway.key"), gatewayCert: read("gateway.crt") };
}

function get(port: number): Promise<{ status: number; peer: string }> {
    return new Promise((resolve, reject) => {
        const r = http.request({ host: "127.0.0.1", port, path: "/api", headers: { host: "edge.test" }, agent: false, timeout: 10000 }, res => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, peer: String(res.headers["x-peer"] ?? "") }));
        });
        r.on("timeout", () => r.destroy(new Error("GET /api timed out")));
        r.on("error", reject);
        r.end();
    });
}

describe("nginx: the Gateway's backend client certificate (GatewayBackendClientCertificate, real TLS)", function () {
    this.timeout(60000);
    let dir = "";
    const instances: string[] = [];
    let backend: https.Server | undefined;
    const handshakes: string[] = [];

    before(function () {
        if (!nginxAvailable()) {
            if (process.env.CI === "true") throw new Error("nginx is not installed and CI=true: install nginx (e.g. apt-get install nginx-light)");
            console.warn("\n  !!! nginx not found: SKIPPING the backend client-certificate test (set CI=true to make this a failure)\n");
            this.skip();
        }
    });
    after(async () => {
        for (const i of instances) await stopInstance(i).catch(() => undefined);
        if (backend) { backend.closeAllConnections?.(); await new Promise(r => backend!.close(() => r(undefined))); }
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("presents the Gateway's certificate to a backend that demands one; without spec.tls.backend the backend refuses (502)", async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-bcc-"));
        fs.chmodSync(dir, 0o711); // as root, nginx's workers run unprivileged and must reach the instance dir
        const pki = makePki(dir);
        backend = https.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.clientCa, requestCert: true, rejectUnauthorized: true }, (req, res) => {
            const peer = (req.socket as TLSSocket).getPeerCertificate();
            res.writeHead(200, { "x-peer": String(peer?.subject?.CN ?? "") });
            res.end("ok");
        });
        backend.on("tlsClientError", err => handshakes.push(err.message));
        await new Promise<void>(r => backend!.listen(0, "127.0.0.1", () => r()));
        const backendPort = (backend.address() as net.AddressInfo).port;

        const serve = async (name: string, withClientCert: boolean): Promise<number> => {
            const port = await freePort();
            const input: CompileInput = {
                gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
                gateways: [{
                    name, namespace: "default", gatewayClassName: "c", listeners: [{ name: "http", port, protocol: "HTTP" }],
                    ...(withClientCert ? { tls: { backend: { clientCertificateRef: { name: "gateway-client" } } } } : {}),
                }],
                services: [{
                    name: "api", namespace: "default", ports: [{ port: 8443, name: "https" }], endpoints: [{ address: "127.0.0.1", port: backendPort }],
                    backendTLSPolicies: [{
                        name: "api-tls", namespace: "default", targetRefs: [{ group: "", kind: "Service", name: "api" }],
                        validation: { hostname: "api.internal", caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "server-ca" }] },
                        caCertificates: { "server-ca": pki.serverCa },
                    }],
                }],
                routes: [{ name: "r", namespace: "default", parentRefs: [{ name }], rules: [{ backendRefs: [{ name: "api", port: 8443 }] }] }],
            };
            const plan = compile(input).gateways[0];
            assert.equal(plan.backendTLS !== undefined, withClientCert);
            const inst = path.join(dir, name);
            instances.push(inst);
            const rendered = renderNginx(plan, { dir: inst, generation: `${name}-1`, certificates: { "default/gateway-client": { certificate: pki.gatewayCert, privateKey: pki.gatewayKey } } });
            for (const f of rendered.files.filter(f => f.path.startsWith("tls/backend-client"))) assert.equal(f.mode, 0o600, `${f.path} is written 0600`);
            await applyConfig(inst, rendered, `${name}-1`);
            return port;
        };

        const withCert = await serve("with-cert", true);
        const served = await get(withCert);
        assert.equal(served.status, 200);
        assert.equal(served.peer, "gateway.edge", "the backend saw the Gateway's client certificate");
        const key = fs.statSync(path.join(dir, "with-cert", "tls", "backend-client.key"));
        assert.equal(key.mode & 0o777, 0o600, "the private key is 0600 on disk");

        const before = handshakes.length;
        const without = await serve("without-cert", false);
        assert.equal((await get(without)).status, 502, "a backend that demands a client certificate refuses a gateway without one");
        assert.ok(handshakes.length > before, "the refusal was the backend's TLS handshake");
    });
});
