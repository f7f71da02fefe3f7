#!/usr/bin/env bash
# Grade the autoencoder reference on a GPU machine (Keras with the torch backend) against its CPU,
# as `device` runs it: the repo is the working directory, .whl/ holds wheels of what the machine lacks
# (keras, ipykernel, nbformat and their dependencies), .gpu/ holds Debian's bubblewrap package, and dist/
# the built assignment (carried). Results: $OUT/gpu.md.
set -euo pipefail
RUNS=${RUNS:-3}
for deb in .gpu/*.deb; do dpkg -x "$deb" /; done
python3 -m pip install -q --no-index --no-deps --no-compile .whl/*.whl
export PYTHONPATH=$PWD KERAS_BACKEND=torch PYTHONUNBUFFERED=1
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
      --out "/tmp/g-$label-$i" --workers 1 --no-warm "$@" > "/tmp/g-$label-$i.log" 2>&1 || cat "/tmp/g-$label-$i.log"
    end=$(date +%s.%N)
    seconds=$(python3 -c "import json; print(json.load(open('/tmp/g-$label-$i/results/reference.json'))['seconds'])")
    total=$(python3 -c "import json; r=json.load(open('/tmp/g-$label-$i/results/reference.json')); print(r['total'], '/', r['max_total'], r['status'], r['device'], r['keras_backend'])")
    echo "| $label | $i | $(python3 -c "print(round($end-$start,1))") | $seconds | $total |" | tee -a "$OUT/gpu.md"
  done
}
echo "| where | run | wall s (CLI) | grading s | score, status, device, backend |" > "$OUT/gpu.md"
echo "|---|---:|---:|---:|---|" >> "$OUT/gpu.md"
grade gpu --gpus 0
grade cpu16
cp /tmp/g-gpu-1/results/reference.json "$OUT/reference-gpu.json"
