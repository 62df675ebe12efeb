#!/usr/bin/env bash
# Makes sure a Pulumi CLI that can run this project's Node.js programs is available, and prints the
# directory that holds it on the last line of stdout (everything else goes to stderr):
#
#     export PATH="$(scripts/ensure-pulumi.sh | tail -n 1):$PATH"
#
# 1. If `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs` are all on PATH
#    already, prints the directory of `pulumi` and stops (set GATEWAYKIT_PULUMI_IGNORE_PATH=1 to
#    use the pinned build below instead).
# 2. If the pinned build is in the cache, prints its bin directory and stops.
# 3. Otherwise builds it from Go modules (the Go module proxy is the only network it needs; Go at
#    /usr/local/go is used when `go` is not on PATH), caches it, and prints its bin directory.
#
# What gets built (pins live in scripts/pulumi-cli/*/go.mod and go.sum):
#   pulumi                          the CLI, github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at v3.274.1
#   pulumi-language-nodejs          the Node.js language host, pulumi/pulumi commit bee5e4fa4815
#                                   (v3.188.0 era; see scripts/pulumi-cli/language-nodejs/go.mod)
#   pulumi-resource-pulumi-nodejs   a shell wrapper (written here) that starts the dynamic-provider
#                                   host shipped inside the program's @pulumi/pulumi package
#
# Env: GATEWAYKIT_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/gatewaykit), GATEWAYKIT_PULUMI_JOBS
# (parallel compile jobs, default 2), GATEWAYKIT_PULUMI_IGNORE_PATH=1 (skip step 1).
# A cold build takes several minutes on 2 cores; later runs reuse the cache and return at once.
set -euo pipefail

PULUMI_VERSION=v3.274.1
LANGHOST_VERSION=v3.188.0-alpha.xbee5e4f   # what pulumi-language-nodejs reports (Pulumi's dev-build style)
STAMP="pulumi=$PULUMI_VERSION language-nodejs=$LANGHOST_VERSION wrapper=1"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODULES_DIR="$SCRIPT_DIR/pulumi-cli"
CACHE_ROOT="${GATEWAYKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatewaykit}"
INSTALL_DIR="$CACHE_ROOT/pulumi-$PULUMI_VERSION"
BIN_DIR="$INSTALL_DIR/bin"

log() { printf '%s\n' "ensure-pulumi: $*" >&2; }
die() { log "error: $*"; exit 1; }

# 1. Already on PATH?
if [ "${GATEWAYKIT_PULUMI_IGNORE_PATH:-}" != 1 ] \
    && command -v pulumi >/dev/null 2>&1 \
    && command -v pulumi-language-nodejs >/dev/null 2>&1 \
    && command -v pulumi-resource-pulumi-nodejs >/dev/null 2>&1; then
    found="$(dirname "$(command -v pulumi)")"
    log "using pulumi on PATH: $found ($(pulumi version 2>/dev/null || echo 'version unknown'))"
    printf '%s\n' "$found"
    exit 0
fi

cache_is_complete() {
    [ -f "$INSTALL_DIR/STAMP" ] && [ "$(cat "$INSTALL_DIR/STAMP")" = "$STAMP" ] \
        && [ -x "$BIN_DIR/pulumi" ] && [ -x "$BIN_DIR/pulumi-language-nodejs" ] \
        && [ -x "$BIN_DIR/pulumi-resource-pulumi-nodejs" ]
}

# 2. Already built?
if cache_is_complete; then
    printf '%s\n' "$BIN_DIR"
    exit 0
fi

# 3. Build. One build at a time per cache directory.
mkdir -p "$INSTALL_DIR"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$INSTALL_DIR/.lock"
    flock 9
    if cache_is_complete; then   # another run finished it while we waited
        printf '%s\n' "$BIN_DIR"
        exit 0
    fi
fi

if ! command -v go >/dev/null 2>&1; then
    [ -x /usr/local/go/bin/go ] || die "Go is needed to build pulumi: no 'go' on PATH and no /usr/local/go/bin/go"
    export PATH="/usr/local/go/bin:$PATH"
fi
for f in cli/go.mod cli/go.sum language-nodejs/go.mod language-nodejs/go.sum; do
    [ -f "$MODULES_DIR/$f" ] || die "missing $MODULES_DIR/$f"
done
command -v node >/dev/null 2>&1 || log "warning: node is not on PATH; Pulumi's Node.js programs will need it"

# The language host's pseudo-version is served by the proxy but not by the checksum database;
# go.sum pins its hash, so tell go not to ask the database about it.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs"
export GOFLAGS="-mod=readonly -buildvcs=false"
JOBS="${GATEWAYKIT_PULUMI_JOBS:-2}"

BUILD_DIR="$INSTALL_DIR/build"
STAGE="$INSTALL_DIR/bin.partial"
rm -rf "$BUILD_DIR" "$STAGE"
mkdir -p "$BUILD_DIR/cli" "$BUILD_DIR/language-nodejs" "$STAGE"
cp "$MODULES_DIR"/cli/go.mod "$MODULES_DIR"/cli/go.sum "$BUILD_DIR/cli/"
cp "$MODULES_DIR"/language-nodejs/go.mod "$MODULES_DIR"/language-nodejs/go.sum "$BUILD_DIR/language-nodejs/"

CLI_PKG=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
LANGHOST_PKG=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

log "building pulumi $PULUMI_VERSION and pulumi-language-nodejs ($LANGHOST_VERSION) with $(go version | cut -d' ' -f3) into $BIN_DIR"
t0=$SECONDS
log "downloading modules (Go module proxy) ..."
(cd "$BUILD_DIR/cli" && go list -deps "$CLI_PKG" >/dev/null)
(cd "$BUILD_DIR/language-nodejs" && go list -deps "$LANGHOST_PKG" >/dev/null)
t1=$SECONDS
log "modules ready in $((t1 - t0))s; compiling pulumi-language-nodejs ..."
(cd "$BUILD_DIR/language-nodejs" && nice -n 10 go build -p "$JOBS" -trimpath \
    -ldflags "-s -w -X $VERSION_VAR=$LANGHOST_VERSION" -o "$STAGE/pulumi-language-nodejs" "$LANGHOST_PKG")
t2=$SECONDS
log "pulumi-language-nodejs built in $((t2 - t1))s; compiling pulumi (several minutes) ..."
(cd "$BUILD_DIR/cli" && nice -n 10 go build -p "$JOBS" -trimpath \
    -ldflags "-s -w -X $VERSION_VAR=$PULUMI_VERSION" -o "$STAGE/pulumi" "$CLI_PKG")
t3=$SECONDS
log "pulumi built in $((t3 - t2))s"

# The CLI runs dynamic providers (pulumi.dynamic.Resource) through a plugin of this name; its code is
# the dynamic-provider host inside @pulumi/pulumi, found from the program directory it starts in.
cat >"$STAGE/pulumi-resource-pulumi-nodejs" <<'EOF'
#!/bin/sh
host=$(node -p 'require.resolve("@pulumi/pulumi/cmd/dynamic-provider")') || exit 1
exec node "$host" "$@"
EOF
chmod 755 "$STAGE/pulumi-resource-pulumi-nodejs"

got="$("$STAGE/pulumi" version)"
[ "$got" = "$PULUMI_VERSION" ] || die "built pulumi reports '$got', expected $PULUMI_VERSION"

rm -rf "$BIN_DIR"
mv "$STAGE" "$BIN_DIR"
printf '%s\n' "$STAMP" >"$INSTALL_DIR/STAMP"
rm -rf "$BUILD_DIR"
log "done in $((t3 - t0))s (download $((t1 - t0))s, build $((t3 - t1))s)"
printf '%s\n' "$BIN_DIR"
