// The examples run as programs under Pulumi mocks and route as the seed says they should.
import { strict as assert } from "assert";
import { quickstart } from "../examples/quickstart/program";
import { outputOf, routeRequest, runProgram, setupMocks } from "../testing";

setupMocks();

describe("examples/quickstart (the seed scenario)", () => {
    it("splits mygroup.io/groups 90/10 between the stable and the canary service", async () => {
        let made!: ReturnType<typeof quickstart>;
        await runProgram(() => { made = quickstart(); });
        const result = await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/groups/42" });
        assert.deepEqual(result.outcomes.map(o => [o.backend?.service, o.probability]),
            [["mygroup/mygroup-groups", 0.9], ["mygroup/mygroup-groups-canary", 0.1]]);
        const other = await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/users" });
        assert.equal(other.status, 404);
        const status = await outputOf(made.routeStatus);
        assert.deepEqual(status.parents[0].conditions.map(c => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]]);
        assert.match(await outputOf(made.routingTable), /mygroup\.io · PathPrefix \/groups → mygroup\/mygroup-groups:8080 90%, mygroup\/mygroup-groups-canary:8080 10%/);
    });

    it("follows a canary weight change (the canary rollout feature)", async () => {
        let made!: ReturnType<typeof quickstart>;
        await runProgram(() => { made = quickstart({ canaryWeight: 50 }); });
        const result = await routeRequest(made.gateway, { host: "mygroup.io", port: 8080, path: "/groups" });
        assert.deepEqual(result.outcomes.map(o => o.probability), [0.5, 0.5]);
    });
});
