// Generators shared by the aws tests and bench: route sets over a small alphabet of hostnames,
// paths, headers and backends (so rules overlap often), and requests that probe them.

import fc from "fast-check";
import { compile } from "../routing/compile";
import { CompileInput, RoutingPlan } from "../routing/plan";
import { SimRequest, SimResult, simulate } from "../routing/simulate";
import { AlbEvaluation, evaluateAlb } from "../providers/aws/evaluate";
import type { AlbModel } from "../providers/aws/model";
import { HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, HTTPRouteSpec, Listener } from "../routing/types";

export const PARAMS = { subnetIds: ["subnet-a", "subnet-b"], vpcId: "vpc-1" };
export const CLASS = { name: "alb", controllerName: "gatewaykit.dev/aws-alb" };
export const SERVICES = ["s1", "s2", "s3"].map((name, i) => ({ name, namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: `10.0.0.${i + 1}` }] }));

// ---------------------------------------------------------------- generators

const HOSTNAMES = ["a.example.com", "b.example.com", "*.example.com", "x.a.example.com"];
const PATHS = ["/", "/a", "/a/", "/a/b", "/ab", "/b", "/a/b/c"];

const match: fc.Arbitrary<HTTPRouteMatch> = fc.record({
    type: fc.constantFrom("PathPrefix", "PathPrefix", "Exact"),
    value: fc.constantFrom(...PATHS),
    method: fc.option(fc.constantFrom("GET", "POST"), { nil: undefined, freq: 2 }),
    headers: fc.oneof(
        { arbitrary: fc.constant([] as { name: "x-a" | "x-b"; value: "v1" | "v2" }[]), weight: 2 },
        { arbitrary: fc.uniqueArray(fc.record({ name: fc.constantFrom("x-a", "x-b"), value: fc.constantFrom("v1", "v2") }), { minLength: 1, maxLength: 2, selector: h => h.name }), weight: 1 },
    ),
    query: fc.option(fc.record({ name: fc.constantFrom("q"), value: fc.constantFrom("1", "2") }), { nil: undefined, freq: 2 }),
}).map(m => {
    const out: HTTPRouteMatch = { path: { type: m.type as "PathPrefix" | "Exact", value: m.value } };
    if (m.method) out.method = m.method as "GET" | "POST";
    if (m.headers.length) out.headers = m.headers;
    if (m.query) out.queryParams = [m.query];
    return out;
});

const backendRefs = fc.array(fc.record({
    name: fc.constantFrom("s1", "s2", "s3", "missing"),
    weight: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(1)),
}), { maxLength: 3 }).map(bs => bs.map(b => ({ name: b.name, port: 8080, weight: b.weight })));

const redirect: fc.Arbitrary<HTTPRouteFilter> = fc.record({
    scheme: fc.option(fc.constantFrom("http", "https"), { nil: undefined }),
    hostname: fc.option(fc.constantFrom("new.example.org"), { nil: undefined }),
    port: fc.option(fc.constantFrom(8443), { nil: undefined }),
    path: fc.option(fc.constantFrom("/moved"), { nil: undefined }),
    statusCode: fc.constantFrom(301, 302),
}).filter(r => !!(r.scheme || r.hostname || r.port || r.path)).map(r => {
    const rd: NonNullable<HTTPRouteFilter["requestRedirect"]> = { statusCode: r.statusCode as 301 | 302 };
    if (r.scheme) rd.scheme = r.scheme as "http" | "https";
    if (r.hostname) rd.hostname = r.hostname;
    if (r.port) rd.port = r.port;
    if (r.path) rd.path = { type: "ReplaceFullPath", replaceFullPath: r.path };
    return { type: "RequestRedirect" as const, requestRedirect: rd };
});

const rewrite = fc.record({
    hostname: fc.option(fc.constantFrom("internal.svc"), { nil: undefined }),
    path: fc.option(fc.constantFrom("full", "prefix", "prefixRoot"), { nil: undefined }),
});

export const rule: fc.Arbitrary<HTTPRouteRule> = fc.record({
    matches: fc.array(match, { minLength: 1, maxLength: 2 }),
    kind: fc.constantFrom("forward", "forward", "forward", "redirect", "rewrite"),
    backendRefs, redirect, rewrite,
}).map(r => {
    const out: HTTPRouteRule = { matches: r.matches };
    if (r.kind === "redirect") {
        out.filters = [r.redirect];
        return out;
    }
    out.backendRefs = r.backendRefs;
    if (r.kind === "rewrite") {
        const f: NonNullable<HTTPRouteFilter["urlRewrite"]> = {};
        if (r.rewrite.hostname) f.hostname = r.rewrite.hostname;
        const prefixOnly = r.matches.length === 1 && r.matches[0].path!.type === "PathPrefix";
        if (r.rewrite.path === "full") f.path = { type: "ReplaceFullPath", replaceFullPath: "/rewritten" };
        else if (r.rewrite.path && prefixOnly) f.path = { type: "ReplacePrefixMatch", replacePrefixMatch: r.rewrite.path === "prefix" ? "/v2" : "/" };
        if (f.hostname || f.path) out.filters = [{ type: "URLRewrite", urlRewrite: f }];
    }
    return out;
});

export const LISTENER_SETS: Listener[][] = [
    [{ name: "http", port: 80, protocol: "HTTP" }],
    [{ name: "http", port: 8080, protocol: "HTTP" }],
    // Listener isolation on one port: precise, wildcard and catch-all listeners.
    [{ name: "any", port: 8080, protocol: "HTTP" }, { name: "wild", port: 8080, protocol: "HTTP", hostname: "*.example.com" },
        { name: "a", port: 8080, protocol: "HTTP", hostname: "a.example.com" }],
    [{ name: "any", port: 80, protocol: "HTTP" }, { name: "b", port: 80, protocol: "HTTP", hostname: "b.example.com" }],
];
for (const set of LISTENER_SETS) for (const l of set) l.allowedRoutes = { namespaces: { from: "All" } };

export type Gen = { listeners: number; routes: { name: string; hostnames: string[]; rules: HTTPRouteRule[] }[] };
export type GenRequest = { host: string; withPort: boolean; path: string; method: string; xa?: string; xb?: string; q?: string };

export const routeSet = fc.record({
    listeners: fc.integer({ min: 0, max: LISTENER_SETS.length - 1 }),
    routes: fc.uniqueArray(fc.record({
        name: fc.constantFrom("alpha", "bravo", "charlie", "delta", "echo", "foxtrot"),
        hostnames: fc.subarray(HOSTNAMES, { maxLength: 2 }),
        rules: fc.array(rule, { minLength: 1, maxLength: 3 }),
    }), { minLength: 1, maxLength: 5, selector: r => r.name }),
});

export function inputOf(gen: Gen): CompileInput {
    const routes: HTTPRouteSpec[] = gen.routes.map(r => ({
        name: r.name, namespace: "default", parentRefs: [{ name: "gw" }],
        ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: r.rules,
    }));
    return {
        gatewayClasses: [CLASS],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "alb", listeners: LISTENER_SETS[gen.listeners] }],
        services: SERVICES, routes,
    };
}

export const request = fc.record({
    host: fc.constantFrom("a.example.com", "b.example.com", "c.example.com", "x.a.example.com", "other.org", "A.Example.COM"),
    withPort: fc.boolean(),
    path: fc.constantFrom("/", "/a", "/a/", "/a/b", "/a/bc", "/ab", "/b", "/b/c", "/A", "/a/b/c/d", "/abc"),
    method: fc.constantFrom("GET", "POST"),
    xa: fc.constantFrom(undefined, "v1", "v2"),
    xb: fc.constantFrom(undefined, "v1"),
    q: fc.constantFrom(undefined, "1", "2"),
});


export function tryCompile(gen: Gen): RoutingPlan | undefined {
    try {
        return compile(inputOf(gen));
    } catch {
        return undefined; // a generated set the CRD rules refuse (e.g. a redirect beside backendRefs)
    }
}

export function requestOf(r: GenRequest, port: number): SimRequest {
    const headers: Record<string, string> = {};
    if (r.xa) headers["x-a"] = r.xa;
    if (r.xb) headers["X-B"] = r.xb;
    const host = r.withPort && port !== 80 ? `${r.host}:${port}` : r.host;
    return { scheme: "http", port, host, method: r.method, path: r.q ? `${r.path}?q=${r.q}` : r.path, headers };
}


// ---------------------------------------------------------------- comparison

/** Outcomes as "status service" → probability; an invalid share of a mixed rule is 503 on ALB (declared deviation). */
function simOutcomes(sim: SimResult): Map<string, number> {
    const mixed = sim.outcomes.some(o => o.status === 200) && sim.outcomes.some(o => o.status === 500 && o.invalidReason);
    const out = new Map<string, number>();
    for (const o of sim.outcomes) {
        const status = mixed && o.status === 500 ? 503 : o.status;
        const k = `${status} ${status === 200 ? o.backend?.service : ""} ${status === 200 ? `${o.request.host} ${o.request.path}` : ""}`;
        out.set(k, (out.get(k) ?? 0) + o.probability);
    }
    return out;
}

function albOutcomes(ev: AlbEvaluation): Map<string, number> {
    const out = new Map<string, number>();
    for (const o of ev.outcomes) {
        const k = `${o.status} ${o.status === 200 ? o.targetGroup?.service : ""} ${o.status === 200 ? `${o.request.host} ${o.request.path}` : ""}`;
        out.set(k, (out.get(k) ?? 0) + o.probability);
    }
    return out;
}

function sameDistribution(a: Map<string, number>, b: Map<string, number>): boolean {
    const keys = new Set([...a.keys(), ...b.keys()]);
    return [...keys].every(k => Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0)) < 1e-9);
}

/** The first difference between routing/simulate and the emitted ALB rules for one request (rule, outcomes, redirect), or undefined. */
export function compareWithSimulate(plan: RoutingPlan, model: AlbModel, req: SimRequest): string | undefined {
    const sim = simulate(plan, req);
    const ev = evaluateAlb(model, req);
    const simDist = simOutcomes(sim), albDist = albOutcomes(ev);
    const problems: string[] = [];
    if (!sameDistribution(simDist, albDist)) problems.push(`outcomes: simulate ${JSON.stringify([...simDist])} vs ALB ${JSON.stringify([...albDist])}`);
    if (sim.matched?.ruleId !== ev.rule?.source?.ruleId) problems.push(`rule: simulate ${sim.matched?.ruleId} vs ALB ${ev.rule?.key}`);
    if (sim.redirect?.location !== ev.redirect?.location || sim.redirect?.statusCode !== ev.redirect?.statusCode) {
        problems.push(`redirect: simulate ${JSON.stringify(sim.redirect)} vs ALB ${JSON.stringify(ev.redirect)}`);
    }
    return problems.length ? `${JSON.stringify(req)}: ${problems.join("; ")}` : undefined;
}
