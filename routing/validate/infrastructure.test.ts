// Gateway spec.infrastructure and spec.addresses: the CRD's limits, each issue naming the field and
// the fix; what compile carries into the plan and which features the plan then uses.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { validateGateway } from ".";
import { compile } from "../compile";
import { featuresOfGateway } from "../features";
import { GatewaySpec } from "../types";

const gw = (extra: Partial<GatewaySpec>): GatewaySpec => ({
    name: "edge", namespace: "infra", gatewayClassName: "c", listeners: [{ name: "http", port: 80, protocol: "HTTP" }], ...extra,
});
const issues = (extra: Record<string, unknown>) => validateGateway(gw(extra as Partial<GatewaySpec>)).map(i => `${i.field}: ${i.message}`);

describe("Gateway spec.infrastructure and spec.addresses", () => {
    it("accepts labels, annotations and addresses within the CRD's limits", () => {
        assert.deepStrictEqual(issues({
            infrastructure: { labels: { "example.com/team": "a", env: "" }, annotations: { "example.com/note": "free text; any characters" } },
            addresses: [{ value: "203.0.113.7" }, { type: "IPAddress", value: "2001:db8::1" }, { type: "Hostname", value: "*.example.com" }, { type: "NamedAddress", value: "edge-ip" }, { type: "example.com/pool" }],
        }), []);
    });

    it("refuses what the CRD refuses, naming the field", () => {
        const labels = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`l${i}`, "v"]));
        assert.ok(issues({ infrastructure: { labels } }).some(i => /^spec\.infrastructure\.labels: must have at most 8 entries \(has 9\)/.test(i)));
        assert.ok(issues({ infrastructure: { labels: { "a/b/c": "v" } } }).some(i => /^spec\.infrastructure\.labels: label key 'a\/b\/c'/.test(i)));
        assert.ok(issues({ infrastructure: { labels: { k: "-bad" } } }).some(i => /label 'k' has an invalid value/.test(i)));
        const annotations = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`a${i}`, "v"]));
        assert.ok(issues({ infrastructure: { annotations } }).some(i => /^spec\.infrastructure\.annotations: must have at most 16 entries/.test(i)));
        assert.ok(issues({ infrastructure: { annotations: { k: "x".repeat(4097) } } }).some(i => /^spec\.infrastructure\.annotations\["k"\]: /.test(i)));
        assert.ok(issues({ infrastructure: { annotations: { "-k": "v" } } }).some(i => /annotation key '-k'/.test(i)));
        assert.ok(issues({ infrastructure: { parametersRef: { group: "example.com", kind: "Config", name: "c" } } })
            .some(i => /^spec\.infrastructure\.parametersRef: is not supported: gatewaykit reads .* from its GatewayClass/.test(i)));
        assert.ok(issues({ addresses: [{ value: "not-an-ip" }] }).some(i => /^spec\.addresses\[0\]\.value: must be an IPv4 or IPv6 address/.test(i)));
        assert.ok(issues({ addresses: [{ type: "Hostname", value: "Bad_Host" }] }).some(i => /^spec\.addresses\[0\]\.value: must be a hostname/.test(i)));
        assert.ok(issues({ addresses: [{ type: "Weird" }] }).some(i => /^spec\.addresses\[0\]\.type: must be 'IPAddress', 'Hostname', 'NamedAddress' or a domain-prefixed type/.test(i)));
        assert.ok(issues({ addresses: [{ value: "10.0.0.1" }, { value: "10.0.0.1" }] }).some(i => /^spec\.addresses\[1\]\.value: IPAddress values must be unique; address 0/.test(i)));
        assert.ok(issues({ addresses: Array.from({ length: 17 }, (_, i) => ({ value: `10.0.0.${i}` })) }).some(i => /^spec\.addresses: /.test(i)));
    });

    it("carries them into the plan, where they are the Gateway-wide features they name", () => {
        const plan = compile({
            gateways: [gw({ infrastructure: { labels: { env: "prod" }, annotations: {} }, addresses: [{ value: "10.0.0.1" }, { type: "IPAddress" }] })], routes: [], services: [],
        }).gateways[0];
        assert.deepStrictEqual(plan.infrastructure, { labels: { env: "prod" } });
        assert.deepStrictEqual(plan.addresses, [{ value: "10.0.0.1" }, { type: "IPAddress" }]);
        assert.deepStrictEqual(featuresOfGateway(plan).map(u => [u.feature, u.field, u.listeners]), [
            ["GatewayInfrastructurePropagation", "spec.infrastructure", []],
            ["GatewayStaticAddresses", "spec.addresses[0]", []],
            ["GatewayAddressEmpty", "spec.addresses[1]", []],
        ]);
        const bare = compile({ gateways: [gw({ infrastructure: { labels: {} } })], routes: [], services: [] }).gateways[0];
        assert.strictEqual(bare.infrastructure, undefined);
        assert.deepStrictEqual(featuresOfGateway(bare), []);
    });

    it("accepts the upstream conformance Gateways with infrastructure metadata and an address without a value, as their features", () => {
        const dir = path.resolve(__dirname, "../../../shared/gateway-api-v1.6.1/conformance");
        const specOf = (file: string): GatewaySpec => {
            const doc = parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8")).map(d => d.toJS()).find(d => d?.kind === "Gateway");
            return { name: doc.metadata.name, namespace: doc.metadata.namespace, ...doc.spec, gatewayClassName: "c" };
        };
        const expected: [string, string[]][] = [
            ["gateway-infrastructure.yaml", ["GatewayInfrastructurePropagation"]],
            ["gateway-optional-address-value.yaml", ["GatewayAddressEmpty"]],
        ];
        for (const [file, features] of expected) {
            const spec = specOf(file);
            assert.deepStrictEqual(validateGateway(spec), [], file);
            const plan = compile({ gateways: [spec], routes: [], services: [] }).gateways[0];
            assert.deepStrictEqual(featuresOfGateway(plan).map(u => u.feature).filter(f => f.startsWith("GatewayInfra") || f.startsWith("GatewayAddress") || f.startsWith("GatewayStatic")), features, file);
        }
    });
});
