// routing/ benches: compile time and memory from 1k to 100k routes (and how time grows with them),
// simulate throughput at 1k.
import { execFileSync } from "child_process";
import * as path from "path";
import { compile } from "../routing/compile";
import { simulate, SimRequest } from "../routing/simulate";
import { median, round } from "./stats";
import { Bench } from "./types";
import { HOSTNAMES, syntheticInput } from "./workload";

interface ChildCompile { ms: number; rules: number; peakMiB: number; baselineMiB: number }

function compileInChild(routes: number): ChildCompile {
    const out = execFileSync(process.execPath, ["--expose-gc", "-r", "ts-node/register", path.join(__dirname, "compile-child.ts"), String(routes)], {
        cwd: path.join(__dirname, ".."), encoding: "utf8", env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        maxBuffer: 1 << 20,
    });
    const result = JSON.parse(out.trim().split("\n").pop()!) as ChildCompile;
    // 4 rules × 2 matches per route, one hostname each: a wrong count means a different workload was timed.
    if (result.rules !== routes * 8) throw new Error(`compile of ${routes} routes produced ${result.rules} rules, expected ${routes * 8}`);
    return result;
}

const SIZES = [1000, 10000, 50000, 100000] as const;

export const routingBenches: Bench[] = [
    {
        name: "routing.compile",
        run: async () => {
            // Median of 3 fresh processes per size, sizes alternated so machine noise hits all alike.
            const ms = new Map<number, number[]>(SIZES.map(n => [n, []]));
            const peak10k: number[] = [], peak100k: number[] = [];
            for (let i = 0; i < 3; i++) {
                for (const n of SIZES) {
                    const r = compileInChild(n);
                    ms.get(n)!.push(r.ms);
                    if (n === 10000) peak10k.push(r.peakMiB);
                    if (n === 100000) peak100k.push(r.peakMiB);
                }
            }
            const [ms1k, ms10k, ms50k, ms100k] = SIZES.map(n => median(ms.get(n)!));
            return {
                "routing.compile1k.ms": round(ms1k),
                "routing.compile10k.ms": round(ms10k),
                "routing.compile10k.peakMiB": round(Math.max(...peak10k)),
                "routing.compile.ratio10kTo1k": round(ms10k / ms1k),
                "routing.compile50k.ms": round(ms50k),
                "routing.compile100k.ms": round(ms100k),
                "routing.compile100k.peakMiB": round(Math.max(...peak100k)),
                "routing.compile.ratio50kTo10k": round(ms50k / ms10k),
            };
        },
    },
    {
        name: "routing.simulate",
        run: async () => {
            const plan = compile(syntheticInput(1000));
            // A fixed, mixed request set: hits on every rule kind, misses, and unknown hosts.
            const requests: SimRequest[] = [];
            for (let i = 0; i < 4096; i++) {
                const r = (i * 7919) % 1000, k = i % 4;
                const host = i % 50 === 0 ? "unknown.example.org" : HOSTNAMES[r % HOSTNAMES.length];
                const kind = i % 3;
                const pathOf = kind === 0 ? `/r${r}/p${k}` : kind === 1 ? `/r${r}/q${k}/item` : `/nothing/here`;
                requests.push({ scheme: "http", port: 80, host, method: "GET", path: pathOf, headers: { "x-team": `t${k}` } });
            }
            let n = 0, sink = 0;
            const t0 = process.hrtime.bigint();
            let elapsed = 0;
            while (elapsed < 1500) {
                for (let j = 0; j < 1024; j++) sink += simulate(plan, requests[n++ & 4095]).status;
                elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
            }
            if (sink === 0) throw new Error("simulate returned no statuses");
            return { "routing.simulate.rps": Math.round(n / (elapsed / 1000)) };
        },
    },
];
