"""The optimiser's tax law (`solver.tax`, the model's data) and the verifier's (`solver.verify_law`,
written apart from the rule texts) agree on random inputs: wash-sale windows and substantially
identical groups, Schedule D netting and the estimated tax of a rebalance to the cent, and the
ex-ante tracking error. A misreading in either shows up here as a disagreement."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from compiler.rules.wash_sale import WashSale, WashSaleIR
from solver.market import Market, risk_arrays
from solver.tax import in_wash_window, incremental_tax, to_cents
from solver.verify import tracking_error
from solver.verify_law import (
    added_tax,
    capital_gains_tax,
    cents,
    in_wash_sale_period,
    substantially_identical,
)
from tests.solver.conftest import span

D = Decimal


@given(st.dates(date(2000, 1, 1), date(2040, 12, 31)), st.integers(-70, 70), st.integers(30, 90))
def test_wash_sale_windows_agree(sale: date, offset: int, days: int) -> None:
    purchase = sale + timedelta(days=offset)
    assert in_wash_window(sale, purchase, days) == in_wash_sale_period(sale, purchase, days)


TICKERS = st.sampled_from(["GOOG", "GOOGL", "VOO", "IVV", "SPY", "BRK.B", "XOM"])
GROUPS = st.lists(st.sets(TICKERS, min_size=2, max_size=3), max_size=4)


@given(GROUPS)
@example([{"GOOG", "GOOGL"}, {"GOOGL", "XOM"}])  # overlapping groups join (the optimiser once split them)
def test_substantially_identical_groups_agree(groups: list[set[str]]) -> None:
    rule = WashSaleIR(id="wash_sale", span=span(), window_days=30, scope="account",
                      groups=tuple(tuple(sorted(g)) for g in groups))
    universe = ["GOOG", "GOOGL", "VOO", "IVV", "SPY", "BRK.B", "XOM", "AAPL"]
    optimiser = WashSale.identical(rule, universe)
    for ticker in universe:
        assert set(optimiser[ticker]) == substantially_identical(ticker, rule.groups)


MONEY = st.decimals(-300_000, 300_000, places=2)
CARRY = st.one_of(st.just(D(0)), st.decimals(0, 60_000, places=2))
RATE = st.decimals(D("0"), D("0.5"), places=3)
# the cases where Schedule D's lines change sign, each pinned
CROSSINGS = [(D(0), D(12000), D(-5000), D(0)), (D(-8000), D(2000), D(0), D(0)),
             (D(1000), D(-4000), D(5000), D(-500)), (D(3500), D(20000), D(-30000), D(4000))]


@settings(max_examples=400)
@given(MONEY, MONEY, MONEY, MONEY, CARRY, CARRY, RATE, RATE)
@example(*CROSSINGS[0], D(0), D(0), D("0.37"), D("0.20"))
@example(*CROSSINGS[1], D(0), D(0), D("0.37"), D("0.20"))
@example(*CROSSINGS[2], D(2500), D(0), D("0.37"), D("0.20"))
@example(*CROSSINGS[3], D(0), D(7000), D("0.37"), D("0.20"))
def test_estimated_tax_agrees_to_the_cent(before_st: Decimal, before_lt: Decimal, added_st: Decimal,
                                          added_lt: Decimal, carry_st: Decimal, carry_lt: Decimal,
                                          st_rate: Decimal, lt_rate: Decimal) -> None:
    args = (before_st, before_lt, added_st, added_lt, carry_st, carry_lt, st_rate, lt_rate)
    assert cents(added_tax(*args)) == to_cents(incremental_tax(*args))


def test_schedule_d_by_hand() -> None:
    """Worked by the form's lines, at 37% short-term and 20% long-term."""
    rates = (D("0.37"), D("0.20"))
    # line 7 = -5,000, line 15 = 12,000, line 16 = 7,000: all of it net capital gain (long-term)
    assert capital_gains_tax(D(-5000), D(12000), D(0), D(0), *rates) == D("1400.00")
    # line 7 = 9,000, line 15 = -4,000, line 16 = 5,000: no net capital gain, all ordinary
    assert capital_gains_tax(D(9000), D(-4000), D(0), D(0), *rates) == D("1850.00")
    # line 16 = -8,000: $3,000 deducted from ordinary income (line 21), the rest carried over
    assert capital_gains_tax(D(-10000), D(2000), D(0), D(0), *rates) == D("-1110.00")
    # a long-term carryover of 4,000 against 10,000 long-term and 1,000 short-term gains
    assert capital_gains_tax(D(1000), D(10000), D(0), D(4000), *rates) == D("1570.00")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 506), st.integers(1, 3000)), min_size=1, max_size=40),
       st.integers(0, 200_000), st.booleans())
def test_tracking_error_agrees_with_the_models_risk_arrays(market: Market, held: list[tuple[int, int]],
                                                           cash: int, equal: bool) -> None:
    """The verifier's √(aᵀ(XFXᵀ + D)a) on the risk model's arrays against the optimiser's
    diagonalised form, names outside the risk model (VAR) included; an S&P 500 ETF held (SPY, IVV,
    VOO are among the priced names) is looked through to the index on both sides (Market.look_through,
    the one definition)."""
    names = list(market.prices.index)
    shares = {names[k]: D(n) for k, n in held}
    target = {t: float(w) for t, w in market.benchmarks["sp500_equal" if equal else "sp500"].items()}
    verifier = tracking_error(market, shares, D(cash), target)
    values = {t: float(s * market.price(t)) for t, s in shares.items()}
    total = sum(values.values()) + cash
    weights = market.look_through(pd.Series({t: v / total for t, v in values.items()}, dtype=float))
    universe = sorted(set(weights.index) | set(target))
    active = np.array([float(weights.get(t, 0.0)) - target.get(t, 0.0) for t in universe])
    optimiser = float(np.sqrt(risk_arrays(market.risk, universe).variance(active)))
    assert abs(verifier - optimiser) <= 1e-9 * max(1.0, optimiser)
