"""One account of a batch, run in a worker process (a local pool's or a Dask worker's).

A task is a picklable value; its outcome too: the decision and the files to write, never written here,
so the parent commits each account's outputs exactly once, whichever worker ran it and however often
it was retried. Each worker process keeps what accounts share: compiled policies and snapshots for
the batch, the bundled market of a date across batches (the history never changes under a running
tailor), so a book of many accounts on one model loads them once per worker, not per account.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from compiler.inputs import check_account
from compiler.ir import CompiledPolicy
from core.diagnostics import Diagnostic, TailorError, error
from engine.explain.elastic import conflicting_rules
from engine.rebalance import RebalanceOptions
from market.snapshot import Snapshot, load_snapshot
from solver.account_files import load_account, resolve_as_of
from solver.market import Market
from solver.outputs import trades_csv
from solver.snapshot_checks import resolve_snapshot_as_of
from tailor.api.decision import Decision, decision_of, engine_version, failed_decision, input_key, trade_rows
from tailor.api.engine import decide
from tailor.api.inputs import Inputs, load_policy
from tailor.api.outputs import failed_result_json
from tailor.batch.book import BookEntry

T = TypeVar("T")
MARKETS_KEPT = 8  # bundled markets of distinct dates a worker keeps (each a few MB)


class BatchOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    batch: str  # this batch's id: policies and snapshots are cached for one batch only
    time_limit: float
    mip_gap: float
    force: bool = False
    changed: str | None = None  # --changed MODEL, resolved: run only accounts whose policy it changed

    @property
    def rebalance(self) -> RebalanceOptions:
        return RebalanceOptions(time_limit=self.time_limit, mip_gap=self.mip_gap)


class Task(BaseModel):
    model_config = ConfigDict(frozen=True)

    entry: BookEntry
    options: BatchOptions
    previous: Decision | None = None  # OUT/<id>/decision.json of an earlier run, if any


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision | None  # None: skipped, and never run before
    files: dict[str, str | None]  # file name → text, or None to remove; empty when skipped
    skipped: bool = False
    loaded_policy: bool = False  # this task compiled its policy (not from the worker's cache)
    loaded_market: bool = False


class _Cache:
    """A worker process's shared inputs. Failures are kept too: a policy with an error, shared by a
    hundred accounts, is compiled once and reported a hundred times."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # a Dask worker may run tasks in threads
        self.batch = ""
        self.policies: dict[tuple[str, str | None], CompiledPolicy | TailorError] = {}
        self.snapshots: dict[str, Snapshot | TailorError] = {}
        self.snapshot_markets: dict[str, Market] = {}
        self.markets: OrderedDict[date, Market] = OrderedDict()

    def start(self, batch: str) -> None:
        if batch != self.batch:  # files may have changed since the last batch
            self.batch = batch
            self.policies.clear()
            self.snapshots.clear()
            self.snapshot_markets.clear()

    def snapshot(self, path: str) -> Snapshot:
        if path not in self.snapshots:
            try:
                self.snapshots[path] = load_snapshot(path)
            except TailorError as exc:
                self.snapshots[path] = exc
        return _value(self.snapshots[path])

    def policy(self, path: str, snapshot: Snapshot | None) -> tuple[CompiledPolicy, bool]:
        key = (path, snapshot.origin if snapshot else None)
        loaded = key not in self.policies
        if loaded:
            try:
                self.policies[key] = load_policy(path, snapshot)
            except TailorError as exc:
                self.policies[key] = exc
        return _value(self.policies[key]), loaded

    def market(self, as_of: date, snapshot: Snapshot | None) -> tuple[Market, bool]:
        if snapshot is not None:
            loaded = snapshot.origin not in self.snapshot_markets
            if loaded:
                self.snapshot_markets[snapshot.origin] = Market.from_snapshot(snapshot)
            return self.snapshot_markets[snapshot.origin], loaded
        loaded = as_of not in self.markets
        if loaded:
            self.markets[as_of] = Market.load(as_of)
            while len(self.markets) > MARKETS_KEPT:
                self.markets.popitem(last=False)
        self.markets.move_to_end(as_of)
        return self.markets[as_of], loaded


def _value(found: T | TailorError) -> T:
    if isinstance(found, TailorError):
        raise found
    return found


_CACHE = _Cache()


def _inputs(entry: BookEntry, timings: dict[str, float]) -> tuple[Inputs, bool, bool]:
    """The account's inputs, from the worker's cache where they are shared; timings as the CLI's."""
    started = time.perf_counter()
    snapshot = _CACHE.snapshot(entry.market) if entry.market else None
    policy, loaded_policy = _CACHE.policy(entry.policy, snapshot)
    timings["policy"] = time.perf_counter() - started
    started = time.perf_counter()
    account = load_account(Path(entry.account), target=Path(entry.target) if entry.target else None)
    check_account(policy, account)
    if snapshot is not None:
        as_of = resolve_snapshot_as_of(account, snapshot, entry.as_of, flag="the book's as_of")
    else:
        as_of = resolve_as_of(account, entry.as_of, flag="the book's as_of")
    market, loaded_market = _CACHE.market(as_of, snapshot)
    timings["data"] = time.perf_counter() - started
    notes = (*policy.warnings, *market.notes())
    return Inputs(policy=policy, account=account, market=market, notes=notes), loaded_policy, loaded_market


def _selected(task: Task, inputs: Inputs) -> bool:
    """Whether the batch runs this account: with --changed MODEL, only when its policy extends MODEL
    and its effective policy differs from the one of its last decision."""
    changed = task.options.changed
    if changed is None:
        return True
    extends = any(Path(source).resolve() == Path(changed) for source in inputs.policy.sources)
    previous = task.previous
    return extends and (previous is None or previous.policy_hash != inputs.policy.policy_hash)


def _solve(task: Task, inputs: Inputs, timings: dict[str, float]) -> tuple[Decision, dict[str, str | None]]:
    options = task.options.rebalance
    solved, report = decide(inputs, options)
    timings.update(solved.timings)
    conflict: tuple[str, ...] = ()
    # the closing summary names the rules that conflict (only a proven infeasible model has any)
    if report.status == "infeasible" and solved.result.solve.status == "infeasible":
        started = time.perf_counter()
        conflict = conflicting_rules(solved, inputs.policy)
        timings["explain"] = time.perf_counter() - started
    timings = {k: round(v, 3) for k, v in timings.items()}
    entry = task.entry
    decision = decision_of(report, options, id=entry.id, account_file=entry.account, policy_file=entry.policy,
                           conflict=conflict, trades=trade_rows(report.result), timings=timings)
    result = solved.result.model_copy(update={"timings": timings})
    if report.verified:
        files = {"trades.csv": trades_csv(result), "result.json": result.to_json()}
    else:
        problems = [d for d in report.diagnostics if d.is_error]
        files = {"trades.csv": None, "result.json": failed_result_json(result, problems, timings)}
    return decision, files


def run_task(task: Task) -> Outcome:
    """Run one account; every failure becomes its decision's diagnostics, never an exception."""
    _CACHE.start(task.options.batch)
    entry, timings = task.entry, {}
    loaded_policy = loaded_market = False
    try:
        with _CACHE.lock:
            inputs, loaded_policy, loaded_market = _inputs(entry, timings)
        if not _selected(task, inputs):
            return Outcome(decision=task.previous, files={}, skipped=True)
        market = inputs.market.info
        key = input_key(account_hash=inputs.account.input_hash, policy_hash=inputs.policy.policy_hash,
                        as_of=inputs.market.as_of, market_digest=market.snapshot_digest if market else None,
                        options=task.options.rebalance, engine=engine_version())
        if not task.options.force and task.previous is not None and task.previous.key == key:
            return Outcome(decision=task.previous, files={}, skipped=True, loaded_policy=loaded_policy,
                           loaded_market=loaded_market)
        decision, files = _solve(task, inputs, timings)
    except TailorError as exc:
        decision, files = _failed(entry, tuple(exc.diagnostics), timings)
    except Exception as exc:  # a bug: reported on this account, and the batch goes on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        at = f"{Path(where.filename).name}:{where.lineno}"
        problem = error("B110", f"internal error: {type(exc).__name__}: {exc} (at {at})", entry.span,
                        "this is a bug in tailor, not in the input; please report it")
        decision, files = _failed(entry, (problem,), timings)
    return Outcome(decision=decision, files=files, loaded_policy=loaded_policy, loaded_market=loaded_market)


def failed_outcome(task: Task, problem: Diagnostic) -> Outcome:
    """An account the batch could not run (its worker died): the problem, and no stale outputs."""
    decision, files = _failed(task.entry, (problem,), {})
    return Outcome(decision=decision, files=files)


def _failed(entry: BookEntry, problems: tuple[Diagnostic, ...],
            timings: dict[str, float]) -> tuple[Decision, dict[str, str | None]]:
    decision = failed_decision(entry.id, problems, account_file=entry.account, policy_file=entry.policy,
                               as_of=entry.as_of, timings={k: round(v, 3) for k, v in timings.items()})
    return decision, {"trades.csv": None, "result.json": None}
