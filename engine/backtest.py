"""Figures of the daily-versus-annual backtest (benchmarks/backtest.py, docs/backtest.md) from simulation
folders: after-tax returns against an index fund, tax alpha with and without liquidation at the end,
tax paid, tracking error.

Every figure is computed on the trading days between the first and the last step, whatever the
cadence, so that daily, monthly and annual runs are measured alike:

* **the account's daily value**: the lots after each step (replayed from the trade log,
  engine.taxes_saved_inputs) valued at each day's close until the next step — each position grown by
  its name's total return, its dividends moved to cash as the simulation credits them — plus the
  step's cash, less the step's trading costs. Returns are taken within a step's holdings, so money
  leaving for tax is no return; chained, they give the simulation's own time-weighted return (tested);
* **the index**: the S&P 500 cap weights (engine.market_day.CapWeights) of each month's first trading
  day, drifting with the members' total returns, times each member's total return; its dividend
  yield, each member's dividend over its previous close;
* **the index fund**, the after-tax benchmark: $1,000,000 (the account's cash) in the index on the first
  step, its dividends taxed at the dividend rate each year and the tax paid from the fund on the first
  trading day of the next year (the rest reinvested, adding to its basis); at the end, the open year's
  dividend tax and, with liquidation, the long-term rate on its gain over its basis;
* **the account after tax**: its value at the last step less what it still owes (the open year's tax,
  Schedule D netting with its carryforwards) and, with liquidation, the tax on selling every lot at the
  last close, netted in the same year (carryforwards left over after that are worth nothing here).

`tax_alpha` = after-tax return difference (account − fund) − pre-tax return difference (account −
index), annualised, without and with liquidation: what tax management adds after its tracking cost.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np

from engine.market_day import CapWeights
from engine.spec_yaml import load_spec
from engine.taxes_saved import Rates
from engine.taxes_saved_inputs import Replayed, simulation_lots
from market.prices import load_prices
from solver.lots import Lot
from solver.tax import is_long_term, net_gains, tax_on, to_cents

ZERO = Decimal(0)
TRADING_DAYS = 252


@dataclass(frozen=True)
class RunFigures:
    cohort: int
    cadence: str
    start: date
    end: date
    solved: int
    steps: int
    pretax_return: float  # annualised, time-weighted, daily grid
    index_return: float  # annualised total return of the index, daily grid
    after_tax: float  # annualised: (value at the end less the tax still owed) / start
    after_tax_liquidated: float
    after_tax_credited: float  # as after_tax, with the losses carried past the end worth the long-term rate
    fund_after_tax: float
    fund_after_tax_liquidated: float
    tax: Decimal  # every year's tax, the open year's included (negative: saved on other income)
    dividend_tax: Decimal  # the part of `tax` on dividends
    liquidation_tax: Decimal  # what selling everything at the end adds
    carry_left: Decimal  # losses carried forward past the end (valued at nothing in the returns)
    carry_left_liquidated: Decimal  # … after selling everything at the end
    carry_value: Decimal  # carry_left at the long-term rate

    @property
    def gains_tax(self) -> Decimal:
        """Tax on realized gains (net of the $3,000 offsets) less what the losses carried past the end
        are worth at the long-term rate: the tax harvesting can change."""
        return self.tax - self.dividend_tax - self.carry_value

    harvested: Decimal
    costs: Decimal
    tracking_error: float  # realized: stdev of daily return differences × √252
    ex_ante_tracking_error: float  # mean over the steps, after trading

    @property
    def tax_alpha(self) -> float:
        return (self.after_tax - self.fund_after_tax) - (self.pretax_return - self.index_return)

    @property
    def tax_alpha_credited(self) -> float:
        return (self.after_tax_credited - self.fund_after_tax) - (self.pretax_return - self.index_return)

    @property
    def tax_alpha_liquidated(self) -> float:
        return (self.after_tax_liquidated - self.fund_after_tax_liquidated) - (
            self.pretax_return - self.index_return
        )


@cache
def _market() -> tuple[object, np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    history = load_prices()
    adjusted = history.adjusted_close.ffill().to_numpy()
    close = history.close.ffill().to_numpy()
    dividends = np.nan_to_num(history.dividends.to_numpy())
    column = {t: i for i, t in enumerate(history.close.columns)}
    return CapWeights(history), adjusted, close, dividends, column


@cache
def index_days(first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """The index's total return and dividend yield on each row in (first, last]. The cap weights are
    taken on the first trading day of each month (and the first row) and drift with each member's total
    return in between, as a cap-weighted index held from that day does (a member joining mid-month
    enters at the next month)."""
    caps, adjusted, close, dividends, column = _market()
    dates = load_prices().dates
    returns, yields = np.zeros(last - first), np.zeros(last - first)
    weights, cols = np.zeros(0), np.zeros(0, dtype=int)
    for n, row in enumerate(range(first + 1, last + 1)):
        before = dates[row - 1]
        if n == 0 or before.month != dates[row - 2].month:
            found = caps.on(before.date())  # type: ignore[attr-defined]
            cols, weights = np.array([column[t] for t in found.index]), found.to_numpy()
        grown = np.nan_to_num(adjusted[row, cols] / adjusted[row - 1, cols] - 1.0)
        paid = np.nan_to_num(dividends[row, cols] / close[row - 1, cols])
        returns[n] = float(weights @ grown)
        yields[n] = float(weights @ paid)
        weights = weights * (1.0 + grown) / (1.0 + returns[n])
    return returns, yields


def account_days(replayed: list[Replayed], periods: list[dict[str, str]], rows: list[int]) -> np.ndarray:
    """The account's return on each row in (rows[0], rows[-1]], within the holdings of the last step.
    Each day a position grows by its name's total return (the repaired adjusted close) and its dividend
    (at most that return) moves to cash, which earns nothing until the next step, as in the simulation.
    A step's trading costs are a loss on its own day (the first step's on the first day after it)."""
    _, adjusted, close, dividends, column = _market()
    out = np.zeros(rows[-1] - rows[0])
    for k in range(len(rows) - 1):
        shares: dict[str, float] = {}
        for lot in replayed[k].after:
            shares[lot.ticker] = shares.get(lot.ticker, 0.0) + float(lot.shares)
        cols = np.array([column[t] for t in shares], dtype=int)
        first, last = rows[k], rows[k + 1]
        grown = np.nan_to_num(adjusted[first + 1 : last + 1, cols] / adjusted[first:last, cols], nan=1.0)
        yields = np.nan_to_num(dividends[first + 1 : last + 1, cols] / close[first:last, cols])
        paid = np.clip(yields, 0.0, grown)
        positions = (
            np.array(list(shares.values()))
            * close[first, cols]
            * np.vstack([np.ones(len(cols)), np.cumprod(grown - paid, axis=0)])
        )
        received = np.cumsum((positions[:-1] * paid).sum(axis=1))
        cash = float(periods[k]["cash"]) + np.concatenate([[0.0], received])
        values = positions.sum(axis=1) + cash
        out[first - rows[0] : last - rows[0]] = values[1:] / values[:-1] - 1.0
    for k, row in enumerate(periods):
        costs, value, flow = (float(row[name]) for name in ("costs", "value", "flow"))
        at = max(rows[k] - rows[0] - 1, 0) if k else 0
        out[at] = (1 + out[at]) * (1 - costs / (value + costs - flow)) - 1 if costs else out[at]
    return out


def _annualised(growth: float, years: float) -> float:
    return growth ** (1 / years) - 1 if growth > 0 else -1.0


def _fund(
    returns: np.ndarray,
    yields: np.ndarray,
    years_of_rows: list[int],
    start: Decimal,
    dividend_rate: float,
    long_term_rate: float,
) -> tuple[float, float]:
    """The index fund's value after tax at the end, without and with liquidation."""
    value, basis, paid, year = float(start), float(start), 0.0, years_of_rows[0]
    for r, y, row_year in zip(returns, yields, years_of_rows[1:], strict=True):
        if row_year != year:
            tax = paid * dividend_rate
            value, basis, paid, year = value - tax, basis + paid - tax, 0.0, row_year
        paid += value * y
        value *= 1.0 + r
    tax = paid * dividend_rate
    value, basis = value - tax, basis + paid - tax
    return value, value - long_term_rate * max(value - basis, 0.0)


def _open_year(
    rates: Rates, lots: tuple[Lot, ...], year_row: dict[str, str], prices: dict[str, Decimal], day: date
) -> tuple[Decimal, Decimal, Decimal]:
    """What selling every lot at the last close adds to the open year's tax (Schedule D netting with its
    carryforwards), and the losses still carried forward at the end without and with that sale."""
    st, lt = Decimal(year_row["realized_short_term"]), Decimal(year_row["realized_long_term"])
    carry = Decimal(year_row["carry_in_short_term"]), Decimal(year_row["carry_in_long_term"])
    add_st = add_lt = ZERO
    for lot in lots:
        gain = lot.shares * (prices[lot.ticker] - lot.basis_per_share)
        if is_long_term(lot.held_since, day):
            add_lt += gain
        else:
            add_st += gain
    kept, sold = net_gains(st, lt, *carry), net_gains(st + add_st, lt + add_lt, *carry)
    added = tax_on(sold, rates.short_term, rates.long_term) - tax_on(
        kept, rates.short_term, rates.long_term
    )
    return (
        to_cents(added),
        to_cents(kept.carryforward_short_term + kept.carryforward_long_term),
        to_cents(sold.carryforward_short_term + sold.carryforward_long_term),
    )


def run_figures(folder: Path) -> RunFigures:
    spec = load_spec(folder / "spec.yaml")
    rates, replayed = simulation_lots(folder / "spec.yaml", folder)
    first, last = replayed[0].day, replayed[-1].day
    held = replayed[-1].after
    with (folder / "periods.csv").open() as stream:
        periods = list(csv.DictReader(stream))
    with (folder / "years.csv").open() as stream:
        tax_years = list(csv.DictReader(stream))
    open_year = tax_years[-1]
    history = load_prices()
    rows = [history.row_on(r.day) for r in replayed]
    mine = account_days(replayed, periods, rows)
    index, yields = index_days(rows[0], rows[-1])
    years = (last - first).days / 365.25
    start = spec.cash or ZERO
    end_value = Decimal(periods[-1]["value"]) - Decimal(periods[-1]["owed"])
    owed_tax = Decimal(open_year["tax"])
    prices = {
        t: Decimal(repr(float(history.close[t].iloc[: rows[-1] + 1].ffill().iloc[-1])))
        for t in {lot.ticker for lot in held}
    }
    liquidation, carry_left, carry_left_liquidated = _open_year(rates, held, open_year, prices, last)
    row_years = [d.year for d in history.dates[rows[0] : rows[-1] + 1]]
    fund, fund_liquidated = _fund(
        index, yields, row_years, start, float(spec.tax.dividend_rate or 0), float(rates.long_term)
    )
    summary = json.loads((folder / "simulation.json").read_text())["summary"]
    return RunFigures(
        cohort=first.year,
        cadence=spec.cadence,
        start=first,
        end=last,
        solved=summary["solved"],
        steps=summary["steps"],
        pretax_return=_annualised(float(np.prod(1 + mine)), years),
        index_return=_annualised(float(np.prod(1 + index)), years),
        after_tax=_annualised(float((end_value - owed_tax) / start), years),
        after_tax_credited=_annualised(
            float((end_value - owed_tax + carry_left * rates.long_term) / start), years
        ),
        after_tax_liquidated=_annualised(float((end_value - owed_tax - liquidation) / start), years),
        fund_after_tax=_annualised(fund / float(start), years),
        fund_after_tax_liquidated=_annualised(fund_liquidated / float(start), years),
        tax=Decimal(summary["tax"]),
        dividend_tax=to_cents(
            sum((Decimal(y["dividends"]) for y in tax_years), ZERO) * (spec.tax.dividend_rate or ZERO)
        ),
        liquidation_tax=liquidation,
        carry_value=to_cents(carry_left * rates.long_term),
        carry_left=carry_left,
        carry_left_liquidated=carry_left_liquidated,
        harvested=Decimal(summary["harvested"]),
        costs=Decimal(summary["costs"]),
        tracking_error=float(np.std(mine - index, ddof=1)) * math.sqrt(TRADING_DAYS),
        ex_ante_tracking_error=float(np.mean([float(p["tracking_error"]) for p in periods])),
    )


def _pct(value: float) -> str:
    return f"{value:+.2%}"


def _mean(values: list[float] | list[Decimal]) -> float:
    return float(sum(values)) / len(values)


def _change(before: float, after: float) -> str:
    """`after` against `before`, as a signed share of `before`."""
    return f"{after / before - 1:+.0%}"


HEADER = [
    "cohort",
    "cadence",
    "solved",
    "pre-tax vs index",
    "after-tax vs fund",
    "tax alpha",
    "tax alpha, carryforward credited",
    "tax alpha, liquidated",
    "tax",
    "on gains, less carryforward value",
    "tax + liquidation",
    "carryforward left (liquidated)",
    "harvested",
    "realized TE",
    "ex-ante TE",
]


def _line(label: str, cadence: str, solved: str, runs: list[RunFigures]) -> list[str]:
    """One run's figures, or the mean of several."""
    return [
        label,
        cadence,
        solved,
        _pct(_mean([r.pretax_return - r.index_return for r in runs])),
        _pct(_mean([r.after_tax - r.fund_after_tax for r in runs])),
        _pct(_mean([r.tax_alpha for r in runs])),
        _pct(_mean([r.tax_alpha_credited for r in runs])),
        _pct(_mean([r.tax_alpha_liquidated for r in runs])),
        f"{_mean([r.tax for r in runs]):,.0f}",
        f"{_mean([r.gains_tax for r in runs]):,.0f}",
        f"{_mean([r.tax + r.liquidation_tax for r in runs]):,.0f}",
        f"{_mean([r.carry_left for r in runs]):,.0f} / {_mean([r.carry_left_liquidated for r in runs]):,.0f}",
        f"{_mean([r.harvested for r in runs]):,.0f}",
        f"{_mean([r.tracking_error for r in runs]):.2%}",
        f"{_mean([r.ex_ante_tracking_error for r in runs]):.2%}",
    ]


def _total_tax(runs: list[RunFigures], part: str) -> float:
    """All of the runs' tax, its part on gains (less the carryforward's value), or with liquidation."""
    return float(
        sum(
            r.gains_tax
            if part == "gains"
            else r.tax + (r.liquidation_tax if part == "liquidated" else ZERO)
            for r in runs
        )
    )


def cohort_table(out: Path, markdown: bool = False, cohorts: set[int] | None = None) -> str:
    """One line per complete run (of `cohorts`, or all), then the means over the cohorts complete at
    every cadence and the daily-against-annual reductions (of the sums over those cohorts)."""
    runs = []
    for folder in sorted(out.iterdir()):
        summary = folder / "simulation.json"
        if cohorts is not None and int(folder.name.split("-")[0]) not in cohorts:
            continue
        if summary.is_file() and json.loads(summary.read_text()).get("status") == "complete":
            runs.append(run_figures(folder))
    lines = [_line(str(r.cohort), r.cadence, f"{r.solved}/{r.steps}", [r]) for r in runs]
    cadences = {r.cadence for r in runs}
    complete = sorted(
        c for c in {r.cohort for r in runs} if {r.cadence for r in runs if r.cohort == c} == cadences
    )
    chosen = {
        cadence: [r for r in runs if r.cadence == cadence and r.cohort in complete] for cadence in cadences
    }
    lines += [
        _line(f"mean of {len(found)}", cadence, "", found)
        for cadence, found in sorted(chosen.items())
        if found
    ]
    text = _render(HEADER, lines, markdown)
    daily, annual = chosen.get("daily", []), chosen.get("annual", [])
    if daily and annual:
        tax, liquidated = (
            _change(_total_tax(annual, part), _total_tax(daily, part)) for part in ("all", "liquidated")
        )
        gains = _total_tax(daily, "gains") - _total_tax(annual, "gains")
        te = _change(_mean([r.tracking_error for r in annual]), _mean([r.tracking_error for r in daily]))
        text += (
            f"\n\ndaily against annual, cohorts {', '.join(map(str, complete))}: tax {tax}, with liquidation "
            f"{liquidated}; on gains less the carryforward's value {gains:+,.0f} dollars in all; realized "
            f"tracking error {te}\n"
        )
    return text


def _render(header: list[str], lines: list[list[str]], markdown: bool) -> str:
    if markdown:
        rows = [header, ["---"] * len(header), *lines]
        return "\n".join("| " + " | ".join(row) + " |" for row in rows)
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in [header, *lines]
    )
