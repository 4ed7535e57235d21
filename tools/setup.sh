#!/usr/bin/env bash
# Installs what building, running and testing Courier needs; idempotent.
#
# - the rustup targets named in rust-toolchain.toml (and clippy, rustfmt);
# - qemu-system-x86 and qemu-system-arm from Debian bookworm-backports (bookworm's own
#   qemu-system 7.2 conflicts with the qemu-utils 10 these machines carry), adding the
#   backports suite with the same URIs and keyring as the bookworm entry when it is absent;
# - ovmf and qemu-efi-aarch64 (UEFI firmware for the Limine path), xorriso and mtools.
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }

# Root or sudo for apt.
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# --- Rust ---------------------------------------------------------------------------------
if ! command -v rustup >/dev/null 2>&1; then
    say "rustup is not installed; install it from https://rustup.rs and run make setup again"
    exit 1
fi
# rust-toolchain.toml names the channel, components and targets; `rustup show` installs them
# (newer rustup needs `rustup toolchain install` with no argument instead).
rustup toolchain install >/dev/null 2>&1 || rustup show >/dev/null
installed_targets="$(rustup target list --installed)"
for target in x86_64-unknown-none aarch64-unknown-none aarch64-unknown-none-softfloat; do
    if ! grep -qx "$target" <<<"$installed_targets"; then
        say "adding rust target $target"
        rustup target add "$target"
    fi
done
installed_components="$(rustup component list --installed)"
for component in clippy rustfmt llvm-tools; do
    if ! grep -q "^$component" <<<"$installed_components"; then
        say "adding rust component $component"
        rustup component add "$component"
    fi
done

# --- Debian packages --------------------------------------------------------------------
need_packages=()
have() { command -v "$1" >/dev/null 2>&1; }
have_version_at_least() {
    # $1 = binary, $2 = minimum major version
    local major
    major="$("$1" --version 2>/dev/null | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -n1)"
    [ -n "$major" ] && [ "$major" -ge "$2" ]
}
have_version_at_least qemu-system-x86_64 8 || need_packages+=(qemu-system-x86)
have_version_at_least qemu-system-aarch64 8 || need_packages+=(qemu-system-arm)
[ -e /usr/share/OVMF/OVMF_CODE_4M.fd ] || need_packages+=(ovmf)
[ -e /usr/share/AAVMF/AAVMF_CODE.fd ] || need_packages+=(qemu-efi-aarch64)
have xorriso || need_packages+=(xorriso)
have mcopy || need_packages+=(mtools)

if [ "${#need_packages[@]}" -eq 0 ]; then
    say "all packages present"
    exit 0
fi

if ! have apt-get; then
    say "missing: ${need_packages[*]}; this script installs them only on Debian (apt-get)"
    exit 1
fi

# Add bookworm-backports when no apt source mentions it, copying the bookworm entry's URIs
# and keyring.
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "adding the bookworm-backports apt source"
    uris="http://deb.debian.org/debian"
    keyring="/usr/share/keyrings/debian-archive-keyring.gpg"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        found_uris="$(awk '/^URIs:/{u=$2} /^Suites:/ && / bookworm( |$)/{print u; exit}' \
            /etc/apt/sources.list.d/debian.sources)"
        [ -n "$found_uris" ] && uris="$found_uris"
        found_keyring="$(awk '/^Signed-By:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
        [ -n "$found_keyring" ] && keyring="$found_keyring"
    fi
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
        "$uris" "$keyring" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
fi

say "installing ${need_packages[*]}"
$SUDO apt-get update -qq
backports=()
other=()
for package in "${need_packages[@]}"; do
    case "$package" in
        qemu-system-*) backports+=("$package") ;;
        *) other+=("$package") ;;
    esac
done
export DEBIAN_FRONTEND=noninteractive
if [ "${#backports[@]}" -gt 0 ]; then
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${backports[@]}"
fi
if [ "${#other[@]}" -gt 0 ]; then
    $SUDO apt-get install -y -qq --no-install-recommends "${other[@]}"
fi
say "done"
