// The nginx adapter's realize under Pulumi mocks: one NginxGateway under the Gateway with its one input
// and its certificates secret; the state dir; bad class parameters refused before anything is created.

import { strict as assert } from "assert";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, GatewayClassParameters, HTTPRoute, Service } from "../../components";
import type { GatewayInput } from "../../routing/plan";
import { outputOf, resourcesOfType, runProgram, setupMocks } from "../../testing";
import { nginxStateDir } from "./parameters";
import { NginxGateway } from "./resources";

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

    it("passes parameters.nginx.reloadTimeoutSeconds to the instance, and refuses one that is not 1–3600 seconds naming the field", async () => {
        await runProgram(() => { tlsProgram({ nginx: { workDir: "/srv/gk", reloadTimeoutSeconds: 90 } }); });
        const recorded = resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway");
        assert.equal(recorded.length, 1);
        assert.equal((recorded[0].inputs as Record<string, unknown>).reloadTimeoutSeconds, 90);
        await runProgram(() => { tlsProgram(); });
        assert.equal((resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway")[0].inputs as Record<string, unknown>).reloadTimeoutSeconds, undefined, "unset: the runtime scales it");
        for (const [bad, shown] of [["90", '"90"'], [0, "0"], [7200, "7200"], [Number.NaN, "NaN"]] as const) {
            await assert.rejects(runProgram(() => { tlsProgram({ nginx: { reloadTimeoutSeconds: bad as number } }); }),
                (e: Error) => e.message.includes(`parameters.nginx.reloadTimeoutSeconds must be a number of seconds from 1 to 3600 (got ${shown})`)
                    && /leave it unset to scale it from the measured `nginx -t`/.test(e.message), `reloadTimeoutSeconds ${shown}`);
        }
        assert.equal(resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway").length, 0);
    });
});
