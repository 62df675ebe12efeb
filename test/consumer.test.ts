// The user's path, end to end: `npm pack` this project, install the tarball into a fresh Pulumi
// TypeScript project outside the repository next to @pulumi/pulumi (as `pulumi new typescript`
// lays it out: Pulumi.yaml, package.json, tsconfig.json without skipLibCheck, type-checked by the
// language host), then with the real CLI:
//   1. the README's program (`import * as gk from "gatewaykit"`, nginx data plane): preview, up,
//      a request through the gateway, destroy, nothing left running — with no cloud SDK installed;
//   2. the README's test (`gatewaykit/testing` on an AWS program) with mocha, after installing
//      @pulumi/aws — and before that, the error an AWS gateway gives while @pulumi/aws is missing.
// The program and test are read from README.md's marked code blocks, so the README is what runs.
// Gated like the other e2e tests: CI=true or GATEWAYKIT_E2E=1 (npm test sets it when nginx and the
// CLI are there); under CI a missing tool fails.

import { strict as assert } from "assert";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { e2eGate } from "./nginx-e2e-kit";
import { freePort } from "./conformance/harness";

const ROOT = path.resolve(__dirname, "..");
const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const devVersion = (name: string): string => rootPackage.devDependencies[name];

/** The code block right after `<!-- consumer:FILE -->` in README.md. */
export function readmeFile(file: string): string {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const marker = `<!-- consumer:${file} -->`;
    const at = readme.indexOf(marker);
    assert.ok(at >= 0, `README.md lacks the ${marker} marker before the code block the consumer test runs`);
    const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
    assert.ok(m, `README.md has no ts code block after ${marker}`);
    return m[1];
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 10 * 60_000): SpawnSyncReturns<string> {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
    assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    return r.stdout;
}

function get(url: string, host: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { headers: { host }, agent: false }, res => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", c => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.setTimeout(5000, () => req.destroy(new Error(`GET ${url}: no answer in 5 s`)));
    });
}

describe("consumer: the packed package in a fresh Pulumi project (real CLI)", function () {
    this.timeout(20 * 60_000);
    let bin: string | undefined;
    let tmp = "";
    let project = "";
    let env: NodeJS.ProcessEnv = {};
    let stackUp = false;

    before(async function () {
        bin = e2eGate(this, "the consumer test");
        if (!bin) return;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gk-consumer-"));
        fs.chmodSync(tmp, 0o711); // as root, nginx's workers run unprivileged and must reach the state dir below
        project = path.join(tmp, "my-gateway");
        fs.mkdirSync(path.join(project, "test"), { recursive: true });
        env = {
            ...process.env,
            PATH: `${bin}:${process.env.PATH}`,
            PULUMI_BACKEND_URL: `file://${path.join(tmp, "backend")}`,
            PULUMI_CONFIG_PASSPHRASE: "consumer",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_HOME: path.join(tmp, "pulumi-home"),
            XDG_STATE_HOME: path.join(tmp, "state"),
            // What a user has: no test-runner variables, and the language host type-checks the program.
            GATEWAYKIT_E2E: "", PULUMI_NODEJS_TRANSPILE_ONLY: "", TS_NODE_TRANSPILE_ONLY: "", TS_NODE_PROJECT: "",
        };
        fs.mkdirSync(path.join(tmp, "backend"));
    });

    after(function () {
        if (!tmp) return;
        if (stackUp) run("pulumi", ["destroy", "--yes", "--stack", "dev"], project, env);
        const left = spawnSync("pgrep", ["-af", "--", tmp], { encoding: "utf8" }).stdout.trim();
        if (left === "") fs.rmSync(tmp, { recursive: true, force: true });
        else console.warn(`    left running, so ${tmp} is kept:\n${left}`);
    });

    it("packs only what a user needs, installs next to @pulumi/pulumi without any cloud SDK, and runs the README program", async function () {
        if (!bin) return this.skip();
        // 1. The tarball: compiled JavaScript with declarations, no TypeScript sources, tests or examples.
        const packed = JSON.parse(ok(run("npm", ["pack", "--json", "--pack-destination", tmp], ROOT, process.env), "npm pack"))[0];
        const files: string[] = packed.files.map((f: { path: string }) => f.path);
        const stray = files.filter(f => !(f === "package.json" || f === "README.md" || f === "LICENSE" || f.startsWith("dist/"))
            || /\.test\.|(^|\/)(test|bench|examples|fixtures)\//.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)));
        assert.deepEqual(stray, [], "the tarball holds files a user does not need");
        for (const f of ["dist/index.js", "dist/index.d.ts", "dist/testing/index.js", "dist/testing/index.d.ts", "dist/providers/kubernetes/model/gateway-api-cel-rules.json", "dist/local/echo-server.js"]) {
            assert.ok(files.includes(f), `the tarball lacks ${f}`);
        }
        console.log(`      tarball: ${packed.filename}, ${files.length} files, ${packed.size} bytes`);

        // 2. A project as `pulumi new typescript` writes it, with the README's program as index.ts.
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: my-gateway\ndescription: gatewaykit from npm\nruntime:\n  name: nodejs\n  options:\n    packagemanager: npm\n");
        fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({
            name: "my-gateway", main: "index.ts",
            devDependencies: { "@types/node": "^22", typescript: "^5.0.0" },
            dependencies: {},
        }, null, 2));
        fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify({
            compilerOptions: {
                strict: true, outDir: "bin", target: "es2020", module: "commonjs", moduleResolution: "node", sourceMap: true,
                experimentalDecorators: true, pretty: true, noFallthroughCasesInSwitch: true, noImplicitReturns: true,
                forceConsistentCasingInFileNames: true,
            },
            files: ["index.ts"],
        }, null, 4));
        fs.writeFileSync(path.join(project, "index.ts"), readmeFile("index.ts"));
        ok(run("npm", ["install", "--no-audit", "--no-fund", path.join(tmp, packed.filename), `@pulumi/pulumi@${devVersion("@pulumi/pulumi")}`], project, env), "npm install");
        for (const sdk of ["@pulumi/aws", "@pulumi/gcp", "@pulumi/kubernetes"]) {
            assert.ok(!fs.existsSync(path.join(project, "node_modules", sdk)), `${sdk} was installed although the program uses nginx only`);
        }
        const sdkCopies = spawnSync("find", [path.join(project, "node_modules"), "-path", "*/@pulumi/pulumi/package.json"], { encoding: "utf8" }).stdout.trim().split("\n");
        assert.deepEqual(sdkCopies, [path.join(project, "node_modules", "@pulumi", "pulumi", "package.json")], "more than one @pulumi/pulumi in the project");

        // 3. preview, up, a request, destroy.
        const port = await freePort();
        ok(run("pulumi", ["stack", "init", "dev"], project, env), "pulumi stack init");
        ok(run("pulumi", ["config", "set", "port", String(port)], project, env), "pulumi config set");
        const preview = run("pulumi", ["preview", "--diff"], project, env);
        const previewText = ok(preview, "pulumi preview") + preview.stderr;
        assert.match(previewText, /gatewaykit:index:Gateway/);
        assert.doesNotMatch(previewText, /Warning:|PromiseRejection|DeprecationWarning/, "preview printed Node noise");
        stackUp = true;
        ok(run("pulumi", ["up", "--yes", "--skip-preview"], project, env), "pulumi up");
        const table = ok(run("pulumi", ["stack", "output", "routingTable"], project, env), "pulumi stack output");
        assert.match(table, /mygroup\.io · PathPrefix \/groups → mygroup\/mygroup-groups:8080 90%, mygroup\/mygroup-groups-canary:8080 10%/);
        const url = ok(run("pulumi", ["stack", "output", "url"], project, env), "pulumi stack output url").trim();
        const seen = new Map<string, number>();
        for (let i = 0; i < 40; i++) {
            const res = await get(url, "mygroup.io");
            assert.equal(res.status, 200, `GET ${url} answered ${res.status}: ${res.body}`);
            const name = JSON.parse(res.body).name as string;
            seen.set(name, (seen.get(name) ?? 0) + 1);
        }
        assert.ok((seen.get("mygroup-groups") ?? 0) > 0, `no answer from mygroup-groups in 40 requests: ${[...seen]}`);
        assert.ok([...seen.keys()].every(n => n === "mygroup-groups" || n === "mygroup-groups-canary"), `unexpected backends ${[...seen]}`);
        assert.equal((await get(url.replace("/groups", "/other"), "mygroup.io")).status, 404);
        ok(run("pulumi", ["destroy", "--yes", "--skip-preview"], project, env), "pulumi destroy");
        stackUp = false;
        const left = spawnSync("pgrep", ["-af", "--", tmp], { encoding: "utf8" }).stdout.trim();
        assert.equal(left, "", "processes left after destroy");
        await assert.rejects(get(url, "mygroup.io"), "the gateway still answers after destroy");
    });

    it("says which package to install when an adapter's SDK is missing, then runs the README's mocha test with gatewaykit/testing", function () {
        if (!bin || !fs.existsSync(path.join(project, "node_modules", "gatewaykit"))) return this.skip();
        ok(run("npm", ["install", "--no-audit", "--no-fund", "--save-dev",
            `mocha@${devVersion("mocha")}`, `@types/mocha@${devVersion("@types/mocha")}`, `ts-node@${devVersion("ts-node")}`], project, env), "npm install mocha");
        // Without @pulumi/aws, an AWS gateway fails naming the package to install.
        fs.writeFileSync(path.join(project, "test", "missing-sdk.test.ts"), [
            `import { strict as assert } from "assert";`,
            `import * as gk from "gatewaykit";`,
            `import { failureOf, runProgram, setupMocks } from "gatewaykit/testing";`,
            `setupMocks();`,
            `it("names the SDK to install", async () => {`,
            `    const e = await failureOf(runProgram(() => new gk.Gateway("gw", {`,
            `        gatewayClass: { name: "alb", controllerName: "gatewaykit.dev/aws-alb", parameters: { aws: { vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] } } },`,
            `        listeners: [{ name: "http", protocol: "HTTP", port: 80 }],`,
            `    })));`,
            `    assert.match(e.message, /the aws adapter needs @pulumi\\/aws, which is not installed: npm install @pulumi\\/aws/);`,
            `});`,
        ].join("\n"));
        const missing = ok(run("npx", ["mocha", "-r", "ts-node/register", "test/missing-sdk.test.ts"], project, env), "mocha test/missing-sdk.test.ts");
        assert.match(missing, /1 passing/);
        fs.rmSync(path.join(project, "test", "missing-sdk.test.ts"));

        ok(run("npm", ["install", "--no-audit", "--no-fund", "--save-dev", `@pulumi/aws@${devVersion("@pulumi/aws")}`], project, env), "npm install @pulumi/aws");
        fs.writeFileSync(path.join(project, "test", "gateway.test.ts"), readmeFile("test/gateway.test.ts"));
        const mocha = run("npx", ["mocha", "-r", "ts-node/register", "test/**/*.test.ts"], project, env);
        const out = ok(mocha, "mocha in the consumer project");
        assert.match(out, /[1-9]\d* passing/);
        assert.doesNotMatch(out, /failing|pending/);
    });
});
