"""The backtest's figures (engine.backtest): the index fund and the liquidation by hand, and the daily
grid against the simulation's own returns on a real S&P 500 run through the COVID drawdown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from engine import load_spec, simulate
from engine.backtest import _fund, _open_year, cohort_table, run_figures
from engine.taxes_saved import Rates
from solver.lots import Lot

ROOT = Path(__file__).resolve().parents[2]
D = Decimal


def test_the_index_fund_pays_its_dividend_tax_each_january_and_its_gain_tax_at_the_end() -> None:
    """$1,000 growing 10% a day with a 1% dividend a day, across a new year, dividends taxed at 20%.
    2020: dividend 10.00, value 1,100. 2021: tax 2.00 → 1,098 (basis 1,008); dividend 10.98, value
    1,207.80. End: tax 2.196 → 1,205.604 (basis 1,016.784); liquidated: 20% of 188.82 → 1,167.84."""
    kept, sold = _fund(np.array([0.1, 0.1]), np.array([0.01, 0.01]), [2020, 2020, 2021], D(1000), 0.2, 0.2)
    assert kept == pytest.approx(1205.604) and sold == pytest.approx(1167.84)


def test_losses_carried_forward_absorb_the_liquidation_gain() -> None:
    """$5,000 of short-term losses carried in, nothing realized this year: $3,000 offsets ordinary income
    (−$1,110 of tax). Selling a lot with an $8,000 long-term gain nets it to $3,000 (tax $600): the sale
    adds $1,710 and leaves no carryforward, against $2,000 without it."""
    lot = Lot(lot_id="L1", ticker="AAPL", acquired=date(2015, 1, 2), shares=D(100), basis_per_share=D(20))
    year = {"realized_short_term": "0", "realized_long_term": "0", "carry_in_short_term": "5000",
            "carry_in_long_term": "0"}
    rates = Rates(D("0.37"), D("0.20"))
    found = _open_year(rates, (lot,), year, {"AAPL": D(100)}, date(2020, 6, 1))
    assert found == (D("1710.00"), D("2000.00"), D(0))


SPEC = f"""start: 2020-02-03
end: 2020-03-31
cadence: monthly
policy: {ROOT / "policies" / "models" / "direct_index.tailor"}
cash: 1000000
tax:
  dividend_rate: 0.20
  paid_from: cash
costs:
  spread_bp: 2
fast_path: bands
"""


def test_the_daily_grid_agrees_with_the_simulation(tmp_path: Path) -> None:
    folder = tmp_path / "2020-monthly"
    folder.mkdir()
    (folder / "spec.yaml").write_text(SPEC)
    result = simulate(load_spec(folder / "spec.yaml"), out=folder)
    assert result.summary is not None
    figures = run_figures(folder)
    years = (date(2020, 3, 31) - date(2020, 2, 3)).days / 365.25
    # The daily grid chains to the simulation's own return; its index, cap weights drifting within each
    # month, to the simulation's index held from each monthly step.
    summary = result.summary
    assert (1 + figures.pretax_return) ** years - 1 == pytest.approx(summary.total_return, abs=1e-6)
    assert (1 + figures.index_return) ** years - 1 == pytest.approx(summary.index_total_return, abs=1e-4)
    assert figures.harvested == summary.harvested > 0 and figures.tax == summary.tax
    # Sold on 2020-03-31 every lot is at a loss: nothing to tax, more losses carried forward.
    assert figures.liquidation_tax == 0 and figures.carry_left_liquidated > figures.carry_left > 0
    assert 0 < figures.ex_ante_tracking_error < figures.tracking_error < 0.05  # March 2020's daily swings
    table = cohort_table(tmp_path, markdown=True)
    assert "| 2020 | monthly | 3/3 |" in table and "| mean of 1 | monthly |" in table
