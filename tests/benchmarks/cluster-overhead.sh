#!/usr/bin/env bash
# Distributed overhead: the same job as a 1-worker cluster job (coordinator + 1 worker process, submit --wait) and as
# `finetune train` in one process, alternated RUNS times; prints medians of the trainer's samples/s and of the wall
# time from submission to result, and the overhead. Usage: bash tests/benchmarks/cluster-overhead.sh [RUNS] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}; STEPS=${2:-100}
for p in Cli Coordinator Worker; do dotnet build -c Release src/FineTune.$p -v q -nologo > /dev/null; done
BIN=src; CLI="dotnet $BIN/FineTune.Cli/bin/Release/net10.0/finetune.dll"
WORK=$(mktemp -d); PORT=5189; URL=http://127.0.0.1:$PORT
dotnet $BIN/FineTune.Coordinator/bin/Release/net10.0/FineTune.Coordinator.dll --urls $URL --data-dir $WORK/coordinator > $WORK/coordinator.log 2>&1 &
C=$!
dotnet $BIN/FineTune.Worker/bin/Release/net10.0/FineTune.Worker.dll --coordinator $URL --name worker-0 --threads 2 --urls http://127.0.0.1:0 --data-dir $WORK/worker > $WORK/worker.log 2>&1 &
W=$!
trap 'kill $C $W 2>/dev/null; rm -rf $WORK' EXIT
sleep 6
JOB=(--max-steps $STEPS --eval-strategy no --save-strategy no --seed 42)
for i in $(seq 1 $RUNS); do
  s=$(date +%s.%N); $CLI train "${JOB[@]}" --threads 2 --output $WORK/train-$i --json > $WORK/train-$i.json 2>/dev/null; e=$(date +%s.%N)
  echo "$s $e" > $WORK/train-$i.wall
  s=$(date +%s.%N); $CLI submit "${JOB[@]}" --workers 1 --coordinator $URL --wait --json > $WORK/cluster-$i.json 2>/dev/null; e=$(date +%s.%N)
  echo "$s $e" > $WORK/cluster-$i.wall
done
python3 - "$WORK" "$RUNS" "$STEPS" <<'PY'
import json, statistics, sys
work, runs, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def read(kind):
    sps = [json.load(open(f"{work}/{kind}-{i}.json"))["metrics"]["train_samples_per_second"] for i in range(1, runs + 1)]
    wall = [(lambda a, b: b - a)(*map(float, open(f"{work}/{kind}-{i}.wall").read().split())) for i in range(1, runs + 1)]
    return statistics.median(sps), statistics.median(wall)
t, c = read("train"), read("cluster")
print(f"default model, default data, {steps} steps, batch 8, 2 threads, {runs} alternating runs (medians)")
print(f"{'':28}{'samples/s (trainer)':>22}{'wall s (end to end)':>22}")
print(f"{'finetune train':28}{t[0]:>22.2f}{t[1]:>22.1f}")
print(f"{'1-worker cluster job':28}{c[0]:>22.2f}{c[1]:>22.1f}")
print(f"overhead: trainer throughput {100 * (t[0] / c[0] - 1):+.1f}%, end to end {100 * (c[1] / t[1] - 1):+.1f}%")
PY
