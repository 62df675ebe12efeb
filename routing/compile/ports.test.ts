// GatewayPlan.ports: host ownership decided once. For generated route sets and hosts, the first
// HostOwner whose pattern matches a host names the listener simulate picks, and its ruleIds are
// exactly that listener's rules whose hostname matches the host, in precedence order.

import { strict as assert } from "assert";
import fc from "fast-check";
import { compile } from ".";
import { hostnameCovers, hostnameMatches, normalizeHost } from "../hostname";
import { GatewayPlan, HostOwner, PortPlan, RoutingPlan } from "../plan";
import { simulate } from "../simulate";
import { Gen, hostFor, HOSTNAMES, inputOf, LISTENER_SETS, routeSet } from "../../test/plan-generators";

const HOSTS = [...HOSTNAMES.map(h => hostFor(h, false)), ...HOSTNAMES.map(h => hostFor(h, true)), "any.test", "A.EXAMPLE.COM:8080", "example.com"];

function ownerOf(port: PortPlan, host: string): HostOwner | undefined {
    return port.hosts.find(h => h.pattern === undefined || hostnameMatches(h.pattern, host));
}

function checkHost(plan: RoutingPlan, gw: GatewayPlan, portNumber: number, scheme: "http" | "https", rawHost: string): void {
    const res = simulate(plan, { scheme, port: portNumber, host: rawHost, path: "/" });
    const host = normalizeHost(rawHost);
    const port = gw.ports!.find(p => p.port === portNumber);
    const protocol = scheme === "https" ? "HTTPS" : "HTTP";
    if (!port || (port.protocol !== undefined && port.protocol !== protocol)) {
        assert.equal(res.reason, "no-listener");
        return;
    }
    if (port.conflict) {
        assert.equal(res.status, 404); // every listener there is invalid
        return;
    }
    const owner = ownerOf(port, host);
    if (!owner) {
        assert.equal(res.reason, "no-matching-listener");
        return;
    }
    assert.equal(res.listener, owner.listener, `host ${host} on port ${portNumber}`);
    const listener = gw.listeners.find(l => l.name === owner.listener)!;
    const matching = listener.rules.filter(r => r.hostname === undefined || hostnameMatches(r.hostname, host)).map(r => r.id);
    assert.deepEqual(owner.ruleIds, matching, `rules for ${host} on ${owner.listener}`);
    if (res.matched) assert.ok(owner.ruleIds.includes(res.matched.ruleId));
    // Shadows: every other listener on the port that matches the host.
    const others = gw.listeners.filter(l => l.port === portNumber && l.name !== owner.listener && (l.hostname === undefined || hostnameMatches(l.hostname, host))).map(l => l.name);
    assert.deepEqual([...owner.shadows].sort(), [...new Set(others)].sort());
}

describe("plan: ports and host ownership", () => {
    it("the first matching HostOwner is simulate's listener, with exactly the rules that match the host", () => {
        let checked = 0;
        fc.assert(fc.property(routeSet(false), (gen: Gen) => {
            const plan = compile(inputOf(gen));
            const gw = plan.gateways[0];
            for (const port of new Set(LISTENER_SETS[gen.listeners].map(l => l.port))) {
                for (const scheme of ["http", "https"] as const) {
                    for (const host of HOSTS) { checkHost(plan, gw, port, scheme, host); checked++; }
                }
            }
        }), { numRuns: 300 });
        assert.ok(checked > 5000);
    });

    it("one entry per pattern, most specific first, any-host last; the owner covers the pattern; origin says whose hostname it is", () => {
        fc.assert(fc.property(routeSet(false), (gen: Gen) => {
            const gw = compile(inputOf(gen)).gateways[0];
            for (const port of gw.ports!) {
                const patterns = port.hosts.map(h => h.pattern);
                assert.equal(new Set(patterns).size, patterns.length, "one entry per pattern");
                // No later entry is more specific than an earlier one it overlaps.
                port.hosts.forEach((a, i) => port.hosts.slice(i + 1).forEach(b => {
                    if (a.pattern !== undefined && b.pattern !== undefined) assert.ok(!hostnameCovers(a.pattern, b.pattern) || a.pattern === b.pattern, `${a.pattern} before ${b.pattern}`);
                    if (a.pattern === undefined) assert.fail("any-host entry is not last");
                }));
                for (const h of port.hosts) {
                    const l = gw.listeners.find(x => x.name === h.listener)!;
                    assert.equal(h.origin === "listener", gw.listeners.some(x => x.port === port.port && x.hostname === h.pattern));
                    assert.ok(l.hostname === undefined || (h.pattern !== undefined && hostnameCovers(l.hostname, h.pattern)));
                }
            }
        }), { numRuns: 200 });
    });

    it("a protocol conflict is one message naming the listeners; the port has no host entries", () => {
        const gw = compile(inputOf({ listeners: 5, routes: [{ name: "r", hostnames: [], rules: [{}] }] })).gateways[0];
        const p8000 = gw.ports!.find(p => p.port === 8000)!;
        assert.deepEqual(p8000, {
            port: 8000, listeners: ["plain", "tls"], hosts: [],
            conflict: {
                listeners: ["plain", "tls"],
                message: "Gateway default/gw: listeners plain (HTTP), tls (HTTPS) share port 8000 with different protocols; a port carries one protocol: move the HTTPS listeners to another port",
            },
        });
        const p80 = gw.ports!.find(p => p.port === 80)!;
        assert.equal(p80.protocol, "HTTP");
        assert.deepEqual(p80.hosts.map(h => [h.pattern, h.listener]), [["*.example.com", "other"]]);
        assert.deepEqual(gw.ports!.map(p => p.port), [80, 8000]);
    });

    it("listeners in ownership order; an invalid listener keeps its hostname with no rules", () => {
        const gw = compile(inputOf({ listeners: 2, routes: [{ name: "r", hostnames: ["x.a.example.com", "b.example.com"], rules: [{}] }] })).gateways[0];
        assert.deepEqual(gw.ports![0].listeners, ["a", "wild", "any"]);
        assert.deepEqual(gw.ports![0].hosts.map(h => [h.pattern, h.origin, h.listener, h.ruleIds, h.shadows]), [
            ["x.a.example.com", "rule", "wild", ["default/r/0/0@x.a.example.com"], ["any"]],
            ["a.example.com", "listener", "a", [], ["wild", "any"]],
            ["b.example.com", "rule", "wild", ["default/r/0/0@b.example.com"], ["any"]],
            ["*.example.com", "listener", "wild", [], ["any"]],
            [undefined, "listener", "any", [], []],
        ]);
        const bad = compile(inputOf({ listeners: 4, routes: [{ name: "r", hostnames: [], rules: [{}] }] })).gateways[0];
        assert.deepEqual(bad.ports![0].hosts.map(h => [h.pattern, h.listener, h.ruleIds.length]), [["a.example.com", "bad", 0], [undefined, "good", 1]]);
    });
});
