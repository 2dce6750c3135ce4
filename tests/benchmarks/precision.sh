#!/usr/bin/env bash
# bf16 mixed precision against fp32 on the default job (`finetune train` with the defaults), SEEDS seeds each, run
# alternately so both see the same machine load. Prints the medians of eval accuracy, eval loss and train samples/s,
# and checks the issue's bounds: accuracy within 0.02, eval loss within 10% of fp32's.
# Usage: bash tests/benchmarks/precision.sh [SEEDS (default 3)] [THREADS (default 2)] [DEVICE (default auto)]
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${1:-3}; THREADS=${2:-2}; DEVICE=${3:-auto}
dotnet build -c Release src/FineTune.Cli -v q -nologo > /dev/null
CLI="dotnet src/FineTune.Cli/bin/Release/net10.0/finetune.dll"
WORK=$(mktemp -d); trap 'rm -rf $WORK' EXIT
for seed in $(seq 1 "$SEEDS"); do
  for precision in fp32 bf16; do
    $CLI train --seed "$seed" --precision $precision --device "$DEVICE" --threads "$THREADS" --output "$WORK/$precision-$seed" --json \
      > "$WORK/$precision-$seed.json" 2> "$WORK/$precision-$seed.log"
    echo "seed $seed $precision: $(python3 -c "import json,sys; m=json.load(open(sys.argv[1]))['metrics']; print(f\"accuracy {m['eval_accuracy']:.4f}, loss {m['eval_loss']:.4f}, {m['train_samples_per_second']:.1f} samples/s\")" "$WORK/$precision-$seed.json")"
  done
done
python3 - "$WORK" "$SEEDS" "$THREADS" "$DEVICE" <<'PY'
import json, statistics, sys
work, seeds, threads, device = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def med(p, key): return statistics.median(json.load(open(f"{work}/{p}-{s}.json"))["metrics"][key] for s in range(1, seeds + 1))
rows = {p: [med(p, k) for k in ("eval_accuracy", "eval_loss", "train_samples_per_second")] for p in ("fp32", "bf16")}
print(f"\ndefault job, device {device}, {threads} threads, medians of {seeds} seeds")
print(f"{'':8}{'eval accuracy':>15}{'eval loss':>12}{'samples/s':>12}")
for p, (a, l, s) in rows.items(): print(f"{p:8}{a:>15.4f}{l:>12.4f}{s:>12.1f}")
(a32, l32, s32), (a16, l16, s16) = rows["fp32"], rows["bf16"]
ok = abs(a16 - a32) <= 0.02 and abs(l16 - l32) <= 0.10 * l32
print(f"bf16 - fp32: accuracy {a16 - a32:+.4f} (bound 0.02), loss {100 * (l16 / l32 - 1):+.1f}% (bound 10%), speed {s16 / s32:.2f}x")
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
