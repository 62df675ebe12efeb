// HTTPRoute: a team's HTTP routing rules (components/route.ts has what every route kind shares:
// parentRefs, attachment, status and routing-table lines).

import * as pulumi from "@pulumi/pulumi";
import { HTTPRouteSpec, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRetry, HTTPRouteTimeouts, SessionPersistence } from "../routing/types";
import { backendRef, RouteArgsBase, RouteBackendRefArgs, RouteComponent, RouteParentRefArgs } from "./route";

export type HTTPRouteParentRefArgs = RouteParentRefArgs;
export type HTTPBackendRefArgs = RouteBackendRefArgs<HTTPRouteFilter>;

export interface HTTPRouteRuleArgs {
    /** Names the rule, so its identity (and its resources) survive reordering. */
    name?: pulumi.Input<string>;
    matches?: pulumi.Input<pulumi.Input<HTTPRouteMatch>[]>;
    filters?: pulumi.Input<pulumi.Input<HTTPRouteFilter>[]>;
    backendRefs?: HTTPBackendRefArgs[];
    /** Older spelling of backendRefs (the seed's). */
    forwardTo?: HTTPBackendRefArgs[];
    timeouts?: pulumi.Input<HTTPRouteTimeouts>;
    /** When to retry a backend request: codes, attempts, backoff (HTTPRouteRetry). */
    retry?: pulumi.Input<HTTPRouteRetry>;
    /** Keep a client's requests on one backend endpoint, by cookie or header. */
    sessionPersistence?: pulumi.Input<SessionPersistence>;
}

export interface HTTPRouteArgs extends RouteArgsBase {
    rules?: HTTPRouteRuleArgs[];
}

export class HTTPRoute extends RouteComponent<"HTTPRoute", HTTPRouteSpec> {
    constructor(name: string, args: HTTPRouteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("HTTPRoute", name, args, label => (args.rules ?? []).map((rule, i) => {
            if (rule.backendRefs !== undefined && rule.forwardTo !== undefined) {
                throw new Error(`HTTPRoute ${label}: spec.rules[${i}]: set backendRefs or its older spelling forwardTo, not both`);
            }
            return {
                name: rule.name,
                matches: rule.matches,
                filters: rule.filters,
                timeouts: rule.timeouts,
                retry: rule.retry,
                sessionPersistence: rule.sessionPersistence,
                backendRefs: (rule.backendRefs ?? rule.forwardTo)?.map((b, j) => backendRef(b, `HTTPRoute ${label}: spec.rules[${i}].backendRefs[${j}]`)),
            };
        }), opts);
    }
}
