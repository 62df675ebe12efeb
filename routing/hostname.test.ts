import * as assert from "assert";
import fc from "fast-check";
import {
    compareHostnameSpecificity, hostnameCovers, hostnameMatches, hostnameSpecificity, intersectHostnames, isWildcard, mostSpecificMatch, normalizeHost,
} from "./hostname";

// A tiny label alphabet makes collisions (shared suffixes, equal names) frequent, which is where
// hostname logic goes wrong. "q" never appears in generated names, so it builds fresh hosts.
const label = fc.constantFrom("a", "b", "c", "ab", "b-c");
const labels = (min: number, max: number) => fc.array(label, { minLength: min, maxLength: max });
const preciseName = labels(1, 4).map(ls => ls.join("."));
const wildcardName = labels(1, 3).map(ls => "*." + ls.join("."));
const pattern = fc.oneof(preciseName, wildcardName);
const maybePattern = fc.option(pattern, { nil: undefined });

/** Reference semantics, label by label: "*.s" matches any name of one or more labels followed by s. */
function refMatches(p: string, host: string): boolean {
    const h = host.split(".");
    if (!p.startsWith("*.")) return p === host;
    const s = p.slice(2).split(".");
    return h.length > s.length && h.slice(h.length - s.length).join(".") === s.join(".");
}

/** Concrete hosts that `p` matches: itself when precise, some names under it when a wildcard. */
function samplesOf(p: string): string[] {
    return isWildcard(p) ? ["q" + p.slice(1), "q.a" + p.slice(1), "a" + p.slice(1)] : [p];
}

/** Hosts worth probing for a set of patterns: everything they sample, plus near misses. */
function probes(patterns: (string | undefined)[]): string[] {
    const out = new Set<string>(["q", "a", "q.a"]);
    for (const p of patterns) {
        if (p === undefined) continue;
        for (const s of samplesOf(p)) out.add(s);
        const bare = isWildcard(p) ? p.slice(2) : p;
        out.add(bare);
        out.add("q." + bare);
    }
    return [...out];
}

describe("hostname", () => {
    describe("hostnameMatches", () => {
        it("matches precise names exactly", () => {
            assert.ok(hostnameMatches("example.com", "example.com"));
            assert.ok(!hostnameMatches("example.com", "www.example.com"));
            assert.ok(!hostnameMatches("www.example.com", "example.com"));
        });

        it("lets a wildcard match one or more labels, never the parent domain", () => {
            assert.ok(hostnameMatches("*.example.com", "foo.example.com"));
            assert.ok(hostnameMatches("*.example.com", "foo.bar.example.com"));
            assert.ok(!hostnameMatches("*.example.com", "example.com"));
            assert.ok(!hostnameMatches("*.example.com", "fooexample.com"));
            assert.ok(!hostnameMatches("*.example.com", ".example.com"));
        });

        it("agrees with a label-by-label reference definition", () => {
            fc.assert(fc.property(pattern, fc.oneof(preciseName, pattern.chain(p => fc.constantFrom(...samplesOf(p)))), (p, host) => {
                assert.strictEqual(hostnameMatches(p, host), refMatches(p, host), `${p} vs ${host}`);
            }), { numRuns: 2000 });
        });
    });

    describe("hostnameCovers", () => {
        it("covers itself and narrower names", () => {
            assert.ok(hostnameCovers("*.example.com", "*.example.com"));
            assert.ok(hostnameCovers("*.example.com", "a.example.com"));
            assert.ok(hostnameCovers("*.example.com", "*.a.example.com"));
            assert.ok(!hostnameCovers("*.a.example.com", "*.example.com"));
            assert.ok(!hostnameCovers("a.example.com", "*.example.com"));
            assert.ok(!hostnameCovers("*.example.com", "example.com"));
        });

        it("is exactly set inclusion of the hosts each pattern matches", () => {
            fc.assert(fc.property(pattern, pattern, (outer, inner) => {
                const covered = samplesOf(inner).every(h => refMatches(outer, h));
                assert.strictEqual(hostnameCovers(outer, inner), covered, `${outer} ⊇ ${inner}`);
            }), { numRuns: 2000 });
        });

        it("is reflexive and transitive", () => {
            fc.assert(fc.property(pattern, pattern, pattern, (a, b, c) => {
                assert.ok(hostnameCovers(a, a));
                if (hostnameCovers(a, b) && hostnameCovers(b, c)) assert.ok(hostnameCovers(a, c), `${a} ⊇ ${b} ⊇ ${c}`);
            }), { numRuns: 2000 });
        });
    });

    describe("intersectHostnames", () => {
        it("follows the Gateway API examples", () => {
            assert.deepStrictEqual(intersectHostnames("*.example.com", ["foo.example.com", "bar.other.com"]), ["foo.example.com"]);
            assert.deepStrictEqual(intersectHostnames("foo.example.com", ["*.example.com"]), ["foo.example.com"]);
            assert.deepStrictEqual(intersectHostnames("*.example.com", ["*.com"]), ["*.example.com"]);
            assert.deepStrictEqual(intersectHostnames("*.example.com", ["*.a.example.com"]), ["*.a.example.com"]);
            assert.deepStrictEqual(intersectHostnames("*.example.com", ["example.com"]), []);
            assert.deepStrictEqual(intersectHostnames("example.com", ["other.com"]), []);
        });

        it("treats a missing side as any host", () => {
            assert.deepStrictEqual(intersectHostnames(undefined, undefined), [undefined]);
            assert.deepStrictEqual(intersectHostnames(undefined, []), [undefined]);
            assert.deepStrictEqual(intersectHostnames("a.com", []), ["a.com"]);
            assert.deepStrictEqual(intersectHostnames(undefined, ["a.com", "*.b.com", "a.com"]), ["a.com", "*.b.com"]);
        });

        it("returns only names covered by the listener and covering-or-equal to a route hostname", () => {
            fc.assert(fc.property(maybePattern, fc.array(pattern, { maxLength: 5 }), (listener, routes) => {
                const out = intersectHostnames(listener, routes);
                assert.strictEqual(new Set(out).size, out.length, "no duplicates");
                for (const h of out) {
                    if (h === undefined) {
                        assert.ok(listener === undefined && routes.length === 0, "any-host only when both sides are unrestricted");
                        continue;
                    }
                    if (listener !== undefined) assert.ok(hostnameCovers(listener, h), `${listener} must cover ${h}`);
                    if (routes.length > 0) assert.ok(routes.some(r => hostnameCovers(r, h)), `a route hostname must cover ${h}`);
                }
            }), { numRuns: 2000 });
        });

        it("matches a host exactly when both the listener and some route hostname match it", () => {
            fc.assert(fc.property(maybePattern, fc.array(pattern, { maxLength: 4 }), (listener, routes) => {
                const out = intersectHostnames(listener, routes);
                for (const host of probes([listener, ...routes])) {
                    const expected = (listener === undefined || refMatches(listener, host))
                        && (routes.length === 0 || routes.some(r => refMatches(r, host)));
                    const actual = out.some(h => h === undefined || refMatches(h, host));
                    assert.strictEqual(actual, expected, `host ${host}, listener ${listener}, routes ${JSON.stringify(routes)} → ${JSON.stringify(out)}`);
                }
            }), { numRuns: 2000 });
        });

        it("is symmetric in which side is the listener for a single route hostname", () => {
            fc.assert(fc.property(pattern, pattern, (a, b) => {
                assert.deepStrictEqual(intersectHostnames(a, [b]), intersectHostnames(b, [a]));
            }), { numRuns: 2000 });
        });
    });

    describe("normalizeHost", () => {
        it("lower-cases and strips ports, brackets aside, and a trailing dot", () => {
            assert.strictEqual(normalizeHost("Example.COM:8080"), "example.com");
            assert.strictEqual(normalizeHost("example.com."), "example.com");
            assert.strictEqual(normalizeHost("example.com.:443"), "example.com");
            assert.strictEqual(normalizeHost(" example.com "), "example.com");
            assert.strictEqual(normalizeHost("[::1]:8080"), "[::1]");
            assert.strictEqual(normalizeHost("[FE80::1]"), "[fe80::1]");
            assert.strictEqual(normalizeHost("127.0.0.1:80"), "127.0.0.1");
        });

        it("strips any port and is idempotent on host[:port]", () => {
            const upperish = preciseName.chain(n => fc.constantFrom(n, n.toUpperCase(), n + "."));
            fc.assert(fc.property(preciseName, upperish, fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }), (base, written, port) => {
                void base;
                const raw = port === undefined ? written : `${written}:${port}`;
                const expected = written.toLowerCase().replace(/\.$/, "");
                assert.strictEqual(normalizeHost(raw), expected);
                assert.strictEqual(normalizeHost(normalizeHost(raw)), expected);
            }), { numRuns: 1000 });
        });
    });

    describe("hostnameSpecificity and mostSpecificMatch", () => {
        it("ranks precise above wildcard above any", () => {
            const rank = (h: string | undefined) => hostnameSpecificity(h);
            assert.deepStrictEqual(rank(undefined), [0, 0]);
            assert.deepStrictEqual(rank("a.example.com"), [13, 13]);
            assert.deepStrictEqual(rank("*.example.com"), [0, 13]);
        });

        it("compareHostnameSpecificity orders as the specificity pairs do, most specific first", () => {
            fc.assert(fc.property(maybePattern, maybePattern, (a, b) => {
                const [an, al] = hostnameSpecificity(a), [bn, bl] = hostnameSpecificity(b);
                const expected = an !== bn ? bn - an : bl - al;
                assert.strictEqual(Math.sign(compareHostnameSpecificity(a, b)), Math.sign(expected));
            }), { numRuns: 1000 });
        });

        it("picks a precise name over a wildcard, and a longer wildcard over a shorter one", () => {
            const items = [undefined, "*.com", "*.example.com", "*.a.example.com", "a.example.com", "b.example.com"];
            const pick = (host: string) => mostSpecificMatch(items, h => h, host);
            assert.deepStrictEqual(pick("a.example.com"), ["a.example.com"]);
            assert.deepStrictEqual(pick("x.a.example.com"), ["*.a.example.com"]);
            assert.deepStrictEqual(pick("c.example.com"), ["*.example.com"]);
            assert.deepStrictEqual(pick("other.com"), ["*.com"]);
            assert.deepStrictEqual(pick("localhost"), [undefined]);
            assert.deepStrictEqual(mostSpecificMatch(["*.example.com"], h => h, "x.org"), []);
        });

        it("returns every item tied for the most specific matching pattern, in input order", () => {
            const items = [{ id: 1, h: "*.example.com" }, { id: 2, h: undefined }, { id: 3, h: "*.example.com" }];
            assert.deepStrictEqual(mostSpecificMatch(items, i => i.h, "a.example.com").map(i => i.id), [1, 3]);
        });

        it("agrees with a reference: filter matching patterns, keep the maximum specificity", () => {
            fc.assert(fc.property(fc.array(maybePattern, { maxLength: 6 }), preciseName, (patterns, host) => {
                const items = patterns.map((h, id) => ({ id, h }));
                const matching = items.filter(i => i.h === undefined || refMatches(i.h, host));
                const key = (h: string | undefined) => {
                    if (h === undefined) return 0;
                    return isWildcard(h) ? h.length : 1000 + h.length;
                };
                const best = Math.max(-1, ...matching.map(i => key(i.h)));
                const expected = matching.filter(i => key(i.h) === best).map(i => i.id);
                const actual = mostSpecificMatch(items, i => i.h, host).map(i => i.id);
                assert.deepStrictEqual(actual, expected);
                // A precise winner is always the host itself.
                for (const id of actual) {
                    const h = items[id].h;
                    if (h !== undefined && !isWildcard(h)) assert.strictEqual(h, host);
                }
            }), { numRuns: 2000 });
        });
    });
});
