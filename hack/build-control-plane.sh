#!/usr/bin/env bash
# Produce the pinned kube-apiserver and etcd that the local control plane (scaleset_operator.localcp,
# the test fixtures and `scaleset-operator local up`) runs. Called by `make binaries` / `make setup`.
#
# Why build from source: the project's machines reach package registries only, and no registry
# ships these two binaries at a version that matches. Both are built from their Go modules through
# the Go module proxy by the wrapper modules in tools/:
#   tools/kube-apiserver  k8s.io/kubernetes at KUBERNETES_VERSION, every staging module replaced by
#                         its published v0.Y.Z (k8s.io/kubernetes itself is not `go install`able).
#   tools/etcd            go.etcd.io/etcd/server/v3 at ETCD_VERSION; main.go is upstream's.
#                         Not Debian's etcd-server: that is 3.4.x, and the etcd client in
#                         Kubernetes 1.36 expects a 3.6 server (3.4 lacks APIs and the version
#                         checks the apiserver's storage layer relies on), so building 3.6 from its
#                         modules is the reliable choice.
# Builds use -mod=readonly against the committed go.sum: a build never resolves anything other
# than what was reviewed, and a stale go.mod/go.sum fails loudly instead of being "fixed" silently.
#
# Output: .cache/assets/k8s-<KUBERNETES_VERSION>-etcd-<ETCD_VERSION>/{kube-apiserver,etcd}
# (git-ignored). The directory name is keyed by the pins in hack/versions.env, so a bump builds
# into a new directory; a binary already there that reports the pinned version is reused.
# If KUBEBUILDER_ASSETS (envtest's convention) names a directory holding executable kube-apiserver
# and etcd, those are used and nothing is built.
#
# A cold build of kube-apiserver is long on a small machine (tens of minutes on 2 cores); Go's build
# cache makes later rebuilds a matter of seconds. The two builds run one after the other on purpose:
# each already uses every core, and running both at once only doubles peak memory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=hack/versions.env
source "$ROOT/hack/versions.env"
: "${KUBERNETES_VERSION:?hack/versions.env must set KUBERNETES_VERSION}"
: "${ETCD_VERSION:?hack/versions.env must set ETCD_VERSION}"

log() { printf 'build-control-plane: %s\n' "$*" >&2; }
# shellcheck source=hack/lib/progress.sh
source "$ROOT/hack/lib/progress.sh"
die() { log "error: $*"; exit 1; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
    if [[ -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
        log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has kube-apiserver and etcd: using them, building nothing"
        exit 0
    fi
    log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks an executable kube-apiserver or etcd: ignoring it"
fi

command -v go >/dev/null || die "go is not on PATH; the control plane binaries are built with Go (see tools/)"

# The pins live in versions.env; the wrapper modules must agree, or we would cache a binary under
# a name that lies about its version.
k8s_minor="${KUBERNETES_VERSION#v1.}"          # 36.3
k8s_minor_major="${k8s_minor%%.*}"             # 36
grep -Eq "^[[:space:]]*k8s\.io/kubernetes ${KUBERNETES_VERSION//./\\.}([[:space:]]|$)" \
    "$ROOT/tools/kube-apiserver/go.mod" \
    || die "tools/kube-apiserver/go.mod does not require k8s.io/kubernetes $KUBERNETES_VERSION (hack/versions.env)"
if grep -E "^[[:space:]]*k8s\.io/[a-z-]+ => k8s\.io/[a-z-]+ v" "$ROOT/tools/kube-apiserver/go.mod" \
    | grep -Ev " v0\.${k8s_minor//./\\.}$" | grep -q .; then
    die "tools/kube-apiserver/go.mod replaces a staging module with a version other than v0.$k8s_minor"
fi
grep -Eq "^[[:space:]]*(require[[:space:]]+)?go\.etcd\.io/etcd/server/v3 ${ETCD_VERSION//./\\.}([[:space:]]|$)" \
    "$ROOT/tools/etcd/go.mod" \
    || die "tools/etcd/go.mod does not require go.etcd.io/etcd/server/v3 $ETCD_VERSION (hack/versions.env)"

ASSETS="$ROOT/.cache/assets/k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}"
mkdir -p "$ASSETS"

# Two `make setup`s at once (two terminals, an IDE) would otherwise race on the same output.
exec 9>"$ASSETS/.lock"
if ! flock -n 9; then
    log "another build holds $ASSETS/.lock; waiting for it"
    flock 9
fi

# The version each binary prints, to decide reuse and to check a fresh build.
k8s_version_line="Kubernetes ${KUBERNETES_VERSION}"
etcd_version_line="etcd Version: ${ETCD_VERSION#v}"

has_version() { # binary expected-line
    [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -Fqx "$2"
}

# build NAME MODULE_DIR EXPECTED_VERSION_LINE LDFLAGS
build() {
    local name="$1" module="$2" expected="$3" ldflags="$4"
    local out="$ASSETS/$name" start=$SECONDS
    if has_version "$out" "$expected"; then
        log "$name: reused $out ($expected)"
        return
    fi
    log "$name: building from $module (go build -mod=readonly; a cold build takes long, a warm one seconds)"
    local tmp="$out.tmp.$$"
    trap 'rm -f "$tmp"' EXIT
    run_step "build-control-plane [$STEP/2] $name ${expected##* }" "$ROOT/.cache/logs/$name-${expected##* }.log" \
        "$module/go.sum" env -C "$module" go build -v -mod=readonly -trimpath -buildvcs=false -ldflags "$ldflags" \
        -o "$tmp" . || die "building $name failed (log above)"
    has_version "$tmp" "$expected" \
        || die "$name built from $module does not report '$expected': $("$tmp" --version 2>&1 | head -1)"
    mv -f "$tmp" "$out"     # atomic: an interrupted build never leaves a half-written binary
    trap - EXIT
    log "$name: built $out in $((SECONDS - start))s"
}

total_start=$SECONDS STEP=1
build kube-apiserver "$ROOT/tools/kube-apiserver" "$k8s_version_line" \
    "-s -w -X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${k8s_minor_major}"
STEP=2
build etcd "$ROOT/tools/etcd" "$etcd_version_line" \
    "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_VERSION}"
log "control plane binaries ready in $ASSETS ($((SECONDS - total_start))s)"
