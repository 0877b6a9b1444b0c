#!/usr/bin/env bash
# GPU path check (issue 14 item 7): run the CUDA tests, then time a training epoch and
# inference on GPU vs CPU for the BiLSTM and LensNet benchmarks. Under 5 minutes on a
# machine with one CUDA GPU and a few CPU cores. Run from the repository root:
#
#     bash benchmarks/gpu_check.sh            # PYTHON=/path/to/python to choose the interpreter
#
# Exits non-zero when CUDA is missing or a CUDA test fails.
set -euo pipefail
PYTHON=${PYTHON:-python}
THREADS=${THREADS:-$(( $(nproc) < 8 ? $(nproc) : 8 ))}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

"$PYTHON" - <<'PY'
import sys, torch
if not torch.cuda.is_available():
    sys.exit("gpu_check: CUDA is not available to torch " + torch.__version__)
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0))
PY

echo "== CUDA tests (none may skip)"
out=$("$PYTHON" -m pytest -q -p no:cacheprovider -rs -k "cuda" tests/nn/test_base.py 2>&1) \
    || { echo "$out"; echo "gpu_check: CUDA tests failed"; exit 1; }
echo "$out"
if grep -q "skipped" <<<"$out"; then echo "gpu_check: a CUDA test was skipped"; exit 1; fi

for device in cuda cpu; do
    echo "== BiLSTM, device=$device ($THREADS CPU threads): training epoch and inference"
    timeout 150 "$PYTHON" benchmarks/bench_bilstm.py --n 4000 --repeats 1 --threads "$THREADS" \
        --device "$device" --no-unbucketed
done

for device in cuda cpu; do
    echo "== LensNet, device=$device ($THREADS CPU threads): training epoch and scoring"
    timeout 120 "$PYTHON" benchmarks/bench_lensnet.py --part speed --pool 1000 --repeat 2 --days 30 \
        --chunk 1024 --threads "$THREADS" --device "$device"
done
