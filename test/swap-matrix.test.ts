// The seed's "Update Infrastructure Provider" as a 4 × 4 matrix: the same program (routes and
// services untouched; only the GatewayClass's controllerName changes) previews under Pulumi mocks
// for every from → to pair of nginx, aws, gcp and kubernetes. Per pair the two runs must agree on
// the teams' resources (URNs, types, inputs, specs), on the plan and on where requests go, while
// the gateway's data-plane children change vendor.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { checkPortability } from "../components/gateway";
import { CONTROLLERS, VENDORS, Vendor, seedClassParameters } from "../examples/seed";
import { providerSwap } from "../examples/update-infrastructure-provider/program";
import { SimRequest } from "../routing/simulate";
import { outputOf, resourcesOfType, routeRequest, runProgram, setupMocks } from "../testing";

/** The type-token prefix of each vendor's data-plane resources (nginx: its dynamic resource). */
const DATA_PLANE: Record<Vendor, RegExp> = {
    nginx: /^pulumi-nodejs:dynamic\/gatewaykit:NginxGateway$/,
    aws: /^aws:(lb|ec2)\//,
    gcp: /^gcp:compute\//,
    kubernetes: /^kubernetes:/,
};
const TEAM_TYPES = ["gatewaykit:index:HTTPRoute", "gatewaykit:index:Service"];

/** Requests covering every rule of the portable route set, and a miss. */
const REQUESTS: SimRequest[] = [
    { host: "mygroup.io", port: 8080, path: "/groups/42" },
    { host: "mygroup.io", port: 8080, path: "/users/me", headers: { "x-team": "mygroup" } },
    { host: "mygroup.io", port: 8080, path: "/users/me" },
    { host: "mygroup.io", port: 8080, path: "/search?beta=1" },
    { host: "mygroup.io", port: 8080, path: "/search" },
    { host: "mygroup.io", port: 8080, path: "/old-groups/7" },
    { host: "mygroup.io", port: 8080, path: "/account/settings" },
    { host: "other.io", port: 8080, path: "/groups" },
];

interface Snapshot {
    vendor: Vendor;
    /** The teams' component resources as the engine saw them. */
    team: { urn: string; type: string; name: string; inputs: unknown; spec: unknown; children: number }[];
    /** Types of every custom resource the run declared, and of the Gateway's descendants. */
    customTypes: string[];
    gatewayDescendants: string[];
    plan: unknown;
    routing: unknown[];
    portability: unknown[];
}

function descendants(r: pulumi.Resource): pulumi.Resource[] {
    const children = [...((r as unknown as { __childResources?: Set<pulumi.Resource> }).__childResources ?? [])];
    return children.flatMap(c => [c, ...descendants(c)]);
}

const typeOf = (r: pulumi.Resource) => (r as unknown as { __pulumiType: string }).__pulumiType;

async function preview(vendor: Vendor): Promise<Snapshot> {
    let made!: ReturnType<typeof providerSwap>;
    const { resources } = await runProgram(() => { made = providerSwap({ controllerName: CONTROLLERS[vendor] }); });
    const components = [...made.routes, made.services.groups, made.services.canary];
    const team = await Promise.all(components.map(async c => {
        const urn = await outputOf(c.urn);
        const recorded = resources.filter(r => TEAM_TYPES.includes(r.type) && urn.endsWith(`${r.type}::${r.name}`));
        assert.equal(recorded.length, 1, `${urn} was registered ${recorded.length} times`);
        return {
            urn, type: recorded[0].type, name: recorded[0].name, inputs: recorded[0].inputs,
            spec: await outputOf((c as { spec: pulumi.Output<unknown> }).spec),
            children: descendants(c).length,
        };
    }));
    assert.equal(team.length, resources.filter(r => TEAM_TYPES.includes(r.type)).length, "a team resource outside the program's routes and services");
    const rendered = await made.gateway.rendered;
    assert.ok(rendered.known, "preview without a plan");
    const { controllerName, ...plan } = rendered.plan;
    assert.equal(controllerName, CONTROLLERS[vendor]);
    return {
        vendor,
        team,
        customTypes: resources.filter(r => r.custom).map(r => r.type),
        gatewayDescendants: descendants(made.gateway).filter(r => r instanceof pulumi.CustomResource).map(typeOf),
        plan,
        routing: await Promise.all(REQUESTS.map(async q => {
            const r = await routeRequest(made.gateway, q);
            return { status: r.status, outcomes: r.outcomes, redirect: r.redirect, headers: r.requestHeaderChanges };
        })),
        // Capabilities, limits and (with the class parameters) each target's preflight.
        portability: VENDORS.map(v => checkPortability(rendered.plan, CONTROLLERS[v], seedClassParameters(), rendered.input)),
    };
}

describe("provider swap matrix (4 × 4, Pulumi mocks, preview)", function () {
    this.timeout(60000);
    before(() => setupMocks({ preview: true }));
    after(() => setupMocks());

    for (const from of VENDORS) {
        for (const to of VENDORS) {
            it(`${from} → ${to}: routes and services untouched, routing the same, data plane on ${to}`, async () => {
                const a = await preview(from);
                const b = await preview(to);
                // The teams' resources: same URNs, types, engine inputs and specs; nothing under them.
                assert.deepEqual(b.team, a.team);
                assert.ok(a.team.every(t => t.children === 0), "a route or service owns data-plane resources");
                assert.equal(a.team.filter(t => t.type === "gatewaykit:index:HTTPRoute").length, 2);
                // Routing: the same plan apart from the controllerName, the same answers per request.
                assert.deepEqual(b.plan, a.plan);
                assert.deepEqual(b.routing, a.routing);
                assert.deepEqual((a.routing[0] as { outcomes: { probability: number }[] }).outcomes.map(o => o.probability), [0.9, 0.1]);
                // Every custom resource is the target vendor's, and it all hangs under the Gateway.
                for (const s of [a, b]) {
                    assert.ok(s.customTypes.length > 0, `${s.vendor}: no data plane declared`);
                    const foreign = s.customTypes.filter(t => !DATA_PLANE[s.vendor].test(t));
                    assert.deepEqual(foreign, [], `${s.vendor}: resources of another vendor`);
                    assert.deepEqual([...s.gatewayDescendants].sort(), [...s.customTypes].sort());
                }
                if (from !== to) assert.ok(!b.customTypes.some(t => DATA_PLANE[from].test(t)), `${from}'s data plane survived the swap to ${to}`);
                // The portable route set: no target would reject anything.
                assert.deepEqual(b.portability, VENDORS.map(() => []));
            });
        }
    }

    it("under mocks the nginx data plane is recorded, not started: the provider travels serialised and nothing touches the state directory", async () => {
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-swap-"));
        try {
            await runProgram(() => { providerSwap({ controllerName: CONTROLLERS.nginx, nginxWorkDir: workDir }); });
            const [instance] = resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway");
            assert.equal(instance.inputs.dir, path.join(workDir, "stack", "mygroup", "mygroup-external"));
            assert.match(String(instance.inputs.__provider), /lifecycle/, "the dynamic provider is carried as code for the engine to run");
            // The provider's create never ran: it would have made the instance directory and started nginx.
            assert.deepEqual(fs.readdirSync(workDir), []);
        } finally {
            fs.rmSync(workDir, { recursive: true, force: true });
        }
    });
});
