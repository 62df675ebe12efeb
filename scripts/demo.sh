#!/usr/bin/env bash
# npm run demo: the quickstart (examples/quickstart) through a real `pulumi up` on a local nginx with
# two echo backends, then a curl command that reaches it. Sets up what it needs first (Node >= 22,
# npm dependencies, nginx, the Pulumi CLI: scripts/setup.sh). `npm run demo:down` tears it all down.
# Env: GATEWAYKIT_DEMO_PORT (listener port, default 8080), GATEWAYKIT_DEMO_STACK (default dev).
set -euo pipefail
source "$(dirname "$0")/demo-env.sh"
cd "$ROOT"

setup_node
setup_deps
setup_nginx
setup_pulumi
echo "== $(pulumi version 2>/dev/null | head -n 1) · backend $PULUMI_BACKEND_URL"

mkdir -p "$ROOT/.pulumi-state"
pulumi stack select "$DEMO_STACK" >/dev/null 2>&1 || pulumi stack init "$DEMO_STACK"
PORT="${GATEWAYKIT_DEMO_PORT:-$(pulumi config get port 2>/dev/null || echo 8080)}"
pulumi config set port "$PORT" >/dev/null

pulumi up --yes
echo
pulumi stack output routes
CURL="$(pulumi stack output curl)"
echo
echo "The gateway is up. Try (repeat it: about 1 in 10 answers come from mygroup-groups-canary):"
echo "    $CURL"
echo "Tear it down with: npm run demo:down"
