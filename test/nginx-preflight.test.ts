// Values nginx would refuse only when loading a configuration — TLS material that is not loadable PEM
// or whose key does not match, endpoint hostnames this machine cannot resolve — are refused before any
// file is written, with the resource, the field and the fix; the running generation is untouched.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { CompileInput } from "../routing/plan";
import { findNginx, queryGeneration, readInstance } from "../providers/nginx/runtime/process";
import { createGateway, deleteGateway, NginxGatewayInputs, NginxGatewayOutputs, updateGateway } from "../providers/nginx/runtime/lifecycle";
import { tlsMaterialProblems } from "../providers/nginx/runtime/payload";
import { freePort } from "./nginx-e2e-kit";

function nginxAvailable(): boolean {
    try { findNginx(); return true; } catch { return false; }
}

function selfSigned(dir: string, cn: string): { certificate: string; privateKey: string } {
    const key = path.join(dir, "k.pem"), crt = path.join(dir, "c.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", `/CN=${cn}`, "-keyout", key, "-out", crt], { stdio: "ignore" });
    const m = { certificate: fs.readFileSync(crt, "utf8"), privateKey: fs.readFileSync(key, "utf8") };
    fs.rmSync(key);
    fs.rmSync(crt);
    return m;
}

/** Every file of dir but the logs: relative path → inode and content (a rewrite changes the inode). */
function snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const r = path.join(rel, e.name);
            if (e.isDirectory()) { if (!["logs", "temp"].includes(r)) walk(r); } else if (e.isFile()) out[r] = `${fs.statSync(path.join(dir, r)).ino}:${fs.readFileSync(path.join(dir, r), "utf8").length}`;
        }
    };
    walk("");
    return out;
}

function status(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
        https.get({ host: "127.0.0.1", port, path: "/x", servername: "example.com", rejectUnauthorized: false, agent: false, timeout: 3000 }, res => {
            res.resume();
            res.on("end", () => resolve(res.statusCode!));
        }).on("error", reject);
    });
}

describe("nginx preflight: load-time refusals caught before any file is written (real nginx)", function () {
    this.timeout(60000);
    const available = nginxAvailable();
    let root: string;
    let port: number;
    let good: { certificate: string; privateKey: string };
    let other: { certificate: string; privateKey: string };
    let outs: NginxGatewayOutputs | undefined;

    before(async function () {
        if (!available) {
            if (process.env.CI === "true") throw new Error("nginx is not installed and CI=true: install nginx (e.g. apt-get install nginx-light)");
            console.warn("\n  !!! nginx not found: SKIPPING the nginx preflight tests (set CI=true to make this a failure)\n");
            this.skip();
        }
        root = fs.mkdtempSync(path.join(os.tmpdir(), "gk-pre-"));
        fs.chmodSync(root, 0o711);
        port = await freePort();
        good = selfSigned(root, "example.com");
        other = selfSigned(root, "other.example");
    });
    after(async () => {
        if (outs) await deleteGateway(outs).catch(() => undefined);
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    function inputs(status_: number, material: { certificate: string; privateKey: string }, endpoint = "127.0.0.1"): NginxGatewayInputs {
        const src: CompileInput = {
            gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
            gateways: [{ name: "gw", namespace: "default", gatewayClassName: "c", listeners: [
                { name: "https", port, protocol: "HTTPS", tls: { certificateRefs: [{ name: "site" }] } },
            ] }],
            routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: [
                { matches: [{ path: { type: "PathPrefix", value: "/api" } }], backendRefs: [{ name: "api", port: 80 }] },
                { filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "x.example", statusCode: status_ as 301 } }] },
            ] }],
            services: [{ name: "api", namespace: "default", ports: [{ port: 80 }], endpoints: [{ address: "127.0.0.1", port: 9 }, { address: endpoint, port: 9 }] }],
        };
        return {
            gateway: "default/gw", dir: path.join(root, "gw"), listenAddress: "127.0.0.1", reusePort: true, home: path.join(root, "home"),
            input: { gatewayClass: src.gatewayClasses![0], gateway: src.gateways[0], routes: src.routes, services: src.services!, namespaces: [] },
            certificates: { "default/site": material },
        };
    }

    it("starts generation 1 with good material", async () => {
        outs = (await createGateway(inputs(301, good))).outs;
        assert.equal(await status(port), 301);
    });

    for (const [what, bad, want] of [
        ["a certificate that is not PEM", () => ({ certificate: "MIIB...not pem", privateKey: good.privateKey }), /listener https: certificateRef default\/site: certificate must be PEM/],
        ["a corrupt certificate block", () => ({ certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", privateKey: good.privateKey }), /certificateRef default\/site: certificate block 1 of 1 is not a valid X\.509 certificate/],
        ["a key of another certificate", () => ({ certificate: good.certificate, privateKey: other.privateKey }), /certificateRef default\/site: privateKey does not belong to the certificate \(subject CN=example\.com\)/],
        ["a key that is not a key", () => ({ certificate: good.certificate, privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }), /certificateRef default\/site: privateKey is not a private key nginx can load/],
    ] as const) {
        it(`refuses ${what} before writing anything; generation 1 keeps serving`, async () => {
            const before = snapshot(outs!.dir);
            await assert.rejects(updateGateway(outs!, inputs(308, bad())), (e: Error) => want.test(e.message) && /Gateway default\/gw/.test(e.message));
            assert.deepEqual(snapshot(outs!.dir), before, "a file was written (or rewritten)");
            assert.equal(await status(port), 301);
        });
    }

    it("refuses an endpoint hostname that does not resolve, naming the Service and the field; nothing written", async () => {
        const before = snapshot(outs!.dir);
        await assert.rejects(updateGateway(outs!, inputs(308, good, "backend.gatewaykit.invalid")),
            (e: Error) => /Service default\/api: spec\.endpoints\[1\]\.address "backend\.gatewaykit\.invalid" does not resolve on this machine/.test(e.message));
        assert.deepEqual(snapshot(outs!.dir), before);
        assert.equal(await queryGeneration(outs!.dir), readInstance(outs!.dir).generation);
        assert.equal(await status(port), 301);
    });

    it("accepts a resolvable hostname endpoint and a certificate chain (server certificate first)", async () => {
        const chained = { certificate: good.certificate + other.certificate, privateKey: good.privateKey };
        assert.deepEqual(tlsMaterialProblems("x", chained), []);
        outs = await updateGateway(outs!, inputs(308, chained, "localhost"));
        assert.equal(await status(port), 308);
    });
});
