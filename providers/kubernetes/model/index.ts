// The kubernetes adapter's model (pure): the objects rendered from the specs (ctx.input), and
// what the cluster would refuse before any of them is created: the parameters, object names,
// Service port names, the CRDs' CEL rules, the ReferenceGrants that cross-namespace backends need
// when the user manages grants, and features the in-cluster controller does not list. Built once
// per render (Adapter.model); realize creates the objects it holds. Each problem names the object,
// field and the fix.

import { featuresOfGateway } from "../../../routing/features";
import { GatewayInput, GatewayPlan } from "../../../routing/plan";
import { DEFAULT_NAMESPACE, GATEWAY_GROUP, ServiceSpec } from "../../../routing/types";
import { useLabel } from "../../adapter";
import { holdsPayloadToken } from "../../payload-token";
import { ResolvedParameters, isDnsLabel, isDnsSubdomain, resolveParameters } from "../parameters";
import { celProblems } from "./checks";
import { GrantNeed, ManifestRenderer, RenderScope, Rendered, allManifests, objectKey } from "./manifests";

/** IANA service name: what a Service port name must be. */
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** A DNS-1035 label: what a Service name must be (starts with a letter). */
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** What realize creates: the resolved parameters and the rendered objects. */
export interface KubernetesModel {
    params: ResolvedParameters;
    rendered: Rendered;
    /** Empty when the objects may be created. */
    problems: string[];
}

/**
 * Renders the objects one scope owns and checks them: "gateway" for the Gateway's stack (Adapter.model),
 * "routes" for routes attached to another stack's gateway (realizeRoutes).
 */
export function kubernetesModel(plan: GatewayPlan, input: GatewayInput, parameters: Record<string, unknown>, scope: RenderScope): KubernetesModel {
    const { params, problems } = resolveParameters(parameters);
    const rendered = new ManifestRenderer(input, params).render(scope);
    problems.push(...serviceProblems(input.services, rendered, params));
    const seen = new Set<string>();
    for (const m of allManifests(rendered)) {
        const key = objectKey(m);
        if (seen.has(key)) problems.push(`${key} would be emitted twice: two gatewaykit namespaces map to the same cluster namespace (parameters.kubernetes.namespaces); map them apart or rename one object`);
        seen.add(key);
        if (m.metadata.namespace !== undefined && !isDnsLabel(m.metadata.namespace)) {
            problems.push(`${key}: metadata.namespace ${JSON.stringify(m.metadata.namespace)} is not a cluster namespace name (a DNS label); map it with parameters.kubernetes.namespaces`);
        }
        if (!isDnsSubdomain(m.metadata.name)) problems.push(`${key}: metadata.name must be a lower-case DNS subdomain of at most 253 characters`);
        problems.push(...celProblems(m));
    }
    if (!params.manageReferenceGrants) problems.push(...missingGrants(rendered.grantNeeds, params));
    if (params.supportedFeatures) {
        const supported = new Set<string>(params.supportedFeatures);
        for (const use of featuresOfGateway(plan)) {
            if (supported.has(use.feature)) continue;
            problems.push(`${useLabel(plan.gateway, use)} uses ${use.feature}, which the in-cluster controller does not support (parameters.kubernetes.supportedFeatures); ` +
                "change the route, or add the feature there if the controller gained it");
        }
    }
    return { params, rendered, problems };
}

function serviceProblems(specs: ServiceSpec[], rendered: Rendered, params: ResolvedParameters): string[] {
    const problems: string[] = [];
    const created = new Set(rendered.services.map(s => `${s.metadata.namespace}/${s.metadata.name}`));
    for (const s of specs) {
        const ns = s.namespace ?? DEFAULT_NAMESPACE;
        if (!created.has(`${params.namespaces[ns] ?? ns}/${s.name}`)) continue;
        const where = `Service ${ns}/${s.name}`;
        if (!DNS_1035.test(s.name) || s.name.length > 63) {
            problems.push(`${where}: a Kubernetes Service name must start with a letter and be at most 63 characters of [a-z0-9-]; rename it, or point realizations.kubernetes.serviceName at an existing Service`);
        }
        for (const p of s.ports) {
            if (p.name !== undefined && (p.name.length > 15 || !IANA_SVC_NAME.test(p.name))) {
                problems.push(`${where}: ports[${p.port}].name ${JSON.stringify(p.name)} is not a Kubernetes port name (≤15 characters of [a-z0-9-] with a letter); rename it or leave it unset`);
            }
        }
        for (const e of s.endpoints ?? []) {
            // An address unknown in this preview (a payload token) is checked during the update.
            if (!IPV4.test(e.address) && !e.address.includes(":") && !holdsPayloadToken(e.address)) {
                problems.push(`${where}: endpoint ${JSON.stringify(e.address)} is a hostname; an EndpointSlice the kubernetes adapter writes holds IP addresses. ` +
                    "Use IP endpoints, or set realizations.kubernetes.serviceName to a Service you manage (e.g. type ExternalName)");
            }
        }
    }
    return problems;
}

function missingGrants(needs: GrantNeed[], params: ResolvedParameters): string[] {
    const problems: string[] = [];
    for (const n of needs) {
        const covered = params.referenceGrants.some(g =>
            (g.namespace ?? DEFAULT_NAMESPACE) === n.toNamespace &&
            g.from.some(f => f.group === GATEWAY_GROUP && f.kind === "HTTPRoute" && f.namespace === n.fromNamespace) &&
            g.to.some(t => t.group === "" && t.kind === "Service" && (t.name === undefined || t.name === "" || t.name === n.service)));
        if (covered) continue;
        problems.push(`${n.where}: Service ${n.toNamespace}/${n.service} is in another cluster namespace than the route (${n.fromNamespace}), ` +
            `and parameters.kubernetes.manageReferenceGrants is false: create a ReferenceGrant in namespace ${n.toNamespace} ` +
            `(from: [{ group: "${GATEWAY_GROUP}", kind: "HTTPRoute", namespace: "${n.fromNamespace}" }], to: [{ group: "", kind: "Service", name: "${n.service}" }]) ` +
            "and list it in parameters.kubernetes.referenceGrants, or set manageReferenceGrants: true");
    }
    return problems;
}
