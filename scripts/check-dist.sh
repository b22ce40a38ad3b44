#!/usr/bin/env bash
# Checks what `make dist` put in dist/ (run by `make test` after `make dist`):
#
#  1. versions: every artifact carries the one version (scripts/check-versions.sh for the sources)
#  2. wheels: `auditwheel show` reports the intended tag (manylinux_2_17 / musllinux_1_2, the
#     arch of the file name), i.e. no symbol newer than that policy allows
#  3. every native file (the wheels' extension, the npm addons): ELF for the right machine and C
#     library, and for glibc ones no GLIBC_ symbol version above 2.17 (objdump -T)
#  4. the manylinux2014 x86_64 wheel, installed in a fresh venv, passes the whole Python suite
#  5. the sdist installs with pip in a fresh venv and passes a smoke test against the emulator
#  6. npm: the main package installed from dist/ picks delegir-linux-x64-gnu and passes the Node
#     suite; installed with --omit=optional it still runs the quickstart (WebAssembly build)
#
#   bash scripts/check-dist.sh              # all of it
#   CHECKS="elf npm" bash scripts/check-dist.sh   # some (versions wheels elf python sdist npm)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dist="$root/dist"
work="$root/build/dist-check"
checks=" ${CHECKS:-versions wheels elf python sdist npm} "
version="$(python3 scripts/version.py)"
failures=0
fail() { echo "check-dist: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "check-dist: ok: $*"; }
[ -d "$dist/python" ] && [ -d "$dist/npm" ] || { echo "check-dist: no dist/: run make dist" >&2; exit 1; }
mkdir -p "$work"
bash scripts/ensure-debs.sh objdump:binutils readelf:binutils

wheels=("$dist"/python/*.whl)
addons_dir="$work/npm-addons"

if [[ "$checks" == *" versions "* ]]; then
    bash scripts/check-versions.sh
    for f in "${wheels[@]}" "$dist"/python/*.tar.gz "$dist"/npm/*.tgz "$dist"/crates/*.crate; do
        [[ "$(basename "$f")" == *"-$version"[.-]* ]] || fail "$(basename "$f") does not carry version $version"
    done
    ok "every artifact is version $version"
    # Both licenses travel with every artifact (each asks for its text to be distributed).
    for f in "${wheels[@]}" "$dist"/python/*.tar.gz "$dist"/npm/*.tgz "$dist"/crates/*.crate; do
        case "$f" in
            *.whl) listing="$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$f")" ;;
            *) listing="$(tar tzf "$f")" ;;
        esac
        for license in LICENSE-MIT LICENSE-APACHE; do
            grep -q "$license\$" <<<"$listing" || fail "$(basename "$f") lacks $license"
        done
    done
    ok "every artifact carries LICENSE-MIT and LICENSE-APACHE"
fi

if [[ "$checks" == *" wheels "* ]]; then
    venv="$root/build/dist-venv"
    [ -x "$venv/bin/auditwheel" ] || "$venv/bin/pip" install --quiet --disable-pip-version-check "auditwheel>=6"
    for whl in "${wheels[@]}"; do
        name="$(basename "$whl")"
        arch="$(echo "$name" | grep -oE '(x86_64|aarch64)\.whl$' | cut -d. -f1)"
        case "$name" in
            *manylinux2014*) want="manylinux_2_17_$arch" ;;
            *musllinux_1_2*)
                # auditwheel resolves a musl wheel's libc.so against this glibc host and cannot
                # audit it here. maturin checked it against the musllinux_1_2 policy when it
                # tagged it, and the ELF check below requires musl's libc.so as its only library.
                echo "check-dist: note: $name: auditwheel cannot audit musllinux on a glibc host; maturin's musllinux_1_2 check and the ELF check stand in"
                continue
                ;;
            *) fail "$name: unexpected tag"; continue ;;
        esac
        report="$("$venv/bin/auditwheel" show "$whl" 2>&1)" || { fail "auditwheel show $name: $report"; continue; }
        # auditwheel names the most compatible tag the wheel's symbols and libraries allow.
        if echo "$report" | tr -d '\n' | grep -q "consistent with the following platform tag:[[:space:]]*\"$want\""; then
            ok "$name: auditwheel: $want"
        else
            fail "$name: auditwheel does not report $want:"$'\n'"$report"
        fi
    done
fi

# file -> expected machine and libc, from the name.
elf_expect() {
    local name="$1"
    case "$name" in
        *aarch64* | *arm64*) machine="AArch64" ;;
        *) machine="Advanced Micro Devices X86-64" ;;
    esac
    case "$name" in
        *musl*) libc="musl" ;;
        *) libc="glibc" ;;
    esac
}

check_elf() {
    local file="$1" label="$2" machine libc got needed max
    elf_expect "$label"
    got="$(readelf -h "$file" | sed -n 's/^ *Machine: *//p')"
    [ "$got" = "$machine" ] || { fail "$label: machine $got, want $machine"; return; }
    needed="$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
    if [ "$libc" = "musl" ]; then
        # zig links musl's libc as libc.so (ld-musl-<arch>.so.1 provides it); no glibc library.
        [ "$needed" = "libc.so " ] ||
            { fail "$label: NEEDED [$needed]: want musl's libc.so alone"; return; }
        ok "$label: ELF $machine, musl (NEEDED $needed)"
    else
        [[ "$needed" == *"libc.so.6"* ]] || { fail "$label: NEEDED [$needed] lacks glibc's libc.so.6"; return; }
        max="$(objdump -T "$file" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -V | tail -n 1)"
        if [ "$(printf '%s\n2.17\n' "$max" | sort -V | tail -n 1)" = "2.17" ]; then
            ok "$label: ELF $machine, glibc, highest symbol version GLIBC_$max (floor 2.17)"
        else
            fail "$label: needs GLIBC_$max, above 2.17"
        fi
    fi
}

if [[ "$checks" == *" elf "* ]]; then
    rm -rf "$work/elf" "$addons_dir"
    mkdir -p "$work/elf" "$addons_dir"
    for whl in "${wheels[@]}"; do
        name="$(basename "$whl")"
        python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
so = [n for n in z.namelist() if n.endswith(".so")]
assert len(so) == 1, so
open(sys.argv[2], "wb").write(z.read(so[0]))' "$whl" "$work/elf/$name.so"
        check_elf "$work/elf/$name.so" "$name"
    done
    for tgz in "$dist"/npm/delegir-linux-*.tgz; do
        name="$(basename "$tgz")"
        tar -xzf "$tgz" -C "$addons_dir" --wildcards 'package/*.node'
        node_file="$(ls "$addons_dir"/package/*.node)"
        mv "$node_file" "$addons_dir/$name.node"
        check_elf "$addons_dir/$name.node" "$name"
    done
    if tar -tzf "$dist/npm/delegir-$version.tgz" | grep -q '\.node$'; then
        fail "the main npm package carries a .node file (they belong in the platform packages)"
    fi
fi

if [[ "$checks" == *" python "* ]]; then
    whl="$(ls "$dist"/python/delegir-"$version"-*manylinux2014_x86_64*.whl)"
    echo "check-dist: the Python suite against $(basename "$whl") in a fresh venv"
    DELEGIR_WHEEL="$whl" bash bindings-python/scripts/test.sh || fail "Python suite on $(basename "$whl")"
fi

if [[ "$checks" == *" sdist "* ]]; then
    bash scripts/check-dist-sdist.sh "$dist/python/delegir-$version.tar.gz" || fail "sdist"
fi

if [[ "$checks" == *" npm "* ]]; then
    bash scripts/check-dist-npm.sh "$dist/npm" "$version" || fail "npm packages"
fi

if [ "$failures" -gt 0 ]; then
    echo "check-dist: $failures check(s) failed" >&2
    exit 1
fi
echo "check-dist: all checks passed"
