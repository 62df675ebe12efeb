// Our fixtures, named after and shaped like upstream Gateway API v1.6.1 HTTPRoute conformance tests
// (conformance/tests/*.yaml); the expectations restate what those tests check.
import { GatewayTLS, HTTPRouteRule, HTTPRouteSpec, Listener } from "../../routing/types";
import { GRPCRouteSpec } from "../../routing/types";
import { Case, CaseContext, Expect, GrpcReq, NS, Req } from "./harness";
import { GRPC_ECHO_SERVICE } from "./grpc-echo";

const V1 = "infra-backend-v1", V2 = "infra-backend-v2", V3 = "infra-backend-v3";

function rt(name: string, spec: Partial<HTTPRouteSpec>): HTTPRouteSpec {
    return { name, namespace: NS, parentRefs: [{ name: "same-namespace" }], ...spec };
}
function to(name: string, weight?: number): NonNullable<HTTPRouteRule["backendRefs"]>[number] {
    return { name, port: 8080, ...(weight !== undefined ? { weight } : {}) };
}
const prefix = (value: string) => ({ path: { type: "PathPrefix" as const, value } });
const exact = (value: string) => ({ path: { type: "Exact" as const, value } });
const hdr = (name: string, value: string) => ({ name, value });

const MODIFY = { set: [hdr("X-Header-Set", "set-overwrites-values")], add: [hdr("X-Header-Add", "header-val-1"), hdr("X-Header-Add-Append", "header-val-2")], remove: ["X-Header-Remove"] };
const MODIFY_IN = { "X-Header-Set": "some-other-value", "X-Header-Add-Append": "append-val-1", "X-Header-Remove": "val" };
const MODIFIED = { "x-header-set": "set-overwrites-values", "x-header-add": "header-val-1", "x-header-add-append": "append-val-1,header-val-2" };

/** Counts which backend answers `n` requests, `concurrency` at a time. */
async function distribution(ctx: CaseContext, n: number, concurrency = 8): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let sent = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
        while (sent < n) {
            sent++;
            const a = await ctx.send({ path: "/" });
            const k = a.echo?.name ?? `status ${a.status}`;
            counts.set(k, (counts.get(k) ?? 0) + 1);
        }
    }));
    return counts;
}

/** One WebSocket round trip through the gateway (Node's WebSocket client): the echo's answer, or why it failed. */
function websocketEcho(url: string, message: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        const timer = setTimeout(() => { ws.close(); reject(new Error(`no WebSocket answer from ${url} within 5 s`)); }, 5000);
        ws.onopen = () => ws.send(message);
        ws.onmessage = e => { clearTimeout(timer); ws.close(); resolve(String(e.data)); };
        ws.onerror = () => { clearTimeout(timer); reject(new Error(`the WebSocket handshake with ${url} failed`)); };
    });
}

const G1 = "grpc-infra-backend-v1", G2 = "grpc-infra-backend-v2", G3 = "grpc-infra-backend-v3";
const UNIMPLEMENTED = 12;

function grt(name: string, spec: Partial<GRPCRouteSpec>): GRPCRouteSpec {
    return { name, namespace: NS, parentRefs: [{ name: "same-namespace" }], ...spec };
}
const grpcTo = (name: string, weight?: number) => ({ name, port: 8080, ...(weight !== undefined ? { weight } : {}) });
const echoMethod = (method: string) => ({ method: { service: GRPC_ECHO_SERVICE, method } });

/**
 * One gRPC call over real HTTP/2 through nginx, checked against simulateGRPC (status, backend) and
 * the upstream expectation: the backend that answers, or the gRPC status code.
 */
async function grpcExpect(ctx: CaseContext, call: GrpcReq, want: { backend: string } | { code: number }): Promise<void> {
    const { got, sim } = await ctx.grpc(call);
    const what = `${call.host ?? "example.com"} /${call.service}/${call.method} ${JSON.stringify(call.metadata ?? {})}`;
    const simBackend = sim.outcomes.length === 1 ? sim.outcomes[0].backend?.service.split("/")[1] : undefined;
    if (got.code !== sim.grpcCode) throw new Error(`${what}: gRPC status ${got.code} (${got.details ?? ""}), simulate predicts ${sim.grpcCode}`);
    if (simBackend !== undefined && got.answer?.name !== simBackend) throw new Error(`${what}: answered by ${got.answer?.name}, simulate predicts ${simBackend}`);
    if ("backend" in want && got.answer?.name !== want.backend) throw new Error(`${what}: answered by ${got.answer?.name ?? `status ${got.code}`}, upstream expects ${want.backend}`);
    if ("code" in want && got.code !== want.code) throw new Error(`${what}: gRPC status ${got.code}, upstream expects ${want.code}`);
}

async function waitSeen(ctx: CaseContext, backend: string, atLeast: number): Promise<{ count: number; requests: { path: string; headers: Record<string, string> }[] }> {
    const deadline = Date.now() + 3000;
    for (;;) {
        const s = await ctx.seen(backend);
        if (s.count >= atLeast || Date.now() > deadline) return s;
        await new Promise(r => setTimeout(r, 50));
    }
}

const HTTPS: Listener[] = [
    { name: "https", port: 443, protocol: "HTTPS", hostname: "example.org", tls: { certificateRefs: [{ name: "tls-validity-checks-certificate" }] } },
    { name: "https-with-hostname", port: 443, protocol: "HTTPS", hostname: "second-example.org", tls: { certificateRefs: [{ name: "tls-validity-checks-certificate" }] } },
];


// Gateway spec.tls.frontend, as upstream's gateway-with-clientcertificate-validation*.yaml: the default
// validates port 443 against one CA, perPort validates 8443 against another.
const CLIENT_CERT_LISTENERS: Listener[] = [
    { name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "tls-validity-checks-certificate" }] } },
    { name: "https-with-hostname", port: 8443, protocol: "HTTPS", hostname: "second-example.org", tls: { certificateRefs: [{ name: "tls-validity-checks-certificate" }] } },
];
const CLIENT_CERT_ROUTES: HTTPRouteSpec[] = [
    rt("client-certificate-validation-https-test", { hostnames: ["example.org"], rules: [{ backendRefs: [to(V1)] }] }),
    rt("client-certificate-validation-https-test-no-hostname", { parentRefs: [{ name: "same-namespace", sectionName: "https-with-hostname" }], rules: [{ backendRefs: [to(V2)] }] }),
];
function clientCertificateTLS(mode: "AllowValidOnly" | "AllowInsecureFallback"): GatewayTLS {
    const validation = (name: string) => ({ validation: { mode, caCertificateRefs: [{ group: "", kind: "ConfigMap", name }] } });
    return { frontend: { default: validation("tls-validity-checks-ca-certificate"), perPort: [{ port: 8443, tls: validation("tls-validity-checks-per-port-ca-certificate") }] } };
}
const DEFAULT_CA = "tls-validity-checks-ca-certificate", PER_PORT_CA = "tls-validity-checks-per-port-ca-certificate";
const REFUSED: Expect = { clientCertificateRefused: true };

export const CASES: Case[] = [
    {
        name: "GatewayFrontendClientCertificateValidation",
        listeners: CLIENT_CERT_LISTENERS, routes: CLIENT_CERT_ROUTES, gatewayTLS: clientCertificateTLS("AllowValidOnly"),
        requests: [
            [{ host: "example.org", path: "/", port: 443, clientCertificate: DEFAULT_CA }, { status: 200, backend: V1 }],
            [{ host: "example.org", path: "/", port: 443, clientCertificate: PER_PORT_CA }, REFUSED],
            [{ host: "example.org", path: "/", port: 443 }, REFUSED],
            [{ host: "second-example.org", path: "/", port: 8443, clientCertificate: PER_PORT_CA }, { status: 200, backend: V2 }],
            [{ host: "second-example.org", path: "/", port: 8443, clientCertificate: DEFAULT_CA }, REFUSED],
            [{ host: "second-example.org", path: "/", port: 8443 }, REFUSED],
        ],
    },
    {
        name: "GatewayFrontendClientCertificateValidationInsecureFallback",
        listeners: CLIENT_CERT_LISTENERS, routes: CLIENT_CERT_ROUTES, gatewayTLS: clientCertificateTLS("AllowInsecureFallback"),
        requests: [
            [{ host: "example.org", path: "/", port: 443, clientCertificate: DEFAULT_CA }, { status: 200, backend: V1 }],
            [{ host: "example.org", path: "/", port: 443, clientCertificate: PER_PORT_CA }, { status: 200, backend: V1 }],
            [{ host: "example.org", path: "/", port: 443 }, { status: 200, backend: V1 }],
            [{ host: "second-example.org", path: "/", port: 8443, clientCertificate: PER_PORT_CA }, { status: 200, backend: V2 }],
            [{ host: "second-example.org", path: "/", port: 8443, clientCertificate: DEFAULT_CA }, { status: 200, backend: V2 }],
            [{ host: "second-example.org", path: "/", port: 8443 }, { status: 200, backend: V2 }],
        ],
    },
    {
        name: "HTTPRouteSimpleSameNamespace",
        routes: [rt("gateway-conformance-infra-test", { rules: [{ backendRefs: [to(V1)] }] })],
        requests: [[{ path: "/" }, { status: 200, backend: V1, path: "/" }]],
    },
    {
        name: "HTTPRouteMatching",
        routes: [rt("matching", { rules: [
            { matches: [prefix("/")], backendRefs: [to(V1)] },
            { matches: [prefix("/v2"), { headers: [hdr("version", "two")] }], backendRefs: [to(V2)] },
        ] })],
        requests: [
            [{ path: "/" }, { backend: V1 }], [{ path: "/example" }, { backend: V1 }], [{ path: "/", headers: { version: "one" } }, { backend: V1 }],
            [{ path: "/v2" }, { backend: V2 }], [{ path: "/v2/example" }, { backend: V2 }], [{ path: "/", headers: { version: "two" } }, { backend: V2 }],
            [{ path: "/v2example" }, { backend: V1 }], [{ path: "/foo/v2/example" }, { backend: V1 }],
        ],
    },
    {
        name: "HTTPRouteMatchingAcrossRoutes",
        routes: [
            rt("matching-part1", { hostnames: ["example.com", "example.net"], rules: [{ matches: [prefix("/"), { headers: [hdr("version", "one")] }], backendRefs: [to(V1)] }] }),
            rt("matching-part2", { hostnames: ["example.com"], rules: [{ matches: [prefix("/v2"), { headers: [hdr("version", "two")] }], backendRefs: [to(V2)] }] }),
        ],
        requests: [
            [{ path: "/" }, { backend: V1 }], [{ path: "/example" }, { backend: V1 }], [{ host: "example.net", path: "/example" }, { backend: V1 }],
            [{ path: "/example", headers: { version: "one" } }, { backend: V1 }], [{ path: "/v2" }, { backend: V2 }],
            [{ path: "/v2/example" }, { backend: V2 }], [{ path: "/", headers: { version: "two" } }, { backend: V2 }],
            [{ host: "example.net", path: "/v2" }, { backend: V1 }], [{ host: "example.org", path: "/" }, { status: 404 }],
        ],
    },
    {
        name: "HTTPRoutePathMatchOrder",
        routes: [rt("path-matching-order", { rules: [
            { matches: [exact("/match")], backendRefs: [to(V1)] }, { matches: [exact("/match/exact")], backendRefs: [to(V2)] },
            { matches: [exact("/match/exact/one")], backendRefs: [to(V3)] }, { matches: [prefix("/match/")], backendRefs: [to(V3)] },
            { matches: [prefix("/match/prefix/")], backendRefs: [to(V1)] }, { matches: [prefix("/match/prefix/one")], backendRefs: [to(V2)] },
        ] })],
        requests: [
            [{ path: "/match" }, { backend: V1 }], [{ path: "/match/exact" }, { backend: V2 }], [{ path: "/match/exact/one" }, { backend: V3 }],
            [{ path: "/match/" }, { backend: V3 }], [{ path: "/match/exact/two" }, { backend: V3 }], [{ path: "/match/prefix/" }, { backend: V1 }],
            [{ path: "/match/prefix/two" }, { backend: V1 }], [{ path: "/match/prefix/one" }, { backend: V2 }], [{ path: "/match/prefix/one/two" }, { backend: V2 }],
        ],
    },
    {
        name: "HTTPRouteExactPathMatching",
        routes: [rt("exact-matching", { rules: [{ matches: [exact("/one")], backendRefs: [to(V1)] }, { matches: [exact("/two")], backendRefs: [to(V2)] }] })],
        requests: [
            [{ path: "/one" }, { backend: V1 }], [{ path: "/two" }, { backend: V2 }],
            [{ path: "/" }, { status: 404 }], [{ path: "/one/example" }, { status: 404 }], [{ path: "/two/" }, { status: 404 }],
        ],
    },
    {
        name: "HTTPRouteHeaderMatching",
        routes: [rt("header-matching", { rules: [
            { matches: [{ headers: [hdr("version", "one")] }], backendRefs: [to(V1)] },
            { matches: [{ headers: [hdr("version", "two")] }], backendRefs: [to(V2)] },
            { matches: [{ headers: [hdr("version", "two"), hdr("color", "orange")] }], backendRefs: [to(V1)] },
            { matches: [{ headers: [hdr("color", "blue")] }, { headers: [hdr("color", "green")] }], backendRefs: [to(V1)] },
            { matches: [{ headers: [hdr("color", "red")] }, { headers: [hdr("color", "yellow")] }], backendRefs: [to(V2)] },
        ] })],
        requests: [
            [{ path: "/", headers: { Version: "one" } }, { backend: V1 }], [{ path: "/", headers: { Version: "two" } }, { backend: V2 }],
            [{ path: "/", headers: { Version: "two", Color: "orange" } }, { backend: V1 }], [{ path: "/", headers: { Color: "blue" } }, { backend: V1 }],
            [{ path: "/", headers: { Color: "green" } }, { backend: V1 }], [{ path: "/", headers: { Color: "red" } }, { backend: V2 }],
            [{ path: "/", headers: { Color: "yellow" } }, { backend: V2 }], [{ path: "/", headers: { Version: "four" } }, { status: 404 }],
            [{ path: "/", headers: { Version: "TWO" } }, { status: 404 }], [{ path: "/", headers: { Color: "purple" } }, { status: 404 }],
        ],
    },
    {
        name: "HTTPRouteQueryParamMatching",
        routes: [rt("query-param-matching", { rules: [
            { matches: [{ queryParams: [hdr("animal", "whale")] }], backendRefs: [to(V1)] },
            { matches: [{ queryParams: [hdr("animal", "dolphin")] }], backendRefs: [to(V2)] },
            { matches: [{ queryParams: [hdr("animal", "dolphin"), hdr("color", "blue")] }, { queryParams: [hdr("ANIMAL", "Whale")] }], backendRefs: [to(V3)] },
            { matches: [{ ...prefix("/path1"), queryParams: [hdr("animal", "whale")] }], backendRefs: [to(V1)] },
            { matches: [{ headers: [hdr("version", "one")], queryParams: [hdr("animal", "whale")] }], backendRefs: [to(V2)] },
            { matches: [{ ...prefix("/path2"), headers: [hdr("version", "two")], queryParams: [hdr("animal", "whale")] }], backendRefs: [to(V3)] },
            { matches: [{ ...prefix("/path5") }], backendRefs: [to(V1)] },
            { matches: [{ queryParams: [hdr("animal", "hydra")] }], backendRefs: [to(V2)] },
            { matches: [{ headers: [hdr("version", "four")] }], backendRefs: [to(V3)] },
        ] })],
        requests: [
            [{ path: "/?animal=whale" }, { backend: V1 }], [{ path: "/?animal=dolphin" }, { backend: V2 }],
            [{ path: "/?animal=dolphin&color=blue" }, { backend: V3 }], [{ path: "/?ANIMAL=Whale" }, { backend: V3 }],
            [{ path: "/path1?animal=whale" }, { backend: V1 }], [{ path: "/?animal=whale", headers: { version: "one" } }, { backend: V2 }],
            [{ path: "/path2?animal=whale", headers: { version: "two" } }, { backend: V3 }],
            [{ path: "/path5?animal=hydra" }, { backend: V1 }], [{ path: "/?animal=hydra", headers: { version: "four" } }, { backend: V3 }],
            [{ path: "/?animal=whale&animal=dolphin" }, { backend: V1 }], [{ path: "/?animal=Whale" }, { status: 404 }],
            [{ path: "/?color=blue" }, { status: 404 }], [{ path: "/?xanimal=whale" }, { status: 404 }],
        ],
    },
    {
        name: "HTTPRouteMethodMatching",
        routes: [rt("method-matching", { rules: [
            { matches: [{ method: "POST" }], backendRefs: [to(V1)] },
            { matches: [{ method: "GET" }], backendRefs: [to(V2)] },
            { matches: [{ ...prefix("/path1"), method: "GET" }], backendRefs: [to(V1)] },
            { matches: [{ headers: [hdr("version", "one")], method: "PUT" }], backendRefs: [to(V2)] },
            { matches: [{ ...prefix("/path2"), headers: [hdr("version", "two")], method: "POST" }], backendRefs: [to(V3)] },
            { matches: [{ ...prefix("/path5") }], backendRefs: [to(V1)] },
            { matches: [{ method: "PATCH" }], backendRefs: [to(V2)] },
            { matches: [{ headers: [hdr("version", "four")] }], backendRefs: [to(V3)] },
        ] })],
        requests: [
            [{ path: "/", method: "POST" }, { backend: V1 }], [{ path: "/", method: "GET" }, { backend: V2 }],
            [{ path: "/path1", method: "GET" }, { backend: V1 }], [{ path: "/", method: "PUT", headers: { version: "one" } }, { backend: V2 }],
            [{ path: "/path2", method: "POST", headers: { version: "two" } }, { backend: V3 }],
            [{ path: "/path5", method: "PATCH" }, { backend: V1 }], [{ path: "/", method: "PATCH", headers: { version: "four" } }, { backend: V2 }],
            [{ path: "/", method: "PUT" }, { status: 404 }], [{ path: "/", method: "HEAD" }, { status: 404 }],
        ],
    },
    {
        name: "HTTPRouteHostnameIntersection",
        listeners: [
            { name: "listener-1", port: 80, protocol: "HTTP", hostname: "very.specific.com" },
            { name: "listener-2", port: 80, protocol: "HTTP", hostname: "*.wildcard.io" },
            { name: "listener-3", port: 80, protocol: "HTTP", hostname: "*.anotherwildcard.io" },
        ],
        routes: [
            rt("specific-host-matches-listener-specific-host", { hostnames: ["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"], rules: [{ matches: [prefix("/s1")], backendRefs: [to(V1)] }] }),
            rt("specific-host-matches-listener-wildcard-host", { hostnames: ["non.matching.com", "wildcard.io", "foo.wildcard.io", "bar.wildcard.io", "foo.bar.wildcard.io"], rules: [{ matches: [prefix("/s2")], backendRefs: [to(V2)] }] }),
            rt("wildcard-host-matches-listener-specific-host", { hostnames: ["non.matching.com", "*.specific.com"], rules: [{ matches: [prefix("/s3")], backendRefs: [to(V3)] }] }),
            rt("wildcard-host-matches-listener-wildcard-host", { hostnames: ["*.anotherwildcard.io"], rules: [{ matches: [prefix("/s4")], backendRefs: [to(V1)] }] }),
        ],
        requests: [
            [{ host: "very.specific.com", path: "/s1" }, { backend: V1 }], [{ host: "non.matching.com", path: "/s1" }, { status: 404 }],
            [{ host: "foo.nonmatchingwildcard.io", path: "/s1" }, { status: 404 }],
            [{ host: "foo.wildcard.io", path: "/s2" }, { backend: V2 }], [{ host: "bar.wildcard.io", path: "/s2" }, { backend: V2 }],
            [{ host: "foo.bar.wildcard.io", path: "/s2" }, { backend: V2 }], [{ host: "baz.wildcard.io", path: "/s2" }, { status: 404 }],
            [{ host: "wildcard.io", path: "/s2" }, { status: 404 }], [{ host: "very.specific.com", path: "/s3" }, { backend: V3 }],
            [{ host: "foo.anotherwildcard.io", path: "/s4" }, { backend: V1 }], [{ host: "foo.bar.anotherwildcard.io", path: "/s4" }, { backend: V1 }],
            [{ host: "anotherwildcard.io", path: "/s4" }, { status: 404 }],
        ],
    },
    {
        name: "HTTPRouteListenerHostnameMatching",
        listeners: [
            { name: "listener-1", port: 80, protocol: "HTTP", hostname: "bar.com" },
            { name: "listener-2", port: 80, protocol: "HTTP", hostname: "foo.bar.com" },
            { name: "listener-3", port: 80, protocol: "HTTP", hostname: "*.bar.com" },
            { name: "listener-4", port: 80, protocol: "HTTP", hostname: "*.foo.com" },
        ],
        routes: [
            { name: "backend-v1", namespace: NS, parentRefs: [{ name: "same-namespace", sectionName: "listener-1" }], rules: [{ backendRefs: [to(V1)] }] },
            { name: "backend-v2", namespace: NS, parentRefs: [{ name: "same-namespace", sectionName: "listener-2" }], rules: [{ backendRefs: [to(V2)] }] },
            { name: "backend-v3", namespace: NS, parentRefs: [{ name: "same-namespace", sectionName: "listener-3" }, { name: "same-namespace", sectionName: "listener-4" }], rules: [{ backendRefs: [to(V3)] }] },
        ],
        requests: [
            [{ host: "bar.com", path: "/" }, { backend: V1 }], [{ host: "foo.bar.com", path: "/" }, { backend: V2 }],
            [{ host: "baz.bar.com", path: "/" }, { backend: V3 }], [{ host: "boo.bar.com", path: "/" }, { backend: V3 }],
            [{ host: "multiple.prefixes.bar.com", path: "/" }, { backend: V3 }], [{ host: "multiple.prefixes.foo.com", path: "/" }, { backend: V3 }],
            [{ host: "foo.com", path: "/" }, { status: 404 }], [{ host: "no.matching.host", path: "/" }, { status: 404 }],
        ],
    },
    {
        name: "HTTPRouteWeight",
        routes: [rt("weighted-backends", { rules: [{ backendRefs: [to(V1, 70), to(V2, 30), to(V3, 0)] }] })],
        custom: async ctx => {
            const sim = ctx.simulate({ path: "/" });
            const want = new Map(sim.outcomes.map(o => [o.backend!.service.replace(`${NS}/`, ""), o.probability]));
            if (want.get(V1) !== 0.7 || want.get(V2) !== 0.3 || want.has(V3)) throw new Error(`simulate predicts ${JSON.stringify([...want])}, upstream expects 70/30/0`);
            // Upstream's tolerance is ±5 points over 500 requests, which a fair split misses ~1.5% of
            // the time; like upstream's eventually-consistent checks we allow 3 samples. A skewed
            // split still fails all three, and a weight-0 backend answering fails at once.
            const n = 500;
            let misses: string[] = [];
            for (let attempt = 0; attempt < 3; attempt++) {
                const counts = await distribution(ctx, n);
                for (const k of counts.keys()) if (!want.has(k)) throw new Error(`${k} answered ${counts.get(k)} requests; it has weight 0`);
                misses = [...want].filter(([name, p]) => Math.abs((counts.get(name) ?? 0) * 100 - p * 100 * n) > 5 * n)
                    .map(([name, p]) => `${name} got ${(((counts.get(name) ?? 0) / n) * 100).toFixed(1)}% of ${n} requests, expected ${p * 100}% ±5%`);
                if (misses.length === 0) return;
            }
            throw new Error(`3 samples out of tolerance; last: ${misses.join("; ")}`);
        },
    },
    {
        name: "HTTPRouteRequestHeaderModifier",
        routes: [rt("request-header-modifier", { rules: [
            { matches: [prefix("/set")], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [hdr("X-Header-Set", "set-overwrites-values")] } }], backendRefs: [to(V1)] },
            { matches: [prefix("/add")], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { add: [hdr("X-Header-Add", "add-appends-values")] } }], backendRefs: [to(V1)] },
            { matches: [prefix("/remove")], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { remove: ["X-Header-Remove"] } }], backendRefs: [to(V1)] },
            { matches: [prefix("/multiple")], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: {
                set: [hdr("X-Header-Set-1", "header-set-1"), hdr("X-Header-Set-2", "header-set-2")],
                add: [hdr("X-Header-Add-1", "header-add-1"), hdr("X-Header-Add-2", "header-add-2"), hdr("X-Header-Add-3", "header-add-3")],
                remove: ["X-Header-Remove-1", "X-Header-Remove-2"] } }], backendRefs: [to(V1)] },
            { matches: [prefix("/case-insensitivity")], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: {
                set: [hdr("X-Header-Set", "header-set")], add: [hdr("X-Header-Add", "header-add"), hdr("x-lowercase-add", "lowercase-add"), hdr("x-Mixedcase-ADD-1", "mixedcase-add-1")],
                remove: ["X-Header-Remove"] } }], backendRefs: [to(V1)] },
        ] })],
        requests: [
            [{ path: "/set", headers: { "Some-Other-Header": "val" } }, { backend: V1, headers: { "Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values" } }],
            [{ path: "/set", headers: { "X-Header-Set": "some-other-value" } }, { headers: { "X-Header-Set": "set-overwrites-values" } }],
            [{ path: "/add", headers: { "Some-Other-Header": "val" } }, { headers: { "Some-Other-Header": "val", "X-Header-Add": "add-appends-values" } }],
            [{ path: "/add", headers: { "X-Header-Add": "some-other-value" } }, { headers: { "X-Header-Add": "some-other-value,add-appends-values" } }],
            [{ path: "/remove", headers: { "X-Header-Remove": "val" } }, { absent: ["X-Header-Remove"] }],
            [{ path: "/multiple", headers: { "X-Header-Set-2": "set-val-2", "X-Header-Add-2": "add-val-2", "X-Header-Remove-2": "remove-val-2", "Another-Header": "another-header-val" } },
                { headers: { "X-Header-Set-1": "header-set-1", "X-Header-Set-2": "header-set-2", "X-Header-Add-1": "header-add-1", "X-Header-Add-2": "add-val-2,header-add-2", "X-Header-Add-3": "header-add-3", "Another-Header": "another-header-val" }, absent: ["X-Header-Remove-1", "X-Header-Remove-2"] }],
            [{ path: "/case-insensitivity", headers: { "x-header-set": "original-val-set", "x-header-add": "original-val-add", "x-header-remove": "original-val" } },
                { headers: { "X-Header-Set": "header-set", "X-Header-Add": "original-val-add,header-add", "X-Lowercase-Add": "lowercase-add", "X-Mixedcase-Add-1": "mixedcase-add-1" }, absent: ["X-Header-Remove"] }],
        ],
    },
    {
        name: "HTTPRouteResponseHeaderModifier",
        routes: [rt("response-header-modifier", { rules: [
            { matches: [prefix("/set")], filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [hdr("X-Header-Set", "set-overwrites-values"), hdr("Content-Type", "text/plain")] } }], backendRefs: [to(V1)] },
            { matches: [prefix("/add")], filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { add: [hdr("X-Header-Add", "add-appends-values"), hdr("Content-Type", "charset=utf-8")] } }], backendRefs: [to(V1)] },
            { matches: [prefix("/remove")], filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { remove: ["Content-Type"] } }], backendRefs: [to(V1)] },
            { matches: [prefix("/multiple")], filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: {
                set: [hdr("X-Header-Set-1", "header-set-1")], add: [hdr("X-Header-Add-1", "header-add-1"), hdr("X-Header-Add-2", "header-add-2")], remove: ["X-Header-Remove-1"] } }], backendRefs: [to(V1)] },
        ] })],
        requests: [
            [{ path: "/set" }, { status: 200, respHeaders: { "X-Header-Set": "set-overwrites-values", "Content-Type": "text/plain" } }],
            [{ path: "/add" }, { status: 200, respHeaders: { "X-Header-Add": "add-appends-values", "Content-Type": "application/json,charset=utf-8" } }],
            [{ path: "/remove" }, { status: 200, respAbsent: ["Content-Type"] }],
            [{ path: "/multiple" }, { status: 200, respHeaders: { "X-Header-Set-1": "header-set-1", "X-Header-Add-1": "header-add-1", "X-Header-Add-2": "header-add-2" }, respAbsent: ["X-Header-Remove-1"] }],
        ],
    },
    {
        name: "HTTPRouteRequestMirror",
        routes: [rt("request-mirror", { rules: [
            { matches: [prefix("/mirror")], filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: V2, port: 8080 } } }], backendRefs: [to(V1)] },
            { matches: [prefix("/mirror-and-modify-headers")], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: MODIFY }, { type: "RequestMirror", requestMirror: { backendRef: { name: V2, port: 8080 } } }], backendRefs: [to(V1)] },
        ] })],
        requests: [
            [{ path: "/mirror-and-modify-headers", headers: MODIFY_IN }, { backend: V1, headers: MODIFIED, absent: ["X-Header-Remove"] }],
        ],
        custom: async ctx => {
            await ctx.clearSeen(V2);
            const a = await ctx.send({ path: "/mirror/one?x=1" });
            if (a.echo?.name !== V1) throw new Error(`/mirror answered by ${a.echo?.name ?? a.status}, expected ${V1}`);
            if (ctx.simulate({ path: "/mirror/one?x=1" }).mirrors.map(m => m.service).join() !== `${NS}/${V2}`) throw new Error("simulate does not predict the mirror to v2");
            const seen = await waitSeen(ctx, V2, 1);
            if (seen.count !== 1 || seen.requests[0].path !== "/mirror/one?x=1") throw new Error(`mirror target saw ${seen.count} request(s) ${JSON.stringify(seen.requests.map(r => r.path))}, expected exactly GET /mirror/one?x=1`);
        },
    },
    {
        name: "HTTPRouteRequestPercentageMirror",
        routes: [rt("request-percentage-mirror", { rules: [
            { matches: [prefix("/percent-mirror")], filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: V2, port: 8080 }, percent: 20 } }], backendRefs: [to(V1)] },
        ] })],
        custom: async ctx => {
            await ctx.clearSeen(V2);
            const n = 400;
            for (let i = 0; i < n; i++) {
                const a = await ctx.send({ path: "/percent-mirror" });
                if (a.echo?.name !== V1) throw new Error(`answered by ${a.echo?.name ?? a.status}, expected ${V1}`);
            }
            const p = ctx.simulate({ path: "/percent-mirror" }).mirrors[0]?.percent;
            if (p !== 20) throw new Error(`simulate predicts mirror percent ${p}, expected 20`);
            await new Promise(r => setTimeout(r, 300));
            const share = (await ctx.seen(V2)).count / n;
            if (Math.abs(share - 0.2) > 0.07) throw new Error(`mirror target saw ${(share * 100).toFixed(1)}% of ${n} requests, expected 20% ±7%`);
        },
    },
    {
        name: "HTTPRouteRedirectHostAndStatus",
        routes: [rt("redirect-host-and-status", { rules: [
            { matches: [prefix("/hostname-redirect")], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org" } }] },
            { matches: [prefix("/host-and-status")], filters: [{ type: "RequestRedirect", requestRedirect: { statusCode: 301, hostname: "example.org" } }] },
        ] })],
        requests: [
            [{ path: "/hostname-redirect" }, { status: 302, location: "http://example.org{port}/hostname-redirect" }],
            [{ path: "/host-and-status" }, { status: 301, location: "http://example.org{port}/host-and-status" }],
        ],
    },
    {
        name: "HTTPRouteRedirectPath",
        routes: [rt("redirect-path", { rules: [
            { matches: [prefix("/original-prefix")], filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/replacement-prefix" } } }] },
            { matches: [prefix("/full")], filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplaceFullPath", replaceFullPath: "/full-path-replacement" } } }] },
            { matches: [prefix("/path-and-host")], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org", path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/replacement-prefix" } } }] },
            { matches: [prefix("/path-and-status")], filters: [{ type: "RequestRedirect", requestRedirect: { statusCode: 301, path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/replacement-prefix" } } }] },
        ] })],
        requests: [
            [{ path: "/original-prefix/lemon" }, { status: 302, location: "http://example.com{port}/replacement-prefix/lemon" }],
            [{ path: "/full/path/original" }, { status: 302, location: "http://example.com{port}/full-path-replacement" }],
            [{ path: "/path-and-host" }, { status: 302, location: "http://example.org{port}/replacement-prefix" }],
            [{ path: "/path-and-status" }, { status: 301, location: "http://example.com{port}/replacement-prefix" }],
            [{ path: "/original-prefix/lemon?q=1" }, { status: 302, location: "http://example.com{port}/replacement-prefix/lemon?q=1" }],
        ],
    },
    {
        name: "HTTPRouteRedirectPort",
        routes: [rt("redirect-port", { rules: [
            { matches: [prefix("/port")], filters: [{ type: "RequestRedirect", requestRedirect: { port: 8083 } }] },
            { matches: [prefix("/port-and-host")], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org", port: 8083 } }] },
            { matches: [prefix("/port-and-status")], filters: [{ type: "RequestRedirect", requestRedirect: { port: 8083, statusCode: 301 } }] },
        ] })],
        requests: [
            [{ path: "/port" }, { status: 302, location: "http://example.com:8083/port" }],
            [{ path: "/port-and-host" }, { status: 302, location: "http://example.org:8083/port-and-host" }],
            [{ path: "/port-and-status" }, { status: 301, location: "http://example.com:8083/port-and-status" }],
        ],
    },
    {
        name: "HTTPRouteRedirectScheme",
        routes: [rt("redirect-scheme", { rules: [
            { matches: [prefix("/scheme")], filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https" } }] },
            { matches: [prefix("/scheme-and-host")], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org", scheme: "https" } }] },
            { matches: [prefix("/scheme-and-status")], filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
        ] })],
        requests: [
            [{ path: "/scheme" }, { status: 302, location: "https://example.com/scheme" }],
            [{ path: "/scheme-and-host" }, { status: 302, location: "https://example.org/scheme-and-host" }],
            [{ path: "/scheme-and-status" }, { status: 301, location: "https://example.com/scheme-and-status" }],
        ],
    },
    {
        name: "HTTPRouteRewriteHost",
        routes: [rt("rewrite-host", { hostnames: ["rewrite.example"], rules: [
            { matches: [prefix("/one")], filters: [{ type: "URLRewrite", urlRewrite: { hostname: "one.example.org" } }], backendRefs: [to(V1)] },
            { filters: [{ type: "URLRewrite", urlRewrite: { hostname: "example.org" } }], backendRefs: [to(V2)] },
            { matches: [prefix("/rewrite-host-and-modify-headers")], filters: [{ type: "URLRewrite", urlRewrite: { hostname: "test.example.org" } }, { type: "RequestHeaderModifier", requestHeaderModifier: MODIFY }], backendRefs: [to(V2)] },
        ] })],
        requests: [
            [{ host: "rewrite.example", path: "/one" }, { backend: V1, host: "one.example.org", path: "/one" }],
            [{ host: "rewrite.example", path: "/" }, { backend: V2, host: "example.org" }],
            [{ host: "rewrite.example", path: "/rewrite-host-and-modify-headers", headers: MODIFY_IN }, { backend: V2, host: "test.example.org", headers: MODIFIED, absent: ["X-Header-Remove"] }],
        ],
    },
    {
        name: "HTTPRouteRewritePath",
        routes: [rt("rewrite-path", { rules: [
            { matches: [prefix("/prefix/one")], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/one" } } }], backendRefs: [to(V1)] },
            { matches: [prefix("/strip-prefix")], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }], backendRefs: [to(V1)] },
            { matches: [prefix("/full/one")], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/one" } } }], backendRefs: [to(V1)] },
            { matches: [prefix("/full/rewrite-path-and-modify-headers")], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/test" } } }, { type: "RequestHeaderModifier", requestHeaderModifier: MODIFY }], backendRefs: [to(V1)] },
            { matches: [prefix("/prefix/rewrite-path-and-modify-headers")], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/prefix" } } }, { type: "RequestHeaderModifier", requestHeaderModifier: MODIFY }], backendRefs: [to(V1)] },
        ] })],
        requests: [
            [{ path: "/prefix/one/two" }, { backend: V1, path: "/one/two" }], [{ path: "/strip-prefix/three" }, { path: "/three" }],
            [{ path: "/strip-prefix" }, { path: "/" }], [{ path: "/full/one/two" }, { path: "/one" }],
            [{ path: "/full/rewrite-path-and-modify-headers/test", headers: MODIFY_IN }, { path: "/test", headers: MODIFIED, absent: ["X-Header-Remove"] }],
            [{ path: "/prefix/rewrite-path-and-modify-headers/one", headers: MODIFY_IN }, { path: "/prefix/one", headers: MODIFIED, absent: ["X-Header-Remove"] }],
            [{ path: "/full/one/two?a=1&b=%2F" }, { path: "/one?a=1&b=%2F" }], [{ path: "/prefix/one/a%20b" }, { path: "/one/a%20b" }],
        ],
    },
    {
        name: "HTTPRouteHTTPSListener",
        listeners: HTTPS,
        routes: [
            { name: "httproute-https-test", namespace: NS, parentRefs: [{ name: "same-namespace", sectionName: "https" }], hostnames: ["example.org"], rules: [{ backendRefs: [to(V1)] }] },
            { name: "httproute-https-test-no-hostname", namespace: NS, parentRefs: [{ name: "same-namespace", sectionName: "https-with-hostname" }], rules: [{ backendRefs: [to(V2)] }] },
        ],
        requests: [
            [{ host: "example.org", path: "/" }, { status: 200, backend: V1 }],
            [{ host: "second-example.org", path: "/" }, { status: 200, backend: V2 }],
        ],
    },
    {
        name: "HTTPRouteInvalidNonExistentBackendRef",
        routes: [rt("invalid-nonexistent-backend-ref", { rules: [{ backendRefs: [{ name: "nonexistent", port: 8080 }] }] })],
        requests: [[{ path: "/" }, { status: 500 }]],
    },
    {
        name: "HTTPRouteNoBackendRefs",
        routes: [rt("omitted-backendrefs", { rules: [{ matches: [prefix("/")] }] })],
        requests: [[{ path: "/" }, { status: 500 }]],
    },
    {
        name: "HTTPRouteRequestHeaderModifierBackendWeights",
        routes: [rt("request-header-modifier-backend-weights", { rules: [{
            backendRefs: [
                { ...to(V1, 50), filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [hdr("backend", "v1")] } }] },
                { ...to(V2, 50), filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [hdr("backend", "v2")] } }] },
            ],
        }] })],
        custom: async ctx => {
            for (let i = 0; i < 40; i++) {
                const a = await ctx.send({ path: "/" });
                const name = a.echo?.name;
                const want = name === V1 ? "v1" : name === V2 ? "v2" : undefined;
                if (!want || a.echo!.headers.backend !== want) throw new Error(`request ${i}: answered by ${name ?? a.status} with backend header ${JSON.stringify(a.echo?.headers.backend)}`);
            }
        },
    },
    {
        name: "HTTPRouteRegexPathMatching",
        routes: [rt("regex-matching", { rules: [
            { matches: [{ path: { type: "RegularExpression", value: "/v[0-9]+/items/[a-z]+" } }], backendRefs: [to(V1)] },
            { matches: [{ headers: [{ type: "RegularExpression", name: "x-id", value: "id-\\d{3}" }] }], backendRefs: [to(V2)] },
        ] })],
        requests: [
            [{ path: "/v12/items/abc" }, { backend: V1 }], [{ path: "/v12/items/abc/d" }, { status: 404 }], [{ path: "/x/v12/items/abc" }, { status: 404 }],
            [{ path: "/", headers: { "X-Id": "id-123" } }, { backend: V2 }], [{ path: "/", headers: { "X-Id": "id-1234" } }, { status: 404 }],
        ],
    },
    {
        // The Service port's appProtocol kubernetes.io/ws says the backend speaks WebSocket: the upgrade
        // passes through. The same backend on a plain port gets the handshake as an ordinary GET.
        name: "HTTPRouteBackendProtocolWebSocket",
        routes: [rt("backend-protocol-ws", { rules: [
            { matches: [prefix("/ws")], backendRefs: [{ name: V1, port: 8081 }] },
            { matches: [prefix("/plain")], backendRefs: [to(V1)] },
        ] })],
        requests: [[{ path: "/ws" }, { backend: V1 }]],
        custom: async ctx => {
            const port = ctx.listenerPort({ path: "/" });
            const answer = await websocketEcho(`ws://127.0.0.1:${port}/ws/chat`, "hello");
            if (answer !== `${V1}: hello`) throw new Error(`WebSocket answer ${JSON.stringify(answer)}, want ${JSON.stringify(`${V1}: hello`)}`);
            const refused = await websocketEcho(`ws://127.0.0.1:${port}/plain`, "hello").then(a => `answered ${a}`, (e: Error) => e.message);
            if (!/handshake .* failed/.test(refused)) throw new Error(`a WebSocket to a backend without appProtocol kubernetes.io/ws ${refused}; nginx must not upgrade it`);
        },
    },
    {
        name: "GRPCExactMethodMatching",
        routes: [],
        grpcRoutes: [grt("exact-matching", { rules: [
            { matches: [echoMethod("Echo")], backendRefs: [grpcTo(G1)] },
            { matches: [echoMethod("EchoTwo")], backendRefs: [grpcTo(G2)] },
        ] })],
        custom: async ctx => {
            await grpcExpect(ctx, { service: GRPC_ECHO_SERVICE, method: "Echo" }, { backend: G1 });
            await grpcExpect(ctx, { service: GRPC_ECHO_SERVICE, method: "EchoTwo" }, { backend: G2 });
            await grpcExpect(ctx, { service: GRPC_ECHO_SERVICE, method: "EchoThree" }, { code: UNIMPLEMENTED });
        },
    },
    {
        name: "GRPCRouteHeaderMatching",
        routes: [],
        grpcRoutes: [grt("grpc-header-matching", { rules: [
            { matches: [{ headers: [hdr("version", "one")] }], backendRefs: [grpcTo(G1)] },
            { matches: [{ headers: [hdr("version", "two")] }], backendRefs: [grpcTo(G2)] },
            { matches: [{ headers: [hdr("version", "two"), hdr("color", "orange")] }], backendRefs: [grpcTo(G1)] },
            { matches: [{ headers: [hdr("color", "blue")] }, { headers: [hdr("color", "green")] }], backendRefs: [grpcTo(G1)] },
            { matches: [{ headers: [hdr("color", "red")] }, { headers: [hdr("color", "yellow")] }], backendRefs: [grpcTo(G2)] },
        ] })],
        custom: async ctx => {
            const call = (metadata: Record<string, string>) => ({ service: GRPC_ECHO_SERVICE, method: "Echo", metadata });
            await grpcExpect(ctx, call({ version: "one" }), { backend: G1 });
            await grpcExpect(ctx, call({ version: "two" }), { backend: G2 });
            await grpcExpect(ctx, call({ version: "two", color: "orange" }), { backend: G1 });
            for (const color of ["blue", "green"]) await grpcExpect(ctx, call({ color }), { backend: G1 });
            for (const color of ["red", "yellow"]) await grpcExpect(ctx, call({ color }), { backend: G2 });
            await grpcExpect(ctx, call({ version: "three" }), { code: UNIMPLEMENTED });
        },
    },
    {
        name: "GRPCRouteListenerHostnameMatching",
        listeners: [
            { name: "listener-1", port: 80, protocol: "HTTP", hostname: "bar.com" },
            { name: "listener-2", port: 80, protocol: "HTTP", hostname: "foo.bar.com" },
            { name: "listener-3", port: 80, protocol: "HTTP", hostname: "*.bar.com" },
            { name: "listener-4", port: 80, protocol: "HTTP", hostname: "*.foo.com" },
        ],
        routes: [],
        grpcRoutes: [
            { name: "backend-v1", namespace: NS, parentRefs: [{ name: "same-namespace", sectionName: "listener-1" }], rules: [{ backendRefs: [grpcTo(G1)] }] },
            { name: "backend-v2", namespace: NS, parentRefs: [{ name: "same-namespace", sectionName: "listener-2" }], rules: [{ backendRefs: [grpcTo(G2)] }] },
            { name: "backend-v3", namespace: NS, parentRefs: [{ name: "same-namespace", sectionName: "listener-3" }, { name: "same-namespace", sectionName: "listener-4" }], rules: [{ backendRefs: [grpcTo(G3)] }] },
        ],
        custom: async ctx => {
            const at = (host: string) => ({ host, service: GRPC_ECHO_SERVICE, method: "Echo" });
            await grpcExpect(ctx, at("bar.com"), { backend: G1 });
            await grpcExpect(ctx, at("foo.bar.com"), { backend: G2 });
            for (const host of ["baz.bar.com", "boo.bar.com", "multiple.prefixes.bar.com", "multiple.prefixes.foo.com"]) await grpcExpect(ctx, at(host), { backend: G3 });
            for (const host of ["foo.com", "no.matching.host"]) await grpcExpect(ctx, at(host), { code: UNIMPLEMENTED });
        },
    },
    {
        name: "GRPCRouteWeight",
        routes: [],
        grpcRoutes: [grt("weighted-backends", { rules: [{ backendRefs: [grpcTo(G1, 70), grpcTo(G2, 30), grpcTo(G3, 0)] }] })],
        custom: async ctx => {
            const counts = new Map<string, number>();
            const n = 200;
            for (let i = 0; i < n; i++) {
                const { got } = await ctx.grpc({ service: GRPC_ECHO_SERVICE, method: "Echo" });
                const k = got.answer?.name ?? `status ${got.code}`;
                counts.set(k, (counts.get(k) ?? 0) + 1);
            }
            // 70/30/0 within the upstream test's tolerance (it allows ±5 points of the share per backend over its requests; 200 calls need a wider band).
            const share = (b: string) => (counts.get(b) ?? 0) / n;
            if (Math.abs(share(G1) - 0.7) > 0.1 || Math.abs(share(G2) - 0.3) > 0.1 || share(G3) !== 0 || [...counts.keys()].some(k => !k.startsWith("grpc-"))) {
                throw new Error(`weights 70/30/0 answered ${JSON.stringify(Object.fromEntries(counts))}`);
            }
        },
    },
    {
        name: "GRPCRouteNamedRule",
        routes: [],
        grpcRoutes: [grt("grpc-named-rules", { rules: [
            { name: "named-rule", matches: [echoMethod("Echo")], backendRefs: [grpcTo(G1)] },
            { matches: [echoMethod("EchoTwo")], backendRefs: [grpcTo(G2)] },
        ] })],
        custom: async ctx => {
            await grpcExpect(ctx, { service: GRPC_ECHO_SERVICE, method: "Echo" }, { backend: G1 });
            await grpcExpect(ctx, { service: GRPC_ECHO_SERVICE, method: "EchoTwo" }, { backend: G2 });
            const status = ctx.plan.routes.find(r => r.route === `${NS}/grpc-named-rules`);
            if (!status || status.parents[0].conditions.find(c => c.type === "Accepted")?.status !== "True") throw new Error(`the GRPCRoute with a named rule is not Accepted: ${JSON.stringify(status)}`);
        },
    },
    {
        // Not an upstream case: gRPC and HTTP/1.1 on one HTTPS port (ALPN picks h2 or http/1.1).
        name: "gatewaykit: GRPCRoute and HTTPRoute share an HTTPS port",
        listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "tls-validity-checks-certificate" }] } }],
        // One hostname each: the GRPCRoute spec rejects an HTTPRoute and a GRPCRoute claiming one hostname.
        routes: [rt("web", { hostnames: ["example.org"], rules: [{ matches: [prefix("/web")], backendRefs: [to(V1)] }] })],
        grpcRoutes: [grt("grpc", { hostnames: ["grpc.example.org"], rules: [{ matches: [echoMethod("Echo")], backendRefs: [grpcTo(G2)] }] })],
        requests: [[{ path: "/web/x", host: "example.org", scheme: "https" }, { backend: V1 }]],
        custom: async ctx => {
            await grpcExpect(ctx, { host: "grpc.example.org", service: GRPC_ECHO_SERVICE, method: "Echo" }, { backend: G2 });
            await grpcExpect(ctx, { host: "grpc.example.org", service: GRPC_ECHO_SERVICE, method: "EchoTwo" }, { code: UNIMPLEMENTED });
        },
    },
    {
        // Upstream HTTPRouteCORS (conformance/tests/httproute-cors.go): preflights answered by the
        // gateway, actual requests with the CORS headers, every answer also checked against simulate.
        name: "HTTPRouteCORS",
        routes: [
            rt("cors-multiple-origins-methods-headers", { rules: [{ matches: [prefix("/cors-1")], backendRefs: [to(V1)], filters: [{ type: "CORS", cors: {
                allowOrigins: ["https://www.foo.com", "https://*.bar.com"], allowMethods: ["GET", "OPTIONS"], allowHeaders: ["x-header-1", "x-header-2"],
                exposeHeaders: ["x-header-3", "x-header-4"], allowCredentials: true, maxAge: 3600 } }] }] }),
            rt("cors-wildcard-methods", { rules: [{ matches: [prefix("/cors-2")], backendRefs: [to(V1)], filters: [{ type: "CORS", cors: { allowOrigins: ["https://www.foo.com"], allowMethods: ["*"] } }] }] }),
            rt("cors-wildcard-origin", { rules: [{ matches: [prefix("/cors-wildcard-origin")], backendRefs: [to(V1)], filters: [{ type: "CORS", cors: { allowOrigins: ["*"], allowMethods: ["PUT"], allowCredentials: false } }] }] }),
            rt("cors-wildcard-methods-headers", { rules: [
                { matches: [prefix("/cors-wildcard-methods-headers")], backendRefs: [to(V1)], filters: [{ type: "CORS", cors: { allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], allowCredentials: true } }] },
                { matches: [prefix("/cors-wildcard-methods-headers-unauth")], backendRefs: [to(V1)], filters: [{ type: "CORS", cors: { allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], allowCredentials: false } }] },
            ] }),
        ],
        requests: (() => {
            const pre = (path: string, origin: string, method: string, headers?: string): Req => ({ path, method: "OPTIONS", headers: {
                Origin: origin, "access-control-request-method": method, ...(headers ? { "access-control-request-headers": headers } : {}) } });
            const full = (origin: string) => ({
                "access-control-allow-origin": [origin], "access-control-allow-methods": ["GET, OPTIONS", "OPTIONS, GET"],
                "access-control-allow-headers": ["x-header-1, x-header-2", "x-header-2, x-header-1"],
                "access-control-expose-headers": ["x-header-3, x-header-4", "x-header-4, x-header-3"],
                "access-control-max-age": ["3600"], "access-control-allow-credentials": ["true"],
            });
            const simple = (path: string, method: string, origin: string, extra: Record<string, string> = {}): Req => ({ path, method, headers: { Origin: origin, ...extra } });
            const reqs: [Req, Expect][] = [
                [pre("/cors-1", "https://www.foo.com", "GET", "x-header-1, x-header-2"), { statusIn: [200, 204], respOneOf: full("https://www.foo.com") }],
                [pre("/cors-1", "https://www.bar.com", "GET", "x-header-1, x-header-2"), { status: 200, respOneOf: full("https://www.bar.com") }],
                [pre("/cors-1", "https://xpto.www.bar.com", "GET", "x-header-1, x-header-2"), { status: 200, respOneOf: full("https://xpto.www.bar.com") }],
                [pre("/cors-1", "https://foobar.com", "GET"), { statusIn: [200, 204, 403], respAbsent: ["access-control-allow-origin"] }],
                [simple("/cors-1", "GET", "https://www.foo.com", { "access-control-request-method": "GET", "access-control-request-headers": "x-header-1, x-header-2" }), { statusIn: [200, 204], backend: V1, respHeaders: { "access-control-allow-origin": "https://www.foo.com" } }],
                [simple("/cors-1", "GET", "https://www.bar.com", { "access-control-request-method": "GET", "access-control-request-headers": "x-header-1, x-header-2" }), { statusIn: [200, 204], backend: V1, respHeaders: { "access-control-allow-origin": "https://www.bar.com" } }],
                [simple("/cors-1", "GET", "https://foobar.com", { "access-control-request-method": "GET" }), { backend: V1, respAbsent: ["access-control-allow-origin"] }],
                [pre("/cors-2", "https://www.foo.com", "POST"), { statusIn: [200, 204], respOneOf: { "access-control-allow-methods": ["POST", "*"] }, respHeaders: { "access-control-allow-origin": "https://www.foo.com" }, respAbsent: ["access-control-allow-credentials"] }],
                [pre("/cors-wildcard-origin", "https://foobar.com", "PUT"), { statusIn: [200, 204], respOneOf: { "access-control-allow-origin": ["https://foobar.com", "*"], "access-control-allow-methods": ["PUT"] }, respAbsent: ["access-control-allow-credentials"] }],
                [pre("/cors-wildcard-origin", "https://foobar.com:12345", "PUT"), { statusIn: [200, 204], respOneOf: { "access-control-allow-origin": ["https://foobar.com:12345", "*"], "access-control-allow-methods": ["PUT"] }, respAbsent: ["access-control-allow-credentials"] }],
                [simple("/cors-wildcard-origin", "PUT", "https://foobar.com:12345"), { status: 200, backend: V1, respOneOf: { "access-control-allow-origin": ["https://foobar.com:12345", "*"] } }],
                [simple("/cors-wildcard-origin", "PUT", "https://foobar.com"), { statusIn: [200, 204], backend: V1, respOneOf: { "access-control-allow-origin": ["https://foobar.com", "*"] }, respAbsent: ["access-control-allow-credentials"] }],
                [pre("/cors-wildcard-methods-headers", "https://other.foo.com", "PUT", "x-header-1, x-header-2"), { status: 200, respOneOf: {
                    "access-control-allow-origin": ["https://other.foo.com"], "access-control-allow-methods": ["PUT"],
                    "access-control-allow-headers": ["x-header-1, x-header-2", "x-header-2, x-header-1"], "access-control-allow-credentials": ["true"] } }],
                [pre("/cors-wildcard-methods-headers-unauth", "https://other.foo.com", "PUT", "x-header-1, x-header-2"), { status: 200, respOneOf: {
                    "access-control-allow-origin": ["https://other.foo.com", "*"], "access-control-allow-methods": ["PUT", "*"],
                    "access-control-allow-headers": ["x-header-1, x-header-2", "x-header-2, x-header-1", "*"] }, respAbsent: ["access-control-allow-credentials"] }],
                [simple("/cors-wildcard-methods-headers", "GET", "https://other.foo.com", { Authorization: "Bearer test" }), { status: 200, backend: V1, respOneOf: {
                    "access-control-allow-origin": ["https://other.foo.com"], "access-control-allow-credentials": ["true"] } }],
                [simple("/cors-wildcard-methods-headers-unauth", "GET", "https://other.foo.com", { Authorization: "Bearer test" }), { status: 200, backend: V1, respOneOf: {
                    "access-control-allow-origin": ["https://other.foo.com"] }, respAbsent: ["access-control-allow-credentials"] }],
            ];
            return reqs;
        })(),
        custom: async ctx => {
            // No backend sees a preflight: the gateway answers it (routing/cors.ts).
            await ctx.clearSeen(V1);
            const a = await ctx.send({ path: "/cors-1", method: "OPTIONS", headers: { Origin: "https://www.foo.com", "access-control-request-method": "GET" } });
            if (a.status !== 200 || a.echo) throw new Error(`preflight answered ${a.status}${a.echo ? ` by ${a.echo.name}` : ""}, expected the gateway's own 200`);
            if (ctx.simulate({ path: "/cors-1", method: "OPTIONS", headers: { Origin: "https://www.foo.com", "access-control-request-method": "GET" } }).reason !== "cors-preflight") throw new Error("simulate does not predict a preflight answer");
            const seen = await ctx.seen(V1);
            if (seen.count !== 0) throw new Error(`the backend saw ${seen.count} request(s) for a preflight`);
            // An OPTIONS without Access-Control-Request-Method is an actual request: it reaches the backend.
            const b = await ctx.send({ path: "/cors-1", method: "OPTIONS", headers: { Origin: "https://www.foo.com" } });
            if (b.echo?.name !== V1 || b.headers["access-control-allow-origin"] !== "https://www.foo.com") throw new Error(`plain OPTIONS answered ${b.status} by ${b.echo?.name ?? "no backend"} with Allow-Origin ${JSON.stringify(b.headers["access-control-allow-origin"])}`);
        },
    },
];
