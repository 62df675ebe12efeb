// resolve, second half: what a matched rule does, with every default applied — the redirect's
// status, scheme, host, port and path; the forward's shares (valid and invalid) as numbers, its
// resolved mirrors and rewrite. simulate (routing/simulate/outcome.ts) answers from exactly these;
// ./actions.test.ts checks the actions against simulate's answers on generated route sets.

import { parseDuration } from "../durations";
import { stripTrailingSlash } from "../paths";
import {
    PlanBackend, PlanFilters, PlanForward, PlanInvalidShare, PlanMatch, PlanMirror, PlanPathRewrite, PlanRedirect,
    PlanRule, PlanShare, PlanURLRewrite,
} from "../plan";
import { HTTPPathModifier, HTTPRequestRedirectFilter, HTTPRouteTimeouts, HTTPURLRewriteFilter, Listener } from "../types";

const KEEP: PlanPathRewrite = { kind: "keep" };

/**
 * A path modifier against the rule's match. ReplacePrefixMatch needs a PathPrefix match (validation
 * enforces it); on any other match type the whole path is replaced rather than a prefix guessed.
 */
export function pathRewriteOf(mod: HTTPPathModifier | undefined, match: PlanMatch): PlanPathRewrite {
    if (!mod) return KEEP;
    if (mod.type === "ReplaceFullPath") return mod.replaceFullPath === undefined ? KEEP : { kind: "full", path: mod.replaceFullPath };
    const replacement = mod.replacePrefixMatch ?? "/";
    if (match.path.type !== "PathPrefix") return { kind: "full", path: replacement };
    return { kind: "prefix", matchedPrefix: stripTrailingSlash(match.path.value), replacement: stripTrailingSlash(replacement) };
}

export function urlRewriteOf(rw: HTTPURLRewriteFilter | undefined, match: PlanMatch): PlanURLRewrite | undefined {
    if (!rw) return undefined;
    return { ...(rw.hostname !== undefined ? { hostname: rw.hostname } : {}), path: pathRewriteOf(rw.path, match) };
}

function defaultPort(scheme: "http" | "https"): number {
    return scheme === "https" ? 443 : 80;
}

export function redirectOf(rd: HTTPRequestRedirectFilter, listener: Pick<Listener, "port" | "protocol">, match: PlanMatch): PlanRedirect {
    const scheme = rd.scheme ?? (listener.protocol === "HTTPS" ? "https" : "http");
    const port = rd.port ?? (rd.scheme ? defaultPort(rd.scheme) : listener.port);
    return {
        kind: "redirect",
        statusCode: rd.statusCode ?? 302,
        scheme,
        ...(rd.hostname !== undefined ? { hostname: rd.hostname } : {}),
        port,
        omitPort: port === defaultPort(scheme),
        explicit: { scheme: rd.scheme !== undefined, hostname: rd.hostname !== undefined, port: rd.port !== undefined },
        path: pathRewriteOf(rd.path, match),
    };
}

/** Mirrors whose target resolved; the spec drops the others. */
export function resolvedMirrors(ms: PlanMirror[]): PlanMirror[] {
    return ms.every(m => m.service !== undefined && !m.invalidReason) ? ms : ms.filter(m => m.service !== undefined && !m.invalidReason);
}

/** A forward's invalid shares when it has none: one frozen list, shared (plans are immutable). */
const NO_INVALID_SHARES = Object.freeze([]) as unknown as PlanInvalidShare[];

export function forwardOf(filters: PlanFilters, backends: PlanBackend[], match: PlanMatch): PlanForward {
    let total = 0;
    for (const b of backends) total += b.weight;
    const valid: PlanShare[] = [];
    let invalid: PlanInvalidShare[] = NO_INVALID_SHARES;
    let invalidShare = 0;
    backends.forEach((backend, ref) => {
        const urlRewrite = urlRewriteOf(backend.filters.urlRewrite, match);
        const share: PlanShare = {
            ref, backend, weight: backend.weight,
            share: total > 0 && backend.weight > 0 ? backend.weight / total : 0,
            mirrors: resolvedMirrors(backend.filters.requestMirrors),
            ...(urlRewrite ? { urlRewrite } : {}),
        };
        if (backend.invalidReason) {
            if (invalid === NO_INVALID_SHARES) invalid = [];
            invalid.push({ ...share, reason: backend.invalidReason });
            invalidShare += share.share;
        } else {
            valid.push(share);
        }
    });
    const urlRewrite = urlRewriteOf(filters.urlRewrite, match);
    return {
        kind: "forward", valid, invalid, invalidShare,
        ...(total > 0 ? {} : { noBackends: backends.length ? "all-weights-zero" as const : "no-backendRefs" as const }),
        mirrors: resolvedMirrors(filters.requestMirrors),
        ...(urlRewrite ? { urlRewrite } : {}),
    };
}

/** A RequestRedirect answers (no backend, no mirrors); otherwise the rule forwards. */
export function actionOf(filters: PlanFilters, backends: PlanBackend[], match: PlanMatch, listener: Pick<Listener, "port" | "protocol">): PlanRedirect | PlanForward {
    return filters.requestRedirect ? redirectOf(filters.requestRedirect, listener, match) : forwardOf(filters, backends, match);
}

/** Timeouts as written plus their milliseconds (only where the duration parses). */
export function timeoutsOf(t: HTTPRouteTimeouts): NonNullable<PlanRule["timeouts"]> {
    const out: NonNullable<PlanRule["timeouts"]> = { ...t };
    const requestMs = t.request !== undefined ? parseDuration(t.request) : undefined;
    const backendRequestMs = t.backendRequest !== undefined ? parseDuration(t.backendRequest) : undefined;
    if (requestMs !== undefined) out.requestMs = requestMs;
    if (backendRequestMs !== undefined) out.backendRequestMs = backendRequestMs;
    return out;
}
