// gRPC echo backends and a gRPC client for the conformance run, on @grpc/grpc-js (a real gRPC
// implementation on both ends). The backend serves the upstream conformance service
// gateway_api_conformance.echo_basic.grpcecho.GrpcEcho (Echo, EchoTwo, EchoThree) and answers each call
// with JSON {name, path, metadata}; messages are raw bytes (no protobuf schema is needed to echo).
import * as grpc from "@grpc/grpc-js";

export const GRPC_ECHO_SERVICE = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho";
const METHODS = ["Echo", "EchoTwo", "EchoThree"];

export interface GrpcEchoAnswer { name: string; path: string; metadata: Record<string, string> }

const identity = (b: Buffer) => b;

export class GrpcEcho {
    private server = new grpc.Server();
    port = 0;
    constructor(readonly name: string) {}

    async start(): Promise<void> {
        const definition: grpc.ServiceDefinition = Object.fromEntries(METHODS.map(m => [m, {
            path: `/${GRPC_ECHO_SERVICE}/${m}`, requestStream: false, responseStream: false,
            requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
        }]));
        const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
            const metadata: Record<string, string> = {};
            for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = String(v);
            const answer: GrpcEchoAnswer = { name: this.name, path: call.getPath(), metadata };
            callback(null, Buffer.from(JSON.stringify(answer)));
        };
        this.server.addService(definition, Object.fromEntries(METHODS.map(m => [m, handler])));
        this.port = await new Promise<number>((resolve, reject) =>
            this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))));
    }

    stop(): Promise<void> {
        return new Promise(resolve => this.server.tryShutdown(() => resolve()));
    }
}

export interface GrpcCallResult { code: grpc.status; answer?: GrpcEchoAnswer; details?: string }

/**
 * One unary call through the gateway at 127.0.0.1:`port` with :authority `host` (cleartext h2c, or TLS
 * with ALPN h2 when `tls`, the certificate not verified): the status code and the echo's answer.
 */
export function grpcCall(port: number, host: string, service: string, method: string, metadata: Record<string, string> = {}, tls = false): Promise<GrpcCallResult> {
    const credentials = tls
        ? grpc.credentials.createSsl(null, null, null, { checkServerIdentity: () => undefined, rejectUnauthorized: false })
        : grpc.credentials.createInsecure();
    const client = new grpc.Client(`127.0.0.1:${port}`, credentials, {
        "grpc.default_authority": host,
        ...(tls ? { "grpc.ssl_target_name_override": host.replace(/:\d+$/, "") } : {}),
    });
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    return new Promise(resolve => {
        client.makeUnaryRequest(`/${service}/${method}`, identity, identity, Buffer.alloc(0), md, { deadline: Date.now() + 5000 }, (e, value) => {
            client.close();
            if (e) resolve({ code: e.code ?? grpc.status.UNKNOWN, details: e.details });
            else resolve({ code: grpc.status.OK, answer: JSON.parse(value!.toString("utf8")) });
        });
    });
}
