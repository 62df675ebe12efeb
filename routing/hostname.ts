// Hostname semantics of the Gateway API: precise names, wildcard labels ("*.example.com" matches
// any name with one or more labels before ".example.com", never "example.com" itself), and the
// intersection of a listener's hostname with a route's hostnames.

export function isWildcard(h: string): boolean {
    return h.startsWith("*.");
}

/** Lower-cases and strips a port and a trailing dot from a Host header value. */
export function normalizeHost(host: string): string {
    let h = host.trim().toLowerCase();
    if (h.startsWith("[")) {
        const end = h.indexOf("]");
        return end >= 0 ? h.slice(0, end + 1) : h;
    }
    const colon = h.lastIndexOf(":");
    if (colon >= 0 && /^\d*$/.test(h.slice(colon + 1))) h = h.slice(0, colon);
    if (h.endsWith(".")) h = h.slice(0, -1);
    return h;
}

/** Does hostname pattern `pattern` (precise or wildcard) match the concrete host `host`? */
export function hostnameMatches(pattern: string, host: string): boolean {
    if (!isWildcard(pattern)) return pattern === host;
    const suffix = pattern.slice(1); // ".example.com"
    return host.length > suffix.length && host.endsWith(suffix);
}

/**
 * Does pattern `outer` cover every host that pattern `inner` matches?
 * "*.example.com" covers "a.example.com" and "*.a.example.com"; a precise name covers only itself.
 */
export function hostnameCovers(outer: string, inner: string): boolean {
    if (outer === inner) return true;
    if (!isWildcard(outer)) return false;
    const suffix = outer.slice(1);
    const innerBody = isWildcard(inner) ? inner.slice(1) : inner;
    return innerBody.length > suffix.length && innerBody.endsWith(suffix);
}

/**
 * The hostnames a route serves on a listener. `undefined` in the result means "any host".
 * Returns [] when the two do not intersect (the route is then not accepted by the listener).
 */
export function intersectHostnames(listenerHostname: string | undefined, routeHostnames: readonly string[] | undefined): (string | undefined)[] {
    const routes = routeHostnames && routeHostnames.length > 0 ? routeHostnames : undefined;
    if (listenerHostname === undefined) return routes ? dedupe(routes) : [undefined];
    if (!routes) return [listenerHostname];
    const out: string[] = [];
    for (const r of routes) {
        if (hostnameCovers(listenerHostname, r)) out.push(r);          // route is narrower or equal
        else if (hostnameCovers(r, listenerHostname)) out.push(listenerHostname); // listener is narrower
    }
    return dedupe(out);
}

function dedupe<T>(xs: readonly T[]): T[] {
    return xs.length < 2 ? [...xs] : [...new Set(xs)];
}

/**
 * Precedence key of a matching hostname, per the HTTPRoute hostnames doc: first the number of
 * characters in a matching non-wildcard hostname, then in a matching hostname. "Any host" is 0/0.
 */
export function hostnameSpecificity(h: string | undefined): [number, number] {
    if (h === undefined) return [0, 0];
    return isWildcard(h) ? [0, h.length] : [h.length, h.length];
}

/**
 * hostnameSpecificity(a) against hostnameSpecificity(b), without building the pairs (precedence
 * sorts call it millions of times): negative when `a` is more specific.
 */
export function compareHostnameSpecificity(a: string | undefined, b: string | undefined): number {
    const al = a === undefined ? 0 : a.length, bl = b === undefined ? 0 : b.length;
    const an = a === undefined || isWildcard(a) ? 0 : al, bn = b === undefined || isWildcard(b) ? 0 : bl;
    if (an !== bn) return bn - an;
    return bl - al;
}

/** Among patterns that match `host`, the most specific one, or undefined when none does. */
export function mostSpecificMatch<T>(items: readonly T[], hostOf: (t: T) => string | undefined, host: string): T[] {
    let best: T[] = [];
    let bestKey: [number, number] = [-1, -1];
    for (const it of items) {
        const p = hostOf(it);
        if (p !== undefined && !hostnameMatches(p, host)) continue;
        const k = hostnameSpecificity(p);
        const c = k[0] - bestKey[0] || k[1] - bestKey[1];
        if (c > 0) { best = [it]; bestKey = k; } else if (c === 0) best.push(it);
    }
    return best;
}
