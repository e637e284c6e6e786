"""transition: immediate, over N years (1/N of the embedded net gain per tax year), within a tax budget.

The legacy account (30 names, a concentrated JPM position, $5.2M of embedded net gain) has realized
$3,500 short-term and $20,000 long-term this year. Net realized gains are what the transition paces.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from compiler.ir import RuleIR
from compiler.rules import RULE_KINDS
from compiler.rules.preferences import PreferencesIR
from compiler.rules.transition import TransitionIR
from compiler.verify_rules import verify
from engine.rebalance import Plan, plan
from solver.account import Account
from solver.lots import Trade
from solver.market import Market
from solver.model import ROUNDING_MARGIN_USD
from solver.verify import build_outcome
from tests.solver.conftest import policy, span

YTD = Decimal(23_500)
TIGHT_TRACKING = PreferencesIR(id="preferences", span=span(2), preset="tight_tracking", tax_weight=0.5,
                               tracking_weight=2.0, cost_weight=1.0)


def transition(mode: str, years: int | None = None, budget: int | None = None) -> TransitionIR:
    return TransitionIR(id="transition", span=span(9), mode=mode, years=years,
                        budget_usd=None if budget is None else Decimal(budget))


def solved(account: Account, market: Market, *rules: RuleIR) -> Plan:
    result = plan(account, policy(*rules), market)
    assert result.result.solve.status == "optimal"
    assert result.result.violations == ()
    return result


@pytest.fixture(scope="module")
def immediate(legacy_account: Account, market: Market) -> Plan:
    return solved(legacy_account, market, transition("immediate"))


def net(result: Plan) -> Decimal:
    return result.outcome.realized_short_term + result.outcome.realized_long_term


def slack(result: Plan) -> Decimal:
    """How far below a binding allowance a plan may end: the room for snapping shares, and a cent a
    sale line (each line's gain is its proceeds less its basis, each to the cent)."""
    return ROUNDING_MARGIN_USD + Decimal("0.01") * len(result.outcome.sales)


def test_immediate_adds_no_limit(legacy_account: Account, market: Market, immediate: Plan) -> None:
    without = solved(legacy_account, market)
    assert immediate.result.trades == without.result.trades
    assert net(immediate) > 250_000  # the balanced trade-off realizes a lot of the legacy gains


@pytest.mark.parametrize("budget", [100_000, 150_000])
def test_tax_budget_counts_gains_realized_earlier_this_year(legacy_account: Account, market: Market,
                                                            immediate: Plan, budget: int) -> None:
    paced = solved(legacy_account, market, transition("tax_budget", budget=budget))
    assert net(paced) + YTD <= budget + Decimal("0.01")
    assert net(paced) + YTD >= budget - slack(paced)  # binding: the balanced answer wants more
    assert paced.outcome.tracking_error_after > immediate.outcome.tracking_error_after


def test_a_spent_budget_realizes_no_further_net_gain(legacy_account: Account, market: Market) -> None:
    paced = solved(legacy_account, market, transition("tax_budget", budget=20_000))
    assert net(paced) <= Decimal("0.005")  # $23,500 already realized: nothing more, losses allowed
    assert paced.outcome.tracking_error_after < paced.outcome.tracking_error_before


def test_over_years_spreads_the_embedded_gain(legacy_account: Account, market: Market) -> None:
    kind = RULE_KINDS["transition"]
    prices = {t: market.price(t) for t in legacy_account.tickers}
    embedded = kind.embedded_gain(legacy_account, prices)
    assert 5_000_000 < embedded < 5_500_000
    immediate = solved(legacy_account, market, transition("immediate"), TIGHT_TRACKING)
    five = solved(legacy_account, market, transition("over_years", years=5), TIGHT_TRACKING)
    ten = solved(legacy_account, market, transition("over_years", years=10), TIGHT_TRACKING)
    assert net(ten) + YTD <= embedded / 10 + Decimal("0.01")
    assert net(ten) + YTD >= embedded / 10 - slack(ten)
    assert net(ten) < net(five) < net(immediate)
    assert (immediate.outcome.tracking_error_after < five.outcome.tracking_error_after
            < ten.outcome.tracking_error_after)


def test_tax_exempt_accounts_are_not_paced(legacy_account: Account, market: Market) -> None:
    ira = legacy_account.model_copy(update={"account_type": "ira"})
    immediate = solved(ira, market, transition("immediate"))
    paced = solved(ira, market, transition("tax_budget", budget=0))
    assert paced.result.trades == immediate.result.trades


def test_verifier_catches_gains_over_the_allowance(legacy_account: Account, market: Market) -> None:
    lot = next(lot for lot in legacy_account.lots if lot.lot_id == "LEG-00001")  # JPM from 2004
    trade = Trade(action="sell", ticker="JPM", shares=Decimal(400), price=market.price("JPM"),
                  lot_id=lot.lot_id, acquired=lot.acquired, basis_per_share=lot.basis_per_share)
    outcome = build_outcome(legacy_account, market, [trade], target={})
    gain = outcome.realized_long_term
    assert 40_000 < gain < 50_000
    assert verify(outcome, [transition("tax_budget", budget=80_000)]) == []
    found = verify(outcome, [transition("tax_budget", budget=50_000)])
    assert [v.code for v in found] == ["V231"]
    assert "$26,500.00" in found[0].message  # $50,000 less the $23,500 realized earlier
    assert verify(outcome, [transition("immediate")]) == []


def test_explanation_states_the_allowance(legacy_account: Account, market: Market) -> None:
    rule = transition("tax_budget", budget=100_000)
    result = solved(legacy_account, market, rule)
    (line,) = RULE_KINDS["transition"].explain(rule, result.outcome)
    used = result.outcome.realized_short_term + result.outcome.realized_long_term + YTD
    assert 100_000 - slack(result) <= used <= 100_000
    assert line.startswith(f"transition within a $100,000 tax budget: ${used:,.2f} of $100,000.00 net gains")
