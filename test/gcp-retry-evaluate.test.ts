// The gcp adapter's retry, proven through the evaluator: for any set of retry codes a route can
// write (400–599, attempts, a backendRequest timeout), either the URL map's retryPolicy — read back
// as GCP documents its conditions (evaluate.ts retryOf) — retries exactly the plan's codes, plus
// failed connections, with the plan's attempts and per-try timeout; or the model refuses the rule,
// naming it. Never a retry on a code the route did not list, never a listed code dropped.

import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from "../routing/compile";
import { evaluate } from "../providers/gcp/evaluate";
import { build, input, route } from "./gcp-fixtures";

const code = fc.oneof(fc.constantFrom(409, 500, 502, 503, 504, 429), fc.integer({ min: 400, max: 599 }));

describe("gcp: retry codes through the URL map evaluator (property)", () => {
    it("retries exactly the plan's codes, or refuses the rule", () => {
        let carried = 0, refused = 0;
        fc.assert(fc.property(
            fc.uniqueArray(code, { maxLength: 5 }), fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }), fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
            (codes, attempts, perTrySeconds) => {
                const routing = compile(input([route("r", [{
                    backendRefs: [{ name: "s0", port: 8080 }],
                    retry: { codes, ...(attempts !== undefined ? { attempts } : {}) },
                    ...(perTrySeconds !== undefined ? { timeouts: { backendRequest: `${perTrySeconds}s` } } : {}),
                }])]));
                const plan = routing.gateways[0];
                const rule = plan.listeners[0].rules[0];
                assert.ok(rule.retry, "the plan carries the retry");
                const dp = build(routing);
                if (dp.problems.length > 0) {
                    refused++;
                    assert.ok(dp.problems.every(p => p.startsWith(`${rule.label}: retry codes `)), dp.problems.join("\n"));
                    // Refused only when GCP cannot name the set: a code outside 409/502/503/504, or 502/503/504 apart.
                    const gateway = [502, 503, 504].filter(c => rule.retry!.codes.includes(c));
                    assert.ok(rule.retry!.codes.some(c => ![409, 502, 503, 504].includes(c)) || (gateway.length > 0 && gateway.length < 3), JSON.stringify(codes));
                    return;
                }
                carried++;
                const result = evaluate(dp.frontends, { host: "any.example", path: "/" });
                assert.ok(result.retry, "the matched route rule has a retry policy");
                assert.deepEqual(result.retry.statuses, rule.retry!.codes);
                assert.equal(result.retry.connectionErrors, true);
                assert.equal(result.retry.numRetries, attempts ?? 1);
                assert.equal(result.retry.perTryTimeoutMs, perTrySeconds !== undefined ? perTrySeconds * 1000 : undefined);
            }), { numRuns: 300 });
        assert.ok(carried > 20 && refused > 20, `both outcomes exercised (carried ${carried}, refused ${refused})`);
    });
});
