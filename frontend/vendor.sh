#!/usr/bin/env bash
# Copies the barcode-detector polyfill (ZXing-C++ compiled to WebAssembly) from
# frontend/node_modules into static/vendor/, where it is committed: the portal
# serves it itself (no CDN), and `make run` needs no npm.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=frontend/node_modules
version=$(node -p "require('./$modules/barcode-detector/package.json').version")
zxing_version=$(node -p "require('./$modules/zxing-wasm/package.json').version")
target="static/vendor/barcode-detector/$version"

rm -rf static/vendor/barcode-detector
mkdir -p "$target"
# The IIFE ponyfill: a classic script that defines window.BarcodeDetectionAPI and
# leaves window.BarcodeDetector alone, so a native detector is never replaced.
cp "$modules/barcode-detector/dist/iife/ponyfill.js" "$target/ponyfill.js"
cp "$modules/zxing-wasm/dist/reader/zxing_reader.wasm" "$target/zxing_reader.wasm"
cp "$modules/barcode-detector/LICENSE" "$target/LICENSE"
cp "$modules/zxing-wasm/LICENSE" "$target/LICENSE.zxing-wasm"
cat > "$target/README" <<NOTE
barcode-detector $version (MIT, LICENSE) with the zxing-wasm $zxing_version reader
(MIT, LICENSE.zxing-wasm), which is ZXing-C++ (Apache License 2.0) compiled to
WebAssembly. Copied by frontend/vendor.sh from the versions pinned in
frontend/package-lock.json; do not edit by hand.
NOTE
echo "Copied barcode-detector $version into $target."
echo "If the version changed, update the path in templates/includes/scanner_script.html."
