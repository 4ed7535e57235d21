#!/usr/bin/env bash
# prepare.sh: fetches and builds what the Linux side of `make bench` boots, cached.
#
# Usage: prepare.sh ARCH OUTPUT_DIRECTORY   (ARCH is x86_64 or aarch64)
#
# Leaves in OUTPUT_DIRECTORY (the harness uses target/linux/ARCH):
# - vmlinuz: the Debian cloud kernel (linux-image-cloud-amd64 or, with the arm64
#   architecture added to dpkg, linux-image-cloud-arm64), fetched with `apt-get download`
#   and unpacked with `dpkg-deb -x`, once; kernel-package names the package and version;
# - linux-bench and true: bench.c and true.c beside this script, built static with the
#   host's gcc for its own architecture, or Debian's cross gcc for the other
#   (aarch64-linux-gnu-gcc on an x86_64 host, installed with apt when missing), rebuilt
#   when a source is newer; compiler names the compiler.
#
# The harness packs them into the initramfs itself. Bench-only: nothing here runs for
# `make setup` or `make test`. On failure it prints why on standard error and exits 1;
# the harness then reports the Linux side as missing and goes on.
set -euo pipefail

say() { printf 'linux-prepare: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$#" -eq 2 ] || die "usage: prepare.sh x86_64|aarch64 OUTPUT_DIRECTORY"
arch="$1"
output="$2"
source_directory="$(cd "$(dirname "$0")" && pwd)"
host_arch="$(dpkg --print-architecture 2>/dev/null || echo unknown)"
case "$arch" in
    x86_64) debian_arch=amd64; cross=x86-64; cross_libc=amd64 ;;
    aarch64) debian_arch=arm64; cross=aarch64; cross_libc=arm64 ;;
    *) die "unknown architecture $arch" ;;
esac
# The host's gcc for its own architecture, Debian's cross compiler for the other.
if [ "$debian_arch" = "$host_arch" ]; then
    compiler=gcc
    cross_packages=()
else
    compiler="$arch-linux-gnu-gcc"
    cross_packages=("gcc-$cross-linux-gnu" "libc6-dev-$cross_libc-cross")
fi
mkdir -p "$output"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
have() { command -v "$1" >/dev/null 2>&1; }

# --- The kernel ----------------------------------------------------------------------
if [ ! -s "$output/vmlinuz" ]; then
    have apt-get && have dpkg-deb || die "apt-get and dpkg-deb are needed to fetch the Debian kernel"
    qualifier=""
    if [ "$debian_arch" != "$host_arch" ]; then
        qualifier=":$debian_arch"
        if ! dpkg --print-foreign-architectures | grep -qx "$debian_arch"; then
            say "adding the $debian_arch architecture to dpkg (for apt-get download)"
            $SUDO dpkg --add-architecture "$debian_arch" || die "cannot add the $debian_arch architecture"
            $SUDO apt-get update -qq || die "apt-get update failed"
        fi
    fi
    download="$output/download"
    rm -rf "$download"
    mkdir -p "$download"
    meta="linux-image-cloud-$debian_arch"
    say "downloading $meta$qualifier"
    # apt-get download as root warns that it cannot drop privileges: noise, left out.
    fetch() {
        local status=0
        (cd "$download" && apt-get download -q "$1") >"$download/apt.log" 2>&1 || status=$?
        grep -v '^W: Download is performed unsandboxed' "$download/apt.log" >&2 || true
        return "$status"
    }
    apt_error() { grep -h '^E:' "$download/apt.log" | tail -n1; }
    if ! fetch "$meta$qualifier" || ! ls "$download"/"$meta"_*.deb >/dev/null 2>&1; then
        # Stale package lists name versions the mirror no longer has: refresh once.
        $SUDO apt-get update -qq >/dev/null 2>&1 || true
        fetch "$meta$qualifier" || die "apt-get download $meta$qualifier failed: $(apt_error)"
    fi
    meta_deb="$(ls "$download"/"$meta"_*.deb | head -n1)"
    # The metapackage depends on the versioned image package.
    package="$(dpkg-deb -f "$meta_deb" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | head -n1)"
    [ -n "$package" ] || die "$meta names no linux-image package"
    say "downloading $package$qualifier"
    fetch "$package$qualifier" || die "apt-get download $package$qualifier failed: $(apt_error)"
    image_deb="$(ls "$download"/"$package"_*.deb | head -n1)"
    dpkg-deb -x "$image_deb" "$download/tree"
    kernel="$(ls "$download"/tree/boot/vmlinuz-* | head -n1)"
    [ -s "$kernel" ] || die "$package holds no /boot/vmlinuz-*"
    cp "$kernel" "$output/vmlinuz.part"
    printf '%s %s\n' "$package" "$(dpkg-deb -f "$image_deb" Version)" >"$output/kernel-package"
    mv "$output/vmlinuz.part" "$output/vmlinuz"
    rm -rf "$download"
    say "kernel: $(cat "$output/kernel-package")"
fi

# --- The programs ----------------------------------------------------------------------
if ! have "$compiler"; then
    [ "${#cross_packages[@]}" -gt 0 ] || die "$compiler is not installed"
    have apt-get || die "$compiler is missing and apt-get is not available to install it"
    say "installing ${cross_packages[*]} (apt's log: $output/apt.log)"
    export DEBIAN_FRONTEND=noninteractive
    install_cross() { $SUDO apt-get install -y -q --no-install-recommends "${cross_packages[@]}" >"$output/apt.log" 2>&1; }
    if ! install_cross; then
        # Stale package lists: refresh once.
        $SUDO apt-get update -qq >>"$output/apt.log" 2>&1 || true
        install_cross || { tail -n 5 "$output/apt.log" >&2; die "cannot install ${cross_packages[*]} with apt"; }
    fi
fi
# build SOURCE PROGRAM: SOURCE.c into OUTPUT/PROGRAM when missing or older than a source.
build() {
    local source="$source_directory/$1.c"
    local program="$output/$2"
    if [ ! -x "$program" ] || [ "$source" -nt "$program" ] || [ "$0" -nt "$program" ]; then
        say "building $2 with $compiler"
        "$compiler" -static -O2 -Wall -Wextra -Werror -o "$program.part" "$source" \
            || die "$compiler could not build $1.c"
        mv "$program.part" "$program"
    fi
}
build bench linux-bench
build true true
"$compiler" --version | head -n1 >"$output/compiler"
