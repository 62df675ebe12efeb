# Sourced by scripts/demo.sh and scripts/demo-down.sh: the quickstart's Pulumi environment (a local
# file backend in .pulumi-state/, no update checks, a fixed demo passphrase unless you set one) and
# the lookups of nginx and the Pulumi CLI. Prints how to get a missing tool and returns non-zero.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$ROOT/.pulumi-state}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-gatewaykit-demo}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_SKIP_CONFIRMATIONS=true
# The program runs through ts-node: transpile only (type-checking is `npm run typecheck`'s job, and slow).
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"
DEMO_STACK="${GATEWAYKIT_DEMO_STACK:-dev}"
# Where the nginx and echo processes keep their pid files and logs (see providers/nginx/echo.ts).
STATE_ROOT="${XDG_STATE_HOME:-$HOME/.local/state}/gatewaykit"

find_nginx() {
    if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then return 0; fi
    cat >&2 <<'MSG'
nginx is not installed. The demo runs its own nginx (as you, on a high port, in its own directory);
install the binary with:
    sudo apt-get install -y nginx-light        # Debian / Ubuntu (as root: apt-get install -y nginx-light)
The distribution's nginx service is not needed: `sudo systemctl disable --now nginx` if it started one.
MSG
    return 1
}

find_pulumi() {
    if command -v pulumi >/dev/null 2>&1; then return 0; fi
    if [ -x "$HOME/.pulumi/bin/pulumi" ]; then export PATH="$HOME/.pulumi/bin:$PATH"; return 0; fi
    if [ -x "$ROOT/scripts/ensure-pulumi.sh" ]; then
        echo "== pulumi not on PATH: scripts/ensure-pulumi.sh (builds it from Go modules once, then reuses the cache)" >&2
        local out bin
        if out="$("$ROOT/scripts/ensure-pulumi.sh")"; then
            bin="$(printf '%s\n' "$out" | tail -n 1)"
            if [ -x "$bin/pulumi" ]; then export PATH="$bin:$PATH"; return 0; fi
            echo "scripts/ensure-pulumi.sh printed '$bin', which holds no pulumi binary" >&2
        fi
    fi
    cat >&2 <<'MSG'
The Pulumi CLI is not installed. Either:
    scripts/ensure-pulumi.sh                    # builds pulumi + the Node language host from Go modules (needs Go), prints its bin dir
    export PATH="<that bin dir>:$PATH"
or install a release:
    curl -fsSL https://get.pulumi.com | sh      # then: export PATH="$HOME/.pulumi/bin:$PATH"
MSG
    return 1
}
