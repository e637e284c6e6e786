"""preferences: the objective's trade-off between tax, tracking error and trading cost.

The legacy account (30 names, a concentrated JPM position, tracking error 8.8% against the S&P 500)
is the natural test: every step toward the index realizes gains, so the weights decide how far it goes.
"""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from compiler.rules import RULE_KINDS
from compiler.rules.preferences import PRESETS, PreferencesIR
from compiler.verify_rules import verify
from engine.rebalance import Plan, plan
from solver.account import Account
from solver.market import Market
from solver.model import AccountModel
from solver.verify import build_outcome
from tests.solver.conftest import policy, span

KIND = RULE_KINDS["preferences"]


def preferences(preset: str | None, tax: float | None = None, tracking: float | None = None,
                cost: float | None = None) -> PreferencesIR:
    base = PRESETS[preset or "balanced"]
    return PreferencesIR(id="preferences", span=span(2), preset=preset,
                         tax_weight=base[0] if tax is None else tax,
                         tracking_weight=base[1] if tracking is None else tracking,
                         cost_weight=base[2] if cost is None else cost)


@pytest.fixture(scope="module")
def by_preset(legacy_account: Account, market: Market) -> dict[str, Plan]:
    found = {}
    for preset in ("balanced", "tax_sensitive", "tight_tracking", "low_turnover"):
        result = plan(legacy_account, policy(preferences(preset)), market)
        assert result.result.solve.status == "optimal" and result.result.violations == ()
        found[preset] = result
    return found


def test_tax_sensitive_defers_gains_and_tight_tracking_pays_them(by_preset: dict[str, Plan]) -> None:
    tax = {p: r.outcome.estimated_tax for p, r in by_preset.items()}
    te = {p: r.outcome.tracking_error_after for p, r in by_preset.items()}
    assert tax["tax_sensitive"] < tax["balanced"] < tax["tight_tracking"]
    assert te["tax_sensitive"] > te["balanced"] > te["tight_tracking"]


def test_low_turnover_trades_less(by_preset: dict[str, Plan]) -> None:
    assert by_preset["low_turnover"].outcome.turnover < by_preset["balanced"].outcome.turnover


def test_weights_reach_the_objective(legacy_account: Account, market: Market) -> None:
    model = AccountModel([legacy_account], market)
    rule = preferences(None, tax=2.5, tracking=0.0, cost=3.0)
    contribution = KIND.lower(rule, pyo.Block(concrete=True), model)
    assert contribution.objective_weights == {"tax": 2.5, "tracking": 0.0, "cost": 3.0}
    # A taxable account's carried-forward losses are their own term, priced in tax units.
    assert set(contribution.objective) == {"preferences.tax", "preferences.carryforward",
                                           "preferences.tracking", "preferences.cost"}
    model.assemble([contribution])  # the assembler sets the Params the other rules' terms reference
    assert {k: pyo.value(w) for k, w in model.m.objective_weight.items()} == {"tax": 2.5, "tracking": 0.0,
                                                                              "cost": 3.0}
    assert set(model.objective_terms) == set(contribution.objective)


def test_no_tracking_weight_means_no_trade_for_tracking(legacy_account: Account, market: Market) -> None:
    """Tax and cost only: nothing is worth selling at a gain; only losses are harvested."""
    result = plan(legacy_account, policy(preferences(None, tax=1.0, tracking=0.0, cost=1.0)), market)
    assert result.result.solve.status == "optimal" and result.result.violations == ()
    assert all(s.gain < 0 for s in result.outcome.sales)
    assert result.outcome.realized_long_term + result.outcome.realized_short_term < 0


def test_nothing_to_verify_and_the_explanation_gives_the_figures(by_preset: dict[str, Plan],
                                                                 legacy_account: Account,
                                                                 market: Market) -> None:
    """Preferences rank answers and forbid none: even doing nothing passes their check."""
    idle = build_outcome(legacy_account, market, [], target={})
    assert verify(idle, [preferences("tight_tracking")]) == []
    (line,) = KIND.explain(preferences("tax_sensitive"), by_preset["tax_sensitive"].outcome)
    assert line.startswith("objective weights tax 2, tracking 0.5, cost 1 (tax_sensitive preset): "
                           "estimated tax $")
    assert "tracking error 8.77% →" in line
