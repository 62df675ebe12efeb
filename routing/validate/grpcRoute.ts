// Spec validation: GRPCRoute (parentRefs, hostnames, rules, method and header matches, filters,
// backendRefs), with the v1 CRD's patterns, limits and CEL rules. Filters and backend references
// share ./filters.ts with HTTPRoute (GRPCRoute allows header modifiers and mirrors only).

import { ValidationIssue } from "../errors";
import { GRPCRouteSpec } from "../types";
import { Checker, Obj } from "./checker";
import { checkFilters } from "./filters";
import { checkBackendRefs, checkRouteSpec, checkValueMatches } from "./httpRoute";
import { CONTROL_CHARS } from "./patterns";

/** The CRD's CEL character rules for Exact values. */
export const GRPC_SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
export const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

export function validateGRPCRoute(spec: GRPCRouteSpec): ValidationIssue[] {
    return checkRouteSpec("GRPCRoute", spec, checkRule);
}

function checkRule(c: Checker, p: string, rule: Obj): void {
    c.sectionName(`${p}.name`, rule.name);
    const matches = c.list(`${p}.matches`, rule.matches, { max: 64, what: "matches" });
    matches?.forEach((m, i) => checkMatch(c, `${p}.matches[${i}]`, m));
    checkFilters(c, `${p}.filters`, rule.filters, "GRPCRoute");
    checkBackendRefs(c, p, rule.backendRefs, "GRPCRoute");
}

function checkMatch(c: Checker, p: string, raw: unknown): void {
    const match = c.obj(p, raw);
    if (!match) return;
    const method = c.obj(`${p}.method`, match.method);
    if (method) checkMethod(c, `${p}.method`, method);
    const headers = c.list(`${p}.headers`, match.headers, { max: 16, what: "header matches" });
    checkValueMatches(c, `${p}.headers`, headers, 4096, true);
}

function checkMethod(c: Checker, p: string, m: Obj): void {
    const type = c.oneOf(`${p}.type`, m.type, ["Exact", "RegularExpression"]) ?? (m.type === undefined ? "Exact" : undefined);
    const service = c.str(`${p}.service`, m.service, { max: 1024 });
    const method = c.str(`${p}.method`, m.method, { max: 1024 });
    if (!service && !method && (m.service === undefined || typeof m.service === "string") && (m.method === undefined || typeof m.method === "string")) {
        c.add(p, m, "must set service or method (or both) to a non-empty value, e.g. { service: \"helloworld.Greeter\", method: \"SayHello\" }; omit method to match every call");
    }
    if (type === "Exact") {
        if (service && !GRPC_SERVICE.test(service)) {
            c.add(`${p}.service`, service, "must be a gRPC service name: letters, digits and '_' in '.'-separated parts, each starting with a letter or '_' (e.g. \"helloworld.Greeter\"); use type RegularExpression for a pattern");
        }
        if (method && !GRPC_METHOD.test(method)) {
            c.add(`${p}.method`, method, "must be a gRPC method name: letters, digits and '_', starting with a letter or '_' (e.g. \"SayHello\"); use type RegularExpression for a pattern");
        }
    } else if (type === "RegularExpression") {
        for (const [field, v] of [["service", service], ["method", method]] as const) {
            if (!v) continue;
            if (v.includes("/")) {
                c.add(`${p}.${field}`, v, `must not contain '/': gRPC ${field} names never do, and the pattern is matched against one segment of the call path "/service/method"`);
                continue;
            }
            if (CONTROL_CHARS.test(v)) {
                c.add(`${p}.${field}`, v, "must not contain CR, LF or other control characters (they would inject config); write \\n-style escapes in the pattern instead");
                continue;
            }
            c.regex(`${p}.${field}`, v);
        }
    }
}
