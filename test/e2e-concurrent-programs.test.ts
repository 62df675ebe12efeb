// Two inline programs running at the same time in one process (the Automation API, one file
// backend): each program's declarations (Services, Gateways) are its own. Before declarations were
// scoped to the running program, one program's resetDeclarations() wiped the other's Services and
// its routes compiled with no backends while `up` still succeeded.

import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, HTTPRoute, Service } from "../components";
import { resetDeclarations } from "../components/registry";
import { E2eWorld, e2eGate } from "./nginx-e2e-kit";

const ROUNDS = 4;

/**
 * Both programs of a round wait here after declaring their Service, so each runs its reset and
 * declarations while the other is mid-program (the overlap the Automation API allows); without it
 * the CLI's start-up time would usually run them one after the other.
 */
class Barrier {
    private waiting: (() => void)[] = [];
    constructor(private readonly parties: number) {}
    wait(timeoutMs = 60_000): Promise<void> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("the other program never reached the barrier")), timeoutMs);
            this.waiting.push(() => { clearTimeout(timer); resolve(); });
            if (this.waiting.length === this.parties) {
                const all = this.waiting;
                this.waiting = [];
                all.forEach(release => release());
            }
        });
    }
}
const barrier = new Barrier(2);

/**
 * Declares its own Service, waits for the other program to do the same (at the barrier),
 * then a route that names that Service like a manifest would (by name, resolved through the registry).
 */
function program(team: string) {
    return async () => {
        resetDeclarations();
        new Service(`${team}-svc`, { name: `${team}-app`, namespace: team, port: 8080, endpoints: [{ address: "10.0.0.1" }] });
        await barrier.wait();
        const gateway = new Gateway(`${team}-gw`, {
            gatewayClass: new GatewayClass(`${team}-plan`, { controllerName: "gatewaykit.dev/plan" }),
            namespace: team,
            listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
        });
        const route = new HTTPRoute(`${team}-route`, {
            namespace: team, parentRefs: [{ gateway }], hostnames: [`${team}.example`],
            rules: [{ backendRefs: [{ name: `${team}-app`, port: 8080 }] }],
        });
        return { routingTable: gateway.routingTable, resolvedRefs: route.status.apply(s => s.parents[0]?.conditions.find(c => c.type === "ResolvedRefs")) } as Record<string, pulumi.Output<unknown>>;
    };
}

describe("e2e: two inline programs at once in one process keep their own declarations", function () {
    this.timeout(10 * 60_000);
    let world: E2eWorld | undefined;

    before(async function () {
        this.timeout(35 * 60_000);
        const bin = e2eGate(this, "the concurrent-programs e2e test");
        if (!bin) return;
        world = new E2eWorld(bin);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await world?.cleanup();
    });

    it(`${ROUNDS} rounds of concurrent ups: each program's route resolves its own Service`, async () => {
        const a = await world!.stack("gk-conc-a", `a${process.pid}`, program("team-a"));
        const b = await world!.stack("gk-conc-b", `b${process.pid}`, program("team-b"));
        const failures: string[] = [];
        for (let round = 0; round < ROUNDS; round++) {
            // A changed config each round so every up runs the program (and its reset) again.
            await Promise.all([a.setConfig("round", { value: String(round) }), b.setConfig("round", { value: String(round) })]);
            const [ra, rb] = await Promise.all([a.up(), b.up()]);
            for (const [team, r] of [["team-a", ra], ["team-b", rb]] as const) {
                assert.equal(r.summary.result, "succeeded");
                const resolved = r.outputs.resolvedRefs?.value as { status: string; reason: string } | undefined;
                const table = String(r.outputs.routingTable?.value);
                if (resolved?.status !== "True" || !table.includes(`${team}/${team}-app:8080`)) {
                    failures.push(`round ${round} ${team}: ResolvedRefs ${JSON.stringify(resolved)}; table:\n${table}`);
                }
                const other = team === "team-a" ? "team-b" : "team-a";
                if (table.includes(other)) failures.push(`round ${round} ${team}: the other program's ${other} shows in its table:\n${table}`);
            }
        }
        assert.deepEqual(failures, []);
    });
});
