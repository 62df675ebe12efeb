// The seed's "custom parameters (LB algorithms …)" as Gateway API policies: the team's api Service
// gets a BackendTrafficPolicy (least-request load balancing) and a BackendTLSPolicy (TLS to the
// backend, verified against the team's CA and a SPIFFE identity), and its HTTPRoute retries
// gateway errors. The same program runs on each adapter: change CONTROLLER (one line), or set
// config controllerName. What each adapter does with it (test/examples-backend-policy.test.ts):
//   gcp         LEAST_REQUEST backend service over HTTPS, tlsSettings with a BackendAuthenticationConfig
//               over a TrustConfig of the CA, a URL map retryPolicy (gateway-error, 2 retries, 2 s per try)
//   aws         refuses: an ALB verifies no backend certificate, never retries and has no per-rule timeouts
//               (the reasons say so); the LeastRequest policy alone would be least_outstanding_requests
//   kubernetes  refuses: no upstream object carries a load-balancing algorithm (use the controller's own policy)
//   nginx       refuses only the subjectAltName check (it verifies the SNI name alone); without
//               subjectAltNames it runs least_conn, proxy_ssl_verify against the CA, and proxy_next_upstream
import * as gk from "../../index";

/** The one line to change: gatewaykit.dev/gcp-alb, gatewaykit.dev/aws-alb, gatewaykit.dev/kubernetes or gatewaykit.dev/nginx. */
export const CONTROLLER = "gatewaykit.dev/gcp-alb";

/** The team's CA bundle: a placeholder, replace it with your CA's PEM (GCP refuses an invalid certificate at apply). */
export const TEAM_CA = `-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIUYmFja2VuZC1wb2xpY3ktZXhhbXBsZTAKBggqhkjOPQQD
AjAUMRIwEAYDVQQDDAlzaG9wLXJvb3QwHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAx
MDAwMDAwWjAUMRIwEAYDVQQDDAlzaG9wLXJvb3QwWTATBgcqhkjOPQIBBggqhkjO
-----END CERTIFICATE-----
`;

export interface BackendPolicyExampleOptions {
    controllerName?: string;
    project?: string;
    /** Gateways that would be tried instead, reported in the gateway's portability output. */
    portabilityTargets?: string[];
}

export function backendPolicyExample(options: BackendPolicyExampleOptions = {}) {
    const shop = new gk.GatewayClass("shop-lb", {
        controllerName: options.controllerName ?? CONTROLLER,
        // Every adapter's section at once: the controllerName decides which one is read.
        parameters: {
            gcp: { project: options.project ?? "my-project", zone: "europe-west1-b" },
            aws: { vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0a", "subnet-0b"] },
            kubernetes: { gatewayClassName: "eg", gatewayAPIChannel: "experimental" },
        },
    });
    const gateway = new gk.Gateway("shop-external", {
        gatewayClass: shop, namespace: "shop",
        listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
        ...(options.portabilityTargets ? { portabilityTargets: options.portabilityTargets } : {}),
    });

    // Two VMs in the VPC serving HTTPS on 8443.
    const api = new gk.Service("api", {
        namespace: "shop", ports: [{ name: "https", port: 8443 }],
        endpoints: [{ address: "10.10.0.21" }, { address: "10.10.0.22" }],
        realizations: { gcp: { instances: { "10.10.0.21": "api-vm-1", "10.10.0.22": "api-vm-2" } } },
    });

    new gk.BackendTrafficPolicy("api-traffic", { targetRefs: [api], loadBalancer: { type: "LeastRequest" } });
    new gk.BackendTLSPolicy("api-tls", {
        targetRefs: [{ service: api, sectionName: "https" }],
        validation: {
            hostname: "api.shop.internal",
            caCertificates: { "shop-ca": TEAM_CA },
            subjectAltNames: [{ type: "URI", uri: "spiffe://shop.example/api" }],
        },
    });

    const route = new gk.HTTPRoute("shop-api", {
        namespace: "shop", parentRefs: [{ gateway }], hostnames: ["shop.example.com"],
        rules: [{
            name: "api",
            matches: [{ path: { type: "PathPrefix", value: "/api" } }],
            backendRefs: [{ service: api, port: 8443 }],
            // Gateway errors are retried twice; each attempt has 2 s, the whole request 10 s.
            retry: { codes: [502, 503, 504], attempts: 2 },
            timeouts: { request: "10s", backendRequest: "2s" },
        }],
    });

    return { gateway, route, routingTable: gateway.routingTable, addresses: gateway.addresses };
}
