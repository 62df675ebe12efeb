// Hostile values on the shared nginx data plane, as a class per field: fast-check generates values a
// hostile team could write into every field that reaches the nginx config; each is either refused
// with a named error (GatewayValidationError from validation, NginxRenderError from the renderer) or
// accepted — and then real HTTP through a real nginx must do exactly what routing/simulate says, for
// that route and for every other team's routes loaded beside it. A raw exception, an nginx -t failure
// or one accepted-and-wrong answer fails the suite.
//
// Speed: all accepted routes of a batch share ONE nginx config (one reload per batch), each on its own
// hostname; requests go over a keep-alive agent to in-process echo backends that report the request
// exactly as it arrived (raw header lines joined with ",", as simulate joins repeated headers).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { compile } from "../routing/compile";
import { GatewayValidationError } from "../routing/errors";
import { CompileInput, RoutingPlan } from "../routing/plan";
import { HTTPRouteRule, HTTPRouteSpec, ServiceSpec } from "../routing/types";
import { applyConfig, stopInstance } from "../providers/nginx/runtime/apply";
import { findNginx } from "../providers/nginx/runtime/process";
import { NginxRenderError, renderNginx } from "../providers/nginx/model";
import { Answer, Echo, NGINX_OWN, Probe, compare, isToken, send, sendable, simOf } from "./nginx-differential-kit";

const SEED = Number(process.env.GK_HOSTILE_SEED ?? 20261201);
const PER_FIELD = Number(process.env.GK_HOSTILE_RUNS ?? 360);
const BATCH = 900;

// ---------------------------------------------------------------- hostile values

/** Pieces that have meant something to nginx, PCRE, HTTP or a shell, mixed with plain text. */
const TOKENS = [
    "$", "${", "}", "{", ";", "\"", "'", "\\", "/", "?", "#", "&", "=", "%", "%2f", "%00", " ", "\t", "\r\n", "\n", "\u0000", "\u007f",
    "\u0080", "\u00a0", "\u00ff", "\u0100", "\u2028", "~", "^", "(", ")", "[", "]", "|", "*", "+", ".", "-", "_", ":", "@", ",",
    "$host", "name", "$args", "$1", "${gk_path}", "0/stolen", "/../", "//", "gk_u1", "return 200;", "}\nserver {", "x", "A", "9", "ab",
    "(?<args>.*)", "(?<http_x_team>.*)", "(?<gk_path>.*)", "(?<host>.*)", "(?<1>x)", "\\s", "\\S", "\\w", "\\d", "\\b", "[^]", "[]",
    "(?<=a)", "\\1", "\\k<a>", "(?i:a)", "{2}", "{1001}", "\\x80", "\\xa0", "\\u00a0", "(*UTF)", "(?#c)", "\\Q", "\\z", "$", "\\",
];
const hostilePiece = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 }), fc.constantFrom("a", "b", "/", "-", "."));
const hostile = fc.array(hostilePiece, { maxLength: 6 }).map(a => a.join(""));
/** Mostly-plausible path-like values: a leading "/" most of the time, hostile pieces after it. */
const hostilePath = fc.tuple(fc.constantFrom("/", "/", "/", "", "0", "name", "/a/"), hostile).map(([a, b]) => a + b);
/** Regex sources built from constructs whose meaning differs between JavaScript and nginx. */
const REGEX_ATOMS = [
    "a", "b", "/", ".", "\\s", "\\S", "\\w", "\\W", "\\d", "\\D", "[^]", "[]", "[\\s]", "[^\\s]", "[a-]", "[\\w-a]", "[\\x80-\\xff]", "\\xa0", "\\u00a0",
    "(?<args>a*)", "(?<http_x_team>.*)", "(?<gk_path>.*)", "(?<host>.+)", "(a)", "(?:b)", "(?=a)", "(?!b)", "(?<=a)", "\\1", "\\k<args>",
    "^", "$", "|", "*", "+", "?", "{2}", "{1,3}", "{,2}", "{", "}", "]", "\\b", "\\B", "#", " ", "\\/", "\\.", "\\$", "\\{", "(?i:a)", "a{1001}",
    "\\p{L}", "\\cA", "\\0", "\\e", "\\Q", "\u00e9", "\u0100", "=", "&", "%20",
];
const hostileRegex = fc.array(fc.oneof(fc.constantFrom(...REGEX_ATOMS), fc.string({ maxLength: 2 })), { minLength: 1, maxLength: 7 }).map(a => a.join(""));
const headerNames = fc.oneof(
    fc.constantFrom("X-Team", "x-team", "X_Team", "x.team", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Host", "Keep-Alive", "TE",
        "Trailer", "Proxy-Connection", "Server", "Date", "Set-Cookie", "X-Backend", "Content-Type", "Location", "X-Accel-Redirect", ":path", "X-A$b", "a{b}"),
    hostile.filter(s => s.length > 0), fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/),
);
const headerValues = fc.oneof(hostile.filter(s => s.length > 0), fc.constantFrom(" lead", "trail ", "  ", "a,b", "$host", "${args}", "\u00a0", "é", "v\r\nX-Injected: 1"));
const methods = fc.oneof(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "get", "G ET", "GET;", "PROPFIND"), hostile);

// ---------------------------------------------------------------- one field = one route per value

interface Built { rule: HTTPRouteRule; hostnames?: string[]; probes: (host: string) => Probe[] }
interface Field { name: string; gen: fc.Arbitrary<Built> }

const APP = [{ name: "app", port: 8080 }];
/** Every route also gets a plain request and one with a repeated header line (forwarded as all its lines). */
const plainProbes = (extra: Probe[] = []) => (h: string): Probe[] => [{ host: h, path: "/" }, { host: h, path: "/x?q=1", headers: { "x-rep": ["r1", "r2"] } }, ...extra.map(p => ({ host: h, ...p }))];
/** Paths near a value: itself, with a suffix, its parent (only those Node can send). */
const around = (v: string): string[] => [v, v + "/", v + "x", "/" + v, v.replace(/[^/]*$/, "")].filter(p => p.startsWith("/"));

const FIELDS: Field[] = [
    { name: "path Exact", gen: hostilePath.map(v => ({ rule: { matches: [{ path: { type: "Exact", value: v } }], backendRefs: APP }, probes: plainProbes(around(v).map(p => ({ path: p }))) })) },
    { name: "path PathPrefix", gen: hostilePath.map(v => ({ rule: { matches: [{ path: { type: "PathPrefix", value: v } }], backendRefs: APP }, probes: plainProbes(around(v).map(p => ({ path: p }))) })) },
    {
        name: "path RegularExpression",
        gen: fc.tuple(hostileRegex, fc.array(fc.oneof(fc.constantFrom("a", "b", "/", " ", "é", "\u00a0", "aa", "ab", "=", "x"), fc.string({ maxLength: 2 })), { maxLength: 4 }))
            .map(([v, s]) => ({ rule: { matches: [{ path: { type: "RegularExpression", value: "/r/" + v } }], backendRefs: APP }, probes: plainProbes(["", ...s, s.join("")].map(x => ({ path: "/r/" + encodeFor(x) }))) })),
    },
    {
        name: "header match name",
        gen: headerNames.map(n => ({ rule: { matches: [{ headers: [{ name: n, value: "v1" }] }], backendRefs: APP }, probes: plainProbes([{ path: "/", headers: { [n]: "v1" } }, { path: "/", headers: { [n]: "v2" } }]) })),
    },
    {
        name: "header match value (Exact)",
        gen: headerValues.map(v => ({ rule: { matches: [{ headers: [{ name: "X-Team", value: v }] }], backendRefs: APP }, probes: plainProbes([{ path: "/", headers: { "x-team": v } }, { path: "/", headers: { "x-team": v.trim() } }, { path: "/", headers: { "x-team": v + "x" } }]) })),
    },
    {
        name: "header match value (RegularExpression)",
        gen: fc.tuple(hostileRegex, fc.array(fc.oneof(fc.constantFrom("a", "b", "", " a", "é", "\u00a0", "aa", "a b", "/"), fc.string({ maxLength: 3 })), { maxLength: 4 }))
            .map(([v, s]) => ({ rule: { matches: [{ headers: [{ type: "RegularExpression", name: "X-Team", value: v }] }], backendRefs: APP }, probes: plainProbes(s.map(x => ({ path: "/", headers: { "x-team": x } }))) })),
    },
    {
        name: "query name",
        gen: hostile.map(n => ({ rule: { matches: [{ queryParams: [{ name: n, value: "1" }] }], backendRefs: APP }, probes: plainProbes([`/?${n}=1`, `/?a=2&${n}=1`, `/?${n}=2&${n}=1`, `/?${n}`, `/?x${n}=1`].map(p => ({ path: p }))) })),
    },
    {
        name: "query value (Exact)",
        gen: hostile.filter(s => s.length > 0).map(v => ({ rule: { matches: [{ queryParams: [{ name: "q", value: v }] }], backendRefs: APP }, probes: plainProbes([`/?q=${v}`, `/?q=${v}x`, `/?a=1&q=${v}`, `/?q=`].map(p => ({ path: p }))) })),
    },
    {
        name: "query value (RegularExpression)",
        gen: fc.tuple(fc.oneof(hostileRegex, hostileRegex.map(r => "^" + r), fc.constantFrom("^.*", "a*", "^$", "(?<args>)")), fc.array(fc.constantFrom("a", "b", "", "aa", "=a", "%20", "a=b", "ab"), { maxLength: 4 }))
            .map(([v, s]) => ({ rule: { matches: [{ queryParams: [{ type: "RegularExpression", name: "q", value: v }] }], backendRefs: APP }, probes: plainProbes([...s.map(x => `/?q=${x}`), "/?q", `/?a=1&q=${s[0] ?? "a"}`].map(p => ({ path: p }))) })),
    },
    {
        name: "method",
        gen: methods.map(m => ({ rule: { matches: [{ method: m as never }], backendRefs: APP }, probes: plainProbes([{ path: "/", method: m }, { path: "/", method: "GET" }, { path: "/", method: "POST" }]) })),
    },
    {
        name: "route hostname",
        gen: fc.oneof(hostile, fc.constantFrom("*.t", "*", "a.*.t", "victim.t", "*.victim.t", "Upper.t", "t.", "v1.t", "x..t", "-a.t", "127.0.0.1", "[::1]", "a.t:80"), fc.domain())
            .map(h => ({ rule: { backendRefs: APP }, hostnames: [h], probes: () => [h, h.replace(/^\*\./, "w."), "victim.t", `${h}:80`].filter(x => /^[A-Za-z0-9.:*-]+$/.test(x)).map(x => ({ host: x, path: "/" })) })),
    },
    {
        name: "redirect hostname",
        gen: fc.oneof(hostile, fc.domain()).map(v => ({ rule: { filters: [{ type: "RequestRedirect", requestRedirect: { hostname: v } }] }, probes: plainProbes() })),
    },
    {
        name: "redirect path",
        gen: fc.tuple(hostilePath, fc.boolean()).map(([v, full]) => ({
            rule: { matches: [{ path: { type: "PathPrefix", value: "/p" } }], filters: [{ type: "RequestRedirect", requestRedirect: { path: full ? { type: "ReplaceFullPath", replaceFullPath: v } : { type: "ReplacePrefixMatch", replacePrefixMatch: v } } }] },
            probes: plainProbes([{ path: "/p" }, { path: "/p/a?b=1" }, { path: "/p/" }]),
        })),
    },
    {
        name: "redirect scheme and port",
        gen: fc.tuple(fc.oneof(fc.constantFrom("http", "https", "HTTP", "ftp", "javascript"), hostile), fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.constantFrom(80, 443, 8080)), fc.constantFrom(301, 302, 303, 307, 308, 200, 399))
            .map(([s, p, c]) => ({ rule: { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: s as never, port: p, statusCode: c as never } }] }, probes: plainProbes() })),
    },
    {
        name: "rewrite hostname",
        gen: fc.oneof(hostile, fc.domain(), fc.constantFrom("victim.t", "gk_u1")).map(v => ({ rule: { filters: [{ type: "URLRewrite", urlRewrite: { hostname: v } }], backendRefs: APP }, probes: plainProbes() })),
    },
    {
        name: "rewrite path",
        gen: fc.tuple(hostilePath, fc.boolean()).map(([v, full]) => ({
            rule: { matches: [{ path: { type: "PathPrefix", value: "/p" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: full ? { type: "ReplaceFullPath", replaceFullPath: v } : { type: "ReplacePrefixMatch", replacePrefixMatch: v } } }], backendRefs: APP },
            probes: plainProbes([{ path: "/p" }, { path: "/p/a?b=1" }, { path: "/p/" }, { path: "/pq" }]),
        })),
    },
    ...(["request", "response", "backend request"] as const).map(kind => ({
        name: `${kind} header modifier`,
        gen: fc.tuple(fc.constantFrom("set", "add", "remove"), headerNames, headerValues, fc.constantFrom("backend", "redirect", "invalid backend")).map(([op, n, v, answer]): Built => {
            const mod = op === "remove" ? { remove: [n] } : { [op]: [{ name: n, value: v }] };
            const filter = kind === "response" ? { type: "ResponseHeaderModifier" as const, responseHeaderModifier: mod } : { type: "RequestHeaderModifier" as const, requestHeaderModifier: mod };
            // Response headers also on answers nginx writes itself: a redirect and an invalid backend's 500.
            const rule: HTTPRouteRule = kind === "backend request" ? { backendRefs: [{ ...APP[0], filters: [filter] }] }
                : kind === "response" && answer === "redirect" ? { filters: [filter, { type: "RequestRedirect", requestRedirect: { hostname: "elsewhere.t" } }] }
                : kind === "response" && answer === "invalid backend" ? { filters: [filter], backendRefs: [{ name: "missing", port: 8080 }] }
                : { filters: [filter], backendRefs: APP };
            // Repeated client lines only where the modifier replaces them all: nginx 1.22 reads only the
            // first line of a repeated header ($http_*), so "add" to one sent twice is a declared limit.
            const probes: Probe[] = !isToken(n) ? [] : op === "add" ? [{ path: "/", headers: { [n]: "c1" } }] : [{ path: "/", headers: { [n]: "c1" } }, { path: "/", headers: { [n]: ["c1", "c2"] } }];
            return { rule, probes: plainProbes(probes) };
        }),
    })),
    {
        name: "mirror target and order",
        // Mostly a mirror that resolves (so its copy can be compared), among hostile and other teams' targets.
        gen: fc.tuple(
            fc.oneof({ arbitrary: fc.constant("shadow"), weight: 6 }, { arbitrary: hostile, weight: 1 }, { arbitrary: fc.constantFrom("secret", "app"), weight: 1 }),
            fc.constantFrom("team", "team", undefined, undefined, "victim", "Team", "a;b"),
            fc.oneof({ arbitrary: fc.constant(8080), weight: 6 }, { arbitrary: fc.integer({ min: -1, max: 70000 }), weight: 1 }),
            fc.constantFrom(0, 1, 2),
            fc.oneof({ arbitrary: fc.constantFrom("X-M", "x-team", "X-Rep"), weight: 3 }, { arbitrary: headerNames, weight: 1 }),
            fc.oneof({ arbitrary: fc.constantFrom("/", "/new", "/n/"), weight: 3 }, { arbitrary: hostilePath, weight: 1 }))
            .map(([name, ns, port, position, hn, rp]): Built => {
                const mirror = { type: "RequestMirror" as const, requestMirror: { backendRef: { name, ...(ns ? { namespace: ns } : {}), port } } };
                const others = [
                    { type: "RequestHeaderModifier" as const, requestHeaderModifier: { set: [{ name: hn, value: "m1" }] } },
                    { type: "URLRewrite" as const, urlRewrite: { path: { type: "ReplacePrefixMatch" as const, replacePrefixMatch: rp } } },
                ];
                const filters = [...others];
                filters.splice(position, 0, mirror as never);
                return { rule: { matches: [{ path: { type: "PathPrefix", value: "/p" } }], filters, backendRefs: APP }, probes: plainProbes([{ path: "/p/a?z=1" }, { path: "/p" }]) };
            }),
    },
    {
        name: "CORS policy and request origins",
        // Origins, header names and methods a team writes, probed with preflights and actual requests
        // whose Origin / Access-Control-Request-* values are near the configured ones or hostile.
        gen: fc.tuple(
            fc.array(fc.oneof({ arbitrary: fc.constantFrom("*", "https://a.t", "https://*.a.t", "http://a.t:8080", "https://*", "HTTPS://A.t", "http://a.t:443", "https://x-1.a.t"), weight: 12 }, { arbitrary: fc.constantFrom("https://a.t/", "https://a.t:0", "null", "https://a.t$b", "https://*.*.t"), weight: 1 }, { arbitrary: hostile, weight: 1 }), { minLength: 1, maxLength: 2 }),
            fc.array(fc.oneof({ arbitrary: fc.constantFrom("*", "X-H1", "x-h2", "x-h$`|~"), weight: 12 }, { arbitrary: headerNames, weight: 1 }), { maxLength: 2 }),
            fc.array(fc.oneof({ arbitrary: fc.constantFrom("*", "X-E1", "x-e2"), weight: 12 }, { arbitrary: headerNames, weight: 1 }), { maxLength: 2 }),
            fc.array(fc.oneof({ arbitrary: fc.constantFrom("*", "GET", "PUT", "PATCH", "OPTIONS"), weight: 12 }, { arbitrary: methods, weight: 1 }), { maxLength: 2 }),
            fc.boolean(),
            fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.integer({ min: -1, max: 100000 }), weight: 6 }, { arbitrary: fc.constantFrom(2_147_483_648, 1.5), weight: 1 }),
            fc.array(fc.oneof(fc.constantFrom("https://a.t", "https://A.T:443", "https://x.y.a.t", "https://a.t.evil.t", "http://a.t:8080", "http://a.t", "null", "https://a.t,https://b.t", "https://a.t\"", "https://[::1]:8"), hostile.filter(v => v.length > 0)), { minLength: 1, maxLength: 3 }),
            fc.oneof(fc.constantFrom("X-H1, x-h2", "x-h1", "a b", "x,,y"), hostile.filter(v => v.length > 0)),
            fc.oneof(fc.constantFrom("GET", "PUT", "patch"), hostile.filter(v => v.length > 0)),
            fc.constantFrom("backend", "redirect", "invalid backend"))
            .map(([allowOrigins, allowHeaders, exposeHeaders, allowMethods, allowCredentials, maxAge, origins, reqHeaders, reqMethod, answer]): Built => {
                const cors = { type: "CORS" as const, cors: { allowOrigins, allowHeaders, exposeHeaders, allowMethods: allowMethods as never, allowCredentials, ...(maxAge !== undefined ? { maxAge } : {}) } };
                const rule: HTTPRouteRule = answer === "redirect" ? { filters: [cors, { type: "RequestRedirect", requestRedirect: { hostname: "elsewhere.t" } }] }
                    : answer === "invalid backend" ? { filters: [cors], backendRefs: [{ name: "missing", port: 8080 }] }
                    : { filters: [cors], backendRefs: APP };
                const probes: Probe[] = origins.flatMap((o): Probe[] => [
                    { path: "/", method: "OPTIONS", headers: { origin: o, "access-control-request-method": reqMethod, "access-control-request-headers": reqHeaders } },
                    { path: "/", method: "OPTIONS", headers: { origin: o, "access-control-request-method": reqMethod } },
                    { path: "/", method: "OPTIONS", headers: { origin: o } },
                    { path: "/a", headers: { origin: o } },
                ]);
                return { rule, probes: plainProbes(probes) };
            }),
    },
];

/** A path segment for the request line: printable ASCII as is, anything else percent-encoded (raw bytes
 * above 0x7F in a request target are the path-normalisation policy's business, not this suite's). */
function encodeFor(s: string): string {
    return [...s].map(c => (/[\u0021-\u007e]/.test(c) ? c : encodeURIComponent(c))).join("");
}

// ---------------------------------------------------------------- the world every batch runs in

const GATEWAY = { name: "gw", namespace: "infra", gatewayClassName: "nginx", listeners: [{ name: "http", port: 0, protocol: "HTTP" as const, allowedRoutes: { namespaces: { from: "All" as const } } }] };

/** Another team's routes, loaded beside every batch: its answers must never change. */
const VICTIM: HTTPRouteSpec = {
    name: "victim", namespace: "victim", parentRefs: [{ name: "gw", namespace: "infra" }], hostnames: ["victim.t"],
    rules: [
        { matches: [{ path: { type: "PathPrefix", value: "/q" }, queryParams: [{ name: "a", value: "1" }] }], backendRefs: [{ name: "secret", port: 8080 }] },
        { matches: [{ path: { type: "RegularExpression", value: "/r/[a-z]+" }, headers: [{ name: "X-Team", value: "blue" }] }], backendRefs: [{ name: "secret", port: 8080 }] },
        { matches: [{ path: { type: "PathPrefix", value: "/w" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v" } } }], backendRefs: [{ name: "secret", port: 8080 }] },
        { matches: [{ path: { type: "PathPrefix", value: "/" } }], filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { add: [{ name: "X-Victim", value: "1" }] } }], backendRefs: [{ name: "secret", port: 8080 }] },
    ],
};
const VICTIM_PROBES: Probe[] = [
    { host: "victim.t", path: "/q?a=1" }, { host: "victim.t", path: "/q?a=2" }, { host: "victim.t", path: "/r/abc", headers: { "x-team": "blue" } },
    { host: "victim.t", path: "/r/abc" }, { host: "victim.t", path: "/w/x?y=1" }, { host: "victim.t", path: "/z?args=1", headers: { "x-victim": "0" } },
];

function services(echoes: Map<string, Echo>): ServiceSpec[] {
    return [
        { name: "app", namespace: "team", ports: [{ port: 8080, targetPort: echoes.get("app")!.port }], endpoints: [{ address: "127.0.0.1" }] },
        { name: "shadow", namespace: "team", ports: [{ port: 8080, targetPort: echoes.get("shadow")!.port }], endpoints: [{ address: "127.0.0.1" }] },
        { name: "secret", namespace: "victim", ports: [{ port: 8080, targetPort: echoes.get("secret")!.port }], endpoints: [{ address: "127.0.0.1" }] },
    ];
}

function input(routes: HTTPRouteSpec[], port: number, svc: ServiceSpec[]): CompileInput {
    return {
        gatewayClasses: [{ name: "nginx", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{ ...GATEWAY, listeners: GATEWAY.listeners.map(l => ({ ...l, port })) }],
        routes, services: svc,
    };
}

// ---------------------------------------------------------------- the suite

interface Tally { refusedValidation: number; refusedRender: number; acceptedEqual: number; acceptedWrong: number; raw: number; requests: number }

function nginxAvailable(): boolean {
    try { findNginx(); return true; } catch { return false; }
}

describe("nginx hostile values (fast-check, real nginx)", function () {
    this.timeout(600000);
    const available = nginxAvailable();
    const echoes = new Map<string, Echo>(["app", "shadow", "secret"].map(n => [n, new Echo(n)]));
    let dir = "";
    let port = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

    before(async function () {
        if (!available) {
            if (process.env.CI === "true") throw new Error("nginx is not installed and CI=true: install nginx (e.g. apt-get install nginx-light)");
            console.warn("\n  !!! nginx not found: SKIPPING the hostile-values suite (set CI=true to make this a failure)\n");
            this.skip();
        }
        for (const e of echoes.values()) await e.start();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-hostile-"));
        fs.chmodSync(dir, 0o711); // as root, nginx's workers run unprivileged and must reach the instance dir
        port = await new Promise<number>((resolve, reject) => {
            const s = net.createServer();
            s.on("error", reject);
            s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
        });
    });
    after(async () => {
        agent.destroy();
        if (dir) { try { await stopInstance(path.join(dir, "nginx")); } finally { fs.rmSync(dir, { recursive: true, force: true }); } }
        for (const e of echoes.values()) await e.stop();
    });

    it(`refuses with a named error, or serves exactly as simulate says, ${PER_FIELD} values per field`, async () => {
        const svc = services(echoes);
        const tallies = new Map<string, Tally>();
        const problems: string[] = [];
        const accepted: { field: string; route: HTTPRouteSpec; probes: Probe[] }[] = [];
        let k = 0;
        FIELDS.forEach((field, fi) => {
            const t: Tally = { refusedValidation: 0, refusedRender: 0, acceptedEqual: 0, acceptedWrong: 0, raw: 0, requests: 0 };
            tallies.set(field.name, t);
            for (const built of fc.sample(field.gen, { numRuns: PER_FIELD, seed: SEED + fi })) {
                const host = `v${++k}.t`;
                const route: HTTPRouteSpec = { name: `r${k}`, namespace: "team", parentRefs: [{ name: "gw", namespace: "infra" }], hostnames: built.hostnames ?? [host], rules: [built.rule] };
                try {
                    const plan = compile(input([route], port, svc));
                    renderNginx(plan.gateways[0], { dir: "/tmp/gk-hostile-check", generation: "check" });
                    accepted.push({ field: field.name, route, probes: built.probes(host) });
                } catch (e) {
                    if (e instanceof GatewayValidationError) t.refusedValidation++;
                    else if (e instanceof NginxRenderError) t.refusedRender++;
                    else { t.raw++; problems.push(`${field.name}: raw ${(e as Error).name}: ${(e as Error).message} for ${JSON.stringify(built.rule)}`); }
                }
            }
        });

        // Accepted routes, a batch per nginx config, with the victim team beside them.
        const instDir = path.join(dir, "nginx");
        let probeN = 0;
        let mirrorCompared = 0;
        for (let b = 0; b < accepted.length; b += BATCH) {
            const batch = accepted.slice(b, b + BATCH);
            let plan: RoutingPlan;
            try {
                plan = compile(input([VICTIM, ...batch.map(a => a.route)], port, svc));
                const generation = `hostile-${b}`;
                if (process.env.GK_HOSTILE_DEBUG) console.error(`batch ${b}: ${batch.length} routes, applying`, new Date().toISOString());
                await applyConfig(instDir, renderNginx(plan.gateways[0], { dir: instDir, generation }), generation);
            } catch (e) {
                problems.push(`batch ${b}: values accepted one by one failed together: ${(e as Error).name}: ${(e as Error).message.slice(0, 2000)}`);
                continue;
            }
            const mirrorChecks: { id: string; want: { host: string; path: string; headers: Record<string, string> }; label: string }[] = [];
            const runProbe = async (p: Probe, t?: Tally, label = ""): Promise<string[]> => {
                if (!sendable(p)) return [];
                const id = `p${++probeN}`;
                const got = await send(agent, port, p, id);
                if (t) t.requests++;
                const sim = simOf(plan, port, p, id);
                for (const m of sim.outcomes[0]?.mirrors ?? []) if (m.service === "team/shadow" && m.percent >= 100) mirrorChecks.push({ id, want: m.request, label });
                return compare(plan, port, p, id, got);
            };
            if (process.env.GK_HOSTILE_DEBUG) console.error(`batch ${b}: applied`, new Date().toISOString());
            for (const a of batch) {
                const t = tallies.get(a.field)!;
                if (process.env.GK_HOSTILE_DEBUG) console.error(a.field, JSON.stringify(a.route.rules![0]).slice(0, 200));
                const wrong: string[] = [];
                for (const p of a.probes) wrong.push(...await runProbe(p, t, a.field));
                if (wrong.length) { t.acceptedWrong++; problems.push(`${a.field} ${JSON.stringify(a.route.rules![0])} hostnames ${JSON.stringify(a.route.hostnames)}:\n    ${wrong.join("\n    ")}`); }
                else t.acceptedEqual++;
            }
            for (const p of VICTIM_PROBES) {
                const wrong = await runProbe(p);
                if (wrong.length) problems.push(`another team's route changed in batch ${b}:\n    ${wrong.join("\n    ")}`);
            }
            // Mirrors: what the shadow backend received equals simulate's SimMirror.request.
            const deadline = Date.now() + 3000;
            while (mirrorChecks.some(m => !echoes.get("shadow")!.mirrored.has(m.id)) && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
            mirrorCompared += mirrorChecks.length;
            for (const m of mirrorChecks) {
                const seen = echoes.get("shadow")!.mirrored.get(m.id);
                if (!seen) { problems.push(`${m.label}: mirror ${m.id} never reached the shadow backend`); continue; }
                const diffs: string[] = [];
                if (seen.path !== m.want.path) diffs.push(`path ${JSON.stringify(seen.path)}, simulate ${JSON.stringify(m.want.path)}`);
                for (const [hk, hv] of Object.entries(m.want.headers)) if (hk !== "host" && seen.headers[hk] !== hv) diffs.push(`${hk}: ${JSON.stringify(seen.headers[hk])}, simulate ${JSON.stringify(hv)}`);
                for (const hk of Object.keys(seen.headers)) if (!NGINX_OWN.has(hk) && !(hk in m.want.headers)) diffs.push(`got ${hk}, simulate does not send it`);
                if (diffs.length) problems.push(`${m.label}: mirror ${m.id}: ${diffs.join("; ")}`);
            }
        }

        let total = 0;
        console.log(`\n  mirror copies compared with simulate's SimMirror.request: ${mirrorCompared}`);
        const rows = [...tallies].map(([name, t]) => {
            total += t.refusedValidation + t.refusedRender + t.acceptedEqual + t.acceptedWrong + t.raw;
            return `    ${name.padEnd(40)} refused ${String(t.refusedValidation).padStart(4)} (validation) + ${String(t.refusedRender).padStart(4)} (nginx render) · accepted and equal ${String(t.acceptedEqual).padStart(4)} · wrong ${t.acceptedWrong} · raw ${t.raw} · requests ${t.requests}`;
        });
        console.log(`\n  hostile values (seed ${SEED}): ${total} values\n${rows.join("\n")}\n`);
        assert.ok(total >= 5000 || PER_FIELD < 300, `only ${total} values generated`);
        assert.deepEqual(problems.slice(0, 40), [], `${problems.length} problems:\n${problems.slice(0, 40).join("\n")}`);
    });
});

// ---------------------------------------------------------------- one test per defect of issue 11

describe("nginx hostile values: the defects of issue 11, one by one (real nginx)", function () {
    this.timeout(60000);
    const available = nginxAvailable();
    const echoes = new Map<string, Echo>(["app", "shadow", "secret"].map(n => [n, new Echo(n)]));
    let dir = "";
    let port = 0;
    let gen = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

    before(async function () {
        if (!available) {
            if (process.env.CI === "true") throw new Error("nginx is not installed and CI=true: install nginx (e.g. apt-get install nginx-light)");
            console.warn("\n  !!! nginx not found: SKIPPING the issue-11 defect tests (set CI=true to make this a failure)\n");
            this.skip();
        }
        for (const e of echoes.values()) await e.start();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-issue11-"));
        fs.chmodSync(dir, 0o711); // as root, nginx's workers run unprivileged and must reach the instance dir
        port = await new Promise<number>((resolve, reject) => {
            const s = net.createServer();
            s.on("error", reject);
            s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
        });
    });
    after(async () => {
        agent.destroy();
        if (dir) { try { await stopInstance(path.join(dir, "nginx")); } finally { fs.rmSync(dir, { recursive: true, force: true }); } }
        for (const e of echoes.values()) await e.stop();
    });

    const route = (name: string, host: string, rules: HTTPRouteRule[], namespace = "team"): HTTPRouteSpec =>
        ({ name, namespace, parentRefs: [{ name: "gw", namespace: "infra" }], hostnames: [host], rules });

    /** Loads the routes into nginx (one reload) and returns a checker: each probe must answer as simulate says. */
    async function load(routes: HTTPRouteSpec[]): Promise<{ plan: RoutingPlan; expectSame(p: Probe): Promise<Answer> }> {
        const plan = compile(input(routes, port, services(echoes)));
        const generation = `issue11-${++gen}`;
        const instDir = path.join(dir, "nginx");
        await applyConfig(instDir, renderNginx(plan.gateways[0], { dir: instDir, generation }), generation);
        let n = 0;
        return {
            plan,
            async expectSame(p: Probe) {
                const id = `d${gen}-${++n}`;
                const got = await send(agent, port, p, id);
                assert.deepEqual(compare(plan, port, p, id, got), []);
                return got;
            },
        };
    }

    function refusedBy(routes: HTTPRouteSpec[], error: "validation" | "render", field: RegExp): void {
        const build = () => renderNginx(compile(input(routes, port, services(echoes)), { skipValidation: error === "render" }).gateways[0], { dir: "/tmp/gk-issue11-check", generation: "g" });
        assert.throws(build, (e: Error) => (error === "validation" ? e instanceof GatewayValidationError : e instanceof NginxRenderError) && field.test(e.message), `expected a ${error} refusal matching ${field}`);
    }

    it("a rewrite or redirect path not starting with '/' is refused (validation, and the renderer on its own), so it can never extend an upstream name or $host", async () => {
        const stolen: HTTPRouteRule = { filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "0/stolen" } } }], backendRefs: APP };
        const hostname: HTTPRouteRule = { filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplaceFullPath", replaceFullPath: "name" } } }] };
        for (const rule of [stolen, hostname]) {
            refusedBy([route("evil", "evil.t", [rule])], "validation", /must be an absolute path starting with '\/'/);
            refusedBy([route("evil", "evil.t", [rule])], "render", /must start with "\/"/);
        }
        // Variables are always braced: a redirect keeps the request's host whatever path follows it.
        const { plan, expectSame } = await load([route("ok", "ok.t", [{ filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplaceFullPath", replaceFullPath: "/name" } } }] }])]);
        const got = await expectSame({ host: "ok.t", path: "/a?b=1" });
        assert.equal(got.headers.location, `http://ok.t:${port}/name?b=1`);
        assert.ok(plan.gateways[0].listeners.length === 1);
        const conf = renderNginx(plan.gateways[0], { dir: "/tmp/gk-issue11-check", generation: "g" }).files[0].content;
        assert.ok(!/\$host[A-Za-z0-9_]/.test(conf) && /\$\{host\}:\d+\/name/.test(conf), "redirects read ${host}");
    });

    it("named groups in one team's regexes are inert: another team's query, header and rewrite routes on another host still answer as simulate says", async () => {
        const evil = route("evil", "evil.t", [
            { matches: [{ path: { type: "RegularExpression", value: "/a/(?<args>.*)" } }], backendRefs: APP },
            { matches: [{ path: { type: "PathPrefix", value: "/h" }, headers: [{ type: "RegularExpression", name: "X-Team", value: "(?<http_x_team>.*)" }] }], backendRefs: APP },
            { matches: [{ path: { type: "RegularExpression", value: "/g/(?<gk_path>.*)(?<host>x)" } }], backendRefs: APP },
        ]);
        const { expectSame } = await load([evil, VICTIM]);
        await expectSame({ host: "evil.t", path: "/a/zz?q=1" });
        await expectSame({ host: "evil.t", path: "/h", headers: { "x-team": "red" } });
        await expectSame({ host: "evil.t", path: "/g/yx" });
        for (const p of VICTIM_PROBES) await expectSame(p);
        const ok = await expectSame({ host: "victim.t", path: "/q?a=1" });
        assert.equal(ok.echo?.name, "secret");
        const rewritten = await expectSame({ host: "victim.t", path: "/w/x?y=1" });
        assert.equal(rewritten.echo?.path, "/v/x?y=1");
    });

    it("a query-parameter regex anchored with '^' matches the value from its start", async () => {
        const { expectSame } = await load([route("q", "q.t", [{ matches: [{ queryParams: [{ type: "RegularExpression", name: "q", value: "^ab+$" }] }], backendRefs: APP }])]);
        assert.equal((await expectSame({ host: "q.t", path: "/?q=abb" })).status, 200);
        assert.equal((await expectSame({ host: "q.t", path: "/?x=1&q=abb" })).status, 200);
        assert.equal((await expectSame({ host: "q.t", path: "/?q=xab" })).status, 404);
        assert.equal((await expectSame({ host: "q.t", path: "/?q" })).status, 404);
    });

    it("\\s, \\S, \\w and '.' mean on bytes 0x80–0xFF (NBSP above all) exactly what they mean in JavaScript", async () => {
        const { expectSame } = await load([route("s", "s.t", [
            { matches: [{ path: { type: "PathPrefix", value: "/s" }, headers: [{ type: "RegularExpression", name: "X-V", value: "a\\sb" }] }], backendRefs: APP },
            { matches: [{ path: { type: "PathPrefix", value: "/S" }, headers: [{ type: "RegularExpression", name: "X-V", value: "a\\Sb" }] }], backendRefs: APP },
            { matches: [{ path: { type: "PathPrefix", value: "/w" }, headers: [{ type: "RegularExpression", name: "X-V", value: "\\w+" }] }], backendRefs: APP },
            { matches: [{ path: { type: "PathPrefix", value: "/d" }, headers: [{ type: "RegularExpression", name: "X-V", value: "a.b" }] }], backendRefs: APP },
        ])]);
        assert.equal((await expectSame({ host: "s.t", path: "/s", headers: { "x-v": "a\u00a0b" } })).status, 200, "JavaScript \\s matches NBSP");
        assert.equal((await expectSame({ host: "s.t", path: "/S", headers: { "x-v": "a\u00a0b" } })).status, 404, "JavaScript \\S does not match NBSP");
        assert.equal((await expectSame({ host: "s.t", path: "/S", headers: { "x-v": "a\u00e9b" } })).status, 200);
        assert.equal((await expectSame({ host: "s.t", path: "/w", headers: { "x-v": "caf\u00e9" } })).status, 404, "\\w is ASCII only");
        assert.equal((await expectSame({ host: "s.t", path: "/d", headers: { "x-v": "a\u00ffb" } })).status, 200);
    });

    it("header modifiers cannot touch the headers the data plane owns; values lose surrounding spaces as in simulate; '_' names are declared", async () => {
        for (const name of ["Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Host", "Keep-Alive", "TE", "Trailer", "Proxy-Connection"]) {
            for (const type of ["RequestHeaderModifier", "ResponseHeaderModifier"] as const) {
                const mod = { set: [{ name, value: "1" }] };
                const f = type === "RequestHeaderModifier" ? { type, requestHeaderModifier: mod } : { type, responseHeaderModifier: mod };
                refusedBy([route("h", "h.t", [{ filters: [f], backendRefs: APP }])], "validation", /names a header the data plane owns/);
                refusedBy([route("h", "h.t", [{ filters: [f], backendRefs: APP }])], "render", /owned by the data plane/);
            }
        }
        for (const name of ["Server", "Date"]) {
            refusedBy([route("h", "h.t", [{ filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name, value: "x" }] } }], backendRefs: APP }])], "render", /owned by the data plane/);
        }
        const { expectSame } = await load([route("h", "h.t", [{
            filters: [
                { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "X-Pad", value: "  v  " }, { name: "X_Under", value: "u" }], add: [{ name: "X-Add", value: " a" }] } },
                { type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "X-Resp", value: " r " }] } },
            ],
            backendRefs: APP,
        }])]);
        const got = await expectSame({ host: "h.t", path: "/", headers: { "x-add": "c" } });
        assert.equal(got.echo?.headers["x-pad"], "v");
        assert.equal(got.echo?.headers["x-add"], "c,a");
        assert.equal(got.echo?.headers["x_under"], "u", "a route may set a header named with '_'");
        assert.equal(got.headers["x-resp"], "r");
        // Declared: nginx drops client headers named with anything but letters, digits and "-".
        const dropped = await send(agent, port, { host: "h.t", path: "/", headers: { "x_client": "1", "x-client": "2" } }, "drop");
        assert.equal(dropped.echo?.headers["x_client"], undefined);
        assert.equal(dropped.echo?.headers["x-client"], "2");
    });

    it("a RequestMirror copy carries the header changes and rewrite listed before it, and not those after it, as simulate says", async () => {
        const mirror = { type: "RequestMirror" as const, requestMirror: { backendRef: { name: "shadow", port: 8080 } } };
        const rhm = { type: "RequestHeaderModifier" as const, requestHeaderModifier: { set: [{ name: "X-M", value: "1" }], remove: ["X-Gone"] } };
        const rw = { type: "URLRewrite" as const, urlRewrite: { path: { type: "ReplacePrefixMatch" as const, replacePrefixMatch: "/new" } } };
        const rules = (filters: HTTPRouteRule["filters"]): HTTPRouteRule[] => [{ matches: [{ path: { type: "PathPrefix", value: "/p" } }], filters, backendRefs: APP }];
        const { plan, expectSame } = await load([
            route("after", "after.t", rules([rhm, rw, mirror])),
            route("between", "between.t", rules([rhm, mirror, rw])),
            route("first", "first.t", rules([mirror, rhm, rw])),
        ]);
        const want: Record<string, { path: string; m?: string; gone?: string }> = {
            "after.t": { path: "/new/x?z=1", m: "1" }, "between.t": { path: "/p/x?z=1", m: "1" }, "first.t": { path: "/p/x?z=1", gone: "g" },
        };
        for (const [host, w] of Object.entries(want)) {
            const id = `mirror-${host}`;
            const p: Probe = { host, path: "/p/x?z=1", headers: { "x-gone": "g" } };
            const got = await send(agent, port, p, id);
            assert.deepEqual(compare(plan, port, p, id, got), []);
            const sim = simOf(plan, port, p, id).mirrors[0];
            assert.equal(sim.request.path, w.path, `simulate: what the mirror of ${host} receives`);
            const deadline = Date.now() + 3000;
            while (!echoes.get("shadow")!.mirrored.has(id) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
            const seen = echoes.get("shadow")!.mirrored.get(id);
            assert.ok(seen, `the mirror of ${host} arrived`);
            assert.equal(seen!.path, w.path, host);
            assert.equal(seen!.headers["x-m"], w.m, host);
            assert.equal(seen!.headers["x-gone"], w.gone, host);
            assert.equal(seen!.headers["x-m"], sim.request.headers["x-m"]);
        }
        await expectSame({ host: "after.t", path: "/p" });
    });

    it("regexes PCRE would refuse in nginx -t are refused by the renderer, before any file is written", () => {
        for (const bad of ["a{70000}", "(?:(?:(?:a{999}){999}){999})", "(".repeat(40) + "a" + ")".repeat(40), "(?<=ab)c", "a\\1", "\\k<n>(?<n>a)"]) {
            assert.doesNotThrow(() => new RegExp(bad), "JavaScript accepts it, so only the nginx renderer can refuse it");
            refusedBy([route("rx", "rx.t", [{ matches: [{ path: { type: "RegularExpression", value: "/" + bad } }], backendRefs: APP }])], "render", /spec\.rules\[0\]\.matches\[0\]\.path\.value: the regular expression/);
        }
    });
});
