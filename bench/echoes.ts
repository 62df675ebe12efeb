// Echo backends for the benches (local/echo-server.js), each on its own free 127.0.0.1 port.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { sleep } from "./load";

const ECHO = path.join(__dirname, "..", "local", "echo-server.js");

export interface Echoes {
    /** Port of echo i; echo i answers with name `names[i]`. */
    ports: number[];
    names: string[];
    stop(): Promise<void>;
}

/** Starts `count` echo servers named `${prefix}${i}` with port files in `dir`; all are stopped if one fails to start. */
export async function startEchoes(dir: string, count: number, prefix = "echo"): Promise<Echoes> {
    const children: ChildProcess[] = [];
    const stop = async () => {
        await Promise.all(children.map(c => {
            if (c.exitCode !== null || c.signalCode !== null) return undefined;
            const exited = new Promise(r => c.once("exit", r));
            c.kill("SIGTERM");
            return exited;
        }));
    };
    try {
        const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
        const portFiles = names.map(n => path.join(dir, `${n}.port`));
        for (let i = 0; i < count; i++) {
            children.push(spawn(process.execPath, [ECHO, "--name", names[i], "--port", "0", "--portfile", portFiles[i]], { stdio: "ignore" }));
        }
        const deadline = Date.now() + 5000;
        const ports: number[] = [];
        for (let i = 0; i < count; i++) {
            for (;;) {
                const text = fs.existsSync(portFiles[i]) ? fs.readFileSync(portFiles[i], "utf8").trim() : "";
                if (text) { ports.push(Number(text)); break; }
                if (children[i].exitCode !== null) throw new Error(`echo backend ${names[i]} exited with code ${children[i].exitCode} before listening`);
                if (Date.now() > deadline) throw new Error(`echo backend ${names[i]} did not start within 5 s`);
                await sleep(20);
            }
        }
        return { ports, names, stop };
    } catch (e) {
        await stop();
        throw e;
    }
}
