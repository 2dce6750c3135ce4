#!/usr/bin/env bash
# A hyperparameter sweep on a 2-worker cluster (issue 25's benchmark): the yelp_review_full-shaped 5-class set
# (YelpShapedDataset: 2,500 train + 500 test rows), max_length 64, TRIALS trials of random search with ASHA
# (grace_period 1, max_t 3, reduction_factor 3), 2 workers of 1 thread, the default model. Then the default
# hyperparameters trained on the same train split, scored on the same validation and test splits. Prints the best
# trial's validation and test accuracy against the defaults' (the test set is reported, never used to choose), the
# share of trial epochs ASHA saved (from its decisions, against every trial running max_t epochs), the wall time
# against the sum of the trials' own durations, and how busy the workers were while trials ran.
# Usage: bash tests/benchmarks/sweep-cluster.sh [TRIALS]
set -euo pipefail
cd "$(dirname "$0")/../.."
TRIALS=${1:-12}
for p in Cli Coordinator Worker; do dotnet build -c Release src/FineTune.$p -v q -nologo > /dev/null; done
dotnet build -c Release tests/benchmarks/FineTune.Benchmarks -v q -nologo > /dev/null
CLI="dotnet src/FineTune.Cli/bin/Release/net10.0/finetune.dll"
WORK=$(mktemp -d); PORT=5193; URL=http://127.0.0.1:$PORT
dotnet tests/benchmarks/FineTune.Benchmarks/bin/Release/net10.0/FineTune.Benchmarks.dll yelp-dataset --train 2500 --test 500 --out $WORK/data
DATA=$(ls -d $WORK/data/*/)
dotnet src/FineTune.Coordinator/bin/Release/net10.0/FineTune.Coordinator.dll --urls $URL --data-dir $WORK/coordinator \
  --data-roots $WORK/data > $WORK/coordinator.log 2>&1 &
PIDS=($!)
for i in 0 1; do
  dotnet src/FineTune.Worker/bin/Release/net10.0/FineTune.Worker.dll --coordinator $URL --name worker-$i --threads 1 \
    --urls http://127.0.0.1:0 --data-dir $WORK/worker-$i > $WORK/worker-$i.log 2>&1 &
  PIDS+=($!)
done
trap 'kill ${PIDS[@]} 2>/dev/null; rm -rf $WORK' EXIT
sleep 8
cat > $WORK/sweep.yaml <<EOF
base:
  dataset: ${DATA%/}
  max_length: 64
  num_train_epochs: 3
metric: eval_accuracy
trials: $TRIALS
workers_per_trial: 1
sampler: random
early_stopping: {type: asha, grace_period: 1, max_t: 3, reduction_factor: 3}
validation_split: 0.1
seed: 42
space:
  learning_rate: {loguniform: [1.0e-5, 3.0e-4]}
  per_device_train_batch_size: {choice: [8, 16, 32]}
  warmup_ratio: {uniform: [0.0, 0.2]}
EOF
s=$(date +%s.%N)
$CLI sweep submit -f $WORK/sweep.yaml --coordinator $URL --wait --json > $WORK/sweep.json
e=$(date +%s.%N)
SWEEP=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" $WORK/sweep.json)
SPLITS=$WORK/coordinator/sweeps/$SWEEP/data
# The sweep's test scoring: a job of kind evaluate on one worker.
TEST_JOB=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['testJobId'])" $WORK/sweep.json)
$CLI status $TEST_JOB --coordinator $URL --json > $WORK/test-job.json
# The defaults, on the same splits: trained on trials/ (evaluated on its validation split), scored on test/.
$CLI train --dataset $SPLITS/trials --max-length 64 --epochs 3 --threads 1 --output $WORK/default --json > $WORK/default.json 2>/dev/null
$CLI evaluate --model $WORK/default --dataset $SPLITS/test --max-length 64 --threads 1 --json > $WORK/default-test.json 2>/dev/null
python3 - "$WORK" "$s" "$e" <<'PY'
import json, sys
work, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
sweep = json.load(open(f"{work}/sweep.json"))
trials = sweep["trials"]
ms = lambda t, k: int(t.get(k, "0")) / 1000
best = next(t for t in trials if t.get("index", 0) == sweep.get("bestTrial", 0))
default = json.load(open(f"{work}/default.json"))["metrics"]["eval_accuracy"]
default_test = json.load(open(f"{work}/default-test.json"))["eval_accuracy"]
evaluations = sum(len(t.get("evaluations", [])) for t in trials)
budget = 3 * len(trials)
durations = [ms(t, "endedUnixMs") - ms(t, "startedUnixMs") for t in trials]
first, last = min(ms(t, "startedUnixMs") for t in trials), max(ms(t, "endedUnixMs") for t in trials)
states = {s: sum(1 for t in trials if t["state"] == s) for s in sorted({t["state"] for t in trials})}
print(f"{len(trials)} trials, random search + ASHA, 2 workers x 1 thread; trials: {states}")
print(f"{'':34}{'validation acc':>16}{'test acc':>12}")
print(f"{'default hyperparameters':34}{default:>16.4f}{default_test:>12.4f}")
params = ", ".join(f"{k}={v}" for k, v in sorted(best.get("params", {}).items()))
print(f"{'best trial ' + str(best.get('index', 0)):34}{best['metric']:>16.4f}{sweep['testMetrics']['test_accuracy']:>12.4f}   ({params})")
test_job = json.load(open(f"{work}/test-job.json"))
print(f"test set scored once by {test_job['id']} (kind {test_job['kind']}) on {', '.join(test_job['workers'])}: {test_job['metrics']['eval_samples']} examples")
print(f"ASHA: {evaluations} of {budget} trial epochs run, {1 - evaluations / budget:.0%} saved")
print(f"wall {end - start:.0f} s (submit to result) against {sum(durations):.0f} s of trials' own time: {(end - start) / sum(durations):.2f}")
print(f"workers busy {sum(durations) / (2 * (last - first)):.0%} while trials ran ({last - first:.0f} s)")
PY
