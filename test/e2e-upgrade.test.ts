// Upgrade the load balancer on nginx (the seed's first swap), through the real Pulumi engine: the
// operator changes its Gateway's class to "new-external-lb" (same controller, another workDir). The
// nginx instance is replaced create-before-delete: the new one binds the same port beside the old one
// (both listen with reuseport), serves — with the team's route, read from the gateway's home — and only
// then is the old one stopped gracefully. A steady client (sequential requests, a new connection each)
// runs for the whole `up` and counts requests sent and failed: the target is 0 failed.
// Gated like the quickstart e2e (CI=true or GATEWAYKIT_E2E=1; under CI a missing nginx/CLI fails).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { Gateway, GatewayClass, GatewayReference, HTTPRoute } from "../components";
import { resetDeclarations } from "../components/registry";
import { localService } from "../components/service";
import { EchoBackend } from "../local/echo";
import { E2eWorld, ask, e2eGate, freePort, listening, processesNaming, tally } from "./nginx-e2e-kit";

const OPERATOR_PROJECT = "gk-up-operator";

function operatorProgram(port: number, workDirs: Record<string, string>) {
    return async () => {
        resetDeclarations();
        const className = new pulumi.Config().get("className") ?? "external-lb";
        const gatewayClass = new GatewayClass(className, {
            controllerName: "gatewaykit.dev/nginx",
            parameters: { nginx: { workDir: workDirs[className] } },
        });
        const gateway = new Gateway("mygroup-external", {
            gatewayClass,
            namespace: "mygroup",
            listeners: [{ name: "http", protocol: "HTTP", port, allowedRoutes: { namespaces: { from: "All" } } }],
        });
        return { reference: gateway.reference };
    };
}

function teamProgram(operatorStack: string) {
    return async () => {
        resetDeclarations();
        const reference = new pulumi.StackReference(`organization/${OPERATOR_PROJECT}/${operatorStack}`)
            .requireOutput("reference") as pulumi.Output<GatewayReference>;
        const groups = localService("groups", new EchoBackend("groups", {}), { namespace: "team" });
        new HTTPRoute("groups", {
            namespace: "team", parentRefs: [{ gateway: reference }], hostnames: ["mygroup.io"],
            rules: [{ matches: [{ path: { type: "PathPrefix", value: "/groups" } }], backendRefs: [{ service: groups }] }],
        });
    };
}

/** Sequential requests, a new connection each, until stopped (at most maxMs): sent, failed and why. */
function steadyClient(port: number, maxMs: number) {
    let stop = false;
    const result = { sent: 0, failed: 0, failures: [] as string[] };
    const done = (async () => {
        const deadline = Date.now() + maxMs;
        while (!stop && Date.now() < deadline) {
            result.sent++;
            try {
                const who = await ask(port, "mygroup.io", `/groups/${result.sent}`, 3000);
                if (who !== "groups") throw new Error(who);
            } catch (e) {
                result.failed++;
                if (result.failures.length < 5) result.failures.push((e as Error).message);
            }
        }
    })();
    return { result, stop: async () => { stop = true; await done; return result; } };
}

describe("e2e: upgrade the load balancer on nginx (class swap, create-before-delete, steady client)", function () {
    this.timeout(5 * 60_000);
    let world: E2eWorld | undefined;
    let operator: Stack, team: Stack;
    let port = 0;
    const opStack = `up${process.pid}`;

    before(async function () {
        this.timeout(35 * 60_000);
        const bin = e2eGate(this, "the upgrade e2e test (about half a minute)");
        if (!bin) return;
        world = new E2eWorld(bin);
        port = await freePort();
        const workDirs = { "external-lb": path.join(world.tmp, "lb1"), "new-external-lb": path.join(world.tmp, "lb2") };
        operator = await world.stack(OPERATOR_PROJECT, opStack, operatorProgram(port, workDirs));
        team = await world.stack("gk-up-team", `t${process.pid}`, teamProgram(opStack));
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await world?.cleanup();
    });

    it("the new data plane serves before the old one stops: no failed request during the swap", async () => {
        const t0 = Date.now();
        const oldDir = path.join(world!.tmp, "lb1", opStack, "mygroup", "mygroup-external");
        const newDir = path.join(world!.tmp, "lb2", opStack, "mygroup", "mygroup-external");
        assert.equal((await operator.up()).summary.result, "succeeded");
        assert.equal((await team.up()).summary.result, "succeeded");
        assert.deepEqual(await tally(port, "mygroup.io", "/groups/0", 10), { groups: 10 });
        const oldPid = Number(fs.readFileSync(path.join(oldDir, "run", "nginx.pid"), "utf8"));
        const setup = Date.now() - t0;

        await operator.setConfig("className", { value: "new-external-lb" });
        const preview = await operator.preview();
        assert.equal((preview.changeSummary as Record<string, number>).replace, 1, JSON.stringify(preview.changeSummary));

        const client = steadyClient(port, 60_000);
        const swapStart = Date.now();
        const swapped = await operator.up();
        const swapMs = Date.now() - swapStart;
        await new Promise(r => setTimeout(r, 200)); // and a little after the old instance is gone
        const { sent, failed, failures } = await client.stop();
        let migrate = "unknown";
        try { migrate = fs.readFileSync("/proc/sys/net/ipv4/tcp_migrate_req", "utf8").trim(); } catch { /* not Linux */ }
        console.log(`      class swap: ${sent} requests sent, ${failed} failed during the ${(swapMs / 1000).toFixed(1)} s \`up\` ` +
            `(net.ipv4.tcp_migrate_req=${migrate})${failures.length ? "; first failures: " + failures.join(" | ") : ""}`);
        assert.equal(swapped.summary.result, "succeeded");
        assert.equal(swapped.summary.resourceChanges?.replace, 1, JSON.stringify(swapped.summary.resourceChanges));
        // The order Pulumi ran: the new nginx created before the old one was deleted.
        const ops = swapped.stdout.split("\n").filter(l => /NginxGateway|mygroup-external-nginx/.test(l) && /(creating|deleting) (replacement|original)/.test(l));
        assert.equal(ops.length, 2, `the engine's log shows the replacement steps:\n${swapped.stdout}`);
        assert.ok(ops.findIndex(l => /creating replacement/.test(l)) < ops.findIndex(l => /deleting original/.test(l)), ops.join("\n"));
        assert.ok(sent > 20, `the client ran during the swap (${sent} requests)`);
        assert.equal(failed, 0, `no failed request during the swap: ${failures.join(" | ")}`);

        // The new instance serves the team's route (from the gateway's home); the old one is gone.
        assert.equal(fs.existsSync(oldDir), false, "the old instance's dir is removed");
        const newPid = Number(fs.readFileSync(path.join(newDir, "run", "nginx.pid"), "utf8"));
        assert.notEqual(newPid, oldPid);
        assert.deepEqual(processesNaming(oldDir), []);
        assert.deepEqual(await tally(port, "mygroup.io", "/groups/x", 10), { groups: 10 });
        // The team's stack did not have to change.
        const teamPreview = await team.preview();
        assert.deepEqual(Object.keys(teamPreview.changeSummary ?? {}).filter(k => k !== "same" && k !== "read"), [], JSON.stringify(teamPreview.changeSummary));

        assert.equal((await team.destroy()).summary.result, "succeeded");
        assert.equal((await operator.destroy()).summary.result, "succeeded");
        assert.equal(await listening(port), false);
        assert.deepEqual(processesNaming(world!.tmp), []);
        console.log(`      setup ${(setup / 1000).toFixed(1)} s, swap ${(swapMs / 1000).toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
});
