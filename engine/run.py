"""`simulate(spec)`: step an account through the price history under a policy.

The loop never loses what it computed: a step that raises (bad data on some day, or a bug) stops the
run with the reason recorded, and the periods so far are returned and written. With `out`, a
checkpoint (the exact ledger and every record so far) is written atomically every
`checkpoint_seconds` (with the tables so far) and when the run ends early; `resume=True` continues from
it, and the finished outputs are the same bytes as an uninterrupted run's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np

from compiler.ir import CompiledPolicy
from core.diagnostics import TailorError
from engine.inputs import Context, prepare
from engine.ledger import ZERO, Ledger, YearEnd
from engine.records import (
    AdjustmentRow,
    EventRow,
    PeriodRow,
    SimulationResult,
    Summary,
    TradeRow,
    Trouble,
    YearRow,
)
from engine.spec import SimulationSpec
from engine.step import Step, run_step, value_of
from solver.lots import Lot
from solver.tax import to_cents


def year_row(closed: YearEnd, paid_from: str, paid_on: date | None) -> YearRow:
    money = {name: to_cents(value) for name, value in vars(closed).items() if name != "year"}
    return YearRow(year=closed.year, **money, paid_from=paid_from, paid_on=paid_on)


@dataclass
class Progress:
    done: int
    total: int
    day: date
    status: str
    lots: tuple[Lot, ...]  # held after the step
    cash: Decimal  # after the step
    prices: dict[str, Decimal]  # the day's closes


@dataclass
class Run:
    """Everything carried from one step to the next; a checkpoint is this, as JSON."""

    digest: str
    ledger: Ledger
    next: int = 0
    periods: list[PeriodRow] = field(default_factory=list)
    trades: list[TradeRow] = field(default_factory=list)
    adjustments: list[AdjustmentRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    years: list[YearRow] = field(default_factory=list)
    troubles: list[Trouble] = field(default_factory=list)
    screens: dict[str, int] = field(default_factory=dict)
    explained: int = 0
    start_value: Decimal = ZERO
    growth: float = 1.0  # of the account, time-weighted
    index_growth: float = 1.0
    index_weights: dict[str, float] = field(default_factory=dict)  # the target at the last step …
    index_start: dict[str, float] = field(default_factory=dict)  # … and its adjusted closes then

    def record(self, ctx: Context, k: int, step: Step) -> None:
        assert step.market is not None and step.verdict is not None and step.target is not None
        verdict, result, applied = step.verdict, step.result, step.applied
        status = ("skipped" if verdict.skip else "solved" if applied is not None
                  else "refused" if result is not None and result.violations else "infeasible")
        for name in verdict.failed:
            self.screens[name] = self.screens.get(name, 0) + 1
        if verdict.skip:
            self.screens["skipped"] = self.screens.get("skipped", 0) + 1
        made = step.flow if applied is not None else max(step.flow, ZERO) if not verdict.skip else ZERO
        value = value_of(step.ledger, step.prices)
        previous = self.periods[-1].value if self.periods else step.value_before
        if not self.periods:
            self.start_value = step.value_before
        period_return = float((value - made) / previous) - 1.0 if previous > 0 else 0.0
        index_return = self._index_return(ctx, step)
        self.growth *= 1.0 + period_return
        self.index_growth *= 1.0 + index_return
        summary = result.summary if applied is not None and result is not None else None
        te = summary.tracking_error_after if summary is not None else verdict.tracking_error
        for closed in step.years:
            self.years.append(year_row(closed, ctx.spec.tax.paid_from,
                                       step.day if ctx.spec.tax.paid_from == "cash" else None))
        self.events += [EventRow(k, e.day, e.ticker, e.kind, e.shares, e.per_share, e.amount,
                                 to_cents(e.realized_gain), e.note) for e in step.events]
        if applied is not None and result is not None:
            self._trades(k, step)
        if step.trouble is not None:
            code, message, explanation = step.trouble
            action = "stopped" if ctx.spec.on_infeasible == "stop" else "skipped"
            self.troubles.append(Trouble(k, step.day, code, message, explanation, action))
            self.explained += bool(explanation)
        self.periods.append(PeriodRow(
            step=k, date=step.day, status=status,
            screens="skip" if verdict.skip else "+".join(verdict.failed),
            value=to_cents(value), cash=to_cents(step.ledger.cash), flow=to_cents(made),
            dividends=to_cents(step.dividends), distributions=to_cents(step.distributions),
            costs=to_cents(applied.costs if applied else ZERO),
            realized_short_term=to_cents(step.realized[0]), realized_long_term=to_cents(step.realized[1]),
            harvested=to_cents(applied.harvested if applied else ZERO),
            tax=to_cents(step.tax), tax_paid=to_cents(step.tax_paid if applied is not None else ZERO),
            owed=to_cents(step.ledger.owed), turnover=round(float(applied.sold / step.value_before)
                                                            if applied and step.value_before > 0 else 0.0, 6),
            trades=len(result.trades) if applied is not None and result is not None else 0,
            lots=len(step.ledger.lots), names=len(step.ledger.shares()), tracking_error=round(te, 6),
            period_return=round(period_return, 8), index_return=round(index_return, 8),
            tracking_difference=round(period_return - index_return, 8),
            cumulative_difference=round(self.growth - self.index_growth, 8),
            gap=result.solve.mip_gap if result is not None and applied is not None else None))
        self.ledger = step.ledger
        self.next = k + 1

    def _index_return(self, ctx: Context, step: Step) -> float:
        """The target's total return since the last step, held as it was then (a cap-weighted index
        is buy-and-hold between reconstitutions; adjusted closes carry dividends). Records the target
        and its adjusted closes for the next step."""
        adjusted = ctx.days.adjusted(step.day)
        names = list(self.index_weights)
        found = 0.0
        if names:
            now = adjusted.reindex(names).to_numpy(dtype=float)
            then = np.array([self.index_start[t] for t in names])
            weights = np.array([self.index_weights[t] for t in names])
            known = np.isfinite(now) & np.isfinite(then) & (then > 0)
            if known.any():
                found = float((weights[known] * now[known] / then[known]).sum() / weights[known].sum()) - 1.0
        target = step.target[step.target > 0]
        self.index_weights = {t: float(w) for t, w in target.items()}
        self.index_start = {t: float(v) for t, v in adjusted.reindex(target.index).items()}
        return found

    def _trades(self, k: int, step: Step) -> None:
        assert step.result is not None and step.applied is not None
        for line, cost in zip(step.result.trades, step.applied.line_costs, strict=True):
            amount = line.amount
            if line.action == "buy":
                basis, gain = amount + cost, None
                acquired, lot_id = step.day, f"SIM-{step.day:%Y%m%d}-{line.ticker}"
            else:
                basis = line.cost_basis or ZERO
                gain = (line.realized_gain or ZERO) - cost
                acquired, lot_id = line.acquired, line.lot_id
            self.trades.append(TradeRow(k, step.day, line.action, line.ticker, lot_id, acquired, line.shares,
                                        line.price, to_cents(amount), to_cents(cost), to_cents(basis),
                                        None if gain is None else to_cents(gain),
                                        None if gain is None else line.term, line.disallowed_loss))
        self.adjustments += [AdjustmentRow(k, step.day, a.ticker, a.replacement, c.lot_id, a.shares,
                                           a.loss_added, a.holding_period_start, a.from_lot)
                             for c in step.applied.carried for a in [c.adjustment]]

    def summary(self) -> Summary | None:
        if not self.periods:
            return None
        rows = self.periods
        years = max((rows[-1].date - rows[0].date).days / 365.25, 1e-9)
        differences = [r.tracking_difference for r in rows[1:]]
        per_year = len(differences) / years if differences else 0.0

        def total(name: str) -> Decimal:
            return sum((getattr(r, name) for r in rows), ZERO)
        annual = self.growth ** (1 / years) - 1 if self.growth > 0 and years > 1e-6 else 0.0
        annual_index = self.index_growth ** (1 / years) - 1 if self.index_growth > 0 and years > 1e-6 else 0.0
        return Summary(
            start_value=to_cents(self.start_value), end_value=rows[-1].value,
            deposits=sum((r.flow for r in rows if r.flow > 0), ZERO),
            withdrawals=-sum((r.flow for r in rows if r.flow < 0), ZERO), dividends=total("dividends"),
            distributions=total("distributions"), costs=total("costs"),
            realized_short_term=total("realized_short_term"), realized_long_term=total("realized_long_term"),
            harvested=total("harvested"), tax=total("tax"), tax_paid=total("tax_paid"),
            total_return=round(self.growth - 1, 8), index_total_return=round(self.index_growth - 1, 8),
            annualised_return=round(annual, 8), annualised_index_return=round(annual_index, 8),
            annualised_tracking_difference=round(annual - annual_index, 8),
            realized_tracking_error=round(float(np.std(differences, ddof=1)) * math.sqrt(per_year), 8)
            if len(differences) > 1 else 0.0,
            steps=len(rows), solved=sum(r.status == "solved" for r in rows),
            skipped=sum(r.status == "skipped" for r in rows),
            without_plan=sum(r.status in ("infeasible", "refused") for r in rows))

    def result(self, ctx: Context, status: str, timings: dict[str, float]) -> SimulationResult:
        ledger = self.ledger
        open_year = year_row(YearEnd(ledger.year, ledger.realized_short_term, ledger.realized_long_term,
                                     ledger.dividends, ledger.carry_short_term, ledger.carry_long_term,
                                     ZERO, ZERO, ledger.tax(ctx.rates)), "", None)
        return SimulationResult(
            spec_digest=self.digest, policy_name=ctx.policy.name, policy_hash=ctx.policy.policy_hash,
            account_id=ctx.account.account_id, status=status,  # type: ignore[arg-type]
            steps_planned=len(ctx.steps), periods=tuple(self.periods), trades=tuple(self.trades),
            events=tuple(self.events), years=(*self.years, open_year) if self.periods else (),
            troubles=tuple(self.troubles), screens=dict(sorted(self.screens.items())), summary=self.summary(),
            adjustments=tuple(self.adjustments), timings=timings)


def simulate(spec: SimulationSpec, *, out: str | Path | None = None, resume: bool = False,
             max_steps: int | None = None, progress: Callable[[Progress], None] | None = None,
             checkpoint_seconds: float = 30.0, policy: CompiledPolicy | None = None) -> SimulationResult:
    """Run the simulation `spec` describes. With `out`, write its outputs there (engine.outputs);
    `resume` continues from `out`'s checkpoint; `max_steps` pauses after that many steps. `policy`, a
    policy compiled by the caller (a report's scenario), replaces the spec's policy file."""
    from engine.outputs import load_checkpoint, write_outputs

    clock = time.perf_counter()
    ctx = prepare(spec, policy)
    timings = {"prepare": time.perf_counter() - clock, "steps": 0.0}
    run = Run(digest=ctx.digest, ledger=ctx.initial())
    if resume and out is not None:
        run = load_checkpoint(Path(out), ctx.digest) or run
    status, saved, first = "complete", time.perf_counter(), run.next
    for k in range(first, len(ctx.steps)):
        if max_steps is not None and k - first >= max_steps:
            status = "paused"
            break
        day, began = ctx.steps[k], time.perf_counter()
        try:
            step = run_step(ctx, run.ledger, day, run.explained)
            run.record(ctx, k, step)
        except TailorError as exc:  # data the step cannot use: stop with the reason, keep the rest
            first = exc.diagnostics[0]
            run.troubles.append(Trouble(k, day, first.code, first.message, first.hint or "", "stopped"))
            status = "stopped"
            break
        except Exception as exc:  # a bug: recorded as such, and what was computed is still written
            run.troubles.append(Trouble(k, day, "M140", f"internal error: {type(exc).__name__}: {exc}",
                                        "this is a bug in tailor; please report it", "stopped"))
            status = "stopped"
            break
        timings["steps"] += time.perf_counter() - began
        if progress is not None:
            progress(Progress(k + 1, len(ctx.steps), day, run.periods[-1].status, run.ledger.lots,
                              run.ledger.cash, step.prices))
        if step.trouble is not None and spec.on_infeasible == "stop":
            status = "stopped"
            break
        if out is not None and time.perf_counter() - saved > checkpoint_seconds:
            # What is computed so far, readable while the run goes on (status `running`), and the
            # checkpoint to resume from if it is killed.
            write_outputs(run.result(ctx, "running", dict(timings)), Path(out), run)
            saved = time.perf_counter()
    timings["total"] = time.perf_counter() - clock
    result = run.result(ctx, status, {k: round(v, 3) for k, v in timings.items()})
    if out is not None:
        write_outputs(result, Path(out), run if status != "complete" else None)
    return result
