#!/usr/bin/env bash
# npm run demo:down: destroys the quickstart stack, then checks that no nginx or echo process of it
# and no listening listener port is left. Exits non-zero (listing what is left) otherwise.
set -euo pipefail
source "$(dirname "$0")/demo-env.sh"
cd "$ROOT"

setup_node
setup_pulumi
if ! pulumi stack select "$DEMO_STACK" >/dev/null 2>&1; then
    echo "No stack $DEMO_STACK in $PULUMI_BACKEND_URL: nothing to tear down."
    exit 0
fi
PORT="$(pulumi config get port 2>/dev/null || echo 8080)"
pulumi destroy --yes

left=0
# nginx masters/workers run with -p <their dir>, echo servers with --pidfile <their dir>/echo.pid: both under STATE_ROOT/<stack>.
if procs="$(pgrep -af -- "$STATE_ROOT/$DEMO_STACK/" 2>/dev/null)" && [ -n "$procs" ]; then
    echo "Left running after destroy:" >&2
    echo "$procs" >&2
    left=1
fi
if ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; then
    echo "Port $PORT is still listening after destroy:" >&2
    ss -ltnp "sport = :$PORT" >&2 || true
    left=1
fi
if [ "$left" -ne 0 ]; then exit 1; fi
echo "Destroyed: no nginx or echo process of stack $DEMO_STACK is running and port $PORT is free."
