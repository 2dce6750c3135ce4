#!/usr/bin/env bash
# Our HubClient against curl downloading one 400 MB LFS file from the cluster tests' loopback hub (TestHub, run inside
# the benchmark process), side by side: ROUNDS rounds alternating which goes first, medians and the ratios
# ours/curl and ours/(curl + sha256sum of curl's file), since our client checks the SHA-256 and curl does not.
#   bash tests/benchmarks/hub-download.sh [ROUNDS=5] [--variants]   # more options go to the program
# MB=400 sets the size (10^6 bytes), SEED=42 the bytes; NO_BUILD=1 skips the Release build. Temp files are deleted.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
for tool in curl sha256sum; do
  command -v "$tool" >/dev/null || { echo "hub-download: $tool is not installed (apt-get install curl coreutils)" >&2; exit 1; }
done
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  dotnet build -c Release tests/benchmarks/FineTune.Benchmarks -v q -nologo >/dev/null || { echo "build of the benchmarks failed" >&2; exit 1; }
fi
# The 127.0.0.2 storage host is loopback on Linux; a proxy set in the environment must not take either host.
export no_proxy="127.0.0.1,127.0.0.2${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,127.0.0.2${NO_PROXY:+,$NO_PROXY}"
exec dotnet tests/benchmarks/FineTune.Benchmarks/bin/Release/net10.0/FineTune.Benchmarks.dll hub-download \
  --rounds "$ROUNDS" --mb "${MB:-400}" --seed "${SEED:-42}" "${@:2}"
