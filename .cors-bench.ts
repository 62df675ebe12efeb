import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { compile } from "./routing/compile";
import { renderNginx, INSTANCE_DIRS } from "./providers/nginx/model";
const N = Number(process.env.N);
const routes = Array.from({ length: N }, (_, i) => ({ name: `r${i}`, namespace: "default", parentRefs: [{ name: "gw" }], rules: [{
    matches: [{ path: { type: "PathPrefix" as const, value: `/p${i}` } }],
    filters: [{ type: "CORS" as const, cors: { allowOrigins: [`https://*.t${i}.test`, `https://app${i}.example.com`], allowMethods: ["GET" as const, "PUT" as const], allowHeaders: ["x-h"], allowCredentials: i % 2 === 0, maxAge: 10 + i } }],
    backendRefs: [{ name: "a", port: 8080 }],
}] }));
const plan = compile({
    gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
    gateways: [{ name: "gw", namespace: "default", gatewayClassName: "c", listeners: [{ name: "http", port: 18080, protocol: "HTTP" }] }],
    services: [{ name: "a", namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: "127.0.0.1", port: 9000 }] }],
    routes,
});
const dir = fs.mkdtempSync("/tmp/gk-cors-bench-");
const r = renderNginx(plan.gateways[0], { dir, generation: "g" });
for (const d of INSTANCE_DIRS) fs.mkdirSync(path.join(dir, d), { recursive: true });
const variants: [string, (s: string) => string][] = [["as rendered", s => s], ["map_hash_max_size 2048", s => s.replace(/map_hash_max_size \d+;/, "map_hash_max_size 4096;")]];
for (const [name, f] of variants) {
    const content = f(r.files[0].content);
    fs.writeFileSync(path.join(dir, r.mainFile), content);
    const t0 = Date.now();
    execFileSync("nginx", ["-t", "-q", "-p", dir + "/", "-c", path.join(dir, r.mainFile)], { stdio: "inherit" });
    console.log(`${name}: ${(content.length / 1024).toFixed(0)} KiB, nginx -t ${Date.now() - t0} ms`);
}
console.log(r.files[0].content.split("\n").find(l => l.includes("~^(?:(?:"))!.slice(0, 300));
fs.rmSync(dir, { recursive: true, force: true });
