// GatewayPlan → nginx configuration (pure: no Pulumi, no I/O). Reproduces routing/simulate.ts:
//
// - Listeners: one `server` block per (listener, hostname class). A listener's base block carries
//   its hostname (or is the port's default_server); every distinct rule hostname gets a block of
//   its own, so nginx's server_name selection (exact > longest "*." wildcard > default) picks the
//   listener *and* the set of candidate rules in one hashed lookup. Rule hostnames a more specific
//   listener owns are left to that listener (listener isolation).
// - Matching: per block, one `map` whose source is "<flags> <path>" and whose keys are anchored
//   regexes in plan order (map regexes are tried in order, first match wins). Each flag is a
//   one-character "0"/"1" map for one header / query / method / regex-path condition, so the
//   composite has fixed positions and no request value can shift a field. The path is $gk_path:
//   routing/paths.ts's normal form (paths.ts here), which is also what the backend receives; a path
//   the policy refuses answers 400 in every server block, as simulate says.
// - Dispatch: `error_page 418 = @$rule; return 418;` jumps to a named location per (rule, outcome);
//   weighted rules pick the outcome with split_clients over $request_id (per request).
// - Every user value is quoted and escaped (escape.ts) or refused with NginxRenderError. Variables
//   inside composed values are always braced (${host}), and every path starts with "/", so no user
//   text can extend a variable or upstream name. Regexes are rebuilt byte class by byte class with
//   inert groups (escape.ts jsRegexToPcre). Headers the data plane owns are refused (validate.ts
//   DATA_PLANE_HEADERS, plus Server and Date on responses). nginxRefusal runs all of this at preview.
// - nginx 1.22 limits, stated rather than hidden: client request headers named with anything but
//   letters, digits and "-" are dropped on arrival; $http_* reads only the first line of a repeated
//   header, so a header match or an "add" sees that first line only; TRACE and CONNECT never route.

import { hostnameCovers, hostnameMatches, hostnameSpecificity, isWildcard } from "../../routing/hostname";
import { GatewayPlan, ListenerPlan, PlanBackend, PlanFilters, PlanMirror, PlanRule } from "../../routing/plan";
import { GATEWAY_ANSWER_HEADERS, replacePrefix, trimOws } from "../../routing/simulate";
import { DATA_PLANE_HEADERS } from "../../routing/validate";
import { HTTPHeaderFilter, HTTPPathModifier } from "../../routing/types";
import { pathPolicyLines, REFUSE_LINE } from "./paths";
import {
    NginxRenderError, durationMs, escapeValueBody, headerVar, isPrintableAscii, isSafeHeaderToken, isSafeHostname,
    isVariableHeaderName, jsRegexToPcre, quoteLiteral, quoteValue, regexEscape,
} from "./escape";
import { defaultWorkerUser } from "./worker-user";

export { NginxRenderError } from "./escape";

export interface TlsMaterial { certificate: string; privateKey: string }
export interface RenderOptions {
    /** Absolute instance prefix dir (config paths point inside it). */
    dir: string;
    /** Opaque id of this config version, served by the control endpoint. */
    generation: string;
    /** Defaults to "127.0.0.1". */
    listenAddress?: string;
    /** Key "namespace/name" of a listener certificateRef. */
    certificates?: Record<string, TlsMaterial>;
    /** Defaults to 1. */
    workerProcesses?: number;
    /** `user` directive ("user" or "user group"); by default an unprivileged account when rendering as root (worker-user.ts), else none. */
    user?: string;
    /**
     * `reuseport` on every port's listening socket (default off here; the nginx provider turns it on),
     * so a replacement instance can bind the same ports while the old one still serves.
     */
    reusePort?: boolean;
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

// ---------------------------------------------------------------- shared http-level state

class Http {
    readonly lines: string[] = [];
    readonly warnings: string[] = [];
    private conds = new Map<string, string>();
    private queries = new Map<string, string>();
    private upstreams = new Map<string, string>();
    private maps = new Map<string, string>();
    private splits = new Map<string, string>();
    private warned = new Set<string>();

    warn(message: string): void {
        if (!this.warned.has(message)) { this.warned.add(message); this.warnings.push(message); }
    }
    private n = 0;

    next(prefix: string): string {
        return `${prefix}${++this.n}`;
    }

    /**
     * A "0"/"1" flag variable for one condition, shared by every rule that tests it. nginx never tries a
     * map's regexes on an empty source, so `matchesEmpty` (the condition holds for "") adds that key.
     */
    cond(key: string, source: string, pcre: string, matchesEmpty = false): string {
        let v = this.conds.get(key);
        if (!v) {
            v = this.next("gk_c");
            this.lines.push(`map ${source} $${v} {`, ...(matchesEmpty ? ["    \"\" 1;"] : []), `    ${quoteLiteral("~^(?:" + pcre + ")$")} 1;`, "    default 0;", "}");
            this.conds.set(key, v);
        }
        return v;
    }

    /**
     * Query parameter `name` (raw, case-sensitive), first occurrence: a "0"/"1" presence flag and a
     * variable holding its raw value ("" when absent or empty). The value is tested on its own, so a
     * user's "^" anchors at the value's start.
     */
    query(name: string): { present: string; value: string } {
        let v = this.queries.get(name);
        if (!v) {
            v = this.next("gk_q");
            const at = "(?:^|&)" + regexEscape(name);
            this.lines.push(`map $args $${v}p {`, `    ${quoteLiteral("~" + at + "(?:[=&]|$)")} 1;`, "    default 0;", "}");
            this.lines.push(`map $args $${v} {`, `    ${quoteLiteral("~" + at + "(?:=([^&]*))?(?:&|$)")} $1;`, `    default "";`, "}");
            this.queries.set(name, v);
        }
        return { present: v + "p", value: v };
    }

    upstream(b: { service: string; port?: number; endpoints: { address: string; port?: number }[] }, where: string): string {
        const servers = b.endpoints.map(e => {
            const port = e.port ?? b.port ?? 80;
            let addr = e.address;
            if (addr.includes(":") && !addr.startsWith("[")) addr = `[${addr}]`;
            if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/.test(addr)) {
                throw new NginxRenderError(`${where}: endpoint address ${JSON.stringify(e.address)} of ${b.service} is not an IP address or hostname nginx can use`);
            }
            if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NginxRenderError(`${where}: endpoint port ${port} of ${b.service} is not 1–65535`);
            return `${addr}:${port}`;
        });
        const key = servers.join(" ");
        let name = this.upstreams.get(key);
        if (!name) {
            name = this.next("gk_u");
            this.lines.push(`# ${comment(b.service)}`, `upstream ${name} {`, ...servers.map(s => `    server ${s};`), "    keepalive 32;", "}");
            this.upstreams.set(key, name);
        }
        return name;
    }

    /** A variable holding `value` split over weights, per request. `entries` are [units of 0.01%, outcome]. */
    split(key: string, entries: [number, string][]): string {
        const memo = JSON.stringify([key, entries]);
        const known = this.splits.get(memo);
        if (known) return known;
        const v = this.next("gk_s");
        this.splits.set(memo, v);
        const body = entries.map(([units, out], i) => i === entries.length - 1
            ? `    * ${quoteLiteral(out)};`
            : `    ${(units / 100).toFixed(2)}% ${quoteLiteral(out)};`);
        this.lines.push(`split_clients "\${request_id}${key}" $${v} {`, ...body, "}");
        return v;
    }

    map(source: string, entries: [string, string][], dflt: string): string {
        const key = JSON.stringify([source, entries, dflt]);
        const known = this.maps.get(key);
        if (known) return known;
        const v = this.next("gk_m");
        this.maps.set(key, v);
        this.lines.push(`map ${source} $${v} {`, ...entries.map(([k, val]) => `    ${k} ${val};`), `    default ${dflt};`, "}");
        return v;
    }
}

function comment(s: string): string {
    return s.replace(/[^A-Za-z0-9._\/:@ -]/g, "?");
}

// ---------------------------------------------------------------- entry point

export function renderNginx(plan: GatewayPlan, opts: RenderOptions): RenderedConfig {
    const dir = opts.dir.replace(/\/+$/, "");
    if (!/^\/[A-Za-z0-9._\/+-]*$/.test(dir)) throw new NginxRenderError(`renderNginx: dir ${JSON.stringify(opts.dir)} must be an absolute path of letters, digits and ._/+-`);
    if (`${dir}/${CONTROL_SOCKET}`.length > 107) throw new NginxRenderError(`renderNginx: dir ${JSON.stringify(dir)} is too long for a unix socket path (${dir}/${CONTROL_SOCKET} must be under 108 bytes); use a shorter directory`);
    const addr = opts.listenAddress ?? "127.0.0.1";
    if (!/^([0-9.]+|\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:]*|[A-Za-z0-9.-]+|\*)$/.test(addr)) {
        throw new NginxRenderError(`renderNginx: listenAddress ${JSON.stringify(addr)} is not an IP address or hostname`);
    }
    const listenHost = addr.includes(":") && !addr.startsWith("[") ? `[${addr}]` : addr;
    const http = new Http();
    const files: RenderedFile[] = [];
    const servers: string[] = [];
    const ports = [...new Set(plan.listeners.map(l => l.port))].sort((a, b) => a - b);
    const reuse = opts.reusePort ? " reuseport" : "";

    const ruleNumbers = new Map<PlanRule, number>();
    let ruleCounter = 0;
    for (const l of plan.listeners) for (const r of l.rules) ruleNumbers.set(r, ++ruleCounter);
    const renderedRules = new Map<PlanRule, RuleOutcomes>();

    for (const port of ports) {
        const onPort = plan.listeners.filter(l => l.port === port);
        const protocols = new Set(onPort.map(l => l.protocol));
        if (protocols.size > 1) {
            throw new NginxRenderError(`Gateway ${plan.gateway}: port ${port} has both HTTP and HTTPS listeners (${onPort.map(l => l.name).join(", ")}); nginx cannot serve both on one port — use separate ports`);
        }
        const tls = onPort[0].protocol === "HTTPS";
        const used = new Set<string>();
        let hasDefault = false;
        for (const l of onPort) {
            const certLines = tls ? certificates(plan, l, dir, opts, files) : [];
            const listen = `listen ${listenHost}:${port}${tls ? " ssl" : ""}`;
            for (const cls of hostClasses(l, onPort)) {
                const name = cls.name ?? "";
                if (used.has(name)) continue; // a conflicted duplicate listener: the first one wins, as in simulate
                used.add(name);
                if (cls.name !== undefined && !isSafeHostname(cls.name)) {
                    throw new NginxRenderError(`Gateway ${plan.gateway} listener ${l.name}: hostname ${JSON.stringify(cls.name)} is not a valid DNS name or "*." wildcard`);
                }
                const isDefault = cls.name === undefined;
                if (isDefault) hasDefault = true;
                // Socket options (reuseport) may appear once per address:port: on the default_server line.
                servers.push(serverBlock(http, plan, l, cls, `${listen}${isDefault ? " default_server" + reuse : ""}`, certLines, ruleNumbers, renderedRules));
            }
        }
        if (!hasDefault) {
            // No listener without a hostname: unknown hosts get 404 (HTTP) or a refused handshake (HTTPS).
            servers.push([
                "server {",
                `    ${listen(listenHost, port, tls)} default_server${reuse};`,
                "    server_name \"\";",
                ...(tls ? ["    ssl_reject_handshake on;"] : []),
                `    ${REFUSE_LINE}`,
                "    location / { return 404; }",
                "}",
            ].join("\n"));
        }
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
        "    map_hash_max_size 65536;",
        "    map_hash_bucket_size 128;",
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
        ...http.lines.map(s => "    " + s),
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
    return { files, mainFile: MAIN_FILE, ports, warnings: http.warnings };
}

/**
 * Why nginx would refuse `plan`, or undefined: the renderer's own refusals (NginxRenderError), found by
 * rendering with placeholder certificates. Run at preview, before any file exists, so nothing that
 * nginx -t or the renderer would reject reaches an update.
 */
export function nginxRefusal(plan: GatewayPlan, opts: Pick<RenderOptions, "dir" | "listenAddress">): string | undefined {
    const certificates: Record<string, TlsMaterial> = {};
    for (const l of plan.listeners) {
        for (const ref of l.tls?.certificateRefs ?? []) certificates[`${ref.namespace ?? plan.namespace}/${ref.name}`] = { certificate: "", privateKey: "" };
    }
    try {
        renderNginx(plan, { ...opts, generation: "check", certificates });
        return undefined;
    } catch (e) {
        if (e instanceof NginxRenderError) return e.message;
        throw e;
    }
}

function listen(host: string, port: number, tls: boolean): string {
    return `listen ${host}:${port}${tls ? " ssl" : ""}`;
}

function certificates(plan: GatewayPlan, l: ListenerPlan, dir: string, opts: RenderOptions, files: RenderedFile[]): string[] {
    const refs = l.tls?.certificateRefs ?? [];
    if (refs.length === 0) throw new NginxRenderError(`Gateway ${plan.gateway} listener ${l.name}: an HTTPS listener needs tls.certificateRefs`);
    const out: string[] = [];
    refs.forEach((ref, i) => {
        const key = `${ref.namespace ?? plan.namespace}/${ref.name}`;
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

function safeFileName(s: string): string {
    return s.replace(/[^A-Za-z0-9._-]/g, "_");
}

// ---------------------------------------------------------------- hostname classes

interface HostClass {
    /** server_name; undefined for the port's default server. */
    name?: string;
    /** Candidate rules for hosts of this class, in plan (precedence) order. */
    rules: PlanRule[];
}

function moreSpecific(a: string | undefined, b: string | undefined): boolean {
    const ka = hostnameSpecificity(a), kb = hostnameSpecificity(b);
    return ka[0] - kb[0] > 0 || (ka[0] === kb[0] && ka[1] > kb[1]);
}

/** Does a rule hostname serve every host of class `cls`? (cls precise: matches it; cls wildcard: covers it.) */
function serves(ruleHost: string | undefined, cls: string | undefined): boolean {
    if (ruleHost === undefined) return true;
    if (cls === undefined) return false;
    return isWildcard(cls) ? ruleHost === cls || hostnameCovers(ruleHost, cls) : hostnameMatches(ruleHost, cls);
}

function hostClasses(l: ListenerPlan, onPort: ListenerPlan[]): HostClass[] {
    const names: (string | undefined)[] = [l.hostname];
    for (const r of l.rules) {
        const h = r.hostname;
        if (h === undefined || names.includes(h)) continue;
        // A more specific listener that covers this hostname takes all of its hosts.
        if (onPort.some(o => o !== l && o.hostname !== undefined && hostnameCovers(o.hostname, h) && moreSpecific(o.hostname, l.hostname))) continue;
        names.push(h);
    }
    return names.map(name => ({ name, rules: l.rules.filter(r => serves(r.hostname, name)) }));
}

// ---------------------------------------------------------------- per server block

interface RuleOutcomes {
    /** The map value for this rule: an outcome name, possibly through a split variable. */
    value: string;
    /** Named locations: name → body lines. */
    locations: [string, string[]][];
    /** Internal URI locations (mirrors): uri → body lines. */
    mirrors: [string, string[]][];
}

function serverBlock(
    http: Http, plan: GatewayPlan, l: ListenerPlan, cls: HostClass, listenLine: string, certLines: string[],
    numbers: Map<PlanRule, number>, rendered: Map<PlanRule, RuleOutcomes>,
): string {
    const flagVars: string[] = [];
    const keyed: { rule: PlanRule; flags: Set<string>; path: string }[] = [];
    for (const rule of cls.rules) {
        const m = matchPattern(http, plan, l, rule);
        for (const v of m.flags) if (!flagVars.includes(v)) flagVars.push(v);
        keyed.push({ rule, flags: new Set(m.flags), path: m.path });
    }
    const entries: [string, string][] = [];
    const locations: string[] = [];
    const mirrorLocs: string[] = [];
    for (const k of keyed) {
        let out = rendered.get(k.rule);
        if (!out) {
            out = ruleOutcomes(http, plan, l, k.rule, numbers.get(k.rule)!);
            rendered.set(k.rule, out);
        }
        const flags = flagVars.map(v => (k.flags.has(v) ? "1" : ".")).join("");
        entries.push([quoteLiteral(`~^${flags} ${k.path}`), `"${out.value}"`]);
        for (const [name, body] of out.locations) locations.push(`    location @${name} {`, ...body.map(b => "        " + b), "    }");
        for (const [uri, body] of out.mirrors) mirrorLocs.push(`    location = ${uri} {`, ...body.map(b => "        " + b), "    }");
    }
    const source = `"${flagVars.map(v => "${" + v + "}").join("")} \${gk_path}"`;
    const ruleVar = entries.length ? http.map(source, entries, "\"gk_404\"") : undefined;
    const serverName = cls.name === undefined ? "\"\"" : cls.name;
    return [
        `# listener ${comment(l.name)} (port ${l.port}), hosts ${cls.name === undefined ? "(any)" : comment(cls.name)}: ${cls.rules.length} rule(s)`,
        "server {",
        `    ${listenLine};`,
        `    server_name ${serverName};`,
        ...certLines.map(c => "    " + c),
        `    ${REFUSE_LINE}`,
        ...(ruleVar
            ? [`    location / { error_page 418 = @$${ruleVar}; return 418; }`, `    location @gk_dispatch { error_page 418 = @$${ruleVar}; return 418; }`]
            : ["    location / { return 404; }", "    location @gk_dispatch { return 404; }"]),
        "    location @gk_404 { return 404; }",
        ...locations,
        ...mirrorLocs,
        "}",
    ].join("\n");
}

function where(rule: PlanRule): string {
    return `HTTPRoute ${rule.route} rule ${rule.ruleIndex}${rule.ruleName ? ` (${rule.ruleName})` : ""}`;
}

/** The condition flags a rule needs and the anchored pattern for the raw path. */
function matchPattern(http: Http, plan: GatewayPlan, l: ListenerPlan, rule: PlanRule): { flags: string[]; path: string } {
    const m = rule.match;
    const at = `${where(rule)}: spec.rules[${rule.ruleIndex}].matches[${rule.matchIndex}]`;
    const flags: string[] = [];
    let path: string;
    const pv = m.path.value;
    if (m.path.type !== "RegularExpression" && (!isPrintableAscii(pv) || /\s/.test(pv))) {
        throw new NginxRenderError(`${at}.path.value: ${JSON.stringify(pv)} must be printable ASCII without spaces for the nginx adapter`);
    }
    if (m.path.type === "Exact") {
        path = regexEscape(pv) + "$";
    } else if (m.path.type === "PathPrefix") {
        path = regexEscape(pv.endsWith("/") ? pv.slice(0, -1) : pv) + "(?:/|$)";
    } else {
        flags.push(http.cond(`path|${pv}`, "$gk_path", pcre(pv, `${at}.path.value`)));
        path = "";
    }
    if (m.method !== undefined) {
        if (!/^[A-Z]+$/.test(m.method)) throw new NginxRenderError(`${at}.method: ${JSON.stringify(m.method)} is not an HTTP method`);
        // nginx answers TRACE (405) and CONNECT (since 1.21.1: an error) itself, before any location runs.
        if (m.method === "TRACE" || m.method === "CONNECT") throw new NginxRenderError(`${at}.method: nginx answers ${m.method} requests itself with an error and cannot route them; remove the ${m.method} match`);
        flags.push(http.cond(`method|${m.method}`, "$request_method", m.method));
    }
    const seenH = new Set<string>();
    m.headers.forEach((h, i) => {
        const name = h.name.toLowerCase();
        if (seenH.has(name)) return; // only the first matcher for a name counts (simulate does the same)
        seenH.add(name);
        if (!isVariableHeaderName(h.name)) {
            throw new NginxRenderError(`${at}.headers[${i}].name: ${JSON.stringify(h.name)} cannot be matched by nginx, which only reads headers named with letters, digits and "-"`);
        }
        const value = valuePattern(h.type, h.value, `${at}.headers[${i}].value`);
        // "(?=[\\x00-\\xff])": nginx reads an absent header as "", so an empty value matches nothing (as in simulate).
        flags.push(http.cond(`header|${name}|${h.type}|${h.value}`, `$http_${headerVar(name)}`, "(?=[\\x00-\\xff])(?:" + value + ")"));
    });
    const seenQ = new Set<string>();
    m.queryParams.forEach((q, i) => {
        if (seenQ.has(q.name)) return;
        seenQ.add(q.name);
        if (!isPrintableAscii(q.name) || /[\s&=#]/.test(q.name)) {
            throw new NginxRenderError(`${at}.queryParams[${i}].name: ${JSON.stringify(q.name)} must be printable ASCII without spaces, "&", "=" or "#"`);
        }
        const value = valuePattern(q.type, q.value, `${at}.queryParams[${i}].value`);
        const qv = http.query(q.name);
        const matchesEmpty = q.type === "RegularExpression" ? new RegExp(`^(?:${q.value})$`).test("") : q.value === "";
        flags.push(qv.present, http.cond(`query|${q.name}|${q.type}|${q.value}`, "$" + qv.value, value, matchesEmpty));
    });
    return { flags, path };
}

function valuePattern(type: string, value: string, field: string): string {
    if (type === "RegularExpression") return pcre(value, field);
    if (!isPrintableAscii(value)) throw new NginxRenderError(`${field}: ${JSON.stringify(value)} must be printable ASCII for the nginx adapter`);
    return regexEscape(value);
}

function pcre(js: string, field: string): string {
    try {
        return jsRegexToPcre(js);
    } catch (e) {
        throw new NginxRenderError(`${field}: the regular expression ${JSON.stringify(js)} ${(e as Error).message}; nginx cannot run it with the same meaning, so rewrite it with plain classes, groups, alternation and quantifiers`);
    }
}

// ---------------------------------------------------------------- outcomes of a matched rule

/** Symbolic state of one header while filters apply: the client's value, absent, a literal, or the client's value with literals appended. */
type HeaderState = { kind: "orig" } | { kind: "absent" } | { kind: "literal"; value: string } | { kind: "append"; value: string };

interface HeaderEntry { name: string; state: HeaderState }

/** Response headers nginx writes itself (a second copy would follow its own), on top of DATA_PLANE_HEADERS. */
export const NGINX_RESPONSE_HEADERS: readonly string[] = ["date", "server"];

function applyHeaderOps(states: Map<string, HeaderEntry>, f: HTTPHeaderFilter | undefined, field: string, direction: "request" | "response"): void {
    if (!f) return;
    const get = (name: string): HeaderEntry => {
        const k = name.toLowerCase();
        let e = states.get(k);
        // nginx drops client request headers whose names are not letters, digits and "-" (underscores
        // included), so such a request header starts absent.
        if (!e) { e = { name, state: direction === "request" && !isVariableHeaderName(name) ? { kind: "absent" } : { kind: "orig" } }; states.set(k, e); }
        return e;
    };
    const check = (name: string, what: string) => {
        if (!isSafeHeaderToken(name)) throw new NginxRenderError(`${field}.${what}: header name ${JSON.stringify(name)} must be an HTTP token (letters, digits, !#%&'*+.^_\`|~-)`);
        const lower = name.toLowerCase();
        if (DATA_PLANE_HEADERS.includes(lower) || (direction === "response" && NGINX_RESPONSE_HEADERS.includes(lower))) {
            throw new NginxRenderError(`${field}.${what}: header ${JSON.stringify(name)} is owned by the data plane (${[...DATA_PLANE_HEADERS, ...(direction === "response" ? NGINX_RESPONSE_HEADERS : [])].join(", ")}) and cannot be changed by a route`);
        }
    };
    const value = (v: string, what: string): string => {
        if (!isPrintableAscii(v)) throw new NginxRenderError(`${field}.${what}: header value ${JSON.stringify(v)} must be printable ASCII for the nginx adapter`);
        const t = trimOws(v); // what reaches the other side: HTTP parsers strip surrounding spaces (simulate does too)
        if (t === "") throw new NginxRenderError(`${field}.${what}: header value ${JSON.stringify(v)} is empty once its surrounding spaces are stripped, and nginx does not send empty headers; give a value or use remove`);
        return t;
    };
    for (const n of f.remove ?? []) { check(n, "remove"); get(n).state = { kind: "absent" }; }
    for (const h of f.set ?? []) { check(h.name, "set"); get(h.name).state = { kind: "literal", value: value(h.value, "set") }; }
    for (const h of f.add ?? []) {
        check(h.name, "add");
        const v = value(h.value, "add");
        const e = get(h.name);
        const s = e.state;
        e.state = s.kind === "absent" ? { kind: "literal", value: v }
            : s.kind === "literal" ? { kind: "literal", value: `${s.value},${v}` }
            : s.kind === "orig" ? { kind: "append", value: v }
            : { kind: "append", value: `${s.value},${v}` };
    }
}

/** nginx value expression for a header state; `origVar` reads the current value (e.g. http_x_foo). */
function headerExpr(http: Http, e: HeaderEntry, origVar: string | undefined, field: string): string | undefined {
    const s = e.state;
    if (s.kind === "orig") return undefined;
    if (s.kind === "absent") return "\"\"";
    if (s.kind === "literal") return quoteValue(s.value);
    if (!origVar) throw new NginxRenderError(`${field}: cannot append to header ${JSON.stringify(e.name)}: nginx only reads headers named with letters, digits and "-"`);
    if (origVar.startsWith("http_")) {
        http.warn(`${field}: add to ${e.name}: nginx 1.22 reads only the first line of a request header the client repeats, so the value is appended to that first line (nginx 1.23+ joins every line)`);
    }
    const v = http.map(`$${origVar}`, [["\"\"", quoteValue(s.value)]], `"\${${origVar}},${escapeValueBody(s.value)}"`);
    return `$${v}`;
}

interface PathState { kind: "orig" | "literal" | "var"; value: string }

function applyPathMod(http: Http, p: PathState, mod: HTTPPathModifier | undefined, rule: PlanRule, field: string): PathState {
    if (!mod) return p;
    const check = (v: string) => {
        if (!isPrintableAscii(v) || /[\s?#]/.test(v)) throw new NginxRenderError(`${field}: path ${JSON.stringify(v)} must be printable ASCII without spaces, "?" or "#"`);
        // Anything else would be glued onto the upstream name or host before it (another team's upstream).
        if (!v.startsWith("/")) throw new NginxRenderError(`${field}: path ${JSON.stringify(v)} must start with "/"`);
        return v;
    };
    if (mod.type === "ReplaceFullPath") return { kind: "literal", value: check(mod.replaceFullPath ?? p.value) };
    const replacement = check(mod.replacePrefixMatch ?? "/");
    if (rule.match.path.type !== "PathPrefix") return { kind: "literal", value: replacement };
    if (p.kind === "literal") return { kind: "literal", value: replacePrefix(p.value, rule.match.path.value, replacement) };
    if (p.kind === "var") throw new NginxRenderError(`${field}: a ReplacePrefixMatch on top of another ReplacePrefixMatch (rule and backend) is not supported by the nginx adapter`);
    // Same table as simulate's replacePrefix: prefix and replacement lose a trailing "/", "" becomes "/".
    const prefix = rule.match.path.value.replace(/\/$/, "");
    const repl = replacement.replace(/\/$/, "");
    const v = http.map("$gk_path", [
        [quoteLiteral(`~^${regexEscape(prefix)}$`), quoteValue(repl === "" ? "/" : repl)],
        [quoteLiteral(`~^${regexEscape(prefix)}(/.*)$`), `"${escapeValueBody(repl)}$1"`], // "$1" ends the value: no name can follow it
    ], "$gk_path");
    return { kind: "var", value: v };
}

/** The path inside a quoted value; variables are always braced, so no following text extends their names. */
function pathExpr(p: PathState): string {
    if (p.kind === "orig") return "${gk_path}";
    if (p.kind === "var") return "${" + p.value + "}";
    return escapeValueBody(p.value);
}

function ruleOutcomes(http: Http, plan: GatewayPlan, l: ListenerPlan, rule: PlanRule, n: number): RuleOutcomes {
    const f = rule.filters;
    const at = `${where(rule)}: spec.rules[${rule.ruleIndex}]`;
    const locations: [string, string[]][] = [];
    const mirrors: [string, string[]][] = [];
    const resp = new Map<string, HeaderEntry>();
    applyHeaderOps(resp, f.responseHeaderModifier, `${at}.filters.responseHeaderModifier`, "response");

    if (f.requestRedirect) {
        const rd = f.requestRedirect;
        const code = rd.statusCode ?? 302;
        if (![301, 302, 303, 307, 308].includes(code)) throw new NginxRenderError(`${at}.filters.requestRedirect.statusCode: ${code} is not 301, 302, 303, 307 or 308`);
        const scheme = rd.scheme ?? (l.protocol === "HTTPS" ? "https" : "http");
        if (scheme !== "http" && scheme !== "https") throw new NginxRenderError(`${at}.filters.requestRedirect.scheme: must be http or https`);
        const port = rd.port ?? (rd.scheme ? (rd.scheme === "https" ? 443 : 80) : l.port);
        const omitPort = (scheme === "http" && port === 80) || (scheme === "https" && port === 443);
        if (rd.hostname !== undefined && !isSafeHostname(rd.hostname)) throw new NginxRenderError(`${at}.filters.requestRedirect.hostname: ${JSON.stringify(rd.hostname)} is not a valid hostname`);
        const path = applyPathMod(http, { kind: "orig", value: "" }, rd.path, rule, `${at}.filters.requestRedirect.path`);
        const loc = `"${scheme}://${rd.hostname ?? "${host}"}${omitPort ? "" : ":" + port}${pathExpr(path)}\${is_args}\${args}"`;
        const name = `r${n}_redirect`;
        locations.push([name, [...responseLines(http, resp, at, false), `return ${code} ${loc};`]]);
        return { value: name, locations, mirrors };
    }

    let total = 0;
    for (const b of rule.backends) total += b.weight;
    const live = rule.backends.map((b, i) => ({ b, i })).filter(x => x.b.weight > 0);
    if (total <= 0) {
        const name = `r${n}_none`;
        locations.push([name, [...responseLines(http, resp, at, false), "return 500;"]]);
        return { value: name, locations, mirrors };
    }
    const ruleMirrors = f.requestMirrors;
    for (const { b, i } of live) {
        const name = `r${n}_b${i}`;
        const bAt = `${at}.backendRefs[${i}]`;
        locations.push([name, backendLocation(http, plan, l, rule, b, n, i, resp, ruleMirrors, mirrors, at, bAt)]);
    }
    if (live.length === 1) return { value: `r${n}_b${live[0].i}`, locations, mirrors };
    // Largest-remainder rounding to split_clients' 0.01% granularity.
    const exact = live.map(x => (x.b.weight / total) * 10000);
    const units = exact.map(Math.floor);
    let rest = 10000 - units.reduce((a, b) => a + b, 0);
    const order = exact.map((e, i) => ({ i, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac);
    for (const o of order) { if (rest <= 0) break; units[o.i]++; rest--; }
    if (exact.some((e, i) => Math.abs(e - units[i]) > 1e-9)) {
        http.warn(`${where(rule)}: weights ${live.map(x => x.b.weight).join("/")} rounded to ${units.map(u => (u / 100).toFixed(2) + "%").join("/")} (nginx split_clients has 0.01% granularity)`);
    }
    const entries: [number, string][] = [];
    live.forEach((x, j) => { if (units[j] > 0) entries.push([units[j], `b${x.i}`]); });
    const v = http.split(`r${n}`, entries);
    return { value: `r${n}_\${${v}}`, locations, mirrors };
}

function responseLines(http: Http, resp: Map<string, HeaderEntry>, at: string, proxied: boolean): string[] {
    const out: string[] = [];
    for (const [k, e] of resp) {
        if (e.state.kind === "orig") continue;
        // An answer nginx writes itself keeps its own Content-Type and Location (as simulate says).
        if (!proxied && GATEWAY_ANSWER_HEADERS.includes(k)) continue;
        if (proxied) out.push(`proxy_hide_header ${quoteLiteral(e.name)};`);
        const expr = headerExpr(http, e, isVariableHeaderName(e.name) ? `upstream_http_${headerVar(k)}` : undefined, `${at}.filters.responseHeaderModifier`);
        if (expr !== undefined && expr !== "\"\"") out.push(`add_header ${quoteLiteral(e.name)} ${expr} always;`);
    }
    return out;
}

function backendLocation(
    http: Http, plan: GatewayPlan, l: ListenerPlan, rule: PlanRule, b: PlanBackend, n: number, i: number,
    ruleResp: Map<string, HeaderEntry>, ruleMirrors: PlanMirror[], mirrorOut: [string, string[]][], at: string, bAt: string,
): string[] {
    const f = rule.filters;
    const bf: PlanFilters = b.filters;
    if (b.invalidReason) return [`# ${b.invalidReason}: ${comment(b.service)}`, ...responseLines(http, ruleResp, at, false), "return 500;"];

    // Response headers: the rule's changes, then the backend's own.
    const resp = new Map<string, HeaderEntry>();
    for (const [k, e] of ruleResp) resp.set(k, { name: e.name, state: e.state });
    applyHeaderOps(resp, bf.responseHeaderModifier, `${bAt}.filters.responseHeaderModifier`, "response");

    if (b.endpoints.length === 0) {
        http.warn(`${where(rule)}: backend ${b.service} has no endpoints; its share answers 503`);
        return [`# no endpoints: ${comment(b.service)}`, ...responseLines(http, resp, at, false), "return 503;"];
    }

    // Request: rule header changes, rule rewrite, then the backend's header changes and rewrite.
    const client = clientRequest();
    const ruleReq = applyRequestFilters(http, client, f, rule, at, { headers: true, rewrite: true });
    const req = applyRequestFilters(http, ruleReq, bf, rule, bAt, { headers: true, rewrite: true });

    const up = http.upstream(b, bAt);
    const lines: string[] = [`# ${comment(b.service)}`];
    lines.push(...responseLines(http, resp, at, true));
    const timeouts = rule.timeouts;
    const t = timeouts?.backendRequest ?? timeouts?.request;
    if (t !== undefined) {
        const ms = durationMs(t);
        if (ms === undefined) throw new NginxRenderError(`${at}.timeouts: ${JSON.stringify(t)} is not a Gateway API duration`);
        if (ms > 0) lines.push(`proxy_connect_timeout ${ms}ms;`, `proxy_send_timeout ${ms}ms;`, `proxy_read_timeout ${ms}ms;`);
    }
    // Mirrors: the rule's, then the backend's own; unresolved targets are dropped as the spec says.
    // Each copy carries the filters listed before its mirror filter (filters apply in order).
    [...ruleMirrors.map((m, j) => ({ m, id: `${n}_${j}`, field: `${at}.filters.requestMirror`, before: client, filters: f })),
        ...bf.requestMirrors.map((m, j) => ({ m, id: `${n}_b${i}_${j}`, field: `${bAt}.filters.requestMirror`, before: ruleReq, filters: bf }))]
        .forEach(({ m, id, field, before, filters }) => {
            if (m.service === undefined || m.invalidReason || m.endpoints.length === 0 || m.percent <= 0) return;
            const uri = `/_gk_mirror_${id}`;
            lines.push(`mirror ${uri};`);
            if (mirrorOut.some(([u]) => u === uri)) return;
            const after = m.after ?? [];
            const copy = applyRequestFilters(http, before, filters, rule, field, { headers: after.includes("RequestHeaderModifier"), rewrite: after.includes("URLRewrite") });
            mirrorOut.push([uri, mirrorLocation(http, m, id, copy, field, rule)]);
        });
    lines.push(...forwardLines(http, req, up, at));
    return lines;
}

/** A request on its way to a backend, as the filters applied so far left it (immutable: each step copies). */
interface ForwardRequest { headers: Map<string, HeaderEntry>; path: PathState }

function clientRequest(): ForwardRequest {
    return { headers: new Map([["host", { name: "Host", state: { kind: "orig" } }]]), path: { kind: "orig", value: "" } };
}

function applyRequestFilters(http: Http, r: ForwardRequest, f: PlanFilters, rule: PlanRule, at: string, which: { headers: boolean; rewrite: boolean }): ForwardRequest {
    const headers = new Map<string, HeaderEntry>();
    for (const [k, e] of r.headers) headers.set(k, { name: e.name, state: e.state });
    let path = r.path;
    if (which.headers) applyHeaderOps(headers, f.requestHeaderModifier, `${at}.filters.requestHeaderModifier`, "request");
    const rw = f.urlRewrite;
    if (which.rewrite && rw) {
        const field = `${at}.filters.urlRewrite`;
        if (rw.hostname !== undefined) {
            if (!isSafeHostname(rw.hostname)) throw new NginxRenderError(`${field}.hostname: ${JSON.stringify(rw.hostname)} is not a valid hostname`);
            headers.set("host", { name: "Host", state: { kind: "literal", value: rw.hostname } });
        }
        path = applyPathMod(http, path, rw.path, rule, `${field}.path`);
    }
    return { headers, path };
}

/** The directives that send `r` to upstream `up`: headers, then proxy_pass with the path and the raw query. */
function forwardLines(http: Http, r: ForwardRequest, up: string, at: string): string[] {
    const host = r.headers.get("host")!;
    const lines = [
        `proxy_set_header Host ${host.state.kind === "orig" ? "$http_host" : headerExpr(http, host, "http_host", `${at}.filters`)};`,
        "proxy_set_header Connection \"\";",
        // Hop-by-hop (simulate's HOP_BY_HOP_HEADERS): nginx already drops the others itself.
        "proxy_set_header Proxy-Connection \"\";",
    ];
    for (const [k, e] of r.headers) {
        if (k === "host" || k === "connection") continue;
        const expr = headerExpr(http, e, isVariableHeaderName(e.name) ? `http_${headerVar(k)}` : undefined, `${at}.filters.requestHeaderModifier`);
        if (expr !== undefined) lines.push(`proxy_set_header ${quoteLiteral(e.name)} ${expr};`);
    }
    lines.push("proxy_http_version 1.1;");
    // The upstream name is followed by "/" (paths are absolute) or a braced variable: never by text that extends it.
    // The backend receives the path the rules matched (the normal form), never the one sent.
    lines.push(`proxy_pass "http://${up}${pathExpr(r.path)}\${is_args}\${args}";`);
    return lines;
}

function mirrorLocation(http: Http, m: PlanMirror, id: string, r: ForwardRequest, field: string, rule: PlanRule): string[] {
    const up = http.upstream({ service: m.service!, port: m.port, endpoints: m.endpoints }, field);
    const lines = [
        "internal;",
        // A client asking for this URI directly is routed like any other request.
        "error_page 404 = @gk_dispatch;",
    ];
    if (m.percent < 100) {
        const units = Math.round(m.percent * 100);
        if (Math.abs(units - m.percent * 100) > 1e-9) http.warn(`${where(rule)}: mirror percent ${m.percent} rounded to ${(units / 100).toFixed(2)}% (nginx split_clients has 0.01% granularity)`);
        if (units <= 0) return [...lines, "return 204;"];
        const v = http.split(`m${id}`, [[units, "1"], [10000 - units, ""]]);
        lines.push(`if ($${v} = "") { return 204; }`);
    }
    lines.push(...forwardLines(http, r, up, field));
    return lines;
}
