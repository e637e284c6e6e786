"""Splits applied to tax lots, with real splits from the price history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.diagnostics import TailorError
from solver.lots import Lot
from solver.splits import apply_split, apply_splits, split_ratio


def lot(ticker: str, acquired: date, shares: str, basis: str, lot_id: str = "L1") -> Lot:
    return Lot(lot_id=lot_id, ticker=ticker, acquired=acquired, shares=Decimal(shares),
               basis_per_share=Decimal(basis))


def test_aapl_7_for_1_then_4_for_1():
    before = lot("AAPL", date(2013, 1, 2), "10", "549.03")
    after, = apply_splits([before], date(2013, 1, 2), date(2021, 4, 21))
    assert after.shares == Decimal("280")
    assert after.acquired == before.acquired and after.lot_id == before.lot_id
    # 5490.30 / 280 does not terminate in decimal: the basis per share keeps 50 significant digits,
    # so the total agrees to the cent and within 1e-40 dollars.
    assert after.cost_basis.quantize(Decimal("0.01")) == before.cost_basis == Decimal("5490.30")
    with localcontext() as exact:
        exact.prec = 60
        assert abs(after.shares * after.basis_per_share - before.cost_basis) < Decimal("1e-40")


def test_only_splits_after_the_purchase_apply():
    bought_between = lot("AAPL", date(2015, 3, 2), "100", "129.09")
    after, = apply_splits([bought_between], date(2013, 1, 2), date(2021, 4, 21))
    assert after.shares == Decimal("400")
    on_ex_date = lot("AAPL", date(2020, 8, 31), "100", "129.04")
    assert apply_splits([on_ex_date], date(2020, 8, 28), date(2020, 9, 30)) == [on_ex_date]


def test_other_tickers_and_quiet_windows_are_unchanged():
    lots = [lot("MSFT", date(2010, 1, 4), "50", "30.95"), lot("AAPL", date(2015, 1, 2), "5", "109.33", "L2")]
    assert apply_splits(lots, date(2015, 1, 2), date(2019, 12, 31)) == lots


def test_reverse_split_keeps_six_decimal_shares_and_the_total_basis():
    before = lot("MSI", date(2010, 1, 4), "100", "7.77")
    after, = apply_splits([before], date(2010, 1, 4), date(2011, 12, 30))
    assert after.shares == Decimal("14.285714")
    assert after.cost_basis.quantize(Decimal("0.01")) == Decimal("777.00")
    assert abs(after.cost_basis - before.cost_basis) < Decimal("1e-20")


def test_spurious_booked_split_is_not_applied_to_lots():
    before = lot("ANTM", date(2001, 6, 1), "100", "45.00")
    assert apply_splits([before], date(2001, 6, 1), date(2002, 12, 31)) == [before]


@pytest.mark.parametrize(("stored", "exact"), [(7.000007, Fraction(7)), (1.499999, Fraction(3, 2)),
                                               (0.142857142857, Fraction(1, 7)), (0.05, Fraction(1, 20))])
def test_split_ratio_snaps_float_noise(stored, exact):
    assert split_ratio(stored) == exact


def test_split_ratio_rejects_nonsense():
    with pytest.raises(TailorError):
        split_ratio(0.0)


@given(shares=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000000"), places=6),
       basis=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=4),
       ratio=st.sampled_from([Fraction(2), Fraction(3, 2), Fraction(7), Fraction(20), Fraction(1, 8),
                              Fraction(1, 3)]))
def test_total_basis_is_preserved_to_the_cent(shares, basis, ratio):
    before = Lot(lot_id="P", ticker="X", acquired=date(2020, 1, 2), shares=shares, basis_per_share=basis)
    after = apply_split(before, ratio)
    assert after.shares > 0
    cent = Decimal("0.01")
    assert after.cost_basis.quantize(cent) == before.cost_basis.quantize(cent)
    assert abs(after.shares - shares * ratio.numerator / ratio.denominator) <= Decimal("0.0000005")
