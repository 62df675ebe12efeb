// What a matched rule does, from the plan's resolved action: a redirect, a 500 when the forward has no
// backends, or one outcome per backend share picked by split_clients. The shares are the plan's
// numbers; only their rounding to split_clients' 0.01% steps is decided here.
//
// Rules that do the same thing share one action ("a<N>"): the action is interned by what it renders
// to, so a table of thousands of rules over a hundred backends has about a hundred actions. An
// action's outcomes ("a<N>" or "a<N>_<share>") are the keys of the http-level maps:
//   $gk_act (dispatch.ts) → $gk_out (the share drawn) → $gk_shape (the named location to run) and
//   one map per slot (a header value, the host, the upstream, the path, a redirect's Location).
// So the config grows by map entries per distinct behaviour, and by one location per distinct shape
// in each server that uses it — not by locations per rule.

import { GRPC_GATEWAY_ERROR_STATUS } from "../../../routing/grpc";
import { PlanForward, PlanRedirect, PlanRule, PlanShare } from "../../../routing/plan";
import { sessionSplitSource } from "./backendPolicies";
import { withCors } from "./cors";
import { NginxRenderError, isSafeHostname } from "./escape";
import { HeaderEntry, applyHeaderOps } from "./headers";
import { Http } from "./http";
import { OutcomeSpec, answerOutcome, backendOutcome, responseHeaders, slotRef } from "./locations";
import { CLIENT_PATH, applyPathRewrite, pathExpr } from "./rewrites";

/** Slot values most outcomes have: the map's default, so only the others are entries. */
const SLOT_DEFAULTS: Record<string, string> = { host: "${http_host}", path: "${gk_path}" };

interface Shape { name: string; body: string[]; mirrors: [string, string[]][] }

export class Outcomes {
    private actions = new Map<string, string>();
    private byRule = new Map<PlanRule, string>();
    private outValues: [string, string][] = [];
    /** Outcome → shape name. */
    private shapeOf: [string, string][] = [];
    private shapes = new Map<string, Shape>();
    private shapesOfAction = new Map<string, Shape[]>();
    private slots = new Map<string, { variable: string; entries: [string, string][] }>();
    private count = 0;

    constructor(private readonly http: Http) {}

    /** Most entries in one of the maps over actions and outcomes, for map_hash_max_size. */
    get maxEntries(): number {
        return Math.max(this.outValues.length, this.shapeOf.length, ...[...this.slots.values()].map(s => s.entries.length));
    }

    /** The action id of `rule`, rendering it the first time. */
    actionOf(rule: PlanRule): string {
        const known = this.byRule.get(rule);
        if (known) return known;
        const { split, splitSource, outcomes } = ruleOutcomes(this.http, rule, slot => this.slotVar(slot));
        const shaped = outcomes.map(o => ({ o, shapeKey: JSON.stringify([o.shape, o.mirrors]) }));
        const key = JSON.stringify([split, splitSource, shaped.map(s => [s.shapeKey, s.o.slots])]);
        let id = this.actions.get(key);
        if (!id) {
            id = `a${++this.count}`;
            this.actions.set(key, id);
            const shapes: Shape[] = [];
            if (split) {
                const v = this.http.split("", split, splitSource);
                this.outValues.push([id, `"${id}_\${${v}}"`]);
            } else {
                this.outValues.push([id, id]);
            }
            shaped.forEach(({ o, shapeKey }, j) => {
                const out = split ? `${id}_${j}` : id!;
                let shape = this.shapes.get(shapeKey);
                if (!shape) {
                    shape = { name: `gk_shape${this.shapes.size + 1}`, body: [], mirrors: o.mirrors };
                    shape.body = o.shape.map(line => line.replace(/\u0000([^\u0000]*)\u0000/g, (_, slot: string) => "${" + this.slotVar(slot) + "}"));
                    this.shapes.set(shapeKey, shape);
                }
                shapes.push(shape);
                this.shapeOf.push([out, shape.name]);
                for (const [slot, value] of Object.entries(o.slots)) this.slotEntry(slot, out, value);
            });
            this.shapesOfAction.set(id, shapes);
        }
        this.byRule.set(rule, id);
        return id;
    }

    /** The named locations (and mirror locations) a server needs for these actions. */
    locations(actions: Iterable<string>): string[] {
        const seen = new Set<Shape>();
        for (const a of actions) for (const s of this.shapesOfAction.get(a) ?? []) seen.add(s);
        const out: string[] = [];
        for (const s of [...seen].sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }))) {
            out.push(`location @${s.name} {`, ...s.body.map(b => "    " + b), "}");
            for (const [uri, body] of s.mirrors) out.push(`location = ${uri} {`, ...body.map(b => "    " + b), "}");
        }
        return out;
    }

    /** The http-level maps from $gk_act to the outcome, its shape and its slot values. */
    lines(): string[] {
        const block = (source: string, target: string, entries: [string, string][], dflt: string) =>
            [`map ${source} $${target} {`, ...entries.map(([k, v]) => `    ${k} ${v};`), `    default ${dflt};`, "}"];
        return [
            ...block("$gk_act", "gk_out", this.outValues, "\"\""),
            ...block("$gk_out", "gk_shape", this.shapeOf, "gk_404"),
            ...[...this.slots].flatMap(([slot, s]) => block("$gk_out", s.variable, s.entries, `"${SLOT_DEFAULTS[slot] ?? ""}"`)),
        ];
    }

    private slotVar(slot: string): string {
        let s = this.slots.get(slot);
        if (!s) { s = { variable: this.http.next("gk_v"), entries: [] }; this.slots.set(slot, s); }
        return s.variable;
    }

    private slotEntry(slot: string, outcome: string, value: string): void {
        this.slotVar(slot);
        if (SLOT_DEFAULTS[slot] === value) return;
        this.slots.get(slot)!.entries.push([outcome, `"${value}"`]);
    }
}

/** The outcomes of `rule` and, when there are several, the split that draws one ([units of 0.01%, index]). */
function ruleOutcomes(http: Http, rule: PlanRule, slotVar: (slot: string) => string): { split?: [number, string][]; splitSource?: string; outcomes: OutcomeSpec[] } {
    const at = `${rule.label}: ${rule.field!.rule}`;
    const resp = new Map<string, HeaderEntry>();
    applyHeaderOps(resp, rule.filters.responseHeaderModifier, `${at}.filters.responseHeaderModifier`, "response");
    const action = rule.action!;
    const result = action.kind === "redirect" ? { outcomes: [redirect(http, action, resp, at)] } : forward(http, rule, action, resp, at);
    const cors = rule.filters.cors;
    if (cors) for (const o of result.outcomes) withCors(http, cors, at, o, slotVar);
    return result;
}

function redirect(http: Http, rd: PlanRedirect, resp: Map<string, HeaderEntry>, at: string): OutcomeSpec {
    const field = `${at}.filters.requestRedirect`;
    if (rd.hostname !== undefined && !isSafeHostname(rd.hostname)) throw new NginxRenderError(`${field}.hostname: ${JSON.stringify(rd.hostname)} is not a valid hostname`);
    const path = applyPathRewrite(http, CLIENT_PATH, rd.path, `${field}.path`);
    const out: OutcomeSpec = { shape: [], slots: {}, mirrors: [] };
    responseHeaders(http, resp, at, false, out);
    out.shape.push(`return ${rd.statusCode} "${slotRef("location")}";`);
    out.slots.location = `${rd.scheme}://${rd.hostname ?? "${host}"}${rd.omitPort ? "" : ":" + rd.port}${pathExpr(path)}\${is_args}\${args}`;
    return out;
}

function forward(http: Http, rule: PlanRule, fw: PlanForward, resp: Map<string, HeaderEntry>, at: string): { split?: [number, string][]; splitSource?: string; outcomes: OutcomeSpec[] } {
    if (fw.noBackends) return { outcomes: [answerOutcome(http, resp, at, rule.protocol === "grpc" ? GRPC_GATEWAY_ERROR_STATUS : 500, fw.noBackends)] };
    // Every share that gets requests, valid or not (an invalid share answers 500), in backendRefs order.
    const live: PlanShare[] = [...fw.valid, ...fw.invalid].filter(s => s.weight > 0).sort((a, b) => a.ref - b.ref);
    const ruleFilters = { headers: rule.filters.requestHeaderModifier, urlRewrite: fw.urlRewrite, mirrors: fw.mirrors };
    // Mirror locations are the rule's own (a counter, never user text).
    const n = http.next("r");
    const outcomes = live.map(s => backendOutcome(http, rule, s, n, resp, ruleFilters, at));
    if (live.length === 1) return { outcomes };
    // Largest-remainder rounding to split_clients' 0.01% granularity.
    const exact = live.map(s => s.share * 10000);
    const units = exact.map(Math.floor);
    let rest = 10000 - units.reduce((a, b) => a + b, 0);
    const order = exact.map((e, i) => ({ i, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac);
    for (const o of order) { if (rest <= 0) break; units[o.i]++; rest--; }
    if (exact.some((e, i) => Math.abs(e - units[i]) > 1e-9)) {
        http.warn(`${rule.label}: weights ${live.map(s => s.weight).join("/")} rounded to ${units.map(u => (u / 100).toFixed(2) + "%").join("/")} (nginx split_clients has 0.01% granularity)`);
    }
    const split: [number, string][] = [];
    live.forEach((_, j) => { if (units[j] > 0) split.push([units[j], String(j)]); });
    // A Header session picks its backendRef by the session key too, so it stays on one endpoint of one backend.
    const splitSource = sessionSplitSource(rule, at);
    return { split, ...(splitSource ? { splitSource } : {}), outcomes };
}
