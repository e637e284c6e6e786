"""Asset location's data: trailing dividend yields (hand-computed from the history's payouts) and the
expected tax drag they imply by account type."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from core.diagnostics import TailorError
from market.dividends import trailing_dividend_yield
from solver.account import Account, TaxProfile
from solver.asset_location import tax_drag

ROOT = Path(__file__).resolve().parents[2]


def test_a_yield_is_a_years_payouts_over_the_close() -> None:
    """XOM paid $0.87 on 2019-05-10, 08-12, 11-08 and 2020-02-10 and closed at $31.45 on 2020-03-23:
    4 × 0.87 / 31.45 = 11.0652%. A name the history does not price yields 0."""
    found = trailing_dividend_yield(date(2020, 3, 23), pd.Series({"XOM": 31.45, "NOPE": 10.0}))
    assert found["XOM"] == pytest.approx(4 * 0.87 / 31.45, abs=1e-12)
    assert found["NOPE"] == 0.0


def test_payouts_before_a_split_count_per_share_of_today() -> None:
    """AAPL paid $0.77, $0.77, $0.82 and $0.82 in the year to 2020-09-30, all before its 4:1 split of
    2020-08-31, and closed at $115.81: (0.77 + 0.77 + 0.82 + 0.82) / 4 / 115.81 = 0.6865%."""
    found = trailing_dividend_yield(date(2020, 9, 30), pd.Series({"AAPL": 115.81}))
    assert found["AAPL"] == pytest.approx(3.18 / 4 / 115.81, abs=1e-12)


def test_a_date_without_a_years_history_is_refused() -> None:
    with pytest.raises(TailorError) as exc:
        trailing_dividend_yield(date(1999, 6, 1), pd.Series({"XOM": 40.0}))
    assert exc.value.diagnostics[0].code == "D101"


def test_the_drag_is_the_yield_taxed_at_the_long_term_rate_and_nothing_when_sheltered() -> None:
    yields = pd.Series({"XOM": 0.11, "AMZN": 0.0})
    taxable = Account(account_id="t", lots=(), tax=TaxProfile(long_term_rate=Decimal("0.238"),
                                                              short_term_rate=Decimal("0.408")))
    assert tax_drag(yields, taxable).to_dict() == pytest.approx({"XOM": 0.11 * 0.238, "AMZN": 0.0})
    for kind in ("ira", "roth"):
        sheltered = taxable.model_copy(update={"account_type": kind})
        assert tax_drag(yields, sheltered).to_dict() == {"XOM": 0.0, "AMZN": 0.0}
