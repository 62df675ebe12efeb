// simulateGRPC(plan, call): where a gRPC call goes, and the gRPC status the client sees when the
// gateway answers it itself. A call is the HTTP/2 request gRPC sends — POST "/{service}/{method}"
// with content-type application/grpc and the call's metadata as headers — so it is simulated as
// exactly that request (the one matching semantics, ./index.ts); this file only adds the gRPC view:
// - no listener (connection refused) → UNAVAILABLE; no listener hostname or no rule → HTTP 404,
//   read by clients as UNIMPLEMENTED (the upstream conformance expects it for unmatched methods);
// - an invalid backend share or a rule without backends on a GRPCRoute rule → HTTP 503, UNAVAILABLE;
// - a forwarded call → OK as far as the gateway goes (the backend's own status is not known here);
// - any other answer → the gRPC HTTP-to-status mapping (routing/grpc.ts grpcStatusOfHTTP).

import { grpcCallPath, GRPC_HTTP_METHOD, GRPC_STATUS, GRPCStatusName, grpcStatusOfHTTP } from "../grpc";
import { RoutingPlan } from "../plan";
import { SimOptions, SimOutcome, SimResult, simulate } from "./index";

export interface GRPCCall {
    /** Defaults to "http" (h2c); "https" is gRPC over TLS. */
    scheme?: "http" | "https";
    /** Defaults to 80 for http, 443 for https. */
    port?: number;
    /** The :authority the client sends. */
    host: string;
    /** The fully-qualified service, e.g. "helloworld.Greeter". */
    service: string;
    method: string;
    /** The call's metadata (header names case-insensitive). */
    metadata?: Record<string, string | string[]>;
}

export interface GRPCSimOutcome extends SimOutcome {
    grpcStatus: GRPCStatusName;
}

export interface GRPCSimResult extends SimResult {
    /** The most probable outcome's gRPC status. */
    grpcStatus: GRPCStatusName;
    /** Its numeric code (grpc/doc/statuscodes.md). */
    grpcCode: number;
    outcomes: GRPCSimOutcome[];
}

export function simulateGRPC(plan: RoutingPlan, call: GRPCCall, opts: SimOptions = {}): GRPCSimResult {
    const result = simulate(plan, {
        ...(call.scheme ? { scheme: call.scheme } : {}),
        ...(call.port !== undefined ? { port: call.port } : {}),
        host: call.host,
        method: GRPC_HTTP_METHOD,
        path: grpcCallPath(call.service, call.method),
        headers: { ...call.metadata, "content-type": "application/grpc", te: "trailers" },
    }, opts);
    const grpcStatus = grpcStatusOfHTTP(result.status);
    return {
        ...result,
        grpcStatus,
        grpcCode: GRPC_STATUS[grpcStatus],
        outcomes: result.outcomes.map(o => ({ ...o, grpcStatus: grpcStatusOfHTTP(o.status) })),
    };
}
