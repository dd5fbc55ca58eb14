#!/usr/bin/env bash
# Install a built one-folder app for the current user: the folder under
# ~/.local/lib/battery-os, the command in ~/.local/bin, the menu entry and icons.
# Usage: packaging/install-linux.sh [DIST]   (DIST default dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${1:-dist}/batteryos"
PREFIX="${PREFIX:-$HOME/.local}"
[[ -x "$SRC/batteryos" ]] || { echo "no built app in $SRC (run packaging/build.sh)" >&2; exit 2; }
rm -rf "$PREFIX/lib/battery-os"
mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$PREFIX/share"
cp -a "$SRC" "$PREFIX/lib/battery-os"
ln -sf "$PREFIX/lib/battery-os/batteryos" "$PREFIX/bin/batteryos"
cp -a "$SRC/share/." "$PREFIX/share/"
command -v update-desktop-database >/dev/null && update-desktop-database "$PREFIX/share/applications" || true
echo "installed: $PREFIX/bin/batteryos"
