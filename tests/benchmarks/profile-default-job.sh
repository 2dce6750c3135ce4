#!/usr/bin/env bash
# Where `finetune train` with the defaults spends its wall time, phase by phase (FINETUNE_PROFILE=1), with the
# malloc tuning on and off (NativeHeap; FINETUNE_MALLOC_TUNING=0), alternating A/B for RUNS rounds.
# BASE=REV compares this build with commit REV's instead (built in a temporary worktree; malloc tuning on in both).
#   bash tests/benchmarks/profile-default-job.sh [RUNS=1] [extra finetune train options...]
# e.g. a short run that still evaluates and saves 3 times:
#   bash tests/benchmarks/profile-default-job.sh 1 --max-steps 30 --save-strategy steps --save-steps 10 --eval-strategy steps --eval-steps 10
# COLD=1 also converts the default model again first (a fresh model cache; the dataset cache is reused).
# NO_BUILD=1 skips the Release build. Prints, per configuration, the median of each phase over the runs, the
# process's wall, CPU and peak RSS (GNU time), page faults, eval accuracy, and the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-1}; shift || true
[[ "${NO_BUILD:-0}" == 1 ]] || dotnet build src/FineTune.Cli -c Release -v q -nologo >/dev/null
CLI=src/FineTune.Cli/bin/Release/net10.0/finetune.dll
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "needs GNU time (/usr/bin/time: apt-get install time)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/finetune-profile.XXXXXX)
trap 'git worktree remove --force "$WORK/base" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
# Configuration 1 and 2: their label, CLI and malloc tuning.
if [[ -n "${BASE:-}" ]]; then
  git worktree add --detach "$WORK/base" "$BASE" >/dev/null
  dotnet build "$WORK/base/src/FineTune.Cli" -c Release -v q -nologo >/dev/null
  LABEL=("this build" "$BASE"); CLIS=("$CLI" "$WORK/base/$CLI"); TUNING=(1 1)
else
  LABEL=("malloc tuned" "glibc default"); CLIS=("$CLI" "$CLI"); TUNING=(1 0)
fi

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; runs $RUNS; options: ${*:-(defaults)}"
for r in $(seq 1 "$RUNS"); do
  for c in 1 2; do
    tuning=${TUNING[$((c - 1))]}; cli=${CLIS[$((c - 1))]}
    out=$WORK/out-$c-$r
    cache_env=()
    if [[ "${COLD:-0}" == 1 ]]; then
      mkdir -p "$WORK/cache-$c-$r"
      ln -s "${FINETUNE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/finetune}/datasets" "$WORK/cache-$c-$r/datasets"
      cache_env=(FINETUNE_CACHE="$WORK/cache-$c-$r")
    fi
    env "${cache_env[@]}" FINETUNE_PROFILE=1 FINETUNE_MALLOC_TUNING=$tuning \
      $TIME -f "gnu-time: wall %e user %U sys %S maxrss_kb %M minor_faults %R" \
      dotnet "$cli" train --output "$out" "$@" >"$WORK/stdout-$c-$r" 2>"$WORK/stderr-$c-$r"
    acc=$(sed -n 's/.*"eval_accuracy": \([0-9.]*\).*/\1/p' "$out/eval_results.json" 2>/dev/null || true)
    ckpts=$(find "$out" -maxdepth 1 -name 'checkpoint-*' -type d | wc -l)
    size=$(du -sm "$out"/checkpoint-* 2>/dev/null | awk '{s+=$1} END {print s+0}')
    echo "run $r ${LABEL[$((c - 1))]}: $(grep '^gnu-time:' "$WORK/stderr-$c-$r" | cut -d' ' -f2-) eval_accuracy ${acc:-?} checkpoints $ckpts (${size} MB)"
    grep -E '^(profile|gnu-time):' "$WORK/stderr-$c-$r" | sed "s/^/config=$c /" >>"$WORK/all"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Medians per phase and configuration, phases in the order they first appeared.
awk -v label1="${LABEL[0]}" -v label2="${LABEL[1]}" '
  function median(key,   n, i, j, t, a) {
    n = split(vals[key], a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  $2 == "profile:" {
    phase = ""; for (i = 3; i <= NF && $i != "s"; i++) phase = phase (phase == "" ? "" : " ") $i
    sub(/ [0-9.-]+$/, "", phase); secs = $(i - 1)
    if (!(phase in seen)) { seen[phase] = 1; order[++np] = phase }
    vals[$1 SUBSEP phase] = vals[$1 SUBSEP phase] " " secs
  }
  $2 == "gnu-time:" {
    for (i = 3; i < NF; i += 2) vals[$1 SUBSEP "gnu " $i] = vals[$1 SUBSEP "gnu " $i] " " $(i + 1)
  }
  END {
    printf "\n%-32s %14s %14s %8s\n", "phase (median s)", label1, label2, "ratio"
    for (k = 1; k <= np; k++) {
      a = median("config=1" SUBSEP order[k]); b = median("config=2" SUBSEP order[k])
      printf "%-32s %14.3f %14.3f %8s\n", order[k], a, b, (b > 0.001 ? sprintf("%.2f", a / b) : "")
    }
    split("wall user sys maxrss_kb minor_faults", g, " ")
    for (k = 1; k <= 5; k++) {
      a = median("config=1" SUBSEP "gnu " g[k]); b = median("config=2" SUBSEP "gnu " g[k])
      printf "%-32s %14.2f %14.2f %8s\n", "process " g[k], a, b, (b > 0 ? sprintf("%.2f", a / b) : "")
    }
  }' "$WORK/all"
