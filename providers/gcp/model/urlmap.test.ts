// The gcp model's URL map: unit checks of its shape and of the problems that refuse a plan.

import { strict as assert } from "assert";
import { composeHeaderFilters } from "./headers";
import { scaleWeights } from "./routeRules";
import { evaluate } from "../evaluate";
import { gcpAdapter } from "..";
import { checkCapabilities } from "../../adapter";
import { compile } from "../../../routing/compile";
import { simulate } from "../../../routing/simulate";
import { PARAMS, build, input, mismatch, route, rulesOf, svc } from "../../../test/gcp-fixtures";

describe("gcp URL map", () => {
    it("realises the seed's 90/10 canary: one host rule, segment-wise prefix, weights as written", () => {
        const routing = compile(input([route("mygroup", [{ name: "groups", matches: [{ path: { type: "PathPrefix", value: "/groups" } }], backendRefs: [{ name: "s0", port: 8080, weight: 90 }, { name: "s1", port: 8080, weight: 10 }] }], ["mygroup.io"])]));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        const u = dp.frontends[0].urlMap;
        assert.deepEqual(u.hostRules!.map(h => h.hosts), [["mygroup.io"]]);
        const [rr] = rulesOf(dp, "mygroup.io");
        assert.deepEqual(rr.matchRules, [{ fullPathMatch: "/groups" }, { prefixMatch: "/groups/" }]);
        assert.equal(rulesOf(dp, "mygroup.io").length, 1);
        assert.deepEqual(rr.routeAction!.weightedBackendServices!.map(w => w.weight), [90, 10]);
        assert.match(rr.routeAction!.weightedBackendServices![0].backendService, /^projects\/proj\/global\/backendServices\/gk-gw-default-s0-8080-[0-9a-f]{7}$/);
        // 404: unmatched hosts and paths abort with 404 at the sink.
        assert.deepEqual(u.defaultRouteAction.faultInjectionPolicy, { abort: { httpStatus: 404, percentage: 100 } });
        assert.equal(evaluate(dp.frontends, { host: "other.io", path: "/groups" }).status, 404);
        assert.equal(evaluate(dp.frontends, { host: "mygroup.io", path: "/groupsx" }).status, 404);
        assert.equal(evaluate(dp.frontends, { host: "mygroup.io", path: "/groups" }).status, 200);
    });

    it("copies wildcard and any-host rules into a precise host's path matcher (hostname fall-through)", () => {
        const routing = compile(input([
            route("precise", [{ matches: [{ path: { type: "Exact", value: "/a" } }], backendRefs: [{ name: "s0", port: 8080 }] }], ["a.example.com"]),
            route("wild", [{ matches: [{ path: { value: "/b" } }], backendRefs: [{ name: "s1", port: 8080 }] }], ["*.example.com"]),
            route("any", [{ matches: [{ path: { value: "/" } }], backendRefs: [{ name: "s2", port: 8080 }] }]),
        ]));
        const dp = build(routing);
        const hosts = dp.frontends[0].urlMap.hostRules!.map(h => h.hosts.join(","));
        assert.deepEqual(hosts.sort(), ["*", "*.example.com", "a.example.com"]);
        assert.equal(rulesOf(dp, "a.example.com").length, 3);
        assert.equal(rulesOf(dp, "*.example.com").length, 2);
        assert.equal(rulesOf(dp, "*").length, 1);
        const to = (host: string, path: string) => evaluate(dp.frontends, { host, path }).outcomes[0].backend;
        assert.match(to("a.example.com", "/b/x")!, /s1/);
        assert.match(to("a.example.com", "/zzz")!, /s2/);
        assert.match(to("q.example.com", "/a")!, /s2/);
    });

    it("answers the invalid backend's share with a 500 abort and splits the rest by weight", () => {
        const routing = compile(input([route("r", [{ backendRefs: [{ name: "s0", port: 8080, weight: 3 }, { name: "missing", port: 8080, weight: 1 }] }])]));
        const dp = build(routing);
        const [rr] = rulesOf(dp, "*");
        assert.deepEqual(rr.routeAction!.faultInjectionPolicy, { abort: { httpStatus: 500, percentage: 25 } });
        const r = evaluate(dp.frontends, { host: "x", path: "/" });
        assert.deepEqual(r.outcomes.map(o => [o.status, o.probability]), [[500, 0.25], [200, 0.75]]);
    });

    it("lists a weight-0 backend with weight 0 (never chosen) and keeps its backend service", () => {
        const routing = compile(input([route("r", [{ backendRefs: [{ name: "s0", port: 8080, weight: 0 }, { name: "s1", port: 8080, weight: 100 }, { name: "s0", port: 8080, weight: 0 }] }])]));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        const link = (k: string) => dp.backends.find(b => b.key === k)!.link;
        const [rr] = rulesOf(dp, "*");
        assert.deepEqual(rr.routeAction!.weightedBackendServices, [{ backendService: link("default/s0:8080"), weight: 0 }, { backendService: link("default/s1:8080"), weight: 100 }]);
        const req = { host: "x", path: "/a" };
        assert.deepEqual(evaluate(dp.frontends, req).outcomes.map(o => [o.backend, o.probability]), [[link("default/s1:8080"), 1]]);
        assert.equal(mismatch(routing, dp, req), undefined);
    });

    it("aborts 500 like simulate when no valid backend carries weight, keeping the weight-0 backends' resources", () => {
        const buckets = [...["s0", "s1", "s2"].map(n => svc(n)), svc("assets", { endpoints: [], realizations: { gcp: { bucket: "my-assets" } } })];
        const routing = compile(input([route("r", [
            { matches: [{ path: { value: "/zero" } }], backendRefs: [{ name: "s0", port: 8080, weight: 0 }, { name: "s1", port: 8080, weight: 0 }] },
            { matches: [{ path: { value: "/invalid" } }], backendRefs: [{ name: "s2", port: 8080, weight: 0 }, { name: "missing", port: 8080, weight: 2 }] },
            { matches: [{ path: { value: "/bucket" } }], backendRefs: [{ name: "assets", port: 8080, weight: 0 }, { name: "s1", port: 8080, weight: 3 }] },
        ])], undefined, buckets));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        assert.deepEqual(dp.backends.map(b => b.key).sort(), ["default/assets:8080", "default/s0:8080", "default/s1:8080", "default/s2:8080"]);
        for (const path of ["/zero", "/invalid"]) {
            const rr = rulesOf(dp, "*").find(r => r.matchRules.some(m => m.fullPathMatch === path))!;
            assert.deepEqual(rr.routeAction, { weightedBackendServices: [{ backendService: dp.sinkLink, weight: 1 }], faultInjectionPolicy: { abort: { httpStatus: 500, percentage: 100 } } });
            assert.deepEqual(simulate(routing, { host: "x", path }).outcomes.map(o => [o.status, o.probability]), [[500, 1]]);
            assert.equal(mismatch(routing, dp, { host: "x", path }), undefined);
        }
        // A bucket cannot be a weighted backend: at weight 0 it is left out of the split, not deleted.
        const bucketRule = rulesOf(dp, "*").find(r => r.matchRules.some(m => m.fullPathMatch === "/bucket"))!;
        assert.deepEqual(bucketRule.routeAction!.weightedBackendServices!.map(w => w.weight), [3]);
    });

    it("scales weights above 1000 and reports the rounding", () => {
        assert.deepEqual(scaleWeights([90, 10]), { weights: [90, 10], changed: false });
        const s = scaleWeights([1_000_000, 1]);
        assert.deepEqual(s.weights, [1000, 1]);
        assert.equal(s.changed, true);
        const routing = compile(input([route("r", [{ name: "big", backendRefs: [{ name: "s0", port: 8080, weight: 999_999 }, { name: "s1", port: 8080, weight: 1 }] }])]));
        const dp = build(routing);
        assert.equal(dp.notes.length, 1);
        assert.match(dp.notes[0], /HTTPRoute default\/r rule 0 \(big\): weights 999999\/1 scaled to 1000\/1/);
    });

    it("composes rule and backend header filters in the Gateway API order (GCP applies the backend's first)", () => {
        const f = composeHeaderFilters({ set: [{ name: "X-A", value: "rule" }], add: [{ name: "x-b", value: "r" }] }, { set: [{ name: "x-a", value: "backend" }], add: [{ name: "x-b", value: "b" }] });
        assert.deepEqual(f, { remove: [], set: [{ name: "x-a", value: "backend" }], add: [{ name: "x-b", value: "r" }, { name: "x-b", value: "b" }] });
    });

    it("gives priorities from specificity bands: a new route renumbers nothing outside its own band", () => {
        const base = [
            route("a", [{ matches: [{ path: { type: "Exact", value: "/x" } }], backendRefs: [{ name: "s0", port: 8080 }] }], ["h.io"]),
            route("b", [{ matches: [{ path: { value: "/long/path" } }], backendRefs: [{ name: "s1", port: 8080 }] }], ["h.io"]),
            route("c", [{ matches: [{ path: { value: "/" } }], backendRefs: [{ name: "s2", port: 8080 }] }], ["h.io"]),
        ];
        const before = rulesOf(build(compile(input(base))), "h.io").map(r => r.priority);
        const after = rulesOf(build(compile(input([...base, route("d", [{ matches: [{ path: { value: "/abc" } }], backendRefs: [{ name: "s3", port: 8080 }] }], ["h.io"])]))), "h.io").map(r => r.priority);
        assert.equal(after.length, 4);
        for (const p of before) assert.ok(after.includes(p), `priority ${p} kept`);
        assert.deepEqual([...after].sort((x, y) => x - y), after, "emitted in priority order");
    });

    it("refuses, before any resource, what the global LB cannot express — naming route, rule and fix", () => {
        const spec = input([
            route("rw", [{ name: "full", matches: [{ path: { value: "/p" } }], filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/new" } } }], backendRefs: [{ name: "s0", port: 8080 }] }]),
            route("lo", [{ matches: [{ path: { value: "/lo" } }], backendRefs: [{ name: "local", port: 8080 }] }]),
        ], undefined, [svc("s0"), { name: "local", namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: "127.0.0.1" }] }]);
        const routing = compile(spec);
        const problems = gcpAdapter.model!(routing.gateways[0], {
            parameters: PARAMS,
            input: { gatewayClass: spec.gatewayClasses![0], gateway: spec.gateways[0], routes: spec.routes, services: spec.services ?? [], namespaces: [] },
        }).problems;
        assert.equal(problems.length, 2, problems.join("\n"));
        assert.match(problems.join("\n"), /HTTPRoute default\/rw rule 0 \(full\): URLRewrite ReplaceFullPath on a PathPrefix match cannot be expressed/);
        assert.match(problems.join("\n"), /Service default\/local port 8080 \(used by HTTPRoute default\/lo rule 0\): endpoint 127\.0\.0\.1 is loopback/);
    });

    it("refuses a port whose listeners mix protocols with the plan's message, and builds the other ports", () => {
        const routing = compile(input([route("r", [{ backendRefs: [{ name: "s0", port: 8080 }] }])], [
            { name: "plain", port: 8000, protocol: "HTTP" },
            { name: "tls", port: 8000, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: [{ name: "cert" }] } },
            { name: "http", port: 80, protocol: "HTTP" },
        ]));
        const dp = build(routing);
        assert.deepEqual(dp.problems, [routing.gateways[0].ports!.find(p => p.port === 8000)!.conflict!.message]);
        assert.match(dp.problems[0], /listeners plain \(HTTP\), tls \(HTTPS\) share port 8000/);
        assert.deepEqual(dp.frontends.map(f => f.port), [80]);
    });

    it("reports, as a note, a redirect whose Location port GCP cannot give (urlRedirect keeps the request's port)", () => {
        const rd = (scheme: "http" | "https") => route(`to-${scheme}`, [{ matches: [{ path: { value: `/${scheme}` } }], filters: [{ type: "RequestRedirect", requestRedirect: { scheme } }] }]);
        const routing = compile(input([rd("http"), rd("https")], [{ name: "alt", port: 8080, protocol: "HTTP" }]));
        const dp = build(routing);
        assert.deepEqual(dp.problems, []);
        // http on the 8080 listener: the Gateway API says port 80, GCP keeps 8080. https: both 443.
        assert.deepEqual(dp.notes, ["HTTPRoute default/to-http rule 0: the redirect's Location keeps port 8080 on GCP, where the Gateway API gives port 80 " +
            "(urlRedirect has no port field: it keeps the request's port unless it switches to https)"]);
        const res = evaluate(dp.frontends, { port: 8080, host: "a.io", path: "/http" });
        assert.equal(res.redirect?.location, "http://a.io:8080/http");
        assert.equal(simulate(routing, { port: 8080, host: "a.io", path: "/http" }).redirect?.location, "http://a.io/http");
    });

    it("checks the URL map size and certificates per proxy against GCP's limits", () => {
        const routes = Array.from({ length: 20 }, (_, i) => route(`r${i}`, [{ matches: [{ path: { value: `/p${i}` } }], backendRefs: [{ name: "s0", port: 8080 }] }], [`h${i}.io`]));
        const routing = compile(input(routes));
        assert.deepEqual(build(routing).problems, []);
        const small = build(routing, { ...PARAMS, limits: { urlMapBytes: 2000 } }).problems;
        assert.equal(small.length, 1);
        assert.match(small[0], /Gateway default\/gw port 80: the URL map would be \d+ bytes; GCP allows 2000 per URL map/);
        const refs = Array.from({ length: 16 }, (_, i) => ({ name: `cert-${i}` }));
        const tls = compile(input([], [{ name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Terminate", certificateRefs: refs } }]));
        assert.match(build(tls).problems.join(""), /16 SSL certificates on one target HTTPS proxy; GCP allows 15/);
    });

    it("fails the capability check for method matching and regex, naming the feature", () => {
        const routing = compile(input([route("m", [{ matches: [{ path: { type: "RegularExpression", value: "/a.*" }, method: "POST" }], backendRefs: [{ name: "s0", port: 8080 }] }])]));
        assert.throws(() => checkCapabilities(routing.gateways[0], gcpAdapter, [gcpAdapter]), /HTTPRouteMethodMatching[\s\S]*HTTPRouteRegexPathMatching|HTTPRouteRegexPathMatching[\s\S]*HTTPRouteMethodMatching/);
    });
});
