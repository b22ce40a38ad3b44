#!/usr/bin/env bash
# Lists every artifact in dist/ with its tag (wheel tags, npm platform, crate) and size.
#
#   bash scripts/dist-list.sh [dist]
set -euo pipefail
dir="${1:-dist}"
find "$dir" -type f | sort | while IFS= read -r f; do
    name="$(basename "$f")"
    case "$name" in
        *.whl) tag="$(echo "$name" | sed -E 's/^[^-]+-[^-]+-(.*)\.whl$/\1/')" ;;
        *.tar.gz) tag="sdist" ;;
        *.crate) tag="crate" ;;
        delegir-[0-9]*.tgz) tag="npm (main; WebAssembly fallback when built)" ;;
        *.tgz) tag="npm $(echo "$name" | sed -E 's/^delegir-(.*)-[0-9]+\.[0-9]+\.[0-9]+.*\.tgz$/\1/')" ;;
        *) tag="-" ;;
    esac
    printf '%-80s %-55s %8s\n' "${f#"$dir"/}" "$tag" "$(du -h "$f" | cut -f1)"
done
