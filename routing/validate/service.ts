// Spec validation: Service (ports, endpoints, realization hints).

import { ValidationIssue } from "../errors";
import { ServiceSpec } from "../types";
import { begin, quote } from "./checker";
import { hostnameProblem, isIP } from "./patterns";
import { validateAttachedPolicies } from "./policies";

/** `checkedPolicies`: shared by the Services of one input, so a policy on several of them is reported once. */
export function validateService(spec: ServiceSpec, checkedPolicies?: Map<string, ValidationIssue[]>): ValidationIssue[] {
    const [c, s] = begin("Service", spec);
    if (!s) return c.issues;
    const ports = c.list("spec.ports", s.ports, { min: 1, max: Infinity, required: true, what: "ports, e.g. [{ port: 8080 }]" });
    const seenPorts = new Map<number, number>();
    const seenNames = new Map<string, number>();
    ports?.forEach((raw, i) => {
        const p = `spec.ports[${i}]`;
        const sp = c.obj(p, raw);
        if (!sp) return;
        const port = c.int(`${p}.port`, sp.port, 1, 65535, true);
        c.int(`${p}.targetPort`, sp.targetPort, 1, 65535);
        const name = c.label(`${p}.name`, sp.name, false, "a port name");
        if (port !== undefined) {
            const prev = seenPorts.get(port);
            if (prev !== undefined) c.add(`${p}.port`, port, `must be unique within the Service; ports[${prev}] is also ${port}`);
            else seenPorts.set(port, i);
        }
        if (name !== undefined) {
            const prev = seenNames.get(name);
            if (prev !== undefined) c.add(`${p}.name`, name, `must be unique within the Service; ports[${prev}] is also named ${quote(name)}`);
            else seenNames.set(name, i);
        }
    });
    const endpoints = c.list("spec.endpoints", s.endpoints, { max: Infinity, what: "endpoints" });
    endpoints?.forEach((raw, i) => {
        const p = `spec.endpoints[${i}]`;
        const ep = c.obj(p, raw);
        if (!ep) return;
        const address = c.str(`${p}.address`, ep.address, { required: true, what: "an IP address or hostname" });
        if (address !== undefined && !isIP(address) && hostnameProblem(address, false) !== undefined) {
            c.add(`${p}.address`, address, "must be an IP address (e.g. '10.0.0.5' or '::1') or a lower-case DNS hostname (e.g. 'api.internal'), without a port; put the port in port");
        }
        c.int(`${p}.port`, ep.port, 1, 65535);
    });
    const realizations = c.obj("spec.realizations", s.realizations);
    if (realizations) {
        for (const [adapter, hints] of Object.entries(realizations)) c.obj(`spec.realizations.${adapter}`, hints);
    }
    return [...c.issues, ...validateAttachedPolicies(spec, checkedPolicies)];
}
