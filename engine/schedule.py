"""When a simulation steps, and which cash flows each step carries.

Steps are trading days of the price history: the first trading day on or after the start, then the
last trading day of each period of the cadence (week, month, quarter, year) up to the end, and the
last trading day on or before the end. A flow dated between two steps is made at the next step (money
arriving on a Saturday is invested on Monday's close); a recurring flow repeats on the day of the
month (or week) of its first date, the 31st falling back to a month's last day.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from core.diagnostics import TailorError, error
from engine.spec import CashFlow, SimulationSpec

# The risk model needs this many trading days of returns before its date (market/risk_build.py).
RISK_HISTORY_DAYS = 60


def _period_key(days: pd.DatetimeIndex, cadence: str) -> np.ndarray:
    if cadence == "weekly":
        iso = days.isocalendar()
        return (iso["year"].to_numpy() * 100 + iso["week"].to_numpy()).astype(np.int64)
    if cadence == "monthly":
        return np.asarray(days.year * 100 + days.month, dtype=np.int64)
    if cadence == "quarterly":
        return np.asarray(days.year * 10 + (days.month - 1) // 3, dtype=np.int64)
    return np.asarray(days.year, dtype=np.int64)


def step_days(trading_days: pd.DatetimeIndex, spec: SimulationSpec) -> list[date]:
    inside = (trading_days >= pd.Timestamp(spec.start)) & (trading_days <= pd.Timestamp(spec.end))
    within = trading_days[inside]
    if spec.cadence == "daily" or len(within) == 0:
        return [d.date() for d in within]
    keys = _period_key(within, spec.cadence)
    last_of_period = np.r_[keys[1:] != keys[:-1], True]
    chosen = last_of_period.copy()
    chosen[0] = True  # the first step: the starting account as it is, or its cash invested
    return [d.date() for d in within[chosen]]


def check_dates(spec: SimulationSpec, first: date, last: date, usable: date) -> None:
    """The simulated range inside the history (with enough past returns for the risk model)."""
    problems = []
    hint = f"the price history covers {first} to {last}; a simulation can start from {usable}"
    if not usable <= spec.start <= last:
        problems.append(error("M104", f"start {spec.start} is outside the price history", spec.span("start"),
                              hint + f" (the risk model needs {RISK_HISTORY_DAYS} trading days before)"))
    if not first <= spec.end <= last:
        problems.append(error("M104", f"end {spec.end} is outside the price history", spec.span("end"), hint))
    if spec.end < spec.start:
        problems.append(error("M104", f"end {spec.end} is before start {spec.start}", spec.span("end"),
                              "swap the dates"))
    if problems:
        raise TailorError(problems)


def _add_months(day: date, months: int, anchor: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(anchor, calendar.monthrange(year, month)[1]))


def flow_dates(flow: CashFlow, spec: SimulationSpec) -> list[date]:
    if flow.on is not None:
        return [flow.on]
    first, last = flow.starting or spec.start, flow.until or spec.end
    if flow.every == "week":
        return [first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]
    step = {"month": 1, "quarter": 3, "year": 12}[str(flow.every)]
    found, k = [], 0
    while (day := _add_months(first, k * step, first.day)) <= last:
        found.append(day)
        k += 1
    return found


def flows_by_step(spec: SimulationSpec, steps: list[date]) -> dict[date, Decimal]:
    """Net cash flow at each step; a flow outside the simulated range is M104, located."""
    problems, due = [], {}
    for k, flow in enumerate(spec.cash_flows):
        where = f"cash_flows[{k}]"
        if flow.on is None and flow.every is None:
            problems.append(error("M102", f"cash flow {k + 1} has neither `on` nor `every`",
                                  spec.span(where)))
            continue
        for name, day in (("on", flow.on), ("from", flow.starting), ("until", flow.until)):
            if day is not None and not spec.start <= day <= spec.end:
                problems.append(error("M104", f"cash flow {k + 1}: `{name}` {day} is outside the simulation "
                                      f"({spec.start} to {spec.end})", spec.span(f"{where}.{name}"),
                                      "move the flow inside the simulated range, or widen `start`/`end`"))
        if flow.starting and flow.until and flow.until < flow.starting:
            problems.append(error("M104", f"cash flow {k + 1}: `until` {flow.until} is before `from` "
                                  f"{flow.starting}", spec.span(f"{where}.until")))
        for day in flow_dates(flow, spec):
            position = int(np.searchsorted(np.array(steps, dtype="datetime64[D]"), np.datetime64(day)))
            if position < len(steps):
                due[steps[position]] = due.get(steps[position], Decimal(0)) + flow.amount
            elif spec.start <= day <= spec.end:  # after the last trading day: no step would make it
                problems.append(error("M104", f"cash flow {k + 1} falls on {day}, after the last trading "
                                      f"day of the simulation ({steps[-1] if steps else spec.end})",
                                      spec.span(where), "date it on or before the last trading day"))
    if problems:
        raise TailorError(problems)
    return due
