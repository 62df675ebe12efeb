// A team's ListenerSet on another stack's nginx Gateway, through the real Pulumi engine (Automation API):
// the operator's stack owns the Gateway (HTTP on one port, ListenerSets admitted from namespaces labelled
// listeners=team) and exports gateway.reference; team-a's stack declares a ListenerSet against that
// reference (shop.team-a.example on the gateway's port, and HTTPS on a new port with team-a's own
// certificate) and an HTTPRoute on it. team-a's own `up` delivers both as files in the gateway's home
// (the ListenerSet's 0600: it carries the private key), and the gateway's nginx serves them as simulate
// says of what the gateway holds. team-b's namespace is not admitted: its `up` fails with the status
// reason and nothing of it is served. The operator's next `up` keeps team-a's listeners; team-a's
// destroy removes them (and the new port); the operator's destroy leaves no process.
// Gated like the other e2e tests (CI=true or GATEWAYKIT_E2E=1; under CI a missing nginx/CLI fails).

import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { TLSSocket } from "tls";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { Gateway, GatewayClass, GatewayReference, HTTPRoute, ListenerSet } from "../components";
import { resetDeclarations } from "../components/registry";
import { localService } from "../components/service";
import { EchoBackend } from "../local/echo";
import { compileGateway } from "../routing/compile";
import { GatewayInput } from "../routing/plan";
import { simulate } from "../routing/simulate";
import { readInstances, readListenerSetFiles, readRouteFiles, readSettings } from "../providers/nginx/runtime/routeFiles";
import { E2eWorld, ask, e2eGate, freePort, listening, processesNaming } from "./nginx-e2e-kit";

const OPERATOR_PROJECT = "gk-ls-operator";
const TEAM_PROJECT = "gk-ls-team";

function selfSigned(cn: string): { certificate: string; privateKey: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gk-ls-cert-"));
    try {
        const key = path.join(dir, "k.pem"), crt = path.join(dir, "c.pem");
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${cn}`,
            "-addext", `subjectAltName=DNS:${cn}`, "-keyout", key, "-out", crt], { stdio: "ignore" });
        return { certificate: fs.readFileSync(crt, "utf8"), privateKey: fs.readFileSync(key, "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function operatorProgram(port: number) {
    return async () => {
        resetDeclarations();
        const config = new pulumi.Config();
        const nginx = new GatewayClass("nginx", { controllerName: "gatewaykit.dev/nginx" });
        const gateway = new Gateway("shared", {
            gatewayClass: nginx,
            namespace: "infra",
            listeners: [{ name: "http", protocol: "HTTP", port }],
            allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: { listeners: "team" } } } },
            namespaceLabels: { "infra": {}, "team-a": { listeners: "team" }, "team-b": {} },
        });
        const ops = localService("ops", new EchoBackend("ops", {}), { namespace: "infra" });
        new HTTPRoute("ops", { namespace: "infra", parentRefs: [{ gateway }], hostnames: ["ops.example"], rules: [{ backendRefs: [{ service: ops }] }] });
        if (config.getBoolean("opsAdmin")) {
            new HTTPRoute("ops-admin", { namespace: "infra", parentRefs: [{ gateway }], hostnames: ["admin.example"], rules: [{ backendRefs: [{ service: ops }] }] });
        }
        return { reference: gateway.reference };
    };
}

function teamProgram(namespace: string, operatorStack: string, port: number, tlsPort: number, cert: { certificate: string; privateKey: string }) {
    return async () => {
        resetDeclarations();
        const reference = new pulumi.StackReference(`organization/${OPERATOR_PROJECT}/${operatorStack}`)
            .requireOutput("reference") as pulumi.Output<GatewayReference>;
        const host = `shop.${namespace}.example`;
        const listeners = new ListenerSet("shop", {
            namespace,
            gateway: reference,
            listeners: [
                { name: "shop-http", protocol: "HTTP", port, hostname: host },
                { name: "shop-https", protocol: "HTTPS", port: tlsPort, hostname: host, tls: { certificateRefs: [{ name: "shop-cert" }] } },
            ],
            certificates: { "shop-cert": { certificate: pulumi.secret(cert.certificate), privateKey: pulumi.secret(cert.privateKey) } },
        });
        const shop = localService("shop", new EchoBackend(`${namespace}-shop`, {}), { namespace });
        const route = new HTTPRoute("shop", { namespace, parentRefs: [{ listenerSet: listeners }], rules: [{ backendRefs: [{ service: shop }] }] });
        return { listenerSetStatus: listeners.status, routeStatus: route.status };
    };
}

/** One HTTPS request with SNI `host`: the echo's name (or "status N") and the certificate's CN. */
function askTls(port: number, host: string, urlPath: string): Promise<{ who: string; cn: string }> {
    return new Promise((resolve, reject) => {
        const req = https.get({ host: "127.0.0.1", port, path: urlPath, servername: host, headers: { host }, rejectUnauthorized: false, agent: false, timeout: 5000 }, res => {
            const cn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? "");
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => { body += c; });
            res.on("end", () => resolve({ who: res.statusCode === 200 ? JSON.parse(body).name : `status ${res.statusCode}`, cn }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

/**
 * What simulate says the gateway serves, from what its home holds: the operator's input (its instance
 * settings) plus the team files. The answer as the backend's name (what its echo answers) or "status N".
 */
function simulated(home: string, probe: { scheme?: "http" | "https"; port: number; host: string; path: string }): string {
    const [dir] = readInstances(home);
    const input = readSettings(dir)!.input;
    const routes = [...readRouteFiles(home).values()];
    const sets = [...readListenerSetFiles(home).values()].map(f => f.listenerSet);
    const merged: GatewayInput = {
        ...input,
        routes: [...input.routes, ...routes.map(f => f.route)],
        services: [...input.services, ...routes.flatMap(f => f.services)],
        ...(sets.length > 0 ? { listenerSets: [...(input.listenerSets ?? []), ...sets] } : {}),
    };
    const sim = simulate(compileGateway(merged), probe);
    const o = sim.outcomes.length === 1 ? sim.outcomes[0] : undefined;
    return o?.backend ? o.backend.service.split("/")[1] : `status ${o?.status ?? sim.status}`;
}

describe("e2e: a team's ListenerSet on the operator's nginx Gateway (team stack, Automation API)", function () {
    this.timeout(5 * 60_000);
    let world: E2eWorld | undefined;
    let port = 0, tlsPort = 0;
    let operator: Stack, teamA: Stack, teamB: Stack;
    const opStack = `lsop${process.pid}`;

    before(async function () {
        this.timeout(35 * 60_000);
        const bin = e2eGate(this, "the ListenerSet teams e2e test (about a minute)");
        if (!bin) return;
        world = new E2eWorld(bin);
        port = await freePort();
        tlsPort = await freePort();
        const cert = selfSigned("shop.team-a.example");
        operator = await world.stack(OPERATOR_PROJECT, opStack, operatorProgram(port));
        teamA = await world.stack(TEAM_PROJECT, `lsa${process.pid}`, teamProgram("team-a", opStack, port, tlsPort, cert));
        teamB = await world.stack(TEAM_PROJECT, `lsb${process.pid}`, teamProgram("team-b", opStack, port, tlsPort, cert));
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await world?.cleanup();
    });

    it("a team's up adds its listeners (and certificate) and a route on them; not admitted is refused; destroy removes them", async () => {
        const up = async (s: Stack) => {
            const r = await s.up();
            assert.equal(r.summary.result, "succeeded");
            return r;
        };
        const home = path.join(world!.stateHome, "gatewaykit", opStack, "_gateways", "infra", "shared");
        const lsFile = path.join(home, "listenersets.d", "team-a__shop.json");

        await up(operator);
        assert.equal(await ask(port, "shop.team-a.example", "/"), "status 404", "no team listener yet");
        assert.equal(await listening(tlsPort), false);

        const a1 = await up(teamA);
        assert.deepEqual(a1.outputs.listenerSetStatus.value.conditions.map((c: { reason: string }) => c.reason), ["Accepted", "Programmed"]);
        assert.deepEqual(a1.outputs.routeStatus.value.parents.map((p: { parentRef: { kind: string } }) => p.parentRef.kind), ["ListenerSet"]);
        assert.deepEqual(a1.outputs.routeStatus.value.parents[0].conditions.map((c: { reason: string }) => c.reason), ["Accepted", "ResolvedRefs"]);
        assert.equal(fs.statSync(lsFile).mode & 0o777, 0o600, "the ListenerSet file holds a private key");
        assert.ok(fs.existsSync(path.join(home, "routes.d", "team-a__shop.json")));
        // The certificate stays secret in team-a's state.
        const stateFiles = (function walk(d: string): string[] {
            return fs.readdirSync(d, { withFileTypes: true }).flatMap(e => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
        })(path.join(world!.tmp, "backend", ".pulumi", "stacks"));
        assert.ok(stateFiles.some(f => fs.readFileSync(f, "utf8").includes("NginxListenerSetAttachment")), "the team's state is on the file backend");
        assert.deepEqual(stateFiles.filter(f => fs.readFileSync(f, "utf8").includes("BEGIN PRIVATE KEY")), [], "no plaintext private key in any stack's state");

        const probes = [
            { scheme: "http" as const, port, host: "shop.team-a.example", path: "/" },
            { scheme: "http" as const, port, host: "ops.example", path: "/" },
            { scheme: "http" as const, port, host: "other.example", path: "/" },
            { scheme: "https" as const, port: tlsPort, host: "shop.team-a.example", path: "/x" },
        ];
        const want = probes.map(p => simulated(home, p));
        assert.deepEqual(want, ["team-a-shop", "ops", "status 404", "team-a-shop"], "simulate of what the gateway holds");
        const got = [];
        for (const p of probes) {
            if (p.scheme === "https") {
                const r = await askTls(p.port, p.host, p.path);
                assert.equal(r.cn, "shop.team-a.example", "the HTTPS listener presents team-a's own certificate");
                got.push(r.who);
            } else got.push(await ask(p.port, p.host, p.path));
        }
        assert.deepEqual(got, want, "nginx serves as simulate says");

        // team-b's namespace is not admitted by allowedListeners: its up fails with the status reason and the fix.
        await assert.rejects(teamB.up(), (e: Error) => /ListenerSet team-b\/shop is not served by Gateway infra\/shared/.test(e.message)
            && /reason NotAllowed/.test(e.message) && /allowedListeners/.test(e.message));
        const b = await teamB.preview();
        assert.match(b.stdout, /NotAllowed/, "the preview warns with the ListenerSet's status");
        assert.ok(!fs.existsSync(path.join(home, "listenersets.d", "team-b__shop.json")));
        assert.ok(!fs.existsSync(path.join(home, "routes.d", "team-b__shop.json")));
        assert.equal(await ask(port, "shop.team-b.example", "/"), "status 404");
        assert.equal(await ask(port, "shop.team-a.example", "/"), "team-a-shop");

        // The operator's own change recompiles with team-a's files: its listeners keep serving.
        await operator.setConfig("opsAdmin", { value: "true" });
        await up(operator);
        assert.equal(await ask(port, "admin.example", "/"), "ops");
        assert.equal(await ask(port, "shop.team-a.example", "/"), "team-a-shop");
        assert.equal((await askTls(tlsPort, "shop.team-a.example", "/")).who, "team-a-shop");

        // team-a's destroy removes its route and its listeners, and the port only it added.
        assert.equal((await teamA.destroy()).summary.result, "succeeded");
        assert.ok(!fs.existsSync(lsFile));
        assert.equal(await ask(port, "shop.team-a.example", "/"), "status 404");
        assert.equal(simulated(home, probes[0]), "status 404");
        assert.equal(await listening(tlsPort), false, "the port team-a's ListenerSet added is closed");
        assert.equal(await ask(port, "ops.example", "/"), "ops");

        assert.equal((await teamB.destroy()).summary.result, "succeeded");
        assert.equal((await operator.destroy()).summary.result, "succeeded");
        assert.equal(await listening(port), false);
        assert.deepEqual(processesNaming(world!.stateHome), []);
        assert.equal(fs.existsSync(home), false);
    });
});
