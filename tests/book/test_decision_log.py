"""The decision log: every command's and batch's decisions recorded with their inputs' hashes, the
compliance questions `tailor log` answers, atomic appends, and a consistent log after a crash."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from core.diagnostics import TailorError
from tailor.api.decision import Decision
from tailor.cli import main
from tailor.decision_log.schema import decisions, meta, runs, trades
from tailor.decision_log.store import DecisionLog
from tests.book.conftest import FIRM, ROOT, make_account, make_book
from tests.book.dying_tasks import WAIT_SECONDS, mark


def _log_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    capsys.readouterr()
    assert main(["log", "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_rebalances_are_recorded_and_answer_compliance_questions(tmp_path: Path, capsys) -> None:
    account = make_account(tmp_path / "smith", "smith", 30)
    out = tmp_path / "out"
    assert main(["rebalance", "--policy", str(FIRM), "--account", str(account), "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    traded = _log_json(capsys, "accounts", "--policy-hash", result["policy_hash"][:10])
    assert [row["account_id"] for row in traded] == ["smith"]
    assert traded[0]["trades"] == len((out / "trades.csv").read_text().splitlines()) - 1
    first_sale = next(t for t in result["trades"] if t["action"] == "sell")
    found = _log_json(capsys, "trade", "smith", first_sale["ticker"], "--lot", first_sale["lot_id"])
    assert found[0]["policy_hash"] == result["policy_hash"]
    assert found[0]["account_hash"] == result["account_hash"]
    assert found[0]["plan_hash"] == result["plan_hash"]
    assert found[0]["policy_sources"] == result["policy_sources"]
    # the account changes (more cash), and explain runs it: what changed between the two runs?
    account.write_text(account.read_text().replace("cash: 25000.00", "cash: 90000.00"))
    capsys.readouterr()
    assert main(["explain", "--policy", str(FIRM), "--account", str(account)]) == 0
    change = _log_json(capsys, "diff", "smith")
    assert set(change["fields"]) >= {"account_hash", "plan_hash"} and "policy_hash" not in change["fields"]
    assert change["trades_added"] or change["trades_changed"]
    commands = [row["command"] for row in _log_json(capsys, "runs")]
    assert sorted(commands) == ["explain", "rebalance"]


def test_nothing_matching_is_l103(capsys) -> None:
    assert main(["log", "accounts", "--policy-hash", "deadbeef"]) == 1
    assert "error[L103]" in capsys.readouterr().err
    assert main(["log", "diff", "nobody"]) == 1


def test_a_bad_url_is_l101_before_anything_runs(tmp_path: Path, capsys) -> None:
    account = make_account(tmp_path / "a", "a", 5)
    code = main(["rebalance", "--policy", str(FIRM), "--account", str(account), "--out", str(tmp_path / "o"),
                 "--decision-log", "nosuchdriver://somewhere/db"])
    assert code == 1 and "error[L101]" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_log_of_another_schema_is_l102(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    log = DecisionLog(str(path))
    with log.engine.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == "schema").values(value="tailor.log/0"))
    log.close()
    with pytest.raises(TailorError) as found:
        DecisionLog(str(path))
    assert found.value.diagnostics[0].code == "L102"


def test_an_append_is_all_or_nothing(tmp_path: Path) -> None:
    log = DecisionLog(str(tmp_path / "log.db"))
    run = log.start_run("test", {})
    broken = Decision(id="x", status="verified", trades=({"action": "sell", "ticker": "AAPL"},))  # no shares
    with pytest.raises(TailorError) as found:
        log.record(run, broken)
    assert found.value.diagnostics[0].code == "L101"
    with log.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(decisions)).scalar() == 0


# `tailor batch` whose tasks are run_task_then_kill_the_batch (tests/book/dying_tasks.py)
BATCH_KILLED_AT_THE_MARK = ("import sys; from tailor.batch import backends; "
                            "from tests.book import dying_tasks; "
                            "backends.run_task = dying_tasks.run_task_then_kill_the_batch; "
                            "from tailor.cli import main; sys.exit(main(sys.argv[1:]))")


def test_a_batch_killed_mid_run_leaves_a_consistent_log(tmp_path: Path) -> None:
    """One worker decides the accounts in the book's order; at acct-03, once two decisions are in the
    log, the batch and its workers are killed (SIGKILL) while the parent may be mid-append."""
    book = make_book(tmp_path, 6)
    path = tmp_path / "log.db"
    mark(tmp_path / "accounts/acct-03/account.yaml", f"{path} 2")
    command = [sys.executable, "-c", BATCH_KILLED_AT_THE_MARK, "batch", str(book),
               "--out", str(tmp_path / "o"), "--workers", "1", "--decision-log", str(path)]
    batch = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)  # its own process group, which the task kills
    try:
        _, stderr = batch.communicate(timeout=WAIT_SECONDS + 300)
    finally:
        if batch.poll() is None:  # it did not reach the mark: end it rather than leave it running
            os.killpg(batch.pid, signal.SIGKILL)
    assert batch.returncode == -signal.SIGKILL, stderr
    log = DecisionLog(str(path))
    with log.engine.connect() as conn:
        (run,) = conn.execute(select(runs)).all()
        assert run.finished_at is None and run.status is None  # the run says it did not finish
        recorded = conn.execute(select(decisions.c.id, decisions.c.decision_id, decisions.c.trades)).all()
        assert 2 <= len(recorded) <= 3 and "acct-03" not in {row.id for row in recorded}
        for _, decision_id, count in recorded:  # every recorded decision is whole
            assert conn.execute(select(func.count()).select_from(trades)
                                .where(trades.c.decision_id == decision_id)).scalar() == count


def test_a_log_from_before_a_column_was_added_gains_it(tmp_path: Path) -> None:
    """A tailor.log/1 file written before trades had `disallowed_loss`: opening it adds the column
    (empty for the old rows) and decisions with the new column are recorded."""
    path = tmp_path / "old.db"
    DecisionLog(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as old:
        old.execute("ALTER TABLE tailor_trades DROP COLUMN disallowed_loss")
    log = DecisionLog(f"sqlite:///{path}")
    log.close()
    with sqlite3.connect(path) as upgraded:
        columns = {row[1] for row in upgraded.execute("PRAGMA table_info(tailor_trades)")}
    assert "disallowed_loss" in columns


def test_the_log_keeps_every_column_of_trades_csv() -> None:
    from solver.outputs import TRADE_COLUMNS

    assert set(TRADE_COLUMNS) <= set(trades.columns.keys())
