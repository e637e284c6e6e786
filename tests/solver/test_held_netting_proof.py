"""An infeasibility proven with the Schedule D binaries held (solver/netting_choice.py): when every
other combination's LP is infeasible, the branch and bound's exhausted tree over the chosen one covers
them all, so the account is infeasible — before, such a proof counted as incomplete and the account
ended with no plan and no proof (`work_limit`, S103: "please report this account").

The account reaches that proof with the wash-sale splits' tangents left out of the search
(solver/perspective.py). With them in from the first LP, as the search runs, the chosen
combination's own relaxation is infeasible already, nothing is held, and the branch and bound over
every binary proves it (none of the book's 1,000 accounts reaches the held proof then); the tests
leave them out to keep the held proof's two sides covered."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.check import compile_policy
from engine.rebalance import RebalanceOptions, plan
from solver.account_files import load_account
from solver.market import Market
from solver.netting_choice import NettingChoice
from solver.perspective import SplitTangents

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = Path(__file__).parent / "accounts" / "held_netting_infeasible" / "account.yaml"
POLICY = ROOT / "policies" / "clients" / "retiree_cash.tailor"


@pytest.fixture(autouse=True)
def splits_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SplitTangents, "enable", lambda self: 0)


def test_an_exhausted_tree_with_the_netting_held_proves_infeasibility(market: Market) -> None:
    found = plan(load_account(ACCOUNT), compile_policy(POLICY), market, RebalanceOptions())
    assert found.result.solve.status == "infeasible"
    assert not found.result.trades


def test_without_the_other_combinations_ruled_out_it_proves_nothing(market: Market,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The companion: the same tree, counted as a proof only for the combination held, leaves no plan
    and no proof."""
    monkeypatch.setattr(NettingChoice, "others_hold_no_point", lambda self: False)
    found = plan(load_account(ACCOUNT), compile_policy(POLICY), market, RebalanceOptions())
    assert found.result.solve.status == "work_limit"
