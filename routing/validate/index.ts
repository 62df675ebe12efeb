// Spec validation: the rules of the Gateway API v1 CRDs (OpenAPI patterns, lengths, enums, maxItems
// and the CEL x-kubernetes-validations) for the fields gatewaykit models, plus gatewaykit's own
// limits (HTTP/HTTPS listeners only, no TLS passthrough, no ExtensionRef). Input is treated as
// untyped: users pass data from YAML/JSON or other Pulumi languages, so a wrong JS type yields an
// issue, never a crash. Every issue names the resource, the field path, the value and the fix, and
// all issues are returned, not just the first.
//
// Layout: ./checker.ts (issue collection), ./patterns.ts (CRD patterns), one file per kind
// (./gatewayClass.ts, ./gateway.ts, ./httpRoute.ts with ./filters.ts, ./service.ts,
// ./referenceGrant.ts); this file validates a whole CompileInput.

import { GatewayValidationError, ValidationIssue } from "../errors";
import { CompileInput } from "../plan";
import { GatewayClassSpec, GatewaySpec, GRPCRouteSpec, HTTPRouteSpec, ListenerSetSpec, ReferenceGrantSpec, ServiceSpec } from "../types";
import { Checker, jsType, labelOf, nsOf, Obj, quote } from "./checker";
import { validateGateway, validateListenerSet } from "./gateway";
import { validateGatewayClass } from "./gatewayClass";
import { validateGRPCRoute } from "./grpcRoute";
import { validateRoute } from "./httpRoute";
import { validateReferenceGrant } from "./referenceGrant";
import { validateService } from "./service";
import { validateBackendTLSPolicy, validateBackendTrafficPolicy } from "./policies";

export { validateBackendTLSPolicy, validateBackendTrafficPolicy };
export { validateGateway, validateGatewayClass, validateListenerSet, validateGRPCRoute, validateReferenceGrant, validateRoute, validateService };
export { DATA_PLANE_HEADERS } from "./filters";
export { hostnameProblem } from "./patterns";
/** Re-exported for importers of the validate module; the one parser is routing/durations.ts. */
export { parseDuration } from "../durations";

/** Every issue in every object of `input`, plus duplicate names of one kind in one namespace. */
export function validateInput(input: CompileInput): ValidationIssue[] {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
        return [{ resource: "CompileInput", field: "", value: input, message: `must be an object with gateways and routes lists, not ${jsType(input)}` }];
    }
    const issues: ValidationIssue[] = [];
    const raw = input as unknown as Obj;
    const each = <T>(key: keyof CompileInput, kind: string, required: boolean, validate: (spec: T) => ValidationIssue[]) => {
        // Namespaces are cluster-scoped: their identity and label are the name alone.
        const clusterScoped = kind === "Namespace";
        const list = raw[key];
        if (list === undefined || list === null) {
            if (required) issues.push({ resource: "CompileInput", field: key, value: list, message: `is required: a list of ${kind} specs (may be empty)` });
            return;
        }
        if (!Array.isArray(list)) {
            issues.push({ resource: "CompileInput", field: key, value: list, message: `must be a list of ${kind} specs, not ${jsType(list)}` });
            return;
        }
        const seen = new Set<string>();
        for (const spec of list) {
            const found = validate(spec as T);
            if (found.length > 0) issues.push(...found);
            const name = (spec as Obj | null)?.name;
            if (typeof name !== "string") continue;
            const id = clusterScoped ? name : `${nsOf(spec)}/${name}`;
            if (seen.has(id)) {
                issues.push({
                    resource: clusterScoped ? `${kind} ${name}` : labelOf(kind, spec), field: "metadata.name", value: name,
                    message: clusterScoped
                        ? `is a duplicate: another ${kind} has this name; names must be unique`
                        : `is a duplicate: another ${kind} in namespace ${quote(nsOf(spec))} has this name; names must be unique per kind and namespace`,
                });
            }
            seen.add(id);
        }
    };
    each<GatewayClassSpec>("gatewayClasses", "GatewayClass", false, validateGatewayClass);
    each<GatewaySpec>("gateways", "Gateway", true, validateGateway);
    each<ListenerSetSpec>("listenerSets", "ListenerSet", false, validateListenerSet);
    each<HTTPRouteSpec>("routes", "HTTPRoute", true, validateRoute);
    each<GRPCRouteSpec>("grpcRoutes", "GRPCRoute", false, validateGRPCRoute);
    issues.push(...crossKindDuplicates(raw.routes, raw.grpcRoutes));
    const checkedPolicies = new Map<string, ValidationIssue[]>();
    each<ServiceSpec>("services", "Service", false, spec => validateService(spec, checkedPolicies));
    each<ReferenceGrantSpec>("referenceGrants", "ReferenceGrant", false, validateReferenceGrant);
    each<unknown>("namespaces", "Namespace", false, validateNamespace);
    return issues;
}

/**
 * A GRPCRoute may not share its namespace/name with an HTTPRoute: plan rule ids, route statuses and
 * adapter resource names are keyed by "namespace/name" (Kubernetes allows it; gatewaykit does not).
 */
function crossKindDuplicates(routes: unknown, grpcRoutes: unknown): ValidationIssue[] {
    if (!Array.isArray(routes) || !Array.isArray(grpcRoutes)) return [];
    const http = new Set(routes.map(r => typeof (r as Obj | null)?.name === "string" ? `${nsOf(r)}/${(r as Obj).name}` : undefined));
    return grpcRoutes.filter(g => typeof (g as Obj | null)?.name === "string" && http.has(`${nsOf(g)}/${(g as Obj).name}`)).map(g => ({
        resource: labelOf("GRPCRoute", g), field: "metadata.name", value: (g as Obj).name,
        message: `is also the name of an HTTPRoute in namespace ${quote(nsOf(g))}; gatewaykit names rules and resources by namespace/name, so give the GRPCRoute another name (e.g. ${quote(`${(g as Obj).name}-grpc`)})`,
    }));
}

/** Namespaces are cluster-scoped: labelled "Namespace <name>", identity is the name alone. */
export function validateNamespace(spec: unknown): ValidationIssue[] {
    const name = (spec as Obj | null)?.name;
    const c = new Checker(`Namespace ${typeof name === "string" ? name : "<unnamed>"}`);
    const s = c.obj("spec", spec, true);
    if (!s) return c.issues;
    c.label("metadata.name", s.name, true);
    c.labels("metadata.labels", s.labels);
    return c.issues;
}

/** Throws GatewayValidationError carrying every issue when `input` is invalid. */
export function assertValid(input: CompileInput): void {
    const issues = validateInput(input);
    if (issues.length > 0) throw new GatewayValidationError(issues);
}
