// The URL map as plain data, field names as in @pulumi/gcp/compute URLMap: what the model emits,
// what evaluate.ts reads and what realize.ts hands to Pulumi.

export interface HeaderToAdd { headerName: string; headerValue: string; replace: boolean }
export interface HeaderActionSpec {
    requestHeadersToAdds?: HeaderToAdd[];
    requestHeadersToRemoves?: string[];
    responseHeadersToAdds?: HeaderToAdd[];
    responseHeadersToRemoves?: string[];
}
export interface WeightedBackendSpec { backendService: string; weight: number; headerAction?: HeaderActionSpec }
/** routeAction.corsPolicy: the LB answers preflights and adds the Access-Control-* headers. */
export interface CorsPolicySpec {
    allowOrigins?: string[];
    /** RE2 patterns. */
    allowOriginRegexes?: string[];
    allowMethods?: string[];
    allowHeaders?: string[];
    exposeHeaders?: string[];
    maxAge?: number;
    allowCredentials?: boolean;
    disabled: boolean;
}
export interface RouteActionSpec {
    weightedBackendServices?: WeightedBackendSpec[];
    urlRewrite?: { hostRewrite?: string; pathPrefixRewrite?: string };
    requestMirrorPolicy?: { backendService: string; mirrorPercent?: number };
    faultInjectionPolicy?: { abort: { httpStatus: number; percentage: number } };
    timeout?: { seconds: string; nanos?: number };
    corsPolicy?: CorsPolicySpec;
    /** A rule's HTTPRouteRetry (routeRules.ts retryPolicyOf). */
    retryPolicy?: { numRetries: number; retryConditions: string[]; perTryTimeout?: { seconds: string; nanos?: number } };
}
export interface UrlRedirectSpec {
    hostRedirect?: string;
    httpsRedirect?: boolean;
    pathRedirect?: string;
    prefixRedirect?: string;
    redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT" | "FOUND" | "SEE_OTHER" | "TEMPORARY_REDIRECT" | "PERMANENT_REDIRECT";
    stripQuery: boolean;
}
export interface MatchRuleSpec {
    prefixMatch?: string;
    fullPathMatch?: string;
    headerMatches?: { headerName: string; exactMatch: string }[];
    queryParameterMatches?: { name: string; exactMatch: string }[];
}
export interface RouteRuleSpec {
    priority: number;
    matchRules: MatchRuleSpec[];
    service?: string;
    routeAction?: RouteActionSpec;
    urlRedirect?: UrlRedirectSpec;
    headerAction?: HeaderActionSpec;
}
export interface PathMatcherSpec {
    name: string;
    defaultRouteAction: RouteActionSpec;
    routeRules?: RouteRuleSpec[];
}
export interface UrlMapSpec {
    name: string;
    description: string;
    defaultRouteAction: RouteActionSpec;
    hostRules?: { hosts: string[]; pathMatcher: string }[];
    pathMatchers?: PathMatcherSpec[];
}

export interface UrlMapBuild {
    urlMap: UrlMapSpec;
    /** Plan rule ids whose realised shares differ from the plan's (weight scaling), with the detail. */
    notes: string[];
    problems: string[];
}
