#!/usr/bin/env bash
# Makes what tests/gpu/check.sh runs on a GPU machine that has no .NET SDK: self-contained linux-x64 publishes of the
# finetune CLI, the coordinator, the worker and the gpucheck tool, built with -p:TorchBackend=external (no libtorch
# inside: it is loaded from FINETUNE_LIBTORCH, e.g. a Python torch's torch/lib, at start). Files the four share are
# hard-linked, so the tarball carries one .NET runtime. Run on a build machine with the .NET 10 SDK:
#   bash tests/gpu/publish.sh   # -> artifacts/gpu-check{,-cache}/ and artifacts/gpu-check{,-cache}.tar.gz
# then copy both tarballs to the GPU machine's clone of this repository (artifacts/) and run bash tests/gpu/check.sh.
# The cache holds the default model (converted, weights in F16 to fit 64 MiB) and the default dataset: that machine
# may have no network.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-artifacts/gpu-check}
rm -rf "$OUT" "$OUT-cache"; mkdir -p "$OUT"
publish() { # project, folder
  dotnet publish "$1" -c Release -r linux-x64 --self-contained -p:TorchBackend=external -p:InvariantGlobalization=true \
    -p:UseAppHost=true -v q -nologo -o "$OUT/$2" > "$OUT/$2.publish.log" 2>&1 || { cat "$OUT/$2.publish.log"; exit 1; }
}
publish src/FineTune.Cli cli
publish src/FineTune.Coordinator coordinator
publish src/FineTune.Worker worker
publish tests/gpu/GpuCheck gpucheck
if ls "$OUT"/*/libtorch*.so > /dev/null 2>&1; then echo "error: a libtorch library is in the publish (an external build must not carry one)"; exit 1; fi
python3 - "$OUT" <<'PY'
import hashlib, os, sys
seen, saved = {}, 0
for root, _, files in os.walk(sys.argv[1]):
    for f in sorted(files):
        p = os.path.join(root, f)
        if os.path.islink(p) or f.endswith((".json", ".log")): continue
        h = hashlib.sha256(open(p, "rb").read()).hexdigest()
        if h in seen:
            saved += os.path.getsize(p); os.remove(p); os.link(seen[h], p)
        else: seen[h] = p
print(f"hard-linked duplicates: {saved / 2**20:.0f} MiB saved")
PY
# Seed the cache the GPU machine cannot fill itself (no network there): the default model and dataset, fetched by one
# training step of the publish just made, run on the NuGet cache's CPU libtorch (which also proves the publish runs).
NUGET=${NUGET_PACKAGES:-$HOME/.nuget/packages}
CPU_LIBTORCH=$(ls -d "$NUGET"/libtorch-cpu-linux-x64/*/runtimes/linux-x64/native | tail -1)
FINETUNE_CACHE="$OUT-cache" FINETUNE_LIBTORCH="$CPU_LIBTORCH" "$OUT/cli/finetune" train --max-steps 1 --eval-strategy no \
  --save-strategy no --threads 2 --output "$OUT-seed" > "$OUT-seed.log" 2>&1 || { tail -5 "$OUT-seed.log"; exit 1; }
rm -rf "$OUT-seed" "$OUT-seed.log"
python3 tests/gpu/half_weights.py "$OUT-cache/models/all-MiniLM-L6-v2/model.safetensors"
rm -rf "$OUT"/*/default-model # converted already: the cache holds the model
# Two tarballs, each under the device tool's 64 MiB per call: the apps, and the cache (model in F16, dataset).
tar -czf "$OUT.tar.gz" -C "$(dirname "$OUT")" "$(basename "$OUT")"
tar -czf "$OUT-cache.tar.gz" -C "$(dirname "$OUT")" "$(basename "$OUT")-cache"
echo "$OUT.tar.gz: $(du -h "$OUT.tar.gz" | cut -f1); $OUT-cache.tar.gz: $(du -h "$OUT-cache.tar.gz" | cut -f1)"
