// Every object the kubernetes adapter emits validates against the upstream Gateway API v1.6.1 CRD
// schemas (openAPIV3Schema, read at test time from ../shared beside the repo, never copied in)
// and against the CRDs' own CEL rules (model/crd-cel.ts), over many generated plans.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv, { ValidateFunction } from "ajv";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { compile } from "../../../routing/compile";
import { Feature, featuresOfGateway } from "../../../routing/features";
import { CompileInput, GatewayInput } from "../../../routing/plan";
import { HTTPHeaderFilter, HTTPRouteFilter, HTTPRouteRule, HTTPRouteSpec, Listener, ServiceSpec } from "../../../routing/types";
import { validateInput } from "../../../routing/validate";
import { celProblems } from "./checks";
import { isTransitionRule, loadRuleTable } from "./crd-cel";
import { Manifest, ManifestRenderer, allManifests } from "./manifests";
import { resolveParameters } from "../parameters";

const CRD_DIR = path.resolve(__dirname, "../../../../shared/gateway-api-v1.6.1/crds");
const CRD_FILES = ["gatewayclasses.yaml", "gateways.yaml", "httproutes.yaml", "referencegrants.yaml"];

/** kind → validator of the v1 schema, from the upstream CRDs. */
function loadValidators(): Map<string, ValidateFunction> {
    if (!fs.existsSync(CRD_DIR)) {
        throw new Error(`the Gateway API v1.6.1 CRDs are expected at ${CRD_DIR} (the shared reference data beside the repo); ` +
            "check out ../shared/gateway-api-v1.6.1/crds/ next to this repository to run the schema tests");
    }
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const out = new Map<string, ValidateFunction>();
    for (const file of CRD_FILES) {
        const crd = parseAllDocuments(fs.readFileSync(path.join(CRD_DIR, file), "utf8")).map(d => {
            if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0].message}`);
            return d.toJS() as unknown;
        }).find(Boolean) as {
            spec: { names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: object } }[] };
        };
        const v1 = crd.spec.versions.find(v => v.name === "v1");
        assert.ok(v1, `${file} has no v1 version`);
        out.set(crd.spec.names.kind, ajv.compile(v1.schema.openAPIV3Schema));
    }
    return out;
}

const validators = loadValidators();
/** Measured with seed 42: the rules the generated objects reach; a drop means the generator lost a feature. */
const MIN_RULES_REACHED = 79;

/** The CRD rules (indexes into the rule table) that ran at least once on an emitted object. */
const evaluatedRules = new Set<number>();

/** Schema and CEL problems of one emitted object (Services and EndpointSlices are core objects: CEL-free, no CRD). */
function problemsOf(m: Manifest): string[] {
    const validate = m.apiVersion.startsWith("gateway.networking.k8s.io/") ? validators.get(m.kind) : undefined;
    const out: string[] = [];
    if (validate && !validate(m as unknown)) out.push(...(validate.errors ?? []).map(e => `${m.kind} ${m.metadata.name}: ${e.instancePath} ${e.message}`));
    out.push(...celProblems(m, evaluatedRules));
    return out;
}

// ---------------------------------------------------------------- generators

const ROUTE_NAMESPACES = ["default", "team-a"];

const SERVICES: ServiceSpec[] = ROUTE_NAMESPACES.flatMap(ns => [
    { name: "svc-a", namespace: ns, ports: [{ port: 8080, targetPort: 9090 }], endpoints: [{ address: "10.0.0.1" }, { address: "10.0.0.2" }] },
    { name: "svc-b", namespace: ns, ports: [{ port: 80, name: "http" }, { port: 81 }], endpoints: [{ address: "fd00::1" }, { address: "10.0.1.1", port: 7000 }] },
    { name: "svc-c", namespace: ns, ports: [{ port: 8080 }], realizations: { kubernetes: { serviceName: "shared-c", namespace: "shared" } } },
    { name: "svc-d", namespace: ns, ports: [{ port: 8080 }] },
]);
const BACKENDS = [{ name: "svc-a", port: 8080 }, { name: "svc-b", port: 80 }, { name: "svc-b", port: 81 }, { name: "svc-c", port: 8080 }, { name: "svc-d", port: 8080 }];

const headerFilter: fc.Arbitrary<HTTPHeaderFilter> = fc.record({ set: fc.boolean(), add: fc.boolean(), remove: fc.boolean() })
    .filter(f => f.set || f.add || f.remove)
    .map(f => ({
        ...(f.set ? { set: [{ name: "x-set", value: "1" }] } : {}),
        ...(f.add ? { add: [{ name: "x-add", value: "2" }] } : {}),
        ...(f.remove ? { remove: ["x-remove"] } : {}),
    }));

const pathModifier = fc.oneof(
    fc.constant({ type: "ReplaceFullPath" as const, replaceFullPath: "/full" }),
    fc.constant({ type: "ReplacePrefixMatch" as const, replacePrefixMatch: "/prefix" }),
);

const mirror = fc.record({
    backend: fc.constantFrom(...BACKENDS),
    share: fc.oneof(fc.constant({}), fc.constant({ percent: 25 }), fc.constant({ fraction: { numerator: 1, denominator: 3 } })),
}).map(({ backend, share }): HTTPRouteFilter => ({ type: "RequestMirror", requestMirror: { backendRef: { ...backend }, ...share } }));

/** Filters that may go with backendRefs: header changes, one rewrite, mirrors. */
const forwardFilters = fc.record({
    req: fc.option(headerFilter, { nil: undefined }),
    res: fc.option(headerFilter, { nil: undefined }),
    rewrite: fc.option(fc.record({ hostname: fc.option(fc.constant("rewritten.example.com"), { nil: undefined }), path: fc.option(pathModifier, { nil: undefined }) }), { nil: undefined }),
    mirrors: fc.array(mirror, { maxLength: 2 }),
}).map(({ req, res, rewrite, mirrors }) => {
    const out: HTTPRouteFilter[] = [];
    if (req) out.push({ type: "RequestHeaderModifier", requestHeaderModifier: req });
    if (res) out.push({ type: "ResponseHeaderModifier", responseHeaderModifier: res });
    if (rewrite && (rewrite.hostname || rewrite.path)) {
        out.push({ type: "URLRewrite", urlRewrite: { ...(rewrite.hostname ? { hostname: rewrite.hostname } : {}), ...(rewrite.path ? { path: rewrite.path } : {}) } });
    }
    out.push(...mirrors);
    return out;
});

const redirect = fc.record({
    scheme: fc.option(fc.constantFrom("http" as const, "https" as const), { nil: undefined }),
    hostname: fc.option(fc.constant("moved.example.com"), { nil: undefined }),
    path: fc.option(pathModifier, { nil: undefined }),
    port: fc.option(fc.constantFrom(80, 8443), { nil: undefined }),
    statusCode: fc.option(fc.constantFrom(301 as const, 302 as const, 303 as const, 307 as const, 308 as const), { nil: undefined }),
}, { requiredKeys: [] }).map((r): HTTPRouteFilter => ({
    type: "RequestRedirect",
    requestRedirect: Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)),
}));

const match = fc.record({
    path: fc.option(fc.oneof(
        fc.record({ type: fc.constantFrom("Exact" as const, "PathPrefix" as const), value: fc.constantFrom("/", "/a", "/a/b", "/groups") }),
        fc.constant({ type: "RegularExpression" as const, value: "/v[0-9]+/.*" }),
        fc.constant({ value: "/only-value" }),
    ), { nil: undefined }),
    headers: fc.option(fc.array(fc.oneof(
        fc.record({ name: fc.constantFrom("x-env", "X-Team"), value: fc.constantFrom("canary", "a") }),
        fc.constant({ type: "RegularExpression" as const, name: "x-version", value: "v[12]" }),
    ), { minLength: 1, maxLength: 2 }).map(hs => hs.filter((h, i) => hs.findIndex(o => o.name.toLowerCase() === h.name.toLowerCase()) === i)), { nil: undefined }),
    queryParams: fc.option(fc.array(fc.oneof(
        fc.record({ name: fc.constantFrom("q", "page"), value: fc.constantFrom("1", "x") }),
        fc.constant({ type: "RegularExpression" as const, name: "id", value: "[0-9]+" }),
    ), { minLength: 1, maxLength: 2 }).map(qs => qs.filter((q, i) => qs.findIndex(o => o.name === q.name) === i)), { nil: undefined }),
    method: fc.option(fc.constantFrom("GET" as const, "POST" as const, "PATCH" as const), { nil: undefined }),
}, { requiredKeys: [] }).map(m => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)));

const backendRef = fc.record({
    backend: fc.constantFrom(...BACKENDS),
    weight: fc.option(fc.constantFrom(0, 1, 10, 90, 1000), { nil: undefined }),
    filters: fc.option(fc.record({ req: fc.option(headerFilter, { nil: undefined }), res: fc.option(headerFilter, { nil: undefined }) }), { nil: undefined }),
}).map(({ backend, weight, filters }) => {
    const fs: HTTPRouteFilter[] = [];
    if (filters?.req) fs.push({ type: "RequestHeaderModifier", requestHeaderModifier: filters.req });
    if (filters?.res) fs.push({ type: "ResponseHeaderModifier", responseHeaderModifier: filters.res });
    return { ...backend, ...(weight !== undefined ? { weight } : {}), ...(fs.length > 0 ? { filters: fs } : {}) };
});

const timeouts = fc.option(fc.oneof(
    fc.constant({ request: "10s" }), fc.constant({ backendRequest: "2s" }), fc.constant({ request: "10s", backendRequest: "500ms" }), fc.constant({ request: "0s", backendRequest: "1m" }),
), { nil: undefined });

/** A rule that forwards (backendRefs, maybe none) or redirects; ReplacePrefixMatch gets its single PathPrefix match. */
const rule = fc.record({
    kind: fc.constantFrom("forward", "forward", "redirect"),
    matches: fc.option(fc.array(match, { maxLength: 3 }), { nil: undefined }),
    forward: forwardFilters,
    redirect,
    backendRefs: fc.array(backendRef, { maxLength: 3 }),
    timeouts,
}).map(({ kind, matches, forward, redirect: r, backendRefs, timeouts: t }): HTTPRouteRule => {
    const filters = kind === "redirect" ? [r] : forward;
    const prefixModifier = filters.some(f => (f.requestRedirect ?? f.urlRewrite)?.path?.type === "ReplacePrefixMatch");
    return {
        ...(prefixModifier ? { matches: [{ path: { type: "PathPrefix", value: "/groups" } }] } : matches !== undefined ? { matches } : {}),
        ...(filters.length > 0 ? { filters } : {}),
        ...(kind === "forward" && backendRefs.length > 0 ? { backendRefs } : {}),
        ...(t ? { timeouts: t } : {}),
    };
});

const route = (name: string) => fc.record({
    namespace: fc.constantFrom(...ROUTE_NAMESPACES),
    section: fc.option(fc.constantFrom("http", "https"), { nil: undefined }),
    hostnames: fc.option(fc.constantFrom(["mygroup.io"], ["*.example.com", "a.example.com"]), { nil: undefined }),
    rules: fc.option(fc.array(rule, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    named: fc.boolean(),
}).map(({ namespace, section, hostnames, rules, named }): HTTPRouteSpec => ({
    name, namespace,
    parentRefs: [{ name: "gw", namespace: "default", ...(section ? { sectionName: section } : {}) }],
    ...(hostnames ? { hostnames: [...hostnames] } : {}),
    ...(rules ? { rules: named ? rules.map((r, i) => ({ ...r, name: `rule-${i}` })) : rules } : {}),
}));

const listeners = fc.record({
    httpHost: fc.option(fc.constantFrom("mygroup.io", "*.example.com"), { nil: undefined }),
    port: fc.constantFrom(80, 8080),
    isolated: fc.boolean(),
    https: fc.boolean(),
    allowed: fc.constantFrom<Listener["allowedRoutes"] | undefined>(
        undefined, { namespaces: { from: "All" } }, { namespaces: { from: "Same" } },
        { namespaces: { from: "Selector", selector: { matchLabels: { team: "a" } } } }, { kinds: [{ kind: "HTTPRoute" }], namespaces: { from: "All" } },
    ),
}).map(({ httpHost, port, isolated, https, allowed }): Listener[] => [
    { name: "http", port, protocol: "HTTP", ...(httpHost ? { hostname: httpHost } : {}), ...(allowed ? { allowedRoutes: allowed } : {}) },
    // Same port, more specific hostname: listener isolation.
    ...(isolated ? [{ name: "http-a", port, protocol: "HTTP" as const, hostname: "a.example.com", allowedRoutes: { namespaces: { from: "All" as const } } }] : []),
    ...(https ? [{ name: "https", port: 443, protocol: "HTTPS" as const, tls: { certificateRefs: [{ name: "mygroup-cert" }] }, allowedRoutes: { namespaces: { from: "All" as const } } }] : []),
]);

const input: fc.Arbitrary<CompileInput> = fc.record({
    listeners,
    routeCount: fc.integer({ min: 1, max: 4 }),
}).chain(({ listeners: ls, routeCount }) => fc.tuple(...Array.from({ length: routeCount }, (_, i) => route(`route-${i}`))).map(routes => ({
    gatewayClasses: [{ name: "external-lb", controllerName: "gatewaykit.dev/kubernetes" }],
    gateways: [{ name: "gw", namespace: "default", gatewayClassName: "external-lb", listeners: ls }],
    routes,
    services: SERVICES,
    namespaces: [{ name: "team-a", labels: { team: "a" } }],
})));

const parameters = fc.constantFrom<Record<string, unknown>>(
    {},
    { controllerName: "gateway.envoyproxy.io/gatewayclass-controller", gatewayClassName: "eg", description: "Envoy Gateway" },
    { namespaces: { "team-a": "cluster-team-a" }, await: { timeoutSeconds: 300 }, labels: { "example.com/owner": "platform" } },
    { controllerName: "example.com/gateway-controller", await: true },
);

/** The generated input's one gateway, as the Gateway component hands it to the adapter (ctx.input). */
function gatewayInput(inp: CompileInput): GatewayInput {
    return { gatewayClass: inp.gatewayClasses![0], gateway: inp.gateways[0], routes: inp.routes, services: inp.services ?? [], namespaces: inp.namespaces ?? [] };
}

describe("kubernetes adapter: emitted objects validate against the Gateway API v1.6.1 CRDs", () => {
    it("loads the v1 schemas of GatewayClass, Gateway, HTTPRoute and ReferenceGrant", () => {
        assert.deepEqual([...validators.keys()].sort(), ["Gateway", "GatewayClass", "HTTPRoute", "ReferenceGrant"]);
    });

    it("the validator refuses what the CRDs refuse (a sanity check of the harness)", () => {
        const bad: Manifest = {
            apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r", namespace: "default" },
            spec: { rules: [{ matches: [{ path: { type: "Prefix", value: "/" } }], backendRefs: [{ name: "svc", weight: -1 }] }] },
        };
        const problems = problemsOf(bad);
        assert.ok(problems.some(p => /must be equal to one of the allowed values/.test(p)), problems.join("\n"));
        assert.ok(problems.some(p => /must be >= 0/.test(p)), problems.join("\n"));
        assert.ok(problems.some(p => /Must have port for Service reference/.test(p)), problems.join("\n"));
    });

    it("every object of many generated plans is schema-valid and passes the CEL rules", function () {
        this.timeout(60_000);
        const counts = new Map<string, number>();
        const features = new Set<Feature>();
        let plans = 0;
        fc.assert(fc.property(input, parameters, (inp, raw) => {
            const issues = validateInput(inp);
            assert.deepEqual(issues.map(i => i.message), [], "the generator made an invalid gatewaykit input");
            const plan = compile(inp, { skipValidation: true }).gateways[0];
            for (const u of featuresOfGateway(plan)) features.add(u.feature);
            const { params, problems } = resolveParameters(raw);
            assert.deepEqual(problems, []);
            const objects = allManifests(new ManifestRenderer(gatewayInput(inp), params).render("gateway"));
            for (const m of objects) {
                assert.deepEqual(problemsOf(m), [], JSON.stringify(m, null, 1));
                counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
            }
            plans++;
        }), { numRuns: 300, seed: 42 });
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        const crdObjects = ["GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant"].reduce((n, k) => n + (counts.get(k) ?? 0), 0);
        // The figures for the adapter's note.
        console.log(`      kubernetes schema: ${plans} plans, ${total} objects (${crdObjects} against the CRDs: ` +
            `${[...counts].map(([k, n]) => `${n} ${k}`).join(", ")}), ${features.size} features: ${[...features].sort().join(", ")}`);
        for (const kind of ["GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant", "Service", "EndpointSlice"]) {
            assert.ok((counts.get(kind) ?? 0) > 0, `no ${kind} was generated`);
        }
        // CEL coverage: a rule runs only where its node is present, so this counts the rules whose
        // fields gatewaykit emits (v1 only; CORS, TLS-passthrough, infrastructure and status fields it never writes).
        const { rules } = loadRuleTable();
        const v1 = rules.map((r, i) => ({ r, i })).filter(({ r }) => r.version === "v1" && !isTransitionRule(r));
        const ran = v1.filter(({ i }) => evaluatedRules.has(i));
        console.log(`      CEL rules evaluated at least once: ${ran.length} of ${v1.length} (v1, create-time); never reached: ` +
            [...new Set(v1.filter(({ i }) => !evaluatedRules.has(i)).map(({ r }) => `${r.kind} ${r.path}`))].join(", "));
        assert.ok(ran.length >= MIN_RULES_REACHED, `only ${ran.length} CEL rules ran on the generated objects (was ${MIN_RULES_REACHED}): the generator lost coverage`);
        assert.ok(features.size >= 24, `only ${features.size} features covered`);
    });
});

// ---------------------------------------------------------------- round trip

/**
 * The emitted objects read back as gatewaykit specs (the cluster's view: its Services, EndpointSlices
 * and ReferenceGrants), compiled again: the routing must be the plan's, with names in cluster terms.
 */
function readBack(objects: Manifest[], original: CompileInput, mapNs: (ns: string) => string): CompileInput {
    const ofKind = (k: string) => objects.filter(o => o.kind === k) as (Manifest & { spec: Record<string, any> })[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const gw = ofKind("Gateway")[0];
    const created = ofKind("Service").map((s): ServiceSpec => {
        const ports = (s.spec.ports as { name: string; port: number; targetPort: number }[]);
        const slices = objects.filter(o => o.kind === "EndpointSlice" && o.metadata.namespace === s.metadata.namespace && o.metadata.labels?.["kubernetes.io/service-name"] === s.metadata.name);
        const endpoints = slices.flatMap(sl => {
            const slicePorts = sl.ports as { name: string; port: number }[];
            const plain = slicePorts.every(sp => ports.find(p => p.name === sp.name)!.targetPort === sp.port);
            return (sl.endpoints as { addresses: string[] }[]).map(e => ({ address: e.addresses[0], ...(plain ? {} : { port: slicePorts[0].port }) }));
        });
        return { name: s.metadata.name, namespace: s.metadata.namespace, ports: ports.map(p => ({ port: p.port, targetPort: p.targetPort })), endpoints };
    });
    // Services the cluster already has (realised or existing by name): same ports, no endpoints of ours.
    const existing = SERVICES.filter(s => (s.endpoints ?? []).length === 0).map((s): ServiceSpec => {
        const r = s.realizations?.kubernetes as { serviceName?: string; namespace?: string } | undefined;
        return { name: r?.serviceName ?? s.name, namespace: r?.namespace ?? mapNs(s.namespace!), ports: s.ports };
    });
    return {
        gatewayClasses: [{ name: gw.spec.gatewayClassName, controllerName: "gatewaykit.dev/kubernetes" }],
        gateways: [{ name: gw.metadata.name, namespace: gw.metadata.namespace, gatewayClassName: gw.spec.gatewayClassName, listeners: gw.spec.listeners }],
        routes: ofKind("HTTPRoute").map(r => ({ name: r.metadata.name, namespace: r.metadata.namespace, ...r.spec })),
        services: [...created, ...existing].filter((e, i, all) => all.findIndex(c => c.name === e.name && c.namespace === e.namespace) === i),
        referenceGrants: ofKind("ReferenceGrant").map(g => ({ name: g.metadata.name, namespace: g.metadata.namespace, from: g.spec.from, to: g.spec.to })),
        namespaces: (original.namespaces ?? []).map(n => ({ name: mapNs(n.name), labels: n.labels })),
    };
}

describe("kubernetes adapter: the emitted objects route like the plan (read back and compiled again)", () => {
    it("same rules, matches, filters, backends, weights and grants-resolved references on every listener", function () {
        this.timeout(60_000);
        let compared = 0;
        fc.assert(fc.property(input, parameters, (inp, raw) => {
            const { params } = resolveParameters(raw);
            const mapNs = (ns: string) => params.namespaces[ns] ?? ns;
            const plan = compile(inp, { skipValidation: true }).gateways[0];
            const objects = allManifests(new ManifestRenderer(gatewayInput(inp), params).render("gateway"));
            const back = compile(readBack(objects, inp, mapNs)).gateways[0];
            const serviceKey = (key: string | undefined) => {
                if (key === undefined) return undefined;
                const [ns, name] = key.split("/");
                const svc = SERVICES.find(s => s.namespace === ns && s.name === name);
                const r = svc?.realizations?.kubernetes as { serviceName?: string; namespace?: string } | undefined;
                return r ? `${r.namespace}/${r.serviceName}` : `${mapNs(ns)}/${name}`;
            };
            const routeKey = (key: string) => { const [ns, name] = key.split("/"); return `${mapNs(ns)}/${name}`; };
            const view = (rules: typeof plan.listeners[0]["rules"], mapped: boolean) => rules.map(r => ({
                route: mapped ? routeKey(r.route) : r.route, rule: r.ruleName ?? r.ruleIndex, match: r.matchIndex, hostname: r.hostname,
                m: r.match, timeouts: r.timeouts,
                filters: { ...r.filters, requestMirrors: r.filters.requestMirrors.map(m => ({ ...m, service: mapped ? serviceKey(m.service) : m.service })) },
                backends: r.backends.map(b => ({
                    service: mapped ? serviceKey(b.service) : b.service, port: b.port, weight: b.weight, invalid: b.invalidReason,
                    endpoints: [...b.endpoints].sort((x, y) => x.address < y.address ? -1 : 1),
                    filters: { ...b.filters, requestMirrors: b.filters.requestMirrors.map(m => ({ ...m, service: mapped ? serviceKey(m.service) : m.service })) },
                })),
            })).map(v => JSON.parse(JSON.stringify(v, (k, val) => (k === "serviceSpec" || k === "endpoints" && Array.isArray(val) && val.length === 0 ? undefined : val))));
            // Mapping namespaces can change the alphabetical tie-break between routes: compare as sets then.
            const sorted = (xs: object[]) => Object.keys(params.namespaces).length === 0 ? xs : [...xs].sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
            assert.equal(back.listeners.length, plan.listeners.length);
            plan.listeners.forEach((l, i) => {
                assert.deepEqual(sorted(view(back.listeners[i].rules, false)), sorted(view(l.rules, true)), `listener ${l.name}`);
                compared += l.rules.length;
            });
        }), { numRuns: 150, seed: 7 });
        assert.ok(compared > 500, `only ${compared} rules compared`);
    });
});
