// The Gateway's spec.tls, resolved: per HTTPS port the client-certificate validation that applies
// (the port's perPort entry, else the default) with the CA refs that can be used, and the client
// certificate the Gateway presents to TLS backends. Bad refs become conditions, as upstream says:
// frontend on every HTTPS listener of the port (ResolvedRefs False: InvalidCACertificateKind,
// RefNotPermitted; Accepted False NoValidCACertificate when none is usable), backend on the Gateway
// (ResolvedRefs False: InvalidClientCertificateRef, RefNotPermitted). Whether the referenced
// material exists is known only to the data plane (the Gateway's caCertificates / certificates
// arguments), which refuses a missing one before changing anything.

import { FrontendValidationMode, GatewaySpec, TLSConfig } from "../types";
import { Context, ns } from "./context";

/** The CA refs gatewaykit reads: a ConfigMap (core group) whose `ca.crt` is a PEM bundle. */
const CA_KIND = "ConfigMap";

export interface ResolvedFrontendValidation {
    /** "namespace/name" of each usable CA ref, in order. */
    caCertificateKeys: string[];
    mode: FrontendValidationMode;
    /** Where it is written: "spec.tls.frontend.default" or "spec.tls.frontend.perPort[i].tls". */
    field: string;
    /** Why each unusable ref is unusable (all of them; the first reason leads the condition). */
    problems: { reason: "InvalidCACertificateKind" | "RefNotPermitted"; message: string }[];
}

/** The TLS configuration of a port: its perPort entry, else the default (both may be absent). */
export function frontendTLSOf(gw: GatewaySpec, port: number): { tls: TLSConfig; field: string } | undefined {
    const frontend = gw.tls?.frontend;
    if (!frontend) return undefined;
    const i = (frontend.perPort ?? []).findIndex(p => p.port === port);
    if (i >= 0) return { tls: frontend.perPort![i].tls, field: `spec.tls.frontend.perPort[${i}].tls` };
    return frontend.default ? { tls: frontend.default, field: "spec.tls.frontend.default" } : undefined;
}

/** The client-certificate validation of an HTTPS port of `gw`; undefined when the port has none. */
export function frontendValidationOf(gw: GatewaySpec, port: number, ctx: Context): ResolvedFrontendValidation | undefined {
    const cfg = frontendTLSOf(gw, port);
    const validation = cfg?.tls.validation;
    if (!cfg || !validation) return undefined;
    const gwNs = ns(gw);
    const keys: string[] = [];
    const problems: ResolvedFrontendValidation["problems"] = [];
    validation.caCertificateRefs.forEach((ref, i) => {
        const refNs = ref.namespace ?? gwNs;
        const at = `${cfg.field}.validation.caCertificateRefs[${i}]`;
        if (ref.group !== "" || ref.kind !== CA_KIND) {
            problems.push({ reason: "InvalidCACertificateKind", message: `${at} names ${ref.group === "" ? "" : ref.group + "/"}${ref.kind} ${refNs}/${ref.name}; gatewaykit reads CA certificates from ConfigMaps only (group "", kind ConfigMap)` });
        } else if (!ctx.referencePermitted(gwNs, refNs, "", CA_KIND, ref.name, "Gateway")) {
            problems.push({ reason: "RefNotPermitted", message: `${at} names ConfigMap ${refNs}/${ref.name} in another namespace and no ReferenceGrant in ${refNs} permits Gateways of ${gwNs} to use it` });
        } else if (!keys.includes(`${refNs}/${ref.name}`)) keys.push(`${refNs}/${ref.name}`);
    });
    return { caCertificateKeys: keys, mode: validation.mode ?? "AllowValidOnly", field: `${cfg.field}.validation`, problems };
}

/** The Gateway's backend client certificate: its key when usable, else why not; undefined when none is set. */
export function backendClientCertificateOf(gw: GatewaySpec, ctx: Context): { key: string } | { reason: "InvalidClientCertificateRef" | "RefNotPermitted"; message: string } | undefined {
    const ref = gw.tls?.backend?.clientCertificateRef;
    if (!ref) return undefined;
    const gwNs = ns(gw);
    const refNs = ref.namespace ?? gwNs;
    const group = ref.group ?? "", kind = ref.kind ?? "Secret";
    if (group !== "" || kind !== "Secret") {
        return { reason: "InvalidClientCertificateRef", message: `spec.tls.backend.clientCertificateRef names ${group === "" ? "" : group + "/"}${kind} ${refNs}/${ref.name}; use a Secret (group "", kind Secret)` };
    }
    if (!ctx.referencePermitted(gwNs, refNs, "", "Secret", ref.name, "Gateway")) {
        return { reason: "RefNotPermitted", message: `spec.tls.backend.clientCertificateRef names Secret ${refNs}/${ref.name} in another namespace and no ReferenceGrant in ${refNs} permits Gateways of ${gwNs} to use it` };
    }
    return { key: `${refNs}/${ref.name}` };
}
