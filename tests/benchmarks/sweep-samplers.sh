#!/usr/bin/env bash
# TPE against random search (the sweep samplers of src/FineTune.Core/Sweeps) on synthetic fine-tune-shaped objectives:
# TRIALS trials x SEEDS seeds per objective and sampler, medians of the best value and TPE's wins per objective.
#   bash tests/benchmarks/sweep-samplers.sh [TRIALS=50] [SEEDS=20]    # NO_BUILD=1 skips the Release build
# Pure computation, no torch: seconds once built.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  dotnet build -c Release tests/benchmarks/FineTune.Benchmarks -v q -nologo >/dev/null || { echo "build of the benchmarks failed" >&2; exit 1; }
fi
exec dotnet tests/benchmarks/FineTune.Benchmarks/bin/Release/net10.0/FineTune.Benchmarks.dll sweep-samplers \
  --trials "${1:-50}" --seeds "${2:-20}"
