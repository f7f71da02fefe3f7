#!/usr/bin/env bash
# gan_debug's calibration (tools/calibrate_gan.py) under Keras's torch or jax backend on the GPU machine that
# `device` lends (16 cores, no TensorFlow), as run for rubrics/gan_debug.calibration.json. The repo is the working
# directory; .whl/ holds wheels of what that machine lacks (keras, nbformat, scikit-learn and their dependencies).
#   BACKEND=jax PARTS="ring digits" SEEDS=20 NOTEBOOKS="reference bug_..." bash benchmarks/device_calibrate_gan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --no-index --no-deps --no-compile .whl/keras-* .whl/namex-* .whl/optree-* .whl/nbformat-* \
  .whl/fastjsonschema-* .whl/jsonschema-* .whl/jsonschema_specifications-* .whl/referencing-* .whl/rpds_py-* \
  .whl/traitlets-* .whl/jupyter_core-* .whl/platformdirs-* .whl/scikit_learn-* .whl/joblib-* .whl/threadpoolctl-*
# Many small single-threaded processes: the models are tiny, so the CPU beats the GPU and cores beat threads.
export CUDA_VISIBLE_DEVICES="" OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" JAX_PLATFORMS=cpu
export KERAS_BACKEND=${BACKEND:-torch}
# shellcheck disable=SC2086
python3 tools/calibrate_gan.py --seeds "${SEEDS:-20}" --first-seed "${FIRST_SEED:-0}" --jobs "${JOBS:-16}" \
  --parts ${PARTS:-ring digits} --notebooks ${NOTEBOOKS:-reference} --out "${CALIBRATION:-$OUT/calibration.json}"
