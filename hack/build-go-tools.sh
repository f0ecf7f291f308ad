#!/usr/bin/env bash
# Produce the pinned Go tools the chart and GitOps tests use: helm, kstatus-check and argocd-health
# (the default), and kind on request (only the kind-* targets need it, and only with Docker).
# Called by `make tools` (and so by `make setup`).
# Usage: hack/build-go-tools.sh [helm|kstatus-check|argocd-health|kind]...
#
# Like hack/build-control-plane.sh, everything is built from Go modules through the module proxy
# (the machines reach package registries only) by wrapper modules in tools/, with -mod=readonly
# against the committed go.sum: a build never resolves anything other than what was reviewed.
#
#   tools/helm           `tool helm.sh/helm/v4/cmd/helm`: upstream's main package, built with the
#                        dependency versions of helm's own go.mod (the wrapper adds nothing). The pin
#                        is the `helm.sh/helm/v4 vX.Y.Z` line of tools/helm/go.mod.
#   tools/kind           `tool sigs.k8s.io/kind`, likewise; pin: `sigs.k8s.io/kind vX.Y.Z`.
#   tools/kstatus-check  our small program over sigs.k8s.io/cli-utils/pkg/kstatus/status (the library
#                        Flux's health checks and `kubectl wait` semantics come from). The pin is the
#                        `sigs.k8s.io/cli-utils vX.Y.Z` line of tools/kstatus-check/go.mod.
#   tools/argocd-health  our small program that runs an Argo CD Lua health check in gopher-lua, set up
#                        as Argo CD sets it up (docs/gitops.md). The pin is the
#                        `github.com/yuin/gopher-lua vX.Y.Z` line of tools/argocd-health/go.mod (the
#                        version argo-cd's own go.mod requires).
#
# Output (git-ignored):
#   .cache/tools/helm-<version>/helm, .cache/tools/kind-<version>/kind
#   .cache/tools/kstatus-check-<cli-utils version>-<hash of the module's files>/kstatus-check
#   .cache/tools/argocd-health-<gopher-lua version>-<hash of the module's files>/argocd-health
#   .cache/bin/<tool> -> the binary for the current pin (what the tests and the Makefile run)
# The directory names carry the pin, so a build happens only when the pin (or, for our own programs,
# their source) changes; otherwise the cached binary is checked and reused.
# A `helm` (or `kind`) already on PATH is used instead of building when it reports exactly the
# pinned version.
#
# A cold helm build downloads ~120 modules and compiles client-go: a few minutes on 2 cores; Go's
# build cache makes a rebuild after a pin bump much faster.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
BIN="$CACHE/bin"

log() { printf 'build-go-tools: %s\n' "$*" >&2; }
# shellcheck source=hack/lib/progress.sh
source "$ROOT/hack/lib/progress.sh"
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "go is not on PATH; helm, kstatus-check and argocd-health are built with Go (see tools/)"
mkdir -p "$BIN" "$CACHE/tools"
# .cache may be a link to a cache shared by several checkouts: name its real path, so links into it
# stay valid whichever checkout made them.
CACHE="$(cd "$CACHE" && pwd -P)" BIN="$(cd "$BIN" && pwd -P)"

# Two `make setup`s at once would otherwise race on the same output.
exec 9>"$CACHE/tools/.lock"
if ! flock -n 9; then
    log "another build holds $CACHE/tools/.lock; waiting for it"
    flock 9
fi

# pin MODULE_DIR MODULE_PATH -> the version the wrapper's go.mod requires
pin() {
    local version
    version="$(awk -v mod="$2" '$1 == mod && $2 ~ /^v/ {print $2; exit} $1 == "require" && $2 == mod {print $3; exit}' \
        "$1/go.mod")"
    [[ -n "$version" ]] || die "$1/go.mod does not require $2"
    printf '%s' "$version"
}

# link NAME TARGET: .cache/bin/NAME -> TARGET (replaced atomically)
link() {
    ln -sfn "$2" "$BIN/.$1.tmp.$$"
    mv -Tf "$BIN/.$1.tmp.$$" "$BIN/$1"
}

# go_build MODULE_DIR PACKAGE OUT LDFLAGS CHECK: build into OUT atomically; CHECK (a function
# called with the fresh binary's path) must pass before the binary is put in place.
go_build() {
    local module="$1" package="$2" out="$3" ldflags="$4" check="$5"
    local tmp="$out.tmp.$$" name
    name="$(basename "$(dirname "$out")" | sed -E 's/-[0-9a-f]{12}$//')"  # helm-v4.3.1, kstatus-check-v0.37.2
    mkdir -p "$(dirname "$out")"
    trap 'rm -f "$tmp"' EXIT
    run_step "build-go-tools [$STEP/$STEPS] $name" "$CACHE/logs/$(basename "$(dirname "$out")").log" "$module/go.sum" \
        env -C "$module" CGO_ENABLED=0 go build -v -mod=readonly -trimpath -buildvcs=false -ldflags "$ldflags" \
        -o "$tmp" "$package" || die "building $name failed (log above)"
    "$check" "$tmp" || die "$out: the fresh build failed its version check"
    mv -f "$tmp" "$out"     # atomic: an interrupted build never leaves a half-written binary
    trap - EXIT
}

# The version a binary reports, in the form the pin is written in (v1.2.3).
version_of() { # NAME BINARY
    case "$1" in
        helm) "$2" version --template '{{.Version}}' 2>/dev/null || true ;;
        kind) "$2" version 2>/dev/null | awk '{print $2}' || true ;;
    esac
}

# build_pinned NAME MODULE PACKAGE LDFLAGS: a third-party command at the version tools/NAME/go.mod
# requires. A NAME on PATH reporting exactly that version is used as is; otherwise the cached
# build for the pin, or a fresh one.
build_pinned() {
    local name="$1" module="$2" package="$3" ldflags="$4"
    local version out on_path
    version="$(pin "$ROOT/tools/$name" "$module")"
    out="$CACHE/tools/$name-$version/$name"
    on_path="$(command -v "$name" || true)"
    if [[ -n "$on_path" && "$on_path" != "$BIN/$name" && "$(readlink -f "$on_path")" != "$(readlink -f "$out")" ]]; then
        if [[ "$(version_of "$name" "$on_path")" == "$version" ]]; then
            link "$name" "$on_path"
            log "$name: using $on_path from PATH (reports the pinned $version)"
            return
        fi
        log "$name: ignoring $on_path from PATH: it reports '$(version_of "$name" "$on_path")', the pin is $version"
    fi
    PINNED_NAME="$name" PINNED_VERSION="$version"
    if pinned_matches "$out"; then
        log "$name: reused $out ($version)"
    else
        log "$name: building $version from tools/$name (a cold build takes minutes, a warm one seconds)"
        go_build "$ROOT/tools/$name" "$package" "$out" "${ldflags//@VERSION@/$version}" pinned_matches
    fi
    link "$name" "$out"
}
pinned_matches() { [[ -x "$1" && "$(version_of "$PINNED_NAME" "$1")" == "$PINNED_VERSION" ]]; }

# build_own NAME PIN_MODULE: one of our own small programs (tools/NAME/*.go) against the version of
# PIN_MODULE its go.mod requires. The output directory carries that version and a hash of the
# module's files, so an edit or a bump builds anew and anything else reuses the cached binary, after
# checking that it reports the pinned version (`NAME --version` prints "PIN_MODULE vX.Y.Z").
build_own() {
    local name="$1" pin_module="$2" module="$ROOT/tools/$1" version hash out
    version="$(pin "$module" "$pin_module")"
    hash="$(cat "$module/go.mod" "$module/go.sum" "$module"/*.go | sha256sum | cut -c1-12)"
    out="$CACHE/tools/$name-$version-$hash/$name"
    OWN_VERSION_LINE="$pin_module $version"
    if [[ -x "$out" ]] && own_matches "$out"; then
        log "$name: reused $out ($pin_module $version)"
    else
        log "$name: building against $pin_module $version"
        go_build "$module" . "$out" "-s -w" own_matches
    fi
    link "$name" "$out"
}
own_matches() { [[ "$("$1" --version 2>/dev/null)" == "$OWN_VERSION_LINE" ]]; }

tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=(helm kstatus-check argocd-health)
total_start=$SECONDS STEPS=${#tools[@]} STEP=0
for tool in "${tools[@]}"; do
    STEP=$((STEP + 1))
    case "$tool" in
        helm) build_pinned helm helm.sh/helm/v4 helm.sh/helm/v4/cmd/helm \
            "-s -w -X helm.sh/helm/v4/internal/version.version=@VERSION@" ;;
        kind) build_pinned kind sigs.k8s.io/kind sigs.k8s.io/kind "-s -w" ;;
        kstatus-check) build_own kstatus-check sigs.k8s.io/cli-utils ;;
        argocd-health) build_own argocd-health github.com/yuin/gopher-lua ;;
        *) die "unknown tool '$tool' (helm, kstatus-check, argocd-health, kind)" ;;
    esac
done
log "tools ready in $BIN ($((SECONDS - total_start))s): ${tools[*]}"
