// Generators for the plan tests: route sets over a small alphabet (so rules overlap and shadow each
// other often), on listener sets that exercise the port decisions (isolation by hostname, HTTPS,
// an invalid listener, a protocol conflict), and requests built to match a given plan rule.

import fc from "fast-check";
import { CompileInput, PlanRule } from "../routing/plan";
import { SimRequest } from "../routing/simulate";
import { HTTPBackendRef, HTTPPathModifier, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, HTTPRouteSpec, Listener, ServiceSpec } from "../routing/types";

const CERT = { certificateRefs: [{ name: "cert" }] };
export const LISTENER_SETS: Listener[][] = [
    [{ name: "http", port: 80, protocol: "HTTP" }],
    [{ name: "https", port: 443, protocol: "HTTPS", tls: CERT }, { name: "http", port: 8080, protocol: "HTTP" }],
    // Isolation on one port: catch-all, wildcard and precise listeners.
    [{ name: "any", port: 8080, protocol: "HTTP" }, { name: "wild", port: 8080, protocol: "HTTP", hostname: "*.example.com" },
        { name: "a", port: 8080, protocol: "HTTP", hostname: "a.example.com" }],
    [{ name: "b", port: 8443, protocol: "HTTPS", hostname: "b.example.com", tls: CERT }, { name: "any", port: 8443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "c2", namespace: "certs" }] } }],
    // An invalid listener (its certificateRef has an unsupported kind) still owns its hostname.
    [{ name: "bad", port: 443, protocol: "HTTPS", hostname: "a.example.com", tls: { certificateRefs: [{ name: "x", kind: "ConfigMap" }] } },
        { name: "good", port: 443, protocol: "HTTPS", tls: CERT }],
    // A protocol conflict: both listeners are invalid.
    [{ name: "plain", port: 8000, protocol: "HTTP" }, { name: "tls", port: 8000, protocol: "HTTPS", tls: CERT }, { name: "other", port: 80, protocol: "HTTP", hostname: "*.example.com" }],
];
for (const set of LISTENER_SETS) for (const l of set) l.allowedRoutes = { namespaces: { from: "All" } };

export const HOSTNAMES = ["a.example.com", "b.example.com", "*.example.com", "x.a.example.com", "*.a.example.com", "other.org"];
const PATHS = ["/", "/a", "/a/", "/a/b", "/ab", "/b/", "/a/b/c"];

export const SERVICES: ServiceSpec[] = [
    ...["s1", "s2", "s3"].map((name, i) => ({ name, namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: `10.0.0.${i + 1}` }] })),
    { name: "s1", namespace: "other", ports: [{ port: 8080 }] }, // cross-namespace without a grant: RefNotPermitted
];

/** `loose`: names repeated in other cases and shapes validation refuses, for compile(…, {skipValidation}). */
function matchArb(loose: boolean): fc.Arbitrary<HTTPRouteMatch> {
    const headerNames = loose ? ["x-a", "X-A", "x-b"] : ["x-a", "x-b"];
    const queryNames = loose ? ["q", "Q", "q"] : ["q", "Q"];
    const values = fc.array(fc.record({ name: fc.constantFrom(...headerNames), value: fc.constantFrom("v1", "v2") }), { maxLength: 3 });
    const queries = fc.array(fc.record({ name: fc.constantFrom(...queryNames), value: fc.constantFrom("1", "2") }), { maxLength: 2 });
    return fc.record({
        type: fc.constantFrom("PathPrefix", "PathPrefix", "Exact"),
        value: fc.constantFrom(...PATHS),
        method: fc.option(fc.constantFrom("GET", "POST"), { nil: undefined, freq: 2 }),
        headers: values, queries,
    }).map(m => {
        const out: HTTPRouteMatch = { path: { type: m.type as "PathPrefix" | "Exact", value: m.value } };
        if (m.method) out.method = m.method as "GET" | "POST";
        const uniq = <T extends { name: string }>(xs: T[], fold: boolean) => loose ? xs : xs.filter((x, i) => xs.findIndex(y => fold ? y.name.toLowerCase() === x.name.toLowerCase() : y.name === x.name) === i);
        const hs = uniq(m.headers, true), qs = uniq(m.queries, false);
        if (hs.length) out.headers = hs;
        if (qs.length) out.queryParams = qs;
        return out;
    });
}

const pathModifier: fc.Arbitrary<HTTPPathModifier | undefined> = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom("/", "/moved", "/moved/", "/v2/x").map(p => ({ type: "ReplaceFullPath" as const, replaceFullPath: p })),
    fc.constantFrom("/", "/v2", "/v2/", "/x/y").map(p => ({ type: "ReplacePrefixMatch" as const, replacePrefixMatch: p })),
);

const redirect: fc.Arbitrary<HTTPRouteFilter> = fc.record({
    scheme: fc.option(fc.constantFrom("http", "https"), { nil: undefined }),
    hostname: fc.option(fc.constantFrom("new.example.org"), { nil: undefined }),
    port: fc.option(fc.constantFrom(80, 443, 8443), { nil: undefined }),
    path: pathModifier,
    statusCode: fc.option(fc.constantFrom(301, 302, 303, 307, 308), { nil: undefined }),
}).map(r => {
    const rd: NonNullable<HTTPRouteFilter["requestRedirect"]> = {};
    if (r.scheme) rd.scheme = r.scheme as "http" | "https";
    if (r.hostname) rd.hostname = r.hostname;
    if (r.port) rd.port = r.port;
    if (r.path) rd.path = r.path;
    if (r.statusCode) rd.statusCode = r.statusCode as 301;
    return { type: "RequestRedirect" as const, requestRedirect: rd };
});

const rewrite: fc.Arbitrary<HTTPRouteFilter> = fc.record({
    hostname: fc.option(fc.constantFrom("internal.svc"), { nil: undefined }),
    path: pathModifier,
}).map(r => ({ type: "URLRewrite" as const, urlRewrite: { ...(r.hostname ? { hostname: r.hostname } : {}), ...(r.path ? { path: r.path } : {}) } }));

const mirror: fc.Arbitrary<HTTPRouteFilter> = fc.record({
    name: fc.constantFrom("s2", "missing"),
    percent: fc.option(fc.constantFrom(10, 50), { nil: undefined }),
}).map(m => ({ type: "RequestMirror" as const, requestMirror: { backendRef: { name: m.name, port: 8080 }, ...(m.percent ? { percent: m.percent } : {}) } }));

const backendRef: fc.Arbitrary<HTTPBackendRef> = fc.record({
    name: fc.constantFrom("s1", "s2", "s3", "missing"),
    namespace: fc.constantFrom(undefined, undefined, undefined, "other"),
    kind: fc.constantFrom(undefined, undefined, undefined, undefined, "ConfigMap"),
    weight: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    rewrite: fc.option(rewrite, { nil: undefined, freq: 5 }),
    mirror: fc.option(mirror, { nil: undefined, freq: 6 }),
}).map(b => {
    const ref: HTTPBackendRef = { name: b.name, port: 8080 };
    if (b.namespace) ref.namespace = b.namespace;
    if (b.kind) ref.kind = b.kind;
    if (b.weight !== undefined) ref.weight = b.weight;
    const filters = [b.rewrite, b.mirror].filter((f): f is HTTPRouteFilter => f !== undefined);
    if (filters.length) ref.filters = filters;
    return ref;
});

function ruleArb(loose: boolean): fc.Arbitrary<HTTPRouteRule> {
    return fc.record({
        name: fc.option(fc.constantFrom("canary", "main"), { nil: undefined, freq: 3 }),
        matches: fc.array(matchArb(loose), { minLength: 0, maxLength: 2 }),
        kind: fc.constantFrom("forward", "forward", "redirect"),
        backendRefs: fc.array(backendRef, { maxLength: 3 }),
        redirect, rewrite: fc.option(rewrite, { nil: undefined }), mirror: fc.option(mirror, { nil: undefined }),
        timeouts: fc.option(fc.record({ request: fc.constantFrom("10s", "1m30s", "500ms"), backendRequest: fc.constantFrom(undefined, "200ms") }), { nil: undefined, freq: 4 }),
    }).map(r => {
        const out: HTTPRouteRule = {};
        if (r.name) out.name = r.name;
        if (r.matches.length) out.matches = r.matches;
        if (r.timeouts) out.timeouts = r.timeouts.backendRequest ? r.timeouts : { request: r.timeouts.request };
        // Validation allows ReplacePrefixMatch only on a rule with one PathPrefix match.
        const prefixOk = loose || (r.matches.length === 1 && r.matches[0].path?.type === "PathPrefix");
        const fit = (f: HTTPRouteFilter): HTTPRouteFilter => {
            const mod = f.requestRedirect?.path ?? f.urlRewrite?.path;
            if (prefixOk || mod?.type !== "ReplacePrefixMatch") return f;
            const full = { type: "ReplaceFullPath" as const, replaceFullPath: mod.replacePrefixMatch };
            return f.requestRedirect ? { ...f, requestRedirect: { ...f.requestRedirect, path: full } } : { ...f, urlRewrite: { ...f.urlRewrite, path: full } };
        };
        r.redirect = fit(r.redirect);
        if (r.rewrite) r.rewrite = fit(r.rewrite);
        r.backendRefs = r.backendRefs.map(b => (b.filters ? { ...b, filters: b.filters.map(fit) } : b));
        if (r.kind === "redirect") {
            out.filters = [r.redirect];
            if (loose) out.backendRefs = r.backendRefs; // validation refuses a redirect beside backendRefs
            return out;
        }
        out.backendRefs = r.backendRefs;
        const filters = [r.rewrite, r.mirror].filter((f): f is HTTPRouteFilter => f !== undefined);
        if (filters.length) out.filters = filters;
        return out;
    });
}

export interface Gen { listeners: number; routes: { name: string; hostnames: string[]; rules: HTTPRouteRule[] }[] }

export function routeSet(loose: boolean): fc.Arbitrary<Gen> {
    return fc.record({
        listeners: fc.integer({ min: 0, max: LISTENER_SETS.length - 1 }),
        routes: fc.uniqueArray(fc.record({
            name: fc.constantFrom("alpha", "bravo", "charlie", "delta", "echo"),
            hostnames: fc.subarray(HOSTNAMES, { maxLength: 2 }),
            rules: fc.array(ruleArb(loose), { minLength: 1, maxLength: 3 }),
        }), { minLength: 1, maxLength: 4, selector: r => r.name }),
    }).map(g => {
        // Rule names are unique in a route (they make rule ids), even where validation is skipped.
        for (const r of g.routes) {
            const names = new Set<string>();
            r.rules = r.rules.map(rule => {
                if (rule.name === undefined) return rule;
                if (names.has(rule.name)) { const { name: _dropped, ...rest } = rule; return rest; }
                names.add(rule.name);
                return rule;
            });
        }
        return g;
    });
}

export function inputOf(gen: Gen): CompileInput {
    const routes: HTTPRouteSpec[] = gen.routes.map(r => ({
        name: r.name, namespace: "default", parentRefs: [{ name: "gw" }],
        ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: r.rules,
    }));
    return {
        gatewayClasses: [{ name: "gk", controllerName: "gatewaykit.dev/plan" }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "gk", listeners: LISTENER_SETS[gen.listeners] }],
        services: SERVICES, routes,
    };
}

/** Knobs for a request built to match a rule: which concrete host/path it uses. */
export interface Probe { sub: boolean; tail: boolean; extraQuery: boolean; upperHost: boolean }
export const probe: fc.Arbitrary<Probe> = fc.record({ sub: fc.boolean(), tail: fc.boolean(), extraQuery: fc.boolean(), upperHost: fc.boolean() });

/** A concrete host a hostname pattern matches. */
export function hostFor(pattern: string | undefined, sub: boolean): string {
    if (pattern === undefined) return sub ? "c.example.com" : "any.test";
    if (!pattern.startsWith("*.")) return pattern;
    return (sub ? "p.q" : "z") + pattern.slice(1);
}

/** A request that matches `rule` on `listener` (whether it wins is simulate's call). */
export function requestFor(rule: PlanRule, listener: { port: number; protocol: string; hostname?: string }, p: Probe): SimRequest {
    const m = rule.match;
    let path: string;
    if (m.path.type === "Exact") path = m.path.value;
    else {
        const prefix = m.path.value.endsWith("/") ? m.path.value.slice(0, -1) : m.path.value;
        path = p.tail || prefix === "" ? `${prefix}/t/u` : prefix;
    }
    const headers: Record<string, string> = {};
    for (const h of [...m.headers].reverse()) headers[h.name] = h.value; // the first matcher per name wins
    const query: string[] = [];
    const seen = new Set<string>();
    for (const q of m.queryParams) if (!seen.has(q.name)) { seen.add(q.name); query.push(`${q.name}=${q.value}`); }
    if (p.extraQuery) query.push("z=1");
    const host = hostFor(rule.hostname ?? listener.hostname, p.sub);
    return {
        scheme: listener.protocol === "HTTPS" ? "https" : "http",
        port: listener.port,
        host: p.upperHost ? host.toUpperCase() : host,
        method: m.method ?? "GET",
        path: query.length ? `${path}?${query.join("&")}` : path,
        headers,
    };
}
