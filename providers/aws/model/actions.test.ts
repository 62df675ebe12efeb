// The ALB action set (actions.ts): redirects from resolved plan redirects, forwards with ALB's
// limits, and rewrites that do on ALB exactly what routing/paths rewritePath says.

import * as assert from "assert";
import fc from "fast-check";
import { PlanPathRewrite, PlanRedirect } from "../../../routing/plan";
import { prefixMatches, rewritePath } from "../../../routing/paths";
import { FixedResponse, Forward, HostHeaderRewrite, Redirect, UrlRewrite, scaleWeights } from "./actions";
import { INVALID_TARGET_GROUP } from "./types";

const WHO = "HTTPRoute ns/r rule 0";

function planRedirect(over: Partial<PlanRedirect>): PlanRedirect {
    return {
        kind: "redirect", statusCode: 302, scheme: "http", port: 80, omitPort: true, path: { kind: "keep" },
        explicit: { scheme: false, hostname: false, port: false }, ...over,
    };
}

describe("aws actions: redirect", () => {
    it("sets scheme and port only where the filter set them, and the port with the scheme", () => {
        assert.deepStrictEqual(Redirect.fromPlan(planRedirect({ scheme: "https", port: 443, explicit: { scheme: true, hostname: false, port: false } })).render(),
            { type: "redirect", redirect: { statusCode: "HTTP_302", protocol: "HTTPS", port: "443" } });
        assert.deepStrictEqual(Redirect.fromPlan(planRedirect({ statusCode: 301, port: 8443, explicit: { scheme: false, hostname: false, port: true } })).render(),
            { type: "redirect", redirect: { statusCode: "HTTP_301", port: "8443" } });
        // The listener's scheme and port (not explicit) are ALB's #{protocol}/#{port}: left unset.
        assert.deepStrictEqual(Redirect.fromPlan(planRedirect({ hostname: "b.io", scheme: "https", port: 8443, explicit: { scheme: false, hostname: true, port: false } })).render(),
            { type: "redirect", redirect: { statusCode: "HTTP_302", host: "b.io" } });
        assert.deepStrictEqual(Redirect.fromPlan(planRedirect({ path: { kind: "full", path: "/moved" } })).render(),
            { type: "redirect", redirect: { statusCode: "HTTP_302", path: "/moved" } });
    });

    it("refuses what ALB cannot do: other codes, prefix replacement, placeholders, same-URL redirects", () => {
        const problems = (over: Partial<PlanRedirect>) => Redirect.fromPlan(planRedirect({ hostname: "b.io", explicit: { scheme: false, hostname: true, port: false }, ...over })).problems(WHO);
        assert.deepStrictEqual(problems({}), []);
        assert.deepStrictEqual(problems({ statusCode: 308 }), [`${WHO}: ALB redirects answer 301 or 302, not 308; use statusCode 301 or 302`]);
        assert.deepStrictEqual(problems({ path: { kind: "full", path: "/#{host}" } }), [`${WHO}: redirect path "/#{host}" contains "#{", which ALB reads as a placeholder`]);
        assert.match(problems({ path: { kind: "prefix", matchedPrefix: "/a", replacement: "/b" } })[0], /cannot replace a path prefix \(ReplacePrefixMatch\)/);
        assert.deepStrictEqual(Redirect.fromPlan(planRedirect({})).problems(WHO),
            [`${WHO}: this redirect changes neither scheme, hostname, port nor path, and ALB refuses redirects to the same URL; set one of them`]);
    });
});

describe("aws actions: forward and fixed response", () => {
    it("keeps weights 0–999, scales larger ones and notes the rounding", () => {
        assert.deepStrictEqual(new Forward([{ targetGroup: "a", weight: 0 }, { targetGroup: "b", weight: 100 }]).render(),
            { type: "forward", forward: { targetGroups: [{ targetGroup: "a", weight: 0 }, { targetGroup: "b", weight: 100 }] } });
        const big = new Forward([{ targetGroup: "a", weight: 5000 }, { targetGroup: "b", weight: 2500 }]);
        assert.deepStrictEqual(big.render(), { type: "forward", forward: { targetGroups: [{ targetGroup: "a", weight: 999 }, { targetGroup: "b", weight: 500 }] } });
        assert.deepStrictEqual(big.notes(WHO), [`${WHO}: weights 5000/2500 scaled to 999/500 (ALB weights are 0–999); the largest share moves by 0.022 percentage points`]);
        assert.deepStrictEqual(scaleWeights([1000000, 0, 1]).values, [999, 0, 1]);
    });

    it("refuses more than 5 target groups, counting the invalid group and weight-0 groups", () => {
        const five = ["a", "b", "c", "d", "e"].map(targetGroup => ({ targetGroup, weight: 1 }));
        assert.deepStrictEqual(new Forward(five).problems(WHO), []);
        assert.deepStrictEqual(new Forward([...five, { targetGroup: "f", weight: 1 }]).problems(WHO), [
            `${WHO}: forwards to 6 target groups, over ALB's 5 per rule; split the traffic across fewer backends, or drop the weight-0 backendRefs`]);
        assert.deepStrictEqual(new Forward([...five.slice(0, 4), { targetGroup: "z", weight: 0 }, { targetGroup: INVALID_TARGET_GROUP, weight: 2 }]).problems(WHO), [
            `${WHO}: forwards to 6 target groups (counting the one for invalid backends and 1 at weight 0, which ALB still counts), ` +
            "over ALB's 5 per rule; split the traffic across fewer backends, or drop the weight-0 backendRefs"]);
    });

    it("renders fixed responses and host rewrites", () => {
        assert.deepStrictEqual(new FixedResponse(500, "Internal Server Error").render(),
            { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "500", messageBody: "Internal Server Error" } });
        assert.deepStrictEqual(new HostHeaderRewrite("in.svc").render(),
            { type: "host-header-rewrite", hostHeaderRewriteConfig: { rewrite: { regex: "^.*$", replace: "in.svc" } } });
    });
});

describe("aws actions: url-rewrite", () => {
    const segment = fc.constantFrom("a", "b", "v2", "a.b", "x+y");
    const pathOf = fc.array(segment, { maxLength: 3 }).map(s => "/" + s.join("/"));

    it("rewrites every path the rule matches exactly as rewritePath does (prefix and full)", () => {
        fc.assert(fc.property(fc.array(segment, { maxLength: 2 }), fc.array(segment, { maxLength: 2 }), pathOf, fc.boolean(), fc.boolean(),
            (prefixSegs, replSegs, rest, trailing, full) => {
                const matchedPrefix = prefixSegs.length ? "/" + prefixSegs.join("/") : "";
                const rw: PlanPathRewrite = full ? { kind: "full", path: "/r" + (replSegs.length ? "/" + replSegs.join("/") : "") }
                    : { kind: "prefix", matchedPrefix, replacement: replSegs.length ? "/" + replSegs.join("/") : "" };
                const path = (matchedPrefix + (rest === "/" ? "" : rest) || "/") + (trailing ? "/" : "");
                fc.pre(prefixMatches(matchedPrefix, path.replace(/\/$/, "")) || prefixMatches(matchedPrefix, path));
                const t = UrlRewrite.forPath(rw)!;
                assert.deepStrictEqual(t.problems(WHO), []);
                const onAlb = path.replace(new RegExp(t.regex), t.replace);
                assert.strictEqual(onAlb, rewritePath(rw, path), `${JSON.stringify(rw)} on ${path}`);
            }), { numRuns: 400, seed: 12 });
    });

    it("keeps the path when the plan does, and refuses a replacement ALB would read as a capture", () => {
        assert.strictEqual(UrlRewrite.forPath({ kind: "keep" }), undefined);
        assert.deepStrictEqual(UrlRewrite.forPath({ kind: "full", path: "/a$2" })!.problems(WHO),
            [`${WHO}: URLRewrite path "/a$2" contains "$", which ALB reads as a capture reference`]);
        assert.deepStrictEqual(UrlRewrite.forPath({ kind: "prefix", matchedPrefix: "/a", replacement: "/v2" })!.render(),
            { type: "url-rewrite", urlRewriteConfig: { rewrite: { regex: "^/a(.*)$", replace: "/v2$1" } } });
    });
});
