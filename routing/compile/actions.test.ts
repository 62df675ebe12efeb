// PlanRule.action is simulate's answer decided at compile time: for every rule of generated route
// sets, a request built to match it is simulated, and the status, redirect Location, backend
// probabilities, forwarded host and path, and mirrors simulate gives for the rule that won are
// rebuilt from that rule's action fields alone.

import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from ".";
import { normalizeHost } from "../hostname";
import { rewritePath } from "../paths";
import { ListenerPlan, PlanForward, PlanMirror, PlanRedirect, PlanRule, RoutingPlan } from "../plan";
import { SimMirror, SimResult, simulate, splitTarget, withQuery } from "../simulate";
import { Gen, inputOf, Probe, probe, requestFor, routeSet } from "../../test/plan-generators";

function tryCompile(gen: Gen, loose: boolean): RoutingPlan | undefined {
    try {
        return compile(inputOf(gen), { skipValidation: loose });
    } catch {
        return undefined; // a generated set validation refuses (e.g. ReplacePrefixMatch on an Exact match)
    }
}

/** A mirror as the action names it: target and share (what the copy carries is checked in the nginx suites). */
type MirrorTarget = Omit<SimMirror, "request">;
const targets = (ms: SimMirror[]): MirrorTarget[] => ms.map(({ request: _request, ...m }) => m);

function simMirrors(ms: PlanMirror[]): MirrorTarget[] {
    return ms.map(m => ({ service: m.service!, percent: m.percent, ...(m.port !== undefined ? { port: m.port } : {}) }));
}

/** What simulate must answer for `rule` when it matched a request, from the action alone. */
function checkRedirect(a: PlanRedirect, res: SimResult, host: string, queryString: string): void {
    assert.equal(res.reason, "redirect");
    assert.equal(res.status, a.statusCode);
    const location = `${a.scheme}://${a.hostname ?? normalizeHost(host)}${a.omitPort ? "" : ":" + a.port}${withQuery(rewritePath(a.path, res.path!), queryString)}`;
    assert.deepEqual(res.redirect, { statusCode: a.statusCode, location });
    assert.deepEqual(res.mirrors, []);
    assert.equal(res.outcomes.length, 1);
}

function checkForward(a: PlanForward, res: SimResult, host: string, queryString: string): void {
    const ruleHost = a.urlRewrite?.hostname ?? host;
    const rulePath = a.urlRewrite ? rewritePath(a.urlRewrite.path, res.path!) : res.path!;
    const mirrors = simMirrors(a.mirrors);
    assert.deepEqual(targets(res.mirrors), mirrors);
    if (a.noBackends) {
        assert.equal(res.reason, "no-backends");
        assert.equal(res.status, 500);
        assert.deepEqual(res.outcomes.map(o => [o.probability, o.status, o.request.host, o.request.path]), [[1, 500, ruleHost, withQuery(rulePath, queryString)]]);
        assert.equal(a.invalidShare, 0);
        assert.ok([...a.valid, ...a.invalid].every(s => s.share === 0));
        assert.equal(a.noBackends === "no-backendRefs", a.valid.length + a.invalid.length === 0);
        return;
    }
    const shares = [...a.valid, ...a.invalid].sort((x, y) => x.ref - y.ref).filter(s => s.share > 0);
    const expected = shares.map(s => {
        const invalid = "reason" in s;
        const host = !invalid && s.urlRewrite?.hostname !== undefined ? s.urlRewrite.hostname : ruleHost;
        const path = !invalid && s.urlRewrite ? rewritePath(s.urlRewrite.path, rulePath) : rulePath;
        return {
            probability: s.share, status: invalid ? 500 : 200, service: s.backend.service,
            host, path: withQuery(path, queryString),
            mirrors: invalid ? mirrors : mirrors.concat(simMirrors(s.mirrors)),
        };
    });
    const got = res.outcomes.map(o => ({
        probability: o.probability, status: o.status, service: o.backend?.service,
        host: o.request.host, path: o.request.path, mirrors: targets(o.mirrors),
    }));
    assert.deepEqual(got, expected);
    const total = a.valid.reduce((t, s) => t + s.share, 0) + a.invalidShare;
    assert.ok(Math.abs(total - 1) < 1e-9, `shares sum to ${total}`);
    assert.ok(Math.abs(a.invalidShare - a.invalid.reduce((t, s) => t + s.share, 0)) < 1e-12);
}

interface Tally { rules: number; probedWon: number; redirects: number; forwards: number; noBackends: number; invalidShares: number; prefixRewrites: number }

function checkPlan(plan: RoutingPlan, probes: Probe[], tally: Tally): void {
    const gw = plan.gateways[0];
    const byId = new Map<string, { rule: PlanRule; listener: ListenerPlan }>();
    for (const l of gw.listeners) for (const r of l.rules) byId.set(`${l.name}\u0000${r.id}`, { rule: r, listener: l });
    for (const l of gw.listeners) {
        l.rules.forEach((probed, i) => {
            const req = requestFor(probed, l, probes[i % probes.length]);
            const res = simulate(plan, req);
            if (!res.matched) return; // another listener took the host, or the port conflicts
            const hit = byId.get(`${res.listener}\u0000${res.matched.ruleId}`);
            assert.ok(hit, `simulate matched ${res.matched.ruleId}, which is not in the plan`);
            const { rule } = hit;
            tally.rules++;
            if (rule === probed) tally.probedWon++;
            assert.ok(rule.action, `${rule.id} has no action`);
            const { queryString } = splitTarget(req);
            if (rule.action.kind === "redirect") {
                tally.redirects++;
                if (rule.action.path.kind === "prefix") tally.prefixRewrites++;
                checkRedirect(rule.action, res, req.host, queryString);
            } else {
                tally.forwards++;
                if (rule.action.noBackends) tally.noBackends++;
                if (rule.action.invalidShare > 0) tally.invalidShares++;
                if (rule.action.urlRewrite?.path.kind === "prefix") tally.prefixRewrites++;
                checkForward(rule.action, res, req.host, queryString);
            }
        });
    }
}

describe("plan: PlanRule.action agrees with simulate", () => {
    for (const loose of [false, true]) {
        it(`redirects, shares, rewrites and mirrors equal simulate's answers (${loose ? "compile with skipValidation" : "validated input"})`, () => {
            const tally: Tally = { rules: 0, probedWon: 0, redirects: 0, forwards: 0, noBackends: 0, invalidShares: 0, prefixRewrites: 0 };
            let compiled = 0;
            fc.assert(fc.property(routeSet(loose), fc.array(probe, { minLength: 1, maxLength: 4 }), (gen, probes) => {
                const plan = tryCompile(gen, loose);
                if (!plan) return;
                compiled++;
                checkPlan(plan, probes, tally);
            }), { numRuns: 400 });
            if (process.env.GK_PLAN_TALLY) console.log(compiled, JSON.stringify(tally));
            // The generators must reach every kind of action, or the property proves little.
            assert.ok(compiled > 300, `only ${compiled} of 400 generated sets compiled`);
            for (const [k, v] of Object.entries(tally)) assert.ok(v > 10, `only ${v} ${k} checked (${JSON.stringify(tally)})`);
        });
    }
});

describe("plan: PlanRedirect defaults", () => {
    function redirectOf(listener: { port: number; protocol: "HTTP" | "HTTPS" }, rd: object, match: object = {}): PlanRedirect {
        const plan = compile({
            gatewayClasses: [{ name: "gk", controllerName: "gatewaykit.dev/plan" }],
            gateways: [{ name: "gw", namespace: "default", gatewayClassName: "gk", listeners: [{ name: "l", ...listener, ...(listener.protocol === "HTTPS" ? { tls: { certificateRefs: [{ name: "c" }] } } : {}) }] }],
            routes: [{ name: "r", namespace: "default", parentRefs: [{ name: "gw" }], rules: [{ matches: [match], filters: [{ type: "RequestRedirect", requestRedirect: rd }] }] }],
        });
        const action = plan.gateways[0].listeners[0].rules[0].action!;
        assert.equal(action.kind, "redirect");
        return action as PlanRedirect;
    }

    it("302, the listener's scheme and port, the request's host and path when the filter sets nothing", () => {
        assert.deepEqual(redirectOf({ port: 8080, protocol: "HTTP" }, {}), {
            kind: "redirect", statusCode: 302, scheme: "http", port: 8080, omitPort: false,
            explicit: { scheme: false, hostname: false, port: false }, path: { kind: "keep" },
        });
        assert.deepEqual(redirectOf({ port: 443, protocol: "HTTPS" }, {}).omitPort, true);
    });

    it("a scheme without a port takes the scheme's default port, and omits it", () => {
        const rd = redirectOf({ port: 8080, protocol: "HTTP" }, { scheme: "https", statusCode: 301 });
        assert.deepEqual([rd.statusCode, rd.scheme, rd.port, rd.omitPort, rd.explicit], [301, "https", 443, true, { scheme: true, hostname: false, port: false }]);
    });

    it("an explicit port is kept and printed unless it is the scheme's default", () => {
        const rd = redirectOf({ port: 80, protocol: "HTTP" }, { port: 8443, hostname: "x.org" });
        assert.deepEqual([rd.scheme, rd.hostname, rd.port, rd.omitPort, rd.explicit], ["http", "x.org", 8443, false, { scheme: false, hostname: true, port: true }]);
    });

    it("ReplacePrefixMatch keeps the matched prefix and replacement without trailing slashes", () => {
        const rd = redirectOf({ port: 80, protocol: "HTTP" }, { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2/" } }, { path: { type: "PathPrefix", value: "/v1/" } });
        assert.deepEqual(rd.path, { kind: "prefix", matchedPrefix: "/v1", replacement: "/v2" });
        assert.equal(rewritePath(rd.path, "/v1/x"), "/v2/x");
        assert.equal(rewritePath(rd.path, "/v1"), "/v2");
        const root = redirectOf({ port: 80, protocol: "HTTP" }, { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } }, { path: { type: "PathPrefix", value: "/v1" } });
        assert.equal(rewritePath(root.path, "/v1"), "/");
        assert.equal(rewritePath(root.path, "/v1/a"), "/a");
    });
});
