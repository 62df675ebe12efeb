// ALB listener rule actions and transforms as a closed set, in the manner of aws-cdk's
// ListenerAction: Forward (weighted, ≤ 5 target groups, weights 0–999), Redirect (301/302),
// FixedResponse; HostHeaderRewrite and UrlRewrite transforms. Each validates itself (problems) and
// renders the block @pulumi/aws ListenerRule takes (render). `actionFor` reads a plan rule's
// resolved action (PlanRedirect | PlanForward) into them; it decides nothing the plan decided.
//
// Where ALB cannot follow the spec: redirects answer 301/302 only and cannot replace a path prefix
// (refused); transforms apply per rule, not per backend (refused); an invalid backend's share of a
// mixed rule goes to an empty target group, which ALB answers with 503 where the spec says 500 (a
// declared deviation, warned about). A backend at weight 0 keeps its target group and stays in the
// forward with weight 0 (never chosen), so a canary step — even to 0/100 and back — updates only
// the listener rule; such groups count toward ALB's 5 per forward.

import { PlanForward, PlanPathRewrite, PlanRedirect, PlanRule, PlanURLRewrite } from "../../../routing/plan";
import { BuildContext, planned } from "./context";
import { invalidTargetGroup, targetGroupFor } from "./targetGroups";
import { stickinessOf } from "./policies";
import { GRPC_GATEWAY_ERROR_STATUS } from "../../../routing/grpc";
import { AlbAction, AlbRedirect, AlbTransform, INVALID_GRPC_TARGET_GROUP, INVALID_TARGET_GROUP } from "./types";

export const MAX_TARGET_GROUPS_PER_FORWARD = 5;
const MAX_WEIGHT = 999;

function escapeRegex(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** fixed-response: a plain-text answer. */
export class FixedResponse {
    readonly kind = "fixed-response";
    constructor(readonly status: number, readonly body: string) {}
    problems(): string[] {
        return [];
    }
    render(): AlbAction {
        return { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: String(this.status), messageBody: this.body } };
    }
}

/** redirect: what it does not set, ALB fills from the request (#{protocol}, #{host}, #{port}, #{path}, #{query}). */
export class Redirect {
    readonly kind = "redirect";
    constructor(readonly statusCode: number, readonly to: Omit<AlbRedirect, "statusCode">, readonly replacesPrefix = false) {}

    /**
     * A resolved RequestRedirect: scheme and port are set only where the filter set them (or set the
     * scheme, which fixes the port): ALB's #{protocol}/#{port} defaults equal the plan's otherwise.
     */
    static fromPlan(rd: PlanRedirect): Redirect {
        const to: Omit<AlbRedirect, "statusCode"> = {};
        if (rd.explicit.scheme) to.protocol = rd.scheme === "https" ? "HTTPS" : "HTTP";
        if (rd.explicit.hostname && rd.hostname) to.host = rd.hostname;
        if (rd.explicit.port || rd.explicit.scheme) to.port = String(rd.port);
        if (rd.path.kind === "full") to.path = rd.path.path;
        return new Redirect(rd.statusCode, to, rd.path.kind === "prefix");
    }

    problems(who: string): string[] {
        const out: string[] = [];
        if (this.statusCode !== 301 && this.statusCode !== 302) out.push(`${who}: ALB redirects answer 301 or 302, not ${this.statusCode}; use statusCode 301 or 302`);
        if (this.to.path?.includes("#{")) out.push(`${who}: redirect path ${JSON.stringify(this.to.path)} contains "#{", which ALB reads as a placeholder`);
        if (this.replacesPrefix) {
            out.push(`${who}: an ALB redirect cannot replace a path prefix (ReplacePrefixMatch); use ReplaceFullPath, or a URLRewrite and a backend that redirects`);
        }
        if (!this.to.protocol && !this.to.host && !this.to.port && !this.to.path) {
            out.push(`${who}: this redirect changes neither scheme, hostname, port nor path, and ALB refuses redirects to the same URL; set one of them`);
        }
        return out;
    }
    render(): AlbAction {
        return { type: "redirect", redirect: { statusCode: this.statusCode === 301 ? "HTTP_301" : "HTTP_302", ...this.to } };
    }
}

/** Weights within 0–999 stay as written; larger ones scale so the largest is 999 (never to 0). */
export function scaleWeights(ws: number[]): { values: number[]; changed: boolean; maxError: number } {
    const max = Math.max(...ws);
    if (max <= MAX_WEIGHT && ws.every(Number.isInteger)) return { values: ws, changed: false, maxError: 0 };
    const values = ws.map(w => (w > 0 ? Math.max(1, Math.round((w * MAX_WEIGHT) / max)) : 0));
    const sum = ws.reduce((a, b) => a + b, 0), scaled = values.reduce((a, b) => a + b, 0);
    const maxError = Math.max(...ws.map((w, i) => Math.abs(w / sum - values[i] / scaled)));
    return { values, changed: true, maxError };
}

/** forward: weighted across target groups (by key; realize swaps in the ARNs). */
export class Forward {
    readonly kind = "forward";
    constructor(readonly targets: readonly { targetGroup: string; weight: number }[]) {}

    problems(who: string): string[] {
        if (this.targets.length <= MAX_TARGET_GROUPS_PER_FORWARD) return [];
        const idle = this.targets.filter(t => t.weight === 0).length;
        const invalid = this.targets.some(t => t.targetGroup === INVALID_TARGET_GROUP || t.targetGroup === INVALID_GRPC_TARGET_GROUP);
        const counting = [invalid ? "the one for invalid backends" : "", idle > 0 ? `${idle} at weight 0, which ALB still counts` : ""].filter(Boolean);
        return [`${who}: forwards to ${this.targets.length} target groups${counting.length ? ` (counting ${counting.join(" and ")})` : ""}, ` +
            `over ALB's ${MAX_TARGET_GROUPS_PER_FORWARD} per rule; split the traffic across fewer backends, or drop the weight-0 backendRefs`];
    }
    /** The weight rounding, when ALB's 0–999 forced one. */
    notes(who: string): string[] {
        const written = this.targets.map(t => t.weight);
        const scaled = scaleWeights(written);
        return scaled.changed
            ? [`${who}: weights ${written.join("/")} scaled to ${scaled.values.join("/")} (ALB weights are 0–999); ` +
                `the largest share moves by ${(scaled.maxError * 100).toFixed(3)} percentage points`]
            : [];
    }
    render(): AlbAction {
        const { values } = scaleWeights(this.targets.map(t => t.weight));
        return { type: "forward", forward: { targetGroups: this.targets.map((t, i) => ({ targetGroup: t.targetGroup, weight: values[i] })) } };
    }
}

/** host-header-rewrite: the Host the target receives. */
export class HostHeaderRewrite {
    readonly kind = "host-header-rewrite";
    constructor(readonly hostname: string) {}
    problems(): string[] {
        return [];
    }
    render(): AlbTransform {
        return { type: "host-header-rewrite", hostHeaderRewriteConfig: { rewrite: { regex: "^.*$", replace: this.hostname } } };
    }
}

/** url-rewrite: a regex replace on the path ("$1" is the capture; any other "$" is ALB's too). */
export class UrlRewrite {
    readonly kind = "url-rewrite";
    constructor(readonly regex: string, readonly replace: string) {}

    /** A resolved path rewrite (routing/paths.ts rewritePath) as a regex replace; undefined when it keeps the path. */
    static forPath(rw: PlanPathRewrite): UrlRewrite | undefined {
        switch (rw.kind) {
            case "keep": return undefined;
            case "full": return new UrlRewrite("^.*$", rw.path);
            case "prefix": {
                const p = rw.matchedPrefix, r = rw.replacement;
                // "/p/x" → r + "/x"; "/p" → r, or "/" when r is empty.
                return r === "" && p !== "" ? new UrlRewrite(`^${escapeRegex(p)}/?(.*)$`, "/$1") : new UrlRewrite(`^${escapeRegex(p)}(.*)$`, `${r}$1`);
            }
        }
    }

    problems(who: string): string[] {
        return this.replace.replace(/\$1$/, "").includes("$")
            ? [`${who}: URLRewrite path ${JSON.stringify(this.replace)} contains "$", which ALB reads as a capture reference`]
            : [];
    }
    render(): AlbTransform {
        return { type: "url-rewrite", urlRewriteConfig: { rewrite: { regex: this.regex, replace: this.replace } } };
    }
}

export type Action = Forward | Redirect | FixedResponse;
export type Transform = HostHeaderRewrite | UrlRewrite;

function rewritesOf(rw: PlanURLRewrite | undefined): Transform[] {
    const out: Transform[] = [];
    if (rw?.hostname !== undefined) out.push(new HostHeaderRewrite(rw.hostname));
    const path = rw && UrlRewrite.forPath(rw.path);
    if (path) out.push(path);
    return out;
}

export interface RuleActions {
    actions: AlbAction[];
    transforms: AlbTransform[];
    /** Keys of the target groups the rule forwards to. */
    targetGroups: string[];
}

/** A plan rule's resolved action as ALB actions and transforms; refusals go to `problems`. */
export function actionFor(ctx: BuildContext, rule: PlanRule, who: string, problems: string[]): RuleActions {
    const action = planned(rule.action, `action of ${who}`);
    if (action.kind === "redirect") {
        const redirect = Redirect.fromPlan(action);
        problems.push(...redirect.problems(who));
        return { actions: [redirect.render()], transforms: [], targetGroups: [] };
    }
    const transforms = rewritesOf(action.urlRewrite);
    for (const t of transforms) problems.push(...t.problems(who));
    const rendered = transforms.map(t => t.render());
    const grpc = rule.protocol === "grpc";
    const forward = forwardOf(ctx, action, who, problems, grpc);
    // A gRPC rule's own failure is 503, which clients read as UNAVAILABLE (routing/grpc.ts).
    if (!forward) return { actions: [grpc ? new FixedResponse(GRPC_GATEWAY_ERROR_STATUS, "Service Unavailable").render() : new FixedResponse(500, "Internal Server Error").render()], transforms: rendered, targetGroups: [] };
    problems.push(...forward.problems(who));
    ctx.notes.push(...forward.notes(who));
    const targetGroups = forward.targets.map(t => t.targetGroup);
    const stickiness = rule.sessionPersistence ? stickinessOf(ctx, rule.sessionPersistence, who) : undefined;
    ctx.forwards.push({ who, targetGroups, ...(stickiness ? { stickiness } : {}) });
    const forwardAction = forward.render();
    // Group-level stickiness: a client of a weighted rule stays on the target group it first got.
    if (stickiness && targetGroups.length > 1 && forwardAction.type === "forward") forwardAction.forward.stickiness = { enabled: true, duration: stickiness.cookieDuration };
    return { actions: [forwardAction], transforms: rendered, targetGroups };
}

/**
 * The forward of a PlanForward, or undefined when no valid share carries traffic (no backendRefs,
 * all weights 0, or only invalid shares): the whole rule answers 500, as the spec says. Weight-0
 * target groups are kept either way.
 */
function forwardOf(ctx: BuildContext, fwd: PlanForward, who: string, problems: string[], grpc: boolean): Forward | undefined {
    const weights = new Map<string, number>();
    for (const s of [...fwd.valid, ...fwd.invalid].sort((a, b) => a.ref - b.ref)) {
        if (s.urlRewrite || s.backend.filters.requestRedirect) {
            problems.push(`${who}: backend ${s.backend.service} has its own URLRewrite/RequestRedirect filter; ALB transforms apply per rule, not per backend: move the filter to the rule`);
        }
        if ("reason" in s) continue;
        const key = targetGroupFor(ctx, s.backend, who, problems, grpc);
        if (key !== undefined) weights.set(key, (weights.get(key) ?? 0) + (s.share > 0 ? s.weight : 0));
    }
    if (!fwd.valid.some(s => s.share > 0)) return undefined;
    if (fwd.invalidShare > 0) {
        const valid = [...weights.values()].reduce((a, b) => a + b, 0);
        const invalid = fwd.invalid.reduce((sum, s) => sum + (s.share > 0 ? s.weight : 0), 0);
        weights.set(invalidTargetGroup(ctx, grpc), invalid);
        // On a gRPC rule the spec's answer is UNAVAILABLE, which the 503 is: no deviation to warn of.
        if (!grpc) ctx.warnings.push(`${who}: weight ${invalid} of ${valid + invalid} goes to invalid backends ` +
            "(see the route's ResolvedRefs condition); ALB answers that share with 503 from an empty target group, where the spec says 500");
    }
    return new Forward([...weights].map(([targetGroup, weight]) => ({ targetGroup, weight })));
}
