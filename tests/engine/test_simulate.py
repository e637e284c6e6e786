"""Simulations end to end on real data: what a real account meets, recorded to the cent."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from engine import SimulationResult
from solver.tax import net_gains, to_cents
from tests.engine.conftest import START


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as stream:
        return list(csv.DictReader(stream))


def test_a_quarterly_run_completes_and_reports_every_period(quarterly: tuple[SimulationResult, Path]) -> None:
    result, out = quarterly
    assert result.status == "complete" and result.troubles == ()
    assert [p.date for p in result.periods] == [START, date(2019, 9, 30), date(2019, 12, 31),
                                               date(2020, 3, 31), date(2020, 6, 30), date(2020, 9, 30)]
    assert {p.status for p in result.periods} == {"solved"}  # a quarter always brings cash (dividends)
    assert result.summary is not None and result.summary.end_value == result.periods[-1].value
    money = ("value", "cash", "flow", "dividends", "costs", "realized_short_term", "realized_long_term",
             "harvested", "tax", "tax_paid")
    for row in rows(out / "periods.csv"):
        assert all(len(row[name].split(".")[1]) == 2 for name in money)  # cents, half-even
    assert sorted(p.name for p in out.iterdir()) == ["basis_adjustments.csv", "events.csv", "periods.csv",
                                                     "periods.parquet",
                                                     "simulation.json", "timings.json", "trades.csv",
                                                     "trades.parquet", "years.csv"]


def test_dividends_are_credited_on_their_ex_dates(quarterly: tuple[SimulationResult, Path]) -> None:
    result, _ = quarterly
    # JPM went ex-dividend $0.90 on 2019-10-03.
    jpm = next(e for e in result.events if (e.ticker, e.date) == ("JPM", date(2019, 10, 3)))
    assert jpm.kind == "dividend" and jpm.per_share == Decimal("0.9")
    assert jpm.amount == to_cents(jpm.shares * Decimal("0.9")) and jpm.step == 2  # the quarter to 2019-12-31
    by_step: dict[int, Decimal] = defaultdict(Decimal)
    for event in result.events:
        if event.kind == "dividend":
            by_step[event.step] += event.amount
    assert all(p.dividends == by_step[p.step] for p in result.periods)


def test_the_aapl_split_is_applied_to_the_lots(quarterly: tuple[SimulationResult, Path]) -> None:
    result, out = quarterly
    held = sum(Decimal(r["shares"]) for r in rows(out.parent / "lots.csv") if r["ticker"] == "AAPL")
    for trade in result.trades:
        if trade.ticker == "AAPL" and trade.date < date(2020, 8, 31):
            held += trade.shares if trade.action == "buy" else -trade.shares
    [split] = [e for e in result.events if e.kind == "split" and e.ticker == "AAPL"]
    assert (split.date, split.per_share, split.note, split.shares) == (date(2020, 8, 31), 4, "4:1", 4 * held)
    after = [t for t in result.trades if t.ticker == "AAPL" and t.date > date(2020, 8, 31)]
    assert all(t.price < 200 for t in after)  # post-split prices against post-split lots


def test_the_tax_year_rolls_with_its_carryforward(quarterly: tuple[SimulationResult, Path]) -> None:
    result, out = quarterly
    first, second = result.years
    # The account started 2019 with $20,000 of short-term losses already realized.
    assert first.year == 2019 and first.realized_short_term < Decimal(-20000)
    netted = net_gains(first.realized_short_term, first.realized_long_term)  # Schedule D, on the cents
    assert abs(first.carry_out_short_term - netted.carryforward_short_term) <= Decimal("0.01")
    assert abs(first.carry_out_long_term - netted.carryforward_long_term) <= Decimal("0.01")
    assert first.carry_out_short_term + first.carry_out_long_term > 0
    assert (second.carry_in_short_term, second.carry_in_long_term) == (first.carry_out_short_term,
                                                                        first.carry_out_long_term)
    assert first.paid_from == "cash" and first.paid_on == date(2020, 3, 31)
    paid = next(p for p in result.periods if p.date == date(2020, 3, 31))
    assert paid.tax_paid == first.tax and paid.flow == Decimal(3000) - first.tax  # the deposit less the tax
    assert second.paid_from == "" and len(rows(out / "years.csv")) == 2  # the open year: accrued so far
    assert sum((p.tax for p in result.periods if p.date.year == 2020), Decimal(0)) == pytest.approx(
        second.tax, abs=Decimal("0.05"))


def test_trades_carry_their_costs_into_basis_and_gains(quarterly: tuple[SimulationResult, Path]) -> None:
    result, _ = quarterly
    buys = [t for t in result.trades if t.action == "buy"]
    sells = [t for t in result.trades if t.action == "sell"]
    assert buys and sells and all(t.cost > 0 for t in result.trades)
    assert all(t.cost_basis == t.amount + t.cost and t.realized_gain is None for t in buys)
    assert all(t.realized_gain is not None and t.lot_id for t in sells)
    by_step: dict[int, Decimal] = defaultdict(Decimal)
    for trade in result.trades:
        by_step[trade.step] += trade.cost
    assert all(abs(p.costs - by_step[p.step]) <= Decimal("0.01") * p.trades for p in result.periods)
    # Costs come out of cash: the plans leave room for them (or their largest buy gives way, re-verified).
    assert all(p.cash >= 0 for p in result.periods)


def test_a_loss_sold_is_not_bought_back_within_the_window(daily: SimulationResult) -> None:
    loss_sales = [(t.ticker, t.date) for t in daily.trades if t.action == "sell" and t.realized_gain < 0]
    buys = [(t.ticker, t.date) for t in daily.trades if t.action == "buy"]
    solved = [p.date for p in daily.periods if p.status == "solved"]
    # The window is carried across steps: loss sales followed by later solved steps inside 30 days.
    assert any(any(d < later <= d + timedelta(days=30) for later in solved) for _, d in loss_sales)
    for ticker, sold in loss_sales:
        assert not [b for b in buys if b[0] == ticker and sold < b[1] <= sold + timedelta(days=30)]


def test_fast_path_skips_are_counted_by_screen(daily: SimulationResult) -> None:
    skipped = [p for p in daily.periods if p.status == "skipped"]
    assert skipped and daily.screens["skipped"] == len(skipped)
    assert all(p.trades == 0 and p.flow == 0 and p.screens == "skip" for p in skipped)
    for name, count in daily.screens.items():
        if name != "skipped":
            assert count == sum(name in p.screens.split("+") for p in daily.periods)
    assert daily.summary is not None and daily.summary.skipped + daily.summary.solved == len(daily.periods)


def test_a_wash_sale_moves_its_loss_into_the_replacement_lot_for_the_next_sale(
        quarterly: tuple[SimulationResult, Path]) -> None:
    """On the first day WFC lot L0016 (36.0945 shares bought 2017-06-30 at $55.41) sells at $47.32: its
    line's cost basis is $2,000.00 (36.0945 × $55.41 = $1,999.996245) and its proceeds $1,707.99
    ($1,707.99174), each to the cent as a broker's 1099-B lists them: a loss of $292.01. L0106 (45.0755
    shares bought 2019-05-31 at $44.37, 28 days before) is kept: 36.0945 of its shares replace the loss
    shares. The loss is disallowed and moves into their basis, $44.37 + $292.01 / 36.0945 a share, held
    since 2017-06-30. On 2019-12-31 some of them sell at $53.80 (how many is the plan's choice, which
    moved with the solver: 30.83892, then 30.934478, then 30.222369): the cost basis is that adjusted
    basis, the gain the proceeds less basis and costs, long-term (bought seven months before, but held
    since 2017)."""
    result, out = quarterly
    sale = next(t for t in result.trades if t.lot_id == "L0016" and t.date == START)
    assert (sale.cost_basis, sale.amount) == (Decimal("2000.00"), Decimal("1707.99"))
    assert (sale.disallowed_loss, sale.realized_gain) == (Decimal("292.01"), -sale.cost)
    wfc = [a for a in result.adjustments if a.from_lot == "L0016"]
    assert [(a.lot_id, a.matched_lot_id, a.shares, a.loss_added, a.holding_period_start) for a in wfc] == [
        ("L0106", "L0106~L0016", Decimal("36.0945"), Decimal("292.01"), date(2017, 6, 30))]
    later = next(t for t in result.trades if t.lot_id == "L0106~L0016")
    assert (later.date, later.acquired, later.price) == (date(2019, 12, 31), date(2019, 5, 31),
                                                         Decimal("53.80"))
    assert Decimal(0) < later.shares <= Decimal("36.0945")
    adjusted = Decimal("44.37") + Decimal("292.01") / Decimal("36.0945")
    assert later.cost_basis == (later.shares * adjusted).quantize(Decimal("0.01"))
    assert later.amount == (later.shares * later.price).quantize(Decimal("0.01"))
    # A row adds up to the cent (docs/simulate.md): proceeds less basis less its share of the cost.
    assert later.realized_gain == later.amount - later.cost_basis - later.cost
    assert later.cost > 0 and later.term == "long"
    written = rows(out / "basis_adjustments.csv")
    assert [r["matched_lot_id"] for r in written] == [a.matched_lot_id for a in result.adjustments]
