// The kubernetes adapter's backend-policy objects against a real API server (server-side dry run)
// with the Gateway API v1.6.1 experimental-channel CRDs (../shared/gateway-api-v1.6.1/crds/experimental):
// the BackendTLSPolicy, its CA ConfigMap, the XBackendTrafficPolicy and an HTTPRoute with retry and
// sessionPersistence are accepted, and the server keeps the fields (nothing pruned); what the CRDs'
// rules refuse (a Permanent cookie without absoluteTimeout) gatewaykit's validation refuses too.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ManifestRenderer, allManifests } from "../providers/kubernetes/model/manifests";
import { resolveParameters } from "../providers/kubernetes/parameters";
import { GatewayInput } from "../routing/plan";
import { ServiceSpec } from "../routing/types";
import { validateInput } from "../routing/validate";
import { dryRunApplyAll, KubeObject, objectPath } from "./kube/dry-run";
import { ControlPlane, GATEWAY_API_CRDS, KubeTools, kubeGate } from "./kube/harness";

const NAMESPACES = ["infra", "shop"];
const CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUJ\n-----END CERTIFICATE-----\n";

function inputOf(api: Partial<ServiceSpec>): GatewayInput {
    return {
        gatewayClass: { name: "eg", controllerName: "gatewaykit.dev/kubernetes" },
        gateway: { name: "gw", namespace: "infra", gatewayClassName: "eg", listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }] },
        routes: [{
            name: "store", namespace: "shop", parentRefs: [{ name: "gw", namespace: "infra" }],
            rules: [{ backendRefs: [{ name: "api", port: 8443 }], retry: { codes: [502, 503], attempts: 3, backoff: "200ms" }, sessionPersistence: { sessionName: "cart", absoluteTimeout: "1h", cookieConfig: { lifetimeType: "Permanent" } } }],
        }],
        services: [{ name: "api", namespace: "shop", ports: [{ name: "https", port: 8443 }], endpoints: [{ address: "10.0.0.5" }], ...api }],
        namespaces: [],
    };
}

const POLICIES: Partial<ServiceSpec> = {
    backendTLSPolicies: [{
        name: "api-tls", namespace: "shop", targetRefs: [{ group: "", kind: "Service", name: "api", sectionName: "https" }],
        validation: { hostname: "api.shop.internal", caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "api-ca" }], subjectAltNames: [{ type: "URI", uri: "spiffe://shop/api" }] },
        caCertificates: { "api-ca": CA },
    }],
    backendTrafficPolicies: [{
        name: "api-traffic", namespace: "shop", targetRefs: [{ group: "", kind: "Service", name: "api" }],
        sessionPersistence: { type: "Header", sessionName: "x-session" }, retryConstraint: { budget: { percent: 25, interval: "5s" }, minRetryRate: { count: 5, interval: "1s" } },
    }],
};

describe("kubernetes adapter: backend policies vs a real API server with the experimental CRDs (server-side dry run)", function () {
    this.timeout(10 * 60_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;

    before(async function () {
        this.timeout(50 * 60_000);
        tools = kubeGate(this, "the kubernetes backend-policy dry run");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin, namespaces: [], gatewayApiCrds: false });
        // The experimental channel's files, and the standard ones it has no copy of (GatewayClass, ReferenceGrant, ListenerSet).
        const experimental = path.join(GATEWAY_API_CRDS, "experimental");
        const own = fs.readdirSync(experimental).filter(f => f.endsWith(".yaml"));
        const files = [...own.map(f => path.join(experimental, f)), ...["gatewayclasses.yaml", "referencegrants.yaml", "listenersets.yaml"].filter(f => !own.includes(f)).map(f => path.join(GATEWAY_API_CRDS, f))];
        cp.kubectl(["apply", "--server-side", "--field-manager=gatewaykit-test", ...files.flatMap(f => ["-f", f])]);
        cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "--all", "crd"]);
        await cp.createNamespaces(NAMESPACES);
    });
    after(async function () {
        this.timeout(60_000);
        await cp?.stop();
    });

    it("accepts every emitted object, keeping the policies' and the rule's fields", async () => {
        const input = inputOf(POLICIES);
        assert.deepEqual(validateInput({ gatewayClasses: [input.gatewayClass], gateways: [input.gateway], routes: input.routes, services: input.services }).map(i => i.message), []);
        const { params } = resolveParameters({ gatewayAPIChannel: "experimental" });
        const rendered = new ManifestRenderer(input, params).render("gateway");
        assert.deepEqual(rendered.problems, []);
        const objects = allManifests(rendered).filter(m => m.kind !== "Namespace") as KubeObject[];
        assert.deepEqual(objects.map(o => o.kind).filter(k => ["ConfigMap", "BackendTLSPolicy", "XBackendTrafficPolicy"].includes(k)), ["ConfigMap", "BackendTLSPolicy", "XBackendTrafficPolicy"]);
        const verdicts = await dryRunApplyAll(cp!, objects);
        const refused = verdicts.map((v, i) => [v, objects[i]] as const).filter(([v]) => !v.accepted).map(([v, o]) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${v.status} ${v.message}`);
        assert.deepEqual(refused, []);
        // What the server would store: the experimental fields survive (a standard-channel server prunes them).
        for (const [kind, field, expected] of [
            ["HTTPRoute", (o: any) => o.spec.rules[0].retry, { codes: [502, 503], attempts: 3, backoff: "200ms" }],
            ["HTTPRoute", (o: any) => o.spec.rules[0].sessionPersistence, { sessionName: "cart", absoluteTimeout: "1h", type: "Cookie", cookieConfig: { lifetimeType: "Permanent" } }],
            ["XBackendTrafficPolicy", (o: any) => o.spec.retryConstraint, { budget: { percent: 25, interval: "5s" }, minRetryRate: { count: 5, interval: "1s" } }],
            ["BackendTLSPolicy", (o: any) => o.spec.validation.subjectAltNames, [{ type: "URI", uri: "spiffe://shop/api" }]],
        ] as const) {
            const o = objects.find(x => x.kind === kind)!;
            const answer = await cp!.request("PATCH", `${objectPath(o)}?dryRun=All&fieldManager=gatewaykit-test&force=true`, JSON.stringify(o), "application/apply-patch+yaml");
            assert.equal(answer.status < 300, true, answer.body);
            const got = field(answer.json);
            // The server fills CRD defaults (a Cookie type, Session lifetime) into what it keeps: compare what was sent.
            for (const [k, v] of Object.entries(expected)) assert.deepEqual((got as any)[k], v, `${kind} ${k}`);
        }
        console.log(`      ${objects.length} emitted objects accepted by kube-apiserver with the experimental CRDs; retry, sessionPersistence, retryConstraint and SANs kept`);
    });

    it("refuses a Permanent cookie without absoluteTimeout, as gatewaykit's validation does", async () => {
        const input = inputOf({});
        input.routes[0].rules![0].sessionPersistence = { cookieConfig: { lifetimeType: "Permanent" } };
        const ours = validateInput({ gatewayClasses: [input.gatewayClass], gateways: [input.gateway], routes: input.routes, services: input.services }).map(i => i.message).join("\n");
        assert.match(ours, /absoluteTimeout/);
        const { params } = resolveParameters({ gatewayAPIChannel: "experimental" });
        const route = allManifests(new ManifestRenderer(input, params).render("gateway")).find(m => m.kind === "HTTPRoute")! as KubeObject;
        const [verdict] = await dryRunApplyAll(cp!, [route]);
        assert.equal(verdict.accepted, false);
        assert.match(verdict.message, /AbsoluteTimeout must be specified when cookie lifetimeType is Permanent/);
    });
});
