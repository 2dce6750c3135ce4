#!/usr/bin/env bash
# The flagship job, repeated under GC stress (not part of .ci/run: it takes about an hour).
#   cluster: the AppHost's demo as processes (a coordinator, 2 workers with 1 thread each, `finetune submit
#            --workers 2 --wait` of the default job), CLUSTER_RUNS times, fresh state each time;
#   train:   `finetune train` with the defaults, TRAIN_RUNS times.
# Every process that runs TorchSharp (the workers, `finetune train`) runs with the GC-stress startup hook
# (tests/FineTune.GcStress: a thread that collects garbage and runs finalizers continuously), so a native object left
# to the finalizer fails a run within seconds instead of once a day. (The coordinator and `submit` hold no native
# objects; stressing them too would only take CPU from the workers on a small machine.) A run counts as clean only if the job succeeded with no recovery (a crashed rank that was recovered is still
# a crash). Usage: bash tests/soak/soak.sh [CLUSTER_RUNS=10] [TRAIN_RUNS=5]; GC_STRESS=0 runs without the hook.
set -uo pipefail
cd "$(dirname "$0")/../.."
CLUSTER_RUNS=${1:-10}; TRAIN_RUNS=${2:-5}
for p in src/FineTune.Cli src/FineTune.Coordinator src/FineTune.Worker tests/FineTune.GcStress; do
  dotnet build $p -v q -nologo > /dev/null || { echo "build of $p failed"; exit 1; }
done
HOOK=$PWD/tests/FineTune.GcStress/bin/Debug/net10.0/FineTune.GcStress.dll
STRESS=(); [ "${GC_STRESS:-1}" = 1 ] && STRESS=(env DOTNET_STARTUP_HOOKS="$HOOK")
CLI="dotnet src/FineTune.Cli/bin/Debug/net10.0/finetune.dll"
WORK=$(mktemp -d /tmp/finetune-soak.XXXXXX); PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.tsv
echo "GC stress: ${STRESS[*]:-off}; logs under $WORK (removed at the end)" >&2

summary() { # FILE.json -> "state restarts eval_accuracy" (or the error)
  python3 -c 'import json,sys
try: j=json.load(open(sys.argv[1]))
except Exception as e: print("no-json 0 -"); sys.exit()
m=j.get("metrics") or {}
print(j.get("state","?"), m.get("restarts",0), m.get("eval_accuracy","-"), (j.get("error") or "").replace("\n"," ")[:160])' "$1"
}

for i in $(seq 1 "$CLUSTER_RUNS"); do
  port=$((5300 + i)); url=http://127.0.0.1:$port; dir=$WORK/cluster-$i; mkdir -p "$dir"
  dotnet src/FineTune.Coordinator/bin/Debug/net10.0/FineTune.Coordinator.dll --urls $url --data-dir "$dir/coordinator" > "$dir/coordinator.log" 2>&1 &
  PIDS=($!)
  for w in 0 1; do
    "${STRESS[@]}" dotnet src/FineTune.Worker/bin/Debug/net10.0/FineTune.Worker.dll --coordinator $url --name worker-$w --threads 1 \
      --urls http://127.0.0.1:0 --data-dir "$dir/worker-$w" > "$dir/worker-$w.log" 2>&1 &
    PIDS+=($!)
  done
  start=$(date +%s.%N)
  for t in $(seq 1 60); do $CLI list --coordinator $url > /dev/null 2>&1 && break; sleep 1; done
  $CLI submit --workers 2 --wait --json --coordinator $url > "$dir/job.json" 2> "$dir/submit.log"
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  read -r state restarts accuracy error <<< "$(summary "$dir/job.json")"
  printf 'cluster\t%s\t%s\t%s\t%.0f\t%s\t%s\n' "$i" "$state" "$restarts" "$seconds" "$accuracy" "$error" | tee -a "$RESULTS"
  if [ "$state" != succeeded ]; then grep -h -m3 -E "rror|xception" "$dir"/*.log | cut -c1-200 >&2; fi
  kill "${PIDS[@]}" 2>/dev/null; wait "${PIDS[@]}" 2>/dev/null; PIDS=()
  rm -rf "$dir/coordinator" "$dir"/worker-*/jobs
done

for i in $(seq 1 "$TRAIN_RUNS"); do
  dir=$WORK/train-$i; mkdir -p "$dir"; start=$(date +%s.%N)
  "${STRESS[@]}" $CLI train --output "$dir/out" --json > "$dir/job.json" 2> "$dir/train.log"
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  read -r state restarts accuracy error <<< "$(summary "$dir/job.json")"
  [ "$state" = "no-json" ] && error=$(grep -m1 '^error' "$dir/train.log")
  printf 'train\t%s\t%s\t%s\t%.0f\t%s\t%s\n' "$i" "$state" "$restarts" "$seconds" "$accuracy" "$error" | tee -a "$RESULTS"
  rm -rf "$dir/out"
done

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
for kind in ("cluster", "train"):
    runs = [r for r in rows if r[0] == kind]
    if not runs: continue
    clean = [r for r in runs if r[2] == "succeeded" and r[3] == "0"]
    secs = [float(r[4]) for r in runs]
    accs = [float(r[5]) for r in clean if r[5] != "-"]
    print(f"{kind}: {len(clean)} of {len(runs)} clean (succeeded, no recovery); median {statistics.median(secs):.0f} s per run"
          + (f"; eval_accuracy median {statistics.median(accs):.3f} (min {min(accs):.3f})" if accs else ""))
PY
