// What the nginx data plane tells a backend about who called (X-Forwarded-For/Proto/Host/Port), over
// real HTTP: a client's own forwarding headers are replaced unless it is a trusted proxy
// (parameters.nginx.trustedProxies), whose X-Forwarded-For is appended to and the rest kept.
import { strict as assert } from "assert";
import { Case, Harness, NS } from "./conformance/harness";
import { requireNginx } from "./nginx-provider-kit";

const route = (trustedProxies?: string[]): Case => ({
    name: "forwarding",
    routes: [{ name: "fwd", namespace: NS, parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [{ name: "infra-backend-v1", port: 8080 }] }] }],
    ...(trustedProxies ? { trustedProxies } : {}),
});
const FORGED = { "X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "1" };

describe("nginx forwarding headers (real HTTP)", function () {
    this.timeout(60000);
    let h: Harness | undefined;
    before(async function () {
        requireNginx(this);
        h = new Harness();
        await h.start();
    });
    after(async () => { if (h) await h.stop(); });

    it("tells the backend this hop's view, replacing what an untrusted client sent", async () => {
        const ctx = await h!.load(route());
        const port = ctx.listenerPort({ path: "/" });
        for (const headers of [{}, FORGED]) {
            const a = await ctx.send({ path: "/x", host: "shop.example.com", headers });
            assert.equal(a.status, 200);
            const seen = a.echo!.headers;
            assert.equal(seen["x-forwarded-for"], "127.0.0.1");
            assert.equal(seen["x-forwarded-proto"], "http");
            assert.equal(seen["x-forwarded-host"], "shop.example.com");
            assert.equal(seen["x-forwarded-port"], String(port));
        }
    });

    it("appends to a trusted proxy's X-Forwarded-For and keeps its other forwarding headers", async () => {
        const ctx = await h!.load(route(["127.0.0.0/8"]));
        const port = ctx.listenerPort({ path: "/" });
        const a = await ctx.send({ path: "/x", host: "shop.example.com", headers: FORGED });
        const seen = a.echo!.headers;
        assert.equal(seen["x-forwarded-for"], "6.6.6.6, 127.0.0.1");
        assert.equal(seen["x-forwarded-proto"], "https");
        assert.equal(seen["x-forwarded-host"], "evil.example");
        assert.equal(seen["x-forwarded-port"], "1");
        // Without forwarding headers of its own, the trusted proxy gets this hop's values.
        const plain = (await ctx.send({ path: "/x", host: "shop.example.com" })).echo!.headers;
        assert.deepEqual([plain["x-forwarded-for"], plain["x-forwarded-proto"], plain["x-forwarded-port"]], ["127.0.0.1", "http", String(port)]);
    });
});
