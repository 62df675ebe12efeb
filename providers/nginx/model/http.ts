// The http-level declarations every server block shares: condition flags, query variables,
// upstreams, split_clients and value maps, each declared once and named by a counter (never by user
// text), so a user value can only ever be a map key or value, quoted.

import { PlanBackendTLS } from "../../../routing/plan";
import { NginxRenderError, quoteLiteral, regexEscape } from "./escape";

/** The Debian bundle of the system's trusted CAs (package ca-certificates): what wellKnownCACertificates "System" means here. */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** What the Service's upstream block carries beyond its servers. */
export interface UpstreamPolicy {
    /** Balancing directives, before keepalive (nginx requires that order). */
    balance: string[];
    /** Parameters of every `server` line (passive health). */
    serverParams: string;
    /** How many times each server line is written (a retry on a one-endpoint Service); absent: once. */
    copies?: number;
    /** The TLS identity its connections are made and verified with; absent: cleartext. */
    tls?: { hostname: string; caFile: string };
}

export class Http {
    readonly lines: string[] = [];
    readonly warnings: string[] = [];
    private conds = new Map<string, string>();
    private queries = new Map<string, string>();
    private upstreams = new Map<string, string>();
    private maps = new Map<string, string>();
    private splits = new Map<string, string>();
    private warned = new Set<string>();
    /** CA bundle files (relative to the instance dir) by content, for BackendTLSPolicy verification. */
    readonly caFiles = new Map<string, string>();

    /** `dir`: the instance's absolute prefix, where the files this config names are written. */
    constructor(private readonly dir = "") {}

    /**
     * The CA bundle file that verifies `tls`: the system's, or one file per distinct PEM bundle (its
     * caCertificateRefs concatenated in order), named by a counter.
     */
    caFile(tls: PlanBackendTLS): string {
        if (tls.ca.kind === "system") return SYSTEM_CA_BUNDLE;
        const content = tls.ca.pem.map(p => p.endsWith("\n") ? p : p + "\n").join("");
        let rel = this.caFiles.get(content);
        if (!rel) {
            rel = `tls/ca/backend-ca${this.caFiles.size + 1}.pem`;
            this.caFiles.set(content, rel);
        }
        return `${this.dir}/${rel}`;
    }

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

    /**
     * An upstream block for these endpoints; gRPC's are their own blocks (their keepalive connections
     * speak HTTP/2), and so are TLS ones per verified identity. Blocks are shared only by backends
     * with the same servers, flavour, TLS identity and policy directives (backendPolicies.ts).
     */
    upstream(b: { service: string; port?: number; endpoints: { address: string; port?: number }[] }, where: string, flavour: "http" | "grpc" = "http", policy?: UpstreamPolicy, primary?: number): string {
        // `primary`: the one endpoint this block sends to while it answers, the others `backup` (a Cookie session's block).
        const servers = b.endpoints.map((e, i) => {
            const port = e.port ?? b.port ?? 80;
            let addr = e.address;
            if (addr.includes(":") && !addr.startsWith("[")) addr = `[${addr}]`;
            if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/.test(addr)) {
                throw new NginxRenderError(`${where}: endpoint address ${JSON.stringify(e.address)} of ${b.service} is not an IP address or hostname nginx can use`);
            }
            if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NginxRenderError(`${where}: endpoint port ${port} of ${b.service} is not 1–65535`);
            return `${addr}:${port}${policy?.serverParams ?? ""}${primary !== undefined && i !== primary ? " backup" : ""}`;
        });
        // A retry on a one-endpoint Service: one line per try (backendPolicies.ts).
        if (policy?.copies) servers.splice(0, servers.length, ...Array.from({ length: policy.copies }, () => servers).flat());
        const tls = policy?.tls ? `tls ${policy.tls.hostname} ${policy.tls.caFile}` : "plain";
        const key = JSON.stringify([flavour, tls, servers, policy?.balance ?? []]);
        let name = this.upstreams.get(key);
        if (!name) {
            name = this.next("gk_u");
            this.lines.push(`# ${comment(b.service)}`, `upstream ${name} {`, ...(policy?.balance ?? []).map(l => `    ${l}`), ...servers.map(s => `    server ${s};`), "    keepalive 32;", "}");
            this.upstreams.set(key, name);
        }
        return name;
    }

    /**
     * A variable holding one outcome per request, split over weights: `entries` are [units of 0.01%,
     * outcome]. One split per distinct `salt` and entries, shared by every rule that splits alike (a
     * request matches one rule, so the rules need no independent draws); the salt keeps draws that
     * must be independent (a mirror's copy and the backend choice) apart.
     */
    split(salt: string, entries: [number, string][], source?: string): string {
        const key = salt;
        const memo = JSON.stringify([key, entries, source]);
        const known = this.splits.get(memo);
        if (known) return known;
        const v = this.next("gk_s");
        this.splits.set(memo, v);
        const body = entries.map(([units, out], i) => i === entries.length - 1
            ? `    * ${quoteLiteral(out)};`
            : `    ${(units / 100).toFixed(2)}% ${quoteLiteral(out)};`);
        this.lines.push(`split_clients "\${${source ? this.sessionKey(source) : "request_id"}}${key}" $${v} {`, ...body, "}");
        return v;
    }

    private sessionKeys = new Map<string, string>();
    /**
     * A variable holding `source`'s value, or the request id when it is empty: a hash or split key
     * that keeps one value together, and draws afresh for a request without one (rather than sending
     * every such request to one endpoint).
     */
    sessionKey(source: string): string {
        let v = this.sessionKeys.get(source);
        if (!v) {
            v = this.next("gk_sk");
            this.lines.push(`map $${source} $${v} {`, `    "" $request_id;`, `    default $${source};`, "}");
            this.sessionKeys.set(source, v);
        }
        return v;
    }

    private separators = new Map<string, string>();
    /** "," after a non-empty `$origVar`, else "": what an appended header value is joined with. */
    separator(origVar: string): string {
        let v = this.separators.get(origVar);
        if (!v) {
            v = this.next("gk_j");
            this.lines.push(`map $${origVar} $${v} {`, "    \"\" \"\";", "    default \",\";", "}");
            this.separators.set(origVar, v);
        }
        return v;
    }

    private rests = new Map<string, string>();
    /**
     * What $gk_path has after its first `depth` segments ("" or "/..."); `slashWhenEmpty`: "/" for "",
     * the result of replacing a prefix by "".
     */
    pathRest(depth: number, slashWhenEmpty: boolean): string {
        const key = `${depth}|${slashWhenEmpty}`;
        let v = this.rests.get(key);
        if (!v) {
            const rest = `gk_rest${depth}`;
            if (!this.rests.has(`${depth}|false`)) {
                this.lines.push(`map $gk_path $${rest} {`, `    ${quoteLiteral(`~^(?:/[^/]*){${depth}}(/.*)?$`)} $1;`, "    default \"\";", "}");
                this.rests.set(`${depth}|false`, rest);
            }
            v = rest;
            if (slashWhenEmpty) {
                v = `${rest}s`;
                this.lines.push(`map $${rest} $${v} {`, "    \"\" \"/\";", `    default $${rest};`, "}");
                this.rests.set(key, v);
            }
        }
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

/**
 * The values of the forwarding headers and the Upgrade relay. A client inside `trustedProxies` (CIDRs
 * or addresses: a load balancer in front) has its X-Forwarded-For appended to and its X-Forwarded-
 * Proto/Host/Port kept; anyone else's are replaced by what this hop saw, so a client cannot forge
 * its address to a backend.
 */
export function forwardingLines(trustedProxies: string[]): string[] {
    for (const t of trustedProxies) {
        if (!/^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-fA-F:]*:[0-9a-fA-F:.]*(\/\d{1,3})?)$/.test(t)) {
            throw new NginxRenderError(`parameters.nginx.trustedProxies: ${JSON.stringify(t)} is not an IPv4 or IPv6 address or CIDR (e.g. "10.0.0.0/8")`);
        }
    }
    // Hashed lookups only (no regex per request): the client's value when trusted and sent, else this hop's.
    const kept = (header: string, own: string, v: string) => [
        `map $http_${header} $${v}_in {`, `    "" ${own};`, `    default $http_${header};`, "}",
        `map $gk_trusted $${v} {`, `    1 $${v}_in;`, `    default ${own};`, "}",
    ];
    return [
        "geo $gk_trusted {", "    default 0;", ...trustedProxies.map(t => `    ${t} 1;`), "}",
        "map $gk_trusted $gk_xff {", "    1 $proxy_add_x_forwarded_for;", "    default $remote_addr;", "}",
        ...kept("x_forwarded_proto", "$scheme", "gk_xfproto"),
        ...kept("x_forwarded_host", "$http_host", "gk_xfhost"),
        ...kept("x_forwarded_port", "$server_port", "gk_xfport"),
        "map $http_upgrade $gk_upgrade {", "    \"\" \"\";", "    default upgrade;", "}",
    ];
}

export function comment(s: string): string {
    return s.replace(/[^A-Za-z0-9._\/:@ -]/g, "?");
}
