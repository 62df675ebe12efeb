// routing/ benches: compile time and memory at 1k and 10k routes, simulate throughput at 1k.
import { execFileSync } from "child_process";
import * as path from "path";
import { compile } from "../routing/compile";
import { simulate, SimRequest } from "../routing/simulate";
import { median, round } from "./stats";
import { Bench } from "./types";
import { HOSTNAMES, syntheticInput } from "./workload";

function compileInChild(routes: number): { ms: number; rules: number; peakMiB: number; baselineMiB: number } {
    const out = execFileSync(process.execPath, ["-r", "ts-node/register", path.join(__dirname, "compile-child.ts"), String(routes)], {
        cwd: path.join(__dirname, ".."), encoding: "utf8", env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

export const routingBenches: Bench[] = [
    {
        name: "routing.compile",
        run: async () => {
            // Median of 3 fresh processes each, alternating sizes so machine noise hits both alike.
            const small: number[] = [], large: number[] = [], peak: number[] = [];
            for (let i = 0; i < 3; i++) {
                small.push(compileInChild(1000).ms);
                const l = compileInChild(10000);
                large.push(l.ms);
                peak.push(l.peakMiB);
            }
            const ms1k = median(small), ms10k = median(large);
            return {
                "routing.compile1k.ms": round(ms1k),
                "routing.compile10k.ms": round(ms10k),
                "routing.compile10k.peakMiB": round(Math.max(...peak)),
                "routing.compile.ratio10kTo1k": round(ms10k / ms1k),
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
