# Sourced: `start_emulator [ARGS...]` builds (debug, shared with `cargo test`) and starts the
# emulator binary on a free port of 127.0.0.1 with rate limiting off, exports DELEGIR_BASE_URL
# and a DELEGIR_API_KEY, and stops it when the sourcing script exits.
start_emulator() {
    local root log url
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    (cd "$root" && cargo build -q -p delegir-emulator --bin delegir-emulator)
    log="$(mktemp)"
    "${CARGO_TARGET_DIR:-$root/target}/debug/delegir-emulator" --port 0 --rate-limit 0 --quiet "$@" >"$log" 2>&1 &
    DELEGIR_EMULATOR_PID=$!
    # shellcheck disable=SC2064
    trap "kill $DELEGIR_EMULATOR_PID 2>/dev/null || true; rm -f '$log'" EXIT
    for _ in $(seq 1 100); do
        url="$(sed -n 's/^Delegir emulator listening on //p' "$log")"
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "${url:-}" ] || { echo "start-emulator: the emulator did not start:" >&2; cat "$log" >&2; return 1; }
    export DELEGIR_BASE_URL="$url" DELEGIR_API_KEY="dlg_test_docs0123456789"
    export DELEGIR_ADMIN_URL="${url%/api/v1}/__emulator"
}
