#!/usr/bin/env bash
# npm test: sets up what the suite needs (Node >= 22, npm dependencies, nginx, the Pulumi CLI; see
# scripts/setup.sh), type-checks once, then runs every test (mocha, transpile-only) — e2e included
# when nginx and the CLI are there. Under CI=true a missing tool fails the run instead of skipping.
# Extra arguments go to mocha, e.g. `npm test -- test/simulate.test.ts`.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$GK_ROOT"

setup_node
setup_deps
e2e=1
setup_nginx || { e2e=0; [ "${CI:-}" = true ] && { echo "CI=true: nginx is required" >&2; exit 1; }; }
setup_pulumi || { e2e=0; [ "${CI:-}" = true ] && { echo "CI=true: the Pulumi CLI is required" >&2; exit 1; }; }
# The Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kubectl) and the
# pulumi-kubernetes provider for the real-API-server tests: built from Go modules once and cached
# (scripts/ensure-kube.sh; ~15-40 minutes cold on 2 cores). CI builds them; elsewhere the tests
# that need them skip loudly until scripts/ensure-kube.sh has run.
if [ "${CI:-}" = true ]; then
    bash scripts/ensure-kube.sh >/dev/null \
        || { echo "CI=true: the Kubernetes control-plane binaries are required (scripts/ensure-kube.sh failed)" >&2; exit 1; }
fi
# With every tool in place the whole suite runs; otherwise the e2e tests say loudly that they skip.
[ "$e2e" = 1 ] && export GATEWAYKIT_E2E="${GATEWAYKIT_E2E:-1}"
nginx_version="$(nginx="$(nginx_binary)" && "$nginx" -v 2>&1 | tr -d '\n' || echo 'no nginx')"
echo "== node $(node --version) · $nginx_version · pulumi $(pulumi version 2>/dev/null || echo missing)" >&2

npx tsc --noEmit -p .
exec npx mocha "$@"
