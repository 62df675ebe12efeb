// Runs one compile in a fresh process so its peak RSS is the compile's own (plus Node's baseline).
// Only compile() is timed: ts-node's transpiling happens at the imports, and the garbage of building
// the input is collected before the clock starts (when the parent passes --expose-gc).
import { compile } from "../routing/compile";
import { syntheticInput } from "./workload";

const n = Number(process.argv[2]);
const input = syntheticInput(n);
(globalThis as { gc?: () => void }).gc?.();
const baselineMiB = process.memoryUsage().rss / 2 ** 20;
const t0 = process.hrtime.bigint();
const plan = compile(input);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const rules = plan.gateways[0].listeners[0].rules.length;
process.stdout.write(JSON.stringify({ ms, rules, peakMiB: process.resourceUsage().maxRSS / 1024, baselineMiB }) + "\n");
