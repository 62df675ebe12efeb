// The kubernetes adapter under Pulumi mocks: which objects a program creates (the resource graph),
// grants, parameters, await annotations and status read-back. The CEL checks: model/checks.test.ts.

import { strict as assert } from "assert";
import { Provider } from "@pulumi/kubernetes/provider";
import { Gateway, GatewayClass, GatewayReference, GRPCRoute, HTTPRoute, Service } from "../../components";
import { GatewayClassParameters } from "../../components/gatewayClass";
import { Manifest } from "./model/manifests";
import { clusterStatus, gatewaySummary } from "./realize";
import { kubernetesAdapter } from ".";
import { KubernetesModel } from "./model";
import { Adapter, registerAdapter } from "..";
import { outputOf, RecordedResource, runProgram, setupMocks, failureOf } from "../../testing";

setupMocks();

const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const GRPC_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute";
const GRANT = "kubernetes:gateway.networking.k8s.io/v1:ReferenceGrant";
const SVC = "kubernetes:core/v1:Service";
const SLICE = "kubernetes:discovery.k8s.io/v1:EndpointSlice";

const of = (resources: RecordedResource[], type: string) => resources.filter(r => r.type === type);
const names = (resources: RecordedResource[], type: string) => of(resources, type).map(r => r.name).sort();

/** The seed: class, gateway in mygroup, a 90/10 canary to an endpoint service and a realised one. */
function seed(k8s: GatewayClassParameters["kubernetes"] = {}, extra?: (gw: Gateway) => void) {
    const cls = new GatewayClass("external-lb", { controllerName: "gatewaykit.dev/kubernetes", parameters: { kubernetes: k8s } });
    const gateway = new Gateway("mygroup-external", { gatewayClass: cls, namespace: "mygroup", listeners: [{ name: "http", protocol: "HTTP", port: 8080 }] });
    const groups = new Service("mygroup-groups", { namespace: "mygroup", ports: [{ port: 8080, targetPort: 9090 }], endpoints: [{ address: "10.0.0.10" }, { address: "10.0.0.11" }] });
    const canary = new Service("mygroup-groups-canary", { namespace: "mygroup", port: 8080, realizations: { kubernetes: { serviceName: "groups-canary", namespace: "canaries" } } });
    const route = new HTTPRoute("mygroup", {
        namespace: "mygroup",
        parentRefs: [{ gateway }],
        hostnames: ["mygroup.io"],
        rules: [{ name: "groups", matches: [{ path: { type: "PathPrefix", value: "/groups" } }], backendRefs: [{ service: groups, weight: 90 }, { service: canary, weight: 10 }] }],
    });
    extra?.(gateway);
    return { gateway, route };
}

describe("kubernetes adapter (Pulumi mocks)", () => {
    it("emits the seed as GatewayClass, Gateway, HTTPRoute, Service + EndpointSlice and the ReferenceGrant it needs", async () => {
        const { resources } = await runProgram(() => {
            const provider = new Provider("cluster", { namespace: "ignored" });
            seed({ controllerName: "gateway.envoyproxy.io/gatewayclass-controller", provider });
        });
        assert.deepEqual(names(resources, "pulumi:providers:kubernetes"), ["cluster"]);
        assert.deepEqual(names(resources, CLASS), ["external-lb"]);
        assert.deepEqual(names(resources, GW), ["mygroup/mygroup-external"]);
        assert.deepEqual(names(resources, ROUTE), ["mygroup/mygroup"]);
        // Only the endpoint backend is created; the realised one is referenced.
        assert.deepEqual(names(resources, SVC), ["mygroup/mygroup-groups"]);
        assert.deepEqual(names(resources, SLICE), ["mygroup/mygroup-groups-ipv4"]);
        assert.deepEqual(names(resources, GRANT), ["canaries/httproute-mygroup-mygroup"]);

        const gw = of(resources, GW)[0].inputs as Manifest;
        assert.deepEqual(gw.spec, { gatewayClassName: "external-lb", listeners: [{ name: "http", port: 8080, protocol: "HTTP" }] });
        const route = of(resources, ROUTE)[0].inputs as Manifest;
        assert.deepEqual(route.spec, {
            parentRefs: [{ name: "mygroup-external" }],
            hostnames: ["mygroup.io"],
            rules: [{
                name: "groups",
                matches: [{ path: { type: "PathPrefix", value: "/groups" } }],
                backendRefs: [{ name: "mygroup-groups", port: 8080, weight: 90 }, { name: "groups-canary", namespace: "canaries", port: 8080, weight: 10 }],
            }],
        });
        const slice = of(resources, SLICE)[0].inputs as Manifest;
        assert.deepEqual(slice.ports, [{ name: "port-8080", port: 9090, protocol: "TCP" }]);
        assert.deepEqual(slice.endpoints, [{ addresses: ["10.0.0.10"], conditions: { ready: true } }, { addresses: ["10.0.0.11"], conditions: { ready: true } }]);
        assert.equal(slice.metadata.labels!["kubernetes.io/service-name"], "mygroup-groups");
        const grant = of(resources, GRANT)[0].inputs as Manifest;
        assert.deepEqual(grant.spec, {
            from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "mygroup" }],
            to: [{ group: "", kind: "Service", name: "groups-canary" }],
        });
    });

    it("references an existing GatewayClass by name when no controllerName is given, and maps namespaces", async () => {
        const { resources } = await runProgram(() => { seed({ gatewayClassName: "eg", namespaces: { mygroup: "team-mygroup" } }); });
        assert.deepEqual(names(resources, CLASS), []);
        assert.equal((of(resources, GW)[0].inputs as Manifest).spec && ((of(resources, GW)[0].inputs as Manifest).spec as { gatewayClassName: string }).gatewayClassName, "eg");
        assert.deepEqual(names(resources, ROUTE), ["team-mygroup/mygroup"]);
        assert.deepEqual(names(resources, SVC), ["team-mygroup/mygroup-groups"]);
        const grant = of(resources, GRANT)[0].inputs as Manifest;
        assert.equal(grant.metadata.name, "httproute-team-mygroup-mygroup");
        assert.deepEqual((grant.spec as { from: unknown[] }).from, [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "team-mygroup" }]);
    });

    it("with manageReferenceGrants: false, fails naming the missing grant; a listed grant satisfies it", async () => {
        const err = await failureOf(runProgram(() => { seed({ manageReferenceGrants: false }); }));
        assert.match(err.message, /HTTPRoute mygroup\/mygroup rule 0 \(groups\) backendRefs\[1\]: Service canaries\/groups-canary is in another cluster namespace/);
        assert.match(err.message, /create a ReferenceGrant in namespace canaries \(from: \[\{ group: "gateway\.networking\.k8s\.io", kind: "HTTPRoute", namespace: "mygroup" \}\], to: \[\{ group: "", kind: "Service", name: "groups-canary" \}\]\)/);

        const { resources } = await runProgram(() => {
            seed({
                manageReferenceGrants: false,
                referenceGrants: [{ name: "from-mygroup", namespace: "canaries", from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "mygroup" }], to: [{ group: "", kind: "Service" }] }],
            });
        });
        assert.deepEqual(names(resources, GRANT), []);
        assert.deepEqual(names(resources, ROUTE), ["mygroup/mygroup"]);
    });

    it("one HTTPRoute object per route, every field as written (filters, mirrors, timeouts, parentRef sections)", async () => {
        const { resources } = await runProgram(() => {
            const cls = new GatewayClass("k8s", { controllerName: "gatewaykit.dev/kubernetes" });
            const gateway = new Gateway("edge", {
                gatewayClass: cls,
                listeners: [{ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "All" } } }],
            });
            const a = new Service("a", { namespace: "team-a", port: 80, endpoints: [{ address: "10.1.0.1" }] });
            const b = new Service("b", { namespace: "team-b", port: 80, endpoints: [{ address: "fd00::1" }, { address: "10.2.0.1", port: 9000 }] });
            new HTTPRoute("store", {
                namespace: "team-a",
                parentRefs: [{ gateway, sectionName: "http" }],
                rules: [
                    {
                        name: "api",
                        matches: [{ path: { type: "Exact", value: "/api" }, headers: [{ name: "X-Env", value: "canary" }], queryParams: [{ type: "RegularExpression", name: "id", value: "[0-9]+" }], method: "GET" }],
                        filters: [
                            { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-team", value: "a" }] } },
                            { type: "RequestMirror", requestMirror: { backendRef: { name: "a", port: 80 }, percent: 10 } },
                        ],
                        backendRefs: [{ service: a, filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { remove: ["server"] } }] }],
                        timeouts: { request: "10s", backendRequest: "2s" },
                    },
                    { name: "old", matches: [{ path: { value: "/old" } }], filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" }, statusCode: 301 } }] },
                ],
            });
            new HTTPRoute("shop", { namespace: "team-b", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: b }] }] });
        });
        assert.deepEqual(names(resources, ROUTE), ["team-a/store", "team-b/shop"]);
        const store = of(resources, ROUTE).find(r => r.name === "team-a/store")!.inputs as Manifest;
        assert.deepEqual(store.spec, {
            parentRefs: [{ namespace: "default", name: "edge", sectionName: "http" }],
            rules: [
                {
                    name: "api",
                    matches: [{ path: { type: "Exact", value: "/api" }, headers: [{ name: "X-Env", value: "canary" }], queryParams: [{ type: "RegularExpression", name: "id", value: "[0-9]+" }], method: "GET" }],
                    filters: [
                        { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-team", value: "a" }] } },
                        { type: "RequestMirror", requestMirror: { backendRef: { name: "a", port: 80 }, percent: 10 } },
                    ],
                    backendRefs: [{ name: "a", port: 80, filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { remove: ["server"] } }] }],
                    timeouts: { request: "10s", backendRequest: "2s" },
                },
                { name: "old", matches: [{ path: { value: "/old" } }], filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" }, statusCode: 301 } }] },
            ],
        });
        // IPv6 and a per-endpoint port make separate slices.
        assert.deepEqual(names(resources, SLICE), ["team-a/a-ipv4", "team-b/b-ipv4-9000", "team-b/b-ipv6"]);
        assert.deepEqual(names(resources, GRANT), []);
    });

    it("creates an object two gateways share once (a route naming both, a shared backend)", async () => {
        const { resources } = await runProgram(() => {
            const cls = new GatewayClass("k8s", { controllerName: "gatewaykit.dev/kubernetes" });
            const one = new Gateway("one", { gatewayClass: cls, listeners: [{ name: "http", protocol: "HTTP", port: 80 }] });
            const two = new Gateway("two", { gatewayClass: cls, listeners: [{ name: "http", protocol: "HTTP", port: 80 }] });
            const svc = new Service("web", { port: 80, endpoints: [{ address: "10.0.0.1" }] });
            new HTTPRoute("web", { parentRefs: [{ gateway: one }, { gateway: two }], rules: [{ backendRefs: [{ service: svc }] }] });
        });
        assert.deepEqual(names(resources, GW), ["default/one", "default/two"]);
        assert.deepEqual(names(resources, ROUTE), ["default/web"]);
        assert.deepEqual((of(resources, ROUTE)[0].inputs as Manifest & { spec: { parentRefs: unknown[] } }).spec.parentRefs, [{ name: "one" }, { name: "two" }]);
        assert.deepEqual(names(resources, SVC), ["default/web"]);
    });

    it("await adds pulumi.com/waitFor annotations: Gateway Programmed, HTTPRoute Accepted", async () => {
        const { resources } = await runProgram(() => { seed({ await: { timeoutSeconds: 300 } }); });
        // The timeout is the objects' customTimeouts (create, update), not an annotation that would bound deletes too.
        assert.deepEqual((of(resources, GW)[0].inputs as Manifest).metadata.annotations, { "pulumi.com/waitFor": "condition=Programmed" });
        assert.deepEqual((of(resources, ROUTE)[0].inputs as Manifest).metadata.annotations, {
            "pulumi.com/waitFor": `jsonpath={.status.parents[*].conditions[?(@.type=="Accepted")].status}=True`,
        });
        const { resources: quiet } = await runProgram(() => { seed(); });
        assert.equal((of(quiet, GW)[0].inputs as Manifest).metadata.annotations, undefined);
    });

    it("surfaces the controller's status: Pending under mocks, Programmed and addresses once reported", async () => {
        let gateway!: Gateway;
        const { outputs } = await runProgram(() => {
            gateway = seed().gateway;
            return { status: clusterStatus(gateway), addresses: gateway.addresses };
        });
        assert.equal(outputs.status!.gateway!.name, "mygroup/mygroup-external");
        assert.deepEqual(outputs.status!.gateway!.programmed, { type: "Programmed", status: "Unknown", reason: "Pending", message: "the controller has not reported status (yet)" });
        assert.deepEqual(outputs.addresses, []);
        assert.deepEqual(outputs.status!.routes, [{ route: "mygroup/mygroup", parents: [] }]);
        // What a controller writes, summarised the same way.
        const reported = gatewaySummary("mygroup/mygroup-external", {
            addresses: [{ type: "IPAddress", value: "203.0.113.7" }],
            conditions: [{ type: "Accepted", status: "True", reason: "Accepted" }, { type: "Programmed", status: "True", reason: "Programmed", message: "Address assigned" }],
        });
        assert.deepEqual(reported.addresses, ["203.0.113.7"]);
        assert.equal(reported.programmed.status, "True");
    });

    it("an application team's stack emits its routes (and backends) against another stack's gateway", async () => {
        const reference: GatewayReference = {
            name: "mygroup-external", namespace: "mygroup", className: "external-lb", controllerName: "gatewaykit.dev/kubernetes",
            listeners: [{ name: "http", protocol: "HTTP", port: 8080 }], namespaceLabels: {},
        };
        let route!: HTTPRoute;
        const { resources, outputs } = await runProgram(() => {
            const svc = new Service("mygroup-groups", { namespace: "mygroup", port: 8080, endpoints: [{ address: "10.0.0.10" }] });
            route = new HTTPRoute("mygroup", { namespace: "mygroup", parentRefs: [{ gateway: reference }], rules: [{ backendRefs: [{ service: svc }] }] });
            return { status: route.status, cluster: clusterStatus(route) };
        });
        assert.deepEqual(names(resources, GW), []);
        assert.deepEqual(names(resources, ROUTE), ["mygroup/mygroup"]);
        assert.deepEqual(names(resources, SVC), ["mygroup/mygroup-groups"]);
        assert.equal(outputs.status.parents[0].conditions[0].status, "True");
        assert.deepEqual(outputs.cluster, { routes: [{ route: "mygroup/mygroup", parents: [] }] });
    });

    it("emits a GRPCRoute object beside the HTTPRoute, with its grant from kind GRPCRoute, on a gateway and from another stack", async () => {
        const { resources } = await runProgram(() => {
            seed({}, gateway => {
                const greeter = new Service("greeter", { namespace: "mygroup", port: 50051, realizations: { kubernetes: { serviceName: "greeter", namespace: "canaries" } } });
                new GRPCRoute("greeter", {
                    namespace: "mygroup", parentRefs: [{ gateway }], hostnames: ["grpc.mygroup.io"],
                    rules: [{ name: "hello", matches: [{ method: { service: "helloworld.Greeter", method: "SayHello" } }], backendRefs: [{ service: greeter }] }],
                });
            });
        });
        assert.deepEqual(names(resources, ROUTE), ["mygroup/mygroup"]);
        assert.deepEqual(names(resources, GRPC_ROUTE), ["mygroup/greeter"]);
        const spec = (of(resources, GRPC_ROUTE)[0].inputs as Manifest).spec as Record<string, unknown>;
        assert.deepEqual(spec.rules, [{ name: "hello", matches: [{ method: { service: "helloworld.Greeter", method: "SayHello" } }], backendRefs: [{ name: "greeter", namespace: "canaries", port: 50051 }] }]);
        assert.deepEqual(names(resources, GRANT), ["canaries/grpcroute-mygroup-greeter", "canaries/httproute-mygroup-mygroup"]);
        const grant = of(resources, GRANT).find(r => r.name === "canaries/grpcroute-mygroup-greeter")!.inputs as Manifest;
        assert.deepEqual((grant.spec as { from: unknown }).from, [{ group: "gateway.networking.k8s.io", kind: "GRPCRoute", namespace: "mygroup" }]);

        const reference: GatewayReference = {
            name: "mygroup-external", namespace: "mygroup", className: "external-lb", controllerName: "gatewaykit.dev/kubernetes",
            listeners: [{ name: "http", protocol: "HTTP", port: 8080 }], namespaceLabels: {},
        };
        const remote = await runProgram(() => {
            new GRPCRoute("greeter", { namespace: "mygroup", parentRefs: [{ gateway: reference }], rules: [{ backendRefs: [{ name: "greeter", port: 50051 }] }] });
        });
        assert.deepEqual(names(remote.resources, GW), []);
        assert.deepEqual(names(remote.resources, GRPC_ROUTE), ["mygroup/greeter"]);
    });

    it("builds the model once per render and creates the objects of that model (realize does not render again)", async () => {
        let built = 0;
        const spy: Adapter = {
            ...kubernetesAdapter,
            model: (plan, ctx) => {
                built++;
                const result = kubernetesAdapter.model!(plan, ctx);
                // A mark only the handed-over model carries: it reaches the cluster only if realize uses ctx.model.
                (result.model as KubernetesModel).rendered.gateway!.metadata.labels!["test.gatewaykit.dev/from"] = "model";
                return result;
            },
        };
        registerAdapter(spy);
        try {
            const { resources } = await runProgram(() => { seed(); });
            assert.equal(built, 1);
            assert.equal((of(resources, GW)[0].inputs as Manifest).metadata.labels?.["test.gatewaykit.dev/from"], "model");
        } finally {
            registerAdapter(kubernetesAdapter);
        }
    });

    it("refuses a feature the in-cluster controller does not list in supportedFeatures", async () => {
        const err = await failureOf(runProgram(() => { seed({ supportedFeatures: ["HTTPRoute", "GatewayPort8080"] }); }));
        assert.match(err.message, /HTTPRoute mygroup\/mygroup rule 0 \(groups\) uses HTTPRouteWeightedBackends, which the in-cluster controller does not support/);
        const { resources } = await runProgram(() => { seed({ supportedFeatures: ["HTTPRoute", "GatewayPort8080", "HTTPRouteWeightedBackends"] }); });
        assert.deepEqual(names(resources, ROUTE), ["mygroup/mygroup"]);
    });

    it("refuses bad parameters and un-Kubernetes names before creating anything", async () => {
        const err = await failureOf(runProgram(() => {
            seed({ controllerName: "envoy", namespace: "x" } as never);
        }));
        assert.match(err.message, /parameters\.kubernetes\.namespace: unknown field/);
        assert.match(err.message, /parameters\.kubernetes\.controllerName: must be a domain-prefixed path/);
        const { resources } = await runProgram(() => undefined);
        assert.equal(resources.length, 0);

        const names2 = await failureOf(runProgram(() => {
            const cls = new GatewayClass("k8s", { controllerName: "gatewaykit.dev/kubernetes" });
            const gateway = new Gateway("edge", { gatewayClass: cls, listeners: [{ name: "http", protocol: "HTTP", port: 80 }] });
            const svc = new Service("9lives", { ports: [{ port: 80, name: "the-http-port-name" }], endpoints: [{ address: "backend.internal" }] });
            new HTTPRoute("r", { parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: svc }] }] });
        }));
        assert.match(names2.message, /Service default\/9lives: metadata\.name: a Kubernetes Service name must start with a letter/);
        assert.match(names2.message, /Service default\/9lives: spec\.ports\[0\]\.name: is not a Kubernetes port name .*\(got "the-http-port-name"\)/);
        assert.match(names2.message, /Service default\/9lives: spec\.endpoints\[0\]\.address: is a hostname.*\(got "backend\.internal"\)/);
    });
});
