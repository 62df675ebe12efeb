// The echo backend's dynamic provider without the Pulumi engine: create/read/update/delete against real
// echo-server processes, and the provider serialised the way Pulumi ships it, run in a plain node process.

import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { EchoOutputs } from "./echo-lifecycle";
import { echoProvider } from "./echo";
import { listening } from "../test/nginx-e2e-kit";
import { alive, get, tmpDir } from "../test/nginx-provider-kit";

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
