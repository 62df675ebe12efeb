// The v1.6.1 CRDs' CEL rules (x-kubernetes-validations), checked on every emitted object before the
// cluster sees it — the API server would refuse the object mid-update otherwise. The rules are the
// CRDs' own, evaluated by crd-cel.ts with a CEL library, so this check is the CRD by construction
// (with the one structural check the server makes beside them: no duplicate key in a list-type map).
// (Everything here is a CRD rule: gatewaykit's own checks of the objects — names, namespaces,
// Service ports and addresses, grants — live in model/index.ts.)

import { evaluateCrdRules } from "./crd-cel";
import { Manifest } from "./manifests";

/**
 * Problems with one object, each "<Kind> <ns>/<name>: <field>: <the CRD's message>". Core objects
 * (Service, EndpointSlice) have no CRD rules. `evaluated`, when given, collects the indexes of the
 * rules that ran (coverage).
 */
export function celProblems(m: Manifest, evaluated?: Set<number>): string[] {
    const result = evaluateCrdRules(m);
    if (result === undefined) return [];
    for (const i of result.evaluated) evaluated?.add(i);
    const name = `${m.kind} ${m.metadata.namespace ? m.metadata.namespace + "/" : ""}${m.metadata.name}`;
    return result.violations.map(v => `${name}: ${v.field}: ${v.message}`);
}
