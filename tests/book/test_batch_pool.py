"""`tailor batch` on a local process pool: every account's outputs, failures reported while the others
go on, unchanged accounts skipped, the same results whatever the worker count, and a worker killed
mid-batch costing nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tailor.batch import backends
from tailor.batch.runner import BatchSettings, run_batch
from tailor.batch.summary import BookReport
from tailor.decision_log.store import DecisionLog
from tests.book.conftest import CONFLICT, finish_within, make_book
from tests.book.dying_tasks import mark, run_task_then_lose_the_worker

ACCOUNTS = 5


def _extra(folder: Path) -> list[tuple[str, str, str]]:
    return [("conflict", "accounts/acct-00/account.yaml", os.path.relpath(CONFLICT, folder)),
            ("missing", "accounts/nobody/account.yaml", os.path.relpath(CONFLICT, folder))]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("book")
    return make_book(folder, ACCOUNTS, extra=_extra(folder))


@pytest.fixture(scope="module")
def first(book: Path) -> tuple[BookReport, Path, Path]:
    out = book.parent / "out"
    log_path = book.parent / "log.db"
    log = DecisionLog(str(log_path))
    report = run_batch(book, out, BatchSettings(workers=2), log=log)
    log.close()
    return report, out, log_path


def _plan_files(out: Path) -> dict[str, str]:
    """Every account's outputs, timings and run facts left out: what must not depend on the workers."""
    found = {}
    for path in sorted(out.rglob("*.json")) + sorted(out.rglob("*.csv")):
        text = path.read_text()
        if path.suffix == ".json":
            data = json.loads(text)
            for record in [data, *data.get("accounts", [])]:
                record.pop("timings", None)
                record.pop("run", None)
            text = json.dumps(data, sort_keys=True)
        if path.name == "book.csv":
            text = "\n".join(line.rsplit(",", 1)[0] for line in text.splitlines())  # its seconds column
        found[str(path.relative_to(out))] = text
    return found


def test_each_account_is_decided_and_failures_do_not_stop_the_others(first) -> None:
    report, out, _ = first
    status = {d.id: d.status for d in report.accounts}
    assert status == {**{f"acct-{i:02d}": "verified" for i in range(ACCOUNTS)}, "conflict": "infeasible",
                      "missing": "error"}
    assert [d.id for d in report.accounts][:2] == ["acct-00", "acct-01"]  # the book's order
    for i in range(ACCOUNTS):
        folder = out / f"acct-{i:02d}"
        result = json.loads((folder / "result.json").read_text())
        assert result["verified"] and len((folder / "trades.csv").read_text().splitlines()) > 1
        assert json.loads((folder / "decision.json").read_text())["plan_hash"] == result["plan_hash"]
    conflict = next(d for d in report.accounts if d.id == "conflict")
    assert set(conflict.conflict) == {"cap-jpm-now", "no-lt-gains"}
    assert not (out / "conflict" / "trades.csv").exists()
    missing = next(d for d in report.accounts if d.id == "missing")
    assert missing.diagnostics[0].code == "A101" and not (out / "missing" / "result.json").exists()
    t = report.totals
    assert (t.accounts, t.verified, t.infeasible, t.errors) == (7, 5, 1, 1) and t.trades > 0


def test_inputs_shared_by_accounts_load_once_per_worker(first) -> None:
    run = first[0].run
    assert run.backend == "pool" and run.workers == 2 and run.ran == 7
    assert run.policies_compiled <= 4  # two policies, each at most once per worker
    assert run.markets_loaded <= 2  # one date


def test_the_summary_is_written_as_csv_parquet_and_json(first) -> None:
    import pyarrow.parquet as pq

    report, out, _ = first
    rows = (out / "book.csv").read_text().splitlines()
    assert rows[0].startswith("id,account_id,status") and len(rows) == 8
    assert pq.read_table(out / "book.parquet").column("status").to_pylist() == [
        d.status for d in report.accounts]
    assert json.loads((out / "book.json").read_text())["schema"] == "tailor.book/1"


def test_every_decision_is_in_the_log(first) -> None:
    from sqlalchemy import func, select

    from tailor.decision_log.schema import decisions, runs, trades

    _, _, log_path = first
    log = DecisionLog(str(log_path))
    with log.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(decisions)).scalar() == 7
        assert conn.execute(select(runs.c.status, runs.c.command)).one() == ("finished", "batch")
        logged = conn.execute(select(func.count()).select_from(trades)).scalar()
    assert logged == first[0].totals.trades


def test_the_same_book_gives_the_same_results_whatever_the_workers(first, book: Path) -> None:
    """Before the rerun test below changes the book: one worker against the first run's two."""
    _, out, _ = first
    one = book.parent / "out_one_worker"
    run_batch(book, one, BatchSettings(workers=1))
    assert _plan_files(one) == _plan_files(out)


def test_a_rerun_skips_unchanged_accounts_and_force_reruns_them(first, book: Path) -> None:
    _, out, _ = first
    before = (out / "acct-02" / "result.json").read_text()
    lots = book.parent / "accounts/acct-01/lots.csv"
    lots.write_text("\n".join(lots.read_text().splitlines()[:-1]) + "\n")  # one lot fewer
    again = run_batch(book, out, BatchSettings(workers=2))
    assert (again.run.ran, again.run.skipped) == (2, 5)  # the changed account and the one in error
    assert (out / "acct-02" / "result.json").read_text() == before  # untouched
    assert len(again.accounts) == 7 and again.totals.verified == 5
    forced = run_batch(book, out, BatchSettings(workers=2, force=True))
    assert (forced.run.ran, forced.run.skipped) == (7, 0)


def test_a_killed_worker_loses_nothing_and_repeats_nothing(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker deciding acct-02 dies (SIGKILL) after the work and before the hand-off; the pool
    replaces it and the account is run again, written once and logged once."""
    book = make_book(tmp_path, 6)
    mark(tmp_path / "accounts/acct-02/account.yaml")
    monkeypatch.setattr(backends, "run_task", run_task_then_lose_the_worker)
    out = tmp_path / "out"
    log = DecisionLog(str(tmp_path / "killed.db"))
    report = finish_within(600, lambda: run_batch(book, out, BatchSettings(workers=2), log=log))
    ids = [f"acct-{i:02d}" for i in range(6)]
    assert report.run.retried == 1 and report.totals.verified == 6 and report.run.ran == 6
    assert sorted(p.parent.name for p in out.glob("*/trades.csv")) == ids
    assert json.loads((out / "acct-02/result.json").read_text())["verified"]
    from sqlalchemy import select

    from tailor.decision_log.schema import decisions

    with log.engine.connect() as conn:
        logged = [row.id for row in conn.execute(select(decisions.c.id))]
    assert sorted(logged) == ids  # each account once
