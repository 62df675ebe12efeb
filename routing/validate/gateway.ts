// Spec validation: Gateway (listeners, TLS, allowedRoutes, allowedListeners) and ListenerSet (parentRef, listeners).

import { ValidationIssue } from "../errors";
import { GATEWAY_GROUP, GatewaySpec, ListenerSetSpec } from "../types";
import { begin, Checker, quote } from "./checker";
import { ADDRESS_TYPE, HOSTNAME, isIP, labelKeyProblem } from "./patterns";

export function validateGateway(spec: GatewaySpec): ValidationIssue[] {
    const [c, s] = begin("Gateway", spec);
    if (!s) return c.issues;
    c.str("spec.gatewayClassName", s.gatewayClassName, { required: true, min: 1, max: 253, what: "the name of a GatewayClass" });
    checkListeners(c, s.listeners, "Gateway");
    checkAllowedListeners(c, "spec.allowedListeners", s.allowedListeners);
    checkInfrastructure(c, "spec.infrastructure", s.infrastructure);
    checkAddresses(c, "spec.addresses", s.addresses);
    checkGatewayTLS(c, "spec.tls", s.tls);
    return c.issues;
}

/** A ListenerSet: its parentRef names a Gateway; its listeners follow the Gateway listener rules. */
export function validateListenerSet(spec: ListenerSetSpec): ValidationIssue[] {
    const [c, s] = begin("ListenerSet", spec);
    if (!s) return c.issues;
    const ref = c.obj("spec.parentRef", s.parentRef, true, "the Gateway these listeners are added to ({ name, namespace? })");
    if (ref) {
        c.str("spec.parentRef.name", ref.name, { required: true, min: 1, max: 253, what: "the name of a Gateway" });
        c.group("spec.parentRef.group", ref.group);
        const group = ref.group;
        if (typeof group === "string" && group !== GATEWAY_GROUP) c.add("spec.parentRef.group", group, `must be ${quote(GATEWAY_GROUP)}: a ListenerSet attaches to a Gateway`);
        c.kind("spec.parentRef.kind", ref.kind);
        const kind = ref.kind;
        if (typeof kind === "string" && kind !== "Gateway") c.add("spec.parentRef.kind", kind, "must be 'Gateway': a ListenerSet attaches to a Gateway (omit kind)");
        c.label("spec.parentRef.namespace", ref.namespace);
    }
    checkListeners(c, s.listeners, "ListenerSet");
    return c.issues;
}

function checkAllowedListeners(c: Checker, p: string, raw: unknown): void {
    const al = c.obj(p, raw);
    if (!al) return;
    const ns = c.obj(`${p}.namespaces`, al.namespaces);
    if (!ns) return;
    const from = c.oneOf(`${p}.namespaces.from`, ns.from, ["All", "Same", "Selector", "None"]);
    const hasSelector = ns.selector !== undefined && ns.selector !== null;
    if (from === "Selector" && !hasSelector) {
        c.add(`${p}.namespaces.selector`, ns.selector, "is required when from is 'Selector': give matchLabels or matchExpressions that select the namespaces whose ListenerSets may attach");
    }
    if (hasSelector) checkLabelSelector(c, `${p}.namespaces.selector`, ns.selector);
}

function checkListeners(c: Checker, raw: unknown, owner: "Gateway" | "ListenerSet"): void {
    const listeners = c.list("spec.listeners", raw, { min: 1, max: 64, required: true, what: "listeners" });
    if (!listeners) return;
    const seenNames = new Map<string, number>();
    const seenCombos = new Map<string, number>();
    listeners.forEach((raw, i) => {
        const p = `spec.listeners[${i}]`;
        const l = c.obj(p, raw);
        if (!l) return;
        const name = c.sectionName(`${p}.name`, l.name, true);
        const hostname = c.hostname(`${p}.hostname`, l.hostname, true);
        const port = c.int(`${p}.port`, l.port, 1, 65535, true);
        const protocol = checkProtocol(c, `${p}.protocol`, l.protocol);
        checkListenerTLS(c, p, protocol, l.tls);
        checkAllowedRoutes(c, `${p}.allowedRoutes`, l.allowedRoutes);

        if (name !== undefined) {
            const prev = seenNames.get(name);
            if (prev !== undefined) c.add(`${p}.name`, name, `must be unique within the ${owner}; listener ${prev} is also named ${quote(name)}`);
            else seenNames.set(name, i);
        }
        if (port !== undefined && typeof l.protocol === "string") {
            const combo = `${port}|${l.protocol}|${hostname ?? ""}`;
            const prev = seenCombos.get(combo);
            if (prev !== undefined) {
                c.add(p, { port, protocol: l.protocol, hostname }, `the combination of port, protocol and hostname must be unique; listener ${prev} has the same; change the hostname or port`);
            } else seenCombos.set(combo, i);
        }
    });
}

function checkProtocol(c: Checker, field: string, v: unknown): "HTTP" | "HTTPS" | undefined {
    const s = c.str(field, v, { required: true, what: "'HTTP' or 'HTTPS'" });
    if (s === undefined || s === "HTTP" || s === "HTTPS") return s as "HTTP" | "HTTPS" | undefined;
    if (s.toUpperCase() === "HTTP" || s.toUpperCase() === "HTTPS") c.add(field, s, `protocol names are case-sensitive; write ${quote(s.toUpperCase())}`);
    else c.add(field, s, "is not supported: gatewaykit supports HTTP and HTTPS listeners only (TLS, TCP, UDP and other protocols are not)");
    return undefined;
}

function checkListenerTLS(c: Checker, p: string, protocol: string | undefined, raw: unknown): void {
    const f = `${p}.tls`;
    // An unsupported protocol is already reported; its tls rules (e.g. TLS passthrough) do not apply.
    if (protocol === undefined) return;
    if (protocol === "HTTP") {
        if (raw !== undefined && raw !== null) c.add(f, raw, "must not be set on an HTTP listener; remove tls or use protocol 'HTTPS'");
        return;
    }
    const tls = c.obj(f, raw, protocol === "HTTPS", "HTTPS listeners need tls with mode 'Terminate' and at least one certificateRef");
    if (!tls) return;
    const mode = c.oneOf(`${f}.mode`, tls.mode, ["Terminate", "Passthrough"]);
    if (mode === "Passthrough") c.add(`${f}.mode`, mode, "Passthrough is not supported: gatewaykit terminates TLS on HTTPS listeners; use mode 'Terminate' (or omit it)");
    const refs = c.list(`${f}.certificateRefs`, tls.certificateRefs, { min: 1, max: 64, required: true, what: "certificate references (Secrets holding the certificate and key)" });
    refs?.forEach((r, j) => {
        const rp = `${f}.certificateRefs[${j}]`;
        const ref = c.obj(rp, r);
        if (!ref) return;
        c.str(`${rp}.name`, ref.name, { required: true, min: 1, max: 253 });
        c.group(`${rp}.group`, ref.group);
        c.kind(`${rp}.kind`, ref.kind);
        c.label(`${rp}.namespace`, ref.namespace);
    });
    const options = c.obj(`${f}.options`, tls.options);
    if (options) {
        if (Object.keys(options).length > 16) c.add(`${f}.options`, options, "must have at most 16 entries");
        for (const [k, v] of Object.entries(options)) c.str(`${f}.options["${k}"]`, v, { max: 4096 });
    }
}

function checkAllowedRoutes(c: Checker, p: string, raw: unknown): void {
    const ar = c.obj(p, raw);
    if (!ar) return;
    const ns = c.obj(`${p}.namespaces`, ar.namespaces);
    if (ns) {
        const from = c.oneOf(`${p}.namespaces.from`, ns.from, ["All", "Same", "Selector"]);
        const hasSelector = ns.selector !== undefined && ns.selector !== null;
        if (from === "Selector" && !hasSelector) {
            c.add(`${p}.namespaces.selector`, ns.selector, "is required when from is 'Selector': give matchLabels or matchExpressions that select the namespaces whose routes may attach");
        } else if (hasSelector && from !== "Selector" && (from !== undefined || ns.from === undefined)) {
            c.add(`${p}.namespaces.selector`, ns.selector, `is only used when from is 'Selector' (from is ${quote(from ?? "Same")}); set from: 'Selector' or remove the selector`);
        }
        if (hasSelector) checkLabelSelector(c, `${p}.namespaces.selector`, ns.selector);
    }
    const kinds = c.list(`${p}.kinds`, ar.kinds, { max: 8, what: "route kinds" });
    kinds?.forEach((k, i) => {
        const kp = `${p}.kinds[${i}]`;
        const gk = c.obj(kp, k);
        if (!gk) return;
        c.group(`${kp}.group`, gk.group);
        c.kind(`${kp}.kind`, gk.kind, true);
    });
}

function checkLabelSelector(c: Checker, p: string, raw: unknown): void {
    const sel = c.obj(p, raw);
    if (!sel) return;
    c.labels(`${p}.matchLabels`, sel.matchLabels);
    const exprs = c.list(`${p}.matchExpressions`, sel.matchExpressions, { max: Infinity, what: "label selector requirements" });
    exprs?.forEach((e, i) => {
        const ep = `${p}.matchExpressions[${i}]`;
        const req = c.obj(ep, e);
        if (!req) return;
        const key = c.str(`${ep}.key`, req.key, { required: true });
        if (key !== undefined) {
            const problem = labelKeyProblem(key);
            if (problem) c.add(`${ep}.key`, key, problem);
        }
        const op = c.oneOf(`${ep}.operator`, req.operator, ["In", "NotIn", "Exists", "DoesNotExist"], true);
        const values = c.list(`${ep}.values`, req.values, { max: Infinity, what: "label values" });
        values?.forEach((v, j) => c.str(`${ep}.values[${j}]`, v, { max: 63 }));
        const count = Array.isArray(req.values) ? req.values.length : 0;
        if ((op === "In" || op === "NotIn") && count === 0) c.add(`${ep}.values`, req.values, `must list at least one value when operator is ${quote(op)}`);
        if ((op === "Exists" || op === "DoesNotExist") && count > 0) c.add(`${ep}.values`, req.values, `must be empty when operator is ${quote(op)}; remove values`);
    });
}

/** spec.infrastructure: the CRD's limits (8 labels, 16 annotations, label syntax); parametersRef is refused. */
function checkInfrastructure(c: Checker, p: string, raw: unknown): void {
    const infra = c.obj(p, raw);
    if (!infra) return;
    const labels = c.obj(`${p}.labels`, infra.labels);
    if (labels) {
        if (Object.keys(labels).length > 8) c.add(`${p}.labels`, Object.keys(labels), `must have at most 8 entries (has ${Object.keys(labels).length}); remove some`);
        c.labels(`${p}.labels`, labels);
    }
    const annotations = c.obj(`${p}.annotations`, infra.annotations);
    if (annotations) {
        const keys = Object.keys(annotations);
        if (keys.length > 16) c.add(`${p}.annotations`, keys, `must have at most 16 entries (has ${keys.length}); remove some`);
        for (const k of keys) {
            const problem = labelKeyProblem(k);
            if (problem) c.add(`${p}.annotations`, k, `annotation key ${quote(k)} ${problem}`);
            c.str(`${p}.annotations[${JSON.stringify(k)}]`, annotations[k], { max: 4096, required: true, what: "a string of at most 4096 characters" });
        }
    }
    if (infra.parametersRef !== undefined && infra.parametersRef !== null) {
        c.add(`${p}.parametersRef`, infra.parametersRef, "is not supported: gatewaykit reads a gateway's data plane parameters from its GatewayClass (parameters.<adapter>); remove parametersRef and set them there, or use a GatewayClass per configuration");
    }
}

/** spec.addresses: at most 16, type per the CRD's pattern, IPAddress values IPs, Hostname values hostnames, no duplicates. */
function checkAddresses(c: Checker, p: string, raw: unknown): void {
    const list = c.list(p, raw, { max: 16, what: "addresses" });
    if (!list) return;
    const seen = new Map<string, number>();
    list.forEach((r, i) => {
        const ap = `${p}[${i}]`;
        const a = c.obj(ap, r);
        if (!a) return;
        const type = c.str(`${ap}.type`, a.type, { min: 1, max: 253, what: "'IPAddress', 'Hostname', 'NamedAddress' or a domain-prefixed type such as 'example.com/my-type'" }) ?? (a.type === undefined ? "IPAddress" : undefined);
        if (type !== undefined && !(type === "IPAddress" || type === "Hostname" || type === "NamedAddress" || ADDRESS_TYPE.test(type))) {
            c.add(`${ap}.type`, type, "must be 'IPAddress', 'Hostname', 'NamedAddress' or a domain-prefixed type such as 'example.com/my-type'");
        }
        const value = c.str(`${ap}.value`, a.value, { max: 253, what: "the requested address (empty: any of the type)" });
        if (type === undefined || value === undefined || value === "") return;
        if (type === "IPAddress" && !isIP(value)) c.add(`${ap}.value`, value, "must be an IPv4 or IPv6 address for type 'IPAddress'; give an IP, or use type 'Hostname' or 'NamedAddress'");
        if (type === "Hostname" && !HOSTNAME.test(value)) c.add(`${ap}.value`, value, "must be a hostname for type 'Hostname' (lower-case labels of letters, digits and '-', optionally starting with '*.')");
        if (type === "IPAddress" || type === "Hostname") {
            const key = `${type}|${value}`;
            const prev = seen.get(key);
            if (prev !== undefined) c.add(`${ap}.value`, value, `${type} values must be unique; address ${prev} has the same; remove one`);
            else seen.set(key, i);
        }
    });
}

/**
 * spec.tls: the CRD's schema and CEL rules (frontend.default required, validation with 1–16
 * caCertificateRefs each naming group, kind and name, mode an enum, perPort ≤ 64 with unique ports;
 * backend.clientCertificateRef a SecretObjectReference). A ref of an unsupported kind or into a
 * namespace without a ReferenceGrant is valid here: as upstream says, it shows in the listener's
 * (frontend) or Gateway's (backend) ResolvedRefs condition (routing/compile/gatewayTLS.ts).
 */
function checkGatewayTLS(c: Checker, p: string, raw: unknown): void {
    const tls = c.obj(p, raw);
    if (!tls) return;
    const frontend = c.obj(`${p}.frontend`, tls.frontend);
    if (frontend) {
        const def = c.obj(`${p}.frontend.default`, frontend.default, true, "the client-certificate validation of every HTTPS port without a perPort entry ({} for none)");
        if (def) checkTLSConfig(c, `${p}.frontend.default`, def);
        const perPort = c.list(`${p}.frontend.perPort`, frontend.perPort, { max: 64, what: "per-port TLS configurations" });
        const seen = new Map<number, number>();
        perPort?.forEach((r, i) => {
            const pp = `${p}.frontend.perPort[${i}]`;
            const entry = c.obj(pp, r);
            if (!entry) return;
            const port = c.int(`${pp}.port`, entry.port, 1, 65535, true);
            const cfg = c.obj(`${pp}.tls`, entry.tls, true, "the TLS configuration of the port's HTTPS listeners ({ validation: { caCertificateRefs } })");
            if (cfg) checkTLSConfig(c, `${pp}.tls`, cfg);
            if (port === undefined) return;
            const prev = seen.get(port);
            if (prev !== undefined) c.add(`${pp}.port`, port, `must be unique within the Gateway: perPort[${prev}] also configures port ${port}; merge the two entries`);
            else seen.set(port, i);
        });
    }
    const backend = c.obj(`${p}.backend`, tls.backend);
    if (backend) {
        const rp = `${p}.backend.clientCertificateRef`;
        const ref = c.obj(rp, backend.clientCertificateRef);
        if (ref) {
            c.str(`${rp}.name`, ref.name, { required: true, min: 1, max: 253, what: "the name of the Secret holding the client certificate and key" });
            c.group(`${rp}.group`, ref.group);
            c.kind(`${rp}.kind`, ref.kind);
            c.label(`${rp}.namespace`, ref.namespace);
        }
    }
}

function checkTLSConfig(c: Checker, p: string, cfg: Record<string, unknown>): void {
    const v = c.obj(`${p}.validation`, cfg.validation);
    if (!v) return;
    const refs = c.list(`${p}.validation.caCertificateRefs`, v.caCertificateRefs, { min: 1, max: 16, required: true, what: "CA certificate references (ConfigMaps with key ca.crt)" });
    refs?.forEach((r, j) => {
        const rp = `${p}.validation.caCertificateRefs[${j}]`;
        const ref = c.obj(rp, r);
        if (!ref) return;
        c.str(`${rp}.name`, ref.name, { required: true, min: 1, max: 253, what: "the name of the ConfigMap holding the CA bundle" });
        if (ref.group === undefined) c.add(`${rp}.group`, undefined, "is required (the CRD has no default here): write group: \"\" for a ConfigMap");
        else c.group(`${rp}.group`, ref.group);
        c.kind(`${rp}.kind`, ref.kind, true);
        c.label(`${rp}.namespace`, ref.namespace);
    });
    c.oneOf(`${p}.validation.mode`, v.mode, ["AllowValidOnly", "AllowInsecureFallback"]);
}
