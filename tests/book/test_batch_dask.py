"""`tailor batch --scheduler`: the same batch on a real dask.distributed cluster (a scheduler and two
workers under nannies, started as processes here), with the pool's results, and a worker killed
mid-batch costing nothing."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tailor.batch import backends
from tailor.batch.runner import BatchSettings, run_batch
from tailor.decision_log.store import DecisionLog
from tests.book.conftest import ROOT, finish_within, make_book
from tests.book.dying_tasks import mark, run_task_then_lose_the_worker
from tests.book.test_batch_pool import _plan_files

START_SECONDS = 180  # for the cluster to come up (and a killed worker to be back) on a loaded machine
STOP_SECONDS = 20  # for each process to end when asked, before it is killed


def _start(args: list[str], folder: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the workers import this tree's tailor and tests
    with (folder / f"{name}.log").open("w") as log:
        # a session of its own: stopping it reaches its children (a nanny's worker) too
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(processes: list[subprocess.Popen]) -> None:
    """Ask each process group to end, then kill what is left: teardown cannot hang."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group: a nanny's worker may outlive the nanny
        process.wait()


def _address(scheduler: subprocess.Popen, address_file: Path) -> str:
    deadline = time.monotonic() + START_SECONDS
    while not address_file.exists():
        assert scheduler.poll() is None, "the scheduler exited; see its log"
        assert time.monotonic() < deadline, f"no scheduler within {START_SECONDS} s"
        time.sleep(0.1)
    return json.loads(address_file.read_text())["address"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("cluster")
    address_file = folder / "scheduler.json"
    processes = [_start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                         "--port", "0", "--no-dashboard", "--scheduler-file", str(address_file)],
                        folder, "scheduler")]
    try:
        address = _address(processes[0], address_file)
        processes += [_start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                              "--no-dashboard", "--name", f"w{i}"], folder, f"worker{i}") for i in range(2)]
        yield address
    finally:
        _stop(processes)


@pytest.fixture
def two_workers(cluster: str) -> str:
    """The cluster once both workers are up (again: a nanny restarts a killed worker)."""
    from distributed import Client

    with Client(cluster, timeout=START_SECONDS) as client:
        client.wait_for_workers(2, timeout=START_SECONDS)
    return cluster


def test_dask_gives_the_pools_results(two_workers: str, tmp_path: Path) -> None:
    book = make_book(tmp_path, 4)
    on_dask = run_batch(book, tmp_path / "dask", BatchSettings(scheduler=two_workers))
    assert on_dask.run.backend == "dask" and on_dask.run.workers == 2
    assert on_dask.totals.verified == 4 and on_dask.run.markets_loaded <= 2
    run_batch(book, tmp_path / "pool", BatchSettings(workers=2))
    assert _plan_files(tmp_path / "dask") == _plan_files(tmp_path / "pool")


def test_an_unreachable_scheduler_is_a_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.diagnostics import TailorError

    monkeypatch.setattr("tailor.batch.backends.CONNECT_SECONDS", 1)  # nothing listens on port 9

    book = make_book(tmp_path, 1)
    with pytest.raises(TailorError) as found:
        run_batch(book, tmp_path / "out", BatchSettings(scheduler="tcp://127.0.0.1:9"))
    assert found.value.diagnostics[0].code == "B109"
    with pytest.raises(TailorError) as bad:
        run_batch(book, tmp_path / "out", BatchSettings(scheduler="localhost"))
    assert bad.value.diagnostics[0].code == "B108"


def test_a_killed_dask_worker_loses_nothing_and_repeats_nothing(two_workers: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker deciding acct-02 dies (SIGKILL) after the work and before the hand-off; the scheduler
    gives the account to a worker again, and it is written and logged once."""
    book = make_book(tmp_path, 6)
    mark(tmp_path / "accounts/acct-02/account.yaml")
    monkeypatch.setattr(backends, "run_task", run_task_then_lose_the_worker)
    out = tmp_path / "out"
    log = DecisionLog(str(tmp_path / "log.db"))
    report = finish_within(600, lambda: run_batch(book, out, BatchSettings(scheduler=two_workers), log=log))
    ids = [f"acct-{i:02d}" for i in range(6)]
    assert report.totals.verified == 6 and [d.id for d in report.accounts] == ids
    assert not (tmp_path / "accounts/acct-02/interrupt-here").exists()  # removed only by the dying attempt
    from sqlalchemy import select

    from tailor.decision_log.schema import decisions

    with log.engine.connect() as conn:
        logged = sorted(row.id for row in conn.execute(select(decisions.c.id)))
    assert logged == ids
    assert sorted(p.parent.name for p in out.glob("*/result.json")) == ids
