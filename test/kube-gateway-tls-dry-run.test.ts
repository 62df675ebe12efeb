// The kubernetes adapter's Gateway with spec.tls (frontend client-certificate validation, backend
// client certificate) against a real API server (server-side dry run, upstream v1.6.1 CRDs): the
// emitted objects are accepted as written; what gatewaykit's validation refuses by the CRD's rules
// (two perPort entries for one port, an empty caCertificateRefs) the server refuses too.

import { strict as assert } from "assert";
import { ManifestRenderer, allManifests } from "../providers/kubernetes/model/manifests";
import { resolveParameters } from "../providers/kubernetes/parameters";
import { GatewayInput } from "../routing/plan";
import { GatewaySpec, GatewayTLS } from "../routing/types";
import { validateGateway, validateInput } from "../routing/validate";
import { dryRunApplyAll, KubeObject } from "./kube/dry-run";
import { ControlPlane, KubeTools, kubeGate } from "./kube/harness";

const NAMESPACES = ["infra", "team-a", "pki"];

function inputOf(tls: GatewayTLS): GatewayInput {
    const gateway: GatewaySpec = {
        name: "gw", namespace: "infra", gatewayClassName: "eg", tls,
        listeners: [
            { name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "site" }] }, allowedRoutes: { namespaces: { from: "All" } } },
            { name: "alt", port: 8443, protocol: "HTTPS", hostname: "alt.example.com", tls: { certificateRefs: [{ name: "site" }] } },
        ],
    };
    return {
        gatewayClass: { name: "eg", controllerName: "gatewaykit.dev/kubernetes" }, gateway,
        routes: [{ name: "shop", namespace: "team-a", parentRefs: [{ name: "gw", namespace: "infra" }], rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] }],
        services: [{ name: "shop", namespace: "team-a", ports: [{ port: 8080 }], endpoints: [{ address: "10.0.0.5" }] }],
        namespaces: [],
    };
}

const ca = (name: string, namespace?: string) => ({ group: "", kind: "ConfigMap", name, ...(namespace ? { namespace } : {}) });

describe("kubernetes adapter: Gateway spec.tls vs a real API server (server-side dry run)", function () {
    this.timeout(10 * 60_000);
    let tools: KubeTools | undefined;
    let cp: ControlPlane | undefined;

    before(async function () {
        this.timeout(50 * 60_000);
        tools = kubeGate(this, "the kubernetes spec.tls dry run");
        if (!tools) return;
        cp = await ControlPlane.start({ kubeBin: tools.kubeBin, namespaces: NAMESPACES });
    });
    after(async function () {
        this.timeout(60_000);
        await cp?.stop();
    });

    it("accepts the emitted Gateway with frontend and backend TLS; refuses what gatewaykit's validation refuses", async () => {
        const { params } = resolveParameters({});
        const variants: GatewayTLS[] = [
            { frontend: { default: { validation: { caCertificateRefs: [ca("clients")] } } } },
            { frontend: { default: { validation: { mode: "AllowInsecureFallback", caCertificateRefs: [ca("clients"), ca("partner", "pki")] } }, perPort: [{ port: 8443, tls: { validation: { caCertificateRefs: [ca("alt")] } } }, { port: 9443, tls: {} }] } },
            { frontend: { default: {} }, backend: { clientCertificateRef: { name: "to-backends" } } },
            { backend: { clientCertificateRef: { group: "", kind: "Secret", name: "to-backends", namespace: "pki" } } },
        ];
        const objects: KubeObject[] = [];
        for (const v of variants) {
            const input = inputOf(v);
            assert.deepEqual(validateInput({ gatewayClasses: [input.gatewayClass], gateways: [input.gateway], routes: input.routes, services: input.services }).map(i => i.message), []);
            const gw = allManifests(new ManifestRenderer(input, params).render("gateway")).find(m => m.kind === "Gateway")! as KubeObject;
            assert.ok((gw.spec as { tls?: unknown }).tls, "the emitted Gateway lost spec.tls");
            objects.push(gw);
        }
        // What the server stores is what was written (defaults such as mode aside).
        assert.deepEqual((objects[1].spec as { tls: unknown }).tls, variants[1]);
        const verdicts = await dryRunApplyAll(cp!, objects);
        const refused = verdicts.map((v, i) => [v, objects[i]] as const).filter(([v]) => !v.accepted).map(([v, o]) => `${o.kind} ${JSON.stringify(o.spec)}: ${v.status} ${v.message}`);
        assert.deepEqual(refused, []);

        const bad: [GatewayTLS, RegExp, RegExp][] = [
            [{ frontend: { default: {}, perPort: [{ port: 8443, tls: {} }, { port: 8443, tls: {} }] } }, /port|Duplicate|unique/i, /must be unique within the Gateway/],
            [{ frontend: { default: { validation: { caCertificateRefs: [] } } } }, /caCertificateRefs|at least 1/i, /must have at least 1/],
        ];
        for (const [tls, server, ours] of bad) {
            const input = inputOf(tls);
            assert.match(validateGateway(input.gateway).map(i => i.message).join("\n"), ours);
            const gw = allManifests(new ManifestRenderer(input, params).render("gateway")).find(m => m.kind === "Gateway")! as KubeObject;
            const [verdict] = await dryRunApplyAll(cp!, [gw]);
            assert.equal(verdict.accepted, false, JSON.stringify(gw.spec));
            assert.match(verdict.message, server);
        }
        console.log(`      ${objects.length} Gateways with spec.tls accepted by kube-apiserver; a repeated perPort port and empty caCertificateRefs refused by it and by gatewaykit`);
    });
});

describe("kubernetes adapter: Gateway spec.tls against the CRDs' CEL rules (no cluster)", () => {
    it("passes the emitted Gateway's spec.tls, and reports the CRD's own message for a repeated perPort port", async () => {
        const { kubernetesAdapter } = await import("../providers/kubernetes");
        const { compileGateway } = await import("../routing/compile");
        const good = inputOf({ frontend: { default: { validation: { caCertificateRefs: [ca("clients")] } }, perPort: [{ port: 8443, tls: {} }, { port: 9443, tls: {} }] }, backend: { clientCertificateRef: { name: "x" } } });
        assert.deepEqual(kubernetesAdapter.model!(compileGateway(good).gateways[0], { parameters: {}, input: good }).problems, []);
        const bad = inputOf({ frontend: { default: {}, perPort: [{ port: 8443, tls: {} }, { port: 8443, tls: {} }] } });
        const problems = kubernetesAdapter.model!(compileGateway(bad, { skipValidation: true }).gateways[0], { parameters: {}, input: bad }).problems;
        assert.ok(problems.includes("Gateway infra/gw: spec.tls.frontend.perPort: Port for TLS configuration must be unique within the Gateway"), problems.join("\n"));
    });
});
