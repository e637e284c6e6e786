"""`tailor rebalance` end to end: writes verified trades; refuses unverified ones and says why; a
failed run leaves a result.json saying so and no trades.csv; the as-of date and the account's
target are stated, never guessed; --out is checked before anything is solved."""

from __future__ import annotations

import csv
import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from market.prices import load_prices
from solver.verify import Violation
from tailor.cli import main
from tests.solver.conftest import EXAMPLES, ROOT

POLICY = ROOT / "policies" / "firm" / "default.tailor"
ACCOUNT = EXAMPLES / "legacy_jpm" / "account.yaml"
INFEASIBLE = ('policy "P"\nlayer account\n\nrule cap-jpm: cap JPM at 5%\n'
              "rule budget-lt: budget long-term gains $0 per year\n")


def rebalance(*args: str | Path, account: Path = ACCOUNT, policy: Path = POLICY) -> int:
    return main(["rebalance", "--policy", str(policy), "--account", str(account), *map(str, args)])


def copy_account(tmp_path: Path, as_of: str | None = None, extra: str = "") -> Path:
    """The legacy_jpm example in tmp_path, with `as_of` replaced (None: left out) and `extra` keys."""
    for name in ("lots.csv", "transactions.csv"):
        shutil.copy(ACCOUNT.parent / name, tmp_path / name)
    lines = [line for line in ACCOUNT.read_text().splitlines(keepends=True) if not line.startswith("as_of:")]
    text = "".join(lines) + (f"as_of: {as_of}\n" if as_of else "") + extra
    (tmp_path / "account.yaml").write_text(text)
    return tmp_path / "account.yaml"


def test_rebalance_writes_trades_and_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert rebalance("--out", out) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["schema"] == "tailor.result/1" and result["verified"] is True
    assert result["solve"]["status"] == "optimal" and result["as_of"] == "2021-04-21"
    assert result["priced_as_of"] == "2021-04-21"  # a trading day: its own close (no D109 warning)
    assert result["market"]["source"] == "bundled" and result["market"]["risk_model_age_days"] == 0
    assert result["market"]["not_in_risk_model"] == ["VAR"]  # its prices end 2021-04-16
    lines = (out / "trades.csv").read_text().splitlines()
    assert len(lines) == len(result["trades"]) + 1
    assert "verified" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["result.json", "trades.csv"]  # no temporary files left


def test_unverified_trades_are_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import engine.rebalance

    def broken(outcome, rules):  # stands in for a verifier that finds a fault
        return [Violation(code="V101", message="lot LEG-00001 (JPM) oversold by 1")]

    monkeypatch.setattr(engine.rebalance, "verify", broken)
    out = tmp_path / "out"
    assert rebalance("--out", out) == 1
    assert not (out / "trades.csv").exists()
    result = json.loads((out / "result.json").read_text())
    assert result["verified"] is False and result["trades"] == [] and result["summary"] is None
    assert [d["code"] for d in result["diagnostics"]] == ["V101"]
    err = capsys.readouterr().err
    assert "error[V101]" in err and "oversold" in err and "were not written" in err


def test_a_failed_run_writes_result_json_and_removes_stale_trades(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """An earlier run's trades.csv next to a new failed result.json could be executed by mistake:
    the failed run removes it, and says in result.json what went wrong and how long it took."""
    out = tmp_path / "out"
    assert rebalance("--out", out) == 0
    assert (out / "trades.csv").exists()
    policy = tmp_path / "infeasible.tailor"
    policy.write_text(INFEASIBLE, encoding="utf-8")
    capsys.readouterr()
    assert rebalance("--out", out, policy=policy) == 1
    assert "error[S101]" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["result.json"]
    result = json.loads((out / "result.json").read_text())
    assert result["solve"]["status"] == "infeasible" and result["verified"] is False
    assert result["trades"] == [] and result["summary"] is None
    (diagnostic,) = result["diagnostics"]
    assert diagnostic["code"] == "S101" and "tailor explain" in diagnostic["hint"]
    assert {"policy", "data", "solve"} <= set(result["timings"])
    assert all(isinstance(v, float) and v >= 0 for v in result["timings"].values())


def test_out_is_checked_before_the_solve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import engine.rebalance

    def no_solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved although --out is unusable")

    monkeypatch.setattr(engine.rebalance, "plan", no_solve)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    for out in (a_file, a_file / "out"):
        assert rebalance("--out", out) == 1
        err = capsys.readouterr().err
        assert "error[A118]" in err and str(a_file) in err
    assert a_file.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to a read-only folder")
def test_read_only_out_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert rebalance("--out", locked / "run") == 1
        assert "error[A118]" in capsys.readouterr().err and not (locked / "run").exists()
    finally:
        locked.chmod(0o755)


def test_an_unwritable_out_is_refused_even_for_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The permission check itself, whoever runs the tests (root may write anywhere)."""
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    assert rebalance("--out", tmp_path / "new" / "run") == 1
    err = capsys.readouterr().err
    assert "error[A118]" in err and "not writable" in err and not (tmp_path / "new").exists()


def test_bad_as_of_date_is_a_diagnostic(capsys: pytest.CaptureFixture[str]) -> None:
    assert rebalance("--as-of", "21/04/2021") == 1
    assert "error[A111]" in capsys.readouterr().err


def test_the_as_of_date_is_never_guessed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    account = copy_account(tmp_path)
    assert rebalance(account=account) == 1
    err = capsys.readouterr().err
    assert "error[A113]" in err and "as_of: YYYY-MM-DD" in err and "--as-of" in err
    assert f"{account}:1:1" in err


def test_as_of_from_the_command_line_when_the_account_states_none(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert rebalance("--as-of", "2021-04-21", "--out", out, account=copy_account(tmp_path)) == 0
    assert json.loads((out / "result.json").read_text())["as_of"] == "2021-04-21"


def test_an_as_of_on_a_weekend_says_which_close_prices_the_plan(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """2021-04-17 is a Saturday: the plan is priced at Friday's close, and both the terminal and
    result.json say so."""
    out = tmp_path / "out"
    assert rebalance("--as-of", "2021-04-17", "--out", out, account=copy_account(tmp_path)) == 0
    err = capsys.readouterr().err
    assert ("warning[D109]: priced at the close of 2021-04-16, the last trading day on or before "
            "2021-04-17") in err
    result = json.loads((out / "result.json").read_text())
    assert (result["as_of"], result["priced_as_of"]) == ("2021-04-17", "2021-04-16")
    rows = csv.DictReader((out / "trades.csv").read_text().splitlines())
    trades = {row["ticker"]: row["price"] for row in rows}
    assert trades  # priced at that close: the price history's raw close on 2021-04-16
    closes = load_prices().close_on(date(2021, 4, 16))
    assert all(float(price) == pytest.approx(closes[ticker]) for ticker, price in trades.items())


def test_two_different_as_of_dates_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert rebalance("--as-of", "2021-04-20") == 1
    err = capsys.readouterr().err
    assert "error[A114]" in err and "2021-04-20" in err and "2021-04-21" in err
    line = next(n for n, text in enumerate(ACCOUNT.read_text().splitlines(), 1) if text.startswith("as_of:"))
    assert f"{ACCOUNT}:{line}:8" in err


def test_the_same_date_twice_is_fine(tmp_path: Path) -> None:
    assert rebalance("--as-of", "2021-04-21", "--out", tmp_path / "out") == 0


def test_an_as_of_outside_the_data_says_where_the_date_came_from(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert rebalance(account=copy_account(tmp_path, "2023-01-02")) == 1
    err = capsys.readouterr().err
    assert "error[D101]" in err and "the date is the account's `as_of`" in err


# ---- the account's target ---------------------------------------------------------------------------
def top_names(path: Path, count: int) -> Path:
    """A model file of the `count` largest S&P 500 names on 2021-04-21, cap-weighted."""
    from datetime import date

    from market.index import index_weights

    weights = index_weights(date(2021, 4, 21), scheme="cap").sort_values(ascending=False).head(count)
    weights = weights / weights.sum()
    path.write_text("ticker,weight\n" + "".join(f"{t},{w:.12f}\n" for t, w in weights.items()))
    return path


def bought(out: Path) -> set[str]:
    with (out / "trades.csv").open() as rows:
        return {row["ticker"] for row in csv.DictReader(rows) if row["action"] == "buy"}


def test_account_target_with_buying_only_the_targets_names(tmp_path: Path) -> None:
    """A 100-name model mandate: the account's target (account.yaml `target:`) replaces the
    policy's S&P 500, and `restrict buying outside target` keeps every buy inside the model. Without
    the rule the optimizer does buy names outside the model (to hedge factor exposures)."""
    model = top_names(tmp_path / "top100.csv", 100)
    names = {line.split(",")[0] for line in model.read_text().splitlines()[1:]}
    account = copy_account(tmp_path, "2021-04-21", "target: top100.csv\n")
    free, strict = tmp_path / "free.tailor", tmp_path / "strict.tailor"
    free.write_text('policy "Free"\nlayer account\n\ntarget sp500\n', encoding="utf-8")
    strict.write_text('policy "Mandate"\nlayer account\n\ntarget sp500\nrestrict buying outside target\n',
                      encoding="utf-8")
    assert rebalance("--out", tmp_path / "free", account=account, policy=free) == 0
    assert bought(tmp_path / "free") - names, "without the rule something outside the model is bought"
    assert rebalance("--out", tmp_path / "strict", account=account, policy=strict) == 0
    assert bought(tmp_path / "strict") and bought(tmp_path / "strict") <= names
    result = json.loads((tmp_path / "strict" / "result.json").read_text())
    assert result["verified"] is True


def test_target_on_the_command_line_and_in_the_hash(tmp_path: Path) -> None:
    model = top_names(tmp_path / "top100.csv", 100)
    account = copy_account(tmp_path, "2021-04-21")
    assert rebalance("--target", model, "--out", tmp_path / "cli", account=account) == 0
    assert rebalance("--out", tmp_path / "none", account=account) == 0
    with_target = json.loads((tmp_path / "cli" / "result.json").read_text())
    without = json.loads((tmp_path / "none" / "result.json").read_text())
    assert with_target["account_hash"] != without["account_hash"]
    assert with_target["summary"]["tracking_error_before"] != without["summary"]["tracking_error_before"]


def test_two_different_targets_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top_names(tmp_path / "top100.csv", 100)
    other = top_names(tmp_path / "top50.csv", 50)
    account = copy_account(tmp_path, "2021-04-21", "target: top100.csv\n")
    assert rebalance("--target", other, account=account) == 1
    err = capsys.readouterr().err
    assert "error[A116]" in err and "top50.csv" in err and "top100.csv" in err and f"{account}:" in err


def test_a_locked_target_refuses_the_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top_names(tmp_path / "top100.csv", 100)
    account = copy_account(tmp_path, "2021-04-21", "target: top100.csv\n")
    policy = tmp_path / "locked.tailor"
    policy.write_text('policy "Firm"\nlayer account\n\nlocked target sp500\n', encoding="utf-8")
    assert rebalance(account=account, policy=policy) == 1
    err = capsys.readouterr().err
    assert "error[A117]" in err and f"{policy}:4" in err and "top100.csv" in err

