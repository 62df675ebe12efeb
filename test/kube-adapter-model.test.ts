// The kubernetes adapter's checks of what the real kube-apiserver taught (Pulumi mocks; the same
// addresses are tried against the real server in test/kube-adapter-e2e.test.ts): EndpointSlice
// addresses the server refuses are a named error on the Service, before anything is created; and
// parameters.kubernetes.createNamespaces emits the Namespaces the objects are written into.

import * as assert from "assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import { endpointAddressProblem } from "../providers/kubernetes";
import { RecordedResource, failureOf, runProgram, setupMocks } from "../testing";
import { ACCEPTED_ADDRESSES, REFUSED_ADDRESSES } from "./kube/harness";

import { withLoggedErrors } from "./log-kit";

setupMocks();


function seed(address: string, k8s: Record<string, unknown> = {}) {
    const made: { gateway?: Gateway; shop?: Service; route?: HTTPRoute } = {};
    const run = () => {
        const cls = new GatewayClass("k8s", { controllerName: "gatewaykit.dev/kubernetes", parameters: { kubernetes: k8s } });
        made.gateway = new Gateway("edge", {
            gatewayClass: cls, namespace: "infra", listeners: [{ name: "http", protocol: "HTTP", port: 8080, allowedRoutes: { namespaces: { from: "All" } } }],
            namespaceLabels: { infra: { gateway: "edge" }, shop: { team: "shop" } },
        });
        made.shop = new Service("shop", { namespace: "shop", port: 8080, endpoints: [{ address: "10.0.0.5" }, { address }] });
        made.route = new HTTPRoute("store", {
            namespace: "shop", parentRefs: [{ gateway: made.gateway }], hostnames: ["shop.example"],
            rules: [{ backendRefs: [{ service: made.shop }] }],
        });
    };
    return { made, run };
}

const ofType = (rs: RecordedResource[], type: string) => rs.filter(r => r.type === type);

describe("kubernetes adapter: what the real API server refuses, refused first (mocks)", () => {
    it("names each EndpointSlice address the server refuses, with the reason and the fix; accepts the ones it accepts", () => {
        for (const [address, reason] of REFUSED_ADDRESSES) {
            const p = endpointAddressProblem(address);
            assert.ok(p, `${address} passes, the server refuses it`);
            assert.match(p, reason, address);
        }
        for (const address of ACCEPTED_ADDRESSES) assert.strictEqual(endpointAddressProblem(address), undefined, address);
    });

    it("agrees with the ranges on every IPv4 address (property)", () => {
        fc.assert(fc.property(fc.ipV4(), a => {
            const [x, y, z] = a.split(".").map(Number);
            const refused = x === 127 || a === "0.0.0.0" || (x === 169 && y === 254) || (x === 224 && y === 0 && z === 0);
            assert.strictEqual(endpointAddressProblem(a) !== undefined, refused, a);
        }), { numRuns: 2000 });
    });

    it("accepts every canonical IPv6 address outside the refused ranges, and refuses its upper-case spelling (property)", () => {
        fc.assert(fc.property(fc.ipV6(), a => {
            // Node's URL parser writes the RFC 5952 form, as Go's net.IP.String() does.
            const canonical = new URL(`http://[${a}]/`).hostname.slice(1, -1);
            if (/^::ffff:/.test(canonical) || canonical === "::" || canonical === "::1" || /^fe[89ab]/.test(canonical) || /^ff.2:/.test(canonical)) return;
            if (canonical.includes(".")) return;   // an embedded IPv4 tail: Go prints it in hex
            assert.strictEqual(endpointAddressProblem(canonical), undefined, canonical);
            if (/[a-f]/.test(canonical)) assert.match(endpointAddressProblem(canonical.toUpperCase()) ?? "", /canonical form/, canonical);
        }), { numRuns: 1000 });
    });

    it("reports a loopback endpoint on the Service (field, value, fix) before any object is created", async () => {
        const { made, run } = seed("127.0.0.1");
        const { result: err, errors } = await withLoggedErrors(() => failureOf(runProgram(run)));
        assert.match(err.message, /^Service shop\/shop: spec\.endpoints\[1\]\.address: the cluster refuses loopback addresses \(127\.0\.0\.0\/8\) in EndpointSlices: .*realizations\.kubernetes\.serviceName.* \(got "127\.0\.0\.1"\)$/);
        assert.strictEqual(errors.length, 1, errors.map(e => e.message).join("\n"));
        assert.strictEqual(errors[0].resource, made.shop, "reported on the Service");
        const { resources } = await runProgram(() => undefined);
        assert.deepStrictEqual(resources.filter(r => r.type.startsWith("kubernetes:")), []);
    });

    it("without createNamespaces emits no Namespace; with it, one per cluster namespace written into, labelled from namespaceLabels, covering every object", async () => {
        const without = await runProgram(seed("10.0.0.6").run);
        assert.deepStrictEqual(ofType(without.resources, "kubernetes:core/v1:Namespace"), []);

        const { resources } = await runProgram(seed("10.0.0.6", { createNamespaces: true, namespaces: { shop: "team-shop" }, labels: { env: "test" } }).run);
        const nss = ofType(resources, "kubernetes:core/v1:Namespace");
        assert.deepStrictEqual(nss.map(n => n.name).sort(), ["infra", "team-shop"]);
        const labels = Object.fromEntries(nss.map(n => [n.name, (n.inputs as any).metadata.labels]));
        assert.deepStrictEqual(labels, {
            infra: { gateway: "edge", env: "test", "app.kubernetes.io/managed-by": "gatewaykit" },
            "team-shop": { team: "shop", env: "test", "app.kubernetes.io/managed-by": "gatewaykit" },
        });
        // Every namespaced object is written into one of them (their order on a real server: the e2e test).
        const written = new Set(resources.filter(r => r.type.startsWith("kubernetes:") && (r.inputs as any).metadata?.namespace).map(r => (r.inputs as any).metadata.namespace));
        assert.deepStrictEqual([...written].sort(), ["infra", "team-shop"]);
    });

    it("refuses a createNamespaces that is not a boolean, naming the field", async () => {
        const err = await failureOf(runProgram(seed("10.0.0.6", { createNamespaces: "yes" }).run));
        assert.match(err.message, /parameters\.kubernetes\.createNamespaces: must be true or false \(got "yes"\)/);
    });
});
