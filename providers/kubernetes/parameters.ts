// The kubernetes adapter's class parameters, checked and with defaults applied. Pure: no Pulumi
// import (the provider is carried through untouched), so preflight and the renderer share it.

import { FEATURES, Feature, isFeature } from "../../routing/features";
import { ReferenceGrantSpec } from "../../routing/types";

export interface ResolvedParameters {
    controllerName?: string;
    gatewayClassName?: string;
    description?: string;
    /** Opaque here: a pulumi.ProviderResource. */
    provider?: unknown;
    namespaces: Record<string, string>;
    manageReferenceGrants: boolean;
    referenceGrants: ReferenceGrantSpec[];
    await?: { timeoutSeconds?: number };
    labels: Record<string, string>;
    supportedFeatures?: Feature[];
    createNamespaces: boolean;
    /** The Gateway API CRD channel the cluster runs; "standard" unless parameters.kubernetes.gatewayAPIChannel says "experimental". */
    gatewayAPIChannel: "standard" | "experimental";
}

const KNOWN = ["controllerName", "gatewayClassName", "description", "provider", "namespaces", "manageReferenceGrants",
    "referenceGrants", "await", "labels", "supportedFeatures", "createNamespaces", "gatewayAPIChannel"];

/** The CRD's pattern for GatewayClass spec.controllerName: a domain-prefixed path. */
const CONTROLLER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isDnsLabel(s: string): boolean {
    return s.length <= 63 && DNS_LABEL.test(s);
}

export function isDnsSubdomain(s: string): boolean {
    return s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/** Checks parameters.kubernetes and fills in defaults; problems name the field and the fix. */
export function resolveParameters(raw: Record<string, unknown>): { params: ResolvedParameters; problems: string[] } {
    const problems: string[] = [];
    const at = (field: string) => `GatewayClass parameters.kubernetes.${field}`;
    for (const k of Object.keys(raw)) {
        if (!KNOWN.includes(k) && raw[k] !== undefined) problems.push(`${at(k)}: unknown field; known fields: ${KNOWN.join(", ")}`);
    }
    const str = (field: string): string | undefined => {
        const v = raw[field];
        if (v === undefined) return undefined;
        if (typeof v !== "string") { problems.push(`${at(field)}: must be a string (got ${JSON.stringify(v)})`); return undefined; }
        return v;
    };
    const controllerName = str("controllerName");
    if (controllerName !== undefined && (controllerName.length > 253 || !CONTROLLER_NAME.test(controllerName))) {
        problems.push(`${at("controllerName")}: must be a domain-prefixed path such as "gateway.envoyproxy.io/gatewayclass-controller" (got ${JSON.stringify(controllerName)})`);
    }
    const gatewayClassName = str("gatewayClassName");
    if (gatewayClassName !== undefined && !isDnsSubdomain(gatewayClassName)) {
        problems.push(`${at("gatewayClassName")}: must be a lower-case DNS subdomain of at most 253 characters, e.g. "eg" (got ${JSON.stringify(gatewayClassName)})`);
    }
    const description = str("description");
    if (description !== undefined && description.length > 64) problems.push(`${at("description")}: at most 64 characters (the CRD's limit); got ${description.length}`);

    const namespaces: Record<string, string> = {};
    const rawNs = raw.namespaces;
    if (rawNs !== undefined) {
        if (rawNs === null || typeof rawNs !== "object" || Array.isArray(rawNs)) problems.push(`${at("namespaces")}: must map gatewaykit namespace → cluster namespace, e.g. { mygroup: "team-mygroup" }`);
        else {
            for (const [from, to] of Object.entries(rawNs as Record<string, unknown>)) {
                if (typeof to !== "string" || !isDnsLabel(to)) problems.push(`${at(`namespaces.${from}`)}: must be a cluster namespace name (a DNS label of at most 63 characters; got ${JSON.stringify(to)})`);
                else namespaces[from] = to;
            }
        }
    }
    const manage = raw.manageReferenceGrants;
    if (manage !== undefined && typeof manage !== "boolean") problems.push(`${at("manageReferenceGrants")}: must be true or false`);
    const grants = raw.referenceGrants;
    if (grants !== undefined && !Array.isArray(grants)) problems.push(`${at("referenceGrants")}: must be a list of ReferenceGrant specs`);
    let wait: ResolvedParameters["await"];
    const rawAwait = raw.await;
    if (rawAwait === true) wait = {};
    else if (rawAwait !== undefined && rawAwait !== false) {
        const t = (rawAwait as { timeoutSeconds?: unknown }).timeoutSeconds;
        if (typeof rawAwait !== "object" || rawAwait === null || (t !== undefined && (typeof t !== "number" || !Number.isInteger(t) || t <= 0))) {
            problems.push(`${at("await")}: must be true, false or { timeoutSeconds: <positive integer> }`);
        } else wait = t === undefined ? {} : { timeoutSeconds: t as number };
    }
    const labels: Record<string, string> = {};
    if (raw.labels !== undefined) {
        if (raw.labels === null || typeof raw.labels !== "object") problems.push(`${at("labels")}: must be a map of label names to values`);
        else {
            for (const [k, v] of Object.entries(raw.labels as Record<string, unknown>)) {
                const name = k.includes("/") ? k.slice(k.indexOf("/") + 1) : k;
                const prefix = k.includes("/") ? k.slice(0, k.indexOf("/")) : undefined;
                if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v) || name.length === 0 || name.length > 63 ||
                    !LABEL_VALUE.test(name) || (prefix !== undefined && !isDnsSubdomain(prefix))) {
                    problems.push(`${at(`labels.${k}`)}: not a valid Kubernetes label (name ≤63 characters of [A-Za-z0-9-_.], optional DNS prefix; value likewise)`);
                } else labels[k] = v;
            }
        }
    }
    const createNamespaces = raw.createNamespaces;
    if (createNamespaces !== undefined && typeof createNamespaces !== "boolean") problems.push(`${at("createNamespaces")}: must be true or false (got ${JSON.stringify(createNamespaces)})`);
    const channel = raw.gatewayAPIChannel;
    if (channel !== undefined && channel !== "standard" && channel !== "experimental") {
        problems.push(`${at("gatewayAPIChannel")}: must be "standard" or "experimental", the channel of the Gateway API CRDs installed in the cluster (got ${JSON.stringify(channel)})`);
    }
    let supportedFeatures: Feature[] | undefined;
    if (raw.supportedFeatures !== undefined) {
        if (!Array.isArray(raw.supportedFeatures)) problems.push(`${at("supportedFeatures")}: must be a list of feature names, e.g. ["HTTPRoute", "HTTPRouteQueryParamMatching"]`);
        else {
            supportedFeatures = [];
            for (const f of raw.supportedFeatures) {
                if (typeof f === "string" && isFeature(f)) supportedFeatures.push(f);
                else problems.push(`${at("supportedFeatures")}: unknown feature ${JSON.stringify(f)}; known: ${FEATURES.join(", ")}`);
            }
        }
    }
    return {
        params: {
            ...(controllerName !== undefined ? { controllerName } : {}),
            ...(gatewayClassName !== undefined ? { gatewayClassName } : {}),
            ...(description !== undefined ? { description } : {}),
            ...(raw.provider !== undefined ? { provider: raw.provider } : {}),
            namespaces,
            manageReferenceGrants: manage !== false,
            referenceGrants: Array.isArray(grants) ? grants as ReferenceGrantSpec[] : [],
            ...(wait ? { await: wait } : {}),
            labels,
            ...(supportedFeatures ? { supportedFeatures } : {}),
            createNamespaces: createNamespaces === true,
            gatewayAPIChannel: channel === "experimental" ? "experimental" : "standard",
        },
        problems,
    };
}
