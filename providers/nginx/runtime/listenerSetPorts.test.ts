// The nginx gateway's dynamic provider with a ListenerSet adding a port: the port check before a
// reload covers the merged listeners, so a team port another process holds is refused by name
// (with reuseport nginx would silently share it) and the previous generation keeps serving; an
// admitted ListenerSet's new port then serves.

import { strict as assert } from "assert";
import * as net from "net";
import * as path from "path";
import type { EchoOutputs } from "../../../local/echo-lifecycle";
import { echoProvider } from "../../../local/echo";
import type { GatewayInput } from "../../../routing/plan";
import { freePort } from "../../../test/nginx-e2e-kit";
import { get, requireNginx, tmpDir } from "../../../test/nginx-provider-kit";
import { nginxGatewayProvider } from "../resources";
import type { NginxGatewayInputs, NginxGatewayOutputs } from "./lifecycle";

function inputOf(port: number, teamPort: number | undefined, backend: number): GatewayInput {
    return {
        gatewayClass: { name: "local", controllerName: "gatewaykit.dev/nginx" },
        gateway: {
            name: "gw", namespace: "infra", gatewayClassName: "local", allowedListeners: { namespaces: { from: "All" } },
            listeners: [{ name: "http", port, protocol: "HTTP", hostname: "a.test", allowedRoutes: { namespaces: { from: "All" } } }],
        },
        routes: [
            { name: "web", namespace: "app", parentRefs: [{ name: "gw", namespace: "infra" }], rules: [{ backendRefs: [{ name: "echo", port: 80 }] }] },
            ...(teamPort !== undefined ? [{ name: "team", namespace: "app", parentRefs: [{ kind: "ListenerSet", name: "team" }], rules: [{ backendRefs: [{ name: "echo", port: 80 }] }] }] : []),
        ],
        services: [{ name: "echo", namespace: "app", ports: [{ port: 80 }], endpoints: [{ address: "127.0.0.1", port: backend }] }],
        namespaces: [],
        ...(teamPort !== undefined ? { listenerSets: [{ name: "team", namespace: "app", parentRef: { name: "gw", namespace: "infra" }, listeners: [{ name: "web", port: teamPort, protocol: "HTTP" as const, hostname: "b.test" }] }] } : {}),
    };
}

describe("nginx gateway provider: a ListenerSet's new port (real nginx, no Pulumi engine)", function () {
    this.timeout(30000);
    const echo = echoProvider();
    const provider = nginxGatewayProvider();
    let backend: EchoOutputs | undefined;
    let live: NginxGatewayOutputs | undefined;
    let root = "";

    before(async function () {
        requireNginx(this);
        root = tmpDir("gk-ngx-ls-");
        backend = (await echo.create({ name: "echo", requestedPort: 0, host: "127.0.0.1", dir: path.join(root, "echo") })).outs;
    });
    after(async () => {
        if (live) await provider.delete!(live.dir, live).catch(() => undefined);
        if (backend) await echo.delete!("", backend).catch(() => undefined);
    });

    it("refuses a ListenerSet port another process holds, naming it, and serves a free one", async () => {
        const dir = path.join(root, "gw");
        const port = await freePort();
        const inputs = (teamPort?: number): NginxGatewayInputs => ({
            gateway: "infra/gw", dir, input: inputOf(port, teamPort, backend!.port), listenAddress: "127.0.0.1", home: path.join(root, "home"), reusePort: true,
        });
        let cur = (await provider.create!(inputs())).outs as NginxGatewayOutputs;
        live = cur;
        assert.equal((await get(port, "/", "a.test")).status, 200);

        const blocker = net.createServer();
        await new Promise<void>(r => blocker.listen(0, "127.0.0.1", () => r()));
        const busyPort = (blocker.address() as net.AddressInfo).port;
        try {
            await assert.rejects(provider.update!(dir, cur, inputs(busyPort)), (e: Error) => {
                assert.match(e.message, new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is taken \\(Address already in use\\)`));
                return true;
            });
        } finally {
            blocker.close();
        }
        assert.equal((await get(port, "/", "a.test")).status, 200, "the previous generation keeps serving");

        const teamPort = await freePort();
        cur = (await provider.update!(dir, cur, inputs(teamPort))).outs as NginxGatewayOutputs;
        live = cur;
        assert.deepEqual([...cur.ports!].sort(), [port, teamPort].sort());
        const r = await get(teamPort, "/", "b.test");
        assert.equal(r.status, 200);
        assert.equal(r.json?.name, "echo");
        assert.equal((await get(teamPort, "/", "a.test")).status, 404, "the team's port serves only the team's hostname");
    });
});
