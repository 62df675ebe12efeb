// The nginx gateway's dynamic provider without the Pulumi engine: create/diff/update/delete/read driven
// directly against real nginx and echo processes.

import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { EchoOutputs } from "../../../local/echo-lifecycle";
import { echoProvider } from "../../../local/echo";
import type { GatewayInput } from "../../../routing/plan";
import { HTTPRouteRule } from "../../../routing/types";
import { freePort, listening } from "../../../test/nginx-e2e-kit";
import { alive, get, requireNginx, tmpDir } from "../../../test/nginx-provider-kit";
import { nginxGatewayProvider } from "../resources";
import type { NginxGatewayInputs, NginxGatewayOutputs } from "./lifecycle";

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
