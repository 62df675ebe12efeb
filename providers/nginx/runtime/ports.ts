// Whether a listener port is free before an instance claims it. No @pulumi import.

import * as net from "net";

/** True when something listens on host:port (a plain bind fails, even against SO_REUSEPORT listeners). */
export function portTaken(host: string, port: number): Promise<boolean> {
    return new Promise(resolve => {
        const srv = net.createServer();
        srv.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "EADDRINUSE"));
        srv.listen({ host: host.replace(/^\[|\]$/g, ""), port, exclusive: true }, () => srv.close(() => resolve(false)));
    });
}
