// The kubernetes adapter's model (pure): the objects rendered from the specs (ctx.input), and
// what the cluster would refuse before any of them is created: the parameters, object names,
// Service port names, the CRDs' CEL rules, the ReferenceGrants that cross-namespace backends need
// when the user manages grants, and features the in-cluster controller does not list. Built once
// per render (Adapter.model); realize creates the objects it holds. Each problem names the object,
// field and the fix.

import { isIP, isIPv4, isIPv6 } from "net";
import { ValidationIssue, formatIssue } from "../../../routing/errors";
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
/** A DNS-1035 label: what a Service name must be (starts with a letter). */
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** What realize creates: the resolved parameters and the rendered objects. */
export interface KubernetesModel {
    params: ResolvedParameters;
    rendered: Rendered;
    /** Empty when the objects may be created. */
    problems: string[];
    /**
     * The problems that belong to one of the user's resources (a Service's endpoint the cluster
     * would refuse), so the failure is reported on it; each is also in problems.
     */
    issues: ValidationIssue[];
}

/**
 * Renders the objects one scope owns and checks them: "gateway" for the Gateway's stack (Adapter.model),
 * "routes" for routes attached to another stack's gateway (realizeRoutes).
 */
export function kubernetesModel(plan: GatewayPlan, input: GatewayInput, parameters: Record<string, unknown>, scope: RenderScope): KubernetesModel {
    const { params, problems } = resolveParameters(parameters);
    const rendered = new ManifestRenderer(input, params).render(scope);
    const issues: ValidationIssue[] = [];
    problems.push(...rendered.problems);
    problems.push(...serviceProblems(input.services, rendered, params, issues));
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
    return { params, rendered, problems, issues };
}

/**
 * Why the cluster refuses an EndpointSlice address, with the fix; undefined when it accepts it. What
 * kube-apiserver 1.37 answered (test/kube-adapter-e2e.test.ts tries each against the real server):
 * unspecified (0.0.0.0, ::), loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10),
 * link-local multicast (224.0.0.0/24, ff02::/16), IPv4-mapped IPv6, IPv4 octets with leading zeros
 * and IPv6 not in canonical (RFC 5952) form. Other multicast, broadcast and reserved ranges pass.
 */
export function endpointAddressProblem(address: string): string | undefined {
    const reachable = "an EndpointSlice holds addresses the cluster's data plane reaches (a pod, a VM, a node's LAN address)";
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
    if (v4) {
        const parts = v4.slice(1);
        if (parts.some(p => p.length > 1 && p.startsWith("0"))) {
            return `the cluster refuses IPv4 octets with leading zeros; write ${JSON.stringify(parts.map(p => String(Number(p))).join("."))}`;
        }
        if (!isIPv4(address)) return undefined;   // not an address at all: gatewaykit's validation says so
        const [a, b, c] = parts.map(Number);
        if (a === 127) return `the cluster refuses loopback addresses (127.0.0.0/8) in EndpointSlices: ${reachable}; use that address, or set realizations.kubernetes.serviceName to a Service you manage`;
        if (a === 0 && b === 0 && c === 0 && Number(parts[3]) === 0) return `the cluster refuses the unspecified address 0.0.0.0: ${reachable}; use that address`;
        if (a === 169 && b === 254) return `the cluster refuses link-local addresses (169.254.0.0/16) in EndpointSlices: ${reachable}; use a routable address`;
        if (a === 224 && b === 0 && c === 0) return `the cluster refuses link-local multicast addresses (224.0.0.0/24) in EndpointSlices; use the backend's unicast address`;
        return undefined;
    }
    if (!isIPv6(address)) return undefined;
    const groups = ipv6Groups(address);
    if (groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xffff) {
        return `the cluster refuses IPv4-mapped IPv6 addresses in EndpointSlices; write the IPv4 address ${[groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join(".")}`;
    }
    if (groups.every(g => g === 0)) return `the cluster refuses the unspecified address ::: ${reachable}; use that address`;
    if (groups.slice(0, 7).every(g => g === 0) && groups[7] === 1) return `the cluster refuses the loopback address ::1 in EndpointSlices: ${reachable}; use that address, or set realizations.kubernetes.serviceName to a Service you manage`;
    if ((groups[0] & 0xffc0) === 0xfe80) return `the cluster refuses link-local addresses (fe80::/10) in EndpointSlices: ${reachable}; use a global or unique-local address`;
    if ((groups[0] & 0xff0f) === 0xff02) return `the cluster refuses link-local multicast addresses (ff02::/16) in EndpointSlices; use the backend's unicast address`;
    const canonical = canonicalIPv6(groups);
    if (canonical !== address) return `the cluster accepts IPv6 addresses only in canonical form (RFC 5952: lower case, no leading zeros, the longest run of zero groups as ::); write ${JSON.stringify(canonical)}`;
    return undefined;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded dotted IPv4 tail included). */
function ipv6Groups(address: string): number[] {
    let text = address;
    const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
    if (dotted) {
        const [a, b, c, d] = dotted.slice(1).map(Number);
        text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    }
    const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
    const h = head === "" ? [] : head.split(":").map(x => parseInt(x, 16));
    if (tail === undefined) return h;
    const t = tail === "" ? [] : tail.split(":").map(x => parseInt(x, 16));
    return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
}

/** RFC 5952 text of eight groups (as Go's net.IP.String(), which the server compares with). */
function canonicalIPv6(groups: number[]): string {
    let best = -1, bestLen = 1;
    for (let i = 0; i < 8;) {
        if (groups[i] !== 0) { i++; continue; }
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > bestLen) { best = i; bestLen = j - i; }
        i = j;
    }
    const hex = (gs: number[]) => gs.map(g => g.toString(16)).join(":");
    return best < 0 ? hex(groups) : `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/** What the cluster would refuse in the Services the adapter creates: as issues on each Service (its field, value and the fix). */
function serviceProblems(specs: ServiceSpec[], rendered: Rendered, params: ResolvedParameters, issues: ValidationIssue[]): string[] {
    const problems: string[] = [];
    const created = new Set(rendered.services.map(s => `${s.metadata.namespace}/${s.metadata.name}`));
    for (const s of specs) {
        const ns = s.namespace ?? DEFAULT_NAMESPACE;
        if (!created.has(`${params.namespaces[ns] ?? ns}/${s.name}`)) continue;
        const issue = (field: string, value: unknown, message: string) => {
            const it: ValidationIssue = { resource: `Service ${ns}/${s.name}`, field, value, message };
            issues.push(it);
            problems.push(formatIssue(it));
        };
        if (!DNS_1035.test(s.name) || s.name.length > 63) {
            issue("metadata.name", s.name, "a Kubernetes Service name must start with a letter and be at most 63 characters of [a-z0-9-]; rename it, or point realizations.kubernetes.serviceName at an existing Service");
        }
        s.ports.forEach((p, j) => {
            if (p.name !== undefined && (p.name.length > 15 || !IANA_SVC_NAME.test(p.name))) {
                issue(`spec.ports[${j}].name`, p.name, "is not a Kubernetes port name (≤15 characters of [a-z0-9-] with a letter); rename it or leave it unset");
            }
        });
        (s.endpoints ?? []).forEach((e, i) => {
            // An address unknown in this preview (a payload token) is checked during the update.
            if (holdsPayloadToken(e.address)) return;
            const refused = endpointAddressProblem(e.address);
            if (refused) issue(`spec.endpoints[${i}].address`, e.address, refused);
            else if (!isIP(e.address)) {
                issue(`spec.endpoints[${i}].address`, e.address, "is a hostname; an EndpointSlice the kubernetes adapter writes holds IP addresses. " +
                    "Use IP endpoints, or set realizations.kubernetes.serviceName to a Service you manage (e.g. type ExternalName)");
            }
        });
    }
    return problems;
}

function missingGrants(needs: GrantNeed[], params: ResolvedParameters): string[] {
    const problems: string[] = [];
    for (const n of needs) {
        const covered = params.referenceGrants.some(g =>
            (g.namespace ?? DEFAULT_NAMESPACE) === n.toNamespace &&
            g.from.some(f => f.group === GATEWAY_GROUP && f.kind === n.fromKind && f.namespace === n.fromNamespace) &&
            g.to.some(t => t.group === "" && t.kind === "Service" && (t.name === undefined || t.name === "" || t.name === n.service)));
        if (covered) continue;
        problems.push(`${n.where}: Service ${n.toNamespace}/${n.service} is in another cluster namespace than the route (${n.fromNamespace}), ` +
            `and parameters.kubernetes.manageReferenceGrants is false: create a ReferenceGrant in namespace ${n.toNamespace} ` +
            `(from: [{ group: "${GATEWAY_GROUP}", kind: "${n.fromKind}", namespace: "${n.fromNamespace}" }], to: [{ group: "", kind: "Service", name: "${n.service}" }]) ` +
            "and list it in parameters.kubernetes.referenceGrants, or set manageReferenceGrants: true");
    }
    return problems;
}
