"""The submission service under load: N students upload within a few seconds on loopback while grading runs.

Usage:
  python benchmarks/bench_service.py --students 100 --spread 10 --workers 2 --runs 3

Each run makes a fresh course (the temperature lab, due in a week), invites N students with upload keys, starts
`autograder serve` as its own process, and has N threads upload one notebook each at random moments within
SPREAD seconds (the example submissions in turn, less the infinite loop). It records every upload's latency
(until the service answered 201 or refused with a reason), the time from the first upload to the first and the
last feedback (the jobs' finish times in the database), and checks that every upload was accepted or refused with
a reason and every accepted one graded exactly once. Then `autograder grade` grades the same N notebooks with the
same number of workers in a fresh folder, for the throughput ratio. Results are printed as Markdown and appended
to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.service import auth  # noqa: E402
from autograder.service.store import Store  # noqa: E402

EXAMPLES = sorted(p for p in (ROOT / "examples" / "temperature" / "submissions").glob("*.ipynb")
                  if p.stem != "infinite_loop")


def course(folder: Path) -> Path:
    shutil.copytree(ROOT / "solutions" / "temperature", folder / "solutions" / "temperature")
    rubric = yaml.safe_load((ROOT / "rubrics" / "temperature.yml").read_text(encoding="utf-8"))
    due = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)
    rubric["due"] = due.replace(microsecond=0).isoformat()
    rubric["submissions"] = {"per_day": 100}
    (folder / "rubrics").mkdir()
    (folder / "rubrics" / "temperature.yml").write_text(yaml.safe_dump(rubric, sort_keys=False), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "autograder.cli", "--root", str(folder), "build", "temperature"],
                   check=True, stdout=subprocess.DEVNULL)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_run(students: int, spread: float, workers: int, scratch: Path) -> dict:
    root = course(scratch / "course")
    data = scratch / "data"
    store = Store(data)
    keys = {}
    for number in range(students):
        student = f"s{number:03d}"
        store.add_user(student, "student")
        keys[student] = auth.new_token()
        store.set_upload_key(student, auth.token_hash(keys[student]))
    port = free_port()
    log = open(scratch / "service.log", "wb")
    service = subprocess.Popen([sys.executable, "-m", "autograder.cli", "--root", str(root), "serve", "--data",
                                str(data), "--port", str(port), "--workers", str(workers), "--cell-timeout", "20"],
                               stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(url + "/health", timeout=2)
            break
        except requests.ConnectionError:
            if service.poll() is not None or time.monotonic() > deadline:
                raise SystemExit((scratch / "service.log").read_text())
            time.sleep(0.2)
    time.sleep(3)  # the graders' warm kernels start before the first upload, as in a running service
    latencies, answers, lock = [], {}, threading.Lock()
    plan = random.Random(2026)
    moments = sorted(plan.uniform(0, spread) for _ in range(students))
    start = time.time()

    def upload(index: int) -> None:
        student = f"s{index:03d}"
        time.sleep(max(0.0, start + moments[index] - time.time()))
        notebook = EXAMPLES[index % len(EXAMPLES)]
        began = time.perf_counter()
        response = requests.post(f"{url}/assignments/temperature/submissions", timeout=60,
                                 headers={"Authorization": f"Bearer {keys[student]}"},
                                 files={"notebook": (notebook.name, notebook.read_bytes())})
        with lock:
            latencies.append(time.perf_counter() - began)
            answers[student] = (response.status_code, response.json())

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(students)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    uploads_done = time.time() - start
    accepted = [s for s, (code, _) in answers.items() if code == 201]
    refused = {s: body.get("error") for s, (code, body) in answers.items() if code != 201}
    assert all(refused.values()), f"a refusal without a reason: {refused}"
    deadline = time.monotonic() + 1800
    while store.counts().get("done", 0) < len(accepted):
        assert service.poll() is None and time.monotonic() < deadline, store.counts()
        time.sleep(0.5)
    finished = [row[0] for row in store.db.execute("SELECT finished FROM jobs WHERE state = 'done'")]
    results = store.db.execute("SELECT COUNT(*), COUNT(DISTINCT job_id) FROM results").fetchone()
    assert tuple(results) == (len(accepted), len(accepted)), f"results {tuple(results)} for {len(accepted)} uploads"
    os.killpg(service.pid, signal.SIGTERM)
    service.wait(timeout=120)
    log.close()
    service_s = max(finished) - start

    batch = scratch / "batch"
    batch.mkdir()
    for index in range(students):
        shutil.copy(EXAMPLES[index % len(EXAMPLES)], batch / f"s{index:03d}.ipynb")
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder.cli", "--root", str(root), "grade", "temperature", str(batch),
                    "--out", str(scratch / "graded"), "--workers", str(workers), "--cell-timeout", "20"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    grade_s = time.perf_counter() - began
    latencies.sort()
    why = sorted({reason.split(": ", 1)[-1].split(".")[0] for reason in refused.values()})
    return {"accepted": len(accepted), "refused": len(refused), "uploads_s": uploads_done, "why": why,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "first_s": min(finished) - start, "last_s": service_s, "grade_s": grade_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which the uploads come")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for number in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-service-") as scratch:
            runs.append(one_run(args.students, args.spread, args.workers, Path(scratch)))
        print(f"run {number + 1}: {runs[-1]}", file=sys.stderr)
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0] if key != "why"}
    command = (f"python benchmarks/bench_service.py --students {args.students} --spread {args.spread:g} "
               f"--workers {args.workers} --runs {args.runs}")
    lines = [f"### The submission service under load: {args.students} uploads within {args.spread:g} s", "",
             f"{datetime.date.today()}, {platform.node() or 'machine'}: {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; `{command}`; medians of {args.runs} run(s)", "",
             "| measure | median | runs |", "|---|---:|---|"]
    rows = [("uploads accepted", "accepted", "{:.0f}"), ("uploads refused (each with its reason)", "refused", "{:.0f}"),
            ("upload latency p50 (ms)", "p50_ms", "{:.0f}"), ("upload latency p99 (ms)", "p99_ms", "{:.0f}"),
            ("first feedback after the first upload (s)", "first_s", "{:.1f}"),
            ("last feedback after the first upload (s)", "last_s", "{:.1f}"),
            (f"`autograder grade` of the same {args.students} (s)", "grade_s", "{:.1f}")]
    for label, key, form in rows:
        lines.append(f"| {label} | {form.format(median[key])} | "
                     f"{', '.join(form.format(run[key]) for run in runs)} |")
    ratio = median["last_s"] / median["grade_s"]
    reasons = sorted({reason for run in runs for reason in run["why"]})
    lines += ["", f"Refusals said: {'; '.join(reasons) or 'none'} (every eighth upload is the corpus's "
                  "not_json.ipynb).", "",
              f"The service took {ratio:.2f}x the time of `autograder grade` for the same notebooks "
              "(from the first upload to the last feedback, uploads included).", ""]
    text = "\n".join(lines)
    print(text)
    with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as results:
        results.write("\n" + text)


if __name__ == "__main__":
    main()
