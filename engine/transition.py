"""A transition analysis: one legacy account, several ways of moving it to its target, simulated side
by side through the same history with `engine.simulate` — per tax year the tax, the gains realized,
the tracking error left and the share of the legacy holdings still held (docs/transition.md).

    report = transition_report(TransitionRequest(account="examples/accounts/legacy_jpm/account.yaml",
                                                 start=date(2015, 1, 2)))
    engine.transition_output.write_report(report, "out/transition")
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from compiler.check import compile_policy
from compiler.language import parse_text
from compiler.rules.base import years_after
from core.diagnostics import TailorError, error
from engine.market_day import Days
from engine.records import SimulationResult
from engine.run import Progress, simulate
from engine.spec import Cadence, SimulationSpec
from engine.transition_inputs import DEFAULT_POLICY, Scenario, generated, replay_account, write_account
from market.master import load_master
from market.prices import load_prices
from solver.account import Account
from solver.account_files import load_account
from solver.tax import is_long_term, net_gains, realized_gain, tax_on, to_cents

ZERO = Decimal(0)


@dataclass(frozen=True)
class TransitionRequest:
    """What to compare. Generated scenarios use `policy` (None: `DEFAULT_POLICY`) with its
    transition rule replaced; `policies` are compared as written, each under its name."""

    account: str
    start: date | None = None  # None: the account's own date (it must leave `years` of history)
    years: int = 5  # the horizon every scenario is simulated over
    cadence: Cadence = "annual"
    policy: str | None = None
    immediate: bool = True
    over: tuple[int, ...] = (3, 5)
    tax_budgets: tuple[Decimal, ...] = ()
    policies: tuple[tuple[str, str], ...] = ()  # (name, policy file)
    legacy_names: int = 8  # names drawn in the weights chart (the CSV has every legacy name)
    # The generated scenarios' tracking weight (preferences): high, so that the account moves to the
    # target as fast as each scenario's transition rule lets it (None: the base policy's own).
    tracking_weight: float | None = 20.0


@dataclass(frozen=True)
class YearFigures:
    """One scenario's tax year; the last may be open (its tax accrued so far)."""

    year: int
    tax: Decimal
    cumulative_tax: Decimal
    realized_short_term: Decimal
    realized_long_term: Decimal
    tracking_error: float  # ex-ante, after the year's last step
    legacy_share: float  # value of the starting lots still held / account value, after that step
    value: Decimal


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    simulation: SimulationResult
    years: tuple[YearFigures, ...]
    steps: tuple[date, ...]
    legacy_share: tuple[float, ...]  # after each step
    weights: dict[str, tuple[float, ...]]  # each legacy name's weight after each step

    @property
    def total_tax(self) -> Decimal:
        return self.years[-1].cumulative_tax if self.years else ZERO


@dataclass(frozen=True)
class TransitionReport:
    account_id: str
    start: date
    end: date
    cadence: str
    start_value: Decimal
    liquidation_tax: Decimal  # selling every lot on the start date, netted at the account's rates
    starting_weights: dict[str, float]  # legacy names, heaviest first
    chart_names: tuple[str, ...]  # the heaviest legacy names, drawn in the weights chart
    scenarios: tuple[ScenarioResult, ...]
    seconds: float
    replayed: Path | None = None  # the replayed starting account, when the report wrote one
    notes: tuple[str, ...] = field(default=())


def scenarios(request: TransitionRequest, start: date) -> list[Scenario]:
    base = compile_policy(request.policy) if request.policy else compile_policy(
        parse_text(DEFAULT_POLICY, "<tailor transition default>", "tailor"))
    weight = request.tracking_weight
    found = [generated(base, "immediate", "transition immediate", weight)] if request.immediate else []
    found += [generated(base, f"over {n} years", f"transition over {n} years starting {start}", weight)
              for n in request.over]
    found += [generated(base, f"tax ${budget:,.0f}/yr", f"transition within tax budget ${budget} per year",
                        weight) for budget in request.tax_budgets]
    found += [Scenario(name=name, policy=compile_policy(path), source=path)
              for name, path in request.policies]
    return found


class _Watch:
    """Each step's legacy share and legacy names' weights, from what the step left."""

    def __init__(self, legacy_lots: frozenset[str], names: tuple[str, ...]):
        self.legacy_lots, self.names = legacy_lots, names
        self.days: list[date] = []
        self.share: list[float] = []
        self.weights: dict[str, list[float]] = {name: [] for name in names}

    def __call__(self, step: Progress) -> None:
        value, legacy, by_name = step.cash, ZERO, dict.fromkeys(self.names, ZERO)
        for lot in step.lots:
            worth = lot.shares * step.prices[lot.ticker]
            value += worth
            legacy += worth if lot.lot_id in self.legacy_lots else ZERO
            if lot.ticker in by_name:
                by_name[lot.ticker] += worth
        self.days.append(step.day)
        self.share.append(float(legacy / value) if value > 0 else 0.0)
        for name in self.names:
            self.weights[name].append(float(by_name[name] / value) if value > 0 else 0.0)


def _years(simulation: SimulationResult, watch: _Watch) -> tuple[YearFigures, ...]:
    last_step = {p.date.year: k for k, p in enumerate(simulation.periods)}
    out, cumulative = [], ZERO
    for row in simulation.years:
        if row.year not in last_step:
            continue
        k = last_step[row.year]
        cumulative += row.tax
        period = simulation.periods[k]
        out.append(YearFigures(year=row.year, tax=row.tax, cumulative_tax=cumulative,
                               realized_short_term=row.realized_short_term,
                               realized_long_term=row.realized_long_term,
                               tracking_error=period.tracking_error, legacy_share=watch.share[k],
                               value=period.value))
    return tuple(out)


def _replayed(request: TransitionRequest, account: Account) -> tuple[Account, date]:
    """The account replayed from the start, and the day the simulations end; M150 when the start or
    the horizon does not fit the account or the history."""
    start = request.start or account.as_of
    if start is None:
        raise TailorError(error("M150", "the account states no date (`as_of`) and no --start was given", None,
                                "give the day the report starts: --start 2015-01-02"))
    replayed = replay_account(account, start)
    end, last = years_after(start, request.years), load_prices().last
    if end > last:
        raise TailorError(error("M150", f"{request.years} years from {start} end on {end}, after the price "
                                f"history ({last})", account.as_of_span if request.start is None else None,
                                f"start on or before {years_after(last, -request.years)} (--start), or "
                                "shorten the horizon (--years)"))
    return replayed, end


def _starting_weights(account: Account, start: date) -> tuple[Decimal, Decimal, dict[str, float]]:
    """The account's value on `start`, the tax of selling all of it that day, and each name's weight
    in it, heaviest first."""
    closes = Days(load_prices(), frozenset(load_master().tickers)).closes(start)
    worth: dict[str, Decimal] = {}
    gains = {True: ZERO, False: ZERO}  # by long-term
    for lot in account.lots:
        price = Decimal(repr(float(closes[lot.ticker])))
        worth[lot.ticker] = worth.get(lot.ticker, ZERO) + lot.shares * price
        gains[is_long_term(lot.held_since, start)] += realized_gain(lot.shares, price, lot.basis_per_share)
    value = account.cash + sum(worth.values(), ZERO)
    rates = account.tax.short_term_rate, account.tax.long_term_rate
    tax = tax_on(net_gains(gains[False], gains[True]), *rates)
    return value, to_cents(tax) if account.is_taxable else ZERO, {
        t: float(v / value) for t, v in sorted(worth.items(), key=lambda kv: (-kv[1], kv[0]))}


def transition_report(request: TransitionRequest, *, folder: Path | None = None,
                      progress: Callable[[str, Progress], None] | None = None) -> TransitionReport:
    """Simulate every scenario from the same starting account. The replayed starting account is
    written to `folder`/start (a temporary folder without one), and the simulations read it there."""
    import tempfile

    clock = time.perf_counter()
    account = load_account(request.account)
    replayed, end = _replayed(request, account)
    start = replayed.as_of
    assert start is not None  # the replayed account is as of the start
    chosen = scenarios(request, start)
    start_value, liquidation_tax, starting = _starting_weights(replayed, start)
    legacy_lots = frozenset(lot.lot_id for lot in replayed.lots)
    results = []
    with tempfile.TemporaryDirectory(prefix="tailor-transition-") as scratch:
        path = write_account(replayed, (folder or Path(scratch)) / "start")
        for scenario in chosen:
            spec = SimulationSpec(start=start, end=end, cadence=request.cadence, account=str(path),
                                  policy=scenario.source)
            watch = _Watch(legacy_lots, tuple(starting))

            def seen(step: Progress, name: str = scenario.name, watch: _Watch = watch) -> None:
                watch(step)
                if progress is not None:
                    progress(name, step)
            simulation = simulate(spec, progress=seen, policy=scenario.policy)
            results.append(ScenarioResult(
                scenario=scenario, simulation=simulation, years=_years(simulation, watch),
                steps=tuple(watch.days), legacy_share=tuple(watch.share),
                weights={n: tuple(w) for n, w in watch.weights.items()}))
    notes = tuple(f"{r.scenario.name}: {t.date} {t.code} {t.message}" for r in results
                  for t in r.simulation.troubles)
    return TransitionReport(account_id=account.account_id, start=start, end=end, cadence=request.cadence,
                            start_value=to_cents(start_value), liquidation_tax=liquidation_tax,
                            starting_weights=starting,
                            chart_names=tuple(starting)[:request.legacy_names], scenarios=tuple(results),
                            seconds=time.perf_counter() - clock,
                            replayed=path if folder is not None else None, notes=notes)
