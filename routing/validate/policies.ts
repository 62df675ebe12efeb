// Spec validation: BackendTLSPolicy and BackendTrafficPolicy (with the CRDs' CEL rules), and the
// HTTPRoute rule fields they share shapes with (retry, sessionPersistence).

import { ValidationIssue } from "../errors";
import { ServiceSpec } from "../types";
import { begin, Checker, nsOf, Obj, quote } from "./checker";
import { HEADER_NAME } from "./patterns";

/** A URI as the CRD's subjectAltNames[].uri pattern (scheme and authority required), without whitespace or control characters. */
const SAN_URI = /^(([^:/?#\s]+):)(\/\/([^/?#\s]*))([^?#\s]*)(\?([^#\s]*))?(#(\S*))?$/;


/** A cookie or header name: an HTTP token (what both a Set-Cookie name and a header name allow). */
function sessionName(c: Checker, field: string, v: unknown): void {
    const s = c.str(field, v, { min: 1, max: 128 });
    if (s !== undefined && !HEADER_NAME.test(s)) {
        c.add(field, s, "must be an HTTP token (a cookie or header name): letters, digits and !#$%&'*+-.^_`|~ only, no spaces, '=' or ';'");
    }
}

export function checkSessionPersistence(c: Checker, p: string, raw: unknown): void {
    const s = c.obj(p, raw);
    if (!s) return;
    sessionName(c, `${p}.sessionName`, s.sessionName);
    c.duration(`${p}.absoluteTimeout`, s.absoluteTimeout, true);
    const type = c.oneOf(`${p}.type`, s.type, ["Cookie", "Header"]) ?? "Cookie";
    const cookie = c.obj(`${p}.cookieConfig`, s.cookieConfig);
    if (cookie && type !== "Cookie") c.add(`${p}.cookieConfig`, cookie, "can only be set with type Cookie; remove it or set type: Cookie");
    const lifetime = cookie ? c.oneOf(`${p}.cookieConfig.lifetimeType`, cookie.lifetimeType, ["Permanent", "Session"]) : undefined;
    if (lifetime === "Permanent" && s.absoluteTimeout === undefined) {
        c.add(`${p}.absoluteTimeout`, undefined, "is required when cookieConfig.lifetimeType is Permanent: a permanent cookie needs an expiry, e.g. absoluteTimeout: '1h'");
    }
}

export function checkRetry(c: Checker, p: string, raw: unknown): void {
    const r = c.obj(p, raw);
    if (!r) return;
    const codes = c.list(`${p}.codes`, r.codes, { max: 200, what: "response codes to retry, e.g. [502, 503]" });
    const seen = new Set<number>();
    codes?.forEach((v, i) => {
        const code = c.int(`${p}.codes[${i}]`, v, 400, 599, true);
        if (code === undefined) return;
        if (seen.has(code)) c.add(`${p}.codes[${i}]`, code, `is listed twice; remove the repeat`);
        seen.add(code);
    });
    c.int(`${p}.attempts`, r.attempts, 1, 1000);
    c.duration(`${p}.backoff`, r.backoff);
}

/** targetRefs: Services of the policy's namespace (group "", kind "Service"), at most 16, as the CRDs say. */
function checkTargetRefs(c: Checker, raw: unknown, sectionNames: boolean): void {
    const refs = c.list("spec.targetRefs", raw, { min: 1, max: 16, required: true, what: "the Services the policy applies to, e.g. [{ group: '', kind: 'Service', name: 'api' }]" });
    const seen = new Map<string, number>();
    const sectioned = new Map<string, { any: boolean; all: boolean }>();
    refs?.forEach((rawRef, i) => {
        const p = `spec.targetRefs[${i}]`;
        const ref = c.obj(p, rawRef);
        if (!ref) return;
        if (ref.group !== "" && ref.group !== undefined) c.add(`${p}.group`, ref.group, "must be '' (core): a backend policy targets a Service");
        if (ref.kind !== "Service" && ref.kind !== undefined) c.add(`${p}.kind`, ref.kind, "must be 'Service': gatewaykit attaches backend policies to Services only");
        const name = c.subdomain(`${p}.name`, ref.name, true, "a Service name");
        let section: string | undefined;
        if (!sectionNames) {
            if (ref.sectionName !== undefined) c.add(`${p}.sectionName`, ref.sectionName, "is not allowed: a BackendTrafficPolicy applies to the whole Service; remove it");
        } else {
            section = c.sectionName(`${p}.sectionName`, ref.sectionName);
        }
        if (name === undefined) return;
        const id = `${name}\u0000${section ?? ""}`;
        const prev = seen.get(id);
        if (prev !== undefined) c.add(p, ref, `repeats spec.targetRefs[${prev}]; remove one`);
        seen.set(id, i);
        const s = sectioned.get(name) ?? { any: false, all: true };
        s.any ||= section !== undefined && section !== "";
        s.all &&= section !== undefined && section !== "";
        sectioned.set(name, s);
    });
    for (const [name, s] of sectioned) {
        const count = refs?.filter(r => (r as Obj | null)?.name === name).length ?? 0;
        if (count > 1 && !s.all) c.add("spec.targetRefs", refs, `name Service ${quote(name)} ${count} times: each must then give a different sectionName (a port name), as the CRD requires`);
    }
}

export function validateBackendTLSPolicy(spec: unknown): ValidationIssue[] {
    const [c, s] = begin("BackendTLSPolicy", spec);
    if (!s) return c.issues;
    checkTargetRefs(c, s.targetRefs, true);
    const v = c.obj("spec.validation", s.validation, true, "how the backend's certificate is verified, e.g. { hostname: 'api.internal', wellKnownCACertificates: 'System' }");
    const pems = c.obj("spec.caCertificates", s.caCertificates);
    const named = new Set<string>();
    if (v) {
        const refs = c.list("spec.validation.caCertificateRefs", v.caCertificateRefs, { max: 8, what: "ConfigMaps holding the CA bundle" }) ?? [];
        refs.forEach((raw, i) => {
            const p = `spec.validation.caCertificateRefs[${i}]`;
            const ref = c.obj(p, raw);
            if (!ref) return;
            if (ref.group !== "" && ref.group !== undefined) c.add(`${p}.group`, ref.group, "must be '' (core): the CA bundle is a ConfigMap");
            if (ref.kind !== "ConfigMap" && ref.kind !== undefined) c.add(`${p}.kind`, ref.kind, "must be 'ConfigMap' (InvalidKind): gatewaykit reads CA bundles from ConfigMaps only");
            const name = c.subdomain(`${p}.name`, ref.name, true, "a ConfigMap name");
            if (name === undefined) return;
            named.add(name);
            const pem = pems?.[name];
            if (typeof pem !== "string" || !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) {
                c.add(`spec.caCertificates.${name}`, pem === undefined ? undefined : typeof pem === "string" ? `${pem.slice(0, 40)}…` : pem,
                    `must be the PEM CA bundle (-----BEGIN CERTIFICATE----- …) of caCertificateRefs[${i}] (InvalidCACertificateRef): give it as caCertificates: { ${name}: pem }`);
            }
        });
        const wellKnown = v.wellKnownCACertificates;
        if (wellKnown !== undefined && wellKnown !== "" && wellKnown !== "System") {
            c.add("spec.validation.wellKnownCACertificates", wellKnown, "must be 'System' (the platform's trusted CAs); gatewaykit knows no other set");
        }
        const hasWellKnown = wellKnown !== undefined && wellKnown !== "";
        if (refs.length > 0 && hasWellKnown) c.add("spec.validation", v, "must not contain both caCertificateRefs and wellKnownCACertificates; keep one");
        if (refs.length === 0 && !hasWellKnown) c.add("spec.validation", v, "must specify either caCertificateRefs or wellKnownCACertificates: 'System'");
        const host = c.str("spec.validation.hostname", v.hostname, { required: true, min: 1, max: 253, what: "the name sent as SNI, e.g. 'api.internal'" });
        if (host !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(host)) {
            c.add("spec.validation.hostname", host, "must be a lower-case DNS name without a wildcard, port or IP address (the SNI the gateway sends), e.g. 'api.internal'");
        }
        const sans = c.list("spec.validation.subjectAltNames", v.subjectAltNames, { max: 5, what: "names the backend certificate must carry" }) ?? [];
        sans.forEach((raw, i) => {
            const p = `spec.validation.subjectAltNames[${i}]`;
            const san = c.obj(p, raw);
            if (!san) return;
            const type = c.oneOf(`${p}.type`, san.type, ["Hostname", "URI"], true);
            if (type === "Hostname") {
                if (san.uri !== undefined) c.add(`${p}.uri`, san.uri, "must not be set when type is Hostname; remove it");
                c.hostname(`${p}.hostname`, san.hostname, true, true);
            } else if (type === "URI") {
                if (san.hostname !== undefined) c.add(`${p}.hostname`, san.hostname, "must not be set when type is URI; remove it");
                const uri = c.str(`${p}.uri`, san.uri, { required: true, min: 1, max: 253, what: "a URI such as 'spiffe://cluster.local/ns/shop/sa/api'" });
                if (uri !== undefined && !SAN_URI.test(uri)) c.add(`${p}.uri`, uri, "must be an absolute URI with a scheme and authority, e.g. 'spiffe://cluster.local/ns/shop/sa/api'");
            }
        });
    }
    for (const k of Object.keys(pems ?? {})) {
        if (!named.has(k)) c.add(`spec.caCertificates.${k}`, "<pem>", `is named by no caCertificateRef; add { group: '', kind: 'ConfigMap', name: ${quote(k)} } to validation.caCertificateRefs or remove it`);
    }
    const options = c.obj("spec.options", s.options);
    for (const k of Object.keys(options ?? {})) {
        c.add(`spec.options.${k}`, options![k], "is not an option gatewaykit knows (it reads no BackendTLSPolicy options); remove it");
    }
    return c.issues;
}

export function validateBackendTrafficPolicy(spec: unknown): ValidationIssue[] {
    const [c, s] = begin("BackendTrafficPolicy", spec);
    if (!s) return c.issues;
    checkTargetRefs(c, s.targetRefs, false);
    const rc = c.obj("spec.retryConstraint", s.retryConstraint);
    if (rc) {
        const budget = c.obj("spec.retryConstraint.budget", rc.budget);
        if (budget) {
            c.int("spec.retryConstraint.budget.percent", budget.percent, 0, 100);
            c.duration("spec.retryConstraint.budget.interval", budget.interval, true);
        }
        const rate = c.obj("spec.retryConstraint.minRetryRate", rc.minRetryRate);
        if (rate) {
            c.int("spec.retryConstraint.minRetryRate.count", rate.count, 1, 1_000_000);
            c.duration("spec.retryConstraint.minRetryRate.interval", rate.interval, true);
        }
    }
    checkSessionPersistence(c, "spec.sessionPersistence", s.sessionPersistence);
    const lb = c.obj("spec.loadBalancer", s.loadBalancer);
    if (lb) {
        const type = c.oneOf("spec.loadBalancer.type", lb.type, ["RoundRobin", "LeastRequest", "Random", "ConsistentHash"], true);
        const ch = c.obj("spec.loadBalancer.consistentHash", lb.consistentHash, type === "ConsistentHash", "what the hash reads, e.g. { type: 'Header', header: { name: 'x-user' } }");
        if (ch && type !== undefined && type !== "ConsistentHash") c.add("spec.loadBalancer.consistentHash", ch, "can only be set with type ConsistentHash; remove it");
        if (ch) {
            const by = c.oneOf("spec.loadBalancer.consistentHash.type", ch.type, ["Header", "Cookie", "SourceIP"], true);
            const header = c.obj("spec.loadBalancer.consistentHash.header", ch.header, by === "Header", "{ name: 'x-user' }");
            const cookie = c.obj("spec.loadBalancer.consistentHash.cookie", ch.cookie, by === "Cookie", "{ name: 'session' }");
            if (header && by !== "Header") c.add("spec.loadBalancer.consistentHash.header", header, "can only be set with type Header; remove it");
            if (cookie && by !== "Cookie") c.add("spec.loadBalancer.consistentHash.cookie", cookie, "can only be set with type Cookie; remove it");
            if (header) c.headerName("spec.loadBalancer.consistentHash.header.name", header.name);
            if (cookie) {
                const name = c.str("spec.loadBalancer.consistentHash.cookie.name", cookie.name, { required: true, min: 1, max: 128 });
                if (name !== undefined && !HEADER_NAME.test(name)) c.add("spec.loadBalancer.consistentHash.cookie.name", name, "must be a cookie name (an HTTP token): letters, digits and !#$%&'*+-.^_`|~ only");
            }
        }
    }
    const hc = c.obj("spec.healthCheck", s.healthCheck);
    if (hc) {
        const active = c.obj("spec.healthCheck.active", hc.active);
        if (active) {
            const path = c.str("spec.healthCheck.active.path", active.path, { min: 1, max: 1024 });
            if (path !== undefined && !/^\/[-A-Za-z0-9/._~!$&'()*+,;=:@%]*$/.test(path)) {
                c.add("spec.healthCheck.active.path", path, "must be an absolute path of URL path characters (no spaces, '?' or control characters), e.g. '/healthz'");
            }
            const interval = c.duration("spec.healthCheck.active.interval", active.interval, true);
            const timeout = c.duration("spec.healthCheck.active.timeout", active.timeout, true);
            if ((interval ?? 10_000) < (timeout ?? 5_000)) c.add("spec.healthCheck.active.timeout", active.timeout ?? "5s", `must not be longer than the interval (${String(active.interval ?? "10s")}); shorten it or raise interval`);
            c.int("spec.healthCheck.active.healthyThreshold", active.healthyThreshold, 1, 10);
            c.int("spec.healthCheck.active.unhealthyThreshold", active.unhealthyThreshold, 1, 10);
        }
        const passive = c.obj("spec.healthCheck.passive", hc.passive);
        if (passive) {
            c.int("spec.healthCheck.passive.consecutiveFailures", passive.consecutiveFailures, 1, 1000);
            c.duration("spec.healthCheck.passive.interval", passive.interval, true);
        }
    }
    return c.issues;
}

/**
 * The policies attached to one Service: each valid, in the Service's namespace, naming the Service;
 * a BackendTLSPolicy's sectionName names one of its ports. A policy is attached to every Service it
 * targets: `checked` (shared across the Services of one input) reports its own issues once.
 */
export function validateAttachedPolicies(svc: ServiceSpec, checked: Map<string, ValidationIssue[]> = new Map()): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const svcNs = nsOf(svc);
    const portNames = new Set((Array.isArray(svc.ports) ? svc.ports : []).map(p => p?.name).filter((n): n is string => typeof n === "string"));
    const check = (list: unknown, kind: string, validate: (s: unknown) => ValidationIssue[]) => {
        if (list === undefined) return;
        if (!Array.isArray(list)) {
            issues.push({ resource: `Service ${svcNs}/${svc.name}`, field: kind === "BackendTLSPolicy" ? "backendTLSPolicies" : "backendTrafficPolicies", value: list, message: `must be a list of ${kind} specs` });
            return;
        }
        for (const p of list) {
            const id = `${kind}\u0000${JSON.stringify(p)}`;
            let found = checked.get(id);
            if (found === undefined) {
                checked.set(id, found = validate(p));
                issues.push(...found);
            }
            if (found.length > 0) continue;
            const spec = p as { namespace?: string; name: string; targetRefs: { name: string; sectionName?: string }[] };
            const resource = `${kind} ${nsOf(spec)}/${spec.name}`;
            if (nsOf(spec) !== svcNs) {
                issues.push({ resource, field: "metadata.namespace", value: nsOf(spec), message: `must be the namespace of the Service it targets (${quote(svcNs)}): a policy targets Services of its own namespace` });
                continue;
            }
            if (!spec.targetRefs.some(t => t.name === svc.name)) {
                issues.push({ resource, field: "spec.targetRefs", value: spec.targetRefs.map(t => t.name), message: `names no Service ${quote(svc.name)}, yet it is attached to it; attach a policy only to the Services it targets` });
            }
            spec.targetRefs.forEach((t, i) => {
                if (t.name === svc.name && t.sectionName !== undefined && t.sectionName !== "" && !portNames.has(t.sectionName)) {
                    issues.push({ resource, field: `spec.targetRefs[${i}].sectionName`, value: t.sectionName,
                        message: `names no port of Service ${svcNs}/${svc.name} (${portNames.size > 0 ? `its port names: ${[...portNames].map(quote).join(", ")}` : "its ports have no names"}); name the port in the Service or drop sectionName` });
                }
            });
        }
    };
    check(svc.backendTLSPolicies, "BackendTLSPolicy", validateBackendTLSPolicy);
    check(svc.backendTrafficPolicies, "BackendTrafficPolicy", validateBackendTrafficPolicy);
    return issues;
}
