"""Measure what the autoencoder assignment's hidden tests measure, over several training seeds.

The bands in the hidden tests of solutions/autoencoder/autoencoder.ipynb (q3, q4, q5, q6) were derived with
this script: run the reference solution with seeds 0-9, look at the spread, then run the valid variants in
examples/autoencoder/submissions (latent 8 and 32, convolutional, MSE loss, ...) and the buggy ones, and put
each bound between the worst valid value and the best buggy one. Rerun it after changing the reference or
the Keras version, under each backend you grade with (KERAS_BACKEND=jax ...; the bounds were checked under
TensorFlow and JAX on a CPU and PyTorch on a GPU):

    .venv/bin/python tools/calibrate_autoencoder.py                      # the reference, seeds 0-9
    .venv/bin/python tools/calibrate_autoencoder.py examples/autoencoder/submissions/latent_8.ipynb --seeds 3
    .venv/bin/python tools/calibrate_autoencoder.py --scale full --seeds 3 --json full.jsonl   # Fashion-MNIST

`--scale full` measures on Fashion-MNIST (the notebook is told so through AUTOGRADER_SCALE, as the grader tells it;
the reference takes about a minute per seed here, a convolutional notebook 4-5 minutes). The full-scale bands were
derived from the reference with seeds 0-2 and every corpus notebook with seed 0 (`make calibrate-autoencoder
SCALE=full`); the numbers are in rubrics/autoencoder.yml. `--json FILE` appends one line per notebook and seed.

Each notebook runs in this process, cell by cell (Otter's lines and the test cells are skipped). Seed k
adds 1000 * k to every ``keras.utils.set_random_seed`` call of the notebook, so seed 0 is the notebook as
written and is what the grader measures. The measurements repeat the hidden tests' definitions (same data
split, same noise and anomalies); keep the two in sync.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.checks import roc_auc  # noqa: E402
from autograder.checks.copies import (  # noqa: E402
                                       COPY_DISTANCE,
                                       MAX_COPY_FRACTION,
                                       MIN_WEIGHT_EFFECT,
                                       copy_verdict,
                                       model_dependence,
)
from autograder.datasets import SCALE_VARIABLE, SCALES, autoencoder_split  # noqa: E402
from autograder.notebook import runnable_source  # noqa: E402

REFERENCE = ROOT / "solutions" / "autoencoder" / "autoencoder.ipynb"

# The bounds the hidden tests use (literals there too): metric -> (kind, bound at each scale).
BANDS = {
    "test_mse": ("at most", {"small": 0.03, "full": 0.025}),
    "val_loss_last_over_first": ("at most", {"small": 0.8, "full": 0.94}),
    "late_rise": ("at most", {"small": 0.1, "full": 0.1}),
    "epochs": ("at least", {"small": 10, "full": 10}),
    "denoise_ratio": ("at most", {"small": 0.5, "full": 0.3}),
    "auc_scrambled": ("at least", {"small": 0.9, "full": 0.9}),
    "auc_inverted": ("at least", {"small": 0.9, "full": 0.9}),
    "auc_shifted": ("at least", {"small": 0.9, "full": 0.9}),
    "interpolation_gap": ("at most", {"small": 1e-4, "full": 1e-4}),
    # the copy checks of q3 and q4 (autograder/checks/copies.py): fractions of outputs within COPY_DISTANCE of a
    # data-set image, the lowest such distance (valid outputs stay far above COPY_DISTANCE), and how much random
    # weights move the decoder's and the denoiser's outputs (MIN_WEIGHT_EFFECT)
    "copies_reconstructed": ("at most", {"small": MAX_COPY_FRACTION, "full": MAX_COPY_FRACTION}),
    "lowest_distance_reconstructed": ("at least", {"small": COPY_DISTANCE, "full": COPY_DISTANCE}),
    "copies_denoised": ("at most", {"small": MAX_COPY_FRACTION, "full": MAX_COPY_FRACTION}),
    "lowest_distance_denoised": ("at least", {"small": COPY_DISTANCE, "full": COPY_DISTANCE}),
    "decoder_weight_effect": ("at least", {"small": MIN_WEIGHT_EFFECT, "full": MIN_WEIGHT_EFFECT}),
    "denoiser_weight_effect": ("at least", {"small": MIN_WEIGHT_EFFECT, "full": MIN_WEIGHT_EFFECT}),
}
SHIFT = {"small": 3, "full": 10}  # pixels the shifted anomalies move right: 3/8 of the width


def code_cells(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    sources = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or "# BEGIN TEST CONFIG" in cell.source:
            continue
        lines = [line for line in runnable_source(cell.source).splitlines() if not line.lstrip().startswith(("%", "!"))]
        sources.append("\n".join(lines))
    return sources


def run_notebook(path: Path, seed: int, show_output: bool) -> dict:
    import keras

    original = keras.utils.set_random_seed
    keras.utils.set_random_seed = lambda value: original(int(value) + 1000 * seed)
    namespace: dict = {"__name__": "__main__"}
    try:
        for number, source in enumerate(code_cells(path), start=1):
            sink = contextlib.nullcontext() if show_output else contextlib.redirect_stdout(io.StringIO())
            with sink:
                try:
                    exec(compile(source, f"<{path.name} code cell {number}>", "exec"), namespace)  # noqa: S102
                except Exception as error:  # a buggy example may raise in a demonstration cell; measure anyway
                    print(f"  [{path.name} code cell {number} raised {type(error).__name__}: {error}]", file=sys.stderr)
    finally:
        keras.utils.set_random_seed = original
    return namespace


def measure(ns: dict, split, shift: int) -> dict:
    values: dict = {}
    x_test, images = split.x_test, split.all_images

    def attempt(name, compute):
        try:
            values[name] = float(compute())
        except Exception as error:  # noqa: BLE001 - a broken example: report, keep measuring the rest
            values[name] = float("nan")
            print(f"  [{name}: {type(error).__name__}: {error}]", file=sys.stderr)

    def mse(a, b):
        return float(np.mean((np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) ** 2))

    attempt("test_mse", lambda: mse(x_test, ns["autoencoder"].predict(x_test, verbose=0)))
    def validation_losses():
        record = ns["history"] if isinstance(ns.get("history"), dict) else ns["history"].history
        return np.asarray(record["val_loss"], dtype=float)

    attempt("epochs", lambda: validation_losses().size)
    attempt("val_loss_last_over_first", lambda: validation_losses()[-1] / validation_losses()[0])
    # how far the last epoch rose above the best value before the last 5 (check_no_late_divergence's window)
    attempt("late_rise", lambda: validation_losses()[-1] / validation_losses()[:-5].min() - 1
            if validation_losses().size > 5 else 0.0)

    noisy = np.clip(x_test + 0.5 * np.random.default_rng(2024).normal(size=x_test.shape), 0, 1).astype("float32")
    attempt("denoise_ratio", lambda: mse(x_test, ns["denoiser"].predict(noisy, verbose=0)) / mse(x_test, noisy))

    generator = np.random.default_rng(5)
    anomalies = {"scrambled": np.stack([generator.permutation(im.ravel()).reshape(im.shape) for im in x_test]),
                 "inverted": 1.0 - x_test, "shifted": np.roll(x_test, shift, axis=2)}
    scores, model = ns["anomaly_scores"], ns["autoencoder"]
    for kind, batch in anomalies.items():
        attempt(f"auc_{kind}", lambda batch=batch: roc_auc(scores(model, x_test), scores(model, batch)))

    def interpolation_gap():
        encoder, decoder = ns["encoder"], ns["decoder"]
        frames = np.asarray(ns["interpolate"](encoder, decoder, x_test[2], x_test[5], 7), dtype=float)
        codes = encoder.predict(np.stack([x_test[2], x_test[5]]), verbose=0)
        expected = decoder.predict(np.linspace(codes[0], codes[1], 7).astype("float32"), verbose=0)
        return np.abs(frames - expected).max()

    attempt("interpolation_gap", interpolation_gap)

    def copies(model, inputs, key):
        verdict = copy_verdict(model.predict(inputs, verbose=0), images)
        values[f"lowest_distance_{key}"] = verdict.lowest_distance
        return verdict.fraction

    attempt("copies_reconstructed", lambda: copies(ns["autoencoder"], x_test, "reconstructed"))
    attempt("copies_denoised", lambda: copies(ns["denoiser"], noisy, "denoised"))
    attempt("decoder_weight_effect", lambda: model_dependence(
        ns["decoder"], ns["encoder"].predict(x_test[:256], verbose=0)).weight_effect)
    attempt("denoiser_weight_effect", lambda: model_dependence(ns["denoiser"], noisy[:256]).weight_effect)
    return values


def parse_seeds(text: str) -> list[int]:
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return list(range(int(text)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, default=[REFERENCE])
    parser.add_argument("--seeds", default="0-9", help="'0-9' (a range) or '3' (seeds 0, 1, 2); default 0-9")
    parser.add_argument("--show-output", action="store_true", help="print what the notebook's cells print")
    parser.add_argument("--scale", choices=SCALES, default="small",
                        help="the data: small (8x8 digits, default) or full (Fashion-MNIST)")
    parser.add_argument("--json", type=Path, help="also append every measurement to this file, one JSON line each")
    args = parser.parse_args(argv)

    import keras

    # The notebook's data cell reads the scale from the environment, as it does under the grader.
    os.environ[SCALE_VARIABLE] = args.scale
    split = autoencoder_split(args.scale)
    seeds = parse_seeds(args.seeds)
    for path in args.notebooks:
        print(f"\n{path} (Keras {keras.__version__}, {keras.backend.backend()} backend), {args.scale} scale, "
              f"seeds {seeds}")
        rows = []
        for seed in seeds:
            started = time.monotonic()
            keras.backend.clear_session()
            namespace = run_notebook(path, seed, args.show_output)
            rows.append(measure(namespace, split, SHIFT[args.scale]))
            seconds = time.monotonic() - started
            print(f"  seed {seed}: ran and measured in {seconds:.1f} s", flush=True)
            if args.json:
                with args.json.open("a") as file:
                    file.write(json.dumps({"notebook": path.name, "scale": args.scale, "seed": seed,
                                           "backend": keras.backend.backend(), "seconds": round(seconds, 1),
                                           **rows[-1]}) + "\n")
        print(f"  {'measure':<26}{'test bound':>16}{'seed ' + str(seeds[0]):>11}{'min':>11}{'max':>11}{'mean':>11}")
        for name, (kind, bounds) in BANDS.items():
            bound = bounds[args.scale]
            column = np.array([row.get(name, np.nan) for row in rows])
            inside = (column <= bound) if kind == "at most" else (column >= bound)
            flag = "" if inside.all() else f"   <- {int((~inside).sum())} of {len(column)} outside"
            measured = column[np.isfinite(column)]
            spread = (measured.min(), measured.max(), measured.mean()) if measured.size else (np.nan,) * 3
            print(f"  {name:<26}{kind + ' ' + format(bound, 'g'):>16}{column[0]:>11.4g}"
                  + "".join(f"{value:>11.4g}" for value in spread) + flag)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
