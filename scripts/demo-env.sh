# Sourced by scripts/demo.sh and scripts/demo-down.sh: the quickstart's Pulumi environment (a local
# file backend in .pulumi-state/, no update checks, a fixed demo passphrase unless you set one) and
# the set-up of Node, npm dependencies, nginx and the Pulumi CLI (scripts/setup.sh).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$ROOT/.pulumi-state}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-gatewaykit-demo}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_SKIP_CONFIRMATIONS=true
# The program runs through ts-node: transpile only (type-checking is `npm run typecheck`'s job, and slow).
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"
DEMO_STACK="${GATEWAYKIT_DEMO_STACK:-dev}"
# Where the nginx and echo processes keep their pid files and logs (see providers/nginx/echo.ts).
if [ -n "${XDG_STATE_HOME:-}" ]; then STATE_ROOT="$XDG_STATE_HOME/gatewaykit"
elif [ "$(id -u)" = 0 ]; then STATE_ROOT=/var/lib/gatewaykit   # as root: readable by nginx's unprivileged workers
else STATE_ROOT="$HOME/.local/state/gatewaykit"; fi

# Node >= 22, npm dependencies, nginx and the Pulumi CLI, each set up on first use (scripts/setup.sh).
source "$ROOT/scripts/setup.sh"
