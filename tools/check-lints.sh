#!/usr/bin/env bash
# Fails when a workspace member's Cargo.toml lacks `[lints] workspace = true`.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
members=$(sed -n '/^members = \[/,/^\]/p' Cargo.toml | grep -o '"[^"]*"' | tr -d '"')
for member in $members; do
    manifest="$member/Cargo.toml"
    if ! grep -Pzq '\[lints\]\s*\nworkspace\s*=\s*true' "$manifest"; then
        echo "lint table: $manifest lacks [lints] workspace = true"
        status=1
    fi
done
# Every crate under servers/ and user/ forbids unsafe code.
for crate_root in $(find servers user -name main.rs -o -name lib.rs -path '*/src/*' 2>/dev/null) $(find user -path '*/src/bin/*.rs' 2>/dev/null); do
    if ! grep -q '#!\[forbid(unsafe_code)\]' "$crate_root"; then
        echo "lint table: $crate_root lacks #![forbid(unsafe_code)]"
        status=1
    fi
done
if [ "$status" -eq 0 ]; then echo "lint table: every member uses the workspace lints"; fi
exit "$status"
