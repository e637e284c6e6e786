"""Solve an account model with HiGHS: tangent refinement on the LP relaxation, then the MIP.

1. Hand the Pyomo model to HiGHS (`solver.handoff`) with tangent cuts near the current holdings.
2. If the model has integer columns, first refine the tracking-error cuts on the LP relaxation,
   which re-solves from the previous basis in milliseconds.
3. Solve the MIP with a relative gap and a time limit, warm-started from "no trade" (HiGHS completes
   the partial start and uses it when it is feasible); refine the cuts at the incumbent and
   re-solve (starting from the lifted incumbent) until the exact tracking error is within tolerance.
HiGHS runs single-threaded with a fixed seed, so the same inputs give the same answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from solver.branch import MAX_BINARIES, branch_and_bound
from solver.handoff import Compiled, compile_to_highs
from solver.lazy import LazyGroup, activate_violated, relax, violated
from solver.model import AccountModel
from solver.tracking import TrackingColumns, initial_tangents, refine, tracking_columns

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_MIP_GAP = 1e-3
TE_TOLERANCE_PCT = 0.005  # half a basis point of tracking error
MAX_ROUNDS = 30


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float = DEFAULT_TIME_LIMIT
    mip_gap: float = DEFAULT_MIP_GAP
    te_tolerance_pct: float = TE_TOLERANCE_PCT
    log: bool = False


@dataclass
class Solution:
    status: str  # optimal | feasible | infeasible | unbounded | time_limit | error
    proven_optimal: bool
    gap: float
    objective: float
    x: np.ndarray
    compiled: Compiled
    tracking_error_pct: float
    rounds: int
    cuts: int
    lazy_active: int
    lazy_total: int
    timings: dict[str, float] = field(default_factory=dict)


_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
}


def _configure(highs: highspy.Highs, options: SolveOptions) -> None:
    highs.setOptionValue("output_flag", options.log)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("random_seed", 0)
    # Quantities are fractions of the account: the default 1e-7 would let a $20M account's "no sale"
    # row leak $2 of trades. 1e-9 keeps solver noise under a few cents.
    highs.setOptionValue("primal_feasibility_tolerance", 1e-9)
    # Half the requested gap for the MIP itself: polishing the tangents afterwards may move the
    # objective a little, and the reported gap is measured after polishing.
    highs.setOptionValue("mip_rel_gap", options.mip_gap / 2)
    # Measured on the 2,000-lot benchmark (docs/benchmarks.md): with few binaries, HiGHS's sub-MIP
    # heuristics and restarts cost far more than the branching they save (10 s → 0.5 s).
    highs.setOptionValue("mip_allow_restart", False)
    highs.setOptionValue("mip_heuristic_run_rins", False)
    highs.setOptionValue("mip_heuristic_run_rens", False)
    highs.setOptionValue("mip_heuristic_run_root_reduced_cost", False)


def _run(highs: highspy.Highs, deadline: float) -> str:
    # HiGHS's clock runs across every run() of one instance: the limit is on its cumulative time.
    highs.setOptionValue("time_limit", highs.getRunTime() + max(deadline - time.perf_counter(), 0.01))
    highs.run()
    status = _STATUS.get(highs.getModelStatus(), "error")
    if status in ("time_limit", "error") and highs.getInfo().primal_solution_status == 2:
        return "feasible"  # stopped early (time, solution or node limit) with a feasible point
    return status


def _refine_and_activate(compiled: Compiled, cols: TrackingColumns, lazy: list[LazyGroup],
                         options: SolveOptions) -> tuple[float, int, int]:
    x = np.asarray(compiled.highs.getSolution().col_value)
    te, added = refine(compiled, cols, x, options.te_tolerance_pct)
    return te, added, activate_violated(compiled, lazy, x)


@dataclass
class _Loop:
    """State of the solve loop: rounds, cuts, last status and exact tracking error."""

    rounds: int = 0
    cuts: int = 0
    status: str = "error"
    te: float = float("nan")


def _lp_rounds(compiled: Compiled, cols: TrackingColumns, lazy: list[LazyGroup], options: SolveOptions,
               loop: _Loop, deadline: float) -> bool:
    """Re-solve the LP relaxation (from the previous basis) until the tangents are exact enough.
    Returns True when lazy groups were switched on (their binaries then need the MIP)."""
    switched_any = False
    compiled.highs.setOptionValue("solve_relaxation", True)
    while loop.rounds < MAX_ROUNDS and time.perf_counter() < deadline:
        loop.rounds += 1
        loop.status = _run(compiled.highs, deadline)
        if loop.status != "optimal":
            break
        loop.te, added, switched = _refine_and_activate(compiled, cols, lazy, options)
        loop.cuts += added
        switched_any |= bool(switched)
        if not added and not switched:
            break
    compiled.highs.setOptionValue("solve_relaxation", False)
    return switched_any


def solve(model: AccountModel, options: SolveOptions = SolveOptions()) -> Solution:
    """LP rounds; then, if anything is integer, MIP rounds: solve the MIP, fix its integer choices and
    polish the tangents with LP rounds. The MIP's dual bound stays a valid bound (fewer tangents make
    a relaxation), so the gap of the polished solution against it is an honest optimality gap."""
    started = time.perf_counter()
    deadline = started + options.time_limit
    compiled = compile_to_highs(model.m)
    highs = compiled.highs
    _configure(highs, options)
    cols = tracking_columns(model, compiled)
    loop = _Loop(cuts=initial_tangents(compiled, cols, model.held - cols.target))
    lazy = relax(compiled, model.lazy_groups)
    timings = {"handoff": time.perf_counter() - started}
    solve_started = time.perf_counter()
    _lp_rounds(compiled, cols, lazy, options, loop, deadline)
    gap, bound, previous_bound = 0.0, float("nan"), float("nan")
    integer = _integer_columns(compiled, lazy)
    best: np.ndarray | None = None
    objective = float("nan")
    if loop.status == "optimal":
        x = np.asarray(highs.getSolution().col_value)
        # (Unless the clock stopped the rounds just after switching groups on, which x then breaks.)
        if np.all(np.abs(x[integer] - np.round(x[integer])) <= 1e-9) and not violated(compiled, lazy, x):
            # The relaxation's optimum is already integral, so it is the MIP's optimum: no MIP run.
            best, objective = x, highs.getInfo().objective_function_value
            integer = np.zeros_like(integer)
    while integer.any() and loop.status in ("optimal", "feasible") and loop.rounds < MAX_ROUNDS \
            and time.perf_counter() < deadline:
        loop.rounds += 1
        loop.status, bound, x = _integer_solve(compiled, integer, options, deadline)
        if loop.status not in ("optimal", "feasible"):
            break
        mip_status = loop.status
        lower, upper = _fix(compiled, integer, x)
        rounds_before = loop.rounds
        switched = _lp_rounds(compiled, cols, lazy, options, loop, deadline)
        polished = float(highs.getInfo().objective_function_value)
        x = np.asarray(highs.getSolution().col_value)
        _unfix(compiled, integer, lower, upper)
        integer = _integer_columns(compiled, lazy)
        if loop.rounds == rounds_before:
            break  # the clock ran out before the MIP's point could be polished
        if switched or loop.status != "optimal" or violated(compiled, lazy, x):
            continue  # the polished point breaks a newly switched-on group: not a solution
        best, objective = x, polished
        gap = (polished - bound) / max(abs(polished), 1e-9)
        loop.status = "optimal" if gap <= options.mip_gap and mip_status == "optimal" else "feasible"
        stalled = abs(bound - previous_bound) <= 1e-9 * max(abs(bound), 1.0)
        if gap <= options.mip_gap or stalled:
            break
        previous_bound = bound
    if best is None and loop.status in ("optimal", "feasible"):
        loop.status = "time_limit"  # every point found broke a lazy group switched on later
    elif best is not None and loop.status not in ("optimal", "feasible"):
        loop.status = "feasible"  # the clock ran out after a verified-good point was found
    timings["solve"] = time.perf_counter() - solve_started
    solved = best is not None
    return Solution(status=loop.status, proven_optimal=loop.status == "optimal", gap=max(gap, 0.0),
                    objective=objective if solved else float("nan"),
                    x=best if best is not None else np.zeros(len(compiled.columns)), compiled=compiled,
                    tracking_error_pct=loop.te, rounds=loop.rounds, cuts=loop.cuts, timings=timings,
                    lazy_active=sum(g.active for g in lazy), lazy_total=len(lazy))


def _integer_solve(compiled: Compiled, integer: np.ndarray, options: SolveOptions,
                   deadline: float) -> tuple[str, float, np.ndarray]:
    """The MIP with the current tangents: our own branching when a few binaries are all there is
    (solver/branch.py), HiGHS's MIP solver otherwise. Returns status, dual bound and solution."""
    cols = np.flatnonzero(integer).astype(np.int32)
    if len(cols) <= MAX_BINARIES and all(compiled.columns[c].is_binary() for c in cols):
        found = branch_and_bound(compiled.highs, cols, options.mip_gap, deadline, _run)
        return found.status, found.bound, found.x if found.x is not None else np.zeros(len(compiled.columns))
    status = _run(compiled.highs, deadline)
    if status not in ("optimal", "feasible"):
        return status, float("nan"), np.zeros(len(compiled.columns))
    highs = compiled.highs
    return status, float(highs.getInfo().mip_dual_bound), np.asarray(highs.getSolution().col_value)


def _fix(compiled: Compiled, integer: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fix the integer columns at their (rounded) values; return the old bounds."""
    cols = np.flatnonzero(integer).astype(np.int32)
    lp = compiled.highs.getLp()
    lower, upper = np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]
    values = np.round(x[cols])
    compiled.highs.changeColsBounds(len(cols), cols, values, values)
    # Fixed and continuous: the polish is a plain LP, not a MIP with nothing left to branch on.
    compiled.highs.changeColsIntegrality(len(cols), cols, np.zeros(len(cols), dtype=np.int32))
    return lower, upper


def _unfix(compiled: Compiled, integer: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
    cols = np.flatnonzero(integer).astype(np.int32)
    compiled.highs.changeColsBounds(len(cols), cols, lower, upper)
    compiled.highs.changeColsIntegrality(len(cols), cols, np.ones(len(cols), dtype=np.int32))


def _integer_columns(compiled: Compiled, lazy: list[LazyGroup]) -> np.ndarray:
    integer = compiled.integer.copy()
    for group in lazy:
        integer[group.binaries] = group.active
    return integer
