#!/usr/bin/env bash
# GPU check in one command, for a machine with an NVIDIA GPU and CUDA-enabled JAX already
# installed (no network needed): install torchlike in place, train the tutorial's model on the
# GPU, run the device-sensitive tests and the interpreter's (beside the GPU), and print a
# summary. Each step has its own time limit so the whole run stays under 10 minutes. Exit
# status: 0 when every step passed.
#
#   bash bench/gpu_check.sh            # PYTHON=/path/to/python to pick the interpreter
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/torchlike-gpu-check.XXXXXX")
# The tests must see the GPU: a JAX_PLATFORMS=cpu left in the environment would hide it.
unset JAX_PLATFORMS
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

declare -a SUMMARY=()
FAILED=0

# step NAME LIMIT_SECONDS COMMAND...: run, log, time and record one step.
step() {
    local name=$1 limit=$2
    shift 2
    local log started=$SECONDS status
    log="$LOGS/$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_').log"
    echo "=== $name (limit ${limit}s): $*"
    timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
    status=$?
    local took=$((SECONDS - started)) verdict=PASS
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        verdict="TIMEOUT"
    elif [ "$status" -ne 0 ]; then
        verdict="FAIL($status)"
    fi
    [ "$verdict" = PASS ] || FAILED=1
    tail -n 25 "$log" | sed 's/^/    /'
    SUMMARY+=("$(printf '%-34s %-12s %4ss  %s' "$name" "$verdict" "$took" "$log")")
}

note() { SUMMARY+=("$(printf '%-34s %-12s %4s   %s' "$1" NOTE - "$2")"); }

echo "torchlike GPU check: $(date -u +%Y-%m-%dT%H:%M:%SZ), logs in $LOGS"
command -v nvidia-smi >/dev/null && nvidia-smi -L || echo "nvidia-smi: not found"

step "environment" 60 "$PYTHON" -c '
import sys, jax, jaxlib
print("python", sys.version.split()[0], "| jax", jax.__version__, "| jaxlib", jaxlib.__version__)
print("jax devices:", jax.devices())
gpus = jax.devices("gpu")  # raises when JAX has no GPU backend
print("jax gpus:", gpus)
'

step "pip install -e ." 90 "$PYTHON" -m pip install --no-deps --no-build-isolation -e .

step "device_check (TinyModel on cuda)" 150 \
    "$PYTHON" -m torchlike examples/device_check.py --steps 5

# The tests that change with the device: placement, printing, torch.cuda, profiler use_cuda.
TEST_FILES=(tests/test_tensor.py tests/test_tensor_str.py tests/test_profiler.py tests/test_dropin.py)
if "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
    TEST_FILES+=(compat/test_devices_compat.py compat/test_tensor_str_compat.py
        compat/test_profiler_compat.py compat/test_dropin_compat.py)
else
    note "compat device tests" "skipped: no reference torch installed (tests/ ran alone)"
fi
step "pytest -k 'device or cuda or gpu'" 150 \
    "$PYTHON" -m pytest -o addopts= -n auto -rxX -p no:cacheprovider -p no:benchmark "${TEST_FILES[@]}" -k "device or cuda or gpu"

# First calls of CPU tensors are interpreted in numpy beside the GPU, GPU arrays compile;
# small ops are deferred on either device and their chunks run where their arrays are.
step "pytest interpreter, deferral beside the GPU" 120 \
    "$PYTHON" -m pytest -o addopts= -n auto -rxX -p no:cacheprovider -p no:benchmark \
    tests/test_interpreter.py tests/test_host_chunks.py tests/test_forward_kernels.py \
    tests/test_several_devices.py tests/test_deferred.py tests/test_folded_linear.py

echo
echo "=== summary ($SECONDS s in all)"
printf '%s\n' "${SUMMARY[@]}"
if [ "$FAILED" -eq 0 ]; then echo "GPU check: all steps passed"; else echo "GPU check: FAILED"; fi
exit "$FAILED"
