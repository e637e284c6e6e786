"""Depth-first branch and bound over LP re-solves, for a MIP with a handful of binaries.

With four to eight binaries switched on, HiGHS's MIP solver spends seconds on the account model in
presolve, a root LP from scratch and root cut separation (12.8 s for one node on the 10,000-lot
benchmark, docs/benchmarks.md), while an LP re-solve from the previous basis takes milliseconds. Up
to MAX_BINARIES binaries, branching ourselves on the LP relaxation is exact and much cheaper: every
node is the relaxation with some binaries fixed, nodes whose bound is within half the requested gap
of the incumbent are closed, and the proven bound is the smallest bound of any closed node.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np

MAX_BINARIES = 12
INTEGRAL = 1e-9


@dataclass
class BranchResult:
    status: str  # optimal | feasible | infeasible | time_limit
    x: np.ndarray | None
    objective: float
    bound: float
    nodes: int


def branch_and_bound(highs: highspy.Highs, binaries: np.ndarray, gap: float, deadline: float,
                     run: Callable[[highspy.Highs, float], str]) -> BranchResult:
    """Minimise over the binaries `binaries` (column indices) by branching on LP relaxations."""
    lp = highs.getLp()
    low0, up0 = np.asarray(lp.col_lower_)[binaries], np.asarray(lp.col_upper_)[binaries]
    best, best_x, floor, nodes = float("inf"), None, float("inf"), 0
    stack: list[tuple[np.ndarray, float]] = [(np.full(len(binaries), -1.0), -float("inf"))]
    highs.setOptionValue("solve_relaxation", True)
    try:
        while stack:
            if time.perf_counter() >= deadline:
                floor = min(floor, *(parent for _, parent in stack))
                break
            fixed, parent = stack.pop()
            slack = gap / 2 * abs(best) if best < float("inf") else 0.0
            if parent >= best - slack:
                floor = min(floor, parent)
                continue
            free = fixed < 0
            highs.changeColsBounds(len(binaries), binaries, np.where(free, low0, fixed),
                                   np.where(free, up0, fixed))
            status = run(highs, deadline)
            nodes += 1
            if status == "infeasible":
                continue
            if status != "optimal":
                floor = min(floor, parent)
                break
            objective = float(highs.getInfo().objective_function_value)
            x = np.asarray(highs.getSolution().col_value)
            if objective >= best - slack:
                floor = min(floor, objective)
                continue
            values = x[binaries]
            fractional = np.abs(values - np.round(values))
            if fractional.max(initial=0.0) <= INTEGRAL:  # (no binaries: the LP is the answer)
                best, best_x = objective, x.copy()
                continue
            j = int(np.argmax(fractional))
            near = float(np.round(values[j]))
            for value in (1.0 - near, near):  # the nearer child is popped (explored) first
                child = fixed.copy()
                child[j] = value
                stack.append((child, objective))
    finally:
        highs.changeColsBounds(len(binaries), binaries, low0, up0)
        highs.setOptionValue("solve_relaxation", False)
    complete = not stack
    if best_x is None:
        return BranchResult("infeasible" if complete else "time_limit", None, best, floor, nodes)
    return BranchResult("optimal" if complete else "feasible", best_x, best, min(best, floor), nodes)
