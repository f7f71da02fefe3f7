"""Grading on a Dask cluster: each task grades one submission where it runs and returns its result as JSON.

The workers must see the same course folder (solutions/, assignments/, dist/) at the same path, as on a
shared file system; the gradebook stays with the client, so resuming works as with local grading.
Workers keep a warm kernel per worker thread, as the local pool does. Every setting travels in the job
(``autograder.job``): the Keras backend, the image, limits, seed; the worker adds only its GPU.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator

from autograder.results import SubmissionResult
from autograder.scheduler import Batch


class DaskScheduler:
    def __init__(self, address: str, connect_timeout_s: float = 30):
        try:
            from distributed import Client
        except ImportError:
            raise RuntimeError("--scheduler needs dask's distributed package: pip install 'dask[distributed]'")
        try:
            self.client = Client(address, timeout=connect_timeout_s)
        except OSError as error:
            raise RuntimeError(f"cannot reach the Dask scheduler at {address} ({error}); start it with "
                               "`dask scheduler` and workers with `dask worker ADDRESS`") from None

    def run(self, batch: Batch, jobs: list) -> Iterator[SubmissionResult]:
        """Each task receives one job's JSON and returns its result's JSON. A job that needs a GPU runs on a worker
        that offers one (``dask worker --resources GPU=1``, with its ``CUDA_VISIBLE_DEVICES``). A task that errs (its
        worker died, say) is recorded as that student's failed result; the rest go on.

        No more tasks are in the cluster than it has slots (worker threads, or GPUs) to run them: a task queued on
        a worker behind another would die with it if the other's student crashed the worker, and be recorded as a
        failure of a student who did nothing wrong. The slots are counted again as tasks finish, so workers that
        join while the batch runs get work."""
        from distributed import as_completed

        from autograder.grading import grading_failed

        gpu = any(job.options.needs_gpu for job in jobs)
        if gpu and not self._slots(gpu):
            raise RuntimeError("--gpus asks for GPU workers, but no worker of the Dask cluster offers one; start "
                               "them with `dask worker ADDRESS --resources GPU=1` and one CUDA_VISIBLE_DEVICES each")
        waiting = list(enumerate(jobs))[::-1]
        running = as_completed()
        owners = {}

        def fill() -> None:
            slots = max(1, self._slots(gpu))  # asked of the scheduler once per finished task
            while waiting and len(owners) < slots:
                index, job = waiting.pop()
                future = self.client.submit(run_job_task, json.dumps(job.to_json()), pure=False,
                                            key=f"grade-{job.student}-{index}",
                                            resources={"GPU": 1} if job.options.needs_gpu else None)
                owners[future.key] = job
                running.add(future)

        fill()
        for future in running:
            job = owners.pop(future.key)
            try:
                result = SubmissionResult.from_json(json.loads(future.result()))
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # noqa: BLE001 - KilledWorker, a worker's error, a malformed answer
                result = grading_failed(batch, job.submission(), error)
            future.release()
            fill()
            yield result  # outside the try: a GeneratorExit thrown in here must end the generator

    def _slots(self, gpu: bool) -> int:
        """How many tasks the cluster can run at once: its worker threads, or the GPUs its workers offer."""
        workers = self.client.scheduler_info().get("workers", {}).values()
        if gpu:
            return sum(int(worker.get("resources", {}).get("GPU", 0)) for worker in workers)
        return sum(int(worker.get("nthreads", 1)) for worker in workers)

    def close(self) -> None:
        self.client.close()


_WORKER = threading.local()


def own_gpu() -> str:
    """The GPU of this Dask worker: the first of its CUDA_VISIBLE_DEVICES."""
    devices = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    if not devices:
        raise RuntimeError("this Dask worker offers a GPU but has no CUDA_VISIBLE_DEVICES; start it with one")
    return devices[0].strip()


def run_job_task(text: str) -> str:
    """Runs on a Dask worker: grade one job (its JSON) with ``run_job``, return the result as JSON text.

    Whatever grading raises (a SystemExit too, which Dask would let end the worker) becomes this submission's
    failed result; a worker that cannot even load the assignment raises a plain error, which the client records.
    """
    from autograder.grading import Worker, grading_failed, run_job
    from autograder.job import GradingJob
    from autograder.kernel_pool import KernelBudget
    from autograder.scheduler import Batch

    try:
        job = GradingJob.from_json(json.loads(text))
        gpu = own_gpu() if job.options.needs_gpu else None
        worker = getattr(_WORKER, "worker", None)
        if worker is None or worker.gpu != gpu:
            if worker is not None:
                worker.close()
            _WORKER.worker = worker = Worker(gpu, warm=True, budget=KernelBudget(10**9))
        assignment, manifest, tests = worker.load(job)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - no tests to fail yet: the client records it for this student
        raise RuntimeError(f"the Dask worker could not prepare the job ({type(error).__name__}: {error})") from None
    try:
        result = run_job(job, worker)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - one submission must not take the worker or the batch with it
        result = grading_failed(Batch(assignment, manifest, tests), job.submission(), error)
    return json.dumps(result.to_json())
