// One `server` block per HostOwner of a port: server_name is the owner's pattern (none: the port's
// default_server), the candidate rules are its ruleIds. The plan decided which listener owns which
// host (routing/compile/ports.ts), so nginx's server_name selection (exact > longest "*." wildcard >
// default) picks the listener and its candidate rules in one hashed lookup.
//
// Matching inside a block: one `map` whose source is "<flags> <path>" and whose keys are anchored
// regexes in precedence order (map regexes are tried in order, first match wins). Each flag is a
// one-character "0"/"1" condition, so the composite has fixed positions and no request value can
// shift a field. Dispatch: `error_page 418 = @$rule; return 418;` jumps to the rule's named location.

import { GatewayPlan, HostOwner, ListenerPlan, PlanRule } from "../../../routing/plan";
import { NginxRenderError, isSafeHostname, quoteLiteral } from "./escape";
import { Http, comment } from "./http";
import { matchPattern } from "./matches";
import { RuleOutcomes, ruleOutcomes } from "./outcomes";
import { REFUSE_LINE } from "./paths";

/** Rules rendered so far (a rule serving several host patterns is rendered once) and their numbers. */
export interface RuleRegistry { numbers: Map<PlanRule, number>; rendered: Map<PlanRule, RuleOutcomes> }

/** The owner's rules, in the order of its ruleIds (a subsequence of listener.rules, precedence order). */
function candidates(l: ListenerPlan, ruleIds: string[]): PlanRule[] {
    const out: PlanRule[] = [];
    let at = 0;
    for (const id of ruleIds) {
        while (at < l.rules.length && l.rules[at].id !== id) at++;
        if (at === l.rules.length) throw new Error(`renderNginx: the plan's host ownership names rule ${id}, which listener ${l.name} does not carry; compile the plan`);
        out.push(l.rules[at++]);
    }
    return out;
}

export function serverBlock(
    http: Http, plan: GatewayPlan, l: ListenerPlan, host: HostOwner, listenLine: string, certLines: string[], registry: RuleRegistry,
): string {
    if (host.pattern !== undefined && !isSafeHostname(host.pattern)) {
        throw new NginxRenderError(`Gateway ${plan.gateway} listener ${l.name}: hostname ${JSON.stringify(host.pattern)} is not a valid DNS name or "*." wildcard`);
    }
    const rules = candidates(l, host.ruleIds);
    const flagVars: string[] = [];
    const keyed: { rule: PlanRule; flags: Set<string>; path: string }[] = [];
    for (const rule of rules) {
        const m = matchPattern(http, rule);
        for (const v of m.flags) if (!flagVars.includes(v)) flagVars.push(v);
        keyed.push({ rule, flags: new Set(m.flags), path: m.path });
    }
    const entries: [string, string][] = [];
    const locations: string[] = [];
    const mirrorLocs: string[] = [];
    for (const k of keyed) {
        let out = registry.rendered.get(k.rule);
        if (!out) {
            out = ruleOutcomes(http, k.rule, registry.numbers.get(k.rule)!);
            registry.rendered.set(k.rule, out);
        }
        const flags = flagVars.map(v => (k.flags.has(v) ? "1" : ".")).join("");
        entries.push([quoteLiteral(`~^${flags} ${k.path}`), `"${out.value}"`]);
        for (const [name, body] of out.locations) locations.push(`    location @${name} {`, ...body.map(b => "        " + b), "    }");
        for (const [uri, body] of out.mirrors) mirrorLocs.push(`    location = ${uri} {`, ...body.map(b => "        " + b), "    }");
    }
    const source = `"${flagVars.map(v => "${" + v + "}").join("")} \${gk_path}"`;
    const ruleVar = entries.length ? http.map(source, entries, "\"gk_404\"") : undefined;
    const serverName = host.pattern === undefined ? "\"\"" : host.pattern;
    return [
        `# listener ${comment(l.name)} (port ${l.port}), hosts ${host.pattern === undefined ? "(any)" : comment(host.pattern)}: ${rules.length} rule(s)`,
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

/** A port with no listener without a hostname: unknown hosts get 404 (HTTP) or a refused handshake (HTTPS). */
export function catchAllServer(listenLine: string, tls: boolean): string {
    return [
        "server {",
        `    ${listenLine};`,
        "    server_name \"\";",
        ...(tls ? ["    ssl_reject_handshake on;"] : []),
        `    ${REFUSE_LINE}`,
        "    location / { return 404; }",
        "}",
    ].join("\n");
}
