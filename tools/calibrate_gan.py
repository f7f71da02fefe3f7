"""Pass rates of gan_debug's Questions 3 and 4 over many seeds, per Keras backend.

For each corpus notebook (examples/gan_debug/submissions: the reference, the valid alternatives and each
planted bug alone) and each seed, this runs exactly what the hidden tests run, with the thresholds of
autograder/checks/gan.py:

* q3: Keras seeded with the seed (the models' initial weights), then ``best_ring_run`` (up to three
  checker-seeded trainings on the ring, stopping at the first that passes or at a hopeless one);
* q4: Keras seeded with the seed, the notebook's digits training cell, then the digits checks.

The notebook's definitions are executed in this process (this is a calibration tool for the tutor's own
notebooks, not a grading path). Results go to a JSON file: per backend and notebook, the pass rates and the
spread of every metric, plus every single run (a run of one part, --parts ring or digits, replaces that part's
numbers and keeps the other's). Each backend needs its own process:

    KERAS_BACKEND=tensorflow python tools/calibrate_gan.py --seeds 20 --jobs 2 --out rubrics/gan_debug.calibration.json

``--out`` merges into an existing file (one backend's results replace that backend's).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "examples" / "gan_debug" / "submissions"
DEFAULT_NOTEBOOKS = ["reference", "alt_label_smoothing", "alt_optimizers", "alt_functional_logits", "alt_frozen_copy",
                     "bug_output_range", "bug_logits_loss", "bug_frozen_discriminator", "bug_same_labels",
                     "bug_generator_fake_labels", "shortcut_numpy_ring", "shortcut_real_digits"]
OTTER_LINE = re.compile(r"^\s*(import otter|grader\s*=\s*otter\.Notebook\(.*\))\s*$", re.MULTILINE)


def notebook_parts(path: Path) -> tuple[list[str], str]:
    """The notebook's code cells without its two training runs, and the digits training cell."""
    import nbformat

    cells = [OTTER_LINE.sub("", c.source) for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    digits = [c for c in cells if "digits_history = train_gan(" in c]
    definitions = [c for c in cells if "train_gan(generator, discriminator, sample_ring" not in c and c not in digits
                   and "grader.check" not in c]
    return definitions, digits[0]


def calibrate(notebook: str, seeds: list[int], parts: tuple[str, ...] = ("ring", "digits")) -> list[dict]:
    """Every seed's q3 and q4 outcome for one notebook (runs in a worker process)."""
    import keras

    from autograder.checks import gan, gan_digits

    definitions, digits_cell = notebook_parts(CORPUS / f"{notebook}.ipynb")
    namespace: dict = {"__name__": "__calibration__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in definitions:
            exec(compile(source, notebook, "exec"), namespace)  # noqa: S102 - the course's own notebooks
    results = []
    for seed in seeds:
        result: dict = {"notebook": notebook, "seed": seed, "seconds": {}}
        if "ring" in parts:
            keras.utils.set_random_seed(seed)
            started = time.perf_counter()
            runs: list = []
            best = gan.best_ring_run(namespace["train_gan"], namespace["make_generator"],
                                     namespace["make_discriminator"], namespace["sample_ring"], runs=runs)
            result["seconds"]["ring"] = round(time.perf_counter() - started, 1)
            result["q3_pass"] = best.passes
            result["ring_runs"] = [
                {"checker_seed": r.seed, "passes": r.passes, "near_fraction": round(r.near_fraction, 4),
                 "modes_covered": r.modes_covered, "d_tail": round(r.tail(r.d_loss), 4) if len(r.d_loss) else None,
                 "g_tail": round(r.tail(r.g_loss), 4) if len(r.g_loss) else None,
                 "untrained_near_fraction": round(r.untrained_near_fraction, 4), **_dependence(r.dependence),
                 "shortcut": bool(r.shortcut)} for r in runs]
            print(f"{notebook} seed {seed}: q3 {'pass' if best.passes else 'FAIL'} (near {best.near_fraction:.2f}, "
                  f"modes {best.modes_covered}, runs {len(runs)}) [{result['seconds']['ring']:.0f} s]", flush=True)
        if "digits" in parts:
            keras.utils.set_random_seed(seed)
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(digits_cell, notebook, "exec"), namespace)  # noqa: S102
            run = gan_digits.digits_run(namespace["digits_generator"])
            quality = run.quality
            result["seconds"]["digits"] = round(time.perf_counter() - started, 1)
            result["q4_pass"] = not run.shortcut and gan_digits.digits_pass(
                quality.classes_covered, quality.mean_confidence, quality.frechet)
            result["digits"] = {"classes_covered": quality.classes_covered, "frechet": round(quality.frechet, 3),
                                "mean_confidence": round(quality.mean_confidence, 4),
                                "copy_fraction": round(run.copies.fraction, 4),
                                "lowest_copy_distance": round(run.copies.lowest_distance, 6),
                                "median_copy_distance": round(run.copies.median_distance, 6),
                                **_dependence(run.dependence), "shortcut": bool(run.shortcut)}
            print(f"{notebook} seed {seed}: q4 {'pass' if result['q4_pass'] else 'FAIL'} (classes "
                  f"{quality.classes_covered}, confidence {quality.mean_confidence:.2f}, "
                  f"frechet {quality.frechet:.1f}) [{result['seconds']['digits']:.0f} s]", flush=True)
        results.append(result)
    return results


def _dependence(dependence) -> dict:
    """The dependence numbers of autograder/checks/copies.py, rounded for the report."""
    if dependence is None:
        return {}
    return {"weight_effect": round(dependence.weight_effect, 4), "input_spread": round(dependence.input_spread, 4),
            "repeat_gap": dependence.repeat_gap, "restore_gap": dependence.restore_gap}


def _spread(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {}
    return {"min": min(values), "median": round(statistics.median(values), 4), "max": max(values)}


def judge(result: dict) -> dict:
    """The q3 and q4 verdicts of one seed from its stored numbers, with the thresholds of autograder/checks/gan.py
    as they are now (so changed thresholds are re-judged without training again: --judge-only)."""
    from autograder.checks import gan, gan_digits

    judged = dict(result)
    if "ring_runs" in result:
        runs = []
        for run in result["ring_runs"]:
            passes = run["d_tail"] is not None and not run.get("shortcut") and gan.ring_run_passes(
                run["near_fraction"], run["modes_covered"], run["d_tail"], run["g_tail"])
            runs.append({**run, "passes": passes})
            if runs[-1]["passes"] or run.get("shortcut"):  # the checker stops here too
                break
        judged["ring_runs"], judged["q3_pass"] = runs, runs[-1]["passes"]
    if "digits" in result:
        digits = result["digits"]
        judged["q4_pass"] = not digits.get("shortcut") and gan_digits.digits_pass(
            digits["classes_covered"], digits["mean_confidence"], digits["frechet"])
    return judged


def summarise(results: list[dict]) -> dict:
    summary = {}
    for notebook in dict.fromkeys(r["notebook"] for r in results):
        mine = [r for r in results if r["notebook"] == notebook]
        line: dict = {"seeds": len(mine)}
        ring = [r for r in mine if "q3_pass" in r]
        if ring:
            single = [run for r in ring for run in r["ring_runs"]]
            line["q3_pass_rate"] = sum(r["q3_pass"] for r in ring) / len(ring)
            line["q3_single_run_pass_rate"] = round(sum(run["passes"] for run in single) / len(single), 4)
            line["ring"] = {key: _spread([run.get(key) for run in single])
                            for key in ("near_fraction", "modes_covered", "d_tail", "g_tail", "untrained_near_fraction",
                                        "weight_effect", "input_spread", "repeat_gap", "restore_gap")}
            line["ring"] = {key: spread for key, spread in line["ring"].items() if spread}
        digits = [r for r in mine if "q4_pass" in r]
        if digits:
            line["q4_pass_rate"] = sum(r["q4_pass"] for r in digits) / len(digits)
            line["digits"] = {key: _spread([r["digits"].get(key) for r in digits])
                              for key in ("classes_covered", "mean_confidence", "frechet", "copy_fraction",
                                          "lowest_copy_distance", "median_copy_distance", "weight_effect",
                                          "input_spread", "repeat_gap", "restore_gap")}
            line["digits"] = {key: spread for key, spread in line["digits"].items() if spread}
        line["median_seconds"] = {key: statistics.median(r["seconds"][key] for r in mine if key in r["seconds"])
                                  for key in ("ring", "digits") if any(key in r["seconds"] for r in mine)}
        summary[notebook] = line
    return summary


def thresholds() -> dict:
    from autograder.checks import copies, gan, gan_digits

    names = {gan: ("RING_STEPS", "RING_BATCH", "CHECKER_SEEDS", "NEAR_RADIUS", "MIN_NEAR_FRACTION",
                   "MIN_MODES_COVERED", "MODE_SHARE", "HOPELESS_NEAR_FRACTION", "TAIL", "MIN_TAIL_LOSS",
                   "MAX_TAIL_LOSS", "MAX_UNTRAINED_NEAR_FRACTION"),
             gan_digits: ("DIGITS_SAMPLES", "MIN_DIGIT_CLASSES", "MIN_DIGIT_CONFIDENCE", "MAX_DIGIT_FRECHET"),
             copies: ("COPY_DISTANCE", "MAX_COPY_FRACTION", "MIN_WEIGHT_EFFECT", "REPEAT_TOLERANCE",
                      "MIN_INPUT_SPREAD")}
    return {name: getattr(module, name) for module, module_names in names.items() for name in module_names}


def write_report(path: Path, backend: str, results: list[dict], minutes: float | None) -> dict:
    """Merge one backend's new results into the report at ``path``, judge every run again, and save it."""
    report = json.loads(path.read_text()) if path.is_file() else {}
    runs = {(r["notebook"], r["seed"]): r for r in report.get(backend, {}).get("runs", [])}
    for result in results:  # a part run again replaces that part; the other part's numbers stay
        before = runs.get((result["notebook"], result["seed"]), {})
        runs[result["notebook"], result["seed"]] = {**before, **result,
                                                    "seconds": {**before.get("seconds", {}), **result["seconds"]}}
    merged = [judge(r) for r in sorted(runs.values(), key=lambda r: (r["notebook"], r["seed"]))]
    entry = report.get(backend, {})
    if minutes is not None:
        entry.update(date=time.strftime("%Y-%m-%d"), machine=os.uname().nodename, cpus=os.cpu_count(),
                     minutes_last_run=minutes)
    report[backend] = {**entry, "thresholds": thresholds(), "summary": summarise(merged), "runs": merged}
    path.write_text(json.dumps(report, indent=1) + "\n")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Pass rates of gan_debug's q3 and q4 over seeds, for one backend.")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per notebook (default 20)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--notebooks", nargs="*", default=DEFAULT_NOTEBOOKS)
    parser.add_argument("--parts", nargs="*", choices=["ring", "digits"], default=["ring", "digits"],
                        help="what to calibrate: the ring (q3), the digits (q4) or both (default)")
    parser.add_argument("--judge-only", action="store_true",
                        help="train nothing: judge the runs already in --out again with the current thresholds")
    parser.add_argument("--out", type=Path, default=ROOT / "rubrics" / "gan_debug.calibration.json")
    args = parser.parse_args(argv)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if args.judge_only:
        for backend in json.loads(args.out.read_text()):
            report = write_report(args.out, backend, [], None)
            _print_summary(backend, report[backend]["summary"])
        return
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    chunks = [(notebook, [seed], tuple(args.parts)) for notebook in args.notebooks for seed in seeds]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = sorted((r for chunk in pool.map(calibrate, *zip(*chunks)) for r in chunk),
                         key=lambda r: (args.notebooks.index(r["notebook"]), r["seed"]))
    report = write_report(args.out, backend, results, round((time.perf_counter() - started) / 60, 1))
    _print_summary(backend, report[backend]["summary"])


def _print_summary(backend: str, summary: dict) -> None:
    for notebook, line in summary.items():
        rates = [f"{key.removesuffix('_rate')} {line[key]:.0%}"
                 for key in ("q3_pass_rate", "q3_single_run_pass_rate", "q4_pass_rate") if key in line]
        print(f"{backend:>10} {notebook:<28} " + "  ".join(rates))


if __name__ == "__main__":
    main()
