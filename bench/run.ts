// npm run bench [-- --json] [-- --only <prefix>]   (GK_BENCH_SIZES=1000,5000 picks nginx.scale / nginx.lastRuleRatio sizes)
// Every bench reports named figures; --json prints them all as one JSON object on the last line.
import { awsBenches } from "./aws";
import { gcpBenches } from "./gcp";
import { kubernetesBenches } from "./kubernetes";
import { nginxBenches } from "./nginx";
import { nginxScaleBenches } from "./nginx-scale";
import { routingBenches } from "./routing";
import { Bench } from "./types";

const ALL: Bench[] = [...routingBenches, ...nginxBenches, ...nginxScaleBenches, ...awsBenches, ...gcpBenches, ...kubernetesBenches];

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const json = args.includes("--json");
    const onlyAt = args.indexOf("--only");
    const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
    if (onlyAt >= 0 && !only) throw new Error("--only needs a key prefix, e.g. --only routing.simulate");
    const selected = ALL.filter(b => !only || b.name.startsWith(only) || only.startsWith(b.name));
    if (selected.length === 0) throw new Error(`no bench matches ${only}; benches: ${ALL.map(b => b.name).join(", ")}`);
    const results: Record<string, number> = {};
    for (const b of selected) {
        const figures = await b.run(only);
        for (const [k, v] of Object.entries(figures)) {
            if (only && !k.startsWith(only) && !b.name.startsWith(only)) continue;
            results[k] = v;
            if (!json) console.log(`${k.padEnd(36)} ${v}`);
        }
    }
    if (json) console.log(JSON.stringify(results));
}

main().catch(e => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
