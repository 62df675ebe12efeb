// GRPCRoute: a team's gRPC routing rules — by service, method and metadata headers — with the same
// ergonomics as HTTPRoute (components/route.ts): parentRefs to a Gateway component or another
// stack's GatewayReference, Service components as backends, status and routing-table lines.

import * as pulumi from "@pulumi/pulumi";
import { GRPCRouteSpec, GRPCRouteFilter, GRPCRouteMatch } from "../routing/types";
import { backendRef, RouteArgsBase, RouteBackendRefArgs, RouteComponent, RouteParentRefArgs } from "./route";

export type GRPCRouteParentRefArgs = RouteParentRefArgs;
export type GRPCBackendRefArgs = RouteBackendRefArgs<GRPCRouteFilter>;

export interface GRPCRouteRuleArgs {
    /** Names the rule, so its identity (and its resources) survive reordering. */
    name?: pulumi.Input<string>;
    /** Absent or empty: every gRPC call. */
    matches?: pulumi.Input<pulumi.Input<GRPCRouteMatch>[]>;
    /** RequestHeaderModifier, ResponseHeaderModifier and RequestMirror. */
    filters?: pulumi.Input<pulumi.Input<GRPCRouteFilter>[]>;
    backendRefs?: GRPCBackendRefArgs[];
}

export interface GRPCRouteArgs extends RouteArgsBase {
    /** No default: a GRPCRoute without rules matches nothing. */
    rules?: GRPCRouteRuleArgs[];
}

export class GRPCRoute extends RouteComponent<"GRPCRoute", GRPCRouteSpec> {
    constructor(name: string, args: GRPCRouteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("GRPCRoute", name, args, label => (args.rules ?? []).map((rule, i) => ({
            name: rule.name,
            matches: rule.matches,
            filters: rule.filters,
            backendRefs: rule.backendRefs?.map((b, j) => backendRef(b, `GRPCRoute ${label}: spec.rules[${i}].backendRefs[${j}]`)),
        })), opts);
    }
}
