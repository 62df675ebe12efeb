// Gateway spec.tls on the gcp adapter (Pulumi mocks): each HTTPS port with client-certificate
// validation gets a Certificate Manager TrustConfig (its CA bundles as trust anchors) and a
// ServerTlsPolicy on its target HTTPS proxy: REJECT_INVALID for AllowValidOnly,
// ALLOW_INVALID_OR_MISSING_CLIENT_CERT for AllowInsecureFallback; a missing bundle is refused before
// any GCP resource; the backend client certificate is refused with the reason.
import { strict as assert } from "assert";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import type { GatewayTLS } from "../routing/types";
import { failureOf, recordedResources, resourcesOfType, runProgram, setupMocks } from "../testing";

const PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy";
const TRUST = "gcp:certificatemanager/trustConfig:TrustConfig";
const POLICY = "gcp:networksecurity/serverTlsPolicy:ServerTlsPolicy";
const pem = (tag: string) => `-----BEGIN CERTIFICATE-----\nMII${tag}\n-----END CERTIFICATE-----`;
const caRef = (name: string) => ({ group: "", kind: "ConfigMap", name });

function program(tls: GatewayTLS, caCertificates: Record<string, string>) {
    return () => {
        const cls = new GatewayClass("gcp", { controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: { project: "p", zone: "z" } } });
        const gateway = new Gateway("edge", {
            gatewayClass: cls, namespace: "infra",
            listeners: [
                { name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "www-cert" }] } },
                { name: "partners", port: 8443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "www-cert" }] } },
                { name: "open", port: 9443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "www-cert" }] } },
            ],
            tls, caCertificates,
        });
        new Service("web", { namespace: "infra", port: 80, endpoints: [{ address: "10.0.0.5" }], realizations: { gcp: { instance: "vm" } } });
        new HTTPRoute("web", { namespace: "infra", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] });
    };
}

const tls: GatewayTLS = { frontend: {
    default: { validation: { caCertificateRefs: [caRef("clients"), caRef("legacy")] } },
    perPort: [
        { port: 8443, tls: { validation: { mode: "AllowInsecureFallback", caCertificateRefs: [caRef("clients")] } } },
        { port: 9443, tls: {} },
    ],
} };

describe("gcp: Gateway spec.tls (mocks)", () => {
    before(() => setupMocks());

    it("puts a ServerTlsPolicy with a TrustConfig of the port's CAs on each validating target HTTPS proxy", async () => {
        await runProgram(program(tls, { clients: pem("clients"), "infra/legacy": `${pem("legacy1")}\n${pem("legacy2")}\n` }));
        const proxies = new Map(resourcesOfType(PROXY).map(p => [p.name.split("/").pop(), p.inputs]));
        const policies = resourcesOfType(POLICY), trusts = resourcesOfType(TRUST);
        assert.deepEqual(policies.map(p => p.name).sort(), ["infra/edge/servertlspolicy/443", "infra/edge/servertlspolicy/8443"]);
        const mode = (port: string) => (policies.find(p => p.name.endsWith(`/${port}`))!.inputs.mtlsPolicy as { clientValidationMode: string }).clientValidationMode;
        assert.equal(mode("443"), "REJECT_INVALID");
        assert.equal(mode("8443"), "ALLOW_INVALID_OR_MISSING_CLIENT_CERT");
        for (const p of policies) {
            assert.equal(p.inputs.location, "global");
            assert.ok((p.inputs.mtlsPolicy as { clientValidationTrustConfig?: string }).clientValidationTrustConfig, "the policy names its TrustConfig");
        }
        const anchors = (port: string) => ((trusts.find(t => t.name.endsWith(`/${port}`))!.inputs.trustStores as { trustAnchors: { pemCertificate: string }[] }[])[0].trustAnchors).map(a => a.pemCertificate.trim());
        assert.deepEqual(anchors("443"), [pem("clients"), pem("legacy1"), pem("legacy2")]);
        assert.deepEqual(anchors("8443"), [pem("clients")]);
        assert.ok(proxies.get("443")!.serverTlsPolicy, "port 443's proxy carries its ServerTlsPolicy");
        assert.ok(proxies.get("8443")!.serverTlsPolicy);
        assert.equal(proxies.get("9443")!.serverTlsPolicy, undefined, "port 9443's perPort entry turns validation off");
    });

    it("refuses a caCertificateRef without its bundle before any GCP resource", async () => {
        const err = await failureOf(runProgram(program(tls, { clients: pem("clients") })));
        assert.match(err.message, /port 443: no CA bundle for caCertificateRef ConfigMap infra\/legacy; give its ca\.crt as the Gateway's caCertificates\["infra\/legacy"\]/);
        assert.deepEqual(recordedResources().filter(r => r.type.startsWith("gcp:")), []);
    });

    it("refuses the backend client certificate with the reason", async () => {
        const err = await failureOf(runProgram(program({ backend: { clientCertificateRef: { name: "to-backends" } } }, {})));
        assert.match(err.message, /spec\.tls\.backend\.clientCertificateRef uses GatewayBackendClientCertificate, which the gcp adapter does not support \(the gcp adapter does not attach a client certificate to its backend services' TLS/);
    });
});
