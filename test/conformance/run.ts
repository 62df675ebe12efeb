// `npm run conformance`: real HTTP against nginx for upstream-named HTTPRoute conformance tests.
// One line per test, then "N passed, M failed"; exits non-zero on any failure.
import { CASES } from "./cases";
import { Harness, runCase } from "./harness";

export async function main(only?: string): Promise<number> {
    const h = new Harness();
    let passed = 0, failed = 0;
    try {
        await h.start();
        for (const c of CASES) {
            if (only && !c.name.includes(only)) continue;
            let problems: string[];
            try {
                problems = await runCase(h, c);
            } catch (e) {
                problems = [(e as Error).message];
            }
            if (problems.length === 0) {
                passed++;
                console.log(`PASS ${c.name}`);
            } else {
                failed++;
                console.log(`FAIL ${c.name}: ${problems.slice(0, 5).join(" | ")}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ""}`);
            }
        }
    } catch (e) {
        failed++;
        console.log(`FAIL conformance harness: ${(e as Error).message}`);
    } finally {
        await h.stop();
    }
    console.log(`${passed} passed, ${failed} failed`);
    return failed ? 1 : 0;
}

if (require.main === module) {
    main(process.argv[2]).then(code => process.exit(code), e => { console.error(e); process.exit(1); });
}
