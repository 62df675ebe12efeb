// The nginx dispatch (providers/nginx/model/dispatch.ts) against routing/simulate over real HTTP:
// fast-check builds route tables whose rules share hostnames and overlap — nested prefixes, exact
// paths, regexes, paths that differ only by case (nginx's map keys are case-insensitive), rules from
// a precise and a wildcard hostname on one server (tiers), method, header and query conditions,
// identical rules that share one action, header changes, rewrites and redirects — and every probe
// must get from nginx exactly the answer simulate gives (status, backend, path and headers it
// received, response headers, Location).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { compile } from "../routing/compile";
import { CompileInput } from "../routing/plan";
import { HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, HTTPRouteSpec, Listener } from "../routing/types";
import { renderNginx } from "../providers/nginx/model";
import { applyConfig, stopInstance } from "../providers/nginx/runtime/apply";
import { Echo, Probe, compare, send } from "./nginx-differential-kit";
import { freePort } from "./nginx-e2e-kit";
import { requireNginx } from "./nginx-provider-kit";

const SEED = Number(process.env.GK_DISPATCH_SEED ?? 20261202);
const RUNS = Number(process.env.GK_DISPATCH_RUNS ?? 40);

const PATHS = ["/", "/a", "/A", "/a/", "/a/b", "/A/b", "/a/B", "/ab", "/a/b/c", "/a;b", "/b"];
const REGEXES = ["/a.*", "/[aA]/b.*", "/.*c", "/a/b", "/(a|b)/?"];
const PROBE_PATHS = ["/", "/a", "/A", "/a/", "/a/b", "/A/b", "/a/B", "/a/b/c", "/a/b/c/d", "/ab", "/ab/x", "/a;b", "/a;b/x", "/x", "/a/bc", "/b/a", "/a/b?q=1", "/a?q=2"];
const HOSTS = ["a.example.com", "b.example.com", "x.a.example.com"];
const SERVICES = ["s1", "s2", "s3"];

const match: fc.Arbitrary<HTTPRouteMatch> = fc.record({
    kind: fc.constantFrom("PathPrefix", "PathPrefix", "Exact", "RegularExpression"),
    prefix: fc.constantFrom(...PATHS),
    regex: fc.constantFrom(...REGEXES),
    method: fc.option(fc.constantFrom("GET", "POST"), { nil: undefined, freq: 3 }),
    header: fc.option(fc.constantFrom("v1", "v2"), { nil: undefined, freq: 3 }),
    query: fc.option(fc.constantFrom("1", "2"), { nil: undefined, freq: 4 }),
}).map(m => {
    const out: HTTPRouteMatch = { path: { type: m.kind as "PathPrefix", value: m.kind === "RegularExpression" ? m.regex : m.prefix } };
    if (m.method) out.method = m.method as "GET";
    if (m.header) out.headers = [{ name: "x-a", value: m.header }];
    if (m.query) out.queryParams = [{ name: "q", value: m.query }];
    return out;
});

const rule: fc.Arbitrary<HTTPRouteRule> = fc.record({
    matches: fc.array(match, { minLength: 1, maxLength: 2 }),
    backend: fc.constantFrom(...SERVICES),
    tag: fc.option(fc.constantFrom("t1", "t2"), { nil: undefined }),
    extra: fc.constantFrom("none", "none", "none", "request-header", "rewrite", "redirect"),
}).map(r => {
    const filters: HTTPRouteFilter[] = [];
    if (r.tag) filters.push({ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "x-tag", value: r.tag }] } });
    const onePrefix = r.matches.length === 1 && r.matches[0].path?.type === "PathPrefix";
    if (r.extra === "request-header") filters.push({ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-set", value: r.backend }], remove: ["x-a"] } });
    if (r.extra === "rewrite") filters.push({ type: "URLRewrite", urlRewrite: { path: onePrefix ? { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" } : { type: "ReplaceFullPath", replaceFullPath: "/full" } } });
    if (r.extra === "redirect") return { matches: r.matches, filters: [...filters, { type: "RequestRedirect", requestRedirect: { statusCode: 301, path: onePrefix ? { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } : { type: "ReplaceFullPath", replaceFullPath: "/moved" } } }] };
    return { matches: r.matches, ...(filters.length ? { filters } : {}), backendRefs: [{ name: r.backend, port: 8080 }] };
});

interface Table { wildListener: boolean; routes: { name: string; hostnames: string[]; rules: HTTPRouteRule[] }[]; probes: Probe[] }

const table: fc.Arbitrary<Table> = fc.record({
    wildListener: fc.boolean(),
    routes: fc.uniqueArray(fc.record({
        name: fc.constantFrom("alpha", "bravo", "charlie", "delta", "echo", "foxtrot"),
        hostnames: fc.subarray(["a.example.com", "*.example.com", "*.a.example.com"], { maxLength: 2 }),
        rules: fc.array(rule, { minLength: 1, maxLength: 4 }),
    }), { minLength: 1, maxLength: 6, selector: r => r.name }),
    probes: fc.array(fc.record({
        host: fc.constantFrom(...HOSTS),
        path: fc.constantFrom(...PROBE_PATHS),
        method: fc.constantFrom("GET", "GET", "POST"),
        xa: fc.constantFrom(undefined, "v1", "v2"),
    }).map(p => ({ host: p.host, path: p.path, method: p.method, ...(p.xa ? { headers: { "x-a": p.xa } } : {}) })), { minLength: 20, maxLength: 30 }),
});

function inputOf(t: Table, port: number, echoes: Map<string, Echo>): CompileInput {
    const listeners: Listener[] = [{ name: "any", port, protocol: "HTTP", allowedRoutes: { namespaces: { from: "All" } } }];
    if (t.wildListener) listeners.push({ name: "wild", port, protocol: "HTTP", hostname: "*.example.com", allowedRoutes: { namespaces: { from: "All" } } });
    const routes: HTTPRouteSpec[] = t.routes.map(r => ({ name: r.name, namespace: "team", parentRefs: [{ name: "gw", namespace: "infra" }], ...(r.hostnames.length ? { hostnames: r.hostnames } : {}), rules: r.rules }));
    return {
        gatewayClasses: [{ name: "nginx", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{ name: "gw", namespace: "infra", gatewayClassName: "nginx", listeners }],
        services: SERVICES.map(name => ({ name, namespace: "team", ports: [{ port: 8080, targetPort: echoes.get(name)!.port }], endpoints: [{ address: "127.0.0.1" }] })),
        routes,
    };
}

describe("nginx dispatch: generated route tables on shared hosts against simulate (fast-check, real nginx)", function () {
    this.timeout(600000);
    const echoes = new Map(SERVICES.map(n => [n, new Echo(n)]));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let dir = "";

    before(async function () {
        requireNginx(this);
        for (const e of echoes.values()) await e.start();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-dispatch-"));
        fs.chmodSync(dir, 0o711); // as root, nginx's workers run unprivileged and must reach the instance dir
    });
    after(async () => {
        agent.destroy();
        if (dir) { try { await stopInstance(path.join(dir, "nginx")); } finally { fs.rmSync(dir, { recursive: true, force: true }); } }
        for (const e of echoes.values()) await e.stop();
    });

    it(`${RUNS} tables: every probe answered by nginx exactly as simulate answers it`, async () => {
        const port = await freePort();
        const inst = path.join(dir, "nginx");
        let generation = 0, probes = 0, rules = 0, tiers = 0;
        const mismatches: string[] = [];
        await fc.assert(fc.asyncProperty(table, async t => {
            const plan = compile(inputOf(t, port, echoes));
            const gw = plan.gateways[0];
            rules += gw.listeners.reduce((n, l) => n + l.rules.length, 0);
            const gen = `g${++generation}`;
            const config = renderNginx(gw, { dir: inst, generation: gen });
            tiers = Math.max(tiers, ...[...config.files[0].content.matchAll(/set \$gk_t(\d+) /g)].map(m => Number(m[1])));
            await applyConfig(inst, config, gen);
            const bad: string[] = [];
            for (const [i, p] of t.probes.entries()) {
                const id = `${gen}-${i}`;
                bad.push(...compare(plan, port, p, id, await send(agent, port, p, id)));
                probes++;
            }
            if (bad.length) mismatches.push(`table ${JSON.stringify(t.routes)} (wild listener: ${t.wildListener}):\n  ${bad.join("\n  ")}`);
            return bad.length === 0;
        }), { seed: SEED, numRuns: RUNS, endOnFailure: true });
        console.log(`      ${RUNS} tables, ${rules} plan rules, ${probes} probes, up to ${tiers} tiers on one server, 0 mismatches`);
        assert.deepEqual(mismatches, []);
        assert.ok(tiers >= 2, "some table put rules of two hostnames on one server (two tiers)");
    });
});
