# `make demo` grades the shipped example submissions; `make test` runs the test suite.
# Both create .venv and install the project into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_OUT := demo-out

.PHONY: demo serve-demo test test-docker test-corpora test-slow test-backends calibrate-gan calibrate-autoencoder calibrate-temperature install clean docker-image \
	bench bench-single bench-profile bench-batch bench-workers bench-scaling bench-dask bench-otter bench-fork bench-gpu

install: $(STAMP)

$(STAMP): pyproject.toml
	@# bubblewrap confines student kernels; grade refuses to run without it unless --sandbox none.
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; } || \
		echo "note: install bubblewrap (apt-get install bubblewrap) to grade untrusted notebooks"
	@# Fashion-MNIST for the autoencoder's full scale (--scale full); the small scale needs nothing.
	@[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; } || \
		echo "note: install dataset-fashion-mnist (apt-get install dataset-fashion-mnist) to grade at --scale full"
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

# torch (the CPU build on this disk, never another) for the test that grades on Dask with Keras's torch backend.
test: $(STAMP)
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet torch==2.13.0 || \
		echo "note: torch==2.13.0 is not installable here; the torch-backend test is skipped"
	$(BIN)/python -m pytest -q -rs

# The Docker backend against a real engine: tools/docker_engine.sh starts one where none answers (root, apt) and
# builds, without a registry, a small kernel image and grader.Dockerfile on a local base; the engine it started is
# stopped by its PID, whatever the tests did. Where no engine can start, the Docker tests are skipped with the
# reason printed. .ci/run runs this too.
KERNEL_IMAGE ?= autograder-kernel-test:latest
GRADER_IMAGE ?= autograder-grader:ci
test-docker: $(STAMP)
	KERNEL_IMAGE=$(KERNEL_IMAGE) GRADER_IMAGE=$(GRADER_IMAGE) tools/docker_engine.sh start
	AUTOGRADER_DOCKER_IMAGE=$(KERNEL_IMAGE) AUTOGRADER_GRADER_IMAGE=$(GRADER_IMAGE) \
		$(BIN)/python -m pytest -q -rs tests/test_docker.py; \
		status=$$?; tools/docker_engine.sh stop; exit $$status

# The submission service on the example course: three invited students (their links are printed) and a tutor.
SERVE_OUT := serve-demo-out
serve-demo: $(STAMP)
	$(BIN)/autograder build temperature
	mkdir -p $(SERVE_OUT)
	printf 'student,name\nada,Ada Example\nbo,Bo Example\ncy,Cy Example\n' > $(SERVE_OUT)/roster.csv
	$(BIN)/autograder serve --data $(SERVE_OUT) invite --roster $(SERVE_OUT)/roster.csv --out $(SERVE_OUT)/links.csv
	echo "demo-tutor-password" | $(BIN)/autograder serve --data $(SERVE_OUT) tutor tutor --name "Demo Tutor" \
		--password-stdin
	@echo "sign-in links (students):"; cat $(SERVE_OUT)/links.csv
	@echo "tutor: http://127.0.0.1:8000/tutor/login as tutor / demo-tutor-password; stop with Ctrl-C"
	$(BIN)/autograder serve --data $(SERVE_OUT) --assignment temperature --cell-timeout 20

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# The example notebooks of the training labs beyond the core that `make test` grades (about 9 minutes).
test-corpora: $(STAMP)
	$(BIN)/python -m pytest -q -rs -m corpus tests/test_examples.py

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

# The autoencoder's bands: the reference over 3 seeds and every corpus notebook once, at SCALE (small or full;
# full takes about 25 minutes on 2 cores). Numbers and their derivation: rubrics/autoencoder.yml.
SCALE ?= small
calibrate-temperature: $(STAMP)  # the chance that temperature's chi-square tests catch each plausible bug
	$(BIN)/python tools/temperature_power.py

calibrate-autoencoder: $(STAMP)
	$(BIN)/python tools/calibrate_autoencoder.py --scale $(SCALE) --seeds 3
	$(BIN)/python tools/calibrate_autoencoder.py --scale $(SCALE) --seeds 1 $(filter-out \
		examples/autoencoder/submissions/reference.ipynb,$(wildcard examples/autoencoder/submissions/*.ipynb))

# Benchmarks (issue 6), one target per measurement; each appends its table to benchmarks/RESULTS.md.
# `make bench` runs those of this machine (hours on 2 cores); bench-gpu needs a GPU.
bench: bench-single bench-profile bench-batch bench-fork

bench-single: $(STAMP)  # (a) one submission: autograder grade vs plain nbclient vs otter run, per assignment
	$(BIN)/python benchmarks/bench_single.py temperature --runs 5
	$(BIN)/python benchmarks/bench_single.py autoencoder --runs 5
	$(BIN)/python benchmarks/bench_single.py gan_debug --runs 5

bench-profile: $(STAMP)  # where one submission's seconds go, per lab (cold), and in a class of 10 (warm kernels)
	$(BIN)/python benchmarks/bench_profile.py temperature gan_debug autoencoder --runs 3
	$(BIN)/python benchmarks/bench_profile.py temperature --class 10 --runs 3

bench-batch: bench-workers bench-scaling bench-dask bench-otter  # everything benchmarks/bench_batch.py measures

bench-workers: $(STAMP)  # (b) and (e): 40 autoencoder submissions, 1 and 2 workers, warm or cold; peak memory
	$(BIN)/python benchmarks/bench_batch.py workers autoencoder --submissions 40 --runs 5

bench-scaling: $(STAMP)  # (c) time per submission at 10 and 100 submissions
	$(BIN)/python benchmarks/bench_batch.py scaling temperature --sizes 10 100 --runs 5

bench-dask: $(STAMP)  # (d) Dask with 2 local workers vs the local pool
	$(BIN)/python benchmarks/bench_batch.py dask temperature --submissions 20 --runs 5

bench-otter: $(STAMP)  # a loop of `otter run` over the temperature submissions vs autograder grade
	$(BIN)/python benchmarks/bench_batch.py otter temperature --submissions 10 --runs 5

bench-fork: $(STAMP)  # the fork-server experiment (docs/design.md): fork after importing Keras, before and after training
	$(BIN)/python benchmarks/fork_experiment.py cold-parent
	$(BIN)/python benchmarks/fork_experiment.py warm-parent

bench-gpu: $(STAMP)  # the autoencoder reference on GPU 0 vs the CPU (torch backend), SCALE=small or full
	$(BIN)/autograder build autoencoder
	PATH=$(abspath $(BIN)):$$PATH SCALE=$(SCALE) bash benchmarks/gpu_autoencoder.sh

docker-image:
	docker build -f grader.Dockerfile -t autograder-grader:latest .

clean:
	rm -rf $(DEMO_OUT) $(SERVE_OUT) dist .pytest_cache
