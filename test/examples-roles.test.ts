// examples/roles: the seed's three roles as three stacks (infrastructure provider → class,
// cluster operator → gateway, application developer → route), each run as a program under Pulumi
// mocks and wired by the plain values one stack exports and the next imports. Per vendor: what
// each stack declares, that allowedRoutes holds across stacks, and how a team's route reaches the
// data plane (its own stack for adapters that realise routes separately, else the operator's).
import { strict as assert } from "assert";
import { adapterFor } from "../providers";
import { GatewayReference } from "../components";
import { ClassReference, applicationDeveloper, clusterOperator, infrastructureProvider } from "../examples/roles/program";
import { CONTROLLERS, VENDORS, Vendor } from "../examples/seed";
import { RecordedResource, routeRequest, runProgram, setupMocks } from "../testing";
import { compileGateway } from "../routing/compile";
import type { GatewayInput } from "../routing/plan";

setupMocks();

const VENDOR_TYPE: Record<Vendor, RegExp> = {
    nginx: /^pulumi-nodejs:dynamic\//,
    aws: /^aws:/,
    gcp: /^gcp:/,
    kubernetes: /^kubernetes:/,
};
const custom = (resources: RecordedResource[]) => resources.filter(r => r.custom).map(r => r.type);
const components = (resources: RecordedResource[]) => resources.filter(r => !r.custom).map(r => r.type).sort();

async function providerAndOperator(vendor: Vendor) {
    const infrastructure = await runProgram(() => ({ classReference: infrastructureProvider({ controllerName: CONTROLLERS[vendor] }).classReference }));
    const classReference = infrastructure.outputs.classReference as ClassReference;
    const operator = await runProgram(() => {
        const made = clusterOperator({ gatewayClass: classReference });
        return { reference: made.reference, status: made.status };
    });
    return { infrastructure, classReference, operator, reference: operator.outputs.reference as GatewayReference };
}

async function intruderStack(reference: GatewayReference) {
    const warn = console.warn;
    console.warn = () => undefined; // an adapter may warn "not served" in preview; the status says it too
    try {
        return await runProgram(() => {
            const made = applicationDeveloper({ gateway: reference, namespace: "intruders" });
            return { status: made.status, table: made.routingTable };
        });
    } finally {
        console.warn = warn;
    }
}

describe("examples/roles (the seed's three roles as three stacks, Pulumi mocks)", () => {
    for (const vendor of VENDORS) {
        describe(`on ${vendor}`, () => {
            it("the provider's stack holds only the class; the operator's stack the gateway and its data plane, no route", async () => {
                const { infrastructure, classReference, operator, reference } = await providerAndOperator(vendor);
                assert.deepEqual(components(infrastructure.resources), ["gatewaykit:index:GatewayClass"]);
                assert.deepEqual(custom(infrastructure.resources), []);
                assert.equal(classReference.controllerName, CONTROLLERS[vendor]);
                assert.ok(classReference.parameters[vendor], "the class reference carries the vendor's parameters");

                assert.deepEqual(components(operator.resources), ["gatewaykit:index:Gateway"]);
                const dataPlane = custom(operator.resources);
                assert.ok(dataPlane.length > 0 && dataPlane.every(t => VENDOR_TYPE[vendor].test(t)), dataPlane.join(", "));
                assert.deepEqual(operator.outputs.status!.listeners.map(l => [l.name, l.attachedRoutes]), [["http", 0]]);
                assert.deepEqual(reference.listeners[0].allowedRoutes, { namespaces: { from: "Selector", selector: { matchLabels: { gateway: "mygroup-external" } } } });
                assert.equal(reference.controllerName, CONTROLLERS[vendor]);
            });

            it("the team's stack: its route is accepted on the operator's gateway; an unlabelled namespace gets NotAllowedByListeners and no rule", async () => {
                const { reference } = await providerAndOperator(vendor);
                const team = await runProgram(() => {
                    const made = applicationDeveloper({ gateway: reference });
                    return { status: made.status, table: made.routingTable };
                });
                assert.deepEqual(team.outputs.status.parents[0].conditions.map(c => [c.type, c.status, c.reason]),
                    [["Accepted", "True", "Accepted"], ["ResolvedRefs", "True", "ResolvedRefs"]]);
                assert.match(team.outputs.table, /mygroup\.io · PathPrefix \/groups → mygroup\/mygroup-groups:8080 90%, mygroup\/mygroup-groups-canary:8080 10%/);
                // Where the team's change lands: its own stack only when the adapter realises routes separately.
                const teamDataPlane = custom(team.resources);
                // aws: only when the operator shares its listeners (parameters.aws.namespaces, which the seed's
                // class does not set; test/aws-teams-stacks.test.ts runs that flow).
                const shared = vendor !== "aws" || reference.attachments?.aws !== undefined;
                if (adapterFor(CONTROLLERS[vendor]).realizeRoutes && shared) {
                    assert.ok(teamDataPlane.length > 0 && teamDataPlane.every(t => VENDOR_TYPE[vendor].test(t)), teamDataPlane.join(", "));
                } else {
                    assert.deepEqual(teamDataPlane, [], "a team stack declared data-plane resources its adapter cannot own");
                }

                // A namespace the listener does not admit: either the team's `up` fails naming
                // NotAllowedByListeners (an adapter that refuses to realise it), or the route is
                // declared with that status and no rule on the gateway.
                let intruders: Awaited<ReturnType<typeof intruderStack>>;
                try {
                    intruders = await intruderStack(reference);
                } catch (err) {
                    assert.ok(adapterFor(CONTROLLERS[vendor]).realizeRoutes, `only an adapter realising routes may fail the stack: ${err}`);
                    assert.match(String(err), /HTTPRoute intruders\/mygroup .*NotAllowedByListeners/);
                    return;
                }
                const accepted = intruders.outputs.status.parents[0].conditions.find(c => c.type === "Accepted")!;
                assert.deepEqual([accepted.status, accepted.reason], ["False", "NotAllowedByListeners"]);
                assert.match(intruders.outputs.table, /\(no rules\)/, "a route the listener does not admit has no rule on the gateway");
                assert.doesNotMatch(intruders.outputs.table, /\/groups/);
            });
        });
    }

    it("the operator's path (nginx, aws, gcp): the operator's stack declares the team's route, which then routes 90/10 on its data plane", async () => {
        for (const vendor of ["nginx", "aws", "gcp"] as const) {
            const { classReference, operator } = await providerAndOperator(vendor);
            let made!: ReturnType<typeof clusterOperator>;
            const serving = await runProgram(() => {
                made = clusterOperator({ gatewayClass: classReference, teams: [gateway => { applicationDeveloper({ gateway }); }] });
            });
            const r = await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/groups/1" });
            assert.deepEqual(r.outcomes.map(o => [o.backend?.service, o.probability]),
                [["mygroup/mygroup-groups", 0.9], ["mygroup/mygroup-groups-canary", 0.1]], vendor);
            assert.ok(custom(serving.resources).length > custom(operator.resources).length || vendor === "nginx",
                `${vendor}: the team's route added nothing to the data plane`);
            if (vendor === "nginx") {
                // The NginxGateway's one input (the GatewayInput it compiles): the team's route only when declared.
                const input = (rs: RecordedResource[]) => rs.find(x => x.custom)!.inputs.input as GatewayInput;
                const rules = (rs: RecordedResource[]) => compileGateway(input(rs)).gateways[0].listeners[0].rules.length;
                assert.deepEqual([rules(operator.resources), rules(serving.resources)], [0, 1]);
            }
        }
    });
});
