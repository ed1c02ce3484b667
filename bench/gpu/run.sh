#!/usr/bin/env bash
# Runs on a machine with a GPU and no network, from the repository root, with .gpu/ made by
# bench/gpu/pack.sh beside it: the engine on webgpu (Dawn in Node, as the training worker runs
# it) and the same DCGAN in PyTorch on CUDA, case by case, then the ratio table.
#
#   bash bench/gpu/run.sh [OUT_DIR]        (results: OUT_DIR/gpu.json, default bench/results)
#
# Needs python3 with torch (CUDA) there; everything else comes from .gpu/.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-bench/results}}"
mkdir -p "$out" /tmp/gan-gpu
bundle=.gpu

# Node, the built app with its runtime packages (Dawn's dawn.node among them), the Vulkan loader.
xz -dc "$bundle/node.xz" > /tmp/gan-gpu/node && chmod +x /tmp/gan-gpu/node
export PATH=/tmp/gan-gpu:$PATH
tar -xJf "$bundle/app.tar.xz"
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in "$bundle"/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
  /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
done
echo "node $(node --version); VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
nvidia-smi -L 2>/dev/null || true

results=/tmp/gan-gpu/results.jsonl
: > "$results"
record() { # kind, then the command; keeps the RESULT line (or the error) as one JSON line
  local kind=$1; shift
  local line
  line=$(timeout 300 "$@" 2>/tmp/gan-gpu/stderr | grep -E '^RESULT |^\{' | tail -n 1 | sed 's/^RESULT //')
  if [ -z "$line" ]; then line="{\"error\": $(tail -n 3 /tmp/gan-gpu/stderr | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(s.trim())))')}"; fi
  echo "{\"kind\": \"$kind\", \"args\": \"$*\", \"result\": $line}" >> "$results"
  echo "$kind $*: $line" | cut -c1-400
}

# Correctness on the GPU: the first six steps on webgpu against wasm from one seed.
record check-webgpu node bench/gpu/engine.mjs --backend webgpu --res 32 --batch 64 --check
record check-wasm node bench/gpu/engine.mjs --backend wasm --res 32 --batch 64 --check

# Speed, case by case: "resolution batch width".
for case in "32 64 1" "64 64 1" "64 256 1" "128 64 1" "64 512 1"; do
  set -- $case
  profile=""
  [ "$1" = 32 ] && [ "$2" = 64 ] && profile="--profile"
  record engine node bench/gpu/engine.mjs --backend webgpu --res "$1" --batch "$2" --width "$3" --iters 30 $profile
  record torch python3 bench/torch_dcgan.py --device cuda --res "$1" --batch "$2" --width "$3" --iters 30
done

# The backend's own knobs, on the 32 px case: fewer queue submissions per step, and tfjs's
# matmul-based transposed convolution instead of its naive one.
for flag in WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64 WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false; do
  record engine-flag node bench/gpu/engine.mjs --backend webgpu --res 32 --batch 64 --iters 30 --flag "$flag"
done

node bench/gpu/report.mjs "$results" "$out/gpu.json"
