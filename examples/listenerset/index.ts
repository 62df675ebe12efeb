// `pulumi up` entry point: a team's own listeners on the operator's Gateway (ListenerSet), on the
// local nginx data plane. The operator's Gateway serves www.example.org on `port` and admits
// ListenerSets from namespaces labelled listeners=team (allowedListeners); team-a's ListenerSet adds
// shop.example.org on the same port and on `adminPort` (a port the Gateway does not have: nginx opens
// it; aws and gcp would refuse it as the operator's to add), and its routes attach to the ListenerSet.
// team-b's ListenerSet is not admitted: its status says NotAllowed and nothing of it is served.
// Config: port (default 8080), adminPort (default 8081), workDir (nginx state root).
import * as pulumi from "@pulumi/pulumi";
import { Gateway, GatewayClass, HTTPRoute, ListenerSet } from "../../components";
import { localService } from "../../components/service";
import { EchoBackend } from "../../local/echo";

const config = new pulumi.Config();
const port = config.getNumber("port") ?? 8080;
const adminPort = config.getNumber("adminPort") ?? 8081;
const workDir = config.get("workDir");

const cls = new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx", ...(workDir ? { parameters: { nginx: { workDir } } } : {}) });
const gateway = new Gateway("edge", {
    gatewayClass: cls, namespace: "infra",
    listeners: [{ name: "www", port, protocol: "HTTP", hostname: "www.example.org" }],
    allowedListeners: { namespaces: { from: "Selector", selector: { matchLabels: { listeners: "team" } } } },
    namespaceLabels: { "team-a": { listeners: "team" } },
});
const site = localService("site", new EchoBackend("site", {}), { namespace: "infra", port: 8080 });
new HTTPRoute("site", { namespace: "infra", parentRefs: [{ gateway }], rules: [{ backendRefs: [{ service: site }] }] });

// team-a: its own hostname on the operator's port, and an admin port.
const shopListeners = new ListenerSet("shop", {
    namespace: "team-a", gateway,
    listeners: [
        { name: "web", port, protocol: "HTTP", hostname: "shop.example.org" },
        { name: "admin", port: adminPort, protocol: "HTTP", hostname: "shop.example.org" },
    ],
});
const shop = localService("shop", new EchoBackend("shop", {}), { namespace: "team-a", port: 8080 });
const shopAdmin = localService("shop-admin", new EchoBackend("shop-admin", {}), { namespace: "team-a", port: 8080 });
new HTTPRoute("shop", { namespace: "team-a", parentRefs: [{ listenerSet: shopListeners, sectionName: "web" }], rules: [{ backendRefs: [{ service: shop }] }] });
new HTTPRoute("shop-admin", { namespace: "team-a", parentRefs: [{ listenerSet: shopListeners, sectionName: "admin" }], rules: [{ backendRefs: [{ service: shopAdmin }] }] });

// team-b: not admitted by the Gateway's allowedListeners.
const blogListeners = new ListenerSet("blog", { namespace: "team-b", gateway, listeners: [{ name: "web", port, protocol: "HTTP", hostname: "blog.example.org" }] });

export const routes = gateway.routingTable;
export const gatewayStatus = gateway.status;
export const shopStatus = shopListeners.status;
export const blogStatus = blogListeners.status;
export const curl = [
    `curl -H 'Host: www.example.org' http://127.0.0.1:${port}/`,
    `curl -H 'Host: shop.example.org' http://127.0.0.1:${port}/`,
    `curl -H 'Host: shop.example.org' http://127.0.0.1:${adminPort}/`,
];
