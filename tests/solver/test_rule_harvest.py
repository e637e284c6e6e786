"""harvest: only losses past the thresholds are worth harvesting.

The legacy account (30 names bought 2004–2021 at real prices) tracks a model of its own current
weights, so nothing needs rebalancing and every loss sale is a harvesting decision: the loss's tax
saving against the tracking error of the replacement buys. Its 18 loss lots range from -0.1% to -62%.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from compiler.ir import RuleIR
from compiler.rules import RULE_KINDS
from compiler.rules.harvest import HarvestIR
from compiler.rules.preferences import PreferencesIR
from compiler.rules.target import TargetIR
from compiler.verify_rules import verify
from engine.rebalance import Plan, plan
from solver.account import Account
from solver.lots import Lot, Trade
from solver.market import Market
from solver.verify import build_outcome
from tests.solver.conftest import policy, span

KIND = RULE_KINDS["harvest"]
TAX_SENSITIVE = PreferencesIR(id="preferences", span=span(2), preset="tax_sensitive", tax_weight=2.0,
                              tracking_weight=0.5, cost_weight=1.0)


def harvest(pct: float, usd: int) -> HarvestIR:
    return HarvestIR(id="harvest", span=span(9), min_loss_pct=pct, min_loss_usd=Decimal(usd))


def loss(lot: Lot, market: Market) -> Decimal:
    return lot.shares * (lot.basis_per_share - market.price(lot.ticker))


@pytest.fixture(scope="module")
def own_target(legacy_account: Account, market: Market, tmp_path_factory: pytest.TempPathFactory) -> TargetIR:
    """A model file holding the account's current weights (10 decimals, summing to exactly 1)."""
    values: dict[str, Decimal] = {}
    for lot in legacy_account.lots:
        values[lot.ticker] = values.get(lot.ticker, Decimal(0)) + lot.shares * market.price(lot.ticker)
    total = sum(values.values(), Decimal(0))
    weights = {t: (v / total).quantize(Decimal("1e-10")) for t, v in sorted(values.items())}
    weights[max(weights, key=weights.__getitem__)] += 1 - sum(weights.values(), Decimal(0))
    path: Path = tmp_path_factory.mktemp("models") / "own.csv"
    path.write_text("ticker,weight\n" + "".join(f"{t},{w}\n" for t, w in weights.items()))
    return TargetIR(id="target", span=span(1), benchmark="model", model_path=str(path))


def solved(account: Account, market: Market, *rules: RuleIR) -> Plan:
    result = plan(account, policy(*rules), market)
    assert result.result.solve.status == "optimal"
    assert result.result.violations == ()
    return result


def harvested(result: Plan) -> set[str]:
    return {s.trade.lot_id or "" for s in result.outcome.sales if s.gain < 0}


def qualifying(rule: HarvestIR, account: Account, market: Market) -> set[str]:
    return {lot.lot_id for lot in account.lots if KIND.qualifies(rule, lot, market.price(lot.ticker))}


@pytest.fixture(scope="module")
def without(legacy_account: Account, market: Market, own_target: TargetIR) -> Plan:
    return solved(legacy_account, market, own_target)


def test_qualification_is_exact(legacy_account: Account, market: Market) -> None:
    lots = {lot.lot_id: lot for lot in legacy_account.lots}
    rule = harvest(0.10, 1_000)
    found = qualifying(rule, legacy_account, market)
    assert len(found) == 13
    for lot_id, lot in lots.items():
        enough = loss(lot, market) >= 1_000 and loss(lot, market) >= Decimal("0.10") * lot.cost_basis
        assert (lot_id in found) is enough


def test_without_the_rule_even_tiny_losses_are_harvested(without: Plan, legacy_account: Account,
                                                          market: Market) -> None:
    lots = {lot.lot_id: lot for lot in legacy_account.lots}
    smallest = min(loss(lots[x], market) / lots[x].cost_basis for x in harvested(without))
    assert smallest < Decimal("0.03")
    assert len(harvested(without)) >= 16


def test_only_losses_past_the_thresholds_are_harvested(without: Plan, legacy_account: Account,
                                                       market: Market, own_target: TargetIR) -> None:
    rule = harvest(0.10, 1_000)
    result = solved(legacy_account, market, own_target, rule)
    assert harvested(result) == qualifying(rule, legacy_account, market)
    assert harvested(result) < harvested(without)
    assert result.outcome.tracking_error_after < without.outcome.tracking_error_after
    (line,) = KIND.explain(rule, result.outcome)
    assert line.startswith("harvest: 13 of 13 lots past the thresholds harvested, realizing $")


def test_the_threshold_holds_whatever_the_tax_weight(legacy_account: Account, market: Market,
                                                     own_target: TargetIR) -> None:
    """The withheld credit scales with the tax weight: a tax-sensitive preset (tax ×2) harvests no
    loss below the dollar threshold either."""
    rule = harvest(0.0, 5_000)
    result = solved(legacy_account, market, own_target, rule, TAX_SENSITIVE)
    assert harvested(result) == qualifying(rule, legacy_account, market)
    assert len(harvested(result)) == 8


def test_the_rule_forbids_nothing_and_explains_small_losses(legacy_account: Account, market: Market) -> None:
    """A loss below the thresholds may still be realized when rebalancing sells the lot (an exclusion,
    a cap, a cash need): the verifier accepts it and the explanation counts it apart."""
    small = next(lot for lot in legacy_account.lots if Decimal(0) < loss(lot, market) < 1_000)
    trade = Trade(action="sell", ticker=small.ticker, shares=small.shares, price=market.price(small.ticker),
                  lot_id=small.lot_id, acquired=small.acquired, basis_per_share=small.basis_per_share)
    outcome = build_outcome(legacy_account, market, [trade], target={})
    rule = harvest(0.10, 1_000)
    assert verify(outcome, [rule]) == []
    (line,) = KIND.explain(rule, outcome)
    assert line.startswith("harvest: 0 of 13 lots past the thresholds harvested")
    assert "1 smaller losses" in line
