// Server-side dry-run apply of single objects against a ControlPlane: the API server's verdict
// (admission, schema, CEL, core validation) without storing anything, so the same names may be
// judged again and again. Used by test/kube-differential.test.ts.

import { ControlPlane } from "./harness";

/** A Kubernetes object as JSON (apiVersion, kind, metadata.name, optional metadata.namespace). */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
    [field: string]: unknown;
}

export interface ServerVerdict {
    accepted: boolean;
    status: number;
    /** The server's message when it refused (Status.message), else "". */
    message: string;
    /** The fields the server named (Status.details.causes[].field). */
    fields: string[];
}

const CLUSTER_SCOPED = new Set(["GatewayClass", "Namespace", "CustomResourceDefinition"]);

/** The REST path of one object: /api/v1/… for the core group, /apis/<group>/<version>/… otherwise. */
export function objectPath(o: KubeObject): string {
    const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const lower = o.kind.toLowerCase();
    const plural = lower.endsWith("s") ? `${lower}es` : /[^aeiou]y$/.test(lower) ? `${lower.slice(0, -1)}ies` : `${lower}s`;
    const ns = CLUSTER_SCOPED.has(o.kind) ? "" : `/namespaces/${encodeURIComponent(o.metadata.namespace ?? "default")}`;
    return `${base}${ns}/${plural}/${encodeURIComponent(o.metadata.name)}`;
}

/** One server-side apply with dryRun=All (JSON is YAML, so the body is the object as JSON). */
export async function dryRunApply(cp: ControlPlane, o: KubeObject, fieldManager = "gatewaykit-differential"): Promise<ServerVerdict> {
    const answer = await cp.request("PATCH", `${objectPath(o)}?dryRun=All&fieldManager=${fieldManager}&force=true`,
        JSON.stringify(o), "application/apply-patch+yaml");
    const accepted = answer.status === 200 || answer.status === 201;
    return {
        accepted, status: answer.status,
        message: accepted ? "" : String(answer.json?.message ?? answer.body),
        fields: accepted ? [] : ((answer.json?.details?.causes ?? []) as { field?: string }[]).map(c => c.field ?? "").filter(Boolean),
    };
}

/** dryRunApply of every object, at most `parallel` requests in flight; verdicts in input order. */
export async function dryRunApplyAll(cp: ControlPlane, objects: KubeObject[], parallel = 12): Promise<ServerVerdict[]> {
    const out: ServerVerdict[] = new Array(objects.length);
    let next = 0;
    const worker = async () => {
        while (next < objects.length) {
            const i = next++;
            out[i] = await dryRunApply(cp, objects[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, objects.length) }, worker));
    return out;
}
