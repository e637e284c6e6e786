"""Tasks that end a batch's processes at a known point: the tests of a worker killed mid-batch and of a
batch killed mid-run, without guessing from outside when a worker is busy.

A test marks one account with a file beside its account.yaml and hands the backends one of these in
place of `run_task` (pickled by name, so the pool's and Dask's workers import this module). The first
attempt at the marked account removes the marker and interrupts; any retry runs normally. The same
account is interrupted at the same point, exactly once, however loaded the machine is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from pathlib import Path

from tailor.batch.task import Outcome, Task, run_task
from tailor.decision_log.schema import decisions

MARKER = "interrupt-here"
WAIT_SECONDS = 300  # for the decisions to be logged before the crash: generous, but a broken run ends


def mark(account: Path, note: str = "") -> None:
    """Mark the account (its account.yaml); `note` is for the interrupting task (a log's path)."""
    (account.parent / MARKER).write_text(note)


def _claim(task: Task) -> str | None:
    """The marker's note for the one attempt that removes it; None for every other attempt."""
    marker = Path(task.entry.account).parent / MARKER
    try:
        note = marker.read_text()
        marker.unlink()  # atomic: of two attempts racing here, one wins
    except FileNotFoundError:
        return None
    return note


def run_task_then_lose_the_worker(task: Task) -> Outcome:
    """Decide the account, then the worker dies (SIGKILL) before handing the outcome back: the work is
    done and lost, so the account must be run again and still be written and logged once."""
    outcome = run_task(task)
    if _claim(task) is not None:
        os.kill(os.getpid(), signal.SIGKILL)
    return outcome


def _logged(log: str) -> int:
    """Decisions in the log; the batch created its tables before any task ran."""
    with contextlib.closing(sqlite3.connect(f"file:{log}?mode=ro", uri=True, timeout=30)) as db:
        return db.execute(f"SELECT count(*) FROM {decisions.name}").fetchone()[0]


def run_task_then_kill_the_batch(task: Task) -> Outcome:
    """At the marked account (its note: the decision log's SQLite file and a count), wait until the log
    holds that many decisions, then kill the whole batch: its process group, the batch process, its fork
    server and workers (the test starts it in a session of its own). If they are not logged in time, the
    batch is left to finish, which the test sees."""
    note = _claim(task)
    if note is not None:
        log, count = note.rsplit(" ", 1)
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if _logged(log) >= int(count):
                os.killpg(os.getpgid(0), signal.SIGKILL)
            time.sleep(0.05)
    return run_task(task)
