// nginx and the Gateway's spec.addresses: an IPAddress is the listen address; what nginx cannot listen
// on, and a listenAddress parameter that disagrees, are refused by the adapter's model.
import * as assert from "assert";
import { compile } from "../../routing/compile";
import { GatewaySpecAddress } from "../../routing/types";
import { nginxAdapter } from ".";
import { nginxListenAddress } from "./parameters";
import { Gateway, GatewayClass } from "../../components";
import { failureOf, outputOf, resourcesOfType, runProgram, setupMocks } from "../../testing";

function plan(addresses?: GatewaySpecAddress[]) {
    return compile({ gateways: [{ name: "edge", namespace: "infra", gatewayClassName: "c", listeners: [{ name: "http", port: 8080, protocol: "HTTP" }], addresses }], routes: [], services: [] }).gateways[0];
}
const problems = (addresses: GatewaySpecAddress[] | undefined, parameters: Record<string, unknown> = {}) =>
    nginxAdapter.model!(plan(addresses), { parameters, input: { gatewayClass: { name: "c", controllerName: "gatewaykit.dev/nginx" }, gateway: { name: "edge", gatewayClassName: "c", listeners: [] }, routes: [], services: [], namespaces: [] } }).problems;

describe("nginx: Gateway spec.addresses", () => {
    it("listens on the requested IPAddress (IPv6 bracketed), else listenAddress, else 127.0.0.1", () => {
        assert.strictEqual(nginxListenAddress(plan([{ value: "127.0.0.2" }]), {}), "127.0.0.2");
        assert.strictEqual(nginxListenAddress(plan([{ type: "IPAddress", value: "::1" }]), {}), "[::1]");
        assert.strictEqual(nginxListenAddress(plan([{ type: "IPAddress" }]), { listenAddress: "127.0.0.3" }), "127.0.0.3");
        assert.strictEqual(nginxListenAddress(plan(), {}), "127.0.0.1");
        assert.deepStrictEqual(problems([{ value: "127.0.0.2" }], { listenAddress: "127.0.0.2" }), []);
        assert.deepStrictEqual(problems([{ value: "::1" }], { listenAddress: "[::1]" }), []);
        assert.deepStrictEqual(problems([{ type: "IPAddress" }], { listenAddress: "127.0.0.3" }), []);
    });

    it("refuses an address that differs from parameters.nginx.listenAddress, a second IP and a non-IP type", () => {
        assert.match(problems([{ value: "127.0.0.2" }], { listenAddress: "127.0.0.1" }).join("\n"),
            /spec\.addresses\[0\]\.value "127\.0\.0\.2" differs from the GatewayClass parameters\.nginx\.listenAddress "127\.0\.0\.1".*remove one of them/);
        assert.match(problems([{ value: "127.0.0.2" }, { value: "127.0.0.3" }]).join("\n"), /spec\.addresses\[1\]: nginx listens on one address per gateway/);
        assert.match(problems([{ type: "Hostname", value: "edge.example.com" }]).join("\n"), /spec\.addresses\[0\]\.type "Hostname": nginx listens on an IP address/);
    });

    it("realises the NginxGateway on the requested address, which the gateway's addresses output names; a conflict creates nothing", async () => {
        setupMocks();
        const program = (listenAddress?: string) => () => {
            const cls = new GatewayClass("local", { controllerName: "gatewaykit.dev/nginx", parameters: { nginx: { workDir: "/srv/gk", ...(listenAddress ? { listenAddress } : {}) } } });
            return { gateway: new Gateway("edge", { gatewayClass: cls, namespace: "infra", addresses: [{ type: "IPAddress", value: "127.0.0.2" }], listeners: [{ name: "http", port: 18080, protocol: "HTTP" }] }) };
        };
        let made!: { gateway: Gateway };
        await runProgram(() => { made = program()(); });
        const [ng] = resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway");
        assert.strictEqual((ng.inputs as Record<string, unknown>).listenAddress, "127.0.0.2");
        assert.deepStrictEqual(await outputOf(made.gateway.addresses), ["127.0.0.2:18080"]);
        const err = await failureOf(runProgram(program("127.0.0.1")));
        assert.match(err.message, /differs from the GatewayClass parameters\.nginx\.listenAddress "127\.0\.0\.1"/);
        assert.deepStrictEqual(resourcesOfType("pulumi-nodejs:dynamic/gatewaykit:NginxGateway"), []);
    });
});
