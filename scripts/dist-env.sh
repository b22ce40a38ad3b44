# Sourced by scripts/dist.sh: `dist_env TRIPLE` points cargo's C compiler, archiver and linker
# for TRIPLE at zig (PyPI `ziglang`, driven by `maturin zig`, which is cargo-zigbuild's argument
# handling), so one x86_64 machine builds every Linux artifact: gnu ones against glibc 2.17
# (manylinux2014), musl ones against musl. The Python wheel and the Node addon of a target are
# then built with the SAME environment, so cargo reuses every dependency between them (different
# CC or linker values would make cargo rebuild ring and everything above it).
#
# Needs: $DIST_VENV (maturin + ziglang installed), $DIST_WRAPPERS (a scratch folder).

dist_zig_target() {
    case "$1" in
        x86_64-unknown-linux-gnu) echo "x86_64-linux-gnu.2.17" ;;
        aarch64-unknown-linux-gnu) echo "aarch64-linux-gnu.2.17" ;;
        x86_64-unknown-linux-musl) echo "x86_64-linux-musl" ;;
        aarch64-unknown-linux-musl) echo "aarch64-linux-musl" ;;
        *) echo "dist-env: no zig target for $1" >&2; return 1 ;;
    esac
}

# The wheel tag policy maturin checks the extension against (symbols and libraries).
dist_wheel_compatibility() {
    case "$1" in
        *-linux-gnu) echo "manylinux2014" ;;
        *-linux-musl) echo "musllinux_1_2" ;;
    esac
}

# napi-rs's platform name: the suffix of `delegir.<platform>.node` and of the npm package.
dist_napi_platform() {
    case "$1" in
        x86_64-unknown-linux-gnu) echo "linux-x64-gnu" ;;
        aarch64-unknown-linux-gnu) echo "linux-arm64-gnu" ;;
        x86_64-unknown-linux-musl) echo "linux-x64-musl" ;;
        aarch64-unknown-linux-musl) echo "linux-arm64-musl" ;;
        # Built by the release workflow on their own runners.
        x86_64-apple-darwin) echo "darwin-x64" ;;
        aarch64-apple-darwin) echo "darwin-arm64" ;;
        x86_64-pc-windows-msvc) echo "win32-x64-msvc" ;;
        *) echo "dist-env: no napi platform for $1" >&2; return 1 ;;
    esac
}

dist_env() {
    local triple="$1" zig_target upper lower dir tool
    zig_target="$(dist_zig_target "$triple")"
    upper="$(echo "$triple" | tr 'a-z-' 'A-Z_')"
    lower="$(echo "$triple" | tr '-' '_')"
    dir="$DIST_WRAPPERS/$triple"
    mkdir -p "$dir"
    for tool in cc c++ ar ranlib; do
        local args
        case "$tool" in
            cc | c++) args="$tool -- -g -fno-sanitize=all -target $zig_target" ;;
            *) args="$tool --" ;;
        esac
        cat > "$dir/$tool" <<SH
#!/bin/sh
export CARGO_ZIGBUILD_ZIG_COMMAND="$DIST_VENV/bin/python"
export CARGO_ZIGBUILD_ZIG_COMMAND_ARGS="-m ziglang"
exec "$DIST_VENV/bin/maturin" zig $args "\$@"
SH
        chmod +x "$dir/$tool"
    done
    export "CC_$lower=$dir/cc" "CXX_$lower=$dir/c++" "AR_$lower=$dir/ar" "RANLIB_$lower=$dir/ranlib"
    export "CARGO_TARGET_${upper}_LINKER=$dir/cc"
    # A cdylib needs the dynamic musl (Rust's musl targets link it statically by default).
    case "$triple" in
        *-musl) export "CARGO_TARGET_${upper}_RUSTFLAGS=-C target-feature=-crt-static" ;;
    esac
}
