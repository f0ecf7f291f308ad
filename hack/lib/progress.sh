# Sourced by hack/build-control-plane.sh and hack/build-go-tools.sh: long steps run quietly, showing
# what they build and how far along they are instead of pages of `go: downloading` lines.
#
# run_step LABEL LOG GO_SUM COMMAND...
#   Runs COMMAND with all of its output in LOG and shows one line for the step: LABEL, what it is
#   doing (Go modules fetched, out of those GO_SUM lists, then packages compiled, counted from the
#   `go build -v` lines in LOG) and the time so far. On a terminal the line is redrawn every second;
#   elsewhere (CI, a pipe) it is printed when the step starts, every PROGRESS_EVERY seconds (30),
#   and when it ends. On failure it prints LOG's last PROGRESS_TAIL lines (60) and where the whole
#   log is, and returns COMMAND's exit status.

PROGRESS_EVERY="${PROGRESS_EVERY:-30}"
PROGRESS_TAIL="${PROGRESS_TAIL:-60}"

_elapsed() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

# _activity LOG TOTAL_MODULES: "fetched 12/131 modules" while downloading, then "compiled 340 packages".
_activity() {
    local fetched compiled
    fetched="$(grep -c '^go: downloading ' "$1" 2>/dev/null || true)"
    compiled="$(grep -cv '^go: ' "$1" 2>/dev/null || true)"
    if [[ "${compiled:-0}" -gt 0 ]]; then
        printf 'compiled %s packages' "$compiled"
    elif [[ "${fetched:-0}" -gt 0 ]]; then
        printf 'fetched %s/%s modules' "$fetched" "$2"
    else
        printf 'resolving'
    fi
}

run_step() {
    local label="$1" log="$2" go_sum="$3" start=$SECONDS total=0 pid rc=0 last_report=$SECONDS line
    shift 3
    [[ -f "$go_sum" ]] && total="$(awk '$2 !~ /\/go\.mod$/ {print $1}' "$go_sum" | sort -u | wc -l)"
    mkdir -p "$(dirname "$log")"
    : >"$log"
    "$@" >"$log" 2>&1 &
    pid=$!
    trap 'kill "$pid" 2>/dev/null' INT TERM
    if [[ ! -t 2 ]]; then
        printf '%s: started (full log: %s)\n' "$label" "$log" >&2
    fi
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        line="$label: $(_activity "$log" "$total"), $(_elapsed $((SECONDS - start)))"
        if [[ -t 2 ]]; then
            printf '\r\033[K%s' "$line" >&2
        elif ((SECONDS - last_report >= PROGRESS_EVERY)); then
            printf '%s\n' "$line" >&2
            last_report=$SECONDS
        fi
    done
    wait "$pid" || rc=$?
    trap - INT TERM
    [[ -t 2 ]] && printf '\r\033[K' >&2
    if ((rc != 0)); then
        printf '%s: FAILED (exit %d) after %s; last %d lines of %s:\n' \
            "$label" "$rc" "$(_elapsed $((SECONDS - start)))" "$PROGRESS_TAIL" "$log" >&2
        tail -n "$PROGRESS_TAIL" "$log" >&2
        return "$rc"
    fi
    printf '%s: done in %s (%s modules fetched, %s packages compiled; log: %s)\n' \
        "$label" "$(_elapsed $((SECONDS - start)))" "$(grep -c '^go: downloading ' "$log" || true)" \
        "$(grep -cv '^go: ' "$log" || true)" "$log" >&2
}
