// One `server` block per HostOwner of a port: server_name is the owner's pattern (none: the port's
// default_server), the candidate rules are its ruleIds. The plan decided which listener owns which
// host (routing/compile/ports.ts), so nginx's server_name selection (exact > longest "*." wildcard >
// default) picks the listener and its candidate rules in one hashed lookup.
//
// Inside a block: dispatch.ts sets $gk_act to the matched rule's action, outcomes.ts maps it to the
// outcome and its shape, and `error_page 418 = @$gk_shape; return 418;` runs that shape's named location.

import { GatewayPlan, HostOwner, ListenerPlan, PlanRule } from "../../../routing/plan";
import { Dispatch, candidatesOf } from "./dispatch";
import { NginxRenderError, isSafeHostname } from "./escape";
import { Http, comment } from "./http";
import { Outcomes } from "./outcomes";
import { REFUSE_LINE } from "./paths";

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
    http: Http, dispatch: Dispatch, outcomes: Outcomes, plan: GatewayPlan, l: ListenerPlan, host: HostOwner, listenLine: string, certLines: string[],
): string {
    if (host.pattern !== undefined && !isSafeHostname(host.pattern)) {
        throw new NginxRenderError(`Gateway ${plan.gateway} listener ${l.name}: hostname ${JSON.stringify(host.pattern)} is not a valid DNS name or "*." wildcard`);
    }
    const rules = candidates(l, host.ruleIds);
    const cands = candidatesOf(http, rules, rule => outcomes.actionOf(rule));
    const serverName = host.pattern === undefined ? "\"\"" : host.pattern;
    const dispatchLines = rules.length
        ? ["location / { error_page 418 = @$gk_shape; return 418; }", "location @gk_dispatch { error_page 418 = @$gk_shape; return 418; }"]
        : ["location / { return 404; }", "location @gk_dispatch { return 404; }"];
    return [
        `# listener ${comment(l.name)} (port ${l.port}), hosts ${host.pattern === undefined ? "(any)" : comment(host.pattern)}: ${rules.length} rule(s)`,
        "server {",
        `    ${listenLine};`,
        `    server_name ${serverName};`,
        ...certLines.map(c => "    " + c),
        `    ${REFUSE_LINE}`,
        ...dispatch.server(cands).map(s => "    " + s),
        ...dispatchLines.map(s => "    " + s),
        "    location @gk_404 { return 404; }",
        ...outcomes.locations(new Set(cands.map(c => c.action))).map(s => "    " + s),
        "}",
    ].join("\n");
}

/** A port with no listener without a hostname: unknown hosts get 404 (HTTP) or a refused handshake (HTTPS). */
export function catchAllServer(listenLine: string, tls: boolean, verifyLines: string[] = []): string {
    return [
        "server {",
        `    ${listenLine};`,
        "    server_name \"\";",
        ...(tls ? ["    ssl_reject_handshake on;"] : []),
        ...verifyLines.map(v => "    " + v),
        `    ${REFUSE_LINE}`,
        "    location / { return 404; }",
        "}",
    ].join("\n");
}
