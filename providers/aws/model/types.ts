// The ALB configuration as plain data: what realize.ts hands to @pulumi/aws (target groups by key;
// realize swaps in their ARNs) and what evaluate.ts walks. No Pulumi, no classes: ctx.model is data.

import type { SimMatched } from "../../../routing/simulate";
import type { AlbLoadBalancingAlgorithm, AlbSettings } from "../parameters";

/** One condition block of lb.ListenerRule (exactly one field set); conditions.ts renders them. */
export interface AlbCondition {
    hostHeader?: { values: string[] };
    pathPattern?: { values: string[] };
    httpHeader?: { httpHeaderName: string; values: string[] };
    httpRequestMethod?: { values: string[] };
    queryStrings?: { key?: string; value: string }[];
}

/** A forward target: a target group key of AlbModel.targetGroups (realize maps it to the ARN). */
export interface AlbForwardTarget { targetGroup: string; weight: number }

export interface AlbRedirect {
    protocol?: "HTTP" | "HTTPS";
    host?: string;
    port?: string;
    path?: string;
    statusCode: "HTTP_301" | "HTTP_302";
}

/** One action block of lb.ListenerRule; actions.ts renders them. */
export type AlbAction =
    | { type: "forward"; forward: { targetGroups: AlbForwardTarget[]; stickiness?: { enabled: true; duration: number } } }
    | { type: "redirect"; redirect: AlbRedirect }
    | { type: "fixed-response"; fixedResponse: { contentType: "text/plain"; statusCode: string; messageBody: string } };

export interface AlbTransform {
    type: "host-header-rewrite" | "url-rewrite";
    hostHeaderRewriteConfig?: { rewrite: { regex: string; replace: string } };
    urlRewriteConfig?: { rewrite: { regex: string; replace: string } };
}

/**
 * Which plan rule an ALB rule came from: the identity simulate reports as `matched` (so the
 * differential test compares them), plus the rule's label for messages.
 */
export type AlbRuleSource = SimMatched & { label: string };

export interface AlbRule {
    /** Unique within its listener: the plan rule id (plus "#part" when split), or "isolate:<listener>". */
    key: string;
    /** The Pulumi resource name: from the rule's identity, never its position. */
    resourceName: string;
    priority: number;
    conditions: AlbCondition[];
    actions: AlbAction[];
    transforms?: AlbTransform[];
    /** The plan rule it realises; absent for isolation rules. */
    source?: AlbRuleSource;
    /**
     * An isolation rule a team's stack creates for its ListenerSet's listener: the route namespace whose
     * cell (and rules budget) it takes. Absent: the operator's isolation band.
     */
    owner?: string;
    /** Keys of the target groups it forwards to. */
    targetGroups: string[];
}

export interface AlbListener {
    resourceName: string;
    port: number;
    protocol: "HTTP" | "HTTPS";
    /** The Gateway listeners it carries, most specific hostname first. */
    gatewayListeners: string[];
    /** The first is the listener's default certificate; the others are added for SNI. */
    certificateArns: string[];
    /**
     * Per certificateArns entry, the certificateRef that named it ("namespace/name", or the ARN when
     * the ref is one): its identity when the ARN is unknown in a preview (created in the same stack).
     */
    certificateRefs: string[];
    /**
     * HTTPS only, from PortPlan.frontendValidation: "verify" (AllowValidOnly) checks the client's
     * certificate against a trust store made from the port's CA bundle, uploaded to S3; "passthrough"
     * (AllowInsecureFallback) accepts every client and forwards its certificate chain, unverified, to
     * the targets in the X-Amzn-Mtls-Clientcert header.
     */
    mutualAuthentication?: AlbMutualAuthentication;
    /** In priority order. */
    rules: AlbRule[];
}

export interface AlbMutualAuthentication {
    mode: "verify" | "passthrough";
    /** verify only: the trust store and the S3 object of its CA bundle. */
    trustStore?: {
        resourceName: string;
        /** The AWS name (≤ 32 characters). */
        name: string;
        bucket: string;
        key: string;
        /** "namespace/name" of the CA bundles it concatenates (the Gateway's caCertificates), in order. */
        caCertificateKeys: string[];
    };
}

export interface AlbTarget {
    /** IP address, instance id or Lambda function ARN. */
    id: string;
    port?: number;
    /** The target is unknown in this preview (id is a payload token), and so is its port. */
    unknown?: true;
}

export interface AlbTargetGroup {
    key: string;
    /** "namespace/name" of the service; "" for the invalid-backends group. */
    service: string;
    servicePort?: number;
    resourceName: string;
    /** AWS name (≤ 32 chars), content-hashed: a change that replaces the group also renames it. */
    name: string;
    targetType: "ip" | "instance" | "lambda";
    port?: number;
    protocol?: "HTTP";
    /** "GRPC" for the backends of GRPCRoute rules (HTTP/2 with gRPC health checks); absent: HTTP/1.1. */
    protocolVersion?: "GRPC";
    targets: AlbTarget[];
    /** A target group that exists already (realizations.aws.targetGroupArn): nothing is created. */
    existingArn?: string;
    /** The empty group that invalid backends' shares go to (ALB answers 503). */
    invalid?: boolean;
    /** The BackendTrafficPolicy ("namespace/name") that set the attributes below (policies.ts). */
    policy?: string;
    /** The policy's algorithm; absent: the class's parameters.aws.loadBalancingAlgorithm. */
    loadBalancingAlgorithm?: AlbLoadBalancingAlgorithm;
    /** Session persistence (the policy's, or every forwarding rule's). */
    stickiness?: AlbStickiness;
    /** The policy's active health check; absent: the class's parameters.aws.healthCheck. */
    healthCheck?: AlbHealthCheck;
}

/** lb.TargetGroup stickiness: the ALB issues the AWSALB cookie. */
export interface AlbStickiness { type: "lb_cookie"; cookieDuration: number; enabled: true }

/** lb.TargetGroup healthCheck from a policy, in seconds. */
export interface AlbHealthCheck { path: string; interval: number; timeout: number; healthyThreshold: number; unhealthyThreshold: number }

export interface AlbModel {
    gateway: string;
    resourcePrefix: string;
    loadBalancer: { resourceName: string; name: string };
    listeners: AlbListener[];
    targetGroups: AlbTargetGroup[];
    /** The Gateway's spec.infrastructure labels and annotations as tags on every resource (empty: none). */
    infrastructureTags?: Record<string, string>;
}

export interface AlbBuild {
    model: AlbModel;
    settings: AlbSettings;
    /** Refusals: the plan cannot be realised as written. */
    problems: string[];
    /** Deployable, but the data plane may behave unlike the spec (case-insensitive collisions, …). */
    warnings: string[];
    /** For information: weight rounding, dropped unreachable rules, split rules. */
    notes: string[];
}

export const INVALID_TARGET_GROUP = "invalid-backends";
export const INVALID_GRPC_TARGET_GROUP = "invalid-backends:grpc";
