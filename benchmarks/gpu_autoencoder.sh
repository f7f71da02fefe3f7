#!/usr/bin/env bash
# Grade the autoencoder reference on a GPU machine (Keras with the torch backend) against its CPU,
# as `device` runs it: the repo is the working directory, .whl/ holds wheels of what the machine lacks
# (keras, ipykernel, nbformat and their dependencies), .gpu/ holds Debian packages to unpack (bubblewrap, and
# for SCALE=full dataset-fashion-mnist: `apt-get download dataset-fashion-mnist`), and dist/ the built
# assignment (carried). Results: $OUT/gpu.md.
#   SCALE=full RUNS=3 bash benchmarks/gpu_autoencoder.sh     # Fashion-MNIST (default SCALE=small: the digits)
# `make bench-gpu SCALE=full` runs it on a machine that has a GPU and the project installed.
set -euo pipefail
RUNS=${RUNS:-3}
SCALE=${SCALE:-small}
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
for deb in .gpu/*.deb; do
  if [ -e "$deb" ]; then dpkg -x "$deb" /; fi
done
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile .whl/*.whl
fi
export PYTHONPATH=$PWD KERAS_BACKEND=torch PYTHONUNBUFFERED=1
python3 -c "from autograder.datasets import require_data; require_data('$SCALE')"  # says what is missing
python3 - <<'PY'
import torch, keras
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0))
print("keras", keras.__version__, keras.backend.backend())
PY
nvidia-smi -L
grade() {  # $1: label, rest: extra flags
  local label=$1; shift
  for i in $(seq "$RUNS"); do
    rm -rf "/tmp/g-$label-$i"
    start=$(date +%s.%N)
    python3 -m autograder.cli grade autoencoder examples/autoencoder/submissions/reference.ipynb \
      --out "/tmp/g-$label-$i" --workers 1 --no-warm --scale "$SCALE" "$@" > "/tmp/g-$label-$i.log" 2>&1 || cat "/tmp/g-$label-$i.log"
    end=$(date +%s.%N)
    seconds=$(python3 -c "import json; print(json.load(open('/tmp/g-$label-$i/results/reference.json'))['seconds'])")
    total=$(python3 -c "import json; r=json.load(open('/tmp/g-$label-$i/results/reference.json')); print(r['total'], '/', r['max_total'], r['status'], r['device'], r['keras_backend'], r['scale'])")
    echo "| $label | $i | $(python3 -c "print(round($end-$start,1))") | $seconds | $total |" | tee -a "$OUT/gpu.md"
  done
}
echo "| where | run | wall s (CLI) | grading s | score, status, device, backend, scale |" > "$OUT/gpu.md"
echo "|---|---:|---:|---:|---|" >> "$OUT/gpu.md"
WHERE=${WHERE:-gpu cpu}  # WHERE=gpu or WHERE=cpu runs one side (each call of `device` has a time limit)
if [[ " $WHERE " == *" gpu "* ]]; then
  grade gpu --gpus 0
  cp /tmp/g-gpu-1/results/reference.json "$OUT/reference-gpu-$SCALE.json"
fi
if [[ " $WHERE " == *" cpu "* ]]; then
  grade cpu --memory 0  # a CUDA build of torch maps more than the default 4 GiB even on the CPU
fi
