// Checks of the payload values nginx would only refuse when it loads a configuration (nginx -t, after
// the files are written): TLS material that is not PEM nginx can load or whose key does not match its
// certificate, and endpoint hostnames this machine cannot resolve (nginx resolves upstream servers at
// load time). Run before any file is written; every problem names the resource, the field and the fix.
// No @pulumi import: the dynamic-provider host runs this.

import * as crypto from "crypto";
import * as dns from "dns";
import type { GatewayPlan, PlanBackend, PlanFilters, PlanMirror } from "../../../routing/plan";
import type { Endpoint } from "../../../routing/types";
import type { TlsMaterial } from "../model";
import { backendCAProblems } from "./caBundles";

export class NginxPayloadError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n` + problems.map(p => `  - ${p}`).join("\n"));
        this.name = "NginxPayloadError";
    }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const DNS_TIMEOUT_MS = 5000;

/** Problems of one certificateRef's material, each naming `where` and the field. */
/** What nginx would refuse in a CA bundle: it must be one or more PEM certificates. Missing bundles the renderer refuses itself, naming the ref. */
export function caBundleProblems(where: string, pem: string | undefined): string[] {
    if (pem === undefined) return [];
    const blocks = typeof pem === "string" ? [...pem.matchAll(PEM_BLOCK)] : [];
    if (blocks.length === 0 || blocks.some(b => b[1] !== "CERTIFICATE")) {
        return [`${where}: the CA bundle (the ConfigMap's ca.crt) must be PEM: one or more "-----BEGIN CERTIFICATE-----" blocks of the CAs that issue client certificates`];
    }
    const problems: string[] = [];
    blocks.forEach((b, i) => {
        try {
            new crypto.X509Certificate(b[0]);
        } catch (e) {
            problems.push(`${where}: CA bundle block ${i + 1} of ${blocks.length} is not a valid X.509 certificate (${(e as Error).message}): give the PEM exactly as issued`);
        }
    });
    return problems;
}

export function tlsMaterialProblems(where: string, mat: TlsMaterial | undefined): string[] {
    if (mat === undefined) return []; // the renderer refuses missing material itself, naming the ref
    const problems: string[] = [];
    const certs: crypto.X509Certificate[] = [];
    const blocks = typeof mat.certificate === "string" ? [...mat.certificate.matchAll(PEM_BLOCK)] : [];
    if (blocks.length === 0 || blocks.some(b => b[1] !== "CERTIFICATE")) {
        problems.push(`${where}: certificate must be PEM: one or more "-----BEGIN CERTIFICATE-----" blocks, the server certificate first, then its intermediates`);
    } else {
        blocks.forEach((b, i) => {
            try {
                certs.push(new crypto.X509Certificate(b[0]));
            } catch (e) {
                problems.push(`${where}: certificate block ${i + 1} of ${blocks.length} is not a valid X.509 certificate (${(e as Error).message}): give the PEM exactly as issued`);
            }
        });
    }
    let key: crypto.KeyObject | undefined;
    if (typeof mat.privateKey !== "string" || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(mat.privateKey)) {
        problems.push(`${where}: privateKey must be a PEM private key ("-----BEGIN PRIVATE KEY-----", or an RSA/EC PRIVATE KEY block)`);
    } else if (/ENCRYPTED/.test(mat.privateKey)) {
        problems.push(`${where}: privateKey is encrypted; nginx here loads unencrypted keys only: decrypt it (e.g. \`openssl pkey -in key.pem -out plain.pem\`) and keep it secret`);
    } else {
        try {
            key = crypto.createPrivateKey(mat.privateKey);
        } catch (e) {
            problems.push(`${where}: privateKey is not a private key nginx can load (${(e as Error).message}): give the PEM exactly as generated`);
        }
    }
    if (key && certs.length > 0 && problems.length === 0 && !certs[0].checkPrivateKey(key)) {
        problems.push(`${where}: privateKey does not belong to the certificate (subject ${certs[0].subject.replace(/\n/g, ", ")}): pair the certificate with its own key, or put the server certificate first in the chain`);
    }
    return problems;
}

function isIP(address: string): boolean {
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(address) || address.includes(":");
}

function lookup(host: string): Promise<string | undefined> {
    return new Promise(resolve => {
        const timer = setTimeout(() => resolve(`no answer within ${DNS_TIMEOUT_MS / 1000} s`), DNS_TIMEOUT_MS);
        dns.lookup(host, err => {
            clearTimeout(timer);
            resolve(err ? (err as NodeJS.ErrnoException).code ?? err.message : undefined);
        });
    });
}

/** Every endpoint nginx would load, with the service it belongs to and its field path in that Service. */
function endpointsOf(plan: GatewayPlan): { service: string; field: string; address: string }[] {
    const out = new Map<string, { service: string; field: string; address: string }>();
    const add = (service: string | undefined, spec: { endpoints?: unknown } | undefined, endpoints: Endpoint[]) => {
        if (service === undefined) return;
        for (const e of endpoints) {
            if (isIP(e.address)) continue;
            const written = Array.isArray(spec?.endpoints) ? (spec!.endpoints as { address?: unknown }[]).findIndex(x => x?.address === e.address) : -1;
            const field = written >= 0 ? `spec.endpoints[${written}].address` : "spec.endpoints[].address";
            out.set(`${service}|${e.address}`, { service, field, address: e.address });
        }
    };
    const mirrors = (f: PlanFilters) => f.requestMirrors.forEach((m: PlanMirror) => add(m.service, m.serviceSpec, m.endpoints));
    for (const l of plan.listeners) {
        for (const r of l.rules) {
            mirrors(r.filters);
            r.backends.forEach((b: PlanBackend) => {
                if (!b.invalidReason) add(b.service, b.serviceSpec, b.endpoints);
                mirrors(b.filters);
            });
        }
    }
    return [...out.values()];
}

/**
 * Throws NginxPayloadError listing every problem nginx would only find at load time: TLS material of
 * the listeners' certificateRefs, BackendTLSPolicy CA bundles, and endpoint hostnames that do not resolve here.
 */
export async function checkPayload(plan: GatewayPlan, certificates: Record<string, TlsMaterial> | undefined, caCertificates?: Record<string, string>): Promise<void> {
    const problems: string[] = [];
    const seen = new Set<string>();
    if (plan.backendTLS) {
        const key = plan.backendTLS.clientCertificateKey;
        problems.push(...tlsMaterialProblems(`Gateway ${plan.gateway} spec.tls.backend.clientCertificateRef ${key}`, certificates?.[key]));
    }
    const seenCA = new Set<string>();
    for (const p of plan.ports) {
        for (const key of p.frontendValidation?.caCertificateKeys ?? []) {
            if (seenCA.has(key)) continue;
            seenCA.add(key);
            problems.push(...caBundleProblems(`Gateway ${plan.gateway} ${p.frontendValidation!.field}: caCertificateRef ConfigMap ${key}`, caCertificates?.[key]));
        }
    }
    for (const l of plan.listeners) {
        for (const ref of l.tls?.certificateRefs ?? []) {
            const key = `${ref.namespace ?? plan.namespace}/${ref.name}`;
            if (seen.has(key)) continue;
            seen.add(key);
            problems.push(...tlsMaterialProblems(`Gateway ${plan.gateway} listener ${l.name}: certificateRef ${key}`, certificates?.[key]));
        }
    }
    problems.push(...backendCAProblems(plan)); // BackendTLSPolicy trust anchors (caBundles.ts)
    const endpoints = endpointsOf(plan);
    const answers = await Promise.all(endpoints.map(e => lookup(e.address)));
    endpoints.forEach((e, i) => {
        if (answers[i] !== undefined) {
            problems.push(`Service ${e.service}: ${e.field} ${JSON.stringify(e.address)} does not resolve on this machine (${answers[i]}); ` +
                "nginx resolves endpoint hostnames when it loads its configuration: use an IP address or a hostname this machine resolves");
        }
    });
    if (problems.length > 0) throw new NginxPayloadError(problems);
}
