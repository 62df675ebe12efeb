// The CORS filter on nginx, rendering routing/cors.ts's decisions: every outcome of a CORS rule
// starts with `if ($preflight) { add_header …; return 200; }` — the gateway's own answer, before any
// other filter, mirror or proxy runs — and its other answers hide the backend's Access-Control-* headers and add
// the policy's. Per distinct policy there is one map: the Origin echoed when it matches the policy's
// pattern (jsRegexToPcre of routing's originPattern, byte for byte). The outcome's slots (outcomes.ts)
// carry that echo and the policy's literals; maps shared by every policy gate the literals on the
// echo and echo the request's Access-Control-Request-Method / -Headers only when they are well-formed
// tokens. So the shape stays shared and a policy costs one variable.
// No user text reaches a directive: patterns go through jsRegexToPcre and quoteLiteral, literals
// through quoteValue, and header names are the fixed CORS names.

import { CORSHeader, CORS_RESPONSE_HEADERS, PlanCORS, corsHeaders } from "../../../routing/cors";
import { NginxRenderError, jsRegexToPcre, quoteLiteral, quoteValue } from "./escape";
import { Http } from "./http";
import { OutcomeSpec } from "./locations";

/** "Access-Control-Allow-Origin" for "access-control-allow-origin". */
function displayName(lower: string): string {
    return lower.split("-").map(w => w[0].toUpperCase() + w.slice(1)).join("-");
}

/** An anchored routing pattern ("^…$") as PCRE without its anchors. */
function pcreOf(anchored: string, at: string): string {
    if (!anchored.startsWith("^") || !anchored.endsWith("$")) throw new Error(`${at}: CORS pattern ${JSON.stringify(anchored)} is not anchored`);
    try {
        return jsRegexToPcre(anchored.slice(1, -1));
    } catch (e) {
        throw new NginxRenderError(`${at}: the CORS origin pattern cannot be written for nginx (${(e as Error).message})`);
    }
}

/** "1" on a preflight (OPTIONS with a non-empty Origin and Access-Control-Request-Method), else "". */
function preflightVar(http: Http): string {
    const origin = http.map("$http_origin", [["\"\"", "\"\""]], "1");
    const method = http.map("$http_access_control_request_method", [["\"\"", "\"\""]], "1");
    return http.map(`"\${request_method}|\${${origin}}\${${method}}"`, [[quoteLiteral("~^OPTIONS\\|11\\z"), "1"]], "\"\"");
}

const ECHO_VAR: Record<string, string> = {
    "access-control-request-method": "http_access_control_request_method",
    "access-control-request-headers": "http_access_control_request_headers",
};

/**
 * The value of one CORS header (inside of a quoted value), "" when the origin is not allowed. `ok` is
 * the slot variable holding the echoed origin ("" when not allowed); every map here is keyed by slot
 * variables only, so it is declared once for all policies: a policy adds one variable (its origin
 * map) and map entries, never maps of its own (nginx's config load grows faster than linearly with the number of variables: measured 0.35 s for 2,000 map variables, 2.9 s for 8,000).
 */
function headerValue(http: Http, ok: string, slotVar: (slot: string) => string, h: CORSHeader, out: OutcomeSpec, at: string): string {
    const v = h.value;
    if (v.kind === "echo" && v.header === "origin") return "${" + ok + "}";
    if (v.kind === "literal") {
        const slot = `cors ${h.name}`;
        out.slots[slot] = quoteValue(v.value).slice(1, -1);
        return "${" + http.map(`$${ok}`, [["\"\"", "\"\""]], `"\${${slotVar(slot)}}"`) + "}";
    }
    // The allowed origin never contains "|" (its pattern excludes it), so the first "|" ends it.
    const source = `"\${${ok}}|\${${ECHO_VAR[v.header]}}"`;
    return "${" + http.map(source, [[quoteLiteral(`~^[^|]+\\|(${pcreOf(v.pattern, at)})\\z`), "$1"]], "\"\"") + "}";
}

/**
 * Adds the CORS lines of `policy` to one outcome of its rule: the preflight answer first (answered
 * before the rule's other filters, so with the CORS headers only), then the actual-response headers.
 */
export function withCors(http: Http, policy: PlanCORS, at: string, out: OutcomeSpec, slotVar: (slot: string) => string): void {
    const field = `${at}.filters.cors`;
    const originVar = policy.originPattern
        ? http.map("$http_origin", [[quoteLiteral(`~^(?:${pcreOf(policy.originPattern, `${field}.allowOrigins`)})\\z`), "$http_origin"]], "\"\"")
        : undefined;
    if (originVar) out.slots["cors ok"] = "${" + originVar + "}";
    const ok = slotVar("cors ok");
    const lines = (preflight: boolean): string[] => {
        if (!originVar) return [];
        return corsHeaders(policy, preflight).map(h => `add_header ${quoteLiteral(displayName(h.name))} "${headerValue(http, ok, slotVar, h, out, field)}" always;`);
    };
    // In an `if` block, only its own add_header lines apply: the preflight carries the CORS headers alone.
    const preflight = [
        `if ($${preflightVar(http)}) {`,
        // An empty value adds nothing but keeps the location's add_header lines out of the block.
        ...(originVar ? lines(true) : ["add_header \"Access-Control-Allow-Origin\" \"\" always;"]).map(l => "    " + l),
        "    return 200;",
        "}",
    ];
    out.shape.unshift(...preflight);
    out.shape.push(...CORS_RESPONSE_HEADERS.map(h => `proxy_hide_header ${quoteLiteral(displayName(h))};`), ...lines(false));
}
