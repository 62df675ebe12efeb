// The split of a Gateway's resolved inputs into routing-relevant values and payload values.
//
// Routing (and the resources an adapter declares: their types and names) depends on plain values:
// listeners, hostnames, matches, filters, weights, backend identity (Service name, namespace,
// ports), the number of endpoints, and the class parameters that shape the data plane or its
// limits. Those must be known to compile; when one is unknown during a preview the Gateway falls
// back and its message names the resource and field.
//
// Payload values are only copied into resource arguments: endpoint addresses (and endpoint ports,
// except for kubernetes, whose EndpointSlice names carry the port), the string fields of Service
// realizations (ARNs, instance ids, NEG / backend-service / Cloud Run names, Kubernetes Service
// names), and per adapter the class parameters listed in PARAMETER_PAYLOAD (subnets, VPC, region,
// project, certificates, tags …). Unknown payload values become tokens (providers/payload-token.ts)
// and the Gateway's resource transformation (payloadTransformation) makes every resource argument
// that holds one an unknown Output again, so the preview shows the resources `up` will create.

import * as pulumi from "@pulumi/pulumi";
import { containsPayloadToken, holdsPayloadToken, payloadToken } from "../providers/payload-token";

/**
 * How a payload field may be unknown:
 * - "string": the whole value (a token stands in for it);
 * - "strings": elements of a list whose length is known (the list itself must be known: its length
 *   decides resources, e.g. one target attachment per instance id);
 * - "list": a list of strings whose length decides nothing; unknown as a whole it becomes [token];
 * - "record": values of a map whose keys are known;
 * - an object: these fields of it, recursively.
 */
type Shape = "string" | "strings" | "list" | "record" | { [field: string]: Shape };

/**
 * Class parameters (parameters.<adapter>) that are payload. Everything else in a class's own section
 * is routing-relevant: e.g. aws scheme, ipAddressType, rulesQuota and targetGroupsQuota (preflight
 * and limits), securityGroupIngressCidrs (whether a security group exists, and its v4/v6 split);
 * gcp scheme, namePrefix, limits, healthCheck, certificateMap's presence; every nginx parameter
 * (listenAddress, workDir and nginxPath are checked by preflight and name the instance directory).
 */
export const PARAMETER_PAYLOAD: Record<string, { [field: string]: Shape }> = {
    aws: {
        region: "string", vpcId: "string", subnetIds: "list", securityGroupIds: "list", certificateArns: "record",
        accessLogs: { bucket: "string", prefix: "string" }, tags: "record", sslPolicy: "string",
    },
    gcp: {
        project: "string", region: "string", zone: "string", network: "string", address: "string", securityPolicy: "string",
        sslPolicy: "string", labels: "record", certificates: "record",
    },
    kubernetes: { description: "string" },
};

/** Service realizations (realizations.<adapter>) that are payload; other fields (gcp protocol, healthCheck) are relevant. */
export const REALIZATION_PAYLOAD: Record<string, { [field: string]: Shape }> = {
    aws: { targetGroupArn: "string", instanceIds: "strings", lambdaFunctionArn: "string" },
    gcp: {
        networkEndpointGroup: "string", backendService: "string", backendBucket: "string", bucket: "string", cloudRun: "string",
        cloudFunction: "string", appEngine: { service: "string", version: "string" }, region: "string", zone: "string",
        instance: "string", instances: "record",
    },
    kubernetes: { serviceName: "string", namespace: "string" },
    nginx: { upstreamOptions: "string" },
};

/** Adapters whose resource names carry endpoint ports (kubernetes: one EndpointSlice per port override). */
const ENDPOINT_PORT_RELEVANT = new Set(["kubernetes"]);

export interface UnknownValue {
    /** e.g. "Service team-a/shop". */
    resource: string;
    /** e.g. "spec.ports[0].port". */
    field: string;
}

export interface GatewayInputs {
    reference: { controllerName: string } & Record<string, unknown>;
    labels: unknown;
    parameters: Record<string, unknown>;
    routes: unknown[];
    services: unknown[];
}

export interface SplitInputs<T> {
    /** The inputs with unknown payload values replaced by tokens (equal to the input when nothing was unknown). */
    value: T;
    /** Routing-relevant values that are unknown: when not empty, the plan cannot be computed. */
    unknowns: UnknownValue[];
}

export interface InputLabels {
    gateway: string;
    gatewayClass: string;
    routes: string[];
    /** Each route's kind, in `routes` order; absent entries (or list) mean HTTPRoute. */
    kinds?: string[];
    services: string[];
}

const isUnknown = (v: unknown) => pulumi.containsUnknowns(v);

function isPlainObject(v: unknown): v is Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

/** Paths (relative to `path`) of the outermost unknown values inside v. */
export function unknownPaths(v: unknown, path: string): string[] {
    if (!isUnknown(v)) return [];
    if (Array.isArray(v)) return v.flatMap((x, i) => unknownPaths(x, `${path}[${i}]`));
    if (isPlainObject(v)) return Object.entries(v).flatMap(([k, x]) => unknownPaths(x, path ? `${path}.${k}` : k));
    return [path];
}

/** Replaces unknowns inside v by tokens where `shape` allows; reports the rest as relevant. */
function tokenize(v: unknown, shape: Shape | undefined, path: string, relevant: (field: string) => void): unknown {
    if (!isUnknown(v)) return v;
    const whole = pulumi.isUnknown(v);
    if (shape === "string") {
        if (whole || typeof v !== "object") return payloadToken();
        relevant(path);
        return v;
    }
    if (shape === "list" && whole) return [payloadToken()];
    if (shape === "strings" || shape === "list") {
        if (whole || !Array.isArray(v)) { relevant(path); return v; }
        return v.map((x, i) => tokenize(x, "string", `${path}[${i}]`, relevant));
    }
    if (shape === "record") {
        if (whole || !isPlainObject(v)) { relevant(path); return v; }
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tokenize(x, "string", `${path}.${k}`, relevant)]));
    }
    if (shape !== undefined && isPlainObject(v)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tokenize(x, shape[k], `${path}.${k}`, relevant)]));
    }
    for (const p of unknownPaths(v, path)) relevant(p);
    return v;
}

/** Every unknown inside v becomes a token (sections other adapters read: they shape nothing here). */
function tokenizeAll(v: unknown): unknown {
    if (!isUnknown(v)) return v;
    if (pulumi.isUnknown(v)) return payloadToken();
    if (Array.isArray(v)) return v.map(tokenizeAll);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tokenizeAll(x)]));
    return payloadToken();
}

function splitService(spec: unknown, adapter: string, resource: string, relevant: (u: UnknownValue) => void): unknown {
    if (!isUnknown(spec)) return spec;
    const at = (field: string) => relevant({ resource, field });
    if (!isPlainObject(spec)) { at("spec"); return spec; }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(spec)) {
        if (key === "endpoints") {
            if (pulumi.isUnknown(v) || !Array.isArray(v)) { if (isUnknown(v)) at("spec.endpoints"); out[key] = v; continue; }
            out[key] = v.map((ep, j) => {
                if (!isUnknown(ep)) return ep;
                const p = `spec.endpoints[${j}]`;
                if (!isPlainObject(ep)) { at(p); return ep; }
                if (isUnknown(ep.port) && ENDPOINT_PORT_RELEVANT.has(adapter)) { at(`${p}.port`); return ep; }
                for (const extra of unknownPaths(ep, p).filter(x => x !== `${p}.address` && x !== `${p}.port`)) at(extra);
                // One token stands for the whole endpoint: every argument built from it is unknown.
                return isUnknown(ep.port) ? { address: payloadToken() } : { ...ep, address: payloadToken() };
            });
        } else if (key === "realizations") {
            if (pulumi.isUnknown(v) || !isPlainObject(v)) { if (isUnknown(v)) at("spec.realizations"); out[key] = v; continue; }
            out[key] = Object.fromEntries(Object.entries(v).map(([name, section]) => [name, name === adapter
                ? tokenize(section, REALIZATION_PAYLOAD[name] ?? {}, `spec.realizations.${name}`, at)
                : tokenizeAll(section)]));
        } else {
            for (const p of unknownPaths(v, `spec.${key}`)) at(p);
            out[key] = v;
        }
    }
    return out;
}

/** Gateway fields as a user writes them (reference carries the class's name and controllerName). */
const REFERENCE_FIELDS: Record<string, string> = {
    name: "metadata.name", namespace: "metadata.namespace", listeners: "spec.listeners",
    className: "spec.gatewayClassName", controllerName: "spec.gatewayClassName (its controllerName)", namespaceLabels: "namespaceLabels",
    attachments: "reference.attachments",
    infrastructure: "spec.infrastructure", addresses: "spec.addresses",
};

/**
 * Splits the Gateway's resolved inputs. `adapterOf` maps the (known) controllerName to its adapter
 * name; it is not called when the controllerName itself is unknown.
 */
export function splitGatewayInputs<T extends GatewayInputs>(value: T, labels: InputLabels, adapterOf: (controllerName: string) => string): SplitInputs<T> {
    const unknowns: UnknownValue[] = [];
    const relevant = (u: UnknownValue) => unknowns.push(u);
    const gateway = `Gateway ${labels.gateway}`;
    for (const [key, v] of Object.entries(value.reference ?? {})) {
        // An object's paths come without a leading "." ("labels.env"), a list's with "[i]".
        for (const p of unknownPaths(v, "")) relevant({ resource: gateway, field: (REFERENCE_FIELDS[key] ?? key) + (p === "" || p.startsWith("[") ? p : `.${p}`) });
    }
    if (pulumi.isUnknown(value.reference)) relevant({ resource: gateway, field: "spec" });
    for (const p of unknownPaths(value.labels, "metadata.labels")) relevant({ resource: gateway, field: p });
    value.routes.forEach((route, i) => {
        for (const p of unknownPaths(route, "")) relevant({ resource: `${labels.kinds?.[i] ?? "HTTPRoute"} ${labels.routes[i]}`, field: p === "" ? "spec" : `spec.${p}` });
    });
    if (unknowns.length > 0) return { value, unknowns };

    const adapter = adapterOf(value.reference.controllerName);
    const classResource = `GatewayClass ${labels.gatewayClass}`;
    let parameters: Record<string, unknown> = value.parameters;
    if (isUnknown(parameters)) {
        if (!isPlainObject(parameters)) {
            relevant({ resource: classResource, field: "parameters" });
        } else {
            parameters = Object.fromEntries(Object.entries(parameters).map(([name, section]) => [name, name === adapter
                ? tokenize(section, PARAMETER_PAYLOAD[name] ?? {}, `parameters.${name}`, field => relevant({ resource: classResource, field }))
                : tokenizeAll(section)]));
        }
    }
    const services = value.services.map((s, i) => splitService(s, adapter, `Service ${labels.services[i]}`, relevant));
    return { value: { ...value, parameters, services }, unknowns };
}

/** "Service team-a/shop spec.endpoints, HTTPRoute …": for the preview message. */
export function describeUnknowns(unknowns: UnknownValue[]): string {
    const shown = unknowns.slice(0, 5).map(u => `${u.resource} ${u.field}`);
    return shown.join(", ") + (unknowns.length > shown.length ? ` and ${unknowns.length - shown.length} more` : "");
}

/** Arguments with every string holding a payload token replaced by an unknown Output (Outputs and resources untouched). */
export function unknownWhereTokens(v: unknown): unknown {
    if (holdsPayloadToken(v)) return pulumi.output(pulumi.unknown);
    if (Array.isArray(v)) return v.map(unknownWhereTokens);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unknownWhereTokens(x)]));
    return v;
}

/**
 * On the Gateway (and so on every resource an adapter declares under it): arguments built from a
 * payload token are unknown, as the value they stand for (tokens exist only in a preview); and every
 * resource depends on the resources its inputs came from (`dependencies()`, filled once the inputs
 * resolved), as it would had the Outputs been passed straight in: the ALB is created after, and
 * deleted before, the subnets it sits in; the nginx gateway after the echo backend it proxies to.
 */
export function payloadTransformation(dependencies: () => readonly pulumi.Resource[]): pulumi.ResourceTransformation {
    return args => {
        const deps = dependencies();
        const tokens = containsPayloadToken(args.props);
        if (!tokens && deps.length === 0) return undefined;
        return {
            props: tokens ? unknownWhereTokens(args.props) as pulumi.Inputs : args.props,
            opts: deps.length === 0 ? args.opts : { ...args.opts, dependsOn: withDependencies(args.opts.dependsOn, deps) },
        };
    };
}

function withDependencies(given: pulumi.ResourceOptions["dependsOn"], deps: readonly pulumi.Resource[]): pulumi.ResourceOptions["dependsOn"] {
    const list = (d: unknown): pulumi.Input<pulumi.Resource>[] => d === undefined ? [] : Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
    if (pulumi.Output.isInstance(given)) return (given as pulumi.Output<unknown>).apply(g => [...list(g), ...deps]) as pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    return [...list(given), ...deps];
}

/** The resources an Output's value came from (the SDK's internal allResources, which apply() would not expose). */
export async function resourcesOf(o: pulumi.Output<unknown>): Promise<pulumi.Resource[]> {
    const internal = o as unknown as { allResources?: () => Promise<Set<pulumi.Resource>> };
    return internal.allResources ? [...await internal.allResources()] : [];
}

/** Drops undefined members, so an unset optional arg reads as absent, not as a bad value. */
export function withoutUndefined<T>(v: T): T {
    if (Array.isArray(v)) return v.map(withoutUndefined) as unknown as T;
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, withoutUndefined(x)])) as T;
    }
    return v;
}
