"""Rebalancing on today's market (issue 10 §4): the shipped example account as of 2026-11-20, priced by
the shipped market snapshot, end to end through `tailor rebalance --market`; the same through the
Python API with a snapshot built in code (a security added to the master); and the refusals."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.check import compile_policy
from core.diagnostics import TailorError
from engine.rebalance import rebalance
from market.snapshot import load_snapshot, make_snapshot
from solver.account_files import load_account
from solver.market import Market
from tailor.cli import main
from tests.solver.conftest import EXAMPLES, ROOT

SNAPSHOT = ROOT / "examples" / "snapshots" / "2026-11-20"
ACCOUNT = EXAMPLES / "today_2026" / "account.yaml"
POLICY = ROOT / "policies" / "models" / "direct_index.tailor"
DEFAULT = ROOT / "policies" / "firm" / "default.tailor"


def closes() -> dict[str, Decimal]:
    with (SNAPSHOT / "prices.csv").open(newline="") as handle:
        return {row["ticker"]: Decimal(row["close"]) for row in csv.DictReader(handle)}


def test_the_example_account_rebalances_on_the_snapshot(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["rebalance", "--policy", str(POLICY), "--account", str(ACCOUNT), "--market", str(SNAPSHOT),
                 "--out", str(out)]) == 0
    shown = capsys.readouterr()
    result = json.loads((out / "result.json").read_text())
    assert result["verified"] is True and result["solve"]["status"] in ("optimal", "feasible")
    assert result["as_of"] == result["priced_as_of"] == "2026-11-20"
    market = result["market"]
    assert market["source"] == "snapshot" and market["snapshot"].endswith("2026-11-20/snapshot.yaml")
    assert (market["risk_model_as_of"], market["risk_model_age_days"]) == ("2021-04-21", 2039)
    assert market["risk_model_predecessors"]["META"] == "FB" and "PLTR" in market["not_in_risk_model"]
    assert len(market["snapshot_digest"]) == 64
    # The staleness is said where a person reads it: warning D117, and the summary table.
    assert "warning[D117]" in shown.err and "2,039 days before the as-of date 2026-11-20" in shown.err
    assert "risk model 2021-04-21 (2,039 days old" in " ".join(shown.out.split())
    # Every trade is priced at the caller's close; a sale comes from a lot of the account.
    prices, lots = closes(), {lot.lot_id: lot for lot in load_account(ACCOUNT).lots}
    trades = result["trades"]
    assert trades and {t["action"] for t in trades} == {"buy", "sell"}
    for trade in trades:
        price = Decimal(trade["price"])
        assert price == prices[trade["ticker"]], trade
        assert abs(Decimal(trade["shares"]) * price - Decimal(trade["amount"])) <= Decimal("0.005")
        if trade["action"] == "sell":
            assert lots[trade["lot_id"]].ticker == trade["ticker"]
            assert Decimal(trade["shares"]) <= lots[trade["lot_id"]].shares
    assert result["summary"]["tracking_error_after"] <= 0.03 + 1e-4  # the model's locked limit
    with (out / "trades.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(trades)


def test_explain_takes_the_snapshot_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--policy", str(POLICY), "--account", str(ACCOUNT), "--market", str(SNAPSHOT),
                 "--format", "json"]) == 0
    explanation = json.loads(capsys.readouterr().out)
    assert explanation["as_of"] == "2026-11-20" and explanation["trades"]


def test_a_snapshot_built_in_python_adds_a_security_that_is_then_held_and_traded() -> None:
    prices = closes()
    names = ["AAPL", "MSFT", "NVDA", "AMZN", "META", "GOOGL", "JPM", "XOM", "PG", "KO"]
    snap = make_snapshot("2026-11-20", {**{t: prices[t] for t in names}, "NEWCO": "41.17"},
                         target={**{t: Decimal("0.09") for t in names}, "NEWCO": Decimal("0.1")},
                         securities=[("NEWCO", "New Co", "Application Software")], sources=["test"])
    market = Market.from_snapshot(snap)
    assert market.info is not None and market.info.not_in_risk_model == ("NEWCO",)
    policy = compile_policy(DEFAULT, master=snap.master)
    account = load_account(ACCOUNT).model_copy(update={"lots": tuple(
        lot for lot in load_account(ACCOUNT).lots if lot.ticker in ("AAPL", "MSFT", "XOM"))})
    result = rebalance(account, policy, market)
    assert result.verified and result.market == market.info
    bought = {t.ticker: t for t in result.trades if t.action == "buy"}
    assert bought["NEWCO"].price == Decimal("41.17")
    assert set(bought) <= set(names) | {"NEWCO"}


def test_a_target_the_snapshot_cannot_price_is_refused(tmp_path: Path) -> None:
    snap = make_snapshot("2026-11-20", {"AAPL": "309.35", "MSFT": "480.5"}, sources=["test"])
    market = Market.from_snapshot(snap)
    account = load_account(ACCOUNT).model_copy(update={"lots": tuple(
        lot for lot in load_account(ACCOUNT).lots if lot.ticker == "AAPL")})
    with pytest.raises(TailorError) as caught:  # no index weights, and no target of the account's
        rebalance(account, compile_policy(DEFAULT), market)
    assert caught.value.diagnostics[0].code == "D116"
    (tmp_path / "model.csv").write_text("ticker,weight\nAAPL,0.5\nNVDA,0.5\n")
    (tmp_path / "p.tailor").write_text('policy "P"\nlayer account\n\ntarget model "model.csv"\n')
    with pytest.raises(TailorError) as caught:  # a model naming a name without a close
        rebalance(account, compile_policy(tmp_path / "p.tailor", master=snap.master), market)
    assert caught.value.diagnostics[0].code == "D114" and "NVDA" in caught.value.diagnostics[0].message


def _refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> str:
    out = tmp_path / "out"
    assert main(["rebalance", "--policy", str(POLICY), "--out", str(out), *args]) == 1
    assert not out.exists()  # nothing written, nothing solved
    return capsys.readouterr().err


def test_the_cli_refuses_a_held_name_without_a_price_and_a_different_date(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "snapshot"  # the shipped one without NVDA (and so without index weights)
    snapshot.mkdir()
    (snapshot / "snapshot.yaml").write_text((SNAPSHOT / "snapshot.yaml").read_text().replace(
        "target: target.csv", "# no target"))
    with (SNAPSHOT / "prices.csv").open() as shipped:
        kept = [line for line in shipped if not line.startswith("NVDA,")]
    (snapshot / "prices.csv").write_text("".join(kept))
    err = _refused(capsys, tmp_path, "--account", str(ACCOUNT), "--market", str(snapshot))
    first = next(lot for lot in load_account(ACCOUNT).lots if lot.ticker == "NVDA")
    assert f"error[D114]: lot {first.lot_id} holds NVDA (and " in err and "today_2026/lots.csv:" in err
    err = _refused(capsys, tmp_path, "--account", str(ACCOUNT), "--market", str(SNAPSHOT),
                   "--as-of", "2026-11-21")
    assert "error[D115]: --as-of 2026-11-21 differs from the market snapshot's as_of 2026-11-20" in err


def test_the_shipped_snapshot_is_valid_and_states_its_sources() -> None:
    snap = load_snapshot(SNAPSHOT)
    assert len(snap.prices) == 463 and snap.target is not None and len(snap.target) == 463
    assert any("sp500_financials_2026.csv" in s for s in snap.sources)
    assert "ODC-PDDL" in " ".join(snap.sources)
    assert abs(sum(snap.target.values()) - 1) < Decimal("1e-9")
