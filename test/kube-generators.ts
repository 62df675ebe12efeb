// Generators of gatewaykit inputs covering every feature the kubernetes adapter renders (listener
// isolation, HTTPS, allowedRoutes, all match kinds, every filter, weights, mirrors, timeouts, named
// rules, cross-namespace and realised Services) and of the adapter's parameters. Shared by the
// schema test (providers/kubernetes/model/manifests.test.ts) and the server-side dry-run
// differential (test/kube-differential.test.ts), so both judge the same plans.

import fc from "fast-check";
import { CompileInput, GatewayInput } from "../routing/plan";
import { GRPCRouteFilter, GRPCRouteMatch, GRPCRouteRule, GRPCRouteSpec, HTTPHeaderFilter, HTTPRouteFilter, HTTPRouteRule, HTTPRouteSpec, Listener, ServiceSpec } from "../routing/types";

export const ROUTE_NAMESPACES = ["default", "team-a"];

export const SERVICES: ServiceSpec[] = ROUTE_NAMESPACES.flatMap(ns => [
    { name: "svc-a", namespace: ns, ports: [{ port: 8080, targetPort: 9090 }], endpoints: [{ address: "10.0.0.1" }, { address: "10.0.0.2" }] },
    { name: "svc-b", namespace: ns, ports: [{ port: 80, name: "http" }, { port: 81 }], endpoints: [{ address: "fd00::1" }, { address: "10.0.1.1", port: 7000 }] },
    { name: "svc-c", namespace: ns, ports: [{ port: 8080 }], realizations: { kubernetes: { serviceName: "shared-c", namespace: "shared" } } },
    { name: "svc-d", namespace: ns, ports: [{ port: 8080 }] },
]);
const BACKENDS = [{ name: "svc-a", port: 8080 }, { name: "svc-b", port: 80 }, { name: "svc-b", port: 81 }, { name: "svc-c", port: 8080 }, { name: "svc-d", port: 8080 }];

const headerFilter: fc.Arbitrary<HTTPHeaderFilter> = fc.record({ set: fc.boolean(), add: fc.boolean(), remove: fc.boolean() })
    .filter(f => f.set || f.add || f.remove)
    .map(f => ({
        ...(f.set ? { set: [{ name: "x-set", value: "1" }] } : {}),
        ...(f.add ? { add: [{ name: "x-add", value: "2" }] } : {}),
        ...(f.remove ? { remove: ["x-remove"] } : {}),
    }));

const pathModifier = fc.oneof(
    fc.constant({ type: "ReplaceFullPath" as const, replaceFullPath: "/full" }),
    fc.constant({ type: "ReplacePrefixMatch" as const, replacePrefixMatch: "/prefix" }),
);

const mirror = fc.record({
    backend: fc.constantFrom(...BACKENDS),
    share: fc.oneof(fc.constant({}), fc.constant({ percent: 25 }), fc.constant({ fraction: { numerator: 1, denominator: 3 } })),
}).map(({ backend, share }): HTTPRouteFilter => ({ type: "RequestMirror", requestMirror: { backendRef: { ...backend }, ...share } }));

/** A CORS filter (HTTPCORSFilter): origins with wildcards, lists or "*", credentials, max age. */
const cors = fc.record({
    allowOrigins: fc.constantFrom(["*"], ["https://www.example.com", "https://*.example.com"], ["http://app.example.com:8080"], ["https://*"]),
    allowMethods: fc.constantFrom(["*"], ["GET", "PUT"], []),
    allowHeaders: fc.constantFrom(["*"], ["x-h1", "X-H2"]),
    exposeHeaders: fc.constantFrom(["x-e1"], []),
    allowCredentials: fc.boolean(),
    maxAge: fc.option(fc.constantFrom(1, 3600), { nil: undefined }),
}, { requiredKeys: ["allowOrigins"] }).map((c): HTTPRouteFilter => ({ type: "CORS", cors: Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) }));

/** Filters that may go with backendRefs: header changes, one rewrite, mirrors, CORS. */
const forwardFilters = fc.record({
    req: fc.option(headerFilter, { nil: undefined }),
    res: fc.option(headerFilter, { nil: undefined }),
    rewrite: fc.option(fc.record({ hostname: fc.option(fc.constant("rewritten.example.com"), { nil: undefined }), path: fc.option(pathModifier, { nil: undefined }) }), { nil: undefined }),
    mirrors: fc.array(mirror, { maxLength: 2 }),
    cors: fc.option(cors, { nil: undefined }),
}).map(({ req, res, rewrite, mirrors, cors: c }) => {
    const out: HTTPRouteFilter[] = [];
    if (c) out.push(c);
    if (req) out.push({ type: "RequestHeaderModifier", requestHeaderModifier: req });
    if (res) out.push({ type: "ResponseHeaderModifier", responseHeaderModifier: res });
    if (rewrite && (rewrite.hostname || rewrite.path)) {
        out.push({ type: "URLRewrite", urlRewrite: { ...(rewrite.hostname ? { hostname: rewrite.hostname } : {}), ...(rewrite.path ? { path: rewrite.path } : {}) } });
    }
    out.push(...mirrors);
    return out;
});

const redirect = fc.record({
    scheme: fc.option(fc.constantFrom("http" as const, "https" as const), { nil: undefined }),
    hostname: fc.option(fc.constant("moved.example.com"), { nil: undefined }),
    path: fc.option(pathModifier, { nil: undefined }),
    port: fc.option(fc.constantFrom(80, 8443), { nil: undefined }),
    statusCode: fc.option(fc.constantFrom(301 as const, 302 as const, 303 as const, 307 as const, 308 as const), { nil: undefined }),
}, { requiredKeys: [] }).map((r): HTTPRouteFilter => ({
    type: "RequestRedirect",
    requestRedirect: Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)),
}));

const match = fc.record({
    path: fc.option(fc.oneof(
        fc.record({ type: fc.constantFrom("Exact" as const, "PathPrefix" as const), value: fc.constantFrom("/", "/a", "/a/b", "/groups") }),
        fc.constant({ type: "RegularExpression" as const, value: "/v[0-9]+/.*" }),
        fc.constant({ value: "/only-value" }),
    ), { nil: undefined }),
    headers: fc.option(fc.array(fc.oneof(
        fc.record({ name: fc.constantFrom("x-env", "X-Team"), value: fc.constantFrom("canary", "a") }),
        fc.constant({ type: "RegularExpression" as const, name: "x-version", value: "v[12]" }),
    ), { minLength: 1, maxLength: 2 }).map(hs => hs.filter((h, i) => hs.findIndex(o => o.name.toLowerCase() === h.name.toLowerCase()) === i)), { nil: undefined }),
    queryParams: fc.option(fc.array(fc.oneof(
        fc.record({ name: fc.constantFrom("q", "page"), value: fc.constantFrom("1", "x") }),
        fc.constant({ type: "RegularExpression" as const, name: "id", value: "[0-9]+" }),
    ), { minLength: 1, maxLength: 2 }).map(qs => qs.filter((q, i) => qs.findIndex(o => o.name === q.name) === i)), { nil: undefined }),
    method: fc.option(fc.constantFrom("GET" as const, "POST" as const, "PATCH" as const), { nil: undefined }),
}, { requiredKeys: [] }).map(m => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)));

const backendRef = fc.record({
    backend: fc.constantFrom(...BACKENDS),
    weight: fc.option(fc.constantFrom(0, 1, 10, 90, 1000), { nil: undefined }),
    filters: fc.option(fc.record({ req: fc.option(headerFilter, { nil: undefined }), res: fc.option(headerFilter, { nil: undefined }) }), { nil: undefined }),
}).map(({ backend, weight, filters }) => {
    const fs: HTTPRouteFilter[] = [];
    if (filters?.req) fs.push({ type: "RequestHeaderModifier", requestHeaderModifier: filters.req });
    if (filters?.res) fs.push({ type: "ResponseHeaderModifier", responseHeaderModifier: filters.res });
    return { ...backend, ...(weight !== undefined ? { weight } : {}), ...(fs.length > 0 ? { filters: fs } : {}) };
});

const timeouts = fc.option(fc.oneof(
    fc.constant({ request: "10s" }), fc.constant({ backendRequest: "2s" }), fc.constant({ request: "10s", backendRequest: "500ms" }), fc.constant({ request: "0s", backendRequest: "1m" }),
), { nil: undefined });

/** A rule that forwards (backendRefs, maybe none) or redirects; ReplacePrefixMatch gets its single PathPrefix match. */
const rule = fc.record({
    kind: fc.constantFrom("forward", "forward", "redirect"),
    matches: fc.option(fc.array(match, { maxLength: 3 }), { nil: undefined }),
    forward: forwardFilters,
    redirect,
    backendRefs: fc.array(backendRef, { maxLength: 3 }),
    timeouts,
}).map(({ kind, matches, forward, redirect: r, backendRefs, timeouts: t }): HTTPRouteRule => {
    const filters = kind === "redirect" ? [r] : forward;
    const prefixModifier = filters.some(f => (f.requestRedirect ?? f.urlRewrite)?.path?.type === "ReplacePrefixMatch");
    return {
        ...(prefixModifier ? { matches: [{ path: { type: "PathPrefix", value: "/groups" } }] } : matches !== undefined ? { matches } : {}),
        ...(filters.length > 0 ? { filters } : {}),
        ...(kind === "forward" && backendRefs.length > 0 ? { backendRefs } : {}),
        ...(t ? { timeouts: t } : {}),
    };
});

const route = (name: string) => fc.record({
    namespace: fc.constantFrom(...ROUTE_NAMESPACES),
    section: fc.option(fc.constantFrom("http", "https"), { nil: undefined }),
    hostnames: fc.option(fc.constantFrom(["mygroup.io"], ["*.example.com", "a.example.com"]), { nil: undefined }),
    rules: fc.option(fc.array(rule, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    named: fc.boolean(),
}).map(({ namespace, section, hostnames, rules, named }): HTTPRouteSpec => ({
    name, namespace,
    parentRefs: [{ name: "gw", namespace: "default", ...(section ? { sectionName: section } : {}) }],
    ...(hostnames ? { hostnames: [...hostnames] } : {}),
    ...(rules ? { rules: named ? rules.map((r, i) => ({ ...r, name: `rule-${i}` })) : rules } : {}),
}));

const listeners = fc.record({
    httpHost: fc.option(fc.constantFrom("mygroup.io", "*.example.com"), { nil: undefined }),
    port: fc.constantFrom(80, 8080),
    isolated: fc.boolean(),
    https: fc.boolean(),
    allowed: fc.constantFrom<Listener["allowedRoutes"] | undefined>(
        undefined, { namespaces: { from: "All" } }, { namespaces: { from: "Same" } },
        { namespaces: { from: "Selector", selector: { matchLabels: { team: "a" } } } }, { kinds: [{ kind: "HTTPRoute" }], namespaces: { from: "All" } },
    ),
}).map(({ httpHost, port, isolated, https, allowed }): Listener[] => [
    { name: "http", port, protocol: "HTTP", ...(httpHost ? { hostname: httpHost } : {}), ...(allowed ? { allowedRoutes: allowed } : {}) },
    // Same port, more specific hostname: listener isolation.
    ...(isolated ? [{ name: "http-a", port, protocol: "HTTP" as const, hostname: "a.example.com", allowedRoutes: { namespaces: { from: "All" as const } } }] : []),
    ...(https ? [{ name: "https", port: 443, protocol: "HTTPS" as const, tls: { certificateRefs: [{ name: "mygroup-cert" }] }, allowedRoutes: { namespaces: { from: "All" as const } } }] : []),
]);

export const input: fc.Arbitrary<CompileInput> = fc.record({
    listeners,
    routeCount: fc.integer({ min: 1, max: 4 }),
}).chain(({ listeners: ls, routeCount }) => fc.tuple(...Array.from({ length: routeCount }, (_, i) => route(`route-${i}`))).map(routes => ({
    gatewayClasses: [{ name: "external-lb", controllerName: "gatewaykit.dev/kubernetes" }],
    gateways: [{ name: "gw", namespace: "default", gatewayClassName: "external-lb", listeners: ls }],
    routes,
    services: SERVICES,
    namespaces: [{ name: "team-a", labels: { team: "a" } }],
})));

// ---------------------------------------------------------------- GRPCRoutes

const grpcMatch: fc.Arbitrary<GRPCRouteMatch> = fc.record({
    method: fc.option(fc.constantFrom<GRPCRouteMatch["method"]>(
        { service: "helloworld.Greeter", method: "SayHello" },
        { type: "Exact", service: "helloworld.Greeter" },
        { method: "SayHello" },
        { type: "RegularExpression", service: "helloworld\\..*", method: "Say.*" },
        { type: "RegularExpression", method: "Get[A-Z].*" },
    ), { nil: undefined }),
    headers: fc.option(fc.constantFrom([{ name: "x-env", value: "canary" }], [{ type: "RegularExpression" as const, name: "x-version", value: "v[12]" }, { name: "X-Team", value: "a" }]), { nil: undefined }),
}, { requiredKeys: [] }).map(m => ({ ...(m.method ? { method: m.method } : {}), ...(m.headers ? { headers: m.headers.map(h => ({ ...h })) } : {}) }));

const grpcRule = fc.record({
    matches: fc.option(fc.array(grpcMatch, { maxLength: 3 }), { nil: undefined }),
    req: fc.option(headerFilter, { nil: undefined }),
    res: fc.option(headerFilter, { nil: undefined }),
    mirrors: fc.array(mirror, { maxLength: 2 }),
    backendRefs: fc.array(backendRef, { maxLength: 3 }),
}).map(({ matches, req, res, mirrors, backendRefs }): GRPCRouteRule => {
    const filters: GRPCRouteFilter[] = [
        ...(req ? [{ type: "RequestHeaderModifier" as const, requestHeaderModifier: req }] : []),
        ...(res ? [{ type: "ResponseHeaderModifier" as const, responseHeaderModifier: res }] : []),
        ...mirrors as GRPCRouteFilter[],
    ];
    return {
        ...(matches !== undefined ? { matches } : {}),
        ...(filters.length > 0 ? { filters } : {}),
        ...(backendRefs.length > 0 ? { backendRefs: backendRefs as GRPCRouteRule["backendRefs"] } : {}),
    };
});

const grpcRoute = (name: string) => fc.record({
    namespace: fc.constantFrom(...ROUTE_NAMESPACES),
    section: fc.option(fc.constantFrom("http", "https"), { nil: undefined }),
    hostnames: fc.option(fc.constantFrom(["grpc.example.com"], ["*.grpc.io"], ["mygroup.io"]), { nil: undefined }),
    rules: fc.option(fc.array(grpcRule, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    named: fc.boolean(),
}).map(({ namespace, section, hostnames, rules, named }): GRPCRouteSpec => ({
    name, namespace,
    parentRefs: [{ name: "gw", namespace: "default", ...(section ? { sectionName: section } : {}) }],
    ...(hostnames ? { hostnames: [...hostnames] } : {}),
    ...(rules ? { rules: named ? rules.map((r, i) => ({ ...r, name: `rule-${i}` })) : rules } : {}),
}));

/** Inputs with GRPCRoutes beside HTTPRoutes (some claiming the same hostnames, so one kind loses). */
export const grpcInput: fc.Arbitrary<CompileInput> = fc.record({
    listeners,
    routeCount: fc.integer({ min: 0, max: 2 }),
    grpcCount: fc.integer({ min: 1, max: 3 }),
}).chain(({ listeners: ls, routeCount, grpcCount }) => fc.tuple(
    fc.tuple(...Array.from({ length: routeCount }, (_, i) => route(`route-${i}`))),
    fc.tuple(...Array.from({ length: grpcCount }, (_, i) => grpcRoute(`grpc-${i}`))),
).map(([routes, grpcRoutes]) => ({
    gatewayClasses: [{ name: "external-lb", controllerName: "gatewaykit.dev/kubernetes" }],
    // A listener that admits only HTTPRoutes would refuse every GRPCRoute: let them in.
    gateways: [{ name: "gw", namespace: "default", gatewayClassName: "external-lb", listeners: ls.map(l => l.allowedRoutes?.kinds ? { ...l, allowedRoutes: { ...l.allowedRoutes, kinds: [{ kind: "HTTPRoute" }, { kind: "GRPCRoute" }] } } : l) }],
    routes: [...routes],
    grpcRoutes: [...grpcRoutes],
    services: SERVICES,
    namespaces: [{ name: "team-a", labels: { team: "a" } }],
})));

export const parameters = fc.constantFrom<Record<string, unknown>>(
    {},
    { controllerName: "gateway.envoyproxy.io/gatewayclass-controller", gatewayClassName: "eg", description: "Envoy Gateway" },
    { namespaces: { "team-a": "cluster-team-a" }, await: { timeoutSeconds: 300 }, labels: { "example.com/owner": "platform" } },
    { controllerName: "example.com/gateway-controller", await: true },
);

/** The generated input's one gateway, as the Gateway component hands it to the adapter (ctx.input). */
export function gatewayInput(inp: CompileInput): GatewayInput {
    return {
        gatewayClass: inp.gatewayClasses![0], gateway: inp.gateways[0], routes: inp.routes,
        ...(inp.grpcRoutes ? { grpcRoutes: inp.grpcRoutes } : {}),
        services: inp.services ?? [], namespaces: inp.namespaces ?? [],
    };
}
