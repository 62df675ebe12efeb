// The Gateway component's spec.tls under Pulumi mocks: tls reaches the compile input (and the plan's
// per-port decision), caCertificates and the backend client certificate reach the nginx instance
// with keys normalised to "namespace/name", and the private key stays a secret on the wire.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import type { GatewayInput } from "../routing/plan";
import { outputOf, resourcesOfType, runProgram, setupMocks } from "../testing";

describe("Gateway component spec.tls (Pulumi mocks, nginx)", () => {
    before(() => setupMocks());

    it("carries tls into the input and plan, and caCertificates and the client certificate to the nginx instance", async () => {
        let gateway!: Gateway;
        await runProgram(() => {
            const cls = new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx", parameters: { nginx: { workDir: "/srv/gk" } } });
            gateway = new Gateway("edge", {
                gatewayClass: cls, namespace: "infra",
                listeners: [{ name: "https", port: 18443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "site" }] } }],
                tls: {
                    frontend: { default: { validation: { caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "clients" }] } } },
                    backend: { clientCertificateRef: { name: "to-backends" } },
                },
                certificates: {
                    site: { certificate: "-----BEGIN CERTIFICATE-----\nCERT", privateKey: "-----BEGIN PRIVATE KEY-----\nKEY" },
                    "to-backends": { certificate: "-----BEGIN CERTIFICATE-----\nCLIENT", privateKey: "-----BEGIN PRIVATE KEY-----\nCLIENTKEY" },
                },
                caCertificates: { clients: pulumi.output("-----BEGIN CERTIFICATE-----\nCA") },
            });
            const web = new Service("web", { namespace: "infra", port: 80, endpoints: [{ address: "127.0.0.1", port: 9000 }] });
            new HTTPRoute("site", { namespace: "infra", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: web }] }] });
        });
        const plan = await outputOf(gateway.plan);
        assert.deepEqual(plan.ports[0].frontendValidation, { caCertificateKeys: ["infra/clients"], mode: "AllowValidOnly", field: "spec.tls.frontend.default.validation" });
        assert.deepEqual(plan.backendTLS, { clientCertificateKey: "infra/to-backends" });
        assert.equal((await outputOf(gateway.reference)).tls?.backend?.clientCertificateRef?.name, "to-backends");
        const [recorded] = resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway");
        const inputs = recorded.inputs as Record<string, unknown>;
        assert.deepEqual((inputs.input as GatewayInput).gateway.tls?.frontend?.default.validation?.caCertificateRefs.map(r => r.name), ["clients"]);
        assert.deepEqual(inputs.caCertificates, { "infra/clients": "-----BEGIN CERTIFICATE-----\nCA" });
        const certs = inputs.certificates as Record<string, unknown>;
        assert.ok(pulumi.runtime.isRpcSecret(certs), "certificates reached the engine as plain text");
        assert.deepEqual(Object.keys(pulumi.runtime.unwrapRpcSecret(certs)).sort(), ["infra/site", "infra/to-backends"]);
        assert.ok(!JSON.stringify(inputs.input).includes("CLIENTKEY"));
    });

    it("refuses a caCertificateRef the Gateway has no bundle for, before the nginx instance is declared", async () => {
        let gateway!: Gateway;
        await runProgram(() => {
            gateway = new Gateway("strict", {
                gatewayClass: { name: "local", controllerName: "gatewaykit.dev/nginx", parameters: { nginx: { workDir: "/srv/gk" } } }, namespace: "infra",
                listeners: [{ name: "https", port: 18443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "site" }] } }],
                tls: { frontend: { default: { validation: { caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "clients" }] } } } },
                certificates: { site: { certificate: "-----BEGIN CERTIFICATE-----\nCERT", privateKey: "-----BEGIN PRIVATE KEY-----\nKEY" } },
                caCertificates: { other: "-----BEGIN CERTIFICATE-----\nCA" },
            });
        }).catch(() => undefined);
        const failure = await gateway.rendered.then(() => undefined, (e: Error) => e.message);
        assert.match(failure ?? "", /port 18443 \(spec\.tls\.frontend\.default\.validation\): no CA bundle for caCertificateRef ConfigMap infra\/clients; give its ca\.crt as the Gateway's caCertificates\["infra\/clients"\]/);
        assert.deepEqual(resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway").filter(r => r.name === "infra-strict-nginx"), []);
    });

    it("refuses spec.tls on an adapter that cannot carry it, naming the field and the reason", async () => {
        let gateway!: Gateway;
        await runProgram(() => {
            gateway = new Gateway("alb", {
                gatewayClass: { name: "aws", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: { vpcId: "vpc-1", subnetIds: ["subnet-1", "subnet-2"] } } },
                namespace: "infra",
                listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
                tls: { backend: { clientCertificateRef: { name: "to-backends" } } },
            });
        }).catch(() => undefined);
        const failure = await gateway.rendered.then(() => undefined, (e: Error) => e.message);
        assert.match(failure ?? "", /Gateway infra\/alb spec\.tls\.backend\.clientCertificateRef uses GatewayBackendClientCertificate, which the aws adapter does not support \(an ALB presents no client certificate to its targets/);
    });
});
