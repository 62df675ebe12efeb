// BackendTLSPolicy and BackendTrafficPolicy: policies a team attaches to its Services. Each is
// declared in the program like a Service; when a gateway (or a route against another stack's
// gateway, or publishRoutes) reads the program's Services, attachedServiceSpecs() gives each Service
// spec the policies that target it, so the policies travel wherever the Service does.

import * as pulumi from "@pulumi/pulumi";
import type {
    BackendHealthCheck, BackendLoadBalancer, BackendTLSPolicySpec, BackendTrafficPolicySpec, LocalPolicyTargetReference,
    ServiceSpec, SessionPersistence, SubjectAltName,
} from "../routing/types";
import type { PolicyStatus } from "../routing/plan";
import { policyStatuses } from "../routing/policies";
import { declarations, labelOf } from "./registry";
import { Service } from "./service";

/** A policy's target: a Service component, or a Service of the policy's namespace by name. */
export type PolicyTargetArgs = Service | {
    /** The Service component (or give name). */
    service?: Service;
    name?: pulumi.Input<string>;
    /** BackendTLSPolicy only: the Service port's name; absent: every port. */
    sectionName?: pulumi.Input<string>;
};

export interface BackendTLSPolicyArgs {
    /** Defaults to the resource name. */
    name?: pulumi.Input<string>;
    /** Defaults to the namespace of the first target Service (a policy targets Services of its own namespace). */
    namespace?: pulumi.Input<string>;
    targetRefs: PolicyTargetArgs[];
    validation: {
        /** The SNI sent to the backend, and the verified name unless subjectAltNames is set. */
        hostname: pulumi.Input<string>;
        /**
         * The CA bundles that sign the backend's certificate, PEM, by a name of your choice (it is the
         * name of the ConfigMap the kubernetes adapter emits). Exclusive with wellKnownCACertificates.
         */
        caCertificates?: pulumi.Input<Record<string, pulumi.Input<string>>>;
        /** "System": trust the platform's CA store. */
        wellKnownCACertificates?: pulumi.Input<"System">;
        /** At most 5; the backend's certificate must carry one. */
        subjectAltNames?: pulumi.Input<pulumi.Input<SubjectAltName>[]>;
    };
}

export interface BackendTrafficPolicyArgs {
    name?: pulumi.Input<string>;
    namespace?: pulumi.Input<string>;
    targetRefs: PolicyTargetArgs[];
    /** How the endpoints share requests: RoundRobin (the default everywhere), LeastRequest, Random, ConsistentHash. */
    loadBalancer?: pulumi.Input<BackendLoadBalancer>;
    sessionPersistence?: pulumi.Input<SessionPersistence>;
    healthCheck?: pulumi.Input<BackendHealthCheck>;
    retryConstraint?: pulumi.Input<NonNullable<BackendTrafficPolicySpec["retryConstraint"]>>;
}

type PolicyKind = "BackendTLSPolicy" | "BackendTrafficPolicy";

abstract class BackendPolicy<S> extends pulumi.ComponentResource {
    readonly name: pulumi.Output<string>;
    readonly namespace: pulumi.Output<string>;
    abstract readonly kind: PolicyKind;
    readonly spec!: pulumi.Output<S>;
    /**
     * Accepted; Accepted False / Conflicted when other policies win on every target (routing/policies.ts);
     * Accepted False / TargetNotFound when the program declares none of its target Services.
     */
    readonly status!: pulumi.Output<PolicyStatus>;
    /** "namespace/name" as far as known at construction (for messages). */
    readonly label: string;

    protected constructor(type: string, name: string, args: { name?: pulumi.Input<string>; namespace?: pulumi.Input<string>; targetRefs: PolicyTargetArgs[] }, opts?: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
        const what = type.split(":").pop();
        if (!Array.isArray(args.targetRefs) || args.targetRefs.length === 0) {
            throw new Error(`${what} ${name}: set targetRefs, e.g. targetRefs: [apiService]: a policy applies to the Services it names`);
        }
        args.targetRefs.forEach((t, i) => {
            if (!(t instanceof Service) && (typeof t !== "object" || t === null || (t.service === undefined && t.name === undefined))) {
                throw new Error(`${what} ${name}: targetRefs[${i}] must be a Service, or { service } or { name } of a Service of the policy's namespace`);
            }
        });
        const first = args.targetRefs.map(t => t instanceof Service ? t : t.service).find(s => s !== undefined);
        this.name = pulumi.output(args.name ?? name);
        this.namespace = pulumi.output(args.namespace ?? first?.namespace ?? "default");
        this.label = args.namespace === undefined && first !== undefined
            ? `${first.label.slice(0, first.label.indexOf("/"))}/${typeof args.name === "string" ? args.name : name}`
            : labelOf(args.namespace, args.name, name);
    }

    /** Sets the spec, declares the policy to the program and computes its status. */
    protected declare(spec: pulumi.Output<S>): void {
        (this as { spec: pulumi.Output<S> }).spec = spec;
        declarations().backendPolicies.push(this as unknown as AnyBackendPolicy);
        (this as { status: pulumi.Output<PolicyStatus> }).status = statusOf(this as unknown as AnyBackendPolicy);
        this.registerOutputs({ name: this.name, namespace: this.namespace, spec: this.spec, status: this.status });
    }

    protected targetRefs(targets: PolicyTargetArgs[], sections: boolean): pulumi.Output<LocalPolicyTargetReference[]> {
        return pulumi.all(targets.map(t => {
            const service = t instanceof Service ? t : t.service;
            const sectionName = t instanceof Service ? undefined : t.sectionName;
            return pulumi.all([service ? service.name : (t as { name: pulumi.Input<string> }).name, sections ? sectionName : undefined])
                .apply(([n, s]) => ({ group: "", kind: "Service", name: n, ...(s !== undefined ? { sectionName: s } : {}) }));
        }));
    }
}

/**
 * BackendTLSPolicy: the gateway speaks TLS to the targeted Service ports and verifies the backend's
 * certificate against the given CA bundles (or the system's), by hostname or subjectAltNames.
 */
export class BackendTLSPolicy extends BackendPolicy<BackendTLSPolicySpec> {
    readonly kind = "BackendTLSPolicy" as const;

    constructor(name: string, args: BackendTLSPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gatewaykit:index:BackendTLSPolicy", name, args, opts);
        const v = args.validation;
        if (typeof v !== "object" || v === null) throw new Error(`BackendTLSPolicy ${name}: set validation, e.g. { hostname: "api.internal", wellKnownCACertificates: "System" }`);
        this.declare(pulumi.all([this.name, this.namespace, this.targetRefs(args.targetRefs, true), v.hostname, v.caCertificates, v.wellKnownCACertificates, v.subjectAltNames])
            .apply(([n, ns, targetRefs, hostname, cas, wellKnown, sans]) => ({
                name: n, namespace: ns, targetRefs,
                validation: {
                    hostname,
                    ...(cas !== undefined ? { caCertificateRefs: Object.keys(cas).map(k => ({ group: "", kind: "ConfigMap", name: k })) } : {}),
                    ...(wellKnown !== undefined ? { wellKnownCACertificates: wellKnown } : {}),
                    ...(sans !== undefined ? { subjectAltNames: sans as SubjectAltName[] } : {}),
                },
                ...(cas !== undefined ? { caCertificates: cas as Record<string, string> } : {}),
            })));
    }
}

/**
 * BackendTrafficPolicy: how the targeted Services' endpoints share requests (loadBalancer), session
 * persistence, health checks and a retry budget. Each adapter realises each field or refuses it by name.
 */
export class BackendTrafficPolicy extends BackendPolicy<BackendTrafficPolicySpec> {
    readonly kind = "BackendTrafficPolicy" as const;

    constructor(name: string, args: BackendTrafficPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gatewaykit:index:BackendTrafficPolicy", name, args, opts);
        this.declare(pulumi.all([this.name, this.namespace, this.targetRefs(args.targetRefs, false), args.loadBalancer, args.sessionPersistence, args.healthCheck, args.retryConstraint])
            .apply(([n, ns, targetRefs, loadBalancer, sessionPersistence, healthCheck, retryConstraint]) => ({
                name: n, namespace: ns, targetRefs,
                ...(loadBalancer !== undefined ? { loadBalancer: loadBalancer as BackendLoadBalancer } : {}),
                ...(sessionPersistence !== undefined ? { sessionPersistence: sessionPersistence as SessionPersistence } : {}),
                ...(healthCheck !== undefined ? { healthCheck: healthCheck as BackendHealthCheck } : {}),
                ...(retryConstraint !== undefined ? { retryConstraint: retryConstraint as BackendTrafficPolicySpec["retryConstraint"] } : {}),
            })));
    }
}

/** Every Service spec of the program with its policies, read once the program body has declared them all. */
export function declaredServiceSpecs(): pulumi.Output<ServiceSpec[]> {
    return pulumi.output(new Promise<pulumi.Output<ServiceSpec[]>>(resolve => setImmediate(() => resolve(pulumi.all(attachedServiceSpecs(declarations().services))))));
}

/** The policy's status among the program's Services, once the program body has declared them. */
function statusOf(policy: AnyBackendPolicy): pulumi.Output<PolicyStatus> {
    return pulumi.all([policy.spec as pulumi.Output<BackendTLSPolicySpec | BackendTrafficPolicySpec>, declaredServiceSpecs()]).apply(([spec, specs]): PolicyStatus => {
        const key = `${spec.namespace ?? "default"}/${spec.name}`;
        const found = policyStatuses(specs as ServiceSpec[])?.find(s => s.kind === policy.kind && s.policy === key);
        return found ?? {
            kind: policy.kind, policy: key,
            conditions: [{
                type: "Accepted", status: "False", reason: "TargetNotFound",
                message: `the program declares no Service ${spec.targetRefs.map(t => `${spec.namespace ?? "default"}/${t.name}`).join(", ")} for this policy to apply to`,
            }],
        };
    });
}

export type AnyBackendPolicy = BackendTLSPolicy | BackendTrafficPolicy;

/** A Service spec with the given policies that target it attached (its namespace, its name). */
export function attachPolicies(spec: ServiceSpec, tls: readonly BackendTLSPolicySpec[], traffic: readonly BackendTrafficPolicySpec[]): ServiceSpec {
    const ns = spec.namespace ?? "default";
    const targets = (p: BackendTLSPolicySpec | BackendTrafficPolicySpec) => (p.namespace ?? "default") === ns && p.targetRefs.some(t => t.name === spec.name);
    const t = tls.filter(targets), b = traffic.filter(targets);
    if (t.length === 0 && b.length === 0) return spec;
    return { ...spec, ...(t.length > 0 ? { backendTLSPolicies: t } : {}), ...(b.length > 0 ? { backendTrafficPolicies: b } : {}) };
}

/**
 * The specs of `services` (one per Service, in order), each with the program's declared policies
 * that target it. Call it once the program body has declared its policies.
 */
export function attachedServiceSpecs(services: readonly Service[]): pulumi.Output<ServiceSpec>[] {
    const policies = [...declarations().backendPolicies];
    if (policies.length === 0) return services.map(s => s.spec);
    const tls = pulumi.all(policies.filter(p => p.kind === "BackendTLSPolicy").map(p => p.spec as pulumi.Output<BackendTLSPolicySpec>));
    const traffic = pulumi.all(policies.filter(p => p.kind === "BackendTrafficPolicy").map(p => p.spec as pulumi.Output<BackendTrafficPolicySpec>));
    return services.map(s => pulumi.all([s.spec, tls, traffic]).apply(([spec, t, b]) => attachPolicies(spec as ServiceSpec, t as BackendTLSPolicySpec[], b as BackendTrafficPolicySpec[])));
}

/** Culprits for validation issues naming a policy ("BackendTLSPolicy team-a/api-tls"): its component. */
export function policyCulprits(): [string, pulumi.Resource][] {
    return declarations().backendPolicies.map(p => [`${p.kind} ${p.label}`, p]);
}
