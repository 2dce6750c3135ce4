#!/usr/bin/env bash
# The one-call GPU check (issue 12): on a Linux machine with an NVIDIA GPU and a PyTorch install (or a GPU build),
# in about 5 minutes, prints a table: libtorch found, its version and symbol check; the default job on cuda in fp32
# and bf16; a 2-worker cluster job on one GPU over the TCP ring; a 2-rank NCCL all-reduce and broadcast on one GPU;
# NVML readings; peak GPU memory. Without a GPU it says so in one line and stops (exit 0).
#
# It runs the self-contained publish made by tests/gpu/publish.sh (artifacts/gpu-check or artifacts/gpu-check.tar.gz,
# or the folder in FINETUNE_GPU_PUBLISH), so the GPU machine needs no .NET SDK; with an SDK it publishes first.
# libtorch: FINETUNE_LIBTORCH (default: python, the torch/lib of `python3 -c 'import torch'`).
# Logs go to $OUT (the device tool's folder) or a temporary folder, printed at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ ! -e /dev/nvidia0 ] && ! nvidia-smi -L > /dev/null 2>&1; then
  echo "gpu check: no NVIDIA GPU on this machine (no /dev/nvidia0, nvidia-smi finds none): nothing to check"; exit 0
fi
LOGS=${OUT:-$(mktemp -d)}; mkdir -p "$LOGS"
P=$(realpath -m "${FINETUNE_GPU_PUBLISH:-artifacts/gpu-check}")
for t in "$P" "$P-cache"; do [ ! -d "$t" ] && [ -f "$t.tar.gz" ] && tar -xzf "$t.tar.gz" -C "$(dirname "$t")"; done
if [ ! -x "$P/cli/finetune" ]; then
  command -v dotnet > /dev/null || { echo "gpu check: no publish at $P and no .NET SDK here: run bash tests/gpu/publish.sh on a build machine and copy artifacts/gpu-check.tar.gz here"; exit 1; }
  bash tests/gpu/publish.sh "$P" > "$LOGS/publish.log" 2>&1 || { tail -20 "$LOGS/publish.log"; exit 1; }
fi
# The default model and dataset come from the publish's cache (this machine may have no network).
export FINETUNE_CACHE=${FINETUNE_CACHE:-$P-cache} FINETUNE_LIBTORCH=${FINETUNE_LIBTORCH:-python} DOTNET_CLI_TELEMETRY_OPTOUT=1
# libnccl.so.2 from NVIDIA's pip wheel (what a pip torch uses), when no system NCCL is on the loader's path.
NCCL_DIR=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null) \
  && export LD_LIBRARY_PATH="$NCCL_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
CLI="$P/cli/finetune"; CHECK="$P/gpucheck/GpuCheck"
declare -a ROWS
row() { ROWS+=("$(printf '%-34s %-8s %s' "$1" "$2" "$3")"); }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d, 'm': d.get('metrics', {})}))" "$@" 2>/dev/null; }

# GPU memory, sampled all along (the peak is reported at the end).
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$LOGS/memory.csv" 2>/dev/null & SAMPLER=$!
trap 'kill $SAMPLER 2>/dev/null; jobs -p | xargs -r kill 2>/dev/null' EXIT

# 1. libtorch: folder, version, symbol check, CUDA devices (finetune env).
if timeout 90 "$CLI" env --json > "$LOGS/env.json" 2> "$LOGS/env.log"; then
  row "libtorch" ok "$(json "$LOGS/env.json" "f\"{d['libtorch_version']} from {d['libtorch_folder']}; symbols {d['symbols_found']} of {d['symbols_needed']} found{(' (missing: ' + ', '.join(d['symbols_missing'][:3]) + ')') if d['symbols_missing'] else ''}; {d['cuda_device_count']} CUDA device(s)\"")"
else
  row "libtorch" FAIL "$(json "$LOGS/env.json" "d['error']" || tail -1 "$LOGS/env.log")"
fi

# 2. The default job on the GPU, fp32 and bf16; the CPU figure from 20 steps on this machine's cores.
for precision in fp32 bf16; do
  if timeout 150 "$CLI" train --device cuda --precision $precision --output "$LOGS/train-$precision" --json > "$LOGS/train-$precision.json" 2> "$LOGS/train-$precision.log"; then
    row "default job, cuda, $precision" ok "$(json "$LOGS/train-$precision.json" "f\"eval accuracy {m['eval_accuracy']:.4f}, eval loss {m['eval_loss']:.4f}, {m['train_samples_per_second']:.1f} samples/s\"")"
  else row "default job, cuda, $precision" FAIL "$(tail -1 "$LOGS/train-$precision.log")"; fi
done
if timeout 90 "$CLI" train --device cpu --max-steps 20 --eval-strategy no --save-strategy no --output "$LOGS/train-cpu" --json > "$LOGS/train-cpu.json" 2> "$LOGS/train-cpu.log"; then
  row "default job, cpu, 20 steps" ok "$(json "$LOGS/train-cpu.json" "f\"{m['train_samples_per_second']:.1f} samples/s on $(nproc) cores (README: 24.9 on 2)\"")"
else row "default job, cpu, 20 steps" FAIL "$(tail -1 "$LOGS/train-cpu.log")"; fi

# 3. A 2-worker cluster job on one GPU over the TCP ring (CUDA tensors staged through host memory).
URL=http://127.0.0.1:5390
"$P/coordinator/FineTune.Coordinator" --urls $URL --data-dir "$LOGS/coordinator" > "$LOGS/coordinator.log" 2>&1 &
for i in 0 1; do
  "$P/worker/FineTune.Worker" --coordinator $URL --name gpu-worker-$i --device cuda:0 --urls http://127.0.0.1:0 --data-dir "$LOGS/worker-$i" > "$LOGS/worker-$i.log" 2>&1 &
done
if timeout 200 "$CLI" submit --coordinator $URL --workers 2 --device cuda --collective ring --max-steps 60 --wait --json > "$LOGS/cluster.json" 2> "$LOGS/cluster.log"; then
  row "2 workers on cuda:0, ring" ok "$(json "$LOGS/cluster.json" "f\"{d.get('state')}; eval accuracy {m.get('eval_accuracy', float('nan')):.4f}, {m.get('train_samples_per_second', float('nan')):.1f} samples/s\"")"
else row "2 workers on cuda:0, ring" FAIL "$(tail -1 "$LOGS/cluster.log")"; fi
jobs -p | grep -v "^$SAMPLER\$" | xargs -r kill 2>/dev/null

# 4. NCCL: 2 ranks on one GPU (a separate NCCL_HOSTID each, sockets on loopback), all-reduce and broadcast checked.
for r in 0 1; do
  NCCL_HOSTID=finetune-check-$r NCCL_SOCKET_IFNAME=lo NCCL_NET=Socket NCCL_DEBUG=WARN \
    timeout 90 "$CHECK" nccl --rank $r --world 2 --port 29611 > "$LOGS/nccl-$r.json" 2> "$LOGS/nccl-$r.log" &
done
wait $(jobs -p | grep -v "^$SAMPLER\$") 2>/dev/null
if [ "$(json "$LOGS/nccl-0.json" "d['ok']")" = True ] && [ "$(json "$LOGS/nccl-1.json" "d['ok']")" = True ]; then
  row "NCCL 2 ranks on one GPU" ok "$(json "$LOGS/nccl-0.json" "d['summary']")"
else row "NCCL 2 ranks on one GPU" FAIL "$(cat "$LOGS/nccl-0.json" "$LOGS/nccl-0.log" 2>/dev/null | tail -1)"; fi

# 5. NVML, through the worker's own binding.
if timeout 30 "$CHECK" nvml > "$LOGS/nvml.txt" 2>&1; then row "NVML" ok "$(tail -1 "$LOGS/nvml.txt")"
else row "NVML" FAIL "$(tail -1 "$LOGS/nvml.txt")"; fi

kill $SAMPLER 2>/dev/null
row "peak GPU memory (nvidia-smi)" "" "$(sort -n "$LOGS/memory.csv" | tail -1) MiB, $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)"
echo
printf '%-34s %-8s %s\n' "check" "result" "details"
printf '%s\n' "${ROWS[@]}"
echo "logs: $LOGS"
