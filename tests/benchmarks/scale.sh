#!/usr/bin/env bash
# The seed's dataset size end to end: a yelp_review_full-shaped dataset (generated here into datasets/, git-ignored)
# at each SIZE training rows (+ 50,000 test rows), run through
#   train: `finetune train` in one process (2 threads);
#   cold:  `finetune submit --workers 2 --wait` to a fresh coordinator + 2 workers (1 thread each; nothing cached);
#   warm:  the same submission again to restarted processes on the same data folders (tokenization cache warm).
# each with --max-steps STEPS --eval-subset 2000. Prints, per run: seconds from start/submit to the first optimizer step
# (the "step 1" log line; for a job this includes the upload, tokenizing train and eval, shards and model load),
# steps/s from step 1 to the last step, peak RSS (VmHWM, read just before each process ends) of the train process,
# the coordinator and each worker, the coordinator's tokenization (examples, tokens, tokens/s), and each worker's shard
# transfers (bytes and seconds per epoch fetch). SKIP_TRAIN=1 runs only the cluster jobs. Usage: bash tests/benchmarks/scale.sh [SIZES="65000 650000"] [STEPS=200]
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${1:-"65000 650000"}; STEPS=${2:-200}
for p in src/FineTune.Cli src/FineTune.Coordinator src/FineTune.Worker tests/benchmarks/FineTune.Benchmarks; do
  dotnet build -c Release $p -v q -nologo > /dev/null || { echo "build of $p failed"; exit 1; }
done
R=bin/Release/net10.0
CLI="dotnet src/FineTune.Cli/$R/finetune.dll"
WORK=$(mktemp -d /tmp/finetune-scale.XXXXXX); PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
echo "logs under $WORK (KEEP=1 keeps them); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
JOB=(--max-steps "$STEPS" --eval-subset 2000 --logging-steps 1 --save-strategy no --seed 42)

stamp() { while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; } # timestamps each stderr line
hwm() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; } # peak RSS in MB
first_and_rate() { # LOG START -> "seconds-to-step-1 steps/s"
  python3 - "$1" "$2" "$STEPS" <<'PY'
import re, sys
log, start, steps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
t = {}
for line in open(log, errors="replace"):
    m = re.match(r"(\d+\.\d+) step (\d+)\s", line)
    if m: t.setdefault(int(m.group(2)), float(m.group(1)))
if 1 not in t: print("- -"); sys.exit()
last = max(t)
print(f"{t[1] - start:.1f} {(last - 1) / (t[last] - t[1]) if last > 1 else 0:.3f}")
PY
}

start_cluster() { # DIR PORT
  dotnet src/FineTune.Coordinator/$R/FineTune.Coordinator.dll --urls "http://127.0.0.1:$2" --data-dir "$1/coordinator" >> "$1/coordinator.log" 2>&1 &
  PIDS=($!)
  for w in 0 1; do
    dotnet src/FineTune.Worker/$R/FineTune.Worker.dll --coordinator "http://127.0.0.1:$2" --name worker-$w --threads 1 \
      --urls http://127.0.0.1:0 --data-dir "$1/worker-$w" >> "$1/worker-$w.log" 2>&1 &
    PIDS+=($!)
  done
  for _ in $(seq 1 60); do [ "$($CLI list --coordinator "http://127.0.0.1:$2" --json 2>/dev/null | head -c1)" = "[" ] && break; sleep 1; done
  sleep 3 # both workers registered
}

RESULTS=$WORK/results.tsv
printf 'rows\trun\tto_step1_s\tsteps_per_s\tpeak_MB(train|coordinator,worker-0,worker-1)\n' > "$RESULTS"
for N in $SIZES; do
  DATA=datasets/scale-$N
  [ -f $DATA/yelp_review_full/test-00000-of-00001.parquet ] ||
    dotnet tests/benchmarks/FineTune.Benchmarks/$R/FineTune.Benchmarks.dll yelp-dataset --out $DATA --train "$N" --test 50000
  D=$DATA/yelp_review_full; dir=$WORK/$N; mkdir -p "$dir"

  if [ "${SKIP_TRAIN:-0}" != 1 ]; then
  start=$EPOCHREALTIME
  $CLI train --dataset $D "${JOB[@]}" --threads 2 --output "$dir/train-out" --json > "$dir/train.json" 2> >(stamp > "$dir/train.log") &
  pid=$!; peak=0
  while kill -0 $pid 2>/dev/null; do p=$(hwm $pid); [[ "$p" =~ ^[0-9]+$ ]] && peak=$p; sleep 0.5; done
  wait $pid || echo "train at $N rows failed: see $dir/train.log" >&2
  printf '%s\ttrain\t%s\t%s\t%s\n' "$N" "$(first_and_rate "$dir/train.log" "$start" | tr ' ' '\t')" "$peak" | tee -a "$RESULTS"
  fi

  for run in cold warm; do
    start_cluster "$dir" 5390
    start=$EPOCHREALTIME
    $CLI submit --dataset $D "${JOB[@]}" --workers 2 --coordinator http://127.0.0.1:5390 --wait --json > "$dir/$run.json" 2> >(stamp > "$dir/$run.log") || echo "$run job at $N rows failed: see $dir" >&2
    peaks="$(hwm "${PIDS[0]}"),$(hwm "${PIDS[1]}"),$(hwm "${PIDS[2]}")"
    kill "${PIDS[@]}" 2>/dev/null; wait "${PIDS[@]}" 2>/dev/null || true; PIDS=()
    printf '%s\t%s\t%s\t%s\n' "$N" "$run" "$(first_and_rate "$dir/$run.log" "$start" | tr ' ' '\t')" "$peaks" | tee -a "$RESULTS"
    grep -ho "tokenized [^[]*" "$dir/coordinator.log" | tail -1 | sed "s/^/  $run coordinator: /"
    grep -ho "epoch [0-9]* shard: .*" "$dir"/worker-*.log | sed "s/^/  $run worker: /" | tail -4
    : > "$dir/coordinator.log"; : > "$dir/worker-0.log"; : > "$dir/worker-1.log"
  done
done
echo; echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $STEPS steps, batch 8 per device, default model"
column -t -s $'\t' "$RESULTS"
