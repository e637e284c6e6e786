"""Run a book: read it, hand its accounts to a backend, commit each account's outputs as it arrives,
record each decision in the decision log, then write the book summary.

    report = run_batch("book.csv", "out/book", workers=2)

Each account's outputs (OUT/<id>/trades.csv, result.json, decision.json) are replaced as one unit
(`tailor.api.outputs.commit`), decision.json last: it holds the input key that a re-run
compares to skip an unchanged account, so it is never newer than the files it vouches for.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Task as BarTask
from rich.text import Text

from core.diagnostics import TailorError, error
from solver.defaults import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT
from tailor.api.decision import Decision
from tailor.api.outputs import check_out_dir, commit
from tailor.batch.backends import Backend, DaskBackend, PoolBackend
from tailor.batch.book import BookEntry, read_book
from tailor.batch.summary import BookReport, RunInfo, summary_csv, totals, write_parquet
from tailor.batch.task import BatchOptions, Outcome, Task
from tailor.decision_log.store import DecisionLog


@dataclass(frozen=True)
class BatchSettings:
    workers: int | None = None  # local processes (default 1); exclusive with scheduler
    scheduler: str | None = None  # tcp://HOST:PORT of a Dask scheduler
    force: bool = False
    changed: str | None = None
    time_limit: float = DEFAULT_TIME_LIMIT
    mip_gap: float = DEFAULT_MIP_GAP


class RateColumn(ProgressColumn):
    """Accounts per second, as the bar's speed estimate has it."""

    def render(self, task: BarTask) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} accounts/s" if speed else "… accounts/s", style="progress.data.speed")


def previous_decision(path: Path) -> Decision | None:
    """decision.json of an earlier run; one that cannot be read counts as none (the account re-runs)."""
    try:
        return Decision.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


def _backend(settings: BatchSettings) -> Backend:
    if settings.scheduler and settings.workers is not None:
        raise TailorError(error("B108", "--workers and --scheduler given together", None,
                                "the Dask cluster has its own workers: drop --workers"))
    return DaskBackend(settings.scheduler) if settings.scheduler else PoolBackend(settings.workers or 1)


def _changed(path: str | None) -> str | None:
    if path is None:
        return None
    found = Path(path)
    if not found.is_file():
        raise TailorError(error("P001", f"--changed {path}: no such policy file", None,
                                "name the model policy file that the book's policies extend"))
    return str(found.resolve())


def _commit(out: Path, outcome: Outcome) -> None:
    decision = outcome.decision
    if decision is None or not outcome.files:
        return
    body = decision.model_dump_json(by_alias=True, indent=2, exclude={"trades"}) + "\n"
    commit(out / decision.id, {**outcome.files, "decision.json": body})


def run_batch(book: str | Path, out: str | Path, settings: BatchSettings = BatchSettings(), *,
              log: DecisionLog | None = None, console: Console | None = None,
              on_outcome: Callable[[], None] | None = None) -> BookReport:
    """Rebalance every account of the book; their outputs in OUT/<id>/, the summary in OUT/book.*
    `on_outcome` is called after each account is committed (the service's job progress)."""
    entries = read_book(book)
    out_dir = check_out_dir(str(out))
    options = BatchOptions(batch=uuid.uuid4().hex, time_limit=settings.time_limit, mip_gap=settings.mip_gap,
                           force=settings.force, changed=_changed(settings.changed))
    if settings.time_limit <= 0 or not 0 <= settings.mip_gap < 1:
        raise TailorError(error("A112", "--time-limit must be positive and --gap in [0, 1)"))
    tasks = [Task(entry=e, options=options, previous=previous_decision(out_dir / e.id / "decision.json"))
             for e in entries]
    backend = _backend(settings)
    console = console or Console(stderr=True)
    started = time.perf_counter()
    found: dict[str, Decision | None] = {}
    ran = skipped = policies = markets = 0
    arguments = {"book": str(book), "out": str(out), "backend": backend.name, "workers": backend.workers,
                 "force": settings.force, "changed": settings.changed, "time_limit": settings.time_limit,
                 "mip_gap": settings.mip_gap}
    with log.run("batch", arguments) if log else nullcontext() as run_id, Progress(
            TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(), RateColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=console, transient=False) as bar:
        progress = bar.add_task("accounts", total=len(tasks))
        for outcome in backend.run(tasks):
            decision = outcome.decision
            entry_id = decision.id if decision is not None else None
            if entry_id is not None and entry_id in found:
                continue  # a retried account whose first outcome already arrived: written once
            _commit(out_dir, outcome)
            if log is not None and run_id is not None and decision is not None and not outcome.skipped:
                log.record(run_id, decision)
            skipped += outcome.skipped
            ran += not outcome.skipped
            policies += outcome.loaded_policy
            markets += outcome.loaded_market
            if entry_id is not None:
                found[entry_id] = decision
            bar.advance(progress)
            if on_outcome is not None:
                on_outcome()
    seconds = time.perf_counter() - started
    decisions = [d for e in entries if (d := found.get(e.id) or _kept(e, tasks)) is not None]
    report = BookReport(book=str(book), accounts=tuple(decisions), totals=totals(decisions), run=RunInfo(
        backend=backend.name, workers=backend.workers, ran=ran, skipped=skipped, retried=backend.retried,
        policies_compiled=policies, markets_loaded=markets, seconds=round(seconds, 3),
        accounts_per_second=round(ran / seconds, 3) if seconds > 0 else 0.0))
    commit(out_dir, {"book.csv": summary_csv(report), "book.json": report.to_json()})
    write_parquet(report, out_dir / "book.parquet")
    return report


def _kept(entry: BookEntry, tasks: list[Task]) -> Decision | None:
    """An account skipped without an outcome naming it (never run, not selected by --changed)."""
    return next((t.previous for t in tasks if t.entry.id == entry.id), None)
