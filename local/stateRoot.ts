// Where gatewaykit keeps local state (nginx instances and homes, echo backends). No @pulumi import:
// the dynamic-provider hosts and the pure parameter helpers use it.

import * as os from "os";
import * as path from "path";

/**
 * Root of gatewaykit's local state: $XDG_STATE_HOME/gatewaykit, else ~/.local/state/gatewaykit — or, for
 * root, /var/lib/gatewaykit: nginx's workers then run unprivileged and must reach the instance dirs,
 * which root's home (0700) does not let them.
 */
export function defaultStateRoot(): string {
    const xdg = process.env.XDG_STATE_HOME;
    if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "gatewaykit");
    if (typeof process.geteuid === "function" && process.geteuid() === 0) return "/var/lib/gatewaykit";
    return path.join(os.homedir(), ".local", "state", "gatewaykit");
}
