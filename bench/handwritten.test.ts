// The hand-written anchor routes as simulate() says, on real nginx (the check the scale bench runs
// before measuring), and that check catches a config that routes to the wrong backend. Needs nginx:
// without it PlainNginx fails, saying so (findNginx), so this never skips.
import * as assert from "assert";
import { compile } from "../routing/compile";
import { defaultWorkerUser } from "../providers/nginx/runtime/worker-user";
import { freePort } from "../test/conformance/harness";
import { renderHandWritten } from "./handwritten";
import { lastRuleTarget, plainNginx, sanity, withRig, workload } from "./nginx-scale";
import { syntheticInput } from "./workload";

describe("bench: hand-written anchor config", function () {
    this.timeout(60000);

    it("serves every probe of a 60-route workload as simulate() does: backend, Host, 404 for unknown hosts and paths", async () => {
        await withRig(async rig => {
            const port = await freePort();
            const hw = plainNginx(rig, "hw");
            await hw.start(renderHandWritten(workload(rig, 60, port), { dir: hw.dir, user: defaultWorkerUser() }));
            const plan = compile(workload(rig, 60, port));
            const checked = await sanity(rig, "hand-written", plan, port, port, 60, [lastRuleTarget(plan, port).target]);
            assert.ok(checked > 100, `only ${checked} requests checked`);
        });
    });

    it("the check fails for a config whose services point at the wrong echo servers", async () => {
        await withRig(async rig => {
            const port = await freePort();
            const hw = plainNginx(rig, "hw");
            // Service i reaches echo i+2 (mod 4): neither of its rule's two backends (echoes i and i+1).
            const shifted = [...rig.echoes.ports.slice(2), ...rig.echoes.ports.slice(0, 2)];
            const wrong = syntheticInput(60, { listenerPort: port, backendPorts: shifted });
            await hw.start(renderHandWritten(wrong, { dir: hw.dir, user: defaultWorkerUser() }));
            await assert.rejects(sanity(rig, "shifted", compile(workload(rig, 60, port)), port, port, 60), /reached echo\d, simulate says one of/);
        });
    });

    it("refuses what it does not model, naming the route and field", () => {
        const input = syntheticInput(2);
        input.routes[1].rules![2].matches![1].headers![0] = { type: "RegularExpression", name: "x-team", value: "t.*" };
        assert.throws(() => renderHandWritten(input, { dir: "/tmp/x" }), /HTTPRoute bench\/route-1 spec\.rules\[2\]\.matches\[1\]\.headers\[0\]/);
        const filtered = syntheticInput(1);
        filtered.routes[0].rules![0].filters = [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "a", value: "b" }] } }];
        assert.throws(() => renderHandWritten(filtered, { dir: "/tmp/x" }), /HTTPRoute bench\/route-0 spec\.rules\[0\]: has filters/);
    });

    it("the last rule of a 1,000-route table is route 9's rule 3 (shortest paths sort last), and its request matches it", () => {
        const plan = compile(syntheticInput(1000, { listenerPort: 8080 }));
        const { rule, target } = lastRuleTarget(plan, 8080);
        assert.strictEqual(rule, "route-9 rule 3 match 0");
        assert.deepStrictEqual([target.host, target.path], ["app9.bench.example.com", "/r9/p3/x"]);
    });
});
