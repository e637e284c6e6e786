"""Solve an account model with HiGHS: tangent refinement on the LP relaxation, then the MIP.

1. Hand the Pyomo model to HiGHS (`solver.handoff`) with tangent cuts near the current holdings.
2. Refine the tracking-error cuts and switch on violated lazy groups on the LP relaxation, which
   re-solves from the previous basis in milliseconds.
3. If anything is integer, MIP rounds: solve the MIP (our own branching for a few binaries, HiGHS
   otherwise), fix its integer choices and polish the tangents on the LP; the gap is measured
   against the best dual bound of any round. Whole-share counts stay continuous in the first
   rounds and are rounded (solver/rounding.py); only when rounding costs more than the gap allows
   do they become integer for HiGHS, which then starts from the rounded point.
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
from solver.rounding import round_counts
from solver.tracking import TrackingColumns, initial_tangents, refine, tracking_columns

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_MIP_GAP = 1e-3
TE_TOLERANCE_PCT = 0.005  # half a basis point of tracking error
MAX_ROUNDS = 30
WHOLE_SHARE_HEURISTIC_EFFORT = 0.3  # HiGHS's default is 0.05


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
    _sub_mip_heuristics(highs, False)


def _sub_mip_heuristics(highs: highspy.Highs, on: bool) -> None:
    """Off for binaries only (above); on, with more effort, once whole-share counts are integer:
    from a rounded start, RINS and RENS find the better whole-share points that close the gap
    (docs/benchmarks.md, "Whole shares": 60 s without a solution → 5 s proven on sp500_2000)."""
    for name in ("mip_heuristic_run_rins", "mip_heuristic_run_rens", "mip_heuristic_run_root_reduced_cost"):
        highs.setOptionValue(name, on)
    highs.setOptionValue("mip_heuristic_effort", WHOLE_SHARE_HEURISTIC_EFFORT if on else 0.05)


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
    converged: bool = False  # the last LP rounds ended with the tangents exact, not on the clock


def _lp_rounds(compiled: Compiled, cols: TrackingColumns, lazy: list[LazyGroup], options: SolveOptions,
               loop: _Loop, deadline: float) -> bool:
    """Re-solve the LP relaxation (from the previous basis) until the tangents are exact enough.
    Returns True when lazy groups were switched on (their binaries then need the MIP)."""
    switched_any, loop.converged = False, False
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
            loop.converged = True
            break
    compiled.highs.setOptionValue("solve_relaxation", False)
    return switched_any


def solve(model: AccountModel, options: SolveOptions = SolveOptions()) -> Solution:
    """LP rounds; then, if anything is integer, MIP rounds: solve the MIP, fix its integer choices and
    polish the tangents with LP rounds. The MIP's dual bound stays a valid bound (fewer tangents make
    a relaxation), so the gap of the polished solution against it is an honest optimality gap.

    Whole-share counts start continuous (`_Counts`): the first MIP round decides the binaries only,
    its point is rounded to whole shares (solver/rounding.py) and its bound stays valid for the
    whole-share problem. Only when that gap is too wide do the counts become integer for HiGHS, which
    then starts from the rounded point (a complete MIP start) instead of searching for one."""
    started = time.perf_counter()
    deadline = started + options.time_limit
    compiled = compile_to_highs(model.m)
    highs = compiled.highs
    _configure(highs, options)
    cols = tracking_columns(model, compiled)
    loop = _Loop(cuts=initial_tangents(compiled, cols, model.held - cols.target))
    lazy = relax(compiled, model.lazy_groups)
    counts = _Counts.of(model, compiled)
    timings = {"handoff": time.perf_counter() - started}
    solve_started = time.perf_counter()
    _lp_rounds(compiled, cols, lazy, options, loop, deadline)
    gap, bound, previous_bound = 0.0, -float("inf"), float("nan")
    integer = _integer_columns(compiled, lazy, counts)
    best: np.ndarray | None = None
    start: np.ndarray | None = None
    objective = float("nan")
    if loop.status == "optimal":
        x = np.asarray(highs.getSolution().col_value)
        # (Unless the clock stopped the rounds just after switching groups on, which x then breaks.)
        whole = integer | counts.mask
        if loop.converged and np.all(np.abs(x[whole] - np.round(x[whole])) <= 1e-9) \
                and not violated(compiled, lazy, x):
            # The relaxation's optimum is already integral, so it is the MIP's optimum: no MIP run.
            best, objective = x, highs.getInfo().objective_function_value
            integer, counts = np.zeros_like(integer), counts.settled()
    while (integer.any() or counts.relaxed) and loop.status in ("optimal", "feasible") \
            and loop.rounds < MAX_ROUNDS and time.perf_counter() < deadline:
        loop.rounds += 1
        loop.status, round_bound, x = _integer_solve(compiled, integer, options, deadline, start)
        if loop.status not in ("optimal", "feasible"):
            break
        mip_status = loop.status
        # Every round's bound is the optimum of a relaxation of the full problem: the best one holds.
        bound = max(bound, round_bound)
        if counts.relaxed:
            rounded = round_counts(highs, np.flatnonzero(integer), counts.columns, counts.round_up, x,
                                   deadline, _run)
            if rounded is None:  # no whole-share point near this one: HiGHS searches from scratch
                counts = counts.strict(compiled)
                integer = _integer_columns(compiled, lazy, counts)
                continue
            x = rounded
        whole = integer | counts.mask
        saved = _fix(compiled, whole, x)
        rounds_before = loop.rounds
        switched = _lp_rounds(compiled, cols, lazy, options, loop, deadline)
        polished = float(highs.getInfo().objective_function_value)
        x = np.asarray(highs.getSolution().col_value)
        _unfix(compiled, whole, saved)
        integer = _integer_columns(compiled, lazy, counts)
        if loop.rounds == rounds_before:
            break  # the clock ran out before the MIP's point could be polished
        if switched or loop.status != "optimal" or not loop.converged or violated(compiled, lazy, x):
            # The polished point breaks a newly switched-on group, or the clock stopped its tangents
            # short of the exact tracking error (a limit may not hold), or, with the integer choices
            # fixed, no point fits the new rows or tangents: not a solution, and no proof of
            # infeasibility either — the MIP decides again.
            if loop.status == "infeasible":
                loop.status = mip_status
            continue
        best, objective = x, polished
        gap = (polished - bound) / max(abs(polished), 1e-9)
        loop.status = "optimal" if gap <= options.mip_gap and mip_status == "optimal" else "feasible"
        if gap <= options.mip_gap:
            break
        if counts.relaxed:  # rounding cost more than the gap allows: whole shares go to HiGHS
            counts = counts.strict(compiled)
            integer, start = _integer_columns(compiled, lazy, counts), x
            continue
        if abs(bound - previous_bound) <= 1e-9 * max(abs(bound), 1.0):
            break  # the bound has stalled
        previous_bound, start = bound, x
    counts.strict(compiled)  # the HiGHS model left behind is the full one (explanations reopen it)
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


def _integer_solve(compiled: Compiled, integer: np.ndarray, options: SolveOptions, deadline: float,
                   start: np.ndarray | None = None) -> tuple[str, float, np.ndarray]:
    """The MIP with the current tangents: the LP when nothing is integer (only relaxed share counts),
    our own branching when a few binaries are all there is (solver/branch.py), HiGHS's MIP solver
    otherwise, from `start` when given (a complete point: HiGHS then needs no search for a first
    incumbent). Returns status, dual bound and solution."""
    highs = compiled.highs
    cols = np.flatnonzero(integer).astype(np.int32)
    if len(cols) <= MAX_BINARIES and all(compiled.columns[c].is_binary() for c in cols):
        found = branch_and_bound(highs, cols, options.mip_gap, deadline, _run)
        return found.status, found.bound, found.x if found.x is not None else np.zeros(len(compiled.columns))
    _sub_mip_heuristics(highs, not all(compiled.columns[c].is_binary() for c in cols))
    if start is not None:
        point = highspy.HighsSolution()
        point.col_value = start.tolist()
        point.value_valid = True
        highs.setSolution(point)
    status = _run(highs, deadline)
    if status not in ("optimal", "feasible"):
        return status, float("nan"), np.zeros(len(compiled.columns))
    return status, float(highs.getInfo().mip_dual_bound), np.asarray(highs.getSolution().col_value)


def _fix(compiled: Compiled, integer: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fix the integer columns at their (rounded) values; return the old bounds and integrality."""
    cols = np.flatnonzero(integer).astype(np.int32)
    lp = compiled.highs.getLp()
    saved = (np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols],
             np.asarray(lp.integrality_, dtype=np.int32)[cols] if len(lp.integrality_) else
             np.zeros(len(cols), dtype=np.int32))
    values = np.round(x[cols])
    compiled.highs.changeColsBounds(len(cols), cols, values, values)
    # Fixed and continuous: the polish is a plain LP, not a MIP with nothing left to branch on.
    compiled.highs.changeColsIntegrality(len(cols), cols, np.zeros(len(cols), dtype=np.int32))
    return saved


def _unfix(compiled: Compiled, integer: np.ndarray, saved: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    cols = np.flatnonzero(integer).astype(np.int32)
    lower, upper, integrality = saved
    compiled.highs.changeColsBounds(len(cols), cols, lower, upper)
    compiled.highs.changeColsIntegrality(len(cols), cols, integrality)


@dataclass(frozen=True)
class _Counts:
    """Whole-share counts (`AccountModel.share_counts`): HiGHS columns, safe rounding direction, and
    whether they are still relaxed (continuous in HiGHS, rounded after each MIP round)."""

    columns: np.ndarray
    round_up: np.ndarray
    mask: np.ndarray
    relaxed: bool

    @classmethod
    def of(cls, model: AccountModel, compiled: Compiled) -> _Counts:
        variables, up = model.share_counts()
        columns = compiled.cols(variables)
        keep = columns >= 0
        columns, round_up = columns[keep], np.array(up, dtype=bool)[keep]
        mask = np.zeros(len(compiled.columns), dtype=bool)
        mask[columns] = True
        _set_integrality(compiled, columns, False)
        return cls(columns=columns, round_up=round_up, mask=mask, relaxed=len(columns) > 0)

    def strict(self, compiled: Compiled) -> _Counts:
        """The counts integer in HiGHS from now on."""
        _set_integrality(compiled, self.columns, True)
        return _Counts(self.columns, self.round_up, self.mask, relaxed=False)

    def settled(self) -> _Counts:
        """Nothing left to round (the relaxation's optimum was whole already)."""
        return _Counts(self.columns, self.round_up, self.mask, relaxed=False)


def _set_integrality(compiled: Compiled, columns: np.ndarray, integer: bool) -> None:
    if not len(columns):
        return  # (even an empty change would drop HiGHS's basis, which explanations start from)
    kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
    cols = columns.astype(np.int32)
    compiled.highs.changeColsIntegrality(len(cols), cols, np.full(len(cols), kind.value, dtype=np.int32))


def _integer_columns(compiled: Compiled, lazy: list[LazyGroup], counts: _Counts) -> np.ndarray:
    """The columns HiGHS must keep integer now: binaries of switched-on lazy groups, every other
    integer column of the model, except share counts while they are relaxed."""
    integer = compiled.integer.copy()
    for group in lazy:
        integer[group.binaries] = group.active
    if counts.relaxed:
        integer &= ~counts.mask
    return integer
