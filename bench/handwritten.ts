// The anchor for the nginx scale benches: the config a competent operator would write BY HAND for the
// routes of bench/workload.ts syntheticInput (N routes × 4 rules × 2 matches over 50 hostnames,
// every rule split 90/10 over two services), in the idiom nginx's documentation teaches:
//
// - one `server` per hostname (`server_name`), plus a default server answering 404 for unknown hosts;
// - one `location` per path match: Exact is `location = /p`; PathPrefix is segment-correct, as
//   Gateway API means it: `location = /p` plus `location /p/` (a bare `location /p` would also match
//   /pX); `location / { return 404; }` for paths no route matches;
// - header and method matches as `if (...) { return 404; }` inside the location (only `return` in the
//   `if`: the safe use of it);
// - one `split_clients` per rule for its backend weights, naming upstreams (`proxy_pass http://$var`);
//   one `upstream` per service port with keepalive;
// - `proxy_http_version 1.1`, `proxy_set_header Host/Connection/X-Forwarded-*` in every location, as
//   per-location snippets do.
//
// Why it is the anchor: it is the per-location cost of nginx itself — what nginx needs for these routes
// without any generator in between. gatewaykit's figures are divided by this config's (reload time,
// RSS) to say what the generated config costs beyond doing the same job by hand. It is a bench
// fixture, not an adapter: it covers exactly the features the synthetic workload uses (Exact and
// PathPrefix paths, Exact header matches, a method match, weighted backendRefs on one HTTP
// listener) and refuses anything else, and its values are the workload's own (checked, not escaped).
// The bench's sanity step checks that it routes like simulate() says (bench/nginx-scale.ts).

import { CompileInput } from "../routing/plan";
import { HTTPRouteSpec, ServiceSpec } from "../routing/types";

export interface HandWrittenOptions {
    /** Absolute instance prefix dir: pid file, logs and temp paths live inside it. */
    dir: string;
    /** Defaults to 1. */
    workerProcesses?: number;
    /** `user` directive ("user" or "user group"), as gatewaykit's renderer would choose; none by default. */
    user?: string;
    /** Defaults to "127.0.0.1". */
    listenAddress?: string;
}

/** Any of these characters would need escaping; the anchor's inputs never carry them, so it refuses them. */
const SAFE_PATH = /^\/[A-Za-z0-9._~\/-]*$/;
const SAFE_VALUE = /^[A-Za-z0-9._~-]+$/;

function refuse(where: string, what: string): never {
    throw new Error(`hand-written anchor config: ${where}: ${what} (it covers the synthetic bench workload only: Exact/PathPrefix paths, Exact header matches, a method, weighted Service backendRefs)`);
}

function ident(s: string): string {
    return s.replace(/[^A-Za-z0-9_]/g, "_");
}

/** The nginx config text for `input` (one gateway, one HTTP listener). */
export function renderHandWritten(input: CompileInput, opts: HandWrittenOptions): string {
    if (input.gateways.length !== 1 || input.gateways[0].listeners.length !== 1) refuse("gateways", "needs exactly one gateway with one listener");
    const listener = input.gateways[0].listeners[0];
    if (listener.protocol !== "HTTP") refuse(`listener ${listener.name}`, `protocol ${listener.protocol} (HTTP only)`);
    const listen = `${opts.listenAddress ?? "127.0.0.1"}:${listener.port}`;
    const services = new Map<string, ServiceSpec>((input.services ?? []).map(s => [`${s.namespace ?? "default"}/${s.name}`, s]));

    const upstreams = new Map<string, string[]>(); // upstream name → its block
    const splits: string[] = [];
    const byHost = new Map<string, string[]>(); // hostname → location blocks
    const seen = new Map<string, string>(); // "host path-location" → route, to refuse duplicate locations

    const upstreamFor = (ns: string, ref: { name: string; port?: number }, where: string): string => {
        const svc = services.get(`${ns}/${ref.name}`);
        if (!svc) refuse(where, `service ${ns}/${ref.name} does not exist`);
        const port = svc.ports.find(p => p.port === ref.port);
        if (!port) refuse(where, `service ${ns}/${ref.name} has no port ${ref.port}`);
        if (!svc.endpoints?.length) refuse(where, `service ${ns}/${ref.name} has no endpoints`);
        const name = ident(`${ns}_${ref.name}_${ref.port}`);
        if (!upstreams.has(name)) {
            upstreams.set(name, [
                `    upstream ${name} {`,
                ...svc.endpoints.map(e => {
                    if (!/^[0-9.]+$/.test(e.address)) refuse(where, `endpoint ${e.address} is not an IPv4 address`);
                    return `        server ${e.address}:${e.port ?? port.targetPort ?? port.port};`;
                }),
                "        keepalive 32;",
                "    }",
            ]);
        }
        return name;
    };

    for (const route of input.routes) routeLocations(route);

    function routeLocations(route: HTTPRouteSpec): void {
        const ns = route.namespace ?? "default";
        const at = `HTTPRoute ${ns}/${route.name}`;
        if (!route.hostnames?.length) refuse(at, "has no hostnames");
        (route.rules ?? []).forEach((rule, k) => {
            const where = `${at} spec.rules[${k}]`;
            if (rule.filters?.length) refuse(where, "has filters");
            const refs = rule.backendRefs ?? [];
            if (refs.length === 0) refuse(where, "has no backendRefs");
            const total = refs.reduce((a, b) => a + (b.weight ?? 1), 0);
            if (total <= 0) refuse(where, "weights sum to 0");
            const names = refs.map((b, i) => {
                if (b.filters?.length || (b.kind ?? "Service") !== "Service") refuse(`${where}.backendRefs[${i}]`, "is not a plain Service reference");
                return upstreamFor(b.namespace ?? ns, b, `${where}.backendRefs[${i}]`);
            });
            // The rule's upstream: one split_clients per rule (weights in %, the last one takes the rest).
            const variable = `$${ident(`${ns}_${route.name}_${k}`)}`;
            let target: string;
            if (refs.length === 1) {
                target = names[0];
            } else {
                splits.push(`    split_clients "\${request_id}" ${variable} {`,
                    ...refs.map((b, i) => i === refs.length - 1 ? `        * ${names[i]};` : `        ${+((100 * (b.weight ?? 1)) / total).toFixed(2)}% ${names[i]};`),
                    "    }");
                target = variable;
            }
            const proxy = [
                `proxy_pass http://${target};`,
                "proxy_http_version 1.1;",
                "proxy_set_header Host $host;",
                "proxy_set_header Connection \"\";",
                "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                "proxy_set_header X-Forwarded-Proto $scheme;",
            ];
            (rule.matches ?? [{}]).forEach((m, j) => {
                const mAt = `${where}.matches[${j}]`;
                if (m.queryParams?.length) refuse(mAt, "has query parameter matches");
                const type = m.path?.type ?? "PathPrefix";
                const value = m.path?.value ?? "/";
                if (type !== "Exact" && type !== "PathPrefix") refuse(`${mAt}.path`, `type ${type}`);
                if (!SAFE_PATH.test(value)) refuse(`${mAt}.path.value`, JSON.stringify(value));
                const guards: string[] = [];
                if (m.method !== undefined) {
                    if (!/^[A-Z]+$/.test(m.method)) refuse(`${mAt}.method`, JSON.stringify(m.method));
                    guards.push(`if ($request_method != ${m.method}) { return 404; }`);
                }
                for (const [h, hm] of (m.headers ?? []).entries()) {
                    if ((hm.type ?? "Exact") !== "Exact" || !/^[A-Za-z0-9-]+$/.test(hm.name) || !SAFE_VALUE.test(hm.value)) refuse(`${mAt}.headers[${h}]`, JSON.stringify(hm));
                    guards.push(`if ($http_${hm.name.toLowerCase().replace(/-/g, "_")} != "${hm.value}") { return 404; }`);
                }
                const prefix = value.replace(/\/+$/, "");
                const heads = type === "Exact" ? [`= ${value}`] : prefix === "" ? ["/"] : [`= ${prefix}`, `${prefix}/`];
                for (const host of route.hostnames!) {
                    if (!/^[a-z0-9.-]+$/.test(host)) refuse(`${at} hostnames`, JSON.stringify(host));
                    const blocks = byHost.get(host) ?? [];
                    byHost.set(host, blocks);
                    for (const head of heads) {
                        const key = `${host} ${head}`;
                        if (seen.has(key)) refuse(mAt, `location ${head} on ${host} is also ${seen.get(key)}'s: overlapping matches need precedence this anchor does not model`);
                        seen.set(key, at);
                        blocks.push(`        location ${head} {`, ...[...guards, ...proxy].map(s => "            " + s), "        }");
                    }
                }
            });
        });
    }

    const variables = splits.filter(s => s.includes("split_clients")).length;
    return [
        "# hand-written anchor config (bench/handwritten.ts)",
        ...(opts.user ? [`user ${opts.user};`] : []),
        `worker_processes ${opts.workerProcesses ?? 1};`,
        `pid ${opts.dir}/run/nginx.pid;`,
        `error_log ${opts.dir}/logs/error.log warn;`,
        "events { worker_connections 4096; }",
        "http {",
        "    access_log off;",
        "    server_tokens off;",
        "    default_type application/octet-stream;",
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(t => `    ${t}_temp_path ${opts.dir}/temp/${t};`),
        "    keepalive_timeout 65s;",
        "    keepalive_requests 100000;",
        // What nginx asks for once there are dozens of split variables ("could not build optimal variables_hash").
        `    variables_hash_max_size ${Math.max(1024, 2 ** Math.ceil(Math.log2(4 * variables)))};`,
        "    variables_hash_bucket_size 128;",
        ...[...upstreams.values()].flat(),
        ...splits,
        "    server {",
        `        listen ${listen} default_server;`,
        "        server_name \"\";",
        "        return 404;",
        "    }",
        ...[...byHost].flatMap(([host, blocks]) => [
            "    server {",
            `        listen ${listen};`,
            `        server_name ${host};`,
            "        location / { return 404; }",
            ...blocks,
            "    }",
        ]),
        "}",
        "",
    ].join("\n");
}
