// The seed's "Update Infrastructure Provider": the same program on another vendor. The routes and
// services below never change; the GatewayClass's controllerName is the one line that does, and
// its parameters carry a section for every vendor (examples/seed.ts). Before swapping, list the
// portability targets: their findings show in `pulumi preview` (warnings and the `portability`
// output) before any resource changes.
import * as gk from "../../index";
import { CONTROLLERS, Vendor, canaryRoute, mygroupGateway, mygroupListeners, seedClassParameters, seedServices } from "../seed";

export interface ProviderSwapOptions {
    /** The one line a swap changes; defaults to nginx. */
    controllerName?: string;
    /** controllerNames to check the routes against before swapping to them. */
    portabilityTargets?: string[];
    /** Add the team's traffic-shadowing route (RequestMirror + a regex path), which ALB cannot carry. */
    withShadowRoute?: boolean;
    nginxWorkDir?: string;
    /** The HTTP listener's port; defaults to the seed's 8080. */
    port?: number;
}

export function providerSwap(options: ProviderSwapOptions = {}) {
    const externalLb = new gk.GatewayClass("external-lb", {
        controllerName: options.controllerName ?? CONTROLLERS.nginx,
        description: "external load balancers for application teams",
        parameters: seedClassParameters({ nginxWorkDir: options.nginxWorkDir }),
    });
    const gateway = mygroupGateway(externalLb, {
        ...(options.portabilityTargets ? { portabilityTargets: options.portabilityTargets } : {}),
        ...(options.port !== undefined ? { listeners: mygroupListeners(options.port) } : {}),
    });
    const services = seedServices();
    const routes = [canaryRoute({ gateway, services }), apiRoute(gateway, services)];
    if (options.withShadowRoute) routes.push(shadowRoute(gateway, services));
    return { externalLb, gateway, services, routes };
}

/**
 * Features every built-in vendor carries: Exact and PathPrefix paths, header and query matches,
 * path and host rewrites, a scheme redirect and a weighted split (see the README's feature table).
 */
function apiRoute(gateway: gk.Gateway, services: { groups: gk.Service; canary: gk.Service }): gk.HTTPRoute {
    return new gk.HTTPRoute("mygroup-api", {
        namespace: "mygroup",
        parentRefs: [{ gateway }],
        hostnames: ["mygroup.io"],
        rules: [
            {
                name: "me",
                matches: [{ path: { type: "Exact", value: "/users/me" }, headers: [{ name: "x-team", value: "mygroup" }] }],
                backendRefs: [{ service: services.groups }],
            },
            {
                name: "beta",
                matches: [{ path: { type: "PathPrefix", value: "/search" }, queryParams: [{ name: "beta", value: "1" }] }],
                backendRefs: [{ service: services.canary }],
            },
            {
                name: "legacy",
                matches: [{ path: { type: "PathPrefix", value: "/old-groups" } }],
                filters: [{ type: "URLRewrite", urlRewrite: { hostname: "groups.internal", path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/groups" } } }],
                backendRefs: [{ service: services.groups }],
            },
            {
                name: "secure",
                matches: [{ path: { type: "PathPrefix", value: "/account" } }],
                filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
            },
        ],
    });
}

/** Shadow traffic to the canary and match versioned paths by regex: fine on nginx, gcp (no regex), kubernetes; not on ALB. */
function shadowRoute(gateway: gk.Gateway, services: { groups: gk.Service; canary: gk.Service }): gk.HTTPRoute {
    return new gk.HTTPRoute("mygroup-shadow", {
        namespace: "mygroup",
        parentRefs: [{ gateway }],
        hostnames: ["mygroup.io"],
        rules: [
            {
                name: "shadow",
                matches: [{ path: { type: "PathPrefix", value: "/reports" } }],
                filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "mygroup-groups-canary", port: 8080 } } }],
                backendRefs: [{ service: services.groups }],
            },
            {
                name: "versioned",
                matches: [{ path: { type: "RegularExpression", value: "/v[0-9]+/groups" } }],
                backendRefs: [{ service: services.groups }],
            },
        ],
    });
}

export type { Vendor };
