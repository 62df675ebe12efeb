// Gateway spec.tls (frontend client-certificate validation, backend client certificate): the CRD's
// rules as validation issues naming field, value and fix; what compile decides per port; the
// conditions upstream prescribes for bad refs; and the features a plan then uses.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { validateGateway } from "../routing/validate";
import { compile } from "../routing/compile";
import { featuresOfGateway } from "../routing/features";
import { routingTable } from "../routing/table";
import { GatewaySpec, Listener, ReferenceGrantSpec } from "../routing/types";

const https = (name: string, port: number, hostname?: string): Listener => ({
    name, port, protocol: "HTTPS", ...(hostname ? { hostname } : {}), tls: { certificateRefs: [{ name: "server" }] },
});
const gw = (extra: Partial<GatewaySpec>, listeners: Listener[] = [https("https", 443), https("alt", 8443, "alt.example.com"), { name: "http", port: 80, protocol: "HTTP" }]): GatewaySpec => ({
    name: "edge", namespace: "infra", gatewayClassName: "c", listeners, ...extra,
});
const ca = (name: string, extra: Record<string, unknown> = {}) => ({ group: "", kind: "ConfigMap", name, ...extra });
const issues = (tls: unknown) => validateGateway(gw({ tls } as Partial<GatewaySpec>)).map(i => `${i.field}: ${i.message}`);
const planOf = (spec: GatewaySpec, referenceGrants: ReferenceGrantSpec[] = []) =>
    compile({ gateways: [spec], routes: [], services: [], referenceGrants }).gateways[0];
const condition = (plan: ReturnType<typeof planOf>, listener: string, type: string) =>
    plan.status.listeners.find(l => l.name === listener)!.conditions.find(c => c.type === type)!;

describe("Gateway spec.tls", () => {
    it("accepts what the CRD accepts", () => {
        assert.deepStrictEqual(issues({
            frontend: {
                default: { validation: { caCertificateRefs: [ca("root")] } },
                perPort: [{ port: 8443, tls: { validation: { mode: "AllowInsecureFallback", caCertificateRefs: [ca("other", { namespace: "pki" })] } } }, { port: 9443, tls: {} }],
            },
            backend: { clientCertificateRef: { name: "client" } },
        }), []);
        assert.deepStrictEqual(issues({ frontend: { default: {} } }), []);
        // An unsupported kind is valid input: it is the listener's ResolvedRefs condition.
        assert.deepStrictEqual(issues({ frontend: { default: { validation: { caCertificateRefs: [{ group: "", kind: "Service", name: "x" }] } } } }), []);
    });

    it("refuses what the CRD refuses, naming the field and the fix", () => {
        const has = (tls: unknown, re: RegExp) => assert.ok(issues(tls).some(i => re.test(i)), `${JSON.stringify(tls)}: ${issues(tls).join("\n")}`);
        has({ frontend: {} }, /^spec\.tls\.frontend\.default: is required/);
        has({ frontend: { default: { validation: {} } } }, /^spec\.tls\.frontend\.default\.validation\.caCertificateRefs: is required/);
        has({ frontend: { default: { validation: { caCertificateRefs: [] } } } }, /caCertificateRefs: must have at least 1/);
        has({ frontend: { default: { validation: { caCertificateRefs: Array.from({ length: 17 }, (_, i) => ca(`c${i}`)) } } } }, /caCertificateRefs: must have at most 16/);
        has({ frontend: { default: { validation: { caCertificateRefs: [{ kind: "ConfigMap", name: "x" }] } } } }, /caCertificateRefs\[0\]\.group: is required .*write group: "" for a ConfigMap/);
        has({ frontend: { default: { validation: { caCertificateRefs: [{ group: "", name: "x" }] } } } }, /caCertificateRefs\[0\]\.kind: is required/);
        has({ frontend: { default: { validation: { caCertificateRefs: [ca("x")], mode: "allowValidOnly" } } } }, /validation\.mode: values are case-sensitive; write 'AllowValidOnly'/);
        has({ frontend: { default: {}, perPort: [{ port: 8443, tls: {} }, { port: 8443, tls: {} }] } }, /^spec\.tls\.frontend\.perPort\[1\]\.port: must be unique within the Gateway: perPort\[0\] also configures port 8443/);
        has({ frontend: { default: {}, perPort: [{ port: 70000, tls: {} }] } }, /perPort\[0\]\.port: must be from 1 to 65535/);
        has({ frontend: { default: {}, perPort: [{ port: 443 }] } }, /perPort\[0\]\.tls: is required/);
        has({ backend: { clientCertificateRef: {} } }, /^spec\.tls\.backend\.clientCertificateRef\.name: is required/);
        has({ backend: { clientCertificateRef: { name: "c", namespace: "Bad_NS" } } }, /clientCertificateRef\.namespace: must be a DNS label/);
    });

    it("resolves validation per HTTPS port: the perPort entry, else the default; HTTP ports never", () => {
        const plan = planOf(gw({ tls: { frontend: {
            default: { validation: { caCertificateRefs: [ca("root")] } },
            perPort: [
                { port: 8443, tls: { validation: { mode: "AllowInsecureFallback", caCertificateRefs: [ca("alt-a"), ca("alt-b"), ca("alt-a")] } } },
                { port: 80, tls: { validation: { caCertificateRefs: [ca("never")] } } },
            ],
        } } }));
        const port = (n: number) => plan.ports.find(p => p.port === n)!;
        assert.deepStrictEqual(port(443).frontendValidation, { caCertificateKeys: ["infra/root"], mode: "AllowValidOnly", field: "spec.tls.frontend.default.validation" });
        assert.deepStrictEqual(port(8443).frontendValidation, { caCertificateKeys: ["infra/alt-a", "infra/alt-b"], mode: "AllowInsecureFallback", field: "spec.tls.frontend.perPort[0].tls.validation" });
        assert.strictEqual(port(80).frontendValidation, undefined);
        assert.deepStrictEqual(routingTable(plan).split("\n").filter(l => l.startsWith("  listener")), [
            "  listener https HTTPS :443 · client certificate required (CA infra/root)",
            "  listener alt HTTPS :8443 host alt.example.com · client certificate asked, not required (CA infra/alt-a, infra/alt-b)",
            "  listener http HTTP :80",
        ]);
        const insecure = plan.status.conditions.find(c => c.type === "InsecureFrontendValidationMode")!;
        assert.deepStrictEqual([insecure.status, insecure.reason], ["True", "ConfigurationChanged"]);
        assert.match(insecure.message, /^port 8443 accepts connections without a valid client certificate/);
        for (const l of ["https", "alt"]) assert.strictEqual(condition(plan, l, "ResolvedRefs").status, "True");
        assert.deepStrictEqual(featuresOfGateway(plan).filter(u => u.feature.startsWith("GatewayFrontend")).map(u => [u.feature, u.field, u.listeners]), [
            ["GatewayFrontendClientCertificateValidation", "spec.tls.frontend.default.validation", ["https"]],
            ["GatewayFrontendClientCertificateValidation", "spec.tls.frontend.perPort[0].tls.validation", ["alt"]],
            ["GatewayFrontendClientCertificateValidationInsecureFallback", "spec.tls.frontend.perPort[0].tls.validation", ["alt"]],
        ]);
        // A perPort entry without validation turns validation off for its port only.
        const off = planOf(gw({ tls: { frontend: { default: { validation: { caCertificateRefs: [ca("root")] } }, perPort: [{ port: 8443, tls: {} }] } } }));
        assert.strictEqual(off.ports.find(p => p.port === 8443)!.frontendValidation, undefined);
        assert.ok(off.ports.find(p => p.port === 443)!.frontendValidation);
        assert.strictEqual(off.status.conditions.find(c => c.type === "InsecureFrontendValidationMode"), undefined);
        assert.deepStrictEqual(featuresOfGateway(planOf(gw({}))).filter(u => u.feature.startsWith("GatewayFrontend")), []);
    });

    it("marks bad CA refs on every HTTPS listener of the port: kind, missing grant, none usable", () => {
        const spec = gw({ tls: { frontend: {
            default: { validation: { caCertificateRefs: [ca("root"), { group: "", kind: "Secret", name: "oops" }] } },
            perPort: [
                { port: 8443, tls: { validation: { caCertificateRefs: [ca("pki-ca", { namespace: "pki" })] } } },
            ],
        } } }, [https("https", 443), https("https-b", 443, "b.example.com"), https("alt", 8443, "alt.example.com")]);
        const plan = planOf(spec);
        for (const l of ["https", "https-b"]) {
            const rr = condition(plan, l, "ResolvedRefs");
            assert.deepStrictEqual([rr.status, rr.reason], ["False", "InvalidCACertificateKind"], l);
            assert.match(rr.message, /caCertificateRefs\[1\] names Secret infra\/oops; gatewaykit reads CA certificates from ConfigMaps only/);
            // One usable ref remains: the listener serves, validating against it.
            assert.strictEqual(condition(plan, l, "Accepted").status, "True");
            assert.strictEqual(condition(plan, l, "Programmed").status, "True");
        }
        assert.deepStrictEqual(plan.ports.find(p => p.port === 443)!.frontendValidation!.caCertificateKeys, ["infra/root"]);
        const alt = condition(plan, "alt", "ResolvedRefs");
        assert.deepStrictEqual([alt.status, alt.reason], ["False", "RefNotPermitted"]);
        const accepted = condition(plan, "alt", "Accepted");
        assert.deepStrictEqual([accepted.status, accepted.reason], ["False", "NoValidCACertificate"]);
        assert.strictEqual(condition(plan, "alt", "Programmed").status, "False");
        assert.strictEqual(plan.ports.find(p => p.port === 8443)!.frontendValidation, undefined);

        // A ReferenceGrant from Gateways of infra to that ConfigMap makes it usable.
        const granted = planOf(spec, [{ name: "g", namespace: "pki", from: [{ group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "infra" }], to: [{ group: "", kind: "ConfigMap" }] }]);
        assert.strictEqual(condition(granted, "alt", "ResolvedRefs").status, "True");
        assert.deepStrictEqual(granted.ports.find(p => p.port === 8443)!.frontendValidation!.caCertificateKeys, ["pki/pki-ca"]);
        // A grant for another kind (or from HTTPRoutes) does not.
        const wrongGrant = planOf(spec, [{ name: "g", namespace: "pki", from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "infra" }], to: [{ group: "", kind: "ConfigMap" }] }]);
        assert.strictEqual(condition(wrongGrant, "alt", "ResolvedRefs").reason, "RefNotPermitted");
    });

    it("resolves the backend client certificate, with the Gateway's ResolvedRefs condition", () => {
        const ok = planOf(gw({ tls: { backend: { clientCertificateRef: { name: "client" } } } }));
        assert.deepStrictEqual(ok.backendTLS, { clientCertificateKey: "infra/client" });
        assert.strictEqual(ok.status.conditions.find(c => c.type === "ResolvedRefs")!.status, "True");
        assert.deepStrictEqual(featuresOfGateway(ok).filter(u => u.feature === "GatewayBackendClientCertificate").map(u => u.field), ["spec.tls.backend.clientCertificateRef"]);
        const cases: [Record<string, unknown>, string][] = [
            [{ name: "client", group: "wrong.group.company.io" }, "InvalidClientCertificateRef"],
            [{ name: "client", kind: "WrongKind" }, "InvalidClientCertificateRef"],
            [{ name: "client", namespace: "elsewhere" }, "RefNotPermitted"],
        ];
        for (const [ref, reason] of cases) {
            const plan = planOf(gw({ tls: { backend: { clientCertificateRef: ref as { name: string } } } }));
            const rr = plan.status.conditions.find(c => c.type === "ResolvedRefs")!;
            assert.deepStrictEqual([rr.status, rr.reason], ["False", reason], JSON.stringify(ref));
            assert.match(rr.message, /^spec\.tls\.backend\.clientCertificateRef names /);
            assert.strictEqual(plan.backendTLS, undefined);
        }
        // Without spec.tls.backend the Gateway has no ResolvedRefs condition of its own.
        assert.strictEqual(planOf(gw({})).status.conditions.find(c => c.type === "ResolvedRefs"), undefined);
    });

    it("compiles the upstream conformance Gateways with the conditions their tests expect", () => {
        const dir = path.resolve(__dirname, "..", "..", "shared", "gateway-api-v1.6.1", "conformance");
        const specOf = (file: string, name?: string): GatewaySpec => {
            const doc = parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8")).map(d => d.toJS())
                .find(d => d?.kind === "Gateway" && (name === undefined || d.metadata.name === name));
            return { name: doc.metadata.name, namespace: doc.metadata.namespace, ...doc.spec, gatewayClassName: "c" };
        };
        for (const file of ["gateway-with-clientcertificate-validation.yaml", "gateway-with-clientcertificate-validation-insecure-fallback.yaml"]) {
            const spec = specOf(file);
            assert.deepStrictEqual(validateGateway(spec), [], file);
            const plan = planOf(spec);
            const mode = file.includes("fallback") ? "AllowInsecureFallback" : "AllowValidOnly";
            assert.deepStrictEqual(plan.ports.map(p => [p.port, p.frontendValidation?.caCertificateKeys, p.frontendValidation?.mode]), [
                [443, ["gateway-conformance-infra/tls-validity-checks-ca-certificate"], mode],
                [8443, ["gateway-conformance-infra/tls-validity-checks-per-port-ca-certificate"], mode],
            ], file);
        }
        const invalid = planOf(specOf("gateway-with-invalid-clientcertificate-validation.yaml"));
        // 7443 names a ConfigMap that does not exist: only the data plane knows (it refuses the missing bundle).
        assert.deepStrictEqual(["https", "https-unresolved", "https-invalid-kind", "https-grant-missing"].map(l => condition(invalid, l, "ResolvedRefs").reason),
            ["ResolvedRefs", "ResolvedRefs", "InvalidCACertificateKind", "RefNotPermitted"]);
        assert.deepStrictEqual(["https-invalid-kind", "https-grant-missing"].map(l => condition(invalid, l, "Accepted").reason), ["NoValidCACertificate", "NoValidCACertificate"]);
        // The default's perPort entry for port 80 (an HTTP listener) changes nothing.
        const httpPort = planOf(specOf("gateway-invalid-default-frontend-client-certificate-validation.yaml"));
        assert.strictEqual(httpPort.ports.find(p => p.port === 80)!.frontendValidation, undefined);
        assert.deepStrictEqual(httpPort.ports.find(p => p.port === 443)!.frontendValidation!.caCertificateKeys, ["gateway-conformance-infra/does-not-exist"]);
        const backend = (name: string) => planOf(specOf("gateway-invalid-tls-backend-configuration.yaml", name)).status.conditions.find(c => c.type === "ResolvedRefs")!.reason;
        assert.deepStrictEqual(["gateway-client-certificate-unsupported-group", "gateway-client-certificate-unsupported-kind", "gateway-client-certificate-missing-reference-grant"].map(backend),
            ["InvalidClientCertificateRef", "InvalidClientCertificateRef", "RefNotPermitted"]);
        assert.deepStrictEqual(planOf(specOf("gateway-tls-backend-client-certificate.yaml")).backendTLS, { clientCertificateKey: "gateway-conformance-infra/tls-checks-client-certificate" });
    });
});
