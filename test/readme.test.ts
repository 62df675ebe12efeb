// The README's claims that the code can check: the feature table and the test command.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import { featureTable } from "../providers";
import { outputOf, runProgram, setupMocks } from "../testing";
import { readmeFile } from "./consumer.test";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
    it("shows the feature table exactly as the adapters declare it", () => {
        const m = /<!-- feature-table:start -->\n([\s\S]*?)\n<!-- feature-table:end -->/.exec(readme);
        assert.ok(m, "README lacks the feature-table markers");
        assert.equal(m[1], featureTable(), "README feature table drifted from the code; paste featureTable()'s output");
    });

    it("runs its 'Using it from a Pulumi program' example as written (under mocks)", async () => {
        setupMocks();
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gk-readme-")), "program.ts");
        // Outside the repo, so the program's imports point at this checkout's sources and SDK.
        fs.writeFileSync(file, readmeFile("index.ts")
            .replace(`from "gatewaykit"`, `from ${JSON.stringify(path.join(__dirname, "..", "index"))}`)
            .replace(`from "@pulumi/pulumi"`, `from ${JSON.stringify(path.dirname(require.resolve("@pulumi/pulumi/package.json")))}`));
        let exported: { routingTable: unknown; routeStatus: unknown } | undefined;
        const run = await runProgram(() => { exported = require(file); });
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
        assert.ok(run.resources.some(r => r.type === "gatewaykit:index:HTTPRoute"));
        const table = await outputOf(exported!.routingTable as string);
        assert.ok(readme.includes(table.trim().split("\n").pop()!.trim()), `README's routing table line differs from the program's:\n${table}`);
    });

    it("names npm test as the test command, which .ci/run calls", () => {
        assert.match(readme, /npm test/);
        assert.match(fs.readFileSync(path.join(__dirname, "..", ".ci", "run"), "utf8"), /npm test/);
    });
});
