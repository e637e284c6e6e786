"""Whole shares: turn a solution with fractional share counts into a whole-share one.

Share counts (general integer columns) barely decide anything: a basic optimum of the model with
continuous counts already has nearly every count at a bound — no trade, or a lot sold down to its
whole shares — and only a handful in between (the basis: a buy or two per name, the partial sale
that meets the cash or budget row). So the solve (`solver/solve.py`) first solves with counts continuous (the
binaries still exact), which gives a valid lower bound for the whole-share problem, then rounds:

1. binaries and integral counts are fixed where the solution has them;
2. the fractional counts are rounded all at once in their safe direction (buys down, sales up: both
   leave more cash) and the LP re-solves the continuous rest (cash, gains, weights, tangents);
3. if that breaks a row (a budget, a minimum trade), a short dive: fix one fractional count at a
   time to its nearer integer (the other one when the LP says infeasible), re-solving from the
   previous basis after each. A count that fits neither way once the others are fixed is decided
   *first* in the next dive (at most MAX_DIVES): with two rows binding in opposite directions (a
   retiree's cash withdrawal wants a sale rounded up, the tax budget wants it down), the last count
   left has no room, while decided first the other counts absorb its step. Decided first and still
   stuck, it frees its own name's counts that the relaxation had integral (pinned), which may be what
   boxes it in (a minimum sale below and a forced order of the name's lots above), for the next dive.

4. when every dive is stuck, HiGHS's MIP over a neighbourhood of the point: the binaries fixed, every
   count (the pinned ones too) within NEIGHBOURHOOD_SHARES of it, until its first point within
   NEIGHBOURHOOD_NODES. A tracking-error limit the relaxation sits on, under a tax budget already
   spent (no further gain of either character), left each dive's last count outside the limit both
   ways; with its neighbours free to move by a few shares, HiGHS's root heuristics found a point.

The result is a point feasible for the whole-share model (every integer column integral, every row
held by HiGHS's LP), or None. It costs a few warm LP re-solves, milliseconds each (the neighbourhood's
MIP, when it runs, about a second on a 570-lot index).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import highspy
import numpy as np

INTEGRAL = 1e-9
# Dives, each deciding first the counts that fitted neither way in the one before. The 2008 crash's
# retiree (a withdrawal and a tax budget, whole shares) needed 5 and then 7: with 4, its repair fell
# back to every harvest given up, a plan 122 bp worse (docs/benchmarks.md, session 16).
MAX_DIVES = 8
SLOPE_TOLERANCE = 1e-12  # a move must lower the objective by more than this to be kept (below)
# The neighbourhood step (4.): on `index_2012` with tracking within 0.5%, a tax budget of $0 already
# spent and whole shares, counts within 1 share of the point took HiGHS 93–353 nodes, within 3 shares
# none (its root found the point); the counts' floor and ceiling alone held no point at all.
NEIGHBOURHOOD_SHARES = 3
NEIGHBOURHOOD_NODES = 50
FirstPoint = Callable[[highspy.Highs, int], "np.ndarray | None"]  # HiGHS's MIP on the model as it
# stands, until its first point within a node budget (`Search.first_point`)


def _fractional(values: np.ndarray) -> np.ndarray:
    return np.abs(values - np.round(values)) > INTEGRAL


def round_counts(highs: highspy.Highs, fixed: np.ndarray, counts: np.ndarray, round_up: np.ndarray,
                 names: np.ndarray, x: np.ndarray, deadline: float,
                 run: Callable[[highspy.Highs, float], str],
                 first_point: FirstPoint | None = None) -> np.ndarray | None:
    """A whole-share point near `x`: columns `fixed` (binaries) stay at their rounded values, columns
    `counts` (share counts; `round_up` marks those whose safe direction is up, `names` the name each
    trades) become integers. Returns the LP's point with everything integral, or None when rounding
    found no feasible point (the dives, then the neighbourhood's MIP when `first_point` runs one)."""
    columns = np.concatenate([fixed, counts]).astype(np.int32)
    lp = highs.getLp()
    lower0, upper0 = np.asarray(lp.col_lower_)[columns].copy(), np.asarray(lp.col_upper_)[columns].copy()
    values = x[columns]
    pinned = ~_fractional(values)
    pinned[: len(fixed)] = True
    target = np.round(values)
    safe = np.where(np.concatenate([np.zeros(len(fixed), bool), round_up]), np.ceil(values), np.floor(values))
    highs.setOptionValue("solve_relaxation", True)

    def attempt(at: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
        highs.changeColsBounds(len(columns), columns, np.where(mask, at, lower0), np.where(mask, at, upper0))
        if run(highs, deadline) != "optimal":
            return None
        return np.asarray(highs.getSolution().col_value)

    try:
        point = attempt(np.where(pinned, target, safe), np.ones(len(columns), bool))
        first: list[int] = []  # counts that fitted neither way in an earlier dive: decided first
        for _ in range(MAX_DIVES if point is None else 0):  # the safe direction broke a row: dive
            point, stuck = _dive(attempt, columns, pinned, target, x, deadline, first)
            if point is not None or stuck is None:
                break
            if stuck in first:
                # Decided first and still stuck: its name's other counts, integral in x and so pinned,
                # leave it no room (a retiree's DVN sale at the $250 minimum: 2 shares of two lots
                # pinned, 0.63 of a third fitting neither 0 nor 1). Free them for the next dive.
                same = pinned & np.r_[np.zeros(len(fixed), bool), names == names[stuck - len(fixed)]]
                if not same.any():
                    break
                pinned[same] = False
                continue
            first.append(stuck)
        if point is None:
            return None if first_point is None else _neighbourhood(
                highs, columns, len(fixed), lower0, upper0, np.asarray(lp.integrality_, dtype=np.int32), x,
                first_point)
        return _improve(attempt, highs, columns, np.flatnonzero(~pinned), np.round(point[columns]), x,
                        point, deadline)
    finally:
        highs.changeColsBounds(len(columns), columns, lower0, upper0)
        highs.setOptionValue("solve_relaxation", False)


def _neighbourhood(highs: highspy.Highs, columns: np.ndarray, binaries: int, lower0: np.ndarray,
                   upper0: np.ndarray, integrality: np.ndarray, x: np.ndarray,
                   first_point: FirstPoint) -> np.ndarray | None:
    """Step 4 of the module docstring: HiGHS's MIP with the first `binaries` columns fixed at their
    rounded values and each count integer within NEIGHBOURHOOD_SHARES of x (inside its own bounds);
    `integrality` is the model's (empty: none), restored after."""
    values = x[columns]
    is_count = np.arange(len(columns)) >= binaries
    lower = np.where(is_count, np.maximum(np.floor(values) - NEIGHBOURHOOD_SHARES, lower0), np.round(values))
    upper = np.where(is_count, np.minimum(np.ceil(values) + NEIGHBOURHOOD_SHARES, upper0), np.round(values))
    highs.changeColsBounds(len(columns), columns, lower, upper)
    counts = columns[is_count]
    was = integrality[counts] if len(integrality) else np.zeros(len(counts), dtype=np.int32)
    highs.changeColsIntegrality(len(counts), counts, np.full(len(counts), highspy.HighsVarType.kInteger.value,
                                                             dtype=np.int32))
    highs.setOptionValue("solve_relaxation", False)
    try:
        return first_point(highs, NEIGHBOURHOOD_NODES)
    finally:
        highs.setOptionValue("solve_relaxation", True)  # (as `round_counts` runs its LPs)
        highs.changeColsIntegrality(len(counts), counts, was)


def _dive(attempt: Callable[[np.ndarray, np.ndarray], np.ndarray | None], columns: np.ndarray,
          pinned: np.ndarray, target: np.ndarray, x: np.ndarray, deadline: float,
          first: list[int]) -> tuple[np.ndarray | None, int | None]:
    """Fix one fractional count at a time to its nearer integer (the other one when the LP says
    infeasible): the counts of `first` (still fractional) in that order, then the least fractional
    first; the LP re-solves the rest after each. Returns the point, or None and the count that
    fitted neither way (None when the clock stopped the dive)."""
    pinned, target, point = pinned.copy(), target.copy(), x
    while time.perf_counter() < deadline:
        current = point[columns]
        open_ = ~pinned & _fractional(current)
        if not open_.any():
            return point, None
        candidates = np.flatnonzero(open_)
        early = [j for j in first if open_[j]]
        j = early[0] if early else \
            candidates[np.argmin(np.abs(current[candidates] - np.round(current[candidates])))]
        near = float(np.round(current[j]))
        other = float(np.floor(current[j]) if near > current[j] else np.ceil(current[j]))
        pinned[j] = True
        for value in (near, other):
            target[j] = value
            point = attempt(target, pinned)
            if point is not None:
                break
        else:
            return None, int(j)
    return None, None


def _improve(attempt: Callable[[np.ndarray, np.ndarray], np.ndarray | None], highs: highspy.Highs,
             columns: np.ndarray, rounded: np.ndarray, values: np.ndarray, x: np.ndarray, point: np.ndarray,
             deadline: float) -> np.ndarray:
    """One pass of 1-opt over the counts that were fractional in `x`: move each to its other integer
    neighbour when the LP says that is feasible and cheaper (rounding in the safe direction leaves
    cash idle that a buy rounded up can use). The LP's optimum is convex in a fixed column's value and
    the column's reduced cost a subgradient of it, so a move that its reduced cost prices no lower is
    not tried: on the 2008 crash's retiree (7,452 lots, whole shares) 45 LPs of ~235, 1.2 s of 2.4."""
    everything = np.ones(len(columns), bool)
    best = float(highs.getInfo().objective_function_value)
    slopes = np.asarray(highs.getSolution().col_dual)[columns]  # (of the LP just solved: `point`'s)
    for j in rounded:
        if time.perf_counter() >= deadline:
            break
        was = values[j]
        low, high = np.floor(x[columns[j]]), np.ceil(x[columns[j]])
        step = (high if was == low else low) - was
        if slopes[j] * step >= -SLOPE_TOLERANCE:
            continue
        values[j] = was + step
        # A move that costs more is rejected anyway: its LP stops once its bound passes the best.
        highs.setOptionValue("objective_bound", best)
        try:
            candidate = attempt(values, everything)
        finally:
            highs.setOptionValue("objective_bound", float("inf"))
        objective = float(highs.getInfo().objective_function_value) if candidate is not None else best
        if candidate is not None and objective < best - 1e-12:
            best, point = objective, candidate
            slopes = np.asarray(highs.getSolution().col_dual)[columns]
        else:
            values[j] = was
    return point
