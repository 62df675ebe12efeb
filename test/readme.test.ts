// The README's claims that the code can check: the feature table and the test command.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { featureTable } from "../providers";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
    it("shows the feature table exactly as the adapters declare it", () => {
        const m = /<!-- feature-table:start -->\n([\s\S]*?)\n<!-- feature-table:end -->/.exec(readme);
        assert.ok(m, "README lacks the feature-table markers");
        assert.equal(m[1], featureTable(), "README feature table drifted from the code; paste featureTable()'s output");
    });

    it("names npm test as the test command, which .ci/run calls", () => {
        assert.match(readme, /npm test/);
        assert.match(fs.readFileSync(path.join(__dirname, "..", ".ci", "run"), "utf8"), /npm test/);
    });
});
