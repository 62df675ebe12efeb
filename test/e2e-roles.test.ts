// Roles across stacks on nginx, through the real Pulumi engine (Automation API, one file backend):
// the operator's stack owns the GatewayClass and the Gateway (one nginx) and exports gateway.reference;
// team stacks import it with a StackReference and attach an HTTPRoute, which their own `up` writes as a
// route file into the gateway's home and recompiles into the gateway's nginx (verified reload).
// operator up → team-a up → traffic → team-a changes weights → traffic follows → a route nginx cannot
// carry fails team-a's up, the previous route keeps serving → team-b (namespace the listener does not
// admit) fails with NotAllowedByListeners and is not served → an operator change keeps team-a serving →
// team-a destroy removes its route → operator destroy leaves no process and no port.
// Gated like the quickstart e2e (CI=true or GATEWAYKIT_E2E=1; under CI a missing nginx/CLI fails).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { Gateway, GatewayClass, GatewayReference, HTTPRoute } from "../components";
import { resetDeclarations } from "../components/registry";
import { localService } from "../components/service";
import { EchoBackend } from "../local/echo";
import { E2eWorld, ask, e2eGate, freePort, listening, processesNaming, tally } from "./nginx-e2e-kit";

const OPERATOR_PROJECT = "gk-operator";
const TEAM_PROJECT = "gk-team";

function operatorProgram(port: number) {
    return async () => {
        resetDeclarations();
        const config = new pulumi.Config();
        const externalLb = new GatewayClass("external-lb", { controllerName: "gatewaykit.dev/nginx" });
        const gateway = new Gateway("shared", {
            gatewayClass: externalLb,
            namespace: "infra",
            listeners: [{
                name: "http", protocol: "HTTP", port,
                allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { "shared-gateway-access": "true" } } } },
            }],
            namespaceLabels: { "infra": { "shared-gateway-access": "true" }, "team-a": { "shared-gateway-access": "true" }, "team-b": {} },
        });
        // "Some gateway change" by the operator: a route of its own.
        if (config.getBoolean("opsRoute")) {
            const ops = localService("ops", new EchoBackend("ops", {}), { namespace: "infra" });
            new HTTPRoute("ops", { namespace: "infra", parentRefs: [{ gateway }], hostnames: ["ops.example"], rules: [{ backendRefs: [{ service: ops }] }] });
        }
        return { reference: gateway.reference };
    };
}

function teamProgram(namespace: string, operatorStack: string) {
    return async () => {
        resetDeclarations();
        const config = new pulumi.Config();
        const reference = new pulumi.StackReference(`organization/${OPERATOR_PROJECT}/${operatorStack}`)
            .requireOutput("reference") as pulumi.Output<GatewayReference>;
        const stable = localService("shop", new EchoBackend(`${namespace}-shop`, {}), { namespace });
        const canary = localService("shop-canary", new EchoBackend(`${namespace}-shop-canary`, {}), { namespace });
        const canaryWeight = config.getNumber("canaryWeight") ?? 0;
        const rules = [{
            name: "shop",
            matches: [{ path: { type: "PathPrefix" as const, value: "/shop" } }],
            backendRefs: [{ service: stable, weight: 100 - canaryWeight }, { service: canary, weight: canaryWeight }],
        }];
        // Valid Gateway API (a JavaScript regex) that nginx cannot carry: a backreference.
        if (config.getBoolean("unservable")) {
            rules.push({ name: "bad", matches: [{ path: { type: "RegularExpression" as "PathPrefix", value: "/(a)\\1" } }], backendRefs: [{ service: stable, weight: 1 }] });
        }
        const route = new HTTPRoute("shop", { namespace, parentRefs: [{ gateway: reference }], hostnames: [`${namespace}.example`], rules });
        return { status: route.status };
    };
}

describe("e2e: roles across stacks on nginx (operator's Gateway, teams' HTTPRoutes, Automation API)", function () {
    this.timeout(5 * 60_000);
    let world: E2eWorld | undefined;
    let port = 0;
    let operator: Stack, teamA: Stack, teamB: Stack;
    const opStack = `op${process.pid}`;

    before(async function () {
        this.timeout(35 * 60_000);
        const bin = e2eGate(this, "the roles e2e test (about a minute)");
        if (!bin) return;
        world = new E2eWorld(bin);
        port = await freePort();
        operator = await world.stack(OPERATOR_PROJECT, opStack, operatorProgram(port));
        teamA = await world.stack(TEAM_PROJECT, `a${process.pid}`, teamProgram("team-a", opStack));
        teamB = await world.stack(TEAM_PROJECT, `b${process.pid}`, teamProgram("team-b", opStack));
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await world?.cleanup();
    });

    it("a team's own up attaches, changes and removes its route; allowedRoutes holds; the operator's up keeps team routes", async () => {
        const t0 = Date.now();
        const phase = (name: string) => console.log(`      ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const up = async (s: Stack) => {
            const r = await s.up();
            assert.equal(r.summary.result, "succeeded");
            return r;
        };
        const home = path.join(world!.stateHome, "gatewaykit", opStack, "_gateways", "infra", "shared");

        const op1 = await up(operator);
        assert.deepEqual(op1.outputs.reference.value.attachments, { nginx: { home } });
        assert.equal(await ask(port, "team-a.example", "/shop"), "status 404", "no team route yet");
        phase("operator up");

        const a1 = await up(teamA);
        assert.deepEqual(a1.outputs.status.value.parents[0].conditions.map((c: { reason: string }) => c.reason), ["Accepted", "ResolvedRefs"]);
        assert.ok(fs.existsSync(path.join(home, "routes.d", "team-a__shop.json")), "the team's route file is in the gateway's home");
        assert.deepEqual(await tally(port, "team-a.example", "/shop/1", 20), { "team-a-shop": 20 });
        phase("team-a up: its route serves");

        await teamA.setConfig("canaryWeight", { value: "100" });
        const a2 = await up(teamA);
        assert.deepEqual(Object.fromEntries(Object.entries(a2.summary.resourceChanges ?? {}).filter(([op]) => op !== "same")), { update: 1 },
            "a weight change is one in-place update of the route attachment");
        assert.deepEqual(await tally(port, "team-a.example", "/shop/2", 20), { "team-a-shop-canary": 20 });
        phase("team-a weight change: traffic follows");

        // A route the gateway's nginx cannot carry: team-a's up fails, its previous version keeps serving.
        await teamA.setConfig("unservable", { value: "true" });
        await assert.rejects(teamA.up(), (e: Error) => /Gateway infra\/shared refused HTTPRoute team-a\/shop/.test(e.message) && /backreference/.test(e.message)
            && /previous version keeps serving/.test(e.message));
        await teamA.removeConfig("unservable");
        assert.deepEqual(await tally(port, "team-a.example", "/shop/3", 10), { "team-a-shop-canary": 10 });
        assert.ok(!fs.readFileSync(path.join(home, "routes.d", "team-a__shop.json"), "utf8").includes("(a)"), "the refused version never reached the route file");
        phase("team-a unservable route refused");

        // team-b's namespace is not admitted by the listener: its up fails naming the listener and the fix.
        await assert.rejects(teamB.up(), (e: Error) => /HTTPRoute team-b\/shop is not served by Gateway infra\/shared/.test(e.message)
            && /NotAllowedByListeners/.test(e.message) && /listener http/.test(e.message) && /admit namespace team-b/.test(e.message));
        const b = await teamB.preview();
        assert.match(b.stdout, /NotAllowedByListeners/, "the preview warns with the route's status");
        assert.equal(await ask(port, "team-b.example", "/shop"), "status 404", "team-b's route is not served");
        assert.ok(!fs.existsSync(path.join(home, "routes.d", "team-b__shop.json")));
        assert.deepEqual(await tally(port, "team-a.example", "/shop/4", 10), { "team-a-shop-canary": 10 });
        phase("team-b refused (NotAllowedByListeners)");

        // The operator changes its gateway (a route of its own): team-a's route keeps serving.
        await operator.setConfig("opsRoute", { value: "true" });
        const op2 = await up(operator);
        assert.equal(op2.summary.resourceChanges?.update, 1, JSON.stringify(op2.summary.resourceChanges));
        assert.deepEqual(await tally(port, "team-a.example", "/shop/5", 10), { "team-a-shop-canary": 10 });
        assert.equal(await ask(port, "ops.example", "/"), "ops");
        phase("operator up keeps team-a");

        // team-a destroys its stack: its route (and only its route) is gone.
        assert.equal((await teamA.destroy()).summary.result, "succeeded");
        assert.equal(await ask(port, "team-a.example", "/shop"), "status 404");
        assert.equal(await ask(port, "ops.example", "/"), "ops");
        assert.ok(!fs.existsSync(path.join(home, "routes.d", "team-a__shop.json")));
        phase("team-a destroy");

        assert.equal((await teamB.destroy()).summary.result, "succeeded");
        assert.equal((await operator.destroy()).summary.result, "succeeded");
        assert.equal(await listening(port), false);
        assert.deepEqual(processesNaming(world!.stateHome), []);
        assert.equal(fs.existsSync(home), false, "the gateway's home is gone with its last instance and route file");
        phase("operator destroy");
    });
});
