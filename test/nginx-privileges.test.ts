// File modes and process privileges of a real nginx instance: TLS private keys (and the settings file
// that also holds them) are 0600 in a 0700 tls/ whatever the umask, read by the master; run as root,
// the master drops its workers to an unprivileged account, which can still use nginx's temp files.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CompileInput } from "../routing/plan";
import { findNginx, readInstance, workerPids } from "../providers/nginx/runtime/process";
import { createGateway, deleteGateway, NginxGatewayInputs, NginxGatewayOutputs, updateGateway } from "../providers/nginx/runtime/lifecycle";
import { INSTANCE_SETTINGS } from "../providers/nginx/runtime/routeFiles";
import { lookupAccount } from "../providers/nginx/runtime/worker-user";
import { freePort } from "./nginx-e2e-kit";

function nginxAvailable(): boolean {
    try { findNginx(); return true; } catch { return false; }
}

function selfSigned(dir: string): { certificate: string; privateKey: string } {
    const key = path.join(dir, "k.pem"), crt = path.join(dir, "c.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=example.com", "-keyout", key, "-out", crt], { stdio: "ignore" });
    const m = { certificate: fs.readFileSync(crt, "utf8"), privateKey: fs.readFileSync(key, "utf8") };
    fs.rmSync(key);
    fs.rmSync(crt);
    return m;
}

function uidOf(pid: number): number {
    return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

function mode(p: string): string {
    return (fs.statSync(p).mode & 0o777).toString(8).padStart(4, "0");
}

/** POSTs `size` bytes over HTTPS; the backend answers with the byte count it received. */
function post(port: number, size: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = https.request({ host: "127.0.0.1", port, path: "/upload", method: "POST", servername: "example.com", rejectUnauthorized: false, agent: false, timeout: 10000,
            headers: { host: "example.com", "content-length": size } }, res => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => { body += c; });
            res.on("end", () => resolve({ status: res.statusCode!, body }));
        });
        req.on("error", reject);
        req.end(Buffer.alloc(size, 0x61));
    });
}

describe("nginx privileges and file modes (real nginx)", function () {
    this.timeout(60000);
    const available = nginxAvailable();
    let root: string;
    let backend: http.Server;
    let backendPort: number;
    let outs: NginxGatewayOutputs | undefined;
    let material: { certificate: string; privateKey: string } | undefined;

    before(async function () {
        if (!available) {
            if (process.env.CI === "true") throw new Error("nginx is not installed and CI=true: install nginx (e.g. apt-get install nginx-light)");
            console.warn("\n  !!! nginx not found: SKIPPING the nginx privilege tests (set CI=true to make this a failure)\n");
            this.skip();
        }
        root = fs.mkdtempSync(path.join(os.tmpdir(), "gk-priv-"));
        fs.chmodSync(root, 0o711);
        backend = http.createServer((req, res) => {
            let n = 0;
            req.on("data", c => { n += c.length; });
            req.on("end", () => res.end(String(n)));
        });
        await new Promise<void>(r => backend.listen(0, "127.0.0.1", () => r()));
        backendPort = (backend.address() as net.AddressInfo).port;
    });
    after(async () => {
        if (outs) await deleteGateway(outs).catch(() => undefined);
        backend?.close();
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    async function inputs(status: number, tlsPort: number, httpPort: number): Promise<NginxGatewayInputs> {
        const src: CompileInput = {
            gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
            gateways: [{ name: "gw", namespace: "default", gatewayClassName: "c", listeners: [
                { name: "https", port: tlsPort, protocol: "HTTPS", tls: { certificateRefs: [{ name: "site" }] } },
                { name: "http", port: httpPort, protocol: "HTTP" },
            ] }],
            routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: [
                { matches: [{ path: { type: "PathPrefix", value: "/upload" } }], backendRefs: [{ name: "echo", port: 80 }] },
                { matches: [{ path: { type: "PathPrefix", value: "/gen" } }], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "x.example", statusCode: status as 301 } }] },
            ] }],
            services: [{ name: "echo", namespace: "default", ports: [{ port: 80 }], endpoints: [{ address: "127.0.0.1", port: backendPort }] }],
        };
        return {
            gateway: "default/gw", dir: path.join(root, "gw"), listenAddress: "127.0.0.1", reusePort: true, home: path.join(root, "home"),
            input: { gatewayClass: src.gatewayClasses![0], gateway: src.gateways[0], routes: src.routes, services: src.services!, namespaces: [] },
            certificates: { "default/site": material ??= selfSigned(root) },
        };
    }

    it("private keys and the settings holding them are 0600 in a 0700 tls/, whatever the umask, also after an update", async () => {
        const tlsPort = await freePort(), httpPort = await freePort();
        const saved = process.umask(0); // the most permissive: modes must not come from the umask
        try {
            const first = await inputs(301, tlsPort, httpPort);
            outs = (await createGateway(first)).outs;
            const dir = first.dir;
            const check = () => {
                assert.equal(mode(path.join(dir, "tls")), "0700");
                const files = fs.readdirSync(path.join(dir, "tls"));
                const keys = files.filter(f => f.endsWith(".key"));
                assert.equal(keys.length, 1, files.join(", "));
                for (const f of files) assert.equal(mode(path.join(dir, "tls", f)), "0600", `tls/${f}`);
                // (not assert.equal: a failure would print the key)
                assert.ok(fs.readFileSync(path.join(dir, "tls", keys[0]), "utf8") === first.certificates!["default/site"].privateKey, "the key file holds the key");
                assert.ok(files.includes(path.basename(INSTANCE_SETTINGS)), "the settings file (it holds the keys) is under tls/");
                for (const f of files) assert.equal(fs.statSync(path.join(dir, "tls", f)).uid, process.getuid!(), `tls/${f} owned by the invoking user (the master reads it)`);
            };
            check();
            outs = await updateGateway(outs, await inputs(308, tlsPort, httpPort));
            check();
        } finally {
            process.umask(saved);
        }
    });

    it("workers run unprivileged when the master is root (else as the invoking user) and still use temp files for large bodies", async () => {
        assert.ok(outs, "the previous test started the gateway");
        const st = readInstance(outs.dir);
        assert.ok(st.running);
        const workers = workerPids(st.pid!);
        assert.ok(workers.length > 0);
        const conf = fs.readFileSync(path.join(outs.dir, "conf/nginx.conf"), "utf8");
        if (process.getuid!() === 0) {
            const account = lookupAccount("www-data") ?? lookupAccount("nginx") ?? lookupAccount("nobody");
            assert.ok(account, "an unprivileged account exists");
            assert.match(conf, new RegExp(`^user ${account.user} ${account.group};$`, "m"));
            assert.equal(uidOf(st.pid!), 0, "the master stays root (ports, keys)");
            for (const w of workers) assert.equal(uidOf(w), account.uid, `worker ${w} runs as ${account.user}, not root`);
        } else {
            assert.doesNotMatch(conf, /^user /m);
            for (const w of workers) assert.equal(uidOf(w), process.getuid!());
        }
        // 1 MB: far past client_body_buffer_size, so the worker writes it to temp/client_body first.
        const r = await post(outs.input.gateway.listeners.find(l => l.name === "https")!.port, 1024 * 1024 - 1);
        assert.equal(r.status, 200, r.body);
        assert.equal(r.body, String(1024 * 1024 - 1));
        const log = fs.readFileSync(path.join(outs.dir, "logs/error.log"), "utf8");
        assert.doesNotMatch(log, /Permission denied/);
    });
});
