// ListenerSet: a team's listeners (hostname, port, TLS certificate) added to an operator's Gateway
// that admits the team's namespace (GatewayArgs.allowedListeners). It registers with its Gateway
// synchronously, as routes do, so the Gateway compiles it with its own listeners; routes attach to it
// with parentRefs[].listenerSet (sectionName: one of its listener names). Certificates for its HTTPS
// listeners travel with it, keyed in its own namespace only: a team cannot supply the material of a
// certificate another namespace's listener uses.

import * as pulumi from "@pulumi/pulumi";
import { ListenerSetStatus } from "../routing/plan";
import { ListenerSetSpec } from "../routing/types";
import { Gateway, GatewayListenerArgs } from "./gateway";
import { declarations, labelOf } from "./registry";
import { withoutUndefined } from "./payload";
import { unlessReported } from "./failures";
import type { TlsCertificate } from "../providers";

export interface ListenerSetArgs {
    /** Defaults to the resource name. */
    name?: pulumi.Input<string>;
    /** The owning team; defaults to "default". */
    namespace?: pulumi.Input<string>;
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The Gateway the listeners are added to (spec.parentRef). */
    gateway: Gateway;
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
    readonly gateway: Gateway;
    /** The certificates keyed "namespace/name", secret; undefined when none were given. */
    readonly certificates: pulumi.Output<Record<string, TlsCertificate>> | undefined;

    constructor(name: string, args: ListenerSetArgs, opts?: pulumi.ComponentResourceOptions) {
        const label = labelOf(args.namespace, args.name, name);
        if (!(args.gateway instanceof Gateway)) {
            throw new Error(`ListenerSet ${label}: gateway must be a Gateway component of this program (got ${args.gateway === undefined ? "nothing" : "something else"}); ` +
                "a ListenerSet against another stack's GatewayReference is not supported yet: declare it in the operator's program");
        }
        if (args.gateway.isSealed) throw args.gateway.lateListenerSetError(label);
        const certificateKeys = ownCertificateKeys(label, args);
        super(LISTENER_SET_TYPE, name, {}, opts);
        this.label = label;
        this.gateway = args.gateway;
        const namespace = args.namespace ?? "default";
        this.rawSpec = pulumi.output({
            name: args.name ?? name,
            namespace,
            labels: args.labels,
            parentRef: { name: args.gateway.name, namespace: args.gateway.namespace },
            listeners: args.listeners,
        }) as unknown as pulumi.Output<ListenerSetSpec>;
        this.spec = this.rawSpec.apply(withoutUndefined);
        this.name = this.spec.apply(s => s.name);
        this.namespace = this.spec.apply(s => s.namespace ?? "default");
        this.certificates = certificateKeys === undefined ? undefined : pulumi.secret(Object.fromEntries(
            Object.entries(args.certificates ?? {}).map(([k, v]) => [certificateKeys.get(k)!, v]))) as pulumi.Output<Record<string, TlsCertificate>>;
        args.gateway.attachListenerSet(this);
        declarations().listenerSets.push(this);
        const key = label;
        this.status = pulumi.output(unlessReported(args.gateway.rendered).then(r => {
            if (pulumi.isUnknown(r) || !r.known) return pulumi.unknown as unknown as ListenerSetStatus;
            const own = r.routing.listenerSets?.find(s => s.listenerSet === key);
            if (!own) throw new Error(`ListenerSet ${key}: Gateway ${args.gateway.label} compiled no status for it (a bug)`);
            return own;
        })) as pulumi.Output<ListenerSetStatus>;
        this.status.apply(() => undefined);
        this.registerOutputs({ name: this.name, namespace: this.namespace, status: this.status });
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
