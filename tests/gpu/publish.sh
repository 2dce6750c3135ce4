#!/usr/bin/env bash
# Makes what tests/gpu/check.sh runs on a GPU machine that has no .NET SDK: self-contained linux-x64 publishes of the
# finetune CLI, the coordinator, the worker and the gpucheck tool, built with -p:TorchBackend=external (no libtorch
# inside: it is loaded from FINETUNE_LIBTORCH, e.g. a Python torch's torch/lib, at start). Files the four share are
# hard-linked, so the tarball carries one .NET runtime. Run on a build machine with the .NET 10 SDK:
#   bash tests/gpu/publish.sh            # -> artifacts/gpu-check/ and artifacts/gpu-check.tar.gz
# then copy the tarball to the GPU machine, next to a clone of this repository, and run bash tests/gpu/check.sh there.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-artifacts/gpu-check}
rm -rf "$OUT"; mkdir -p "$OUT"
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
tar -czf "$OUT.tar.gz" -C "$(dirname "$OUT")" "$(basename "$OUT")"
echo "$OUT: $(du -sh "$OUT" | cut -f1) on disk; $OUT.tar.gz: $(du -h "$OUT.tar.gz" | cut -f1)"
