// A real Kubernetes control plane on loopback for tests: etcd, kube-apiserver and a
// kube-controller-manager running only the garbage-collector and namespace controllers (no kubelet,
// no containers), built by scripts/ensure-kube.sh. Each run gets fresh certificates (openssl), free
// ports and a temp dir holding the data, the kubeconfig and one log file per process. Whatever
// happens, the processes are stopped by pid in the order that lets each exit promptly (controller
// manager, apiserver, etcd): by stop(), which a mocha after hook calls, and, if the test process
// ends without that, by the exit and signal handlers installed here.
//
// Also: kubeGate (the e2e gate for these tests) and pulumiConfigMapUpDestroy (a `pulumi up` and
// `pulumi destroy` of one ConfigMap through the real pulumi-kubernetes provider).

import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { e2eRun, freePort, processesNaming } from "../nginx-e2e-kit";

const ROOT = path.resolve(__dirname, "..", "..");
const CI = process.env.CI === "true";

export const KUBE_VERSION = "v1.37.2";
/** The version the pulumi-kubernetes plugin is installed under: the npm @pulumi/kubernetes version. */
export const KUBERNETES_PLUGIN_VERSION = "4.34.2";
/** The upstream CRDs, in the shared/ folder beside the checkout (as CI lays it out). */
export const GATEWAY_API_CRDS = path.resolve(__dirname, "..", "..", "..", "shared", "gateway-api-v1.6.1", "crds");

export interface KubeTools {
    /** Holds etcd, kube-apiserver, kube-controller-manager, kubectl, pulumi-resource-kubernetes. */
    kubeBin: string;
    /** Holds the Pulumi CLI. */
    pulumiBin: string;
}

/**
 * The gate of the e2e tests (as test/nginx-e2e-kit.ts e2eGate): runs under CI=true or
 * GATEWAYKIT_E2E=1. Under CI a missing tool fails the test and scripts/ensure-kube.sh builds the
 * binaries if they are not cached (~14 minutes once); otherwise the test skips loudly unless they
 * have been built. Returns undefined after skipping.
 */
export function kubeGate(ctx: Mocha.Context, what: string): KubeTools | undefined {
    const skipOrFail = e2eRun(ctx, what);
    if (!skipOrFail) return undefined;
    const cache = process.env.GATEWAYKIT_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "gatewaykit");
    if (!CI && !fs.existsSync(path.join(cache, `kube-${KUBE_VERSION}`, "STAMP"))) {
        return void skipOrFail("no Kubernetes binaries: run scripts/ensure-kube.sh (builds them from Go modules once, ~14 minutes)");
    }
    const kubeBin = runEnsure("ensure-kube.sh");
    for (const b of ["etcd", "kube-apiserver", "kube-controller-manager", "kubectl", "pulumi-resource-kubernetes"]) {
        if (!fs.existsSync(path.join(kubeBin, b))) return void skipOrFail(`scripts/ensure-kube.sh printed ${kubeBin}, which has no ${b}`);
    }
    const pulumiOnPath = spawnSync("sh", ["-c", "command -v pulumi"]).status === 0;
    const pulumiBuilt = fs.existsSync(cache) && fs.readdirSync(cache).some(d => d.startsWith("pulumi-") && fs.existsSync(path.join(cache, d, "STAMP")));
    if (!CI && !pulumiOnPath && !pulumiBuilt) return void skipOrFail("no Pulumi CLI: run scripts/ensure-pulumi.sh (builds it from Go modules once)");
    const pulumiBin = runEnsure("ensure-pulumi.sh");
    if (!fs.existsSync(path.join(pulumiBin, "pulumi"))) return void skipOrFail(`no pulumi binary in ${pulumiBin}`);
    return { kubeBin, pulumiBin };
}

function runEnsure(script: string): string {
    const r = spawnSync("bash", [path.join(ROOT, "scripts", script)], { encoding: "utf8", timeout: 45 * 60_000 });
    if (r.status !== 0) throw new Error(`scripts/${script} failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail(r.stderr ?? "", 15)}`);
    return r.stdout.trim().split("\n").pop()!;
}

function tail(text: string, lines: number): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function fileTail(file: string, lines = 25): string {
    try { return tail(fs.readFileSync(file, "utf8"), lines); } catch { return "(no log)"; }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** One process of the control plane, its log file, and a promise of its exit. */
class Proc {
    readonly child: ChildProcess;
    readonly exited: Promise<void>;
    exitStatus: string | undefined;

    constructor(readonly name: string, bin: string, args: string[], readonly log: string, cwd: string, onExit: (name: string) => void) {
        const fd = fs.openSync(log, "a");
        try {
            this.child = spawn(bin, args, { cwd, stdio: ["ignore", fd, fd] });
        } finally {
            fs.closeSync(fd);
        }
        this.exited = new Promise(resolve => {
            this.child.once("exit", (code, signal) => { this.exitStatus = signal ? `signal ${signal}` : `exit ${code}`; onExit(name); resolve(); });
            this.child.once("error", err => { this.exitStatus = `spawn error: ${err.message}`; resolve(); });
        });
    }

    get pid(): number | undefined { return this.child.pid; }
    get running(): boolean { return this.exitStatus === undefined && this.pid !== undefined; }

    /** SIGTERM, then SIGKILL if it has not exited within graceMs; resolves once it has exited. */
    async stop(graceMs: number): Promise<void> {
        if (!this.running) return;
        this.child.kill("SIGTERM");
        const timer = new Promise<"late">(r => setTimeout(() => r("late"), graceMs));
        if (await Promise.race([this.exited.then(() => "done" as const), timer]) === "late") {
            console.error(`control plane: ${this.name} (pid ${this.pid}) ignored SIGTERM for ${graceMs} ms; killing it`);
            this.child.kill("SIGKILL");
            await this.exited;
        }
    }

    failure(what: string): Error {
        return new Error(`${what}: ${this.name} (pid ${this.pid}, ${this.exitStatus ?? "still running"}); last lines of ${this.log}:\n${fileTail(this.log)}`);
    }
}

// Control planes not yet stopped. If the test process ends without stop() (an uncaught error, a
// timeout that ends mocha, Ctrl-C), these handlers kill their processes in the same order.
const live = new Set<ControlPlane>();
let handlersInstalled = false;
function installExitHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    process.on("exit", () => { for (const cp of live) cp.killNow(); });
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        const onSignal = () => {
            for (const cp of live) cp.killNow();
            process.removeListener(sig, onSignal);
            if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);   // then die as the signal says
        };
        process.on(sig, onSignal);
    }
}

export interface ControlPlaneOptions {
    /** The directory scripts/ensure-kube.sh printed. */
    kubeBin: string;
    /** Apply the standard-channel Gateway API v1.6.1 CRDs and wait for Established (default true). */
    gatewayApiCrds?: boolean;
    /** Namespaces to create once the server is up. */
    namespaces?: string[];
}

export interface HttpAnswer { status: number; body: string; json?: any }

/** Milliseconds each step took, for reports. */
export interface ControlPlaneTimings { certs?: number; etcd?: number; apiserver?: number; controllerManager?: number; crds?: number; namespaces?: number; start?: number; stop?: number }

export class ControlPlane {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-kube-"));
    readonly kubeconfigPath = path.join(this.dir, "kubeconfig");
    readonly timings: ControlPlaneTimings = {};
    server = "";
    /** The kubeconfig's text (certificates embedded), e.g. for the pulumi-kubernetes provider's `kubeconfig`. */
    kubeconfig = "";

    private readonly procs: Proc[] = [];   // in start order: etcd, apiserver, controller manager
    /** Names of the processes in the order they exited. */
    readonly exitOrder: string[] = [];
    private tls: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;
    private apiPort = 0;
    private stopping: Promise<void> | undefined;

    private constructor(readonly kubeBin: string) {}

    /** Starts etcd, kube-apiserver and kube-controller-manager; on any failure stops what started and throws with the log tail. */
    static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
        installExitHandlers();
        const cp = new ControlPlane(options.kubeBin);
        live.add(cp);
        const t0 = Date.now();
        try {
            await cp.boot();
            if (options.gatewayApiCrds ?? true) await cp.applyGatewayApiCrds();
            if (options.namespaces?.length) await cp.createNamespaces(options.namespaces);
        } catch (e) {
            await cp.stop();
            throw e;
        }
        cp.timings.start = Date.now() - t0;
        return cp;
    }

    /** Pids of the processes still running (controller manager first). */
    get pids(): number[] {
        return this.procs.filter(p => p.running).map(p => p.pid!).reverse();
    }

    private bin(name: string): string { return path.join(this.kubeBin, name); }

    private async boot(): Promise<void> {
        const [client, peer, metrics, api] = [await freePort(), await freePort(), await freePort(), await freePort()];
        this.apiPort = api;
        this.server = `https://127.0.0.1:${api}`;
        let t = Date.now();
        this.makeCertificates();
        this.timings.certs = Date.now() - t;

        t = Date.now();
        const etcd = this.spawn("etcd", [
            "--name=gk", `--data-dir=${path.join(this.dir, "etcd-data")}`,
            `--listen-client-urls=http://127.0.0.1:${client}`, `--advertise-client-urls=http://127.0.0.1:${client}`,
            `--listen-peer-urls=http://127.0.0.1:${peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
            `--initial-cluster=gk=http://127.0.0.1:${peer}`, `--listen-metrics-urls=http://127.0.0.1:${metrics}`,
            "--unsafe-no-fsync",   // a throw-away store: durability buys nothing, fsync costs seconds
        ]);
        await this.waitFor(etcd, "etcd health", 30_000, async () => {
            const r = await httpGet(`http://127.0.0.1:${client}/health`);
            return r.status === 200 && r.json?.health === "true";
        });
        this.timings.etcd = Date.now() - t;

        t = Date.now();
        const f = (n: string) => path.join(this.dir, "pki", n);
        const apiserver = this.spawn("kube-apiserver", [
            `--etcd-servers=http://127.0.0.1:${client}`,
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${api}`,
            // The default reconciler refuses a loopback advertise address; nothing here needs the
            // kubernetes Service's endpoints.
            "--endpoint-reconciler-type=none",
            `--cert-dir=${path.join(this.dir, "apiserver-certs")}`,
            `--tls-cert-file=${f("apiserver.crt")}`, `--tls-private-key-file=${f("apiserver.key")}`,
            `--client-ca-file=${f("ca.crt")}`,
            `--service-account-key-file=${f("sa.pub")}`, `--service-account-signing-key-file=${f("sa.key")}`,
            "--service-account-issuer=https://kubernetes.default.svc",
            "--service-cluster-ip-range=10.96.0.0/24",
            "--authorization-mode=RBAC", "--anonymous-auth=false",
            "--profiling=false",
        ]);
        await this.waitFor(apiserver, "kube-apiserver /readyz", 90_000, async () => (await this.request("GET", "/readyz")).status === 200);
        this.timings.apiserver = Date.now() - t;

        t = Date.now();
        // Without the garbage collector objects deleted with foreground propagation (as
        // pulumi-kubernetes deletes them) keep their finalizer forever; without the namespace
        // controller a deleted namespace stays Terminating. Nothing else is needed.
        const kcm = this.spawn("kube-controller-manager", [
            `--kubeconfig=${this.kubeconfigPath}`,
            "--controllers=garbagecollector,namespace",
            "--leader-elect=false", "--secure-port=0",
        ]);
        await this.waitFor(kcm, "kube-controller-manager start", 60_000, async () => {
            const log = fs.readFileSync(kcm.log, "utf8");   // what v1.37 logs once each controller runs
            return log.includes("Starting namespace controller") && /"Starting controller" controller="garbagecollector"/.test(log);
        });
        this.timings.controllerManager = Date.now() - t;
    }

    private spawn(name: string, args: string[]): Proc {
        const p = new Proc(name, this.bin(name), args, path.join(this.dir, `${name}.log`), this.dir, n => this.exitOrder.push(n));
        this.procs.push(p);
        return p;
    }

    /** Polls ready() until true; throws (with the log tail) when proc exits or time runs out. */
    private async waitFor(proc: Proc, what: string, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            if (!proc.running) throw proc.failure(`${what}: exited while starting`);
            if (await ready().catch(() => false)) return;
            await sleep(150);
        }
        throw proc.failure(`${what}: not ready after ${timeoutMs} ms`);
    }

    private openssl(args: string[]): void {
        const r = spawnSync("openssl", args, { cwd: path.join(this.dir, "pki"), encoding: "utf8" });
        if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
    }

    /** A CA, the apiserver's serving cert (127.0.0.1, localhost), an admin client cert (system:masters), a service-account key pair; and the kubeconfig. */
    private makeCertificates(): void {
        const pki = path.join(this.dir, "pki");
        fs.mkdirSync(pki);
        const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        fs.writeFileSync(path.join(pki, "ca.cnf"), [
            "[req]", "distinguished_name = dn", "prompt = no", "[dn]", "CN = gatewaykit-test-ca",
            "[ca]", "basicConstraints = critical,CA:TRUE", "keyUsage = critical,keyCertSign,cRLSign,digitalSignature", "subjectKeyIdentifier = hash", "",
        ].join("\n"));
        this.openssl(["req", "-x509", "-new", "-config", "ca.cnf", "-extensions", "ca", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2"]);
        const leaf = (name: string, subject: string, ext: string[]) => {
            fs.writeFileSync(path.join(pki, `${name}.ext`), ["basicConstraints = critical,CA:FALSE", "keyUsage = critical,digitalSignature,keyEncipherment", ...ext, ""].join("\n"));
            this.openssl(["req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
            this.openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`]);
        };
        leaf("apiserver", "/CN=kube-apiserver", ["extendedKeyUsage = serverAuth", "subjectAltName = IP:127.0.0.1,DNS:localhost"]);
        leaf("admin", "/O=system:masters/CN=gatewaykit-admin", ["extendedKeyUsage = clientAuth"]);
        this.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"]);
        this.openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);

        const read = (n: string) => fs.readFileSync(path.join(pki, n));
        this.tls = { ca: read("ca.crt"), cert: read("admin.crt"), key: read("admin.key") };
        const b64 = (b: Buffer) => b.toString("base64");
        this.kubeconfig = YAML.stringify({
            apiVersion: "v1", kind: "Config",
            clusters: [{ name: "gk", cluster: { server: this.server, "certificate-authority-data": b64(this.tls!.ca) } }],
            users: [{ name: "admin", user: { "client-certificate-data": b64(this.tls!.cert), "client-key-data": b64(this.tls!.key) } }],
            contexts: [{ name: "gk", context: { cluster: "gk", user: "admin" } }],
            "current-context": "gk",
        });
        fs.writeFileSync(this.kubeconfigPath, this.kubeconfig, { mode: 0o600 });
    }

    /** One HTTPS request to the apiserver as the admin user. */
    request(method: string, urlPath: string, body?: string, contentType = "application/json"): Promise<HttpAnswer> {
        if (!this.tls || !this.apiPort) return Promise.reject(new Error("the control plane is not started"));
        return new Promise((resolve, reject) => {
            const req = https.request({
                host: "127.0.0.1", port: this.apiPort, method, path: urlPath, ...this.tls, agent: false, timeout: 10_000,
                headers: body === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(body) },
            }, res => collect(res, resolve, reject));
            req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
            req.on("error", reject);
            req.end(body);
        });
    }

    /** Runs kubectl against this server; the raw result (check status yourself). */
    kubectlResult(args: string[], input?: string): SpawnSyncReturns<string> {
        return spawnSync(this.bin("kubectl"), [`--kubeconfig=${this.kubeconfigPath}`, ...args], { encoding: "utf8", input, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
    }

    /** Runs kubectl against this server; its stdout, or throws with its stderr. */
    kubectl(args: string[], input?: string): string {
        const r = this.kubectlResult(args, input);
        if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim()}`);
        return r.stdout;
    }

    /** The standard-channel CRDs of Gateway API v1.6.1 (the files whose channel annotation says standard). */
    static standardCrdFiles(dir = GATEWAY_API_CRDS): { file: string; name: string }[] {
        return fs.readdirSync(dir).filter(f => f.endsWith(".yaml")).sort().flatMap(f => {
            const file = path.join(dir, f);
            const crd = YAML.parse(fs.readFileSync(file, "utf8"));
            if (crd?.kind !== "CustomResourceDefinition" || crd.metadata?.annotations?.["gateway.networking.k8s.io/channel"] !== "standard") return [];
            return [{ file, name: crd.metadata.name as string }];
        });
    }

    /** Applies the standard Gateway API CRDs server-side and waits until each is Established. */
    async applyGatewayApiCrds(): Promise<string[]> {
        const t = Date.now();
        const crds = ControlPlane.standardCrdFiles();
        if (crds.length === 0) throw new Error(`no standard-channel CRDs in ${GATEWAY_API_CRDS}`);
        this.kubectl(["apply", "--server-side", "--field-manager=gatewaykit-test", ...crds.flatMap(c => ["-f", c.file])]);
        this.kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...crds.map(c => `crd/${c.name}`)]);
        this.timings.crds = Date.now() - t;
        return crds.map(c => c.name);
    }

    async createNamespaces(names: string[]): Promise<void> {
        const t = Date.now();
        const docs = names.map(n => YAML.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: n } })).join("---\n");
        this.kubectl(["apply", "--server-side", "--field-manager=gatewaykit-test", "-f", "-"], docs);
        this.timings.namespaces = (this.timings.namespaces ?? 0) + Date.now() - t;
    }

    /** Stops the controller manager, then the apiserver, then etcd, each by pid, waiting for each; removes the temp dir unless keepDir. Idempotent. */
    stop(keepDir = false): Promise<void> {
        this.stopping ??= (async () => {
            const t = Date.now();
            for (const p of [...this.procs].reverse()) await p.stop(15_000);
            this.timings.stop = Date.now() - t;
            live.delete(this);
            if (!keepDir && !process.env.GATEWAYKIT_KEEP_KUBE_DIR) {
                if (processesNaming(this.dir).length === 0) fs.rmSync(this.dir, { recursive: true, force: true });
                else console.error(`control plane: processes naming ${this.dir} still run:\n${processesNaming(this.dir).join("\n")}`);
            }
        })();
        return this.stopping;
    }

    /** For exit handlers, which cannot wait: SIGKILL in stop order. */
    killNow(): void {
        for (const p of [...this.procs].reverse()) if (p.running) { try { p.child.kill("SIGKILL"); } catch { /* already gone */ } }
    }
}

function httpGet(url: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { agent: false, timeout: 5000 }, res => collect(res, resolve, reject));
        req.on("timeout", () => req.destroy(new Error(`GET ${url}: timeout`)));
        req.on("error", reject);
    });
}

function collect(res: http.IncomingMessage, resolve: (a: HttpAnswer) => void, reject: (e: Error) => void): void {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", c => { body += c; });
    res.on("error", reject);
    res.on("end", () => {
        let json: any;
        try { json = JSON.parse(body); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, body, json });
    });
}

export interface ConfigMapRoundTrip {
    /** What the server held after `pulumi up`. */
    upState: { data: Record<string, string>; managedBy: string[] };
    /** The kubectl error after `pulumi destroy` (NotFound expected). */
    afterDestroy: string;
    /** `pulumi plugin ls` of the run's PULUMI_HOME, as kind/name@version. */
    plugins: string[];
    upSummary: Record<string, number>;
    destroySummary: Record<string, number>;
    timings: { pluginInstall: number; up: number; destroy: number };
}

/**
 * `pulumi up` then `pulumi destroy` of an inline program that creates one ConfigMap in namespace
 * through the real pulumi-kubernetes provider (installed from kubeBin into this run's own
 * PULUMI_HOME, never ~/.pulumi), configured with the control plane's kubeconfig; local file backend.
 */
export async function pulumiConfigMapUpDestroy(cp: ControlPlane, tools: KubeTools, namespace: string): Promise<ConfigMapRoundTrip> {
    const home = path.join(cp.dir, "pulumi", "home");
    const backend = path.join(cp.dir, "pulumi", "backend");
    const workDir = path.join(cp.dir, "pulumi", "project");
    for (const d of [home, backend, workDir]) fs.mkdirSync(d, { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(workDir, "node_modules"));
    const env: Record<string, string> = {
        PATH: `${tools.pulumiBin}:${process.env.PATH}`,
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "kube-e2e",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        KUBECONFIG: cp.kubeconfigPath,   // only this cluster, whatever the user's environment names
    };

    let t = Date.now();
    const install = spawnSync(path.join(tools.pulumiBin, "pulumi"),
        ["plugin", "install", "resource", "kubernetes", KUBERNETES_PLUGIN_VERSION, "--file", path.join(tools.kubeBin, "pulumi-resource-kubernetes")],
        { encoding: "utf8", env: { ...process.env, ...env }, timeout: 5 * 60_000 });
    if (install.status !== 0) throw new Error(`pulumi plugin install resource kubernetes ${KUBERNETES_PLUGIN_VERSION} failed: ${install.stderr}`);
    const pluginInstall = Date.now() - t;
    const list = spawnSync(path.join(tools.pulumiBin, "pulumi"), ["plugin", "ls", "--json"], { encoding: "utf8", env: { ...process.env, ...env } });
    const plugins = (JSON.parse(list.stdout || "[]") as { name: string; kind: string; version: string }[]).map(p => `${p.kind}/${p.name}@${p.version}`);

    const name = "gk-provider-probe";
    const kubeconfig = cp.kubeconfig;
    const program = async () => {
        // Loaded here: the SDK is big, and only this program needs it.
        const k8s: typeof import("@pulumi/kubernetes") = require("@pulumi/kubernetes");
        const provider = new k8s.Provider("control-plane", { kubeconfig });
        const cm = new k8s.core.v1.ConfigMap("probe", { metadata: { name, namespace }, data: { greeting: "hello from pulumi-kubernetes" } }, { provider });
        return { uid: cm.metadata.uid };
    };
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(tools.pulumiBin), skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: "kube", projectName: "gk-kube-probe", program }, {
        workDir, pulumiCommand, envVars: env,
        projectSettings: { name: "gk-kube-probe", runtime: "nodejs", backend: { url: `file://${backend}` } },
    });
    try {
        t = Date.now();
        const up = await stack.up();
        const upTime = Date.now() - t;
        const got = JSON.parse(cp.kubectl(["get", "configmap", name, "-n", namespace, "-o", "json", "--show-managed-fields"]));
        const upState = { data: got.data ?? {}, managedBy: (got.metadata.managedFields ?? []).map((m: any) => `${m.manager}/${m.operation}`) };

        t = Date.now();
        const destroy = await stack.destroy();
        const destroyTime = Date.now() - t;
        const after = cp.kubectlResult(["get", "configmap", name, "-n", namespace, "-o", "json"]);
        return {
            upState,
            plugins,
            afterDestroy: after.status === 0 ? `still there: ${after.stdout}` : after.stderr.trim(),
            upSummary: (up.summary.resourceChanges ?? {}) as Record<string, number>,
            destroySummary: (destroy.summary.resourceChanges ?? {}) as Record<string, number>,
            timings: { pluginInstall, up: upTime, destroy: destroyTime },
        };
    } finally {
        await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    }
}

/** A stack of an inline program run through the real pulumi-kubernetes provider against one control plane. */
export interface KubeStack {
    stack: import("@pulumi/pulumi/automation").Stack;
    /** Removes the stack from the backend (after destroy, or to give up on it). */
    remove(): Promise<void>;
}

export interface KubeStackOptions {
    /** The stack's name; defaults to "kube". */
    stackName?: string;
    /**
     * Stacks of one group share one file backend and PULUMI_HOME (each project keeps its own work
     * dir), so a StackReference "organization/<project>/<stack>" from one resolves another's outputs.
     * Without it each project has a backend of its own.
     */
    group?: string;
}

/** PULUMI_HOMEs the provider plugin was installed into (once each). */
const pluginHomes = new Set<string>();

/**
 * An Automation API stack (local file backend under the control plane's dir, the real provider
 * plugin installed from kubeBin into its own PULUMI_HOME, KUBECONFIG naming only this cluster) of
 * an inline program; the program configures its kubernetes Provider with cp.kubeconfig itself.
 * One per project name and stack name per control plane.
 */
export async function kubeStack(cp: ControlPlane, tools: KubeTools, projectName: string, program: () => Promise<Record<string, unknown> | void>,
    options: KubeStackOptions = {}): Promise<KubeStack> {
    const base = path.join(cp.dir, options.group !== undefined ? `pulumi-group-${options.group}` : `pulumi-${projectName}`);
    const home = path.join(base, "home");
    const backend = path.join(base, "backend");
    const workDir = options.group !== undefined ? path.join(base, "projects", projectName) : path.join(base, "project");
    for (const d of [home, backend, workDir]) fs.mkdirSync(d, { recursive: true });
    if (!fs.existsSync(path.join(workDir, "node_modules"))) fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(workDir, "node_modules"));
    const env: Record<string, string> = {
        PATH: `${tools.pulumiBin}:${process.env.PATH}`,
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "kube-e2e",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        KUBECONFIG: cp.kubeconfigPath,
    };
    if (!pluginHomes.has(home)) {
        const install = spawnSync(path.join(tools.pulumiBin, "pulumi"),
            ["plugin", "install", "resource", "kubernetes", KUBERNETES_PLUGIN_VERSION, "--file", path.join(tools.kubeBin, "pulumi-resource-kubernetes")],
            { encoding: "utf8", env: { ...process.env, ...env }, timeout: 5 * 60_000 });
        if (install.status !== 0) throw new Error(`pulumi plugin install resource kubernetes ${KUBERNETES_PLUGIN_VERSION} failed: ${install.stderr}`);
        pluginHomes.add(home);
    }
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(tools.pulumiBin), skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: options.stackName ?? "kube", projectName, program }, {
        workDir, pulumiCommand, envVars: env,
        projectSettings: { name: projectName, runtime: "nodejs", backend: { url: `file://${backend}` } },
    });
    return { stack, remove: () => stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined) };
}

/** Addresses the real server refuses in an EndpointSlice, with the reason gatewaykit gives (test/kube-adapter-e2e.test.ts tries each against the real server). */
export const REFUSED_ADDRESSES: [string, RegExp][] = [
    ["127.0.0.1", /loopback addresses \(127\.0\.0\.0\/8\)/],
    ["127.255.255.254", /loopback/],
    ["::1", /loopback address ::1/],
    ["0.0.0.0", /unspecified address 0\.0\.0\.0/],
    ["::", /unspecified address ::/],
    ["169.254.0.1", /link-local addresses \(169\.254\.0\.0\/16\)/],
    ["169.254.169.254", /link-local/],
    ["fe80::1", /link-local addresses \(fe80::\/10\)/],
    ["febf::1", /link-local/],
    ["224.0.0.1", /link-local multicast addresses \(224\.0\.0\.0\/24\)/],
    ["224.0.0.251", /link-local multicast/],
    ["ff02::1", /link-local multicast addresses \(ff02::\/16\)/],
    ["::ffff:127.0.0.1", /IPv4-mapped IPv6 .*write the IPv4 address 127\.0\.0\.1/],
    ["::ffff:10.0.0.1", /IPv4-mapped IPv6 .*10\.0\.0\.1/],
    ["010.0.0.1", /leading zeros; write "10\.0\.0\.1"/],
    ["2001:DB8::1", /canonical form .*write "2001:db8::1"/],
    ["2001:db8:0:0:0:0:0:1", /canonical form .*write "2001:db8::1"/],
];
/** Addresses the real server accepts (multicast beyond link-local, broadcast, reserved and documentation ranges included). */
export const ACCEPTED_ADDRESSES = ["10.0.0.1", "1.2.3.4", "100.64.0.1", "192.0.2.1", "224.0.1.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "fec0::1", "ff05::2", "ff0e::1", "2001:db8::1", "fd00::1"];
