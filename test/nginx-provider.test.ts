// The Pulumi side of the nginx data plane, without the Pulumi engine: the dynamic providers' functions
// (create/diff/update/delete/read) driven directly against real nginx and echo processes, the providers
// serialised the way Pulumi ships them and run in a plain node process, and (under mocks) the adapter
// creating one NginxGateway under the Gateway with its certificates secret.

import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { EchoOutputs } from "../local/echo-lifecycle";
import { echoProvider } from "../local/echo";
import type { NginxGatewayInputs, NginxGatewayOutputs } from "../providers/nginx/runtime/lifecycle";
import { NginxGateway, nginxGatewayProvider } from "../providers/nginx/resources";
import { nginxStateDir } from "../providers/nginx/parameters";
import { Gateway, GatewayClass, GatewayClassParameters, HTTPRoute, Service } from "../components";
import { outputOf, resourcesOfType, runProgram, setupMocks } from "../testing";
import type { GatewayInput } from "../routing/plan";
import { HTTPRouteRule } from "../routing/types";
import { freePort, listening } from "./nginx-e2e-kit";

// ---------------------------------------------------------------- helpers

/** A process that exists and is not a zombie (an exited child not yet reaped still answers kill 0). */
function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}

interface Reply { status: number; body: string; json?: Record<string, unknown> }

function get(port: number, urlPath: string, host = "example.com"): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, headers: { host }, agent: false, timeout: 3000 }, res => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => { body += c; });
            res.on("end", () => {
                let json: Record<string, unknown> | undefined;
                try { json = JSON.parse(body); } catch { /* not JSON */ }
                resolve({ status: res.statusCode ?? 0, body, json });
            });
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${urlPath}: timeout`)));
        req.on("error", reject);
    });
}

const tmpRoots: string[] = [];
function tmpDir(prefix: string): string {
    // Short: the nginx control socket lives under it and unix socket paths are limited to 107 bytes.
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(d, 0o711); // as root, nginx's workers run unprivileged and must reach the instance dirs below
    tmpRoots.push(d);
    return d;
}
after(() => {
    for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------- echo backend

describe("EchoBackend provider (real echo-server processes)", () => {
    const provider = echoProvider();
    const started: EchoOutputs[] = [];
    after(async () => {
        for (const o of started) await provider.delete!("", o).catch(() => undefined);
    });

    it("create starts a detached echo that answers with its name and the request; delete stops it and frees the port", async () => {
        const dir = path.join(tmpDir("gk-echo-"), "a");
        const { id, outs } = await provider.create({ name: "alpha", requestedPort: 0, host: "127.0.0.1", dir });
        started.push(outs);
        assert.ok(id.startsWith("alpha@"));
        assert.equal(outs.running, true);
        assert.ok(outs.port > 0 && alive(outs.pid));
        assert.equal(outs.url, `http://127.0.0.1:${outs.port}`);
        const r = await get(outs.port, "/groups/42?x=1", "mygroup.io");
        assert.equal(r.status, 200);
        assert.deepEqual([r.json!.name, r.json!.method, r.json!.path, (r.json!.headers as Record<string, string>).host],
            ["alpha", "GET", "/groups/42?x=1", "mygroup.io"]);
        const seen = (await get(outs.port, "/__seen")).json!;
        assert.equal(seen.count, 1);
        assert.equal((seen.requests as { path: string }[])[0].path, "/groups/42?x=1");
        assert.equal(fs.statSync(path.join(dir, "echo.log")).isFile(), true);

        await provider.delete!(id, outs);
        assert.equal(alive(outs.pid), false, "echo process still alive after delete");
        assert.equal(await listening(outs.port), false, "port still listening after delete");
        assert.equal(fs.existsSync(dir), false, "delete leaves its state dir behind");
    });

    it("read notices a dead echo; diff then asks for an update, which restarts it on the same port", async () => {
        const dir = path.join(tmpDir("gk-echo-"), "b");
        const { id, outs } = await provider.create({ name: "beta", requestedPort: 0, host: "127.0.0.1", dir });
        started.push(outs);
        const inputs = { name: "beta", requestedPort: 0, host: "127.0.0.1", dir };
        assert.deepEqual(await provider.diff!(id, outs, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.equal((await provider.read!(id, outs)).props.running, true);

        process.kill(outs.pid, "SIGKILL");
        const deadline = Date.now() + 3000;
        while (alive(outs.pid) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
        const refreshed = (await provider.read!(id, outs)).props as EchoOutputs;
        assert.equal(refreshed.running, false);
        assert.equal((await provider.diff!(id, refreshed, inputs)).changes, true);

        const { outs: restarted } = await provider.update!(id, refreshed, inputs) as { outs: EchoOutputs };
        started.push(restarted);
        assert.equal(restarted.running, true);
        assert.notEqual(restarted.pid, outs.pid);
        assert.equal(restarted.port, outs.port, "an ephemeral port is kept across a restart so routes stay valid");
        assert.equal((await get(restarted.port, "/")).json!.name, "beta");

        // A new name restarts it answering with the new name; a new dir replaces it.
        const renamed = { ...inputs, name: "beta2" };
        assert.deepEqual(await provider.diff!(id, restarted, renamed), { changes: true, replaces: [], deleteBeforeReplace: false });
        const { outs: second } = await provider.update!(id, restarted, renamed) as { outs: EchoOutputs };
        started.push(second);
        assert.equal(alive(restarted.pid), false);
        assert.equal((await get(second.port, "/")).json!.name, "beta2");
        assert.deepEqual(await provider.diff!(id, second, { ...renamed, dir: dir + "-2" }), { changes: true, replaces: ["dir"], deleteBeforeReplace: true });
    });

    it("create fails with the echo's own message when its port is taken", async () => {
        const blocker = net.createServer();
        await new Promise<void>(r => blocker.listen(0, "127.0.0.1", () => r()));
        const port = (blocker.address() as net.AddressInfo).port;
        try {
            await assert.rejects(provider.create({ name: "gamma", requestedPort: port, host: "127.0.0.1", dir: path.join(tmpDir("gk-echo-"), "c") }),
                (e: Error) => /echo backend gamma exited .*EADDRINUSE/.test(e.message));
        } finally {
            blocker.close();
        }
    });

    it("survives Pulumi's closure serialisation and runs in a plain node process (no ts-node preloaded)", async function () {
        this.timeout(30000);
        const sf = await pulumi.runtime.serializeFunction(() => echoProvider(), { allowSecrets: false });
        const dir = tmpDir("gk-ser-");
        const file = path.join(dir, "provider.js");
        fs.writeFileSync(file, sf.text);
        const script = `
            const p = require(${JSON.stringify(file)}).${sf.exportName}();
            (async () => {
                const { id, outs } = await p.create({ name: "ser", requestedPort: 0, host: "127.0.0.1", dir: ${JSON.stringify(path.join(dir, "echo"))} });
                const res = await fetch(outs.url + "/hello");
                const body = await res.json();
                await p.delete(id, outs);
                console.log(JSON.stringify({ name: body.name, path: body.path, pid: outs.pid }));
            })().catch(e => { console.error(e); process.exit(1); });`;
        const out = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: os.tmpdir(), timeout: 25000 });
        assert.equal(out.status, 0, out.stderr);
        const result = JSON.parse(out.stdout.trim().split("\n").pop()!);
        assert.deepEqual([result.name, result.path], ["ser", "/hello"]);
        assert.equal(alive(result.pid), false);
        // The serialised text captures the implementation's path, not the implementation.
        assert.ok(sf.text.includes(JSON.stringify(require.resolve("../local/echo-lifecycle"))), sf.text);
        assert.ok(!sf.text.includes("startEcho"), "the echo implementation was serialised instead of required");
    });
});

// ---------------------------------------------------------------- nginx gateway

/** nginx on PATH or in /usr/sbin; under CI=true a missing nginx fails the suite instead of skipping it. */
function nginxAvailable(): boolean {
    for (const candidate of ["nginx", "/usr/sbin/nginx"]) {
        if (spawnSync(candidate, ["-v"], { encoding: "utf8" }).status === 0) return true;
    }
    return false;
}

function requireNginx(ctx: Mocha.Context): void {
    if (nginxAvailable()) return;
    const message = "nginx is not installed (apt-get install -y nginx-light): the nginx provider tests need a real nginx";
    if (process.env.CI === "true") throw new Error(message);
    console.warn(`\n    !!! SKIPPING: ${message}\n`);
    ctx.skip();
}

/** The input of one gateway "infra/gw" on `port` with one route for host a.test (the lifecycle compiles it). */
function inputOf(port: number, backends: { name: string; port: number }[], rules: HTTPRouteRule[]): GatewayInput {
    return {
        gatewayClass: { name: "local", controllerName: "gatewaykit.dev/nginx" },
        gateway: { name: "gw", namespace: "infra", gatewayClassName: "local", listeners: [{ name: "http", port, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] },
        routes: [{ name: "web", namespace: "app", parentRefs: [{ name: "gw", namespace: "infra" }], hostnames: ["a.test"], rules }],
        services: backends.map(b => ({ name: b.name, namespace: "app", ports: [{ port: 80 }], endpoints: [{ address: "127.0.0.1", port: b.port }] })),
        namespaces: [],
    };
}

function split(weightA: number, weightB: number): HTTPRouteRule[] {
    return [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "echo-a", port: 80, weight: weightA }, { name: "echo-b", port: 80, weight: weightB }] }];
}

/** How many of n requests each backend answered. */
async function tally(port: number, n: number, urlPath = "/x"): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
        const r = await get(port, urlPath, "a.test");
        const key = r.status === 200 ? String(r.json?.name) : `status ${r.status}`;
        counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
}

describe("nginx gateway provider (real nginx, no Pulumi engine)", function () {
    this.timeout(30000);
    const echo = echoProvider();
    const provider = nginxGatewayProvider();
    const echoes: EchoOutputs[] = [];
    let live: NginxGatewayOutputs | undefined;
    let root = "";

    before(async function () {
        requireNginx(this);
        root = tmpDir("gk-ngx-");
        for (const name of ["echo-a", "echo-b"]) {
            echoes.push((await echo.create({ name, requestedPort: 0, host: "127.0.0.1", dir: path.join(root, name) })).outs);
        }
    });
    after(async () => {
        if (live) await provider.delete!(live.dir, live).catch(() => undefined);
        for (const o of echoes) await echo.delete!("", o).catch(() => undefined);
    });

    const backendPorts = () => echoes.map(e => ({ name: e.name, port: e.port }));
    const inputsFor = (dir: string, port: number, rules: HTTPRouteRule[]): NginxGatewayInputs => ({
        gateway: "infra/gw", dir, input: inputOf(port, backendPorts(), rules), listenAddress: "127.0.0.1", home: path.join(root, "home"),
    });

    it("create starts nginx serving the plan; update reloads with new weights; a config nginx rejects fails and the old one keeps serving; " +
        "a killed nginx is reported by read and restarted by update; delete leaves no process, port or directory", async () => {
        const port = await freePort();
        const dir = path.join(root, "gw");
        const first = inputsFor(dir, port, split(100, 0));

        // create → traffic flows to echo-a only; unmatched host → 404
        const created = await provider.create(first);
        let cur = created.outs;
        live = cur;
        assert.equal(created.id, dir);
        assert.equal(cur.running, true);
        assert.ok(alive(cur.pid!), "nginx master not running after create");
        assert.deepEqual(cur.ports, [port]);
        assert.deepEqual(await tally(port, 20), { "echo-a": 20 });
        assert.equal((await get(port, "/x", "other.test")).status, 404);

        // unchanged inputs → no diff; new weights → in-place update; a new dir → replace, old one deleted first
        assert.deepEqual(await provider.diff!(dir, cur, first), { changes: false, replaces: [], deleteBeforeReplace: false });
        const flipped = inputsFor(dir, port, split(0, 100));
        assert.deepEqual(await provider.diff!(dir, cur, flipped), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await provider.diff!(dir, cur, { ...first, dir: dir + "2" }), { changes: true, replaces: ["dir"], deleteBeforeReplace: true });

        // update → verified reload: new generation, same master, all traffic to echo-b
        const updated = (await provider.update!(dir, cur, flipped)).outs as NginxGatewayOutputs;
        assert.notEqual(updated.generation, cur.generation);
        assert.equal(updated.pid, cur.pid, "a reload keeps the master");
        cur = updated;
        live = cur;
        assert.deepEqual(await tally(port, 20), { "echo-b": 20 });

        // a value the renderer refuses (a lookbehind JavaScript accepts, PCRE only with a fixed length) → update throws naming the field
        const badRegex = inputsFor(dir, port, [
            ...split(0, 100),
            { matches: [{ path: { type: "RegularExpression", value: "/(?<=a+)b" } }], backendRefs: [{ name: "echo-a", port: 80 }] },
        ]);
        await assert.rejects(provider.update!(dir, cur, badRegex), (e: Error) => {
            assert.match(e.message, /^Gateway infra\/gw: the new nginx configuration was not applied \(generation \S+ keeps serving\): /);
            assert.match(e.message, /HTTPRoute app\/web rule 1: spec\.rules\[1\]\.matches\[0\]\.path\.value: .*lookbehind/);
            return true;
        });
        // a new listener port another process holds → refused before the reload (with reuseport nginx would
        // silently share it), naming the port; the old config keeps serving
        const blocker = net.createServer();
        await new Promise<void>(r => blocker.listen(0, "127.0.0.1", () => r()));
        const busyPort = (blocker.address() as net.AddressInfo).port;
        try {
            await assert.rejects(provider.update!(dir, cur, inputsFor(dir, busyPort, split(0, 100))), (e: Error) => {
                assert.match(e.message, /^Gateway infra\/gw: the new nginx configuration was not applied \(generation \S+ keeps serving\): /);
                assert.match(e.message, new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is taken \\(Address already in use\\)`));
                return true;
            });
        } finally {
            blocker.close();
        }
        assert.equal((await provider.read!(dir, cur)).props.generation, cur.generation, "the failed generation was recorded as applied");
        assert.deepEqual(await tally(port, 10), { "echo-b": 10 });

        // kill nginx (master and workers, as a crash would) → read reports it → diff wants an update → update restarts it
        process.kill(-cur.pid!, "SIGKILL");
        const deadline = Date.now() + 5000;
        while ((alive(cur.pid!) || await listening(port)) && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
        const refreshed = (await provider.read!(dir, live)).props as NginxGatewayOutputs;
        assert.equal(refreshed.running, false);
        assert.equal(refreshed.pid, undefined);
        assert.deepEqual(await provider.diff!(dir, refreshed, flipped), { changes: true, replaces: [], deleteBeforeReplace: false });
        const restarted = (await provider.update!(dir, refreshed, flipped)).outs as NginxGatewayOutputs;
        cur = restarted;
        live = cur;
        assert.equal(restarted.running, true);
        assert.notEqual(restarted.pid, updated.pid);
        assert.deepEqual(await tally(port, 10), { "echo-b": 10 });
        assert.equal((await provider.read!(dir, restarted)).props.running, true);

        // delete → no nginx process, no listening port, no directory (it held the config)
        await provider.delete!(dir, restarted);
        live = undefined;
        assert.equal(alive(restarted.pid!), false, "nginx master alive after delete");
        assert.equal(await listening(port), false, "listener port still open after delete");
        assert.equal(fs.existsSync(dir), false);
        assert.equal(spawnSync("pgrep", ["-f", dir]).status, 1, "a process still names the instance dir");
    });

    it("a failed create leaves nothing running and names the gateway and nginx's problem", async () => {
        const blocker = net.createServer();
        await new Promise<void>(r => blocker.listen(0, "127.0.0.1", () => r()));
        const port = (blocker.address() as net.AddressInfo).port;
        const dir = path.join(root, "busy");
        try {
            await assert.rejects(provider.create(inputsFor(dir, port, split(1, 1))),
                (e: Error) => /^Gateway infra\/gw: could not start nginx in /.test(e.message) && /Address already in use|bind/i.test(e.message));
        } finally {
            blocker.close();
        }
        assert.equal(spawnSync("pgrep", ["-f", dir]).status, 1, "a process still names the instance dir");
    });
});

// ---------------------------------------------------------------- adapter under mocks

describe("nginx adapter realize (Pulumi mocks)", () => {
    before(() => setupMocks());

    function tlsProgram(parameters: GatewayClassParameters = { nginx: { workDir: "/srv/gk" } }) {
        const cls = new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx", parameters });
        const gateway = new Gateway("edge", {
            gatewayClass: cls,
            namespace: "infra",
            listeners: [
                { name: "http", port: 18080, protocol: "HTTP" },
                { name: "https", port: 18443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: [{ name: "site" }] } },
            ],
            certificates: { site: { certificate: "-----BEGIN CERTIFICATE-----\nCERT", privateKey: "-----BEGIN PRIVATE KEY-----\nKEY" } },
        });
        const web = new Service("web", { namespace: "infra", port: 80, endpoints: [{ address: "127.0.0.1", port: 9000 }] });
        new HTTPRoute("site", { namespace: "infra", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: web }] }] });
        return gateway;
    }

    it("creates one NginxGateway parented under the Gateway, with the plan, a per-gateway dir and the certificates secret", async () => {
        let gateway!: Gateway;
        await runProgram(() => { gateway = tlsProgram(); });
        const recorded = resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway");
        assert.equal(recorded.length, 1);
        assert.equal(recorded[0].name, "infra-edge-nginx");
        const inputs = recorded[0].inputs as Record<string, unknown>;
        assert.equal(inputs.gateway, "infra/edge");
        assert.equal(inputs.dir, "/srv/gk/stack/infra/edge");
        assert.equal(inputs.listenAddress, "127.0.0.1");
        // One input, the GatewayInput as an object (not a JSON string), recompiled by the provider.
        const input = inputs.input as GatewayInput;
        assert.deepEqual(input.gateway.listeners.map(l => [l.name, l.port]), [["http", 18080], ["https", 18443]]);
        assert.deepEqual(input.routes.map(r => r.name), ["site"]);
        assert.equal(inputs.plan, undefined);
        assert.equal(inputs.sources, undefined);
        // The provider ships as serialised code that captures paths only.
        assert.match(inputs.__provider as string, /lifecycle\.ts/);
        // Secret on the wire to the engine, with keys normalised to "namespace/name".
        const certs = inputs.certificates as Record<string, unknown>;
        assert.ok(pulumi.runtime.isRpcSecret(certs), "certificates reached the engine as plain text");
        assert.deepEqual(Object.keys(pulumi.runtime.unwrapRpcSecret(certs)), ["infra/site"]);
        assert.ok(!JSON.stringify(inputs.input).includes("PRIVATE KEY"));

        const children = [...((gateway as unknown as { __childResources?: Set<pulumi.Resource> }).__childResources ?? [])];
        const instance = children.filter(c => c instanceof NginxGateway) as NginxGateway[];
        assert.equal(instance.length, 1, "the NginxGateway is not a child of the Gateway");
        assert.equal(await pulumi.isSecret((instance[0] as unknown as { certificates: pulumi.Output<unknown> }).certificates), true);
        assert.deepEqual(await outputOf(gateway.addresses), ["127.0.0.1:18080", "127.0.0.1:18443"]);
    });

    it("defaults the dir to <state root>/<stack>/<namespace>/<name> (~/.local/state/gatewaykit, /var/lib/gatewaykit for root) and refuses bad class parameters before creating anything", async () => {
        const saved = process.env.XDG_STATE_HOME;
        try {
            delete process.env.XDG_STATE_HOME;
            // Root's home is closed to the unprivileged nginx workers: root's state lives in /var/lib.
            const root = process.geteuid?.() === 0 ? "/var/lib/gatewaykit" : path.join(os.homedir(), ".local", "state", "gatewaykit");
            assert.equal(nginxStateDir({ namespace: "mygroup", name: "mygroup-external" }, {}, "dev"), path.join(root, "dev", "mygroup", "mygroup-external"));
            process.env.XDG_STATE_HOME = "/srv/state";
            assert.equal(nginxStateDir({ namespace: "mygroup", name: "mygroup-external" }, {}, "dev"), "/srv/state/gatewaykit/dev/mygroup/mygroup-external");
        } finally {
            if (saved === undefined) delete process.env.XDG_STATE_HOME; else process.env.XDG_STATE_HOME = saved;
        }
        await assert.rejects(runProgram(() => { tlsProgram({ nginx: { listenAddress: "0.0.0.0; include /etc/passwd" } }); }),
            /the nginx adapter refuses this plan:\n {2}- parameters\.nginx\.listenAddress must be an IPv4 address/);
        await assert.rejects(runProgram(() => { tlsProgram({ nginx: { workDir: "/tmp/" + "x".repeat(90) } }); }),
            /its control socket needs at most \d+: set a shorter parameters\.nginx\.workDir/);
        assert.equal(resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway").length, 0);
    });
});
