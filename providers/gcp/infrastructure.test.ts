// The Gateway's spec.infrastructure and spec.addresses on a GCP load balancer (mocks): labels on the
// resources that take them, in GCP's label syntax or refused; a requested address is the global address served on.
import { strict as assert } from "assert";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../../components";
import { GatewayInfrastructure, GatewaySpecAddress } from "../../routing/types";
import { RecordedResource, failureOf, runProgram, setupMocks } from "../../testing";
import { compile } from "../../routing/compile";
import { buildDataPlane } from "./model/dataplane";

setupMocks();

const ADDRESS = "gcp:compute/globalAddress:GlobalAddress";
const RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule";
const PARAMS = { project: "proj", zone: "europe-west1-b", region: "europe-west1", network: "default", labels: { team: "edge" } };

function program(infrastructure?: GatewayInfrastructure, addresses?: GatewaySpecAddress[], params: Record<string, unknown> = PARAMS) {
    return () => {
        const cls = new GatewayClass("glb", { controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: params } });
        const gateway = new Gateway("edge", {
            gatewayClass: cls, namespace: "infra", infrastructure, addresses,
            listeners: [{ name: "http", protocol: "HTTP", port: 80 }, { name: "alt", protocol: "HTTP", port: 8080 }],
        });
        const a = new Service("a", { namespace: "infra", port: 80, endpoints: [{ address: "10.0.0.10" }], realizations: { gcp: { instance: "vm-1" } } });
        new HTTPRoute("r", { namespace: "infra", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: a }] }] });
    };
}

const ofType = (rs: RecordedResource[], t: string) => rs.filter(r => r.type === t);

describe("gcp: Gateway spec.infrastructure and spec.addresses", () => {
    it("labels the reserved address and every forwarding rule with the infrastructure labels beside the class labels", async () => {
        const { resources } = await runProgram(program({ labels: { env: "prod", "cost-center": "cc-42" } }));
        const labelled = [...ofType(resources, ADDRESS), ...ofType(resources, RULE)];
        assert.equal(labelled.length, 3);
        for (const r of labelled) assert.deepEqual(r.inputs.labels, { team: "edge", env: "prod", "cost-center": "cc-42" }, `${r.type} ${r.name}`);
    });

    it("refuses a Kubernetes label GCP's syntax cannot hold, naming it and a form that fits, before any GCP resource", async () => {
        let recorded: RecordedResource[] = [];
        const err = await failureOf(runProgram(program({ labels: { "example.com/team": "Payments" } })).then(r => { recorded = r.resources; return r; }));
        assert.match(err.message, /spec\.infrastructure\.labels\["example\.com\/team"\]: GCP label keys .* use a key such as "example_com_team"/);
        assert.deepEqual(recorded.filter(r => r.type.startsWith("gcp:")), []);
        const value = await failureOf(runProgram(program({ labels: { team: "Payments" } }, undefined, { ...PARAMS, labels: {} })));
        assert.match(value.message, /GCP label values hold lower-case letters.*"Payments" does not fit — use a value such as "payments"/);
    });

    it("serves on a requested IPAddress without reserving one, and refuses one that differs from parameters.gcp.address", async () => {
        const { resources } = await runProgram(program(undefined, [{ type: "IPAddress", value: "203.0.113.7" }]));
        assert.deepEqual(ofType(resources, ADDRESS), []);
        const rules = ofType(resources, RULE);
        assert.equal(rules.length, 2);
        for (const r of rules) assert.equal(r.inputs.ipAddress, "203.0.113.7");
        const err = await failureOf(runProgram(program(undefined, [{ type: "IPAddress", value: "203.0.113.7" }], { ...PARAMS, address: "203.0.113.8" })));
        assert.match(err.message, /spec\.addresses\[0\]\.value "203\.0\.113\.7" differs from the GatewayClass parameters\.gcp\.address "203\.0\.113\.8"/);
    });

    it("serves on a NamedAddress; an empty IPAddress reserves one; a Hostname is refused", async () => {
        const named = await runProgram(program(undefined, [{ type: "NamedAddress", value: "edge-ip" }]));
        assert.deepEqual(ofType(named.resources, RULE).map(r => r.inputs.ipAddress), ["edge-ip", "edge-ip"]);
        const empty = await runProgram(program(undefined, [{ type: "IPAddress" }]));
        assert.equal(ofType(empty.resources, ADDRESS).length, 1);
        const err = await failureOf(runProgram(program(undefined, [{ type: "Hostname", value: "edge.example.com" }])));
        assert.match(err.message, /spec\.addresses\[0\]\.type "Hostname": a GCP load balancer serves on a global IP address/);
    });

    it("says the annotations are not carried (a warning, not a silent drop), and changes nothing without infrastructure", () => {
        const planOf = (infrastructure?: GatewayInfrastructure) => compile({
            gateways: [{ name: "edge", namespace: "infra", gatewayClassName: "c", listeners: [{ name: "http", port: 80, protocol: "HTTP" }], infrastructure }], routes: [], services: [],
        }).gateways[0];
        const dp = buildDataPlane(planOf({ annotations: { "example.com/owner": "edge" } }), PARAMS);
        assert.deepEqual(dp.problems, []);
        assert.ok(dp.notes.some(n => /spec\.infrastructure\.annotations \(example\.com\/owner\) are not carried: the GCP resources of a load balancer take labels, not annotations/.test(n)), dp.notes.join("\n"));
        assert.deepEqual(buildDataPlane(planOf(), PARAMS).labels, PARAMS.labels);
    });
});
