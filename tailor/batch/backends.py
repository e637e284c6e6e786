"""Where a batch's accounts run: a local process pool (pebble) or a Dask cluster (dask.distributed).

Both yield each task's outcome exactly once, in completion order. A worker process that dies (killed,
out of memory) takes only its own account down: pebble reports that task's `ProcessExpired` and
replaces the process, Dask's scheduler moves the task to another worker; either way the account is
tried again, up to `MAX_ATTEMPTS` times, then reported as B107 while the others go on. Outputs are
committed by the caller as outcomes arrive, so a retried account is written once.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Protocol

from pebble import ProcessExpired, ProcessPool

from core.diagnostics import TailorError, error
from tailor.batch.task import Outcome, Task, failed_outcome, run_task

MAX_ATTEMPTS = 3  # as Dask's default `allowed-failures`: a task that kills 3 workers is given up
SCHEDULER_ADDRESS = re.compile(r"(tcp|tls|inproc|ucx)://[^\s/]+(:\d+)?/?")
CONNECT_SECONDS = 10


class Backend(Protocol):
    name: str
    workers: int
    retried: int | None  # worker deaths survived; None when the backend does not say

    def run(self, tasks: list[Task]) -> Iterator[Outcome]: ...


def _died(task: Task, attempts: int) -> Outcome:
    return failed_outcome(task, error(
        "B107", f"the worker process running account {task.entry.id} died {attempts} times", task.entry.span,
        "rebalance it alone with `tailor rebalance` to see where it stops; check the machine's memory"))


class PoolBackend:
    """`--workers N` local processes, forked from a fork server that has imported the engine once: a
    worker starts in milliseconds instead of importing Pyomo, HiGHS and SciPy anew, and is not a fork
    of this process (whose threads, the progress bar's, a fork would copy mid-flight). Each worker
    then serves many accounts, keeping what they share (tailor.batch.task)."""

    name = "pool"

    def __init__(self, workers: int):
        if workers < 1:
            raise TailorError(error("B108", f"--workers {workers}: at least one worker is needed", None,
                                    "give --workers 1 or more (the machine's cores, at most)"))
        self.workers = workers
        self.retried: int | None = 0

    def run(self, tasks: list[Task]) -> Iterator[Outcome]:
        # Pyomo's import leaves the spawned workers' copies of pebble's channel locks registered with
        # the resource tracker, which then warns of "leaked semaphores" at exit: noise, nothing leaks
        # (the parent owns and frees them). The tracker inherits this setting when the pool starts it.
        os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning:multiprocessing.resource_tracker")
        attempts: Counter[str] = Counter()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tailor.batch.task"])  # read when the fork server first starts
        with ProcessPool(max_workers=self.workers, context=context) as pool:
            pending = {pool.schedule(run_task, args=(task,)): task for task in tasks}
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    task = pending.pop(future)
                    try:
                        yield future.result()
                    except ProcessExpired:
                        attempts[task.entry.id] += 1
                        if attempts[task.entry.id] >= MAX_ATTEMPTS:
                            yield _died(task, attempts[task.entry.id])
                        else:
                            self.retried = (self.retried or 0) + 1
                            pending[pool.schedule(run_task, args=(task,))] = task


class DaskBackend:
    """`--scheduler tcp://HOST:PORT`: the same tasks on a dask.distributed cluster. Workers should run
    one thread each (`dask worker ADDRESS --nthreads 1`): a solve is one thread of CPU, and Pyomo's
    model building holds the GIL, so threads would only queue behind one another."""

    name = "dask"

    def __init__(self, address: str):
        from distributed import Client  # the cluster client is imported only by batches that use one

        if not SCHEDULER_ADDRESS.fullmatch(address):
            raise TailorError(error("B108", f"--scheduler {address!r} is not a scheduler address", None,
                                    "give it as `dask scheduler` prints it, e.g. tcp://127.0.0.1:8786"))
        try:
            self.client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
            self.client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            raise TailorError(error("B109", f"no Dask scheduler with workers answered at {address} within "
                                    f"{CONNECT_SECONDS} s ({type(exc).__name__})", None,
                                    "start `dask scheduler` and `dask worker ADDRESS --nthreads 1`, and "
                                    "check the address")) from None
        self.workers = len(self.client.scheduler_info(n_workers=-1)["workers"])
        self.retried = None  # the scheduler retries a dead worker's tasks without telling the client

    def run(self, tasks: list[Task]) -> Iterator[Outcome]:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        futures = {self.client.submit(run_task, task, key=f"tailor-{task.options.batch}-{task.entry.id}",
                                      pure=False): task for task in tasks}
        try:
            for future in as_completed(futures, loop=self.client.loop):
                task = futures[future]
                try:
                    yield future.result()
                except KilledWorker:
                    yield _died(task, MAX_ATTEMPTS)
        finally:
            self.client.close()
