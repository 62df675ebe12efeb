// Backend policies on nginx: a Service's BackendTrafficPolicy and a rule's sessionPersistence become
// directives of the Service's upstream block; a BackendTLSPolicy becomes the TLS flavour of that block
// and proxy_ssl_* lines of the outcome's shape; a rule's retry becomes proxy_next_upstream lines.
//
// - An upstream block is shared only by backends whose servers, TLS identity and policy directives are
//   all the same (Http.upstream keys on all three), so two Services with different policies never
//   share one, and a keepalive connection verified for one hostname and CA is never reused for another.
// - nginx 1.22 verifies a backend's certificate against proxy_ssl_name, the same name it sends as SNI:
//   validation.hostname is both. subjectAltNames (a name other than the SNI) cannot be honoured, so the
//   adapter does not carry BackendTLSPolicySANValidation (providers/nginx/index.ts says why).
// - Open-source nginx has no sticky cookie (that is NGINX Plus's `sticky`), so a Cookie session is
//   built from maps: each endpoint gets an upstream block of its own (the others as `backup`, for
//   failover) and an id (a hash of Service, address and port: stable across reloads); the session
//   cookie's value picks the endpoint's block, and a request without a known id is given one endpoint
//   by a uniform draw and a Set-Cookie naming it. A Header session is a consistent hash on that header,
//   so requests carrying one value stay on one endpoint while the endpoints stay the same.
// - A retry reaches another endpoint of the same backendRef's Service (nginx retries within one
//   upstream block; each backendRef of a weighted rule is its own block), never another backendRef;
//   on a Service with one endpoint, that endpoint again (its server line is repeated per try).

import { createHash } from "crypto";
import { PlanBackend, PlanBackendTLS, PlanRule, PlanSessionPersistence } from "../../../routing/plan";
import { NginxRenderError, headerVar, isVariableHeaderName, quoteLiteral } from "./escape";
import type { Http, UpstreamPolicy } from "./http";
import { SYSTEM_CA_BUNDLE } from "./http";

export { SYSTEM_CA_BUNDLE };
export type { UpstreamPolicy };


/** The header a Header session reads when the policy names none. */
export const DEFAULT_SESSION_HEADER = "x-gatewaykit-session";
/** The cookie a Cookie session sets when the policy names none. */
export const DEFAULT_SESSION_COOKIE = "gk_session";

/** Chain depth proxy_ssl_verify accepts: a leaf, intermediates and the root of an ordinary private PKI. */
export const VERIFY_DEPTH = 4;


/**
 * The session key variable of `sp` (a Header session): $http_<name>. Only names nginx keeps on
 * arrival and can name as a variable — letters, digits and "-" — are accepted; "-" becomes "_" and
 * case folds, which is the header's own identity (header names are case-insensitive), so two names
 * share a variable only when they are the same header.
 */
export function sessionHeaderVar(sp: PlanSessionPersistence, at: string): string {
    if (sp.absoluteTimeoutMs !== undefined) {
        throw new NginxRenderError(`${at}.sessionPersistence.absoluteTimeout: a Header session on nginx is a stateless hash on the header, so nothing can end it after absoluteTimeout: remove absoluteTimeout (the session lasts as long as the client sends the same value), or use a Permanent Cookie session`);
    }
    const name = sp.sessionName ?? DEFAULT_SESSION_HEADER;
    if (!isVariableHeaderName(name)) {
        throw new NginxRenderError(`${at}.sessionPersistence.sessionName: ${JSON.stringify(name)} is not a header nginx can read: nginx drops request headers named with anything but letters, digits and "-" (so "_" and the other token characters are refused); rename the header, e.g. ${JSON.stringify(name.replace(/[^A-Za-z0-9-]/g, "-"))}`);
    }
    return `http_${headerVar(name)}`;
}

/**
 * The hash key of a ConsistentHash load balancer. Header: $http_<name> (as sessionHeaderVar). Cookie:
 * $cookie_<name>, which nginx can spell only for names of letters, digits and "_" (a variable name
 * stops at any other byte, and nginx compares cookie names case-insensitively: "Session" also reads a
 * cookie "session"). SourceIP: the client's address. A request without the header or cookie is
 * balanced per request (its key is the request id), not piled onto the endpoint of "".
 */
function hashKey(http: Http, b: PlanBackend, at: string): string {
    const ch = b.traffic!.loadBalancer!.consistentHash;
    const field = `${at}: BackendTrafficPolicy ${b.traffic!.policy} spec.loadBalancer.consistentHash`;
    switch (ch?.type) {
        case "Header": {
            const name = ch.header?.name ?? "";
            if (!isVariableHeaderName(name)) throw new NginxRenderError(`${field}.header.name: ${JSON.stringify(name)} is not a header nginx can read: nginx drops request headers named with anything but letters, digits and "-"; hash on a header named with those only`);
            return `$${http.sessionKey(`http_${headerVar(name)}`)}`;
        }
        case "Cookie": {
            const name = ch.cookie?.name ?? "";
            if (!/^[A-Za-z0-9_]+$/.test(name)) throw new NginxRenderError(`${field}.cookie.name: ${JSON.stringify(name)} cannot be read by nginx, which names a cookie as the variable $cookie_<name> and a variable name holds letters, digits and "_" only; hash on a cookie named with those only`);
            return `$${http.sessionKey(`cookie_${name}`)}`;
        }
        case "SourceIP":
            return "$remote_addr";
        default:
            throw new NginxRenderError(`${field}.type: ${JSON.stringify(ch?.type)} is not Header, Cookie or SourceIP`);
    }
}

/**
 * The upstream policy of backend `b` in `rule`. Session persistence (the rule's, else the Service
 * policy's) decides the balancing when present: a Header session hashes on its header, consistent,
 * so a key keeps its endpoint when others come and go; a Cookie session is stickyCookie's. Otherwise the policy's loadBalancer: RoundRobin (nginx's
 * default), LeastRequest (least_conn), Random (`random`: a uniform pick, not power-of-two choices, which
 * is closer to least request) or ConsistentHash.
 */
export function upstreamPolicy(http: Http, rule: PlanRule, b: PlanBackend, at: string): UpstreamPolicy {
    const t = b.traffic;
    const balance: string[] = [];
    const sp = rule.sessionPersistence ?? t?.sessionPersistence;
    if (sp?.type === "Header") {
        const where = rule.sessionPersistence ? at : `${at}: BackendTrafficPolicy ${t!.policy} spec`;
        balance.push(`hash $${http.sessionKey(sessionHeaderVar(sp, where))} consistent;`);
    } else if (sp?.type === "Cookie") {
        // stickyCookie's per-endpoint blocks carry the session; they balance nothing themselves.
    } else {
        switch (t?.loadBalancer?.type) {
            case undefined: case "RoundRobin": break;
            case "LeastRequest": balance.push("least_conn;"); break;
            case "Random": balance.push("random;"); break;
            case "ConsistentHash": balance.push(`hash ${hashKey(http, b, at)} consistent;`); break;
            default: throw new NginxRenderError(`${at}: BackendTrafficPolicy ${t!.policy} spec.loadBalancer.type ${JSON.stringify(t!.loadBalancer!.type)} is not RoundRobin, LeastRequest, Random or ConsistentHash`);
        }
    }
    if (t?.healthCheck?.active) {
        throw new NginxRenderError(`${at}: BackendTrafficPolicy ${t.policy} spec.healthCheck.active: ${NGINX_ACTIVE_HEALTH_REASON}`);
    }
    if (t?.retryConstraint) {
        throw new NginxRenderError(`${at}: BackendTrafficPolicy ${t.policy} spec.retryConstraint: nginx has no retry budget (it retries per request, up to proxy_next_upstream_tries): remove it, or use the kubernetes adapter with a controller that reads it`);
    }
    let serverParams = "";
    const passive = t?.healthCheck?.passive;
    if (passive) {
        const secs = Math.max(1, Math.ceil(passive.intervalMs / 1000));
        serverParams = ` max_fails=${passive.consecutiveFailures} fail_timeout=${secs}s`;
    }
    // nginx retries only on a server line the request has not tried, so a retry on a Service with one
    // endpoint writes that endpoint once per try (at most MAX_TRIES). max_fails=0: a lone server is
    // never ejected by nginx, and its copies must not be either (all copies down would answer 502).
    let copies: number | undefined;
    const distinct = new Set(b.endpoints.map(e => `${e.address}|${e.port ?? b.port}`)).size;
    if (rule.retry && distinct === 1 && sp?.type !== "Cookie") {
        copies = Math.min(MAX_TRIES, (rule.retry.attempts ?? 1) + 1);
        serverParams = " max_fails=0";
    }
    return { balance, serverParams, ...(copies && copies > 1 ? { copies } : {}), ...(b.tls ? { tls: { hostname: tlsIdentity(b.tls, at), caFile: http.caFile(b.tls) } } : {}) };
}

/** The name a TLS backend is reached and verified by (SNI and proxy_ssl_name), or the refusal of what nginx cannot verify. */
export function tlsIdentity(tls: PlanBackendTLS, at: string): string {
    // validate.ts already requires a lower-case DNS name; checked again because it reaches the config.
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(tls.hostname) || tls.hostname.length > 253) {
        throw new NginxRenderError(`${at}: BackendTLSPolicy ${tls.policy} spec.validation.hostname ${JSON.stringify(tls.hostname)} is not a DNS name`);
    }
    if (tls.subjectAltNames.length > 0) {
        throw new NginxRenderError(`${at}: BackendTLSPolicy ${tls.policy} spec.validation.subjectAltNames: ${NGINX_SAN_REASON}`);
    }
    return tls.hostname;
}

export const NGINX_ACTIVE_HEALTH_REASON = "open-source nginx sends no health probes (health_check is NGINX Plus): use healthCheck.passive (max_fails/fail_timeout on real traffic), or the aws or gcp adapter";
export const NGINX_SAN_REASON = "nginx 1.22 verifies a backend certificate against proxy_ssl_name, which is also the SNI it sends, so it cannot accept a certificate for a name other than validation.hostname: leave subjectAltNames out (the certificate must then carry validation.hostname), or use the gcp or kubernetes adapter";

/**
 * The lines that make a connection of `module` (proxy or grpc) TLS to `tls` and verify it. `nameSlot`:
 * proxy_ssl_name (which takes variables) as that slot's reference, so outcomes with different hostnames
 * and one CA share a shape; the CA file must be literal (nginx 1.22 loads it at configuration time).
 */
export function tlsLines(tls: { hostname: string; caFile: string }, module: "proxy" | "grpc", nameSlot?: string): string[] {
    return [
        `${module}_ssl_server_name on;`,
        nameSlot !== undefined ? `${module}_ssl_name "${nameSlot}";` : `${module}_ssl_name ${quoteLiteral(tls.hostname)};`,
        `${module}_ssl_verify on;`,
        `${module}_ssl_verify_depth ${VERIFY_DEPTH};`,
        `${module}_ssl_trusted_certificate ${quoteLiteral(tls.caFile)};`,
    ];
}

/** The most tries of one request on a one-endpoint Service (the first and its retries): server lines written. */
export const MAX_TRIES = 10;

/** Response codes proxy_next_upstream can name (any other code is refused). */
const RETRYABLE_CODES = [403, 404, 429, 500, 502, 503, 504];

/**
 * A rule's retry as shape lines: which failures move the request to the next endpoint (connection
 * errors and timeouts always: HTTPRouteRetryConnectionError and …BackendTimeout), how many tries in all
 * (attempts + 1), and for how long (the request timeout, when set). nginx retries a POST or other
 * non-idempotent request only with `non_idempotent`, which a retry rule asks for. Without a retry
 * nginx keeps its defaults (error and timeout to the next endpoint, before anything was sent back).
 */
export function retryLines(rule: PlanRule, at: string, module: "proxy" | "grpc"): string[] {
    const r = rule.retry;
    if (!r) return [];
    const bad = r.codes.filter(c => !RETRYABLE_CODES.includes(c));
    if (bad.length > 0) {
        throw new NginxRenderError(`${at}.retry.codes: ${bad.join(", ")} cannot be retried by nginx, whose proxy_next_upstream names only ${RETRYABLE_CODES.join(", ")}; remove ${bad.length > 1 ? "them" : "it"}, or use the gcp adapter`);
    }
    if (r.backoffMs !== undefined && r.backoffMs > 0) {
        throw new NginxRenderError(`${at}.retry.backoff: nginx retries at once, with no wait between attempts (proxy_next_upstream has no backoff): remove backoff or set it to 0s, or use the gcp adapter`);
    }
    const lines = [`${module}_next_upstream error timeout ${r.codes.map(c => `http_${c}`).join(" ")}${r.codes.length ? " " : ""}non_idempotent;`];
    if (r.attempts !== undefined) lines.push(`${module}_next_upstream_tries ${r.attempts + 1};`);
    const ms = rule.timeouts?.requestMs;
    if (ms !== undefined && ms > 0) lines.push(`${module}_next_upstream_timeout ${ms}ms;`);
    return lines;
}

/**
 * The http-level variable that keys a split between backendRefs when the rule has a Header session,
 * else undefined. A rule's Cookie session over several backendRefs is refused: its cookie names an
 * endpoint of one Service, and the split between the Services is drawn before any Service is chosen.
 */
export function sessionSplitSource(rule: PlanRule, at: string): string | undefined {
    const sp = rule.sessionPersistence;
    if (sp?.type === "Cookie") {
        throw new NginxRenderError(`${at}.sessionPersistence: a Cookie session on a rule that splits traffic over several backendRefs cannot be kept by nginx (the cookie names one endpoint of one Service, and the split is drawn first): use type Header (the split and the endpoint are then both drawn on the header), or put the session on each Service with a BackendTrafficPolicy`);
    }
    return sp ? sessionHeaderVar(sp, at) : undefined;
}

/** A stable id of one endpoint of `service` for a session cookie: not user text, and the same across reloads. */
export function endpointId(service: string, address: string, port: number): string {
    return createHash("sha256").update(`${service}|${address}|${port}`).digest("hex").slice(0, 16);
}

/** What a Cookie session puts in an outcome: the upstream (a variable) and the Set-Cookie value ("" when the client's cookie is good). */
export interface StickyCookie { upstream: string; setCookie: string }

/**
 * A Cookie session of backend `b` (the rule's, else its Service policy's), or undefined. The cookie
 * name must be a variable name nginx can read ($cookie_<name>: letters, digits, "_"). A Session
 * cookie has no Max-Age and ends with the browser session; a Permanent one lasts absoluteTimeout.
 * The cookie is `Path=/; HttpOnly`. A Session cookie with an absoluteTimeout is refused: nginx keeps no
 * session state, so it cannot end such a session while the browser keeps the cookie.
 */
export function stickyCookie(http: Http, rule: PlanRule, b: PlanBackend, at: string, policy: UpstreamPolicy): StickyCookie | undefined {
    const sp = rule.sessionPersistence ?? b.traffic?.sessionPersistence;
    if (sp?.type !== "Cookie") return undefined;
    const field = rule.sessionPersistence ? `${at}.sessionPersistence` : `${at}: BackendTrafficPolicy ${b.traffic!.policy} spec.sessionPersistence`;
    const name = sp.sessionName ?? DEFAULT_SESSION_COOKIE;
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
        throw new NginxRenderError(`${field}.sessionName: ${JSON.stringify(name)} cannot be read back by nginx, which names a cookie as the variable $cookie_<name> of letters, digits and "_" only; name the cookie with those, e.g. ${JSON.stringify(name.replace(/[^A-Za-z0-9_]/g, "_"))}`);
    }
    let attributes = "; Path=/; HttpOnly";
    if (sp.lifetimeType === "Permanent") {
        if (sp.absoluteTimeoutMs === undefined) throw new NginxRenderError(`${field}.absoluteTimeout: a Permanent cookie needs one (how long the session lasts), e.g. "1h"`);
        attributes += `; Max-Age=${Math.max(1, Math.floor(sp.absoluteTimeoutMs / 1000))}`;
    } else if (sp.absoluteTimeoutMs !== undefined) {
        throw new NginxRenderError(`${field}.absoluteTimeout: nginx keeps no session state, so it cannot end a browser-session cookie after absoluteTimeout: set cookieConfig.lifetimeType Permanent (the cookie then expires with Max-Age), or remove absoluteTimeout`);
    }
    // One id per distinct endpoint (a Service may list one twice).
    const byId = new Map<string, PlanBackend["endpoints"][number]>();
    for (const e of b.endpoints) byId.set(endpointId(b.service, e.address, e.port ?? b.port ?? 80), e);
    const ids = [...byId.keys()];
    const endpoints = [...byId.values()];
    const ups = endpoints.map((_, i) => http.upstream({ ...b, endpoints }, at, "http", policy, i));
    // A fresh client's endpoint: a uniform draw (largest remainder over 0.01% units).
    const n = ups.length;
    const units = ups.map((_, i) => Math.floor(10000 / n) + (i < 10000 % n ? 1 : 0));
    const pick = n === 1 ? undefined : http.split(`sticky${ups[0]}`, ups.map((u, i) => [units[i], u]));
    const fresh = pick ? `$${pick}` : ups[0];
    const cookie = `$cookie_${name}`;
    const chosen = http.map(cookie, ids.map((id, i) => [quoteLiteral(id), ups[i]]), fresh);
    const idOf = http.map(`$${chosen}`, ups.map((u, i) => [u, quoteLiteral(ids[i])]), "\"\"");
    const setCookie = http.map(cookie, ids.map(id => [quoteLiteral(id), "\"\""]), `"${name}=\${${idOf}}${attributes}"`);
    return { upstream: `\${${chosen}}`, setCookie: `\${${setCookie}}` };
}
