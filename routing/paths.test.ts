// The request-path policy (routing/paths.ts): examples of each rule, and properties over hostile
// paths — the normal form is a fixed point, carries no dot segments, repeated slashes or encoded
// unreserved characters, and a backend that decodes it once sees exactly the segments the rules saw.
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { normalizePath, PathRefusal } from "./paths";
import { compile } from "./compile";
import { simulate } from "./simulate";
import { hostilePath } from "../test/path-generators";

function normal(p: string): string {
    const r = normalizePath(p);
    assert.ok(r.ok, `${p}: refused (${!r.ok && r.detail})`);
    return r.path;
}

function refusal(p: string): PathRefusal {
    const r = normalizePath(p);
    assert.ok(!r.ok, `${p}: accepted as ${r.ok && r.path}`);
    return r.refusal;
}

/** Percent-decodes every escape once into a byte string (one char per octet), as a backend would. */
function decodeOnce(p: string): string {
    return p.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

describe("path policy (routing/paths.ts)", () => {
    it("removes dot segments, raw and encoded, in any case", () => {
        assert.equal(normal("/x/../a"), "/a");
        assert.equal(normal("/x/%2e%2e/a"), "/a");
        assert.equal(normal("/x/.%2E/a"), "/a");
        assert.equal(normal("/x/%2E./a"), "/a");
        assert.equal(normal("/a/./b/../../c"), "/c");
        assert.equal(normal("/a/."), "/a/");
        assert.equal(normal("/a/b/.."), "/a/");
        assert.equal(normal("/a/.."), "/");
        assert.equal(normal("/."), "/");
        assert.equal(normal("/a...b/..."), "/a...b/...", "three dots are an ordinary segment");
        assert.equal(normal("/a/.b/c."), "/a/.b/c.");
    });

    it("merges slashes before removing dot segments (nginx's order)", () => {
        assert.equal(normal("//a///b"), "/a/b");
        assert.equal(normal("/a//../b"), "/b");
        assert.equal(normal("/a/.//b"), "/a/b");
        assert.equal(normal("/a//"), "/a/");
    });

    it("decodes escapes of unreserved characters only; other escapes stay, upper-case", () => {
        assert.equal(normal("/%61dmin"), "/admin");
        assert.equal(normal("/%7Euser/%2D%5f"), "/~user/-_");
        assert.equal(normal("/a%20b"), "/a%20b");
        assert.equal(normal("/a%3Fb"), "/a%3Fb");
        assert.equal(normal("/100%25"), "/100%25");
        assert.equal(normal("/caf%C3%A9"), "/caf%C3%A9");
        assert.equal(normal("/a;b=1/c:d@e!$&'()*+,="), "/a;b=1/c:d@e!$&'()*+,=");
        assert.equal(normal("/%252e%252e/x"), "/%252e%252e/x", "decoded once: %25 stays encoded, so no dot segment appears");
    });

    it("reports whether the path changed", () => {
        const same = normalizePath("/a/b");
        assert.deepEqual(same, { ok: true, path: "/a/b", changed: false });
        const moved = normalizePath("/a/../b");
        assert.deepEqual(moved, { ok: true, path: "/b", changed: true });
    });

    it("refuses encoded separators and NUL, in either case", () => {
        for (const p of ["/a%2Fb", "/a%2fb", "/a%5Cb", "/a%5cb", "/a%00", "/..%2F..%2Fetc"]) assert.equal(refusal(p), "encoded-separator", p);
    });

    it("refuses raw characters that must be encoded", () => {
        for (const p of ["/a\\b", "/a b", "/a#b", "/caf\u00e9", "/a\u0001", "/a\u007f", "/a\"b", "/a<b>", "/a[0]", "/a{b}", "/a|b", "/a^b", "/a`b"]) {
            assert.equal(refusal(p), "raw-character", JSON.stringify(p));
        }
    });

    it("refuses malformed and lower-case escapes, a path not starting with /, and .. above the root", () => {
        assert.equal(refusal("/a%"), "malformed-escape");
        assert.equal(refusal("/a%4"), "malformed-escape");
        assert.equal(refusal("/a%zz"), "malformed-escape");
        assert.equal(refusal("/caf%c3%a9"), "lowercase-escape");
        assert.equal(refusal("/a%3f"), "lowercase-escape");
        assert.equal(refusal("*"), "not-absolute");
        assert.equal(refusal(""), "not-absolute");
        assert.equal(refusal("a/b"), "not-absolute");
        assert.equal(refusal("/.."), "above-root");
        assert.equal(refusal("/../a"), "above-root");
        assert.equal(refusal("/a/../../b"), "above-root");
        assert.equal(refusal("/%2e%2e/a"), "above-root");
    });

    it("refuses . and .. segments with ;parameters (dot segments to servlet containers); other ; segments pass", () => {
        for (const p of ["/x/..;/admin", "/x/.;/a", "/x/%2e%2e;v=1/a", "//..;x", "/..;/../a"]) assert.equal(refusal(p), "dot-parameters", p);
        assert.equal(normal("/x/a;v=1/b"), "/x/a;v=1/b");
        assert.equal(normal("/x/...;/b"), "/x/...;/b", "three dots are no dot segment, with or without parameters");
    });

    it("refuses a path that needs normalising and also carries other escapes", () => {
        for (const p of ["/a/../b%20c", "//x%C3%A9", "/%61%20", "/a/./%3F"]) assert.equal(refusal(p), "mixed-escapes", p);
        assert.equal(normal("/b%20c/d"), "/b%20c/d", "already normal: accepted as sent");
    });

    it("property: the normal form is a fixed point", () => {
        fc.assert(fc.property(hostilePath(), p => {
            const r = normalizePath(p);
            if (!r.ok) return;
            assert.deepEqual(normalizePath(r.path), { ok: true, path: r.path, changed: false }, `${p} → ${r.path}`);
            assert.equal(r.changed, r.path !== p);
        }), { numRuns: 5000 });
    });

    it("property: the normal form has no dot segment, no //, no encoded unreserved or separator, no lower-case escape, no raw character that needs encoding", () => {
        let accepted = 0;
        fc.assert(fc.property(hostilePath(), p => {
            const r = normalizePath(p);
            if (!r.ok) return;
            accepted++;
            const o = r.path;
            assert.ok(o.startsWith("/"), o);
            assert.ok(!o.includes("//"), o);
            assert.ok(!/\/\.\.?([\/;]|$)/.test(o), `${p} → ${o}: dot segment (with or without ;parameters)`);
            assert.ok(!/%(2[DdEeFf]|3[0-9]|4[1-9A-Fa-f]|5[0-9AaCcFf]|6[1-9A-Fa-f]|7[0-9AaEe]|00)/.test(o), `${p} → ${o}: encoded unreserved or separator`);
            assert.ok(!/%[0-9A-F]?[a-f]/.test(o), `${p} → ${o}: lower-case escape`);
            assert.ok(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$/.test(o), `${p} → ${o}: raw character`);
        }), { numRuns: 5000 });
        assert.ok(accepted > 500, `only ${accepted} of 5000 generated paths were accepted: the generator is too hostile to test the normal form`);
    });

    it("property: a backend that percent-decodes the forwarded path once sees the segments the rules matched", () => {
        fc.assert(fc.property(hostilePath(), p => {
            const r = normalizePath(p);
            if (!r.ok) return;
            const matched = r.path.split("/");
            const seen = decodeOnce(r.path).split("/");
            assert.equal(seen.length, matched.length, `${p} → ${r.path}: decoding adds segments`);
            for (const s of seen) assert.ok(s !== "." && s !== "..", `${p} → ${r.path}: decodes to a dot segment`);
        }), { numRuns: 5000 });
    });

    it("property: a path with an encoded / or \\ or a raw \\ is never accepted", () => {
        fc.assert(fc.property(hostilePath(), fc.constantFrom("%2F", "%2f", "%5C", "%5c", "\\", "%00"), hostilePath(), (a, sep, b) => {
            assert.equal(normalizePath(a + sep + b).ok, false, a + sep + b);
        }), { numRuns: 2000 });
    });
});

describe("simulate applies the path policy", () => {
    const plan = compile({
        gatewayClasses: [{ name: "c", controllerName: "gatewaykit.dev/nginx" }],
        gateways: [{ name: "gw", namespace: "default", gatewayClassName: "c", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }],
        services: ["x", "a"].map(name => ({ name, namespace: "default", ports: [{ port: 80 }], endpoints: [{ address: "10.0.0.1" }] })),
        routes: [{
            name: "r", namespace: "default", parentRefs: [{ name: "gw" }],
            rules: [
                { matches: [{ path: { type: "PathPrefix", value: "/x" } }], backendRefs: [{ name: "x", port: 80 }] },
                { matches: [{ path: { type: "PathPrefix", value: "/a" } }], backendRefs: [{ name: "a", port: 80 }] },
            ],
        }],
    });

    it("routes /x/../a by the /a rule and forwards /a, query untouched", () => {
        const r = simulate(plan, { host: "h", path: "/x/%2e%2e/a/b?q=/../%2F" });
        assert.equal(r.status, 200);
        assert.equal(r.path, "/a/b");
        assert.equal(r.outcomes[0].backend!.service, "default/a");
        assert.equal(r.outcomes[0].request.path, "/a/b?q=/../%2F");
    });

    it("answers 400 for a refused path, saying why, before host matching", () => {
        const r = simulate(plan, { host: "h", path: "/x/..%2Fa" });
        assert.equal(r.status, 400);
        assert.equal(r.reason, "invalid-path");
        assert.equal(r.pathRefusal!.refusal, "encoded-separator");
        assert.equal(r.matched, undefined);
        assert.equal(r.path, undefined);
    });
});
