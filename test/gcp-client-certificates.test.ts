// Gateway spec.tls on the gcp adapter (Pulumi mocks): each HTTPS port with client-certificate
// validation gets a Certificate Manager TrustConfig (its CA bundles as trust anchors) and a
// ServerTlsPolicy on its target HTTPS proxy: REJECT_INVALID for AllowValidOnly,
// ALLOW_INVALID_OR_MISSING_CLIENT_CERT for AllowInsecureFallback; a missing bundle is refused before
// any GCP resource. spec.tls.backend's client certificate is one CLIENT_AUTH Certificate Manager
// certificate (key secret) that every BackendAuthenticationConfig of the gateway presents.
import { strict as assert } from "assert";
import { BackendTLSPolicy, Gateway, GatewayClass, HTTPRoute, Service } from "../components";
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

});

const CERT = "gcp:certificatemanager/certificate:Certificate";
const AUTH = "gcp:networksecurity/backendAuthenticationConfig:BackendAuthenticationConfig";
const BS = "gcp:compute/backendService:BackendService";
/** How the engine marks a secret value, as the mocks record inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const clientPem = (tag: string) => ({ certificate: `${pem(`client-${tag}`)}\n`, privateKey: `-----BEGIN PRIVATE KEY-----\n${tag}-private-key\n-----END PRIVATE KEY-----\n` });

/**
 * Three backends: api (BackendTLSPolicy with a CA bundle), pub (BackendTLSPolicy over the system
 * roots), web (no policy: plain HTTP); the Gateway presents `backend` when given.
 */
function backendProgram(opts: { backend?: boolean; material?: ReturnType<typeof clientPem>; policies?: boolean }) {
    return () => {
        const gateway = new Gateway("edge", {
            gatewayClass: { name: "gcp", controllerName: "gatewaykit.dev/gcp-alb", parameters: { gcp: { project: "p", zone: "z" } } }, namespace: "infra",
            listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
            ...(opts.backend ? { tls: { backend: { clientCertificateRef: { name: "to-backends" } } } } : {}),
            ...(opts.material ? { certificates: { "to-backends": opts.material } } : {}),
        });
        const svc = (name: string, port: number) => new Service(name, { namespace: "infra", port, endpoints: [{ address: "10.0.0.5" }], realizations: { gcp: { instance: "vm" } } });
        const api = svc("api", 8443), pub = svc("pub", 443);
        svc("web", 8080);
        if (opts.policies !== false) {
            new BackendTLSPolicy("api-tls", { namespace: "infra", targetRefs: [api], validation: { hostname: "api.internal", caCertificates: { "api-ca": pem("api-ca") } } });
            new BackendTLSPolicy("pub-tls", { namespace: "infra", targetRefs: [pub], validation: { hostname: "pub.example.com", wellKnownCACertificates: "System" } });
        }
        new HTTPRoute("web", { namespace: "infra", parentRefs: [{ gateway }], rules: [
            { matches: [{ path: { value: "/api" } }], backendRefs: [{ name: "api", port: 8443 }] },
            { matches: [{ path: { value: "/pub" } }], backendRefs: [{ name: "pub", port: 443 }] },
            { backendRefs: [{ name: "web", port: 8080 }] },
        ] });
    };
}

const authOf = (service: string) => resourcesOfType(AUTH).find(r => r.name === `infra/edge/backendauth/infra/${service}`)!;
const backendOf = (service: string) => resourcesOfType(BS).find(r => r.name === `infra/edge/backend/infra/${service}`)!;

describe("gcp: the Gateway's backend client certificate (spec.tls.backend, mocks)", () => {
    before(() => setupMocks());

    it("uploads it as one CLIENT_AUTH Certificate Manager certificate, key secret, that every BackendAuthenticationConfig presents", async () => {
        const material = clientPem("a");
        await runProgram(backendProgram({ backend: true, material }));
        const certs = resourcesOfType(CERT);
        assert.deepEqual(certs.map(c => c.name), ["infra/edge/backendclientcertificate/infra/to-backends"]);
        const [cert] = certs;
        assert.equal(cert.inputs.scope, "CLIENT_AUTH");
        assert.equal(cert.inputs.location, "global");
        assert.equal(cert.inputs.project, "p");
        assert.equal(typeof cert.inputs.name, "string", "the name is plain (it hashes the public certificate only)");
        assert.match(cert.inputs.name as string, /^gk-edge-backend-client-[0-9a-f]{7}$/);
        // The PEMs come out of the secret certificates argument (the key wrapped in pulumi.secret too): the engine records the block as one secret.
        assert.deepEqual(cert.inputs.selfManaged, { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: { pemCertificate: material.certificate, pemPrivateKey: material.privateKey } });
        // Both TLS backends present it: over the CA bundle's TrustConfig, and over Google's public roots alone.
        const api = authOf("api:8443"), pub = authOf("pub:443");
        assert.equal(api.inputs.clientCertificate, `${cert.name}-id`);
        assert.equal(api.inputs.wellKnownRoots, "NONE");
        assert.ok(api.inputs.trustConfig);
        assert.equal(pub.inputs.clientCertificate, `${cert.name}-id`);
        assert.equal(pub.inputs.wellKnownRoots, "PUBLIC_ROOTS");
        assert.equal(pub.inputs.trustConfig, undefined);
        assert.equal((backendOf("api:8443").inputs.tlsSettings as { authenticationConfig: string }).authenticationConfig, `//networksecurity.googleapis.com/${api.name}-id`);
        // The plain-HTTP backend has no TLS to present it on.
        assert.equal(backendOf("web:8080").inputs.protocol, "HTTP");
        assert.equal(backendOf("web:8080").inputs.tlsSettings, undefined);
        assert.equal(resourcesOfType(AUTH).length, 2);
    });

    it("a new certificate is a new Certificate and new BackendAuthenticationConfigs (names hash it), logical names and backend services kept", async () => {
        const run = async (material: ReturnType<typeof clientPem>) => {
            await runProgram(backendProgram({ backend: true, material }));
            return {
                cert: resourcesOfType(CERT).map(r => [r.name, r.inputs.name]),
                auth: resourcesOfType(AUTH).map(r => [r.name, r.inputs.name]).sort(),
                backends: resourcesOfType(BS).map(r => [r.name, r.inputs.name]).sort(),
            };
        };
        const a = await run(clientPem("a")), a2 = await run(clientPem("a")), b = await run(clientPem("b"));
        assert.deepEqual(a2, a, "the same certificate, the same names");
        assert.equal(a.cert[0][0], b.cert[0][0]);
        assert.notEqual(a.cert[0][1], b.cert[0][1]);
        assert.deepEqual(a.auth.map(x => x[0]), b.auth.map(x => x[0]));
        a.auth.forEach((x, i) => assert.notEqual(x[1], b.auth[i][1], `${x[0]}: clientCertificate is immutable on GCP, so a new one needs a new config`));
        assert.deepEqual(a.backends, b.backends);
        // Without a client certificate the configs have their own names, and present nothing.
        await runProgram(backendProgram({}));
        assert.deepEqual(resourcesOfType(CERT), []);
        for (const r of resourcesOfType(AUTH)) assert.equal(r.inputs.clientCertificate, undefined);
        const plain = resourcesOfType(AUTH).map(r => r.inputs.name as string);
        for (const [, n] of a.auth) assert.ok(!plain.includes(n as string));
    });

    it("creates nothing for it when no backend has a BackendTLSPolicy: every backend is plain HTTP", async () => {
        await runProgram(backendProgram({ backend: true, material: clientPem("a"), policies: false }));
        assert.deepEqual(resourcesOfType(CERT), []);
        assert.deepEqual(resourcesOfType(AUTH), []);
        assert.ok(resourcesOfType(BS).length > 0);
        for (const b of resourcesOfType(BS)) assert.equal(b.inputs.tlsSettings, undefined);
    });

    it("refuses a clientCertificateRef without its certificate material before any GCP resource", async () => {
        const err = await failureOf(runProgram(backendProgram({ backend: true })));
        assert.match(err.message, /spec\.tls\.backend\.clientCertificateRef: no certificate material for Secret infra\/to-backends; give it as the Gateway's certificates\["infra\/to-backends"\] \(\{ certificate, privateKey \}\)/);
        assert.deepEqual(recordedResources().filter(r => r.type.startsWith("gcp:")), []);
    });
});
