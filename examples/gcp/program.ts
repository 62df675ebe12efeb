// The seed's scenario on GCP: the same Gateway "mygroup-external" and HTTPRoute (90/10 canary on
// /groups of mygroup.io), realised as a global external Application Load Balancer. Only the class
// (controllerName + parameters.gcp) and the Services' realizations.gcp differ from the quickstart.
import * as gk from "../../index";
import { canaryRoute } from "../seed";

export interface GcpExampleOptions {
    project?: string;
    zone?: string;
    canaryWeight?: number;
    /** Extra routes, e.g. to show that adding one only updates the URL map. */
    extraRoutes?: number;
}

export function gcpExample(options: GcpExampleOptions = {}) {
    const zone = options.zone ?? "europe-west1-b";
    const externalLb = new gk.GatewayClass("external-lb", {
        controllerName: "gatewaykit.dev/gcp-alb",
        description: "global external Application Load Balancers for application teams",
        parameters: { gcp: { project: options.project ?? "my-project", network: "default", zone, logSampleRate: 0.5 } },
    });

    const gateway = new gk.Gateway("mygroup-external", {
        gatewayClass: externalLb,
        namespace: "mygroup",
        listeners: [{ name: "http", protocol: "HTTP", port: 8080 }],
    });

    // VMs in the VPC: zonal GCE_VM_IP_PORT NEGs need the instance that owns each address.
    const groups = new gk.Service("mygroup-groups", {
        namespace: "mygroup", port: 8080, endpoints: [{ address: "10.10.0.11", port: 9101 }],
        realizations: { gcp: { instance: "groups-vm-1" } },
    });
    const groupsCanary = new gk.Service("mygroup-groups-canary", {
        namespace: "mygroup", port: 8080, endpoints: [{ address: "10.10.0.12", port: 9102 }],
        realizations: { gcp: { instance: "groups-vm-2" } },
    });

    const route = canaryRoute({ gateway, services: { groups, canary: groupsCanary }, canaryWeight: options.canaryWeight });

    for (let i = 0; i < (options.extraRoutes ?? 0); i++) {
        new gk.HTTPRoute(`extra-${i}`, {
            namespace: "mygroup",
            parentRefs: [{ gateway }],
            hostnames: ["mygroup.io"],
            rules: [{ name: "extra", matches: [{ path: { value: `/extra/${i}` } }], backendRefs: [{ service: groups }] }],
        });
    }

    return { gateway, route, routingTable: gateway.routingTable, addresses: gateway.addresses };
}
