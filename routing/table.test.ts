import * as assert from "assert";
import { routingTable, routingTableRows } from "./table";
import { compile } from "./compile";
import { PlanFilters, PlanMatch, PlanRule, RoutingPlan } from "./plan";
import { HTTPRouteSpec } from "./types";
import { planBackend as backend, planGateway, planListener, planRule, RuleOpts } from "../test/plan-builder";

// ---------------------------------------------------------------- tiny plan builders (test/plan-builder.ts)

const rule = (o: RuleOpts = {}): PlanRule => planRule({ backends: [backend("default/svc")], ...o });

const gatewayPlan = planGateway;
const listener = planListener;

function planOf(...rules: PlanRule[]): RoutingPlan {
    return { gateways: [gatewayPlan([listener(rules)])], routes: [] };
}

/** The single rule line of a one-rule plan. */
function line(r: PlanRule): string {
    const rows = routingTableRows(planOf(r));
    assert.strictEqual(rows.length, 1);
    return rows[0].text;
}

describe("routingTable", () => {
    it("prints the example line: host, match, conditions and weighted backends", () => {
        const text = line(rule({
            route: "mygroup/groups", hostname: "mygroup.io", path: ["PathPrefix", "/groups"], method: "GET",
            headers: [{ type: "Exact", name: "x-canary", value: "true" }],
            backends: [backend("mygroup/mygroup-groups", 90), backend("mygroup/mygroup-groups-canary", 10)],
        }));
        assert.strictEqual(text, "mygroup.io · PathPrefix /groups · GET, header x-canary=true → mygroup/mygroup-groups:8080 90%, mygroup/mygroup-groups-canary:8080 10%  [mygroup/groups rule 0]");
    });

    it("shows any-host as *, query and regex conditions, rule names and match indexes", () => {
        const text = line(rule({
            route: "a/b", ruleName: "search", matchIndex: 2, path: ["RegularExpression", "/s/[0-9]+"],
            queryParams: [{ type: "Exact", name: "q", value: "x" }, { type: "RegularExpression", name: "page", value: "[0-9]+" }],
        }));
        assert.strictEqual(text, "* · RegularExpression /s/[0-9]+ · query q=x, query page~[0-9]+ → default/svc:8080  [a/b rule search match 2]");
    });

    it("describes redirects as a Location template", () => {
        const l = (rd: NonNullable<PlanFilters["requestRedirect"]>, path: [PlanMatch["path"]["type"], string] = ["PathPrefix", "/old"]) =>
            line(rule({ path, backends: [], filters: { requestRedirect: rd } })).split(" → ")[1].split("  [")[0];
        assert.strictEqual(l({ scheme: "https", statusCode: 301 }), "redirect 301 https://{host}{path}");
        assert.strictEqual(l({ hostname: "example.org" }), "redirect 302 {scheme}://example.org{path}");
        assert.strictEqual(l({ scheme: "https", port: 8443, path: { type: "ReplaceFullPath", replaceFullPath: "/new" } }), "redirect 302 https://{host}:8443/new");
        assert.strictEqual(l({ path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" } }), "redirect 302 {scheme}://{host}{path with /old ⇒ /new}");
        // A listener on a non-default port keeps its port when the scheme is not changed.
        const rows = routingTableRows({ gateways: [gatewayPlan([listener([rule({ backends: [], filters: { requestRedirect: {} } })], { port: 8080 })])], routes: [] });
        assert.match(rows[0].action, /^redirect 302 \{scheme\}:\/\/\{host\}:8080\{path\}$/);
    });

    it("describes rewrites, header modifiers and mirrors in words", () => {
        const text = line(rule({
            path: ["PathPrefix", "/api"],
            filters: {
                requestHeaderModifier: { set: [{ name: "X-Env", value: "prod" }], add: [{ name: "x-a", value: "1" }], remove: ["X-Debug"] },
                urlRewrite: { hostname: "internal", path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } },
                responseHeaderModifier: { set: [{ name: "Cache-Control", value: "no-store" }] },
                requestMirrors: [{ service: "default/shadow", port: 9090, endpoints: [], percent: 50 }, { endpoints: [], percent: 100, invalidReason: "BackendNotFound" }],
            },
        }));
        assert.strictEqual(text,
            "* · PathPrefix /api → set-header x-env=prod, add-header x-a=1, remove-header x-debug, rewrite host internal prefix /api ⇒ /, " +
            "response set-header cache-control=no-store, mirror default/shadow:9090 50%, mirror (unresolved) 100% (dropped: BackendNotFound), default/svc:8080  [default/r rule 0]");
    });

    it("shows invalid backends, weight 0 and missing backends as 500 in words", () => {
        assert.match(line(rule({ backends: [backend("default/ok", 1), backend("default/missing", 1, { invalidReason: "BackendNotFound" })] })),
            /→ default\/ok:8080 50%, 500 \(BackendNotFound default\/missing:8080\) 50%  \[/);
        assert.match(line(rule({ backends: [] })), /→ 500 \(no backends\)  \[/);
        assert.match(line(rule({ backends: [backend("default/a", 0)] })), /→ 500 \(all backend weights are 0\)  \[/);
        assert.match(line(rule({ backends: [backend("default/a", 1), backend("default/b", 0)] })), /→ default\/a:8080 100%, default\/b:8080 0%  \[/);
        assert.match(line(rule({ backends: [backend("default/a", 1), backend("default/b", 2)] })), /default\/a:8080 33\.33%, default\/b:8080 66\.67%/);
    });

    it("shows a backend's own filters next to it", () => {
        const text = line(rule({ backends: [backend("default/a", 1, { filters: { requestHeaderModifier: { set: [{ name: "x-b", value: "a" }] }, requestMirrors: [] } })] }));
        assert.match(text, /→ default\/a:8080 \[set-header x-b=a\]  \[/);
    });

    it("groups by gateway and listener in plan order, keeping rule order", () => {
        const p: RoutingPlan = {
            gateways: [
                gatewayPlan([
                    listener([rule({ route: "a/x", path: ["Exact", "/x"] }), rule({ route: "a/y" })], { name: "web", hostname: "*.example.com" }),
                    listener([], { name: "tls", port: 443, protocol: "HTTPS" }),
                ], "infra/edge"),
                gatewayPlan([listener([rule({ route: "b/z" })])], "infra/internal"),
            ],
            routes: [],
        };
        const text = routingTable(p);
        assert.strictEqual(text, [
            "gateway infra/edge (class nginx)",
            "  listener web HTTP :80 host *.example.com",
            "    * · Exact /x → default/svc:8080  [a/x rule 0]",
            "    * · PathPrefix / → default/svc:8080  [a/y rule 0]",
            "  listener tls HTTPS :443",
            "    (no rules)",
            "gateway infra/internal (class nginx)",
            "  listener http HTTP :80",
            "    * · PathPrefix / → default/svc:8080  [b/z rule 0]",
            "",
        ].join("\n"));
        assert.strictEqual(routingTable(p.gateways[1]), text.split("\n").slice(6).join("\n"));
        const rows = routingTableRows(p);
        assert.deepStrictEqual(rows.map(r => [r.gateway, r.listener, r.rank, r.route]), [
            ["infra/edge", "web", 1, "a/x"], ["infra/edge", "web", 2, "a/y"], ["infra/internal", "http", 1, "b/z"],
        ]);
    });

    describe("from compile()", () => {
        const services = [
            { name: "store", namespace: "shop", ports: [{ port: 8080 }], endpoints: [{ address: "10.0.0.1" }] },
            { name: "store-v2", namespace: "shop", ports: [{ port: 8080 }], endpoints: [{ address: "10.0.0.2" }] },
        ];
        const gateways = [{ name: "edge", namespace: "shop", gatewayClassName: "nginx", listeners: [{ name: "http", port: 80, protocol: "HTTP" as const, hostname: "*.example.com" }] }];
        const storeRoute = (weightV2: number): HTTPRouteSpec => ({
            name: "store", namespace: "shop", parentRefs: [{ name: "edge" }], hostnames: ["store.example.com"],
            rules: [
                { matches: [{ path: { type: "PathPrefix", value: "/cart" }, method: "POST" }], backendRefs: [{ name: "store", port: 8080, weight: 100 - weightV2 }, { name: "store-v2", port: 8080, weight: weightV2 }] },
                { matches: [{ path: { type: "Exact", value: "/old" } }], filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
            ],
        });
        const table = (weightV2: number) => routingTable(compile({ gatewayClasses: [{ name: "nginx", controllerName: "gatewaykit.dev/nginx" }], gateways, routes: [storeRoute(weightV2)], services }));

        it("is stable and a diff shows only what changed", () => {
            const a = table(10), b = table(10), c = table(20);
            assert.strictEqual(a, b);
            const changed = a.split("\n").filter((l, i) => l !== c.split("\n")[i]);
            assert.deepStrictEqual(changed, ["    store.example.com · PathPrefix /cart · POST → shop/store:8080 90%, shop/store-v2:8080 10%  [shop/store rule 0]"]);
            assert.match(a, /store\.example\.com · Exact \/old → redirect 301 https:\/\/\{host\}\{path\}  \[shop\/store rule 1\]/);
            // Exact /old outranks the PathPrefix rule, so it is listed first.
            assert.ok(a.indexOf("Exact /old") < a.indexOf("PathPrefix /cart"));
        });
    });
});
