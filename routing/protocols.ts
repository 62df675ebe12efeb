// Backend protocols by the Kubernetes appProtocol of a Service port (Gateway API's
// HTTPRouteBackendProtocol* features): the one reading of appProtocol, for compile and the adapters.

import { BackendProtocol } from "./plan";

const APP_PROTOCOLS: Record<string, BackendProtocol> = { "kubernetes.io/ws": "ws", "kubernetes.io/wss": "wss", "kubernetes.io/h2c": "h2c" };

/** The backend protocol `appProtocol` names; undefined: HTTP/1.1 (absent, "http", or one gatewaykit does not know). */
export function backendProtocol(appProtocol: string | undefined): BackendProtocol | undefined {
    return appProtocol === undefined ? undefined : APP_PROTOCOLS[appProtocol];
}
