// Generated GRPCRoute sets and gRPC calls for the adapters' differential tests against
// simulateGRPC (providers/aws/grpc.test.ts, providers/gcp/grpc.test.ts): a few services and
// methods, so matches overlap and shadow each other, header matches on two names, weights with 0s.
import fc from "fast-check";
import { GRPCRouteMatch, GRPCRouteSpec } from "../routing/types";

const SERVICES = ["pkg.Svc", "pkg.Svc2", "other.Api"];
const METHODS = ["Get", "List", "Put"];

const match: fc.Arbitrary<GRPCRouteMatch> = fc.record({
    method: fc.option(fc.oneof(
        fc.record({ service: fc.constantFrom(...SERVICES), method: fc.constantFrom(...METHODS) }),
        fc.record({ service: fc.constantFrom(...SERVICES) }),
    ), { nil: undefined }),
    headers: fc.option(fc.constantFrom([{ name: "x-env", value: "canary" }], [{ name: "x-env", value: "prod" }, { name: "x-team", value: "a" }]), { nil: undefined }),
}, { requiredKeys: [] }).map(m => ({ ...(m.method ? { method: m.method } : {}), ...(m.headers ? { headers: m.headers.map(h => ({ ...h })) } : {}) }));

/** 1–3 GRPCRoutes in namespace default on Gateway "gw", backends of port 8080 named from `backends` ("gone" resolves to nothing). */
export function grpcRouteSet(backends: string[]): fc.Arbitrary<GRPCRouteSpec[]> {
    return fc.uniqueArray(fc.record({
        name: fc.constantFrom("r1", "r2", "r3"),
        hostnames: fc.option(fc.constantFrom(["a.example.com"], ["*.example.com"]), { nil: undefined }),
        rules: fc.array(fc.record({
            matches: fc.option(fc.array(match, { maxLength: 2 }), { nil: undefined }),
            backendRefs: fc.array(fc.record({ name: fc.constantFrom(...backends, "gone"), weight: fc.constantFrom(1, 3, 0) }), { maxLength: 2 }),
        }), { minLength: 1, maxLength: 3 }),
    }), { selector: r => r.name, minLength: 1, maxLength: 3 }).map(gen => gen.map(g => ({
        name: g.name, namespace: "default", parentRefs: [{ name: "gw" }],
        ...(g.hostnames ? { hostnames: [...g.hostnames] } : {}),
        rules: g.rules.map(r => ({ ...(r.matches ? { matches: r.matches } : {}), ...(r.backendRefs.length ? { backendRefs: r.backendRefs.map(b => ({ ...b, port: 8080 })) } : {}) })),
    })));
}

export interface GeneratedCall { host: string; service: string; method: string; metadata: Record<string, string> }

/** Ten calls over the same services and methods, on hosts the routes match and one they do not. */
export const grpcCalls: fc.Arbitrary<GeneratedCall[]> = fc.array(fc.record({
    host: fc.constantFrom("a.example.com", "b.example.com", "c.other.org"), service: fc.constantFrom(...SERVICES), method: fc.constantFrom(...METHODS),
    env: fc.option(fc.constantFrom("canary", "prod")), team: fc.option(fc.constant("a")),
}).map(c => ({ host: c.host, service: c.service, method: c.method, metadata: { ...(c.env ? { "x-env": c.env } : {}), ...(c.team ? { "x-team": c.team } : {}) } })), { minLength: 10, maxLength: 10 });
