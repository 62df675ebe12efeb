// Spec validation: the patterns of the Gateway API v1 CRDs (OpenAPI `pattern`s) and the checks built
// directly on them (hostnames, label keys, IP addresses). Pure: no issue collection here.

export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
export const CONTROLLER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
/** A domain-prefixed Gateway address type ("example.com/my-type"): the same syntax as a controller name. */
export const ADDRESS_TYPE = CONTROLLER_NAME;
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
export const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
export const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
// HTAB is legal inside a header value; every other control character (CR and LF above all) would
// let a value inject extra headers or config lines into a data plane.
export const CONTROL_CHARS = /[\x00-\x08\x0a-\x1f\x7f]/;

export const SUBDOMAIN_RULE = "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";

export function labelKeyProblem(k: string): string | undefined {
    const slash = k.indexOf("/");
    if (slash >= 0 && slash > 253) return "has a prefix longer than 253 characters";
    if (!LABEL_KEY.test(k)) return "must be an optional DNS-subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
    return undefined;
}

/** Why `h` is not a valid Gateway API Hostname (or PreciseHostname when wildcards are not allowed). */
export function hostnameProblem(h: string, allowWildcard: boolean): string | undefined {
    const kind = allowWildcard ? "a hostname such as 'example.com' or '*.example.com'" : "a precise hostname such as 'example.com' (no wildcard)";
    if (h === "") return `must not be empty: ${kind}`;
    if (h.length > 253) return `must be at most 253 characters (has ${h.length})`;
    const v4 = IPV4.exec(h);
    if (v4 && v4.slice(1).every(o => Number(o) <= 255)) return `must be a DNS name, not an IP address: ${kind}`;
    if (h.includes(":")) return `must not contain ':' (no port, no IPv6 address): ${kind}`;
    if (h.includes("*")) {
        if (!allowWildcard) return `must not contain a wildcard: ${kind}`;
        if (!h.startsWith("*.") || h.indexOf("*", 1) >= 0) return `may use a wildcard only as the entire first label, e.g. '*.example.com'`;
    }
    if (h !== h.toLowerCase() && HOSTNAME.test(h.toLowerCase())) return `must be lower-case; write '${h.toLowerCase()}'`;
    if (h.endsWith(".")) return `must not end with '.'; write '${h.replace(/\.+$/, "")}'`;
    if (!(allowWildcard ? HOSTNAME : DNS_SUBDOMAIN).test(h)) {
        return `must be ${kind}: labels of lower-case letters, digits and '-' separated by '.', each starting and ending with a letter or digit`;
    }
    return undefined;
}

export function isIP(s: string): boolean {
    const v4 = IPV4.exec(s);
    if (v4) return v4.slice(1).every(o => Number(o) <= 255);
    // IPv6: hex groups and colons (optionally a trailing dotted quad); at most one "::".
    if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":") || s.split("::").length > 2) return false;
    const groups = s.split(":");
    return groups.length >= 3 && groups.length <= 8 && groups.every(g => g === "" || /^[0-9a-fA-F]{1,4}$/.test(g) || IPV4.test(g));
}

