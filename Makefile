# `make demo` grades the shipped example submissions; `make test` runs the test suite.
# Both create .venv and install the project into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_OUT := demo-out

.PHONY: demo test test-slow test-backends calibrate-gan install clean docker-image

install: $(STAMP)

$(STAMP): pyproject.toml
	@# bubblewrap confines student kernels; grade refuses to run without it unless --sandbox none.
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; } || \
		echo "note: install bubblewrap (apt-get install bubblewrap) to grade untrusted notebooks"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/autograder build temperature
	rm -rf $(DEMO_OUT)
	$(BIN)/autograder grade temperature examples/temperature/submissions --out $(DEMO_OUT) --cell-timeout 20
	$(BIN)/autograder report temperature $(DEMO_OUT)
	@echo "dashboard: $(DEMO_OUT)/report/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# The autoencoder corpus under Keras's torch and jax backends (CPU builds; slow, not part of `make test`).
test-backends: $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0 jax
	$(BIN)/python tools/check_backends.py autoencoder --backend torch
	$(BIN)/python tools/check_backends.py autoencoder --backend jax

# gan_debug's Questions 3 and 4 over 20 seeds (reference, valid alternatives, each bug alone) under TensorFlow:
# pass rates into rubrics/gan_debug.calibration.json. Torch and jax: benchmarks/device_calibrate_gan.sh.
calibrate-gan: $(STAMP)
	$(BIN)/autograder build gan_debug
	KERAS_BACKEND=tensorflow $(BIN)/python tools/calibrate_gan.py --seeds 20 --jobs 2

docker-image:
	docker build -f grader.Dockerfile -t autograder-grader:latest .

clean:
	rm -rf $(DEMO_OUT) dist .pytest_cache
