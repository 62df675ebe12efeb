// Gateway spec.tls on the aws adapter (Pulumi mocks): AllowValidOnly is listener mutualAuthentication
// "verify" with a trust store made from the port's CA bundle, uploaded to parameters.aws.trustStoreBucket;
// AllowInsecureFallback is "passthrough" (every client accepted, its certificate forwarded unverified);
// a missing bucket or bundle is refused naming what to give; the backend client certificate is refused.
import { strict as assert } from "assert";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import type { GatewayTLS } from "../routing/types";
import { failureOf, resourcesOfType, runProgram, setupMocks } from "../testing";

const LISTENER = "aws:lb/listener:Listener";
const TRUST = "aws:lb/trustStore:TrustStore";
const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
const CA = "-----BEGIN CERTIFICATE-----\nMIIBclients\n-----END CERTIFICATE-----\n";
const caRef = { group: "", kind: "ConfigMap", name: "clients" };

function program(aws: Record<string, unknown>, tls: GatewayTLS, caCertificates: Record<string, string> | undefined = { clients: CA }) {
    return () => {
        const cls = new GatewayClass("alb", { controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1", certificateArns: { site: "arn:aws:acm:eu-west-1:123456789012:certificate/site" }, ...aws } } });
        const gateway = new Gateway("edge", {
            gatewayClass: cls, namespace: "infra",
            listeners: [
                { name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "site" }] } },
                { name: "partners", port: 8443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "site" }] } },
            ],
            tls, ...(caCertificates ? { caCertificates } : {}),
        });
        const web = new Service("web", { namespace: "infra", port: 8080, endpoints: [{ address: "10.0.0.10" }] });
        new HTTPRoute("site", { namespace: "infra", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: web }] }] });
    };
}

const frontend: GatewayTLS = { frontend: {
    default: { validation: { caCertificateRefs: [caRef] } },
    perPort: [{ port: 8443, tls: { validation: { mode: "AllowInsecureFallback", caCertificateRefs: [caRef] } } }],
} };

describe("aws: Gateway spec.tls (mocks)", () => {
    before(() => setupMocks());

    it("verifies on AllowValidOnly ports with a trust store from the uploaded bundle, passes through on AllowInsecureFallback ports", async () => {
        await runProgram(program({ trustStoreBucket: "my-pki" }, frontend));
        const listeners = new Map(resourcesOfType(LISTENER).map(l => [l.inputs.port as number, l.inputs]));
        const strict = listeners.get(443)!.mutualAuthentication as Record<string, unknown>;
        assert.equal(strict.mode, "verify");
        assert.equal(strict.ignoreClientCertificateExpiry, false);
        const [store] = resourcesOfType(TRUST);
        const [object] = resourcesOfType(OBJECT);
        assert.equal(resourcesOfType(TRUST).length, 1, "one trust store: the passthrough port needs none");
        assert.ok(typeof strict.trustStoreArn === "string" && strict.trustStoreArn.length > 0, "the listener names the trust store");
        assert.equal(object.inputs.bucket, "my-pki");
        assert.equal(object.inputs.content, CA);
        assert.match(object.inputs.key as string, /^gatewaykit\/infra\/edge\/client-ca-443-[0-9a-f]{12}\.pem$/);
        assert.equal(store.inputs.caCertificatesBundleS3Bucket, "my-pki");
        assert.equal(store.inputs.caCertificatesBundleS3Key, object.inputs.key);
        assert.ok((store.inputs.name as string).length <= 32);
        assert.deepEqual(listeners.get(8443)!.mutualAuthentication, { mode: "passthrough" });
    });

    it("changes the bundle's object key with its content, so the trust store follows a new bundle", async () => {
        await runProgram(program({ trustStoreBucket: "my-pki" }, frontend));
        const first = resourcesOfType(OBJECT)[0].inputs.key;
        await runProgram(program({ trustStoreBucket: "my-pki" }, frontend, { clients: CA.replace("clients", "rotated") }));
        assert.notEqual(resourcesOfType(OBJECT)[0].inputs.key, first);
    });

    it("refuses validation without parameters.aws.trustStoreBucket, and a port without its bundle", async () => {
        const noBucket = await failureOf(runProgram(program({}, frontend)));
        assert.match(noBucket.message, /port 443 \(spec\.tls\.frontend\.default\.validation\): an ALB validates client certificates against a trust store made from a CA bundle in S3; set GatewayClass parameters\.aws\.trustStoreBucket/);
        assert.deepEqual(resourcesOfType(LISTENER), []);
        const noBundle = await failureOf(runProgram(program({ trustStoreBucket: "my-pki" }, frontend, {})));
        assert.match(noBundle.message, /no CA bundle for caCertificateRef ConfigMap infra\/clients; give its ca\.crt as the Gateway's caCertificates\["infra\/clients"\]/);
    });

    it("refuses the backend client certificate with the reason", async () => {
        const err = await failureOf(runProgram(program({ trustStoreBucket: "my-pki" }, { backend: { clientCertificateRef: { name: "to-backends" } } })));
        assert.match(err.message, /spec\.tls\.backend\.clientCertificateRef uses GatewayBackendClientCertificate, which the aws adapter does not support \(an ALB presents no client certificate to its targets/);
    });
});
