"""Tax-lot rules with exact figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solver.tax import (
    days_to_long_term,
    in_wash_window,
    incremental_tax,
    is_long_term,
    long_term_from,
    net_gains,
    realized_gain,
    tax_on,
    to_cents,
)

D = Decimal


def test_holding_period_boundary_is_more_than_one_year() -> None:
    bought = date(2023, 2, 5)
    assert not is_long_term(bought, date(2024, 2, 5))
    assert is_long_term(bought, date(2024, 2, 6))
    assert long_term_from(bought) == date(2024, 2, 6)


def test_the_year_counts_from_the_day_after_purchase() -> None:
    """Bought on the last day of February before a leap year: the holding period starts 1 March, so
    its first year runs through 29 February. The other leap-year cases: tests/verify."""
    bought = date(2023, 2, 28)
    assert not is_long_term(bought, date(2024, 2, 29))
    assert long_term_from(bought) == date(2024, 3, 1)


def test_days_to_long_term() -> None:
    assert days_to_long_term(date(2020, 5, 1), date(2021, 4, 21)) == 11
    assert days_to_long_term(date(2012, 1, 3), date(2021, 4, 21)) == 0


def test_realized_gain_is_exact_and_cents_round_half_even() -> None:
    gain = realized_gain(D("122.0878"), D("56.0"), D("86"))
    assert gain == D("-3662.634")
    assert to_cents(gain) == D("-3662.63")
    assert to_cents(D("0.125")) == D("0.12") and to_cents(D("0.135")) == D("0.14")


@pytest.mark.parametrize(("purchase", "inside"), [
    (date(2021, 3, 22), True),   # 30 days before the sale
    (date(2021, 3, 21), False),  # 31 days before
    (date(2021, 5, 21), True),   # 30 days after
    (date(2021, 5, 22), False),  # 31 days after
])
def test_wash_sale_window_reaches_30_days_both_ways(purchase: date, inside: bool) -> None:
    assert in_wash_window(date(2021, 4, 21), purchase) is inside


def test_netting_short_term_loss_against_long_term_gain() -> None:
    netted = net_gains(D(-5000), D(12000))
    assert (netted.net_short_term, netted.net_long_term) == (D(0), D(7000))
    assert netted.ordinary_offset == 0


def test_net_loss_offsets_3000_and_carries_forward_keeping_character() -> None:
    netted = net_gains(D(-8000), D(2000))
    assert netted.net_short_term == 0 and netted.net_long_term == 0
    assert netted.ordinary_offset == D(3000)
    assert (netted.carryforward_short_term, netted.carryforward_long_term) == (D(3000), D(0))
    both = net_gains(D(-1000), D(-4500))
    assert both.ordinary_offset == D(3000)
    assert (both.carryforward_short_term, both.carryforward_long_term) == (D(0), D(2500))


def test_carryforward_reduces_gains_of_its_own_character_first() -> None:
    netted = net_gains(D(1000), D(10000), carry_short_term=D(0), carry_long_term=D(4000))
    assert (netted.net_short_term, netted.net_long_term) == (D(1000), D(6000))


def test_tax_and_incremental_tax_with_year_to_date_gains() -> None:
    rates = (D("0.37"), D("0.20"))
    assert tax_on(net_gains(D(1000), D(6000)), *rates) == D("1570.00")
    # $12,000 long-term realized this year; harvesting a $5,000 short-term loss saves 20% of it.
    assert incremental_tax(D(0), D(12000), D(-5000), D(0), D(0), D(0), *rates) == D("-1000.00")
    # a loss beyond the gains: $3,000 offsets ordinary income at the short-term rate.
    assert incremental_tax(D(0), D(2000), D(-10000), D(0), D(0), D(0), *rates) == D("-1510.00")


@given(st.decimals(-10**6, 10**6, places=2), st.decimals(-10**6, 10**6, places=2))
def test_netting_conserves_the_total(short: Decimal, long: Decimal) -> None:
    netted = net_gains(short, long)
    left = netted.net_short_term + netted.net_long_term
    lost = netted.ordinary_offset + netted.carryforward_short_term + netted.carryforward_long_term
    assert left - lost == short + long
    assert netted.ordinary_offset <= 3000


def test_a_negative_amount_rounding_to_zero_is_zero_never_minus_zero() -> None:
    """`-0.00` appears nowhere: not in result.json or trades.csv (both take `to_cents`), nor in the
    summary table, the explanation text or `tailor test` messages (their money helpers)."""
    from engine.explain.costs import _money as costs_money
    from engine.explain.policy_test_runner import _fmt
    from engine.explain.reasons import _money as reasons_money
    from engine.explain.render import _money as render_money
    from solver.outputs import _money as summary_money

    cents = to_cents(D("-0.004"))
    assert str(cents) == "0.00" and not cents.is_signed()
    assert str(to_cents(D("-0.005"))) == "0.00" and str(to_cents(D("-0.006"))) == "-0.01"
    for show in (summary_money, costs_money, reasons_money, render_money, lambda v: _fmt("cash_after", v)):
        assert show(D("-0.004")) == "$0.00"
        assert show(D("-1234.5")) == "-$1,234.50"
