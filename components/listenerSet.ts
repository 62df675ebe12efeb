// ListenerSet: a team's listeners (hostname, port, TLS certificate) added to an operator's Gateway
// that admits the team's namespace (GatewayArgs.allowedListeners). It registers with its Gateway
// synchronously, as routes do, so the Gateway compiles it with its own listeners; routes attach to it
// with parentRefs[].listenerSet (sectionName: one of its listener names). Certificates for its HTTPS
// listeners travel with it, keyed in its own namespace only: a team cannot supply the material of a
// certificate another namespace's listener uses.
//
// In a team's stack, `gateway` may be another stack's GatewayReference: the status is then compiled
// here against the reference's listeners and allowedListeners, and the adapter's realizeListenerSet
// delivers it to that gateway's data plane from this stack (nginx: a ListenerSet file in the gateway's
// home, which the gateway re-checks against its current listeners before serving it).

import * as pulumi from "@pulumi/pulumi";
import { GatewayPlan, ListenerSetStatus } from "../routing/plan";
import { ListenerSetSpec, ServiceSpec } from "../routing/types";
import { programPlanOn } from "./route";
import { compileGateway } from "../routing/compile";
import { attachedServiceSpecs } from "./backendPolicies";
import { CapabilityError, GatewayValidationError } from "../routing/errors";
import { Gateway, GatewayListenerArgs, GatewayReference } from "./gateway";
import { gatewayInputOf } from "./compileInput";
import type { GatewayClassParameters } from "./gatewayClass";
import { declarations, labelOf, resolveOutput } from "./registry";
import { withoutUndefined } from "./payload";
import { reportFailure, unlessReported } from "./failures";
import { allAdapters } from "../providers";
import type { TlsCertificate } from "../providers";

export interface ListenerSetArgs {
    /** Defaults to the resource name. */
    name?: pulumi.Input<string>;
    /** The owning team; defaults to "default". */
    namespace?: pulumi.Input<string>;
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The Gateway the listeners are added to (spec.parentRef): a Gateway component, or another stack's GatewayReference. */
    gateway: Gateway | pulumi.Input<GatewayReference>;
    /** Adapter parameters (keyed by adapter name) for realising it on another stack's gateway, as a route's. */
    parameters?: pulumi.Input<GatewayClassParameters>;
    /** 1–64 listeners, as a Gateway's; names unique within this ListenerSet. */
    listeners: pulumi.Input<pulumi.Input<GatewayListenerArgs>[]>;
    /**
     * TLS material for this ListenerSet's HTTPS listeners, keyed by certificateRef "name" or
     * "namespace/name" — the namespace must be this ListenerSet's. Kept secret end to end.
     */
    certificates?: Record<string, { certificate: pulumi.Input<string>; privateKey: pulumi.Input<string> }>;
}

const LISTENER_SET_TYPE = "gatewaykit:index:ListenerSet";

export class ListenerSet extends pulumi.ComponentResource {
    readonly kind = "ListenerSet" as const;
    readonly name: pulumi.Output<string>;
    readonly namespace: pulumi.Output<string>;
    /** The ListenerSet as a Gateway API spec. */
    readonly spec: pulumi.Output<ListenerSetSpec>;
    /** The spec before unset members are dropped (what the Gateway resolves, so unknowns are visible). */
    readonly rawSpec: pulumi.Output<ListenerSetSpec>;
    /** Accepted / Programmed and per-listener conditions, as the Gateway compiled them. */
    readonly status: pulumi.Output<ListenerSetStatus>;
    /** "namespace/name" as far as known at construction. */
    readonly label: string;
    /** The Gateway component; undefined when the ListenerSet names another stack's gateway (`reference`). */
    readonly gateway: Gateway | undefined;
    /** Another stack's gateway this ListenerSet is added to; undefined for a Gateway component. */
    readonly reference: pulumi.Output<GatewayReference> | undefined;
    /**
     * The resources that deliver it to another stack's gateway (what routes attached to it wait for);
     * empty for a Gateway component's (the gateway realises it). Rejects with its failure.
     */
    readonly realized: Promise<pulumi.Resource[]>;
    /** The certificates keyed "namespace/name", secret; undefined when none were given. */
    readonly certificates: pulumi.Output<Record<string, TlsCertificate>> | undefined;
    /** The keys of `certificates` ("namespace/name"), known at construction. */
    readonly certificateKeys: string[];

    constructor(name: string, args: ListenerSetArgs, opts?: pulumi.ComponentResourceOptions) {
        const label = labelOf(args.namespace, args.name, name);
        if (args.gateway === undefined) throw new Error(`ListenerSet ${label}: set gateway (a Gateway component or another stack's GatewayReference)`);
        const component = args.gateway instanceof Gateway ? args.gateway : undefined;
        if (component?.isSealed) throw component.lateListenerSetError(label);
        const certificateKeys = ownCertificateKeys(label, args);
        super(LISTENER_SET_TYPE, name, {}, opts);
        this.label = label;
        this.gateway = component;
        const reference = component ? undefined : pulumi.output(args.gateway as pulumi.Input<GatewayReference>);
        this.reference = reference;
        const namespace = args.namespace ?? "default";
        this.rawSpec = pulumi.output({
            name: args.name ?? name,
            namespace,
            labels: args.labels,
            parentRef: component ? { name: component.name, namespace: component.namespace } : { name: reference!.apply(r => r.name), namespace: reference!.apply(r => r.namespace) },
            listeners: args.listeners,
        }) as unknown as pulumi.Output<ListenerSetSpec>;
        this.spec = this.rawSpec.apply(withoutUndefined);
        this.name = this.spec.apply(s => s.name);
        this.namespace = this.spec.apply(s => s.namespace ?? "default");
        this.certificateKeys = certificateKeys === undefined ? [] : [...new Set(certificateKeys.values())];
        this.certificates = certificateKeys === undefined ? undefined : pulumi.secret(Object.fromEntries(
            Object.entries(args.certificates ?? {}).map(([k, v]) => [certificateKeys.get(k)!, v]))) as pulumi.Output<Record<string, TlsCertificate>>;
        declarations().listenerSets.push(this);
        const key = label;
        if (component) {
            component.attachListenerSet(this);
            this.realized = Promise.resolve([]);
            this.status = pulumi.output(unlessReported(component.rendered).then(r => {
                if (pulumi.isUnknown(r) || !r.known) return pulumi.unknown as unknown as ListenerSetStatus;
                const own = r.routing.listenerSets?.find(s => s.listenerSet === key);
                if (!own) throw new Error(`ListenerSet ${key}: Gateway ${component.label} compiled no status for it (a bug)`);
                return own;
            })) as pulumi.Output<ListenerSetStatus>;
        } else {
            const computed = this.compileAgainst(reference!, pulumi.output(args.parameters ?? {}) as pulumi.Output<GatewayClassParameters>);
            computed.catch(() => undefined); // logged on this resource; the outputs turn unknown
            this.realized = computed.then(c => c?.resources ?? []);
            this.realized.catch(() => undefined);
            this.status = pulumi.output(unlessReported(computed).then(c => c === undefined || pulumi.isUnknown(c)
                ? pulumi.unknown as unknown as ListenerSetStatus : c.status)) as pulumi.Output<ListenerSetStatus>;
        }
        this.status.apply(() => undefined);
        this.registerOutputs({ name: this.name, namespace: this.namespace, status: this.status });
    }

    /**
     * Status against another stack's gateway (its listeners and allowedListeners, as the reference
     * exports them), then the adapter realises it from this stack. Undefined while unknown in a preview.
     */
    private async compileAgainst(refOutput: pulumi.Output<GatewayReference>, parameters: pulumi.Output<GatewayClassParameters>): Promise<{ status: ListenerSetStatus; resources: pulumi.Resource[] } | undefined> {
        const resolved = await resolveOutput(pulumi.output({ ref: refOutput, spec: this.rawSpec, parameters }));
        if (!resolved.known) {
            pulumi.log.info(`ListenerSet ${this.label}: its status is computed once its gateway reference and spec are known (during update)`, this);
            return undefined;
        }
        const ref = resolved.value.ref as GatewayReference;
        const spec = withoutUndefined(resolved.value.spec) as ListenerSetSpec;
        const gatewayLabel = `${ref.namespace}/${ref.name}`;
        let status: ListenerSetStatus | undefined;
        let plan: GatewayPlan;
        const input = { ...gatewayInputOf(ref, [], []), listenerSets: [spec] };
        try {
            const routing = compileGateway(input);
            plan = routing.gateways[0];
            status = routing.listenerSets?.find(s => s.listenerSet === this.label);
        } catch (err) {
            throw err instanceof GatewayValidationError ? reportFailure(err, this, new Map([[`ListenerSet ${this.label}`, this]])) : err;
        }
        if (!status) throw new pulumi.ResourceError(`ListenerSet ${this.label}: Gateway ${gatewayLabel} compiled no status for it (a bug)`, this);
        const adapter = allAdapters().find(a => a.controllerNames.includes(ref.controllerName));
        if (!adapter?.realizeListenerSet) {
            throw new pulumi.ResourceError(`ListenerSet ${this.label}: Gateway ${gatewayLabel} (${ref.controllerName}) cannot take a ListenerSet from another stack ` +
                `with this version of gatewaykit${adapter ? ` (the ${adapter.name} adapter realises ListenerSets only in the gateway's own program)` : ""}; ` +
                "declare it in the gateway owner's program", this, true);
        }
        // What the rules of this program on that gateway are numbered from (aws): its routes and ListenerSets together.
        await new Promise(resolve => setImmediate(resolve));
        const services = await resolveOutput(pulumi.all(attachedServiceSpecs(declarations().services)));
        let programPlan: GatewayPlan | undefined;
        try {
            // In a preview with Services not yet known, the plan waits for the update (the adapter says so).
            programPlan = services.known ? await programPlanOn(ref, services.value as ServiceSpec[]) : undefined;
        } catch {
            programPlan = undefined; // the program's routes on this gateway do not compile together: reported on them
        }
        let resources: pulumi.Resource[];
        try {
            resources = adapter.realizeListenerSet({
                parent: this, gateway: gatewayLabel, spec, status, input, plan, shared: declarations().adapterState,
                parameters: ((resolved.value.parameters as GatewayClassParameters)[adapter.name] ?? {}) as Record<string, unknown>,
                ...(ref.attachments?.[adapter.name] ? { attachment: ref.attachments[adapter.name] } : {}),
                ...(this.certificates ? { certificates: this.certificates, certificateKeys: this.certificateKeys } : {}),
                ...(programPlan ? { programPlan } : {}),
            });
        } catch (err) {
            // What the data plane refuses (aws, gcp): logged once, on this ListenerSet.
            throw err instanceof CapabilityError ? reportFailure(err, this, new Map()) : err;
        }
        return { status, resources };
    }
}

/**
 * Each certificates key as "namespace/name" in this ListenerSet's namespace; refuses a key naming
 * another namespace (that material would serve another team's listener) and needs a plain namespace.
 */
function ownCertificateKeys(label: string, args: ListenerSetArgs): Map<string, string> | undefined {
    if (args.certificates === undefined) return undefined;
    const ns = args.namespace ?? "default";
    if (typeof ns !== "string") {
        throw new Error(`ListenerSet ${label}: certificates need a plain namespace (not an Output), so that their keys can be checked to be in it`);
    }
    const keys = new Map<string, string>();
    for (const k of Object.keys(args.certificates)) {
        const slash = k.indexOf("/");
        if (slash >= 0 && k.slice(0, slash) !== ns) {
            throw new Error(`ListenerSet ${label}: certificates[${JSON.stringify(k)}] names namespace ${k.slice(0, slash)}; a ListenerSet supplies certificates ` +
                `in its own namespace only (key "${k.slice(slash + 1)}" or "${ns}/${k.slice(slash + 1)}"); a certificate in another namespace is that namespace's owner's to supply`);
        }
        keys.set(k, slash >= 0 ? k : `${ns}/${k}`);
    }
    return keys;
}
