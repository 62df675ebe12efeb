#!/usr/bin/env bash
# Makes sure the binaries of the test Kubernetes control plane are built and cached, and prints the
# directory that holds them on the last line of stdout (everything else goes to stderr):
#
#     KUBE_BIN="$(scripts/ensure-kube.sh | tail -n 1)"
#
# 1. If the pinned build is in the cache (its STAMP matches), prints its bin directory and stops.
# 2. Otherwise builds it from Go modules (the Go module proxy is the only network it needs; Go at
#    /usr/local/go is used when `go` is not on PATH), caches it, and prints its bin directory.
# Binaries already on PATH are not used: the tests need these exact versions (a system kubectl of
# another minor version, say, would apply CRDs differently).
#
# What gets built (pins live in scripts/kube/*/go.mod and go.sum):
#   kube-apiserver, kube-controller-manager, kubectl
#                        k8s.io/kubernetes v1.37.2 (scripts/kube/kubernetes: its staging modules
#                        replaced by their published v0.37.2 releases); /version reports v1.37.2
#   etcd                 go.etcd.io/etcd/server/v3 v3.7.3 (scripts/kube/etcd/main.go)
#   pulumi-resource-kubernetes
#                        github.com/pulumi/pulumi-kubernetes/provider/v4 at f47bc2d6f199, labelled
#                        4.34.2 (the npm @pulumi/kubernetes version the tests use); install it with
#                        `pulumi plugin install resource kubernetes 4.34.2 --file <bin>/pulumi-resource-kubernetes`
#
# The cache holds only the five binaries and the stamp (456 MiB). A cold build is ~32 CPU-minutes:
# ~14 minutes on 2 idle cores, 37 minutes measured at nice 19 on a busy 2-core machine. It needs
# ~8.5 GB of scratch disk (mostly the Go build cache, kept in the scratch dir and deleted afterwards);
# the modules downloaded on the way stay in Go's module cache (go env GOMODCACHE; it grew 1.7 GB).
# A warm run only compares the stamp (40 ms).
#
# Env: GATEWAYKIT_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/gatewaykit), GATEWAYKIT_KUBE_JOBS
# (parallel compile jobs, default 2), GATEWAYKIT_KUBE_BUILD_DIR (scratch dir, default under the cache).
set -euo pipefail

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
PROVIDER_LABEL=4.34.2   # the plugin version the provider reports and is installed under

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODULES_DIR="$SCRIPT_DIR/kube"
WRAPPER_FILES=(kubernetes/go.mod kubernetes/go.sum kubernetes/tools.go
    etcd/go.mod etcd/go.sum etcd/main.go
    provider/go.mod provider/go.sum provider/embed.go)
CACHE_ROOT="${GATEWAYKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatewaykit}"
INSTALL_DIR="$CACHE_ROOT/kube-$KUBE_VERSION"
BIN_DIR="$INSTALL_DIR/bin"
BINARIES=(etcd kube-apiserver kube-controller-manager kubectl pulumi-resource-kubernetes)

log() { printf '%s\n' "ensure-kube: $*" >&2; }
die() { log "error: $*"; exit 1; }

for f in "${WRAPPER_FILES[@]}"; do
    [ -f "$MODULES_DIR/$f" ] || die "missing $MODULES_DIR/$f"
done
# The stamp names the versions and the wrapper modules' content, so editing a pin rebuilds.
modules_hash="$(cd "$MODULES_DIR" && cat "${WRAPPER_FILES[@]}" | sha256sum | cut -c1-16)"
STAMP="kubernetes=$KUBE_VERSION etcd=$ETCD_VERSION pulumi-kubernetes=$PROVIDER_LABEL modules=$modules_hash"

cache_is_complete() {
    [ -f "$INSTALL_DIR/STAMP" ] && [ "$(cat "$INSTALL_DIR/STAMP")" = "$STAMP" ] || return 1
    local b
    for b in "${BINARIES[@]}"; do [ -x "$BIN_DIR/$b" ] || return 1; done
}

# 1. Already built?
if cache_is_complete; then
    printf '%s\n' "$BIN_DIR"
    exit 0
fi

# 2. Build. One build at a time per cache directory.
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
    [ -x /usr/local/go/bin/go ] || die "Go is needed to build the Kubernetes binaries: no 'go' on PATH and no /usr/local/go/bin/go"
    export PATH="/usr/local/go/bin:$PATH"
fi

BUILD_DIR="${GATEWAYKIT_KUBE_BUILD_DIR:-$INSTALL_DIR/build}"
STAGE="$INSTALL_DIR/bin.partial"
rm -rf "$BUILD_DIR" "$STAGE"
mkdir -p "$BUILD_DIR" "$STAGE"
avail_kb="$(df -Pk "$BUILD_DIR" | awk 'NR == 2 { print $4 }')"
[ "${avail_kb:-0}" -ge $((12 * 1024 * 1024)) ] \
    || die "a cold build needs ~9 GB of scratch space (12 GB free asked for); $BUILD_DIR has $((avail_kb / 1024 / 1024)) GB free (set GATEWAYKIT_KUBE_BUILD_DIR to a roomier place)"

# The build cache lives in the scratch dir (it reaches ~8 GB) and goes with it; nothing but the
# binaries is kept. GOTOOLCHAIN=local: build with this Go rather than fetch the one a go.mod names.
export GOCACHE="$BUILD_DIR/gocache"
export GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0
JOBS="${GATEWAYKIT_KUBE_JOBS:-2}"
build() { nice -n 19 go build -p "$JOBS" -trimpath "$@"; }   # other work on the machine comes first

for m in kubernetes etcd provider; do
    mkdir -p "$BUILD_DIR/$m"
    cp "$MODULES_DIR/$m/go.mod" "$MODULES_DIR/$m/go.sum" "$BUILD_DIR/$m/"
done
cp "$MODULES_DIR/etcd/main.go" "$BUILD_DIR/etcd/"

KUBE_CMDS=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
kube_ldflags="-s -w"
minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
major="${KUBE_VERSION#v}"; major="${major%%.*}"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kube_ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

log "building etcd $ETCD_VERSION, Kubernetes $KUBE_VERSION (kube-apiserver, kube-controller-manager, kubectl) and pulumi-resource-kubernetes ($PROVIDER_LABEL) with $(go version | cut -d' ' -f3) into $BIN_DIR"
t0=$SECONDS
log "downloading modules (Go module proxy) ..."
(cd "$BUILD_DIR/etcd" && go list -deps . >/dev/null)
(cd "$BUILD_DIR/kubernetes" && go list -deps "${KUBE_CMDS[@]}" >/dev/null)
(cd "$BUILD_DIR/provider" && go mod download "$PROVIDER_MODULE")
provider_src="$(cd "$BUILD_DIR/provider" && go list -m -f '{{.Dir}}' "$PROVIDER_MODULE")/cmd/pulumi-resource-kubernetes"
[ -f "$provider_src/main.go" ] && [ -f "$provider_src/schema.json" ] && [ -f "$provider_src/terraform-mapping.json" ] \
    || die "the provider module has no cmd/pulumi-resource-kubernetes/{main.go,schema.json,terraform-mapping.json} in $provider_src"
# The provider's command is used as published (taken from the module cache, not kept in this repo),
# plus the two files it embeds, generated as its own build does.
cp "$provider_src/main.go" "$BUILD_DIR/provider/main.go"
chmod u+w "$BUILD_DIR/provider/main.go"
(cd "$MODULES_DIR/provider" && GOFLAGS=-buildvcs=false go run embed.go "$provider_src" "$BUILD_DIR/provider" "$PROVIDER_LABEL")
(cd "$BUILD_DIR/provider" && go list -deps . >/dev/null)
t1=$SECONDS

log "modules ready in $((t1 - t0))s; compiling etcd ..."
(cd "$BUILD_DIR/etcd" && build -ldflags "-s -w" -o "$STAGE/etcd" .)
t2=$SECONDS
log "etcd built in $((t2 - t1))s; compiling kube-apiserver, kube-controller-manager, kubectl (~6 minutes on idle cores) ..."
(cd "$BUILD_DIR/kubernetes" && build -ldflags "$kube_ldflags" -o "$STAGE/" "${KUBE_CMDS[@]}")
t3=$SECONDS
log "Kubernetes binaries built in $((t3 - t2))s; compiling pulumi-resource-kubernetes (~7 minutes on idle cores) ..."
(cd "$BUILD_DIR/provider" && build -ldflags "-s -w -X $PROVIDER_MODULE/pkg/version.Version=$PROVIDER_LABEL" \
    -o "$STAGE/pulumi-resource-kubernetes" .)
t4=$SECONDS
log "pulumi-resource-kubernetes built in $((t4 - t3))s"
build_kb="$(du -sk "$BUILD_DIR" | cut -f1)"

# Each binary says it is what was asked for (outputs captured first: grep -q on a pipe could cut the
# writer short, which pipefail would report as a failure).
check() { # <what> <expected substring> <command...>
    local what=$1 want=$2 got; shift 2
    got="$("$@" 2>&1)" || die "$what: '$*' failed: $got"
    case "$got" in *"$want"*) ;; *) die "$what reports '$got', expected '$want'" ;; esac
}
check kube-apiserver "Kubernetes $KUBE_VERSION" "$STAGE/kube-apiserver" --version
check kube-controller-manager "Kubernetes $KUBE_VERSION" "$STAGE/kube-controller-manager" --version
check kubectl "Client Version: $KUBE_VERSION" "$STAGE/kubectl" version --client
check etcd "etcd Version: ${ETCD_VERSION#v}" "$STAGE/etcd" --version
check pulumi-resource-kubernetes "$PROVIDER_MODULE" go version -m "$STAGE/pulumi-resource-kubernetes"

rm -rf "$BIN_DIR"
mv "$STAGE" "$BIN_DIR"
printf '%s\n' "$STAMP" >"$INSTALL_DIR/STAMP"
rm -rf "$BUILD_DIR"
log "done in $((t4 - t0))s (download $((t1 - t0))s, etcd $((t2 - t1))s, kubernetes $((t3 - t2))s, provider $((t4 - t3))s); scratch dir peaked near $((build_kb / 1024)) MiB, removed; cache: $(du -sh "$INSTALL_DIR" | cut -f1)"
printf '%s\n' "$BIN_DIR"
