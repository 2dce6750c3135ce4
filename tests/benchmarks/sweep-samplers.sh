#!/usr/bin/env bash
# TPE against random search (the sweep samplers of src/FineTune.Core/Sweeps) on synthetic fine-tune-shaped objectives:
# TRIALS trials x SEEDS seeds per objective and sampler, medians of the best value and TPE's wins per objective.
#   bash tests/benchmarks/sweep-samplers.sh [TRIALS=50] [SEEDS=20]    # NO_BUILD=1 skips the Release build
# Pure computation, no torch: seconds once built. OPTUNA=1 then runs Optuna's own samplers on the same objectives
# (Debian's python3-optuna, installed with apt-get when missing; skipped with the reason when it cannot be).
set -euo pipefail
cd "$(dirname "$0")/../.."
TRIALS=${1:-50}
SEEDS=${2:-20}
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  dotnet build -c Release tests/benchmarks/FineTune.Benchmarks -v q -nologo >/dev/null || { echo "build of the benchmarks failed" >&2; exit 1; }
fi
dotnet tests/benchmarks/FineTune.Benchmarks/bin/Release/net10.0/FineTune.Benchmarks.dll sweep-samplers --trials "$TRIALS" --seeds "$SEEDS"
[[ "${OPTUNA:-0}" == 1 ]] || exit 0
PY=/usr/bin/python3
if ! $PY -c 'import optuna' 2>/dev/null; then
  if [[ $(id -u) != 0 ]]; then echo "optuna reference skipped: python3-optuna is not installed and this is not root"; exit 0; fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-optuna >/tmp/sweep-samplers-apt.log 2>&1; then
    echo "optuna reference skipped: apt-get could not install python3-optuna (offline?): see /tmp/sweep-samplers-apt.log"; exit 0
  fi
fi
$PY tests/benchmarks/sweep_samplers_optuna.py "$TRIALS" "$SEEDS"
