# Sourced by the project's commands (npm test, npm run demo, .ci/run): each does its own set-up,
# idempotently, so a fresh clone needs no other command first.
#   setup_node     Node >= 22 first on PATH (scripts/ensure-node.sh: the system node, or a cached Node 24)
#   setup_deps     npm dependencies as package-lock.json pins them (npm ci when they are missing or stale)
#   setup_nginx    nginx (apt-get install nginx-light as root on Debian/Ubuntu; otherwise says what to run)
#   setup_pulumi   the Pulumi CLI and Node language host on PATH (scripts/ensure-pulumi.sh: built once, cached)
# Each returns non-zero, after saying why and what to run, when it cannot.

GK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

setup_node() {
    local bin
    bin="$("$GK_ROOT/scripts/ensure-node.sh" | tail -n 1)" || return 1
    case ":$PATH:" in *":$bin:"*) ;; *) export PATH="$bin:$PATH" ;; esac
}

# npm ci when node_modules is missing or older than package-lock.json (a stamp records the lock it installed).
setup_deps() {
    local stamp="$GK_ROOT/node_modules/.gatewaykit-lock"
    local want
    want="$(cksum <"$GK_ROOT/package-lock.json") node-$(node -p 'process.versions.modules')"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    echo "== npm ci (dependencies as package-lock.json pins them)" >&2
    # --ignore-scripts: no dependency needs its install scripts, and our own `prepare` (the build) is not needed to test.
    (cd "$GK_ROOT" && npm ci --no-audit --no-fund --ignore-scripts >&2) || return 1
    printf '%s\n' "$want" >"$stamp"
}

nginx_binary() {
    if command -v nginx >/dev/null 2>&1; then command -v nginx; return 0; fi
    if [ -x /usr/sbin/nginx ]; then echo /usr/sbin/nginx; return 0; fi
    return 1
}

setup_nginx() {
    if nginx_binary >/dev/null; then return 0; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing nginx-light and libnginx-mod-stream (apt-get)" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light libnginx-mod-stream >/dev/null; } >&2 || return 1
        # Debian's package starts a system nginx on :80; gatewaykit runs its own instances.
        if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
        nginx_binary >/dev/null && return 0
    fi
    cat >&2 <<'MSG'
nginx is not installed. gatewaykit's local data plane runs its own nginx (as you, on a high port, in
its own directory); install the binary with:
    sudo apt-get install -y nginx-light libnginx-mod-stream     # Debian / Ubuntu
The distribution's nginx service is not needed: `sudo systemctl disable --now nginx` if it started one.
MSG
    return 1
}

setup_pulumi() {
    if command -v pulumi >/dev/null 2>&1 && command -v pulumi-language-nodejs >/dev/null 2>&1; then return 0; fi
    local out bin
    echo "== Pulumi CLI (scripts/ensure-pulumi.sh: built from Go modules once, several minutes cold, then cached)" >&2
    if out="$("$GK_ROOT/scripts/ensure-pulumi.sh")"; then
        bin="$(printf '%s\n' "$out" | tail -n 1)"
        if [ -x "$bin/pulumi" ]; then export PATH="$bin:$PATH"; return 0; fi
    fi
    cat >&2 <<'MSG'
The Pulumi CLI is not installed and could not be built (scripts/ensure-pulumi.sh needs Go and the Go
module proxy). Install a release instead:
    curl -fsSL https://get.pulumi.com | sh      # then: export PATH="$HOME/.pulumi/bin:$PATH"
MSG
    return 1
}
