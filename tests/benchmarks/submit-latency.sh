#!/usr/bin/env bash
# Submit latency and submit-to-first-step of a job on the 650,000-review yelp-shaped dataset (issue 21), cold.
# For each configuration, alternating, for RUNS rounds: a fresh coordinator (new --data-dir, so the tokenization cache
# is cold; --data-roots = the datasets folder) and one CPU worker (WORKER_THREADS, default 1; new --data-dir), then one
# job submitted by the benchmark client (FineTune.Benchmarks submit-latency: protocol_version 0, so it talks to any
# build) with dataset = datasets/scale-650000/yelp_review_full (650,000 train + 50,000 test rows, generated once, as
# scale.sh does), --max-steps 5 --eval-strategy no --save-strategy no --eval-subset 2000 --logging-steps 1 --workers 1;
# it times (a) the Submit RPC, sent to reply, and (b) sent to the first StepEvent on WatchJob (called right after the
# reply), plus sent to the job's first preparing and running states; then cancels the job and stops both processes.
#   bash tests/benchmarks/submit-latency.sh [RUNS=3]
#   BASE=REV bash tests/benchmarks/submit-latency.sh [RUNS=3]   # this build against commit REV's (temporary worktree)
# Prints each run, then per configuration the medians and (with BASE) the ratio this build / BASE, and the load
# average before and after. NO_BUILD=1 skips the Release builds of this checkout; KEEP=1 keeps the logs.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=${1:-3}
ROWS=650000
THREADS=${WORKER_THREADS:-1}
R=bin/Release/net10.0
build() { # REPO_ROOT: the coordinator and the worker in Release
  for p in src/FineTune.Coordinator src/FineTune.Worker; do
    dotnet build -c Release "$1/$p" -v q -nologo >/dev/null || { echo "build of $1/$p failed" >&2; exit 1; }
  done
}
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  build "$ROOT"
  dotnet build -c Release tests/benchmarks/FineTune.Benchmarks -v q -nologo >/dev/null || { echo "build of the benchmarks failed" >&2; exit 1; }
fi
BENCH="dotnet $ROOT/tests/benchmarks/FineTune.Benchmarks/$R/FineTune.Benchmarks.dll"

WORK=$(mktemp -d /tmp/finetune-submit-latency.XXXXXX); PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -z "${BASE:-}" ]] || git -C "$ROOT" worktree remove --force "$WORK/base" >/dev/null 2>&1 || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT

# Configurations: label and repository root whose Release build runs the coordinator and the worker.
if [[ -n "${BASE:-}" ]]; then
  git worktree add --detach "$WORK/base" "$BASE" >/dev/null
  echo "building $BASE in $WORK/base" >&2
  build "$WORK/base"
  LABEL=("this build ($(git describe --always --dirty))" "$BASE"); ROOTS=("$ROOT" "$WORK/base")
else
  LABEL=("this build ($(git describe --always --dirty))"); ROOTS=("$ROOT")
fi

# The dataset (once, git-ignored, shared with scale.sh) and the default model in the cache (once), before any timing.
DATA=$ROOT/datasets/scale-$ROWS
[[ -f $DATA/yelp_review_full/test-00000-of-00001.parquet ]] ||
  $BENCH yelp-dataset --out "$DATA" --train $ROWS --test 50000
$BENCH submit-latency --prepare-model >/dev/null

JOB=(--option "dataset=$DATA/yelp_review_full" --option max_steps=5 --option eval_strategy=no --option save_strategy=no
     --option eval_subset=2000 --option logging_steps=1 --option workers=1 --option seed=42)
PORT=${PORT:-5391}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; runs $RUNS; $ROWS train rows; worker threads $THREADS; logs under $WORK (KEEP=1 keeps them)"

run_one() { # CONFIG ROUND
  local c=$1 r=$2 root=${ROOTS[$1]} dir=$WORK/run-$1-$2 url=http://127.0.0.1:$PORT
  mkdir -p "$dir"
  dotnet "$root/src/FineTune.Coordinator/$R/FineTune.Coordinator.dll" --urls "$url" --data-dir "$dir/coordinator" \
    --data-roots "$ROOT/datasets" >"$dir/coordinator.log" 2>&1 &
  PIDS=($!)
  dotnet "$root/src/FineTune.Worker/$R/FineTune.Worker.dll" --coordinator "$url" --name worker-0 --threads "$THREADS" \
    --urls http://127.0.0.1:0 --data-dir "$dir/worker" >"$dir/worker.log" 2>&1 &
  PIDS+=($!)
  # Ready when the worker has registered (the coordinator logs it); else go on after 60 s and say so.
  local waited=0
  until grep -q "worker-0 registered" "$dir/coordinator.log" 2>/dev/null; do
    kill -0 "${PIDS[0]}" 2>/dev/null || { echo "  the coordinator exited (port $PORT taken? PORT=... picks another): $dir/coordinator.log" >&2; tail -3 "$dir/coordinator.log" >&2; break; }
    sleep 0.5; waited=$((waited + 1))
    if ((waited >= 120)); then echo "  (no 'worker-0 registered' line after 60 s: submitting anyway)" >&2; break; fi
  done
  sleep 1 # the worker's first heartbeat: ready for work
  local line
  line=$($BENCH submit-latency --coordinator "$url" "${JOB[@]}" 2>"$dir/client.err" | grep '^submit-latency:' || true)
  [[ -n "$line" ]] || line="submit-latency: submit_s - first_step_s - preparing_s - running_s - job - state failed"
  # The client cancelled the job: let the worker stop it (else SIGTERM drains it: a checkpoint save), up to 15 s.
  for _ in $(seq 1 30); do
    grep -qE "cancelled at step|finished: step|stopped:|failed on rank" "$dir/worker.log" 2>/dev/null && break; sleep 0.5
  done
  kill "${PIDS[1]}" 2>/dev/null || true; wait "${PIDS[1]}" 2>/dev/null || true # the worker, then the coordinator
  kill "${PIDS[0]}" 2>/dev/null || true; wait "${PIDS[0]}" 2>/dev/null || true
  PIDS=()
  local tok
  tok=$(grep -ho "tokenized [^;]*" "$dir/coordinator.log" | tail -1 || true)
  echo "run $r ${LABEL[$c]}: ${line#submit-latency: }" | tee -a "$WORK/all"
  echo "  coordinator: ${tok:-no tokenized line}"
  [[ ! -s "$dir/client.err" ]] || sed 's/^/  client: /' "$dir/client.err"
  echo "config=$c ${line#submit-latency: }" >>"$WORK/values"
}

start=$EPOCHSECONDS
for r in $(seq 1 "$RUNS"); do
  for c in "${!ROOTS[@]}"; do
    # Alternate which configuration goes first, so neither always meets the same neighbours' load.
    (( r % 2 == 1 )) || c=$(( ${#ROOTS[@]} - 1 - c ))
    run_one "$c" "$r"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $((EPOCHSECONDS - start)) s for $RUNS rounds"

# Medians per configuration (runs without a value left out; n says how many counted), and the ratio this build / BASE.
awk -v n="${#ROOTS[@]}" -v label0="${LABEL[0]}" -v label1="${LABEL[1]:-}" '
  function median(key,   m, i, j, t, a) {
    m = split(vals[key], a, " ")
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    if (m == 0) return "-"
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  {
    split($1, cfg, "="); c = cfg[2]
    for (i = 2; i < NF; i += 2) if ($i ~ /_s$/ && $(i + 1) != "-") { vals[c SUBSEP $i] = vals[c SUBSEP $i] " " $(i + 1); count[c SUBSEP $i]++ }
  }
  END {
    split("submit_s first_step_s preparing_s running_s", m, " ")
    printf "\n%-14s %28s", "median s", label0
    if (n > 1) printf " %28s %10s", label1, "ratio"
    printf "\n"
    for (k = 1; k <= 4; k++) {
      a = median(0 SUBSEP m[k])
      printf "%-14s %20s (n=%d)", m[k], (a == "-" ? a : sprintf("%.3f", a)), count[0 SUBSEP m[k]]
      if (n > 1) {
        b = median(1 SUBSEP m[k])
        printf " %20s (n=%d) %10s", (b == "-" ? b : sprintf("%.3f", b)), count[1 SUBSEP m[k]], (a != "-" && b != "-" && b > 0 ? sprintf("%.3f", a / b) : "-")
      }
      printf "\n"
    }
  }' "$WORK/values"
echo "all seconds from sending Submit: submit_s to its reply; first_step_s to the first StepEvent on WatchJob; preparing_s, running_s to the job's first event in that state"
[[ ${#ROOTS[@]} == 1 ]] || echo "ratio: ${LABEL[0]} / ${LABEL[1]} (below 1: this build is faster)"
