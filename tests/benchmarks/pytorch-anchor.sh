#!/usr/bin/env bash
# The PyTorch eager anchor: our Trainer against plain PyTorch (Debian's python3-torch 1.13 with OpenBLAS) on the
# default job's model, weights and batches, alternating in one run (see AnchorBenchmark.cs and pytorch_anchor.py).
#   bash tests/benchmarks/pytorch-anchor.sh [--runs 5] [--steps 30] [--threads 2]
# Installs python3-torch and OpenBLAS (the OpenMP build, so torch.set_num_threads also sets BLAS's threads) with
# apt-get when missing; skips with the reason when it cannot (not root, no package source).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
if ! $PY -c 'import torch' 2>/dev/null || [[ ! -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ]]; then
  if [[ $(id -u) != 0 ]]; then echo "skipped: python3-torch is not installed and this is not root (apt-get install python3-torch libopenblas0-openmp)"; exit 0; fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-torch libopenblas0-openmp >/tmp/pytorch-anchor-apt.log 2>&1; then
    echo "skipped: apt-get could not install python3-torch libopenblas0-openmp (offline?): see /tmp/pytorch-anchor-apt.log"; exit 0
  fi
fi
# Without OpenBLAS, Debian's torch falls back to the reference BLAS (10x slower): make sure OpenBLAS is the one in use.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)
echo "python3-torch $($PY -c 'import torch; print(torch.__version__)'), BLAS $blas"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
dotnet build tests/benchmarks/FineTune.Benchmarks -c Release -v q -nologo >/dev/null
tests/benchmarks/FineTune.Benchmarks/bin/Release/net10.0/FineTune.Benchmarks anchor --python $PY --script tests/benchmarks/pytorch_anchor.py "$@"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
