// Config-level tests of the nginx renderer: structure, escaping, and refusals (no nginx needed).
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { compile } from "../../../routing/compile";
import { GatewayPlan } from "../../../routing/plan";
import { HTTPRouteRule, Listener } from "../../../routing/types";
import { jsRegexToPcre, quoteValue } from "./escape";
import { NginxRenderError, TlsMaterial, renderNginx } from ".";
import { inputOf, routeSet } from "../../../test/plan-generators";

const DIR = "/tmp/gk-render-test";

function planOf(rules: HTTPRouteRule[], listeners: Listener[] = [{ name: "http", port: 8080, protocol: "HTTP" }], hostnames?: string[]): GatewayPlan {
    return compile({
        gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "c", listeners }],
        services: [{ name: "svc", namespace: "default", ports: [{ port: 8080 }, { port: 8081, appProtocol: "kubernetes.io/ws" }, { port: 8082, appProtocol: "kubernetes.io/h2c" }, { port: 8083, appProtocol: "kubernetes.io/wss" }], endpoints: [{ address: "10.0.0.1", port: 9000 }] }],
        routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], ...(hostnames ? { hostnames } : {}), rules }],
    }).gateways[0];
}

function conf(rules: HTTPRouteRule[], listeners?: Listener[], hostnames?: string[]): string {
    return renderNginx(planOf(rules, listeners, hostnames), { dir: DIR, generation: "g1" }).files[0].content;
}

const to = [{ name: "svc", port: 8080 }];

/** Naive check that every double-quoted string in the config is closed on its own line. */
function assertBalancedQuotes(text: string): void {
    for (const line of text.split("\n")) {
        let inQ = false;
        for (let i = 0; i < line.length; i++) {
            if (line[i] === "\\" && inQ) { i++; continue; }
            if (line[i] === "\"") inQ = !inQ;
        }
        assert.equal(inQ, false, `unbalanced quotes in: ${line}`);
    }
}

describe("nginx render", () => {
    it("renders a server per listener with the control socket, upstream and paths inside dir", () => {
        const c = conf([{ matches: [{ path: { type: "PathPrefix", value: "/groups" } }], backendRefs: to }]);
        assert.match(c, /listen 127\.0\.0\.1:8080 default_server;/);
        assert.match(c, /listen "unix:\/tmp\/gk-render-test\/run\/control\.sock";/);
        assert.match(c, /return 200 "g1";/);
        assert.match(c, /server 10\.0\.0\.1:9000;/);
        assert.match(c, /pid "\/tmp\/gk-render-test\/run\/nginx\.pid";/);
        // The prefix is a hashed key of its tier and depth; the value repeats it as written (case check).
        assert.match(c, /map "\$\{gk_t1\}\|\$\{gk_p1\}" \$gk_k_t1_p1 \{\n\s+"t1\|\/groups" "\/groups \$\{gk_p1\} a1:;";/);
        assert.match(c, /map \$gk_act \$gk_out \{\n\s+a1 a1;/);
        assertBalancedQuotes(c);
    });

    it("splits weights with split_clients and reports rounding", () => {
        const p = planOf([{ backendRefs: [{ name: "svc", port: 8080, weight: 1 }, { name: "svc", port: 8080, weight: 2 }] }]);
        const r = renderNginx(p, { dir: DIR, generation: "g" });
        assert.match(r.files[0].content, /split_clients "\$\{request_id\}" \$gk_s\d+ \{\n\s+33\.33% "0";\n\s+\* "1";/);
        assert.equal(r.warnings!.length, 1);
        assert.match(r.warnings![0], /rounded to 33\.33%\/66\.67%/);
        const even = renderNginx(planOf([{ backendRefs: [{ name: "svc", port: 8080, weight: 90 }, { name: "svc", port: 8080, weight: 10 }] }]), { dir: DIR, generation: "g" });
        assert.deepEqual(even.warnings, []);
        assert.match(even.files[0].content, /90\.00% "0";/);
    });

    it("declares one split per distinct weighting, however many rules share it, and one action per distinct behaviour", () => {
        const rules = Array.from({ length: 12 }, (_, i) => ({ matches: [{ path: { type: "PathPrefix" as const, value: `/p${i}` } }], backendRefs: [{ name: "svc", port: 8080, weight: 90 }, { name: "svc", port: 8080, weight: 10 }] }));
        const c = renderNginx(planOf(rules), { dir: DIR, generation: "g" }).files[0].content;
        assert.equal((c.match(/split_clients/g) ?? []).length, 1);
        assert.equal((c.match(/^\s+a\d+ "a\d+_\$\{gk_s\d+\}";$/gm) ?? []).length, 1, "the twelve identical rules share one action");
        assert.equal((c.match(/location @gk_shape\d+/g) ?? []).length, 1);
    });

    it("escapes header values, so quotes, $ and braces cannot inject directives", () => {
        const evil = "x\"; return 200 \"pwned\"; #${host}}";
        const c = conf([{ filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "X-Evil", value: evil }] } }], backendRefs: to }]);
        // The value is a slot: a map entry of the outcome, quoted like any value.
        assert.match(c, /proxy_set_header "X-Evil" "\$\{gk_v\d+\}";/);
        assert.ok(c.includes(` a1 ${quoteValue(evil)};`), c);
        assert.ok(c.includes("\\\"; return 200 \\\"pwned\\\"; #${gk_dollar}{host}}"));
        assert.ok(!/^\s*return 200 "pwned"/m.test(c));
        assertBalancedQuotes(c);
    });

    it("escapes header match values and regexes as anchored PCRE inside quoted map keys", () => {
        const c = conf([{ matches: [{ headers: [{ name: "x-a", value: "a.b\"c$" }, { type: "RegularExpression", name: "x-b", value: "v[0-9]+\\.\"x" }] }], backendRefs: to }]);
        assert.ok(c.includes(`"~^(?:(?=[\\\\x00-\\\\xff])(?:a\\\\.b\\"c\\\\$))$" 1;`), c);
        // Regexes are rebuilt from explicit byte classes ("\\x2e" is "."), so nginx reads them byte for byte as JavaScript does.
        assert.ok(c.includes(`"~^(?:(?=[\\\\x00-\\\\xff])(?:v[\\\\x30-\\\\x39]+\\\\x2e\\\\x22x))$" 1;`), c);
        assertBalancedQuotes(c);
    });

    it("refuses regexes without an exact PCRE equivalent, naming route, rule and field", () => {
        for (const bad of ["(?<=a)b", "\\k<x>(?<x>a)", "\\p{L}", "a\\1", "\\u{41}", "(?i:a)", "a{1001}", "(?=a)*"]) {
            assert.throws(() => conf([{ matches: [{ path: { type: "RegularExpression", value: "/" + bad } }], backendRefs: to }]),
                (e: Error) => e instanceof NginxRenderError && /HTTPRoute default\/r rule 0: spec\.rules\[0\]\.matches\[0\]\.path\.value/.test(e.message), bad);
        }
        assert.equal(jsRegexToPcre("/a{1,2}b{"), "\\x2fa{1,2}b\\x7b");
        assert.equal(jsRegexToPcre("[[:alpha:]]"), "[\\x3a\\x5b\\x61\\x68\\x6c\\x70]\\x5d");
    });

    it("refuses header names nginx cannot read and values with control characters", () => {
        assert.throws(() => conf([{ matches: [{ headers: [{ name: "x_under", value: "1" }] }], backendRefs: to }]), /headers\[0\]\.name/);
        const plan = planOf([{ filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "X-A", value: "ok" }] } }], backendRefs: to }]);
        plan.listeners[0].rules[0].filters.requestHeaderModifier!.set![0].value = "a\nreturn 200;";
        assert.throws(() => renderNginx(plan, { dir: DIR, generation: "g" }), /requestHeaderModifier\.set: header value/);
    });

    it("warns that an add to a request header reaches only its first line on nginx 1.22", () => {
        const r = renderNginx(planOf([{ filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { add: [{ name: "X-A", value: "1" }] } }], backendRefs: to }]), { dir: DIR, generation: "g" });
        assert.ok(r.warnings!.some(w => /add to X-A: nginx 1\.22 reads only the first line/.test(w)), JSON.stringify(r.warnings));
    });

    it("refuses unsafe hostnames, generations with control characters and relative dirs", () => {
        const plan = planOf([{ backendRefs: to }], undefined, ["example.com"]);
        // The renderer takes server names from the plan's host ownership (plan.ports[].hosts).
        plan.listeners[0].rules[0].hostname = "evil.com; }";
        plan.ports![0].hosts.find(h => h.pattern === "example.com")!.pattern = "evil.com; }";
        assert.throws(() => renderNginx(plan, { dir: DIR, generation: "g" }), NginxRenderError);
        assert.throws(() => renderNginx(planOf([{ backendRefs: to }]), { dir: DIR, generation: "g\n}" }), /control characters/);
        assert.throws(() => renderNginx(planOf([{ backendRefs: to }]), { dir: "relative/dir", generation: "g" }), /absolute path/);
    });

    it("gives each rule hostname its own server block, leaving hosts a more specific listener owns to it", () => {
        const listeners: Listener[] = [
            { name: "wild", port: 8080, protocol: "HTTP", hostname: "*.example.com" },
            { name: "foo", port: 8080, protocol: "HTTP", hostname: "foo.example.com" },
        ];
        const c = conf([{ backendRefs: to }], listeners, ["foo.example.com", "bar.example.com"]);
        assert.equal((c.match(/server_name foo\.example\.com;/g) ?? []).length, 1);
        assert.equal((c.match(/server_name bar\.example\.com;/g) ?? []).length, 1);
        assert.equal((c.match(/server_name \*\.example\.com;/g) ?? []).length, 1);
        // No listener without a hostname: a catch-all default server answers 404.
        assert.match(c, /default_server;\n\s+server_name "";\n\s+if \(\$gk_path = ""\) \{ return 400; \}\n\s+location \/ \{ return 404; \}/);
    });

    it("writes HTTPS certificates and keys as 0600 files and refuses missing material", () => {
        const listeners: Listener[] = [{ name: "https", port: 8443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "cert" }] } }];
        const plan = planOf([{ backendRefs: to }], listeners);
        assert.throws(() => renderNginx(plan, { dir: DIR, generation: "g" }), /no certificate material for certificateRef default\/cert/);
        const r = renderNginx(plan, { dir: DIR, generation: "g", certificates: { "default/cert": { certificate: "CERT", privateKey: "KEY" } } });
        const key = r.files.find(f => f.path.endsWith(".key"))!;
        assert.equal(key.mode, 0o600);
        assert.equal(key.content, "KEY");
        assert.match(r.files[0].content, /listen 127\.0\.0\.1:8443 ssl default_server;/);
        assert.ok(!r.files[0].content.includes("KEY"), "the key never appears in nginx.conf");
    });

    it("renders redirects with the listener port, rewrites with the raw query, and 500 for invalid backends", () => {
        const c = conf([
            { matches: [{ path: { type: "PathPrefix", value: "/old" } }], filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" }, statusCode: 301 } }] },
            { matches: [{ path: { type: "PathPrefix", value: "/full" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/x$y" } } }], backendRefs: to },
            { matches: [{ path: { type: "PathPrefix", value: "/missing" } }], backendRefs: [{ name: "nope", port: 8080 }] },
        ]);
        assert.match(c, /return 301 "\$\{gk_v\d+\}";/);
        assert.match(c, / a\d+ "http:\/\/\$\{host\}:8080\/new\$\{gk_rest1\}\$\{is_args\}\$\{args\}";/);
        assert.match(c, /proxy_pass "http:\/\/\$\{gk_v\d+\}\$\{gk_v\d+\}\$\{is_args\}\$\{args\}";/);
        assert.match(c, / a\d+ "gk_u\d+";/);
        assert.ok(c.includes(` "/x\${gk_dollar}y";`), c);
        assert.match(c, /# BackendNotFound\n\s+return 500;/);
    });

    it("applies one proxy timeout in ms: backendRequest when set, else request (0: none)", () => {
        const timeout = (t: HTTPRouteRule["timeouts"]) => conf([{ timeouts: t, backendRefs: to }]).match(/proxy_read_timeout (\d+)ms;/g) ?? [];
        assert.deepEqual(timeout({ request: "10s", backendRequest: "500ms" }), ["proxy_read_timeout 500ms;"]);
        assert.deepEqual(timeout({ request: "1m30s" }), ["proxy_read_timeout 90000ms;"]);
        assert.deepEqual(timeout({ request: "10s", backendRequest: "0s" }), []);
        assert.deepEqual(timeout(undefined), []);
    });
});

describe("nginx render: backend protocols and forwarding headers", () => {
    it("relays WebSocket upgrades only to a kubernetes.io/ws port; refuses h2c and wss by name", () => {
        const c = conf([{ matches: [{ path: { type: "PathPrefix", value: "/ws" } }], backendRefs: [{ name: "svc", port: 8081 }] }, { backendRefs: to }]);
        assert.equal((c.match(/proxy_set_header Upgrade \$http_upgrade;\n\s+proxy_set_header Connection \$gk_upgrade;/g) ?? []).length, 1);
        assert.equal((c.match(/proxy_set_header Connection "";/g) ?? []).length, 1, "the plain backend's shape drops Connection");
        assert.throws(() => conf([{ backendRefs: [{ name: "svc", port: 8082 }] }]), /backendRefs\[0\]: default\/svc port 8082 has appProtocol kubernetes\.io\/h2c, and nginx proxies HTTP requests to backends over HTTP\/1\.x only/);
        assert.throws(() => conf([{ backendRefs: [{ name: "svc", port: 8083 }] }]), /appProtocol kubernetes\.io\/wss \(WebSocket over TLS\)/);
    });

    it("sends X-Forwarded-* from this hop, believes only trustedProxies, refuses routes that change them and addresses that are not addresses", () => {
        const r = renderNginx(planOf([{ backendRefs: to }]), { dir: DIR, generation: "g", trustedProxies: ["10.0.0.0/8", "fd00::/8"] }).files[0].content;
        assert.match(r, /geo \$gk_trusted \{\n\s+default 0;\n\s+10\.0\.0\.0\/8 1;\n\s+fd00::\/8 1;\n\s+\}/);
        for (const h of ["For", "Proto", "Host", "Port"]) assert.match(r, new RegExp(`proxy_set_header X-Forwarded-${h} \\$gk_xf`));
        assert.throws(() => renderNginx(planOf([{ backendRefs: to }]), { dir: DIR, generation: "g", trustedProxies: ["10.0.0.0/8; include /etc/passwd"] }), /parameters\.nginx\.trustedProxies: .* is not an IPv4 or IPv6 address or CIDR/);
        assert.throws(() => conf([{ filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "X-Forwarded-For", value: "1.2.3.4" }] } }], backendRefs: to }]), /header "X-Forwarded-For" is owned by the data plane/);
    });
});

describe("nginx render: gRPC", () => {
    const grpcPlan = (listeners: Listener[], withHttp: boolean) => compile({
        gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "c", listeners }],
        services: [{ name: "svc", namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: "10.0.0.1", port: 9000 }] }],
        routes: withHttp ? [{ name: "web", namespace: "default", parentRefs: [{ name: "gw" }], hostnames: ["web.example.com"], rules: [{ backendRefs: to }] }] : [],
        grpcRoutes: [{ name: "rpc", namespace: "default", parentRefs: [{ name: "gw" }], hostnames: ["rpc.example.com"], rules: [{ matches: [{ method: { service: "a.B", method: "C" } }], backendRefs: to }] }],
    }).gateways[0];

    it("serves a GRPCRoute with grpc_pass on an HTTP/2 port, from an upstream block of its own", () => {
        const c = renderNginx(grpcPlan([{ name: "h", port: 8080, protocol: "HTTP" }], false), { dir: DIR, generation: "g" }).files[0].content;
        assert.match(c, /listen 127\.0\.0\.1:8080 http2 default_server;/);
        assert.match(c, /grpc_pass "grpc:\/\/\$\{gk_v\d+\}";/);
        assert.ok(!c.includes("proxy_pass"), "no HTTP/1.1 proxy for a gRPC-only gateway");
    });

    it("refuses GRPCRoutes and HTTPRoutes on one cleartext port, naming both and the fix; over TLS they share it", () => {
        assert.throws(() => renderNginx(grpcPlan([{ name: "h", port: 8080, protocol: "HTTP" }], true), { dir: DIR, generation: "g" }),
            /port 8080: GRPCRoute default\/rpc and HTTPRoute default\/web share the cleartext port 8080.*use an HTTPS listener \(ALPN lets both share it\)/);
        const tls = grpcPlan([{ name: "s", port: 8443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "cert" }] } }], true);
        const c = renderNginx(tls, { dir: DIR, generation: "g", certificates: { "default/cert": { certificate: "C", privateKey: "K" } } }).files[0].content;
        assert.match(c, /listen 127\.0\.0\.1:8443 ssl http2 default_server;/);
        assert.ok(c.includes("proxy_pass") && c.includes("grpc_pass"));
    });
});

describe("nginx render reads the plan's host ownership", () => {
    const material = (keys: string[]): Record<string, TlsMaterial> => Object.fromEntries(keys.map(k => [k, { certificate: "C", privateKey: "K" }]));

    it("one server block per HostOwner (server_name = pattern, none: default_server) with its ruleIds as candidates; a conflicted port is refused with the plan's message", () => {
        let rendered = 0, refused = 0, unsupported = 0;
        fc.assert(fc.property(routeSet(false), gen => {
            const plan = compile(inputOf(gen)).gateways[0];
            const keys = plan.listeners.flatMap(l => l.tls?.certificateKeys ?? []);
            const conflict = plan.ports!.find(p => p.conflict);
            if (conflict) {
                refused++;
                assert.throws(() => renderNginx(plan, { dir: DIR, generation: "g", certificates: material(keys) }), (e: Error) => e instanceof NginxRenderError && e.message === conflict.conflict!.message);
                return;
            }
            let c: string;
            try {
                c = renderNginx(plan, { dir: DIR, generation: "g", certificates: material(keys) }).files[0].content;
            } catch (e) {
                // Values nginx cannot realise (e.g. a prefix rewrite on top of another) are refused by name.
                if (e instanceof NginxRenderError && /HTTPRoute \S+ rule \d+/.test(e.message)) { unsupported++; return; }
                throw e;
            }
            rendered++;
            const got = [...c.matchAll(/listen 127\.0\.0\.1:(\d+)( ssl)?( default_server)?;\n\s+server_name ([^;]+);/g)].map(m => `${m[1]} ${m[4]}${m[3] ?? ""}`);
            const want = plan.ports!.flatMap(p => [
                ...p.hosts.map(h => `${p.port} ${h.pattern ?? "\"\" default_server"}`),
                ...(p.hosts.some(h => h.pattern === undefined) ? [] : [`${p.port} "" default_server`]),
            ]);
            assert.deepEqual(got, want);
            const counts = [...c.matchAll(/^\s+# listener .* \(port \d+\), hosts .*: (\d+) rule\(s\)$/gm)].map(m => Number(m[1]));
            assert.deepEqual(counts, plan.ports!.flatMap(p => p.hosts.map(h => h.ruleIds.length)));
        }), { numRuns: 300, seed: 7 });
        assert.ok(rendered > 100 && refused > 10, `rendered ${rendered}, refused ${refused} (conflicts), ${unsupported} (unsupported values)`);
    });
});
