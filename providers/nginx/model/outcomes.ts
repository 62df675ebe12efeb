// What a matched rule does, from the plan's resolved action: a redirect's `return`, a 500 when the
// forward has no backends, or one named location per share picked by split_clients. The shares are
// the plan's numbers; only their rounding to split_clients' 0.01% steps is decided here.

import { PlanForward, PlanRedirect, PlanRule, PlanShare } from "../../../routing/plan";
import { NginxRenderError, isSafeHostname } from "./escape";
import { HeaderEntry, applyHeaderOps } from "./headers";
import { Http } from "./http";
import { backendLocation, responseLines } from "./locations";
import { CLIENT_PATH, applyPathRewrite, pathExpr } from "./rewrites";

export interface RuleOutcomes {
    /** The map value for this rule: an outcome name, possibly through a split variable. */
    value: string;
    /** Named locations: name → body lines. */
    locations: [string, string[]][];
    /** Internal URI locations (mirrors): uri → body lines. */
    mirrors: [string, string[]][];
}

/** The outcomes of rule number `n` (names of its locations start with "r<n>_"). */
export function ruleOutcomes(http: Http, rule: PlanRule, n: number): RuleOutcomes {
    const at = `${rule.label}: ${rule.field!.rule}`;
    const resp = new Map<string, HeaderEntry>();
    applyHeaderOps(resp, rule.filters.responseHeaderModifier, `${at}.filters.responseHeaderModifier`, "response");
    const action = rule.action!;
    return action.kind === "redirect" ? redirect(http, action, resp, at, n) : forward(http, rule, action, resp, at, n);
}

function redirect(http: Http, rd: PlanRedirect, resp: Map<string, HeaderEntry>, at: string, n: number): RuleOutcomes {
    const field = `${at}.filters.requestRedirect`;
    if (rd.hostname !== undefined && !isSafeHostname(rd.hostname)) throw new NginxRenderError(`${field}.hostname: ${JSON.stringify(rd.hostname)} is not a valid hostname`);
    const path = applyPathRewrite(http, CLIENT_PATH, rd.path, `${field}.path`);
    const loc = `"${rd.scheme}://${rd.hostname ?? "${host}"}${rd.omitPort ? "" : ":" + rd.port}${pathExpr(path)}\${is_args}\${args}"`;
    const name = `r${n}_redirect`;
    return { value: name, locations: [[name, [...responseLines(http, resp, at, false), `return ${rd.statusCode} ${loc};`]]], mirrors: [] };
}

function forward(http: Http, rule: PlanRule, fw: PlanForward, resp: Map<string, HeaderEntry>, at: string, n: number): RuleOutcomes {
    const locations: [string, string[]][] = [];
    const mirrors: [string, string[]][] = [];
    if (fw.noBackends) {
        const name = `r${n}_none`;
        locations.push([name, [...responseLines(http, resp, at, false), "return 500;"]]);
        return { value: name, locations, mirrors };
    }
    // Every share that gets requests, valid or not (an invalid share answers 500), in backendRefs order.
    const live: PlanShare[] = [...fw.valid, ...fw.invalid].filter(s => s.weight > 0).sort((a, b) => a.ref - b.ref);
    const ruleFilters = { headers: rule.filters.requestHeaderModifier, urlRewrite: fw.urlRewrite, mirrors: fw.mirrors };
    for (const s of live) locations.push([`r${n}_b${s.ref}`, backendLocation(http, rule, s, n, resp, ruleFilters, mirrors, at)]);
    if (live.length === 1) return { value: `r${n}_b${live[0].ref}`, locations, mirrors };
    // Largest-remainder rounding to split_clients' 0.01% granularity.
    const exact = live.map(s => s.share * 10000);
    const units = exact.map(Math.floor);
    let rest = 10000 - units.reduce((a, b) => a + b, 0);
    const order = exact.map((e, i) => ({ i, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac);
    for (const o of order) { if (rest <= 0) break; units[o.i]++; rest--; }
    if (exact.some((e, i) => Math.abs(e - units[i]) > 1e-9)) {
        http.warn(`${rule.label}: weights ${live.map(s => s.weight).join("/")} rounded to ${units.map(u => (u / 100).toFixed(2) + "%").join("/")} (nginx split_clients has 0.01% granularity)`);
    }
    const entries: [number, string][] = [];
    live.forEach((s, j) => { if (units[j] > 0) entries.push([units[j], `b${s.ref}`]); });
    const v = http.split(`r${n}`, entries);
    return { value: `r${n}_\${${v}}`, locations, mirrors };
}
