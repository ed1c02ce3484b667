#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a GPU machine with no network into .gpu/ (git-ignored):
# Node's binary (xz), the built app with the runtime packages the training engine loads (Dawn's
# dawn.node for Linux x64 among them), and Debian's Vulkan loader. About 50 MiB; the device
# tool carries up to 64.
#
#   npm run build && bash bench/gpu/pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f out/main/training/engine/trainer.js ] || { echo "Run npm run build first." >&2; exit 1; }
rm -rf .gpu && mkdir -p .gpu /tmp/gan-gpu-pack
stage=$(mktemp -d /tmp/gan-gpu-pack/app.XXXX)

xz -T2 -9 -c "$(command -v node)" > .gpu/node.xz

mkdir -p "$stage/out" "$stage/node_modules"
cp -r out/main out/shared "$stage/out/"
find "$stage/out" -name '*.map' -delete
cp package.json "$stage/"
copy() { # a package folder, optionally only some of its files
  local pkg=$1; shift
  mkdir -p "$stage/node_modules/$pkg"
  if [ $# -eq 0 ]; then cp -r "node_modules/$pkg/." "$stage/node_modules/$pkg/"; return; fi
  for f in package.json "$@"; do
    mkdir -p "$(dirname "$stage/node_modules/$pkg/$f")"
    cp -r "node_modules/$pkg/$f" "$stage/node_modules/$pkg/$f"
  done
}
# tfjs: each package's Node bundle only (its main), and wasm's binaries.
copy @tensorflow/tfjs-core dist/tf-core.node.js
copy @tensorflow/tfjs-backend-cpu dist/tf-backend-cpu.node.js
copy @tensorflow/tfjs-backend-webgpu dist/tf-backend-webgpu.node.js
copy @tensorflow/tfjs-backend-wasm dist/tf-backend-wasm.node.js dist/tfjs-backend-wasm.wasm \
  dist/tfjs-backend-wasm-simd.wasm dist/tfjs-backend-wasm-threaded-simd.wasm \
  wasm-out
for pkg in long seedrandom node-fetch whatwg-url tr46 webidl-conversions zod; do copy "$pkg"; done
copy webgpu index.js dist/linux-x64/dawn.node
tar -C "$stage" -cJf .gpu/app.tar.xz .
rm -rf "$stage"

# The Vulkan loader (the machine has the NVIDIA driver and its ICD, not always the loader).
(cd .gpu && apt-get download libvulkan1 >/dev/null)
du -sh .gpu/*
du -sh .gpu
