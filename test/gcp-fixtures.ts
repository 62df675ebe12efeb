// Fixtures of the gcp model tests (providers/gcp/model/urlmap.test.ts, providers/gcp/evaluate.test.ts):
// a one-gateway compile input over VM-backed services, the model built from its plan, and the
// comparison of evaluate(URL map) with routing/simulate for one request.

import { buildDataPlane, GcpDataPlane } from "../providers/gcp/model/dataplane";
import { RouteRuleSpec } from "../providers/gcp/model/urlmapTypes";
import { evaluate, applyResponseHeaders, GcpResult } from "../providers/gcp/evaluate";
import { CompileInput, RoutingPlan } from "../routing/plan";
import { HeaderChanges, SimRequest, SimResult, simulate } from "../routing/simulate";
import { HTTPRouteRule, HTTPRouteSpec, Listener, ServiceSpec } from "../routing/types";

export const PARAMS = { project: "proj", zone: "europe-west1-b", region: "europe-west1" };
const GCP = { zone: "europe-west1-b", instance: "vm-1" };

export function svc(name: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
    return { name, namespace: "default", ports: [{ port: 8080 }], endpoints: [{ address: `10.0.0.${name.length}` }], realizations: { gcp: GCP }, ...extra };
}

export function input(routes: HTTPRouteSpec[], listeners: Listener[] = [{ name: "http", port: 80, protocol: "HTTP" }], services = ["s0", "s1", "s2", "s3"].map(n => svc(n))): CompileInput {
    return {
        gatewayClasses: [{ name: "gcp", controllerName: "gatewaykit.dev/gcp-alb" }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "gcp", listeners }],
        routes, services,
    };
}

export function route(name: string, rules: HTTPRouteRule[], hostnames?: string[]): HTTPRouteSpec {
    return { name, namespace: "default", parentRefs: [{ name: "gw" }], ...(hostnames ? { hostnames } : {}), rules };
}

export function build(routing: RoutingPlan, params: Record<string, unknown> = PARAMS): GcpDataPlane {
    return buildDataPlane(routing.gateways[0], params, { scope: "test" });
}

export function rulesOf(dp: GcpDataPlane, host: string): RouteRuleSpec[] {
    const u = dp.frontends[0].urlMap;
    const hr = u.hostRules!.find(h => h.hosts.includes(host))!;
    return u.pathMatchers!.find(p => p.name === hr.pathMatcher)!.routeRules ?? [];
}

// ---------------------------------------------------------------- comparison

type Dist = Map<string, number>;

function add(d: Dist, k: string, p: number): void {
    d.set(k, (d.get(k) ?? 0) + p);
}

function applyChanges(h: Record<string, string>, c: HeaderChanges): void {
    for (const n of c.remove) delete h[n];
    for (const [k, v] of Object.entries(c.set)) h[k] = v;
    for (const [k, v] of Object.entries(c.add)) h[k] = k in h ? `${h[k]},${v}` : v;
}

const SAMPLE = ["x-a", "x-b", "x-c"];
function sample(): Record<string, string> {
    return Object.fromEntries(SAMPLE.map(n => [n, "orig"]));
}

/**
 * Differences between simulate and the URL map for one request, beyond the declared deviations:
 * (1) an invalid backend's 500 share is answered by the LB itself: no mirror, no response headers;
 * (2) an explicit same-scheme redirect keeps the listener's port (simulate: the scheme's default port),
 *     reported in the model's notes;
 * (3) a mirror at 0% is not emitted.
 */
export function mismatch(routing: RoutingPlan, dp: GcpDataPlane, req: SimRequest): string | undefined {
    const sim: SimResult = simulate(routing, req);
    const gcp: GcpResult = evaluate(dp.frontends, req);
    const keyOf = new Map(dp.backends.map(b => [b.link, b.key]));
    const where = () => `request ${JSON.stringify(req)}\n  simulate: ${JSON.stringify(sim.outcomes)}\n  gcp: ${JSON.stringify(gcp)}`;
    if (sim.status === 0 || gcp.status === 0) return sim.status === gcp.status ? undefined : `refused differs: ${where()}`;
    if (sim.redirect || gcp.redirect) {
        if (!sim.redirect || !gcp.redirect) return `redirect on one side only: ${where()}`;
        if (sim.redirect.statusCode !== gcp.redirect.statusCode) return `redirect code: ${where()}`;
        const rule = routing.gateways[0].listeners.flatMap(l => l.rules).find(r => r.id === sim.matched!.ruleId)!;
        const rd = rule.filters.requestRedirect!;
        const sameSchemeNonDefault = rd.scheme !== undefined && rd.scheme === (req.scheme ?? "http") && (req.port ?? 80) !== (rd.scheme === "https" ? 443 : 80);
        if (sim.redirect.location !== gcp.redirect.location) {
            if (!sameSchemeNonDefault) return `redirect location: ${where()}`;
            // The declared deviation must be reported, not silent.
            if (!dp.notes.some(n => n.startsWith(`${rule.label}: the redirect's Location keeps port`))) return `unreported redirect port deviation: ${where()}`;
        }
        return responseHeadersDiffer(sim.outcomes[0].responseHeaders, gcp.outcomes[0].responseHeaderActions) ? `redirect response headers: ${where()}` : undefined;
    }
    const ds: Dist = new Map(), dg: Dist = new Map();
    for (const o of sim.outcomes) add(ds, o.status === 200 ? `200 ${o.backend!.service}:${o.backend!.port}` : String(o.status), o.probability);
    for (const o of gcp.outcomes) add(dg, o.status === 200 ? `200 ${keyOf.get(o.backend!)}` : String(o.status), o.probability);
    const keys = new Set([...ds.keys(), ...dg.keys()]);
    for (const k of keys) if (Math.abs((ds.get(k) ?? 0) - (dg.get(k) ?? 0)) > 1e-9) return `share of ${k}: ${where()}`;
    // Per forwarded outcome (a backend may appear twice with different filters): the same request,
    // response header effect and mirrors, with the same total probability.
    const fingerprint = (key: string, req: { host: string; path: string; headers: Record<string, string> }, resp: string, mirrors: string[]) =>
        JSON.stringify([key, req.host, req.path, Object.entries(req.headers).sort(), resp, mirrors]);
    const fs: Dist = new Map(), fg: Dist = new Map();
    for (const o of sim.outcomes.filter(x => x.status === 200)) {
        const sm = o.mirrors.filter(m => m.percent > 0).map(m => `${m.service}:${m.port} ${m.percent}`);
        add(fs, fingerprint(`${o.backend!.service}:${o.backend!.port}`, o.request, responseEffect(o.responseHeaders, []), sm), o.probability);
    }
    for (const o of gcp.outcomes.filter(x => x.status === 200)) {
        const gm = o.mirror ? [`${keyOf.get(o.mirror.backend)} ${o.mirror.percent}`] : [];
        add(fg, fingerprint(keyOf.get(o.backend!)!, o.request, responseEffect(undefined, o.responseHeaderActions), gm), o.probability);
    }
    for (const k of new Set([...fs.keys(), ...fg.keys()])) {
        if (Math.abs((fs.get(k) ?? 0) - (fg.get(k) ?? 0)) > 1e-9) return `forwarded request ${k}: ${where()}`;
    }
    return undefined;
}

/** What a response's headers become, on two sample responses. */
function responseEffect(c: HeaderChanges | undefined, actions: GcpResult["outcomes"][number]["responseHeaderActions"]): string {
    return JSON.stringify([sample(), {} as Record<string, string>].map(base => {
        const h = { ...base };
        if (c) applyChanges(h, c);
        for (const a of actions) applyResponseHeaders(h, a);
        return Object.entries(h).sort();
    }));
}

function responseHeadersDiffer(c: HeaderChanges, actions: GcpResult["outcomes"][number]["responseHeaderActions"]): boolean {
    return responseEffect(c, []) !== responseEffect(undefined, actions);
}

// ---------------------------------------------------------------- unit checks
