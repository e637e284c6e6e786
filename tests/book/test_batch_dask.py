"""`tailor batch --scheduler`: the same batch on a real dask.distributed cluster (a scheduler and two
workers started as processes here), with the pool's results, and a worker killed mid-batch costing
nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tailor.batch.runner import BatchSettings, run_batch
from tailor.batch.summary import BookReport
from tailor.decision_log.store import DecisionLog
from tests.book.conftest import ROOT, make_book
from tests.book.test_batch_pool import _plan_files

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]


def _start(args: list[str], folder: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the workers import this tree's tailor
    log = (folder / f"{name}.log").open("w")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    folder = tmp_path_factory.mktemp("cluster")
    address_file = folder / "scheduler.json"
    scheduler = _start([*DASK, "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                        "--scheduler-file", str(address_file)], folder, "scheduler")
    deadline = time.monotonic() + 30
    while not address_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    address = json.loads(address_file.read_text())["address"]
    workers = [_start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                       "--no-nanny", "--no-dashboard", "--name", f"w{i}"], folder, f"worker{i}")
               for i in range(2)]
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=30)
    yield address, workers
    for process in [*workers, scheduler]:
        process.terminate()
    for process in [*workers, scheduler]:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: do not leave it running
            process.kill()
            process.wait()


def test_dask_gives_the_pools_results(cluster, tmp_path: Path) -> None:
    address, _ = cluster
    book = make_book(tmp_path, 4)
    on_dask = run_batch(book, tmp_path / "dask", BatchSettings(scheduler=address))
    assert on_dask.run.backend == "dask" and on_dask.run.workers == 2
    assert on_dask.totals.verified == 4 and on_dask.run.markets_loaded <= 2
    run_batch(book, tmp_path / "pool", BatchSettings(workers=2))
    assert _plan_files(tmp_path / "dask") == _plan_files(tmp_path / "pool")


def test_an_unreachable_scheduler_is_a_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policy_lang.diagnostics import TailorError

    monkeypatch.setattr("tailor.batch.backends.CONNECT_SECONDS", 1)  # nothing listens on port 9

    book = make_book(tmp_path, 1)
    with pytest.raises(TailorError) as found:
        run_batch(book, tmp_path / "out", BatchSettings(scheduler="tcp://127.0.0.1:9"))
    assert found.value.diagnostics[0].code == "B109"
    with pytest.raises(TailorError) as bad:
        run_batch(book, tmp_path / "out", BatchSettings(scheduler="localhost"))
    assert bad.value.diagnostics[0].code == "B108"


def test_a_killed_dask_worker_loses_nothing_and_repeats_nothing(cluster, tmp_path: Path) -> None:
    address, workers = cluster
    book = make_book(tmp_path, 8, lots=60)
    out = tmp_path / "out"
    log = DecisionLog(str(tmp_path / "log.db"))
    reports: list[BookReport] = []
    batch = threading.Thread(target=lambda: reports.append(
        run_batch(book, out, BatchSettings(scheduler=address), log=log)))
    batch.start()
    deadline = time.monotonic() + 60
    while not list(out.glob("*/decision.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(out.glob("*/decision.json"))) < 8, "the batch ended before the kill"
    os.kill(workers[0].pid, signal.SIGKILL)  # no nanny: the worker is gone for good
    batch.join(timeout=120)
    (report,) = reports
    assert report.totals.verified == 8 and len(report.accounts) == 8
    from sqlalchemy import select

    from tailor.decision_log.schema import decisions

    with log.engine.connect() as conn:
        logged = sorted(row.id for row in conn.execute(select(decisions.c.id)))
    assert logged == [f"acct-{i:02d}" for i in range(8)]
    assert sorted(p.parent.name for p in out.glob("*/result.json")) == logged
