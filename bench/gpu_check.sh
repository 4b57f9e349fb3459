#!/usr/bin/env bash
# The GPU check, in one command, for a machine with an NVIDIA GPU, CuPy and PyTorch:
#   1. the gpu-marked tests (every CUDA kernel against the NumPy one, each op on CuPy),
#   2. bench/step.py: the d2l NiN's training step against PyTorch + cuDNN (and the
#      per-kernel table of bench/kernels.py),
#   3. bench/profile_step.py: where the step's time goes, operation by operation,
#   4. `minin train --backend cupy` on Fashion-MNIST (2 epochs unless EPOCHS is set).
#
#   bench/gpu_check.sh FASHION_MNIST_DIR
#
# FASHION_MNIST_DIR holds the four .gz files. minin runs from this checkout
# (PYTHONPATH), nothing is installed. The log and the results go to $OUT if it is
# set, else to ./gpu-check. Each part has its own time limit, and a failing part
# does not stop the others; the whole check takes under 8 minutes on an H100/H200
# (with EPOCHS=10, about 2 minutes more).
set -uo pipefail

data=${1:?usage: bench/gpu_check.sh FASHION_MNIST_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$here/gpu-check}
mkdir -p "$out"
log="$out/gpu_check.log"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
cd "$here"
python=${PYTHON:-python3}
status=0

part() {  # part NAME SECONDS COMMAND...: run one part under a time limit, logging everything
  local name=$1 seconds=$2
  shift 2
  echo "=== $name ($(date -u +%H:%M:%S), limit ${seconds}s): $*" | tee -a "$log"
  local start=$SECONDS
  timeout "$seconds" "$@" 2>&1 | tee -a "$log"
  local code=${PIPESTATUS[0]}
  echo "=== $name: exit $code after $((SECONDS - start))s" | tee -a "$log"
  [ "$code" = 0 ] || status=1
}

part environment 60 bash -c "nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; \
  $python -c 'import sys, numpy, cupy, torch; print(sys.version.split()[0], \"numpy\", numpy.__version__, \
  \"cupy\", cupy.__version__, \"torch\", torch.__version__, \"cudnn\", torch.backends.cudnn.version())'"

part gpu-tests 200 "$python" -m pytest -q -m gpu -p no:cacheprovider tests

part step-d2l-tf32 150 "$python" bench/step.py --backend cupy --model d2l --compare torch --tf32 \
  --steps 20 --json "$out/step_d2l_tf32.json"
part step-d2l-fp32 120 "$python" bench/step.py --backend cupy --model d2l --compare torch \
  --steps 15 --no-memory --json "$out/step_d2l_fp32.json"
part kernels 90 "$python" bench/kernels.py --backend cupy --sizes d2l --tf32 --raw --repeat 10
part profile 90 "$python" bench/profile_step.py --backend cupy --model d2l --tf32

epochs=${EPOCHS:-2}
part train $((90 + 30 * epochs)) "$python" -m minin train --backend cupy --tf32 --model d2l --epochs "$epochs" \
  --data-dir "$data" --no-download --no-progress --out "$out/run"
# The trained weights alone (no optimizer state), small enough to bring back.
part export 60 "$python" -c "
import minin, sys
state = minin.load('$out/run/best.npz')
keep = {k: state[k] for k in ('kind', 'config', 'classes', 'epoch', 'step', 'model')}
keep.update(optimizer=None, scheduler=None, order=None, partial=None, rng=state['rng'],
            best_val_acc=state['best_val_acc'])
minin.save(keep, '$out/d2l_weights.npz')
print('wrote $out/d2l_weights.npz')"
rm -f "$out/run/last.npz" "$out/run/best.npz"  # too large to bring back; the weights are exported

echo "=== gpu check finished with status $status" | tee -a "$log"
exit $status
