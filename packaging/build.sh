#!/usr/bin/env bash
# Build the one-folder frozen app into DIST (default dist/): DIST/batteryos/batteryos.
# Usage: packaging/build.sh [DIST]   (run with the project's Python, PyInstaller installed:
#        pip install -e ".[dev]" brings it)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST="${1:-dist}"
WORK="${BATTERYOS_BUILD_DIR:-build}/pyinstaller"
PYTHON="${PYTHON:-python}"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/batteryos.spec
# Linux desktop integration next to the binary (install with packaging/install-linux.sh)
if [[ "$(uname -s)" == "Linux" ]]; then
    mkdir -p "$DIST/batteryos/share/applications" "$DIST/batteryos/share/icons/hicolor"
    cp packaging/battery-os.desktop "$DIST/batteryos/share/applications/"
    for size in 16 24 32 48 64 128 256 512; do
        dir="$DIST/batteryos/share/icons/hicolor/${size}x${size}/apps"
        mkdir -p "$dir"
        cp "resources/icons/battery-os-$size.png" "$dir/battery-os.png"
    done
    mkdir -p "$DIST/batteryos/share/icons/hicolor/scalable/apps"
    cp resources/icons/battery-os.svg "$DIST/batteryos/share/icons/hicolor/scalable/apps/"
fi
echo "built $DIST/batteryos/batteryos"
