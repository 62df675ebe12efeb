// Spec validation: GatewayClass.

import { ValidationIssue } from "../errors";
import { GatewayClassSpec } from "../types";
import { begin } from "./checker";
import { CONTROLLER_NAME } from "./patterns";

export function validateGatewayClass(spec: GatewayClassSpec): ValidationIssue[] {
    const [c, s] = begin("GatewayClass", spec);
    if (!s) return c.issues;
    const controller = c.str("spec.controllerName", s.controllerName, { required: true, max: 253, what: "the adapter's controller name, e.g. 'gatewaykit.dev/nginx'" });
    if (controller !== undefined && !CONTROLLER_NAME.test(controller)) {
        c.add("spec.controllerName", controller, "must be a domain-prefixed path such as 'gatewaykit.dev/nginx': a lower-case DNS subdomain, '/', then a path");
    }
    c.str("spec.description", s.description, { max: 64 });
    c.obj("spec.parameters", s.parameters);
    return c.issues;
}

