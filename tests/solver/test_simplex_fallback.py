"""An LP the simplex cannot decide (solver/search.py, `run_highs`): from scratch with steepest-edge
pricing where Devex gave up, and, should that fail too, no claim of infeasibility — S103, not S101."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.check import compile_policy
from engine.rebalance import RebalanceOptions
from solver import search
from solver.account_files import load_account
from solver.market import Market
from tailor.api.engine import decide
from tailor.api.inputs import resolve

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = Path(__file__).parent / "accounts" / "undecided_lp" / "account.yaml"
POLICY = ROOT / "policies" / "clients" / "retiree_cash.tailor"


def decided(market: Market):
    return decide(resolve(load_account(ACCOUNT), compile_policy(POLICY), market), RebalanceOptions())[1]


def test_steepest_edge_decides_the_lp_devex_gives_up_on(market: Market) -> None:
    report = decided(market)
    assert report.result.solve.status == "infeasible"
    assert report.status == "infeasible" and report.diagnostics[0].code == "S101"


def test_an_undecided_lp_is_no_proof_of_infeasibility(market: Market,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The companion: without the steepest-edge retry the LP stays undecided, and the report says no
    plan was found — not that no trades satisfy the policy."""
    monkeypatch.setattr(search, "STEEPEST_EDGE", search.DEVEX)
    report = decided(market)
    assert report.result.solve.status == "error"
    assert report.status == "no_plan" and report.diagnostics[0].code == "S103"
