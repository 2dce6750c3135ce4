#!/usr/bin/env bash
# The seed's model size through the cluster (issue 14, point 2): a bert-base-cased-shaped model (110 M parameters,
# random weights, made once into the git-ignored .cache/bert-base) trained STEPS steps by a coordinator and 2 worker
# processes (`finetune submit --workers 2 --wait`), one checkpoint at the last step. Prints the median step time and its
# parts per rank (data, forward, backward, all-reduce of the ~440 MB gradient buffer, optimizer), the checkpoint's size,
# save and upload times, and the peak RSS (VmHWM) of the coordinator and of each worker. The processes' logs (with
# timestamps) are kept in .cache/bert-base-logs.
# Usage: bash tests/benchmarks/bert-base.sh [STEPS] [DATASET]   (DATASET: default, or a yelp_review_full-shaped folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-20}; DATASET=${2:-default}
for p in src/FineTune.Cli src/FineTune.Coordinator src/FineTune.Worker; do dotnet build -c Release $p -v q -nologo > /dev/null; done
MODEL=$PWD/.cache/bert-base
if [ ! -f $MODEL/model.safetensors ]; then
  dotnet build -c Release tests/benchmarks/FineTune.Benchmarks -v q -nologo > /dev/null
  dotnet tests/benchmarks/FineTune.Benchmarks/bin/Release/net10.0/FineTune.Benchmarks.dll bert-base-folder $MODEL
fi
CLI="dotnet src/FineTune.Cli/bin/Release/net10.0/finetune.dll"
WORK=$(mktemp -d); PORT=5191; URL=http://127.0.0.1:$PORT
export Logging__Console__TimestampFormat='HH:mm:ss.fff '
dotnet src/FineTune.Coordinator/bin/Release/net10.0/FineTune.Coordinator.dll --urls $URL --data-dir $WORK/coordinator > $WORK/coordinator.log 2>&1 &
C=$!
W=()
for i in 0 1; do
  env 'Logging__LogLevel__FineTune.Worker=Debug' dotnet src/FineTune.Worker/bin/Release/net10.0/FineTune.Worker.dll --coordinator $URL --name worker-$i --threads 1 --urls http://127.0.0.1:0 --data-dir $WORK/worker-$i > $WORK/worker-$i.log 2>&1 &
  W+=($!)
done
LOGS=$PWD/.cache/bert-base-logs; mkdir -p $LOGS
trap 'kill $C ${W[@]} 2>/dev/null; cp $WORK/*.log $LOGS/ 2>/dev/null; rm -rf $WORK' EXIT
sleep 8
uptime
start=$(date +%s.%N)
$CLI submit --model $MODEL --dataset $DATASET --workers 2 --max-steps $STEPS --eval-strategy no --save-strategy steps --save-steps $STEPS \
  --logging-steps 5 --seed 42 --coordinator $URL --wait --json > $WORK/job.json 2> $WORK/submit.err || { cat $WORK/submit.err; tail -30 $WORK/worker-0.log; exit 1; }
end=$(date +%s.%N)
uptime
peak() { awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' /proc/$1/status; }
echo "peak RSS: coordinator $(peak $C), worker-0 $(peak ${W[0]}), worker-1 $(peak ${W[1]})"
CKPT=$(find $WORK/coordinator -type d -name "checkpoint-$STEPS" | head -1)
[ -n "$CKPT" ] && echo "checkpoint on the coordinator: $(du -sb $CKPT | cut -f1 | awk '{printf "%.0f MB", $1 / 1e6}') ($(ls $CKPT | tr '\n' ' '))"
grep -h "saved in" $WORK/worker-*.log | sed 's/^.*\(checkpoint-[0-9]* saved in.*\)$/\1/' || true
python3 - "$WORK" "$STEPS" "$start" "$end" <<'PY'
import re, statistics, sys
work, steps, start, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"bert-base-shaped model, {steps} steps, 2 workers x 1 thread, batch 8 per rank; submit to result {end - start:.0f} s")
pattern = re.compile(r"rank (\d) step (\d+): total (\d+) ms = data (\d+) \+ forward (\d+) \+ backward (\d+) \+ all-reduce (\d+) \+ optimizer (\d+) ms")
for i in (0, 1):
    rows = [tuple(map(int, m.groups())) for m in pattern.finditer(open(f"{work}/worker-{i}.log").read())]
    rows = [r for r in rows if r[1] > 1] or rows  # the first step warms up
    if not rows: print(f"worker-{i}: no step timings in its log"); continue
    med = lambda k: statistics.median(r[k] for r in rows)
    print(f"rank {rows[0][0]} (median of {len(rows)} steps, ms): step {med(2):.0f} = data {med(3):.0f} + forward {med(4):.0f} + backward {med(5):.0f} + all-reduce {med(6):.0f} + optimizer {med(7):.0f}")
PY
