// GatewayPlan → nginx configuration (pure: no Pulumi, no I/O). The plan carries every routing
// decision (routing/plan.ts); this folder only realises it, one concern per file:
//
// - servers.ts: one `server` block per HostOwner of each port (plan.ports), candidates = its ruleIds.
// - dispatch.ts: which candidate a request matched, by hashed map lookups on the path's exact text and
//   its leading segments (never a scan over the table); matches.ts each rule's condition flags and
//   path key, paths.ts the normal form of routing/paths.ts ($gk_path; a refused path answers 400).
// - outcomes.ts: rules that behave alike share one action; an action's outcomes (one per backend
//   share, drawn by one split_clients per distinct weighting) select a shape — a named location shared
//   by every outcome with the same directives — whose values come from maps over the outcome
//   (locations.ts builds them; headers.ts and rewrites.ts the header and path changes; http.ts the
//   shared http-level declarations). The config therefore grows by map entries per rule, not by
//   locations: at 5,000 routes of the bench workload about 2.4 MB, nginx -t in a fraction of a second.
// - backendPolicies.ts: BackendTLSPolicy (TLS upstream blocks per verified identity, proxy_ssl_* in the
//   shape, CA bundle files), BackendTrafficPolicy and rule sessionPersistence (upstream directives,
//   per-endpoint blocks and maps for Cookie sessions), rule retry (proxy_next_upstream).
// - cors.ts: a CORS rule's outcomes answer preflights in an `if` at the top of their shape and hide
//   the backend's Access-Control-* headers; the values are slots over per-policy maps (routing/cors.ts).
// - Every user value is quoted and escaped (escape.ts) or refused with NginxRenderError. Variables
//   inside composed values are always braced (${host}), and every path starts with "/", so no user
//   text can extend a variable or upstream name. Regexes are rebuilt byte class by byte class with
//   inert groups (escape.ts jsRegexToPcre). Headers the data plane owns are refused (validate.ts
//   DATA_PLANE_HEADERS, plus Server and Date on responses). nginxRefusal runs all of this at preview.
// - nginx 1.22 limits, stated rather than hidden: client request headers named with anything but
//   letters, digits and "-" are dropped on arrival; $http_* reads only the first line of a repeated
//   header, so a header match or an "add" sees that first line only; TRACE and CONNECT never route.

import { GatewayPlan, ListenerPlan } from "../../../routing/plan";
import { defaultWorkerUser } from "../runtime/worker-user";
import { NginxRenderError, quoteLiteral, quoteValue } from "./escape";
import { Http, comment, forwardingLines } from "./http";
import { pathPolicyLines } from "./paths";
import { Dispatch } from "./dispatch";
import { Outcomes } from "./outcomes";
import { catchAllServer, serverBlock } from "./servers";

export { NginxRenderError } from "./escape";
export { NGINX_RESPONSE_HEADERS } from "./headers";

export interface TlsMaterial { certificate: string; privateKey: string }
export interface RenderOptions {
    /** Absolute instance prefix dir (config paths point inside it). */
    dir: string;
    /** Opaque id of this config version, served by the control endpoint. */
    generation: string;
    /** Defaults to "127.0.0.1". */
    listenAddress?: string;
    /** Key "namespace/name" of a listener certificateRef, and of the Gateway's backend clientCertificateRef. */
    certificates?: Record<string, TlsMaterial>;
    /** CA bundles (PEM), key "namespace/name" of a spec.tls.frontend caCertificateRef (PortPlan.frontendValidation). */
    caCertificates?: Record<string, string>;
    /** Defaults to 1. */
    workerProcesses?: number;
    /** `user` directive ("user" or "user group"); by default an unprivileged account when rendering as root (worker-user.ts), else none. */
    user?: string;
    /**
     * `reuseport` on every port's listening socket (default off here; the nginx provider turns it on),
     * so a replacement instance can bind the same ports while the old one still serves.
     */
    reusePort?: boolean;
    /** Clients whose X-Forwarded-* headers are believed (a load balancer in front): addresses or CIDRs (http.ts forwardingLines). */
    trustedProxies?: string[];
}
export interface RenderedFile { path: string; content: string; mode: number }
export interface RenderedConfig {
    files: RenderedFile[];
    mainFile: string;
    ports: number[];
    /** Approximations the config had to make (e.g. split_clients rounding to 0.01%). */
    warnings?: string[];
}

/** Directories (relative to dir) the config expects to exist. */
export const INSTANCE_DIRS = ["conf", "logs", "run", "tls", "temp", "temp/client_body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"];
export const CONTROL_SOCKET = "run/control.sock";
export const MAIN_FILE = "conf/nginx.conf";

export function renderNginx(plan: GatewayPlan, opts: RenderOptions): RenderedConfig {
    const dir = opts.dir.replace(/\/+$/, "");
    if (!/^\/[A-Za-z0-9._\/+-]*$/.test(dir)) throw new NginxRenderError(`renderNginx: dir ${JSON.stringify(opts.dir)} must be an absolute path of letters, digits and ._/+-`);
    if (`${dir}/${CONTROL_SOCKET}`.length > 107) throw new NginxRenderError(`renderNginx: dir ${JSON.stringify(dir)} is too long for a unix socket path (${dir}/${CONTROL_SOCKET} must be under 108 bytes); use a shorter directory`);
    const addr = opts.listenAddress ?? "127.0.0.1";
    if (!/^([0-9.]+|\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:]*|[A-Za-z0-9.-]+|\*)$/.test(addr)) {
        throw new NginxRenderError(`renderNginx: listenAddress ${JSON.stringify(addr)} is not an IP address or hostname`);
    }
    const listenHost = addr.includes(":") && !addr.startsWith("[") ? `[${addr}]` : addr;
    const http = new Http(dir);
    const files: RenderedFile[] = [];
    const servers: string[] = [];
    if (!plan.ports) throw new Error(`renderNginx: the plan of Gateway ${plan.gateway} has no ports; render a plan made by compile`);
    const ports = plan.ports.map(p => p.port);
    const reuse = opts.reusePort ? " reuseport" : "";

    const dispatch = new Dispatch(http);
    const outcomes = new Outcomes(http);

    // A port whose listeners conflict refuses the whole gateway, before any rule is rendered.
    const conflict = plan.ports.find(p => p.conflict);
    if (conflict) throw new NginxRenderError(conflict.conflict!.message);
    for (const port of plan.ports) {
        const tls = port.protocol === "HTTPS";
        const verifyLines = tls ? clientVerification(plan, port, dir, opts, files) : [];
        const listenLine = `listen ${listenHost}:${port.port}${tls ? " ssl" : ""}${speaksHttp2(plan, port.port, tls) ? " http2" : ""}`;
        // Every HTTPS listener needs its certificates, whether or not it owns a host (declaration order).
        const onPort = new Map<string, { listener: ListenerPlan; certLines: string[] }>();
        for (const l of plan.listeners) {
            if (l.port !== port.port) continue;
            const certLines = tls ? [...certificates(plan, l, dir, opts, files), ...verifyLines] : [];
            if (!onPort.has(l.name)) onPort.set(l.name, { listener: l, certLines });
        }
        for (const host of port.hosts) {
            const owner = onPort.get(host.listener);
            if (!owner) throw new Error(`renderNginx: the plan's host ownership names listener ${host.listener}, which port ${port.port} does not carry; render a plan made by compile`);
            // Socket options (reuseport) may appear once per address:port: on the default_server line.
            const line = `${listenLine}${host.pattern === undefined ? " default_server" + reuse : ""}`;
            servers.push(serverBlock(http, dispatch, outcomes, plan, owner.listener, host, line, owner.certLines));
        }
        if (!port.hosts.some(h => h.pattern === undefined)) servers.push(catchAllServer(`${listenLine} default_server${reuse}`, tls, verifyLines));
    }

    const user = opts.user ?? defaultWorkerUser();
    if (user !== undefined && !/^[A-Za-z0-9._-]+( [A-Za-z0-9._-]+)?$/.test(user)) throw new NginxRenderError(`renderNginx: user ${JSON.stringify(user)} is not a valid "user" or "user group"`);
    const workers = opts.workerProcesses ?? 1;
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new NginxRenderError(`renderNginx: workerProcesses must be an integer 1–64 (got ${workers})`);
    const main = [
        `# gatewaykit: Gateway ${comment(plan.gateway)}, generation ${comment(opts.generation)}`,
        ...(user ? [`user ${user};`] : []),
        "daemon on;",
        `worker_processes ${workers};`,
        `pid ${quoteLiteral(`${dir}/run/nginx.pid`)};`,
        `error_log ${quoteLiteral(`${dir}/logs/error.log`)} warn;`,
        "pcre_jit on;",
        "events { worker_connections 4096; }",
        "http {",
        "    access_log off;",
        "    server_tokens off;",
        "    default_type application/octet-stream;",
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(t => `    ${t}_temp_path ${quoteLiteral(`${dir}/temp/${t}`)};`),
        "    variables_hash_max_size 65536;",
        "    variables_hash_bucket_size 128;",
        // Room for the biggest map at about half load, and for the longest dispatch key (nginx's hash
        // buckets hold whole keys: pointer + key + 2 bytes, aligned, plus a terminator).
        `    map_hash_max_size ${Math.max(65536, dispatch.maxEntries * 2, outcomes.maxEntries * 2)};`,
        `    map_hash_bucket_size ${Math.max(128, Math.ceil((dispatch.maxKeyLength + 2 + 16) / 64) * 64)};`,
        "    server_names_hash_max_size 65536;",
        "    server_names_hash_bucket_size 256;",
        "    recursive_error_pages on;",
        "    keepalive_timeout 65s;",
        "    keepalive_requests 100000;",
        "    proxy_buffering on;",
        // A literal "$" inside values that interpolate variables.
        "    geo $gk_dollar { default \"$\"; }",
        // The normalised path (routing/paths.ts), or "" when the path policy refuses it.
        ...pathPolicyLines(quoteLiteral).map(s => "    " + s),
        ...forwardingLines(opts.trustedProxies ?? []).map(s => "    " + s),
        ...backendClientCertificate(plan, dir, opts, files).map(s => "    " + s),
        ...http.lines.map(s => "    " + s),
        ...dispatch.lines().map(s => "    " + s),
        ...outcomes.lines().map(s => "    " + s),
        "    server {",
        `        listen ${quoteLiteral(`unix:${dir}/${CONTROL_SOCKET}`)};`,
        "        location = /generation { default_type text/plain; return 200 " + quoteValue(opts.generation) + "; }",
        "        location / { return 404; }",
        "    }",
        ...servers.map(s => s.split("\n").map(x => "    " + x).join("\n")),
        "}",
        "",
    ].join("\n");
    files.unshift({ path: MAIN_FILE, content: main, mode: 0o644 });
    // BackendTLSPolicy trust anchors: public certificates, readable by the workers that verify with them.
    for (const [content, rel] of http.caFiles) files.push({ path: rel, content, mode: 0o644 });
    return { files, mainFile: MAIN_FILE, ports, warnings: http.warnings };
}

/**
 * Why nginx would refuse `plan`, or undefined: the renderer's own refusals (NginxRenderError), found by
 * rendering with placeholder certificates. Run at preview, before any file exists, so nothing that
 * nginx -t or the renderer would reject reaches an update.
 */
export function nginxRefusal(plan: GatewayPlan, opts: Pick<RenderOptions, "dir" | "listenAddress" | "trustedProxies">): string | undefined {
    const certificates: Record<string, TlsMaterial> = {};
    for (const l of plan.listeners) for (const key of l.tls?.certificateKeys ?? []) certificates[key] = { certificate: "", privateKey: "" };
    if (plan.backendTLS) certificates[plan.backendTLS.clientCertificateKey] = { certificate: "", privateKey: "" };
    const caCertificates: Record<string, string> = {};
    for (const p of plan.ports) for (const key of p.frontendValidation?.caCertificateKeys ?? []) caCertificates[key] = "";
    try {
        renderNginx(plan, { ...opts, generation: "check", certificates, caCertificates });
        return undefined;
    } catch (e) {
        if (e instanceof NginxRenderError) return e.message;
        throw e;
    }
}

/**
 * Whether the port speaks HTTP/2: gRPC needs it. Over TLS, ALPN lets HTTP/1.1 and h2 share the port;
 * a cleartext `listen … http2` port speaks only h2c with prior knowledge, so GRPCRoutes and HTTPRoutes
 * cannot share one — refused naming both.
 */
function speaksHttp2(plan: GatewayPlan, port: number, tls: boolean): boolean {
    const rules = plan.listeners.filter(l => l.port === port).flatMap(l => l.rules);
    const grpc = rules.find(r => r.protocol === "grpc");
    if (!grpc) return false;
    const http = rules.find(r => r.protocol !== "grpc");
    if (!tls && http) {
        throw new NginxRenderError(`Gateway ${plan.gateway} port ${port}: GRPCRoute ${grpc.route} and HTTPRoute ${http.route} share the cleartext port ${port}, and nginx serves a cleartext port either as HTTP/1.1 or as HTTP/2 with prior knowledge (h2c, what gRPC needs), never both: give the GRPCRoutes a listener on a port of their own, or use an HTTPS listener (ALPN lets both share it)`);
    }
    return true;
}

function certificates(plan: GatewayPlan, l: ListenerPlan, dir: string, opts: RenderOptions, files: RenderedFile[]): string[] {
    const keys = l.tls?.certificateKeys ?? [];
    if (keys.length === 0) throw new NginxRenderError(`Gateway ${plan.gateway} listener ${l.name}: an HTTPS listener needs tls.certificateRefs`);
    const out: string[] = [];
    keys.forEach((key, i) => {
        const mat = opts.certificates?.[key];
        if (!mat) {
            throw new NginxRenderError(`Gateway ${plan.gateway} listener ${l.name}: no certificate material for certificateRef ${key}; pass it in RenderOptions.certificates["${key}"]`);
        }
        const base = `tls/${safeFileName(l.name)}-${i}`;
        files.push({ path: `${base}.crt`, content: mat.certificate, mode: 0o600 });
        files.push({ path: `${base}.key`, content: mat.privateKey, mode: 0o600 });
        out.push(`ssl_certificate ${quoteLiteral(`${dir}/${base}.crt`)};`, `ssl_certificate_key ${quoteLiteral(`${dir}/${base}.key`)};`);
    });
    return out;
}

/**
 * The files, relative to the instance dir, of the client certificate the Gateway presents to TLS
 * backends (spec.tls.backend): proxy_ssl_certificate and grpc_ssl_certificate at http level name them,
 * so every `proxy_pass https://` / `grpc_pass grpcs://` of any server inherits them.
 */
export const BACKEND_CLIENT_CERTIFICATE = { certificate: "tls/backend-client.crt", privateKey: "tls/backend-client.key" } as const;

/** nginx's own default (1) admits only certificates issued directly by a CA of the bundle; this admits intermediates. */
export const CLIENT_VERIFY_DEPTH = 10;

/**
 * spec.tls.frontend of one HTTPS port, as lines for every server block of the port (the catch-all
 * included): nginx asks for the client certificate during the handshake and judges it per request by
 * the server block the request lands in, so the port's one decision is written into each of them.
 * AllowValidOnly is `on`: a request without a certificate, or with one no bundle CA issued, gets 400
 * and reaches no route. AllowInsecureFallback is `optional_no_ca`: a certificate is asked for but
 * neither its absence nor an unknown issuer refuses the request (`optional` would refuse the latter).
 */
function clientVerification(plan: GatewayPlan, port: GatewayPlan["ports"][number], dir: string, opts: RenderOptions, files: RenderedFile[]): string[] {
    const v = port.frontendValidation;
    if (!v) return [];
    const bundles = v.caCertificateKeys.map(key => {
        const pem = opts.caCertificates?.[key];
        if (pem === undefined) {
            throw new NginxRenderError(`Gateway ${plan.gateway} port ${port.port} (${v.field}): no CA bundle for caCertificateRef ConfigMap ${key}; ` +
                `give its ca.crt as the Gateway's caCertificates["${key}"]`);
        }
        return pem.endsWith("\n") || pem === "" ? pem : pem + "\n";
    });
    const file = `tls/client-ca-${port.port}.pem`;
    files.push({ path: file, content: bundles.join(""), mode: 0o600 });
    return [
        `ssl_client_certificate ${quoteLiteral(`${dir}/${file}`)};`,
        `ssl_verify_client ${v.mode === "AllowInsecureFallback" ? "optional_no_ca" : "on"};`,
        `ssl_verify_depth ${CLIENT_VERIFY_DEPTH};`,
    ];
}

/** The http-level lines of spec.tls.backend's client certificate, and its files (0600). */
function backendClientCertificate(plan: GatewayPlan, dir: string, opts: RenderOptions, files: RenderedFile[]): string[] {
    if (!plan.backendTLS) return [];
    const key = plan.backendTLS.clientCertificateKey;
    const mat = opts.certificates?.[key];
    if (!mat) {
        throw new NginxRenderError(`Gateway ${plan.gateway} spec.tls.backend.clientCertificateRef: no certificate material for Secret ${key}; give it as the Gateway's certificates["${key}"] ({ certificate, privateKey })`);
    }
    files.push({ path: BACKEND_CLIENT_CERTIFICATE.certificate, content: mat.certificate, mode: 0o600 });
    files.push({ path: BACKEND_CLIENT_CERTIFICATE.privateKey, content: mat.privateKey, mode: 0o600 });
    const crt = quoteLiteral(`${dir}/${BACKEND_CLIENT_CERTIFICATE.certificate}`), k = quoteLiteral(`${dir}/${BACKEND_CLIENT_CERTIFICATE.privateKey}`);
    return [`proxy_ssl_certificate ${crt};`, `proxy_ssl_certificate_key ${k};`, `grpc_ssl_certificate ${crt};`, `grpc_ssl_certificate_key ${k};`];
}

function safeFileName(s: string): string {
    return s.replace(/[^A-Za-z0-9._-]/g, "_");
}
