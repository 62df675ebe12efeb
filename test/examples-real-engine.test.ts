// Every example a user would `pulumi up`, run as a user runs it: the real Pulumi CLI (`pulumi stack
// init`, `config set`, `up --yes`, `destroy --yes`) in a copy of this checkout, its language host
// type-checking the program (no PULUMI_NODEJS_TRANSPILE_ONLY), local file backend, then something
// real is checked — requests through nginx, objects read back from a real kube-apiserver — and
// nothing is left running. aws-alb and gcp cannot reach `pulumi preview` here (the CLI cannot
// download their plugins), so their entry points run under Pulumi mocks in preview mode and are
// type-checked with the options their Pulumi.yaml gives the language host.
//
// Gates: the nginx and kubernetes parts run under CI=true or GATEWAYKIT_E2E=1 (as the other e2e
// tests); the inventory and the aws/gcp parts always run.

import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { e2eGate, freePort, listening, processesNaming, tally } from "./nginx-e2e-kit";
import { ControlPlane, KUBERNETES_PLUGIN_VERSION, KubeTools, kubeGate } from "./kube/harness";
import { recordedResources, runProgram, setupMocks } from "../testing";

const ROOT = path.resolve(__dirname, "..");

/** The project directories a user runs `pulumi up` in (relative to the checkout), and how this file runs each. */
const EXAMPLES: Record<string, "nginx" | "kubernetes" | "mocks"> = {
    ".": "nginx",                                   // the root Pulumi.yaml: examples/quickstart
    "examples/canary-rollout": "nginx",
    "examples/listenerset": "nginx",
    "examples/upgrade-load-balancer": "nginx",
    "examples/update-infrastructure-provider": "nginx",
    "examples/roles/infrastructure": "nginx",
    "examples/roles/operator": "nginx",
    "examples/roles/team": "nginx",
    "examples/kubernetes/platform": "kubernetes",
    "examples/kubernetes/app": "kubernetes",
    "examples/kubernetes-teams/infrastructure": "kubernetes",
    "examples/kubernetes-teams/operator": "kubernetes",
    "examples/kubernetes-teams/team": "kubernetes",
    "examples/aws-alb": "mocks",
    "examples/gcp": "mocks",
    "examples/backend-policy": "mocks",
};

interface ProjectFile { name: string; main?: string; runtime: { name: string; options?: { typescript?: boolean; tsconfig?: string } } }

function projectFile(dir: string): ProjectFile {
    return YAML.parse(fs.readFileSync(path.join(ROOT, dir, "Pulumi.yaml"), "utf8"));
}

/** Directories under examples/ holding an index.ts: each is an entry point a user runs. */
function entryPointDirs(dir = path.join(ROOT, "examples")): string[] {
    const found: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const sub = path.join(dir, e.name);
        if (fs.existsSync(path.join(sub, "index.ts"))) found.push(path.relative(ROOT, sub));
        found.push(...entryPointDirs(sub));
    }
    return found;
}

describe("examples: every entry point is a Pulumi project the language host type-checks", () => {
    it("each examples/**/index.ts has its Pulumi.yaml (the quickstart's is the root's), and each is run by this file", () => {
        const dirs = entryPointDirs().map(d => d === "examples/quickstart" ? "." : d).sort();
        assert.deepStrictEqual(dirs, Object.keys(EXAMPLES).sort(), "a new example needs a Pulumi.yaml and a run in this file");
        assert.equal(projectFile(".").main, "examples/quickstart/index.ts");
        for (const dir of dirs) {
            const p = projectFile(dir);
            assert.equal(p.runtime.name, "nodejs", dir);
            assert.equal(p.runtime.options?.typescript, true, dir);
            if (dir !== ".") assert.equal(p.main, "index.ts", dir);
        }
    });

    it("each names examples/tsconfig.json: ES2022 (Object.hasOwn) and a ts-node that type-checks", () => {
        for (const dir of Object.keys(EXAMPLES)) {
            const project = projectFile(dir);
            const tsconfig = project.runtime.options?.tsconfig;
            assert.ok(tsconfig, `${dir}/Pulumi.yaml: runtime.options.tsconfig is not set; without it the language host's ts-node type-checks with defaults that lack ES2022 (TS2550 on Object.hasOwn)`);
            // The language host resolves it from the program's directory (main's), not the project's.
            assert.equal(path.resolve(ROOT, dir, path.dirname(project.main ?? "."), tsconfig), path.join(ROOT, "examples", "tsconfig.json"), `${dir}/Pulumi.yaml: tsconfig ${tsconfig}`);
        }
        const own = JSON.parse(fs.readFileSync(path.join(ROOT, "examples", "tsconfig.json"), "utf8"));
        // The root's ts-node section is transpile-only (for the tests); the language host passes
        // transpileOnly undefined, so ts-node would take the root's and never type-check.
        assert.equal(own["ts-node"]?.transpileOnly, false);
        const root = JSON.parse(fs.readFileSync(path.join(ROOT, own.extends.startsWith(".") ? path.join("examples", own.extends) : own.extends), "utf8"));
        assert.ok((own.compilerOptions?.lib ?? root.compilerOptions.lib).includes("ES2022"));
    });
});

// ---------------------------------------------------------------------------------------------
// A user's checkout and their CLI.

interface CliResult { status: number | null; stdout: string; stderr: string; ms: number }

/**
 * A copy of this checkout's files (tracked and new, as `git ls-files` lists them; node_modules
 * linked) in a 0711 temp dir — as root, nginx's workers run unprivileged and must reach the state
 * below — with its own PULUMI_HOME, file backend and XDG_STATE_HOME. Stack config files land in the
 * copy, never in the worktree.
 */
class UserCheckout {
    readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gk-examples-"));
    readonly repo = path.join(this.tmp, "repo");
    readonly env: Record<string, string>;
    /** Stacks `up` has touched, as [project dir, stack], for cleanup (last first). */
    private readonly touched: [string, string][] = [];
    readonly timings: Record<string, number> = {};

    constructor(pulumiBin: string, extraEnv: Record<string, string> = {}) {
        fs.chmodSync(this.tmp, 0o711);
        for (const d of ["home", "backend", "state", "repo"]) fs.mkdirSync(path.join(this.tmp, d));
        const files = spawnSync("git", ["-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"], { encoding: "utf8" });
        if (files.status !== 0) throw new Error(`git ls-files failed: ${files.stderr}`);
        for (const f of files.stdout.split("\0").filter(f => f && f !== "node_modules" && fs.existsSync(path.join(ROOT, f)))) {
            fs.mkdirSync(path.dirname(path.join(this.repo, f)), { recursive: true });
            fs.copyFileSync(path.join(ROOT, f), path.join(this.repo, f));
        }
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(this.repo, "node_modules"));
        // Laid out as a checkout is here: shared/ beside it (the CRDs the kubernetes adapter reads its CEL rules from).
        const shared = path.join(ROOT, "..", "shared");
        if (fs.existsSync(shared)) fs.symlinkSync(shared, path.join(this.tmp, "shared"));
        const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) =>
            v !== undefined && !k.startsWith("PULUMI_") && !k.startsWith("TS_NODE_") && k !== "KUBECONFIG" && k !== "XDG_STATE_HOME")) as Record<string, string>;
        this.env = {
            ...inherited,
            PATH: `${pulumiBin}:${process.env.PATH}`,
            PULUMI_HOME: path.join(this.tmp, "home"),
            PULUMI_BACKEND_URL: `file://${path.join(this.tmp, "backend")}`,
            PULUMI_CONFIG_PASSPHRASE: "examples-e2e",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            XDG_STATE_HOME: path.join(this.tmp, "state"),
            ...extraEnv,
        };
    }

    /** `pulumi <args>` in the project dir; the result, or throws with the output's tail when check and it fails. */
    async pulumi(dir: string, args: string[], check = true, timeoutMs = 5 * 60_000): Promise<CliResult> {
        const t = Date.now();
        const r = await new Promise<CliResult>((resolve, reject) => {
            const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: path.join(this.repo, dir), env: this.env, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "", stderr = "";
            child.stdout.setEncoding("utf8").on("data", c => { stdout += c; });
            child.stderr.setEncoding("utf8").on("data", c => { stderr += c; });
            const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
            child.on("error", reject);
            child.on("close", status => { clearTimeout(timer); resolve({ status, stdout, stderr, ms: Date.now() - t }); });
        });
        const key = `${dir} ${args[0]}`;
        this.timings[key] = (this.timings[key] ?? 0) + r.ms;
        if (check && r.status !== 0) {
            throw new Error(`pulumi ${args.join(" ")} in ${dir} failed (exit ${r.status}):\n${(r.stdout + r.stderr).trimEnd().split("\n").slice(-30).join("\n")}`);
        }
        return r;
    }

    /** `pulumi stack init <stack>` and each `pulumi config set key value` (--path for keys with [ or .). */
    async init(dir: string, stack: string, config: Record<string, string> = {}): Promise<void> {
        await this.pulumi(dir, ["stack", "init", stack]);
        for (const [k, v] of Object.entries(config)) await this.pulumi(dir, ["config", "set", "-s", stack, k, v]);
    }

    async up(dir: string, stack: string): Promise<Record<string, any>> {
        if (!this.touched.some(([d, s]) => d === dir && s === stack)) this.touched.push([dir, stack]);
        await this.pulumi(dir, ["up", "--yes", "-s", stack]);
        return JSON.parse((await this.pulumi(dir, ["stack", "output", "--json", "--show-secrets", "-s", stack])).stdout);
    }

    async destroy(dir: string, stack: string): Promise<CliResult> {
        const r = await this.pulumi(dir, ["destroy", "--yes", "-s", stack]);
        const i = this.touched.findIndex(([d, s]) => d === dir && s === stack);
        if (i >= 0) this.touched.splice(i, 1);
        return r;
    }

    /** Destroys what a failed test left (last made first), then removes the copy if nothing of it runs. */
    async cleanup(): Promise<void> {
        for (const [dir, stack] of [...this.touched].reverse()) {
            const r = await this.pulumi(dir, ["destroy", "--yes", "-s", stack], false);
            if (r.status !== 0) console.error(`examples cleanup: destroy of ${dir} ${stack} failed:\n${r.stderr.slice(-800)}`);
        }
        if (processesNaming(this.tmp).length === 0) fs.rmSync(this.tmp, { recursive: true, force: true });
        else console.error(`examples cleanup: processes of ${this.tmp} still run (left for inspection):\n${processesNaming(this.tmp).join("\n")}`);
    }
}

interface Answer { status: number; location?: string; body: string }

/** One GET on a new connection; "timeout" when nothing answers within timeoutMs. */
async function status(port: number, host: string, urlPath: string): Promise<number | "timeout"> {
    const a = await get(port, host, urlPath);
    return a === "timeout" ? a : a.status;
}

function get(port: number, host: string, urlPath: string, timeoutMs = 5000): Promise<Answer | "timeout"> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, headers: { host }, agent: false, timeout: timeoutMs }, res => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => { body += c; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
        });
        req.on("timeout", () => { req.destroy(); resolve("timeout"); });
        req.on("error", reject);
    });
}

function assertShare(counts: Record<string, number>, n: number, canaryPercent: number): void {
    const canary = counts["mygroup-groups-canary"] ?? 0;
    const stable = counts["mygroup-groups"] ?? 0;
    assert.equal(canary + stable, n, `every request reaches one of the two echo backends: ${JSON.stringify(counts)}`);
    // The upstream conformance tolerance: each share within ±5 percentage points.
    assert.ok(Math.abs(canary * 100 - canaryPercent * n) <= 5 * n, `canary share ${canary / n * 100}% is not within ${canaryPercent}% ± 5: ${JSON.stringify(counts)}`);
}

function assertNothingLeft(user: UserCheckout, port: number): Promise<void> {
    return (async () => {
        assert.equal(await listening(port), false, `port ${port} still accepts connections after destroy`);
        assert.deepStrictEqual(processesNaming(user.tmp), [], "no process of the checkout runs after destroy");
    })();
}

// ---------------------------------------------------------------------------------------------

describe("examples on the real engine: nginx (pulumi up / destroy as a user runs them)", function () {
    this.timeout(10 * 60_000);
    let user: UserCheckout | undefined;

    before(function () {
        const bin = e2eGate(this as unknown as Mocha.Context, "the examples on the real engine (nginx)");
        if (!bin) return;
        user = new UserCheckout(bin);
    });
    after(async () => { await user?.cleanup(); if (user) console.log(`      examples (nginx) timings ms: ${JSON.stringify(user.timings)}`); });

    it("the language host type-checks an example (a type error fails `pulumi preview`)", async () => {
        const u = user!;
        const dir = "examples/canary-rollout";
        await u.init(dir, "typecheck");
        const index = path.join(u.repo, dir, "index.ts");
        const good = fs.readFileSync(index, "utf8");
        fs.writeFileSync(index, `${good}\nexport const notANumber: number = "ten";\nexport const own = Object.hasOwn({ a: 1 }, "a");\n`);
        try {
            const r = await u.pulumi(dir, ["preview", "-s", "typecheck"], false);
            assert.notEqual(r.status, 0, "preview must fail on a type error");
            assert.match(r.stdout + r.stderr, /TS2322/, "the type error is reported");
            assert.doesNotMatch(r.stdout + r.stderr, /TS2550/, "Object.hasOwn type-checks (ES2022)");
        } finally {
            fs.writeFileSync(index, good);
            await u.pulumi(dir, ["stack", "rm", "--yes", "typecheck"], false);
        }
    });

    it("quickstart (the root Pulumi.yaml): 90/10 through nginx to the two echo backends, then destroy leaves nothing", async () => {
        const u = user!;
        const port = await freePort();
        await u.init(".", "dev", { port: String(port) });
        const out = await u.up(".", "dev");
        assert.equal(out.curl, `curl -H 'Host: mygroup.io' http://127.0.0.1:${port}/groups`);
        assertShare(await tally(port, "mygroup.io", "/groups", 1000), 1000, 10);
        await u.destroy(".", "dev");
        await assertNothingLeft(u, port);
    });

    it("canary-rollout: 90/10, then `config set canaryWeight 50` + up → 50/50, then destroy", async () => {
        const u = user!;
        const dir = "examples/canary-rollout";
        const port = await freePort();
        await u.init(dir, "dev", { port: String(port) });
        await u.up(dir, "dev");
        assertShare(await tally(port, "mygroup.io", "/groups", 1000), 1000, 10);
        await u.pulumi(dir, ["config", "set", "-s", "dev", "canaryWeight", "50"]);
        await u.up(dir, "dev");
        assertShare(await tally(port, "mygroup.io", "/groups", 1000), 1000, 50);
        await u.destroy(dir, "dev");
        await assertNothingLeft(u, port);
    });

    it("listenerset: the team's ListenerSet adds its hostname and a new port to the operator's Gateway; an unadmitted one is NotAllowed; destroy leaves nothing", async () => {
        const u = user!;
        const dir = "examples/listenerset";
        const port = await freePort(), adminPort = await freePort();
        await u.init(dir, "dev", { port: String(port), adminPort: String(adminPort) });
        const out = await u.up(dir, "dev");
        assert.deepStrictEqual(out.shopStatus.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`), ["Accepted=True", "Programmed=True"]);
        assert.equal(out.blogStatus.conditions[0].reason, "NotAllowed");
        assert.equal(out.gatewayStatus.attachedListenerSets, 1);
        assert.deepStrictEqual(await tally(port, "www.example.org", "/", 5), { site: 5 });
        assert.deepStrictEqual(await tally(port, "shop.example.org", "/", 5), { shop: 5 });
        assert.deepStrictEqual(await tally(adminPort, "shop.example.org", "/", 5), { "shop-admin": 5 });
        assert.equal(await status(port, "blog.example.org", "/"), 404);
        assert.equal(await status(adminPort, "www.example.org", "/"), 404);
        await u.destroy(dir, "dev");
        await assertNothingLeft(u, port);
        assert.equal(await listening(adminPort), false, "the ListenerSet's port is closed after destroy");
    });

    it("upgrade-load-balancer: the gateway moves to new-external-lb with `config set className`; nginx serves on the listener throughout", async () => {
        const u = user!;
        const dir = "examples/upgrade-load-balancer";
        const port = await freePort();
        await u.init(dir, "dev", { port: String(port) });
        let out = await u.up(dir, "dev");
        assert.equal(out.gatewayClass, "external-lb");
        // The seed's backends are VM addresses (unreachable here): a path no rule matches shows nginx serving the gateway.
        assert.equal(await status(port, "mygroup.io", "/nothing-routes-here"), 404);
        await u.pulumi(dir, ["config", "set", "-s", "dev", "className", "new-external-lb"]);
        out = await u.up(dir, "dev");
        assert.equal(out.gatewayClass, "new-external-lb");
        assert.equal(await status(port, "mygroup.io", "/nothing-routes-here"), 404);
        await u.destroy(dir, "dev");
        await assertNothingLeft(u, port);
    });

    it("update-infrastructure-provider on nginx: the api route's redirect is served, portability lists the other vendors with no finding", async () => {
        const u = user!;
        const dir = "examples/update-infrastructure-provider";
        const port = await freePort();
        await u.init(dir, "dev", { port: String(port) });
        const out = await u.up(dir, "dev");
        const redirect = await get(port, "mygroup.io", "/account/settings");
        assert.deepStrictEqual(redirect === "timeout" ? redirect : [redirect.status, redirect.location], [301, "https://mygroup.io/account/settings"]);
        assert.equal(await status(port, "other.example", "/account/settings"), 404);
        assert.ok(out.portability, "the portability output is exported");
        assert.doesNotMatch(JSON.stringify(out.portability), /"severity":"error"/);
        await u.destroy(dir, "dev");
        await assertNothingLeft(u, port);
    });

    it("roles: infrastructure → operator → team stacks by StackReference; the team's up attaches its route, its destroy detaches it", async () => {
        const u = user!;
        const port = await freePort();
        const infra = "examples/roles/infrastructure", operator = "examples/roles/operator", team = "examples/roles/team";
        await u.init(infra, "dev");
        const classOut = await u.up(infra, "dev");
        assert.equal(classOut.gatewayClass.controllerName, "gatewaykit.dev/nginx");
        await u.init(operator, "dev", { infrastructureStack: "organization/gatewaykit-roles-infrastructure/dev", port: String(port) });
        await u.up(operator, "dev");
        // nginx's own answer where no rule matches (its 404 page): the seed's backends are VM
        // addresses, so what answers once the route is attached depends on the network (no answer,
        // a 502/504, or whatever holds 10.0.1.10) — but it is not this.
        const unrouted = await get(port, "mygroup.io", "/nothing-routes-here");
        assert.ok(unrouted !== "timeout" && unrouted.status === 404, `nginx serves the listener: ${JSON.stringify(unrouted)}`);
        assert.deepStrictEqual(await get(port, "mygroup.io", "/groups"), unrouted, "no route before the team's up");
        await u.init(team, "dev", { operatorStack: "organization/gatewaykit-roles-operator/dev" });
        const teamOut = await u.up(team, "dev");
        assert.match(JSON.stringify(teamOut.status), /"Accepted"/);
        const attached = await get(port, "mygroup.io", "/groups", 3000);
        assert.notDeepStrictEqual(attached, unrouted, "after the team's up /groups is proxied to the team's backends, not nginx's unrouted 404");
        await u.destroy(team, "dev");
        assert.deepStrictEqual(await get(port, "mygroup.io", "/groups"), unrouted, "the team's destroy removes its route");
        await u.destroy(operator, "dev");
        await u.destroy(infra, "dev");
        await assertNothingLeft(u, port);
    });
});

// ---------------------------------------------------------------------------------------------

describe("examples on the real engine: kubernetes (platform + app, kubernetes-teams) against a real kube-apiserver (real pulumi-kubernetes)", function () {
    this.timeout(10 * 60_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;
    let user: UserCheckout | undefined;

    before(async function () {
        tools = kubeGate(this as unknown as Mocha.Context, "the kubernetes examples on a real API server");
        if (!tools) return;
        // The app's existing canary Service lives in mygroup-canary; the examples create no namespaces.
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin, namespaces: ["mygroup", "mygroup-canary"] });
        // As the examples say: the ambient kubeconfig, here only this cluster's.
        user = new UserCheckout(tools.pulumiBin, { KUBECONFIG: cp.kubeconfigPath });
        const install = await user.pulumi(".", ["plugin", "install", "resource", "kubernetes", KUBERNETES_PLUGIN_VERSION, "--file", path.join(tools.kubeBin, "pulumi-resource-kubernetes")]);
        assert.equal(install.status, 0);
    });
    after(async () => {
        await user?.cleanup();
        if (user) console.log(`      examples (kubernetes) timings ms: ${JSON.stringify({ controlPlane: cp?.timings.start, ...user.timings })}`);
        await cp?.stop();
    });

    const get = (kind: string, namespace?: string): any[] =>
        JSON.parse(cp!.kubectl(["get", kind, ...(namespace ? ["-n", namespace] : ["-A"]), "-o", "json"])).items;

    it("platform then app (StackReference): the objects read back are the plan's; a weight change patches the route; destroy removes all", async () => {
        const u = user!;
        const platform = "examples/kubernetes/platform", app = "examples/kubernetes/app";
        await u.init(platform, "dev");
        const platformOut = await u.up(platform, "dev");
        assert.equal(platformOut.gatewayReference.name, "mygroup-external");

        const classes = get("gatewayclasses.gateway.networking.k8s.io");
        assert.deepStrictEqual(classes.map(c => [c.metadata.name, c.spec.controllerName]), [["external-lb", "gateway.envoyproxy.io/gatewayclass-controller"]]);
        const gateways = get("gateways.gateway.networking.k8s.io", "mygroup");
        assert.equal(gateways.length, 1);
        assert.equal(gateways[0].metadata.name, "mygroup-external");
        assert.equal(gateways[0].spec.gatewayClassName, "external-lb");
        assert.deepStrictEqual(gateways[0].spec.listeners.map((l: any) => [l.name, l.protocol, l.port, l.allowedRoutes?.namespaces]),
            [["http", "HTTP", 8080, { from: "Selector", selector: { matchLabels: { gateway: "mygroup-external" } } }]]);

        await u.init(app, "dev", { platformStack: "organization/gatewaykit-kubernetes-platform/dev" });
        await u.up(app, "dev");
        const routeWeights = () => {
            const routes = get("httproutes.gateway.networking.k8s.io", "mygroup");
            assert.equal(routes.length, 1, JSON.stringify(routes.map(r => r.metadata.name)));
            const [r] = routes;
            assert.deepStrictEqual(r.spec.parentRefs.map((p: any) => [p.name, p.namespace ?? "mygroup"]), [["mygroup-external", "mygroup"]]);
            assert.deepStrictEqual(r.spec.hostnames, ["mygroup.io"]);
            assert.equal(r.metadata.labels?.gateway, "mygroup-external");
            assert.equal(r.spec.rules.length, 1);
            assert.deepStrictEqual(r.spec.rules[0].matches, [{ path: { type: "PathPrefix", value: "/groups" } }]);
            return r.spec.rules[0].backendRefs.map((b: any) => [b.namespace ?? "mygroup", b.name, b.port, b.weight]);
        };
        const before = routeWeights();
        assert.equal(before.length, 2);
        assert.deepStrictEqual(before.map((b: any[]) => b[3]), [90, 10]);
        assert.deepStrictEqual(before[1].slice(0, 2), ["mygroup-canary", "groups-canary"], "the canary is the team's existing Service");
        // The endpoint backend: a selector-less Service and its EndpointSlice holding the two addresses.
        const stableName = before[0][1];
        const services = get("services", "mygroup").filter(s => s.metadata.name === stableName);
        assert.equal(services.length, 1, `Service ${stableName} in mygroup`);
        assert.equal(services[0].spec.selector, undefined);
        const slices = get("endpointslices.discovery.k8s.io", "mygroup").filter(s => s.metadata.labels?.["kubernetes.io/service-name"] === stableName);
        assert.deepStrictEqual(slices.flatMap(s => s.endpoints.flatMap((e: any) => e.addresses)).sort(), ["10.0.0.10", "10.0.0.11"]);
        const grants = get("referencegrants.gateway.networking.k8s.io", "mygroup-canary");
        assert.equal(grants.length, 1, "a ReferenceGrant lets the route in mygroup reach the canary's namespace");

        await u.pulumi(app, ["config", "set", "-s", "dev", "canaryWeight", "50"]);
        const uid = get("httproutes.gateway.networking.k8s.io", "mygroup")[0].metadata.uid;
        await u.up(app, "dev");
        assert.deepStrictEqual(routeWeights().map((b: any[]) => b[3]), [50, 50]);
        assert.equal(get("httproutes.gateway.networking.k8s.io", "mygroup")[0].metadata.uid, uid, "the weight change updates the HTTPRoute in place");

        await u.destroy(app, "dev");
        assert.deepStrictEqual(get("httproutes.gateway.networking.k8s.io"), []);
        assert.deepStrictEqual(get("referencegrants.gateway.networking.k8s.io"), []);
        assert.deepStrictEqual(get("services", "mygroup").filter(s => s.metadata.name === stableName), []);
        await u.destroy(platform, "dev");
        assert.deepStrictEqual(get("gateways.gateway.networking.k8s.io"), []);
        assert.deepStrictEqual(get("gatewayclasses.gateway.networking.k8s.io"), []);
        assert.deepStrictEqual(processesNaming(u.tmp), [], "no plugin or language host of the checkout runs after destroy");
    });

    it("kubernetes-teams: infrastructure → operator → team-a (ListenerSet) and team-b, one stack each by StackReference; team-a's destroy leaves the others'", async () => {
        const u = user!;
        const infra = "examples/kubernetes-teams/infrastructure", operator = "examples/kubernetes-teams/operator", team = "examples/kubernetes-teams/team";
        await u.init(infra, "dev");
        const infraOut = await u.up(infra, "dev");
        assert.deepStrictEqual(infraOut.gatewayClass, { name: "teams-lb", controllerName: "gatewaykit.dev/kubernetes" });
        assert.deepStrictEqual(get("namespaces").filter(n => n.metadata.name.startsWith("team-")).map(n => [n.metadata.name, n.metadata.labels["gateway-access"] ?? null]),
            [["team-a", "true"], ["team-b", "true"], ["team-c", null]]);
        assert.deepStrictEqual(get("gatewayclasses.gateway.networking.k8s.io").map(c => [c.metadata.name, c.spec.controllerName]), [["teams-lb", "gateway.envoyproxy.io/gatewayclass-controller"]]);

        await u.init(operator, "dev", { infrastructureStack: "organization/gatewaykit-kubernetes-teams-infrastructure/dev" });
        const opOut = await u.up(operator, "dev");
        assert.deepStrictEqual([opOut.gatewayReference.namespace, opOut.gatewayReference.name], ["infra", "shared"]);
        assert.deepStrictEqual(get("gateways.gateway.networking.k8s.io", "infra").map(g => [g.metadata.name, g.spec.gatewayClassName]), [["shared", "teams-lb"]]);

        const operatorStack = "organization/gatewaykit-kubernetes-teams-operator/dev";
        await u.init(team, "team-a", { operatorStack, namespace: "team-a", listenerHostname: "shop.team-a.example" });
        const a = await u.up(team, "team-a");
        assert.equal(a.listenerSetStatus.conditions[0].status, "True");
        await u.init(team, "team-b", { operatorStack, namespace: "team-b" });
        const b = await u.up(team, "team-b");
        assert.equal(b.status.parents[0].conditions[0].status, "True");
        const parents = (ns: string) => get("httproutes.gateway.networking.k8s.io", ns).map(r => [r.metadata.name, r.spec.parentRefs.map((p: any) => `${p.kind} ${p.namespace ?? ns}/${p.name}`)]);
        assert.deepStrictEqual(parents("team-a"), [["shop", ["ListenerSet team-a/shop"]]]);
        assert.deepStrictEqual(parents("team-b"), [["shop", ["Gateway infra/shared"]]]);
        assert.deepStrictEqual(get("listenersets.gateway.networking.k8s.io", "team-a").map(l => l.spec.listeners.map((x: any) => x.hostname)), [["shop.team-a.example"]]);

        await u.pulumi(team, ["config", "set", "-s", "team-b", "canaryWeight", "50"]);
        const teamAVersions = () => [...get("httproutes.gateway.networking.k8s.io", "team-a"), ...get("listenersets.gateway.networking.k8s.io", "team-a")].map(o => o.metadata.resourceVersion);
        const aBefore = teamAVersions();
        await u.up(team, "team-b");
        assert.deepStrictEqual(get("httproutes.gateway.networking.k8s.io", "team-b")[0].spec.rules[0].backendRefs.map((x: any) => x.weight), [50, 50]);
        assert.deepStrictEqual(teamAVersions(), aBefore, "team-b's up wrote none of team-a's objects");

        await u.destroy(team, "team-a");
        assert.deepStrictEqual(get("httproutes.gateway.networking.k8s.io", "team-a"), []);
        assert.deepStrictEqual(get("listenersets.gateway.networking.k8s.io", "team-a"), []);
        assert.deepStrictEqual(parents("team-b"), [["shop", ["Gateway infra/shared"]]]);
        await u.destroy(team, "team-b");
        await u.destroy(operator, "dev");
        await u.destroy(infra, "dev");
        assert.deepStrictEqual(get("httproutes.gateway.networking.k8s.io"), []);
        assert.deepStrictEqual(get("gateways.gateway.networking.k8s.io"), []);
        assert.deepStrictEqual(get("gatewayclasses.gateway.networking.k8s.io"), []);
        assert.deepStrictEqual(processesNaming(u.tmp), [], "no plugin or language host of the checkout runs after destroy");
    });
});

// ---------------------------------------------------------------------------------------------

describe("examples aws-alb, gcp and backend-policy: their entry points under Pulumi mocks in preview mode (the CLI cannot fetch the aws/gcp plugins here)", function () {
    this.timeout(120_000);

    /** Runs an example's index.ts as the language host would, with the stack's config, under preview mocks. */
    async function previewEntry(project: string, dir: string, config: Record<string, string>) {
        setupMocks({ project, stack: "dev", preview: true });
        pulumi.runtime.setAllConfig(config);
        const entry = path.join(ROOT, dir, "index.ts");
        delete require.cache[require.resolve(entry)];
        try {
            let exports: Record<string, unknown> = {};
            await runProgram(() => { exports = require(entry); });
            return { resources: recordedResources(), exports };
        } finally {
            pulumi.runtime.setAllConfig({});
            setupMocks();   // the other files' default mocks
        }
    }

    it("the entry points type-check with the options their Pulumi.yaml gives the language host", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gk-examples-tsc-"));
        try {
            const cfg = path.join(tmp, "tsconfig.json");
            fs.writeFileSync(cfg, JSON.stringify({
                extends: path.join(ROOT, "examples", "tsconfig.json"),
                compilerOptions: { noEmit: true, typeRoots: [path.join(ROOT, "node_modules", "@types")] },
                files: ["examples/aws-alb/index.ts", "examples/gcp/index.ts", "examples/backend-policy/index.ts"].map(f => path.join(ROOT, f)),
                include: [],
            }));
            const r = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", cfg], { encoding: "utf8", timeout: 110_000 });
            assert.equal(r.status, 0, `tsc: ${r.stdout}${r.stderr}`);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("aws-alb: config vpcId, subnetIds and allowFrom reach the ALB, its security group and target groups", async () => {
        const { resources } = await previewEntry("gatewaykit-aws-alb", "examples/aws-alb", {
            "aws:region": "eu-west-1",
            "gatewaykit-aws-alb:vpcId": "vpc-0feedfeedfeedfeed",
            "gatewaykit-aws-alb:subnetIds": JSON.stringify(["subnet-0123", "subnet-0456"]),
            "gatewaykit-aws-alb:allowFrom": JSON.stringify(["192.0.2.0/24"]),
            "gatewaykit-aws-alb:canaryWeight": "25",
        });
        const of = (type: string) => resources.filter(r => r.type === type);
        assert.deepStrictEqual(of("aws:lb/loadBalancer:LoadBalancer").map(r => r.inputs.subnets), [["subnet-0123", "subnet-0456"]]);
        assert.equal(of("aws:lb/targetGroup:TargetGroup").length, 2);
        assert.ok(of("aws:lb/targetGroup:TargetGroup").every(r => r.inputs.vpcId === "vpc-0feedfeedfeedfeed"));
        const [sg] = of("aws:ec2/securityGroup:SecurityGroup");
        assert.match(JSON.stringify(sg.inputs.ingress), /192\.0\.2\.0\/24/);
        assert.doesNotMatch(JSON.stringify(sg.inputs.ingress), /0\.0\.0\.0\/0|10\.0\.0\.0\/8/);
        const [rule] = of("aws:lb/listenerRule:ListenerRule");
        assert.deepStrictEqual((rule.inputs.actions as any[])[0].forward.targetGroups.map((t: any) => t.weight).sort((a: number, b: number) => a - b), [25, 75]);
    });

    it("gcp: config gcp:project and gcp:zone reach the load balancer's resources; the URL map carries the split", async () => {
        const { resources } = await previewEntry("gatewaykit-gcp", "examples/gcp", {
            "gcp:project": "examples-e2e-project",
            "gcp:zone": "europe-west4-a",
            "gatewaykit-gcp:canaryWeight": "30",
        });
        const of = (type: string) => resources.filter(r => r.type === type);
        for (const t of ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "gcp:compute/targetHttpProxy:TargetHttpProxy", "gcp:compute/uRLMap:URLMap"]) {
            assert.equal(of(t).length, 1, t);
        }
        const gcp = resources.filter(r => r.type.startsWith("gcp:"));
        assert.ok(gcp.every(r => r.inputs.project === undefined || r.inputs.project === "examples-e2e-project"), "every project is the configured one");
        const negs = of("gcp:compute/networkEndpointGroup:NetworkEndpointGroup");
        assert.ok(negs.length >= 2 && negs.every(r => r.inputs.zone === "europe-west4-a"), `zonal NEGs in the configured zone: ${JSON.stringify(negs.map(n => n.inputs.zone))}`);
        assert.match(JSON.stringify(of("gcp:compute/uRLMap:URLMap")[0].inputs), /"weight":30/);
    });

    it("backend-policy: config gcp:project reaches the backend service, its TrustConfig and BackendAuthenticationConfig", async () => {
        const { resources } = await previewEntry("gatewaykit-backend-policy", "examples/backend-policy", { "gcp:project": "examples-e2e-project" });
        const of = (type: string) => resources.filter(r => r.type === type);
        const api = of("gcp:compute/backendService:BackendService").find(r => r.name.endsWith("/backend/shop/api:8443"));
        assert.equal(api?.inputs.localityLbPolicy, "LEAST_REQUEST");
        for (const t of ["gcp:certificatemanager/trustConfig:TrustConfig", "gcp:networksecurity/backendAuthenticationConfig:BackendAuthenticationConfig"]) {
            assert.deepStrictEqual(of(t).map(r => r.inputs.project), ["examples-e2e-project"], t);
        }
    });
});
