"""An LP the simplex cannot decide (solver/highs_runs.py, `run_highs`): from scratch with steepest-edge
pricing where Devex gave up, and, should that fail too, no claim of infeasibility — S103, not S101.

Whether Devex gives up on a given LP depends on the machine's floating point (acct-0137 of the batch
book gave up on one CPU and not on another, and not once the search left free rows out of HiGHS), so
the giving up is scripted here: HiGHS runs for real, and its status is reported as undecided while
the pricing is one that is made to fail."""

from __future__ import annotations

from pathlib import Path

import highspy
import pytest

from compiler.check import compile_policy
from engine.rebalance import RebalanceOptions
from solver import highs_runs
from solver.account_files import load_account
from solver.market import Market
from tailor.api.engine import decide
from tailor.api.inputs import resolve

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = Path(__file__).parent / "accounts" / "undecided_lp" / "account.yaml"
POLICY = ROOT / "policies" / "clients" / "retiree_cash.tailor"
UNDECIDED = highspy.HighsModelStatus.kUnknown


def give_up_under(monkeypatch: pytest.MonkeyPatch, pricings: set[int]) -> list[int]:
    """Every LP run under one of `pricings` reports undecided; returns the pricing of every LP run."""
    seen: list[int] = []
    real_run, status = highspy.Highs.run, highspy.Highs.getModelStatus

    def run(highs: highspy.Highs) -> highspy.HighsStatus:
        pricing = highs.getOptionValue("simplex_dual_edge_weight_strategy")[1]
        relaxation = highs.getOptionValue("solve_relaxation")[1]
        result = real_run(highs)
        highs._gave_up = relaxation and pricing in pricings  # type: ignore[attr-defined]
        if relaxation:
            seen.append(pricing)
        return result

    def model_status(highs: highspy.Highs) -> highspy.HighsModelStatus:
        return UNDECIDED if getattr(highs, "_gave_up", False) else status(highs)

    monkeypatch.setattr(highspy.Highs, "run", run)
    monkeypatch.setattr(highspy.Highs, "getModelStatus", model_status)
    return seen


def retried(seen: list[int]) -> bool:
    """Devex (from the warm basis), Devex again from scratch, then steepest edge: in a row."""
    retry = [highs_runs.DEVEX, highs_runs.DEVEX, highs_runs.STEEPEST_EDGE]
    return any(seen[k:k + 3] == retry for k in range(len(seen)))


def decided(market: Market):
    return decide(resolve(load_account(ACCOUNT), compile_policy(POLICY), market), RebalanceOptions())[1]


def test_steepest_edge_decides_the_lp_devex_gives_up_on(market: Market,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen = give_up_under(monkeypatch, {highs_runs.DEVEX})
    report = decided(market)
    assert report.result.solve.status == "infeasible"
    assert report.status == "infeasible" and report.diagnostics[0].code == "S101"
    assert retried(seen)


def test_an_undecided_lp_is_no_proof_of_infeasibility(market: Market,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The companion: when steepest edge gives up too, the report says no plan was found — not that
    no trades satisfy the policy."""
    seen = give_up_under(monkeypatch, {highs_runs.DEVEX, highs_runs.STEEPEST_EDGE})
    report = decided(market)
    assert report.result.solve.status == "error"
    assert report.status == "no_plan" and report.diagnostics[0].code == "S103"
    assert retried(seen)
