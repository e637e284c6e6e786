"""Solve an account model with HiGHS: an anytime search that always returns its best verified point.

1. **Relaxation.** Hand the Pyomo model to HiGHS (`solver.handoff`) with tangent cuts near the
   current holdings; refine the tracking-error tangents and switch on violated lazy groups on the LP
   relaxation, which re-solves from the previous basis in milliseconds. Every LP optimum here is the
   optimum of a relaxation of the full problem, so the best of them is a valid lower *bound*.
2. **Repair** (`_repair`). The relaxation's point is turned into a feasible one: binaries are
   rounded (a trade below its minimum dropped or raised, a rebuy that would wash cancelled or the
   loss sale given up), then flipped where the fixed LP's reduced costs say the other side is
   cheaper; the LP re-solves the continuous rest with those choices fixed and newly violated groups
   are decided the same way. Whole-share counts are rounded afterwards (`solver.rounding`).
3. **Improve** (`_improve`): flip one ambiguous choice at a time and keep what lowers the objective.
4. **Prove** (`_prove`): with up to BRANCH_BINARIES binaries, branch and bound over LP re-solves
   (`solver.branch`) from the incumbent; with whole shares still short of the gap, HiGHS's MIP from
   the best point. When rounding finds no whole-share point at all, HiGHS's MIP decides the binaries
   (counts continuous) and rounding is tried from its point; failing that, HiGHS searches the full
   MIP until its first point — so "no plan" means infeasible, or a limit that is reported.
When groups keep breaking during a repair (cash spread over hundreds of names against a minimum
trade), every group is switched on at once instead of a few per round.

Every candidate is *polished* before it counts: its integer choices fixed, the tangents refined
until the model's tracking error is the exact one, and every lazy group checked. The objective and
gap reported are those of the **exact** objective (the tangent proxy replaced by the exact active
variance): gap = (objective − bound) / max(|objective|, 1 bp). `optimal` means that gap is at or
below the requested one; otherwise a found point is `feasible`, with its proven gap.

Limits are work units — LP rounds, repair rounds, improvement moves, branch-and-bound nodes — so the
same inputs give the same answer at any machine load. The wall-clock limit is a safety net: when it
fires, the best point so far is returned and `stop` says `time_limit`. HiGHS runs single-threaded
with a fixed seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from solver.branch import branch_and_bound
from solver.handoff import Compiled, compile_to_highs
from solver.lazy import activate, activate_violated, relax, violated
from solver.model import PRIMAL_TOLERANCE, AccountModel
from solver.rounding import round_counts
from solver.tracking import initial_tangents, refine, tracking_columns

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_MIP_GAP = 1e-3
TE_TOLERANCE_PCT = 0.005  # half a basis point of tracking error, tightened by the gap (_te_tolerance)
MAX_LP_ROUNDS = 30  # LP re-solves for tangents and lazy groups, in one call of `lp_rounds`
MAX_DIVE_LPS = 240  # LP re-solves deciding binaries one by one during repairs
DIVE_TOLERANCE_BP = 1e-6
MAX_REPAIR_ROUNDS = 12  # rounds of deciding newly violated groups during a repair; after
SWITCH_ALL_AFTER = 6  # this many rounds that each broke new groups, every group is switched on
MAX_IMPROVE_MOVES = 40  # single flips tried after the repair
BRANCH_BINARIES = 24  # the branch and bound takes on at most this many binaries
MAX_NODES = 400  # branch-and-bound nodes, and at most NODE_WORK / columns of them (at least MIN_NODES):
NODE_WORK = 2_000_000  # a node re-solves an LP whose cost grows with the model (~20 ms at 16,000 columns)
MIN_NODES = 50
MAX_MIP_NODES = 50  # HiGHS MIP nodes for whole shares that rounding could not settle, in each of
MAX_MIP_RUNS = 3  # at most this many runs (another when a point fails its polish on new tangents)
OBJECTIVE_FLOOR_BP = 1.0  # the gap's denominator never falls below 1 bp of the account
WHOLE_SHARE_HEURISTIC_EFFORT = 0.3  # HiGHS's default is 0.05
INTEGRAL = 1e-9


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float = DEFAULT_TIME_LIMIT
    mip_gap: float = DEFAULT_MIP_GAP
    te_tolerance_pct: float = TE_TOLERANCE_PCT
    max_nodes: int = MAX_NODES
    log: bool = False


@dataclass
class Solution:
    status: str  # optimal | feasible | infeasible | unbounded | work_limit | time_limit | error
    stop: str  # why the search ended: gap | work_limit | time_limit | infeasible | unbounded | error
    proven_optimal: bool
    gap: float  # on the exact objective; inf when no bound
    objective: float  # exact objective of x, bp of account value
    bound: float
    x: np.ndarray
    compiled: Compiled
    tracking_error_pct: float
    rounds: int
    cuts: int
    nodes: int
    binaries_on: int  # binaries the search decided (switched-on lazy groups and the model's own)
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
    highs.setOptionValue("primal_feasibility_tolerance", PRIMAL_TOLERANCE)
    # The same for the MIP's incumbents, or a point HiGHS accepts fails its polish as an LP.
    highs.setOptionValue("mip_feasibility_tolerance", PRIMAL_TOLERANCE)
    highs.setOptionValue("mip_rel_gap", options.mip_gap / 2)
    # With few binaries, HiGHS's sub-MIP heuristics and restarts cost far more than the branching
    # they save (docs/benchmarks.md); they are switched on for whole shares only.
    highs.setOptionValue("mip_allow_restart", False)
    _sub_mip_heuristics(highs, False)


def _sub_mip_heuristics(highs: highspy.Highs, on: bool) -> None:
    """On, with more effort, once whole-share counts are integer: from a rounded start, RINS and
    RENS find the better whole-share points that close the gap."""
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


def relative_gap(objective: float, bound: float) -> float:
    """The gap every status is judged by: (objective − bound) / max(|objective|, 1 bp)."""
    if not np.isfinite(bound):
        return float("inf")
    return max(objective - bound, 0.0) / max(abs(objective), OBJECTIVE_FLOOR_BP)


@dataclass(frozen=True)
class _Counts:
    """Whole-share counts (`AccountModel.share_counts`): HiGHS columns, safe rounding direction, and
    whether they are still relaxed (continuous in HiGHS, rounded after the binaries are decided)."""

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

    def relaxed_again(self, compiled: Compiled) -> _Counts:
        """The counts continuous again, to be rounded anew."""
        _set_integrality(compiled, self.columns, False)
        return _Counts(self.columns, self.round_up, self.mask, relaxed=len(self.columns) > 0)

    def strict(self, compiled: Compiled) -> _Counts:
        """The counts integer in HiGHS from now on."""
        _set_integrality(compiled, self.columns, True)
        return _Counts(self.columns, self.round_up, self.mask, relaxed=False)


def _set_integrality(compiled: Compiled, columns: np.ndarray, integer: bool) -> None:
    if not len(columns):
        return  # (even an empty change would drop HiGHS's basis, which explanations start from)
    kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
    cols = columns.astype(np.int32)
    compiled.highs.changeColsIntegrality(len(cols), cols, np.full(len(cols), kind.value, dtype=np.int32))


@dataclass
class _Point:
    x: np.ndarray
    objective: float  # exact
    tracking_error_pct: float


class _Search:
    """The state of one solve: the HiGHS model, its tangents and lazy groups, the work spent, the
    best bound and the best polished point."""

    def __init__(self, model: AccountModel, options: SolveOptions, deadline: float):
        self.options, self.deadline = options, deadline
        self.compiled = compile_to_highs(model.m)
        self.highs = self.compiled.highs
        _configure(self.highs, options)
        self.cols = tracking_columns(model, self.compiled)
        self.cuts = initial_tangents(self.compiled, self.cols, model.held - self.cols.target)
        self.lazy = relax(self.compiled, model.lazy_groups)
        self.counts = _Counts.of(model, self.compiled)
        lp = self.highs.getLp()
        self.lower0, self.upper0 = np.asarray(lp.col_lower_).copy(), np.asarray(lp.col_upper_).copy()
        self.cost = np.asarray(lp.col_cost_).copy()
        self.variance_col = self.compiled.col(model.m.variance)
        self.rounds = self.nodes = self.dive_lps = 0
        self.bound = -float("inf")
        self.best: _Point | None = None
        self.te_tolerance = options.te_tolerance_pct
        self.ambiguous = np.zeros(0, dtype=np.int64)  # binaries the relaxation left fractional
        self.mip_done = False  # HiGHS's whole-share MIP has run to an end that another run won't change
        self.stop = "work_limit"

    # -- limits -------------------------------------------------------------------------------------
    def out_of_time(self) -> bool:
        if time.perf_counter() >= self.deadline:
            self.stop = "time_limit"
            return True
        return False

    def gap(self) -> float:
        return relative_gap(self.best.objective, self.bound) if self.best else float("inf")

    def closed(self) -> bool:
        return self.best is not None and self.gap() <= self.options.mip_gap

    # -- the exact objective -------------------------------------------------------------------------
    def exact_objective(self, x: np.ndarray) -> tuple[float, float]:
        """The objective with the tangent proxy of the active variance replaced by the exact variance
        (tangents under-estimate it, so this is never below the model's figure); and the exact TE."""
        q, h = self.cols.exact_terms(self.cols.active(x))
        variance = float(q.sum() + h.sum())
        exact = x.copy()
        exact[self.variance_col] = variance
        return float(self.cost @ exact) + self.compiled.objective_offset, float(np.sqrt(variance))

    def _te_tolerance(self, objective: float, te: float) -> float:
        """Tangent tolerance (TE points) small enough that the proxy's error stays under a quarter of
        the requested gap: d(10·w·TE²) ≈ 20·w·TE·dTE bp."""
        weight = max(abs(self.cost[self.variance_col]), 1e-12)
        allowed_bp = self.options.mip_gap * max(abs(objective), OBJECTIVE_FLOOR_BP) / 4
        return min(self.options.te_tolerance_pct, allowed_bp / (2 * weight * max(te, 0.05)))

    # -- LP rounds -----------------------------------------------------------------------------------
    def lp_rounds(self, relaxation: bool) -> tuple[str, bool, bool]:
        """Re-solve the LP (from the previous basis) until the tangents are exact enough, switching on
        violated lazy groups. Returns (status, converged, switched any). With `relaxation`, each
        optimum is a relaxation's and raises the bound."""
        switched_any, status = False, "error"
        self.highs.setOptionValue("solve_relaxation", True)
        try:
            for _ in range(MAX_LP_ROUNDS):
                if self.out_of_time():
                    return "time_limit", False, switched_any
                self.rounds += 1
                status = _run(self.highs, self.deadline)
                if status != "optimal":
                    return status, False, switched_any
                objective = float(self.highs.getInfo().objective_function_value)
                if relaxation:
                    self.bound = max(self.bound, objective)
                x = np.asarray(self.highs.getSolution().col_value)
                exact, te = self.exact_objective(x)
                self.te_tolerance = min(self.te_tolerance, self._te_tolerance(exact, te))
                _, added = refine(self.compiled, self.cols, x, self.te_tolerance)
                switched = activate_violated(self.compiled, self.lazy, x)
                self.cuts += added
                switched_any |= bool(switched)
                if not added and not switched:
                    return status, True, switched_any
            return status, False, switched_any
        finally:
            self.highs.setOptionValue("solve_relaxation", False)

    def x(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().col_value)

    # -- integer columns -----------------------------------------------------------------------------
    def integer_columns(self) -> np.ndarray:
        """Columns that must be integral now: binaries of switched-on lazy groups and every other
        integer column of the model, except share counts while they are relaxed."""
        integer = self.compiled.integer.copy()
        for group in self.lazy:
            integer[group.binaries] = group.active
        if self.counts.relaxed:
            integer &= ~self.counts.mask
        return integer

    def fix(self, columns: np.ndarray, values: np.ndarray) -> None:
        self.highs.changeColsBounds(len(columns), columns.astype(np.int32), values, values)

    def release(self, columns: np.ndarray) -> None:
        cols = columns.astype(np.int32)
        self.highs.changeColsBounds(len(cols), cols, self.lower0[cols], self.upper0[cols])

    def lp_objective(self) -> float:
        """One LP solve of the current state: its objective, or inf when it has no optimum."""
        optimal = self.lp() == "optimal"
        return float(self.highs.getInfo().objective_function_value) if optimal else float("inf")

    def lp(self) -> str:
        """One LP solve of the current (fixed) state, counted as a round."""
        self.rounds += 1
        self.highs.setOptionValue("solve_relaxation", True)
        try:
            return _run(self.highs, self.deadline)
        finally:
            self.highs.setOptionValue("solve_relaxation", False)

    # -- polishing: a candidate becomes a verified-feasible point -----------------------------------
    def polish(self, x: np.ndarray) -> _Point | None:
        """Fix every integer column (share counts included, when rounded) at x's values, refine the
        tangents to tolerance and check the lazy groups. Returns the point, or None when it breaks
        a group or the rows (the groups it broke are switched on)."""
        whole = self.integer_columns() | (self.counts.mask if not self.counts.relaxed else False)
        if self.counts.relaxed and self.counts.mask.any():
            return None  # counts must be rounded first
        columns = np.flatnonzero(whole)
        if np.any(np.abs(x[columns] - np.round(x[columns])) > INTEGRAL):
            return None
        self.fix(columns, np.round(x[columns]))
        try:
            status, converged, switched = self.lp_rounds(relaxation=False)
            if status != "optimal" or not converged or switched:
                return None
            point = self.x()
            if violated(self.compiled, self.lazy, point):
                return None
            objective, te = self.exact_objective(point)
            return _Point(point, objective, te)
        finally:
            self.release(columns)

    def model_size(self) -> tuple[int, int]:
        """Tangent cuts and lazy groups switched on: what a failed polish may have added."""
        return self.cuts, sum(g.active for g in self.lazy)

    def offer(self, point: _Point | None) -> bool:
        if point is not None and (self.best is None or point.objective < self.best.objective - 1e-12):
            self.best = point
            return True
        return False


def _strong_dive(search: _Search, columns: np.ndarray, values: np.ndarray,
                 ambiguous: np.ndarray) -> np.ndarray:
    """Decide the ambiguous binaries one at a time, each by strong branching on the LP in which the
    earlier decisions are fixed: fixed at 0 and at 1, the cheaper side wins and stays fixed. Seeing
    the earlier decisions matters: harvesting one name of a sector is cheap while a substitute can be
    bought, harvesting all of them is not. Two warm LP re-solves per binary, within a work budget;
    past it, the rest keep their rounded values."""
    values = values.copy()
    # The choices the relaxation already made are fixed first, as they will be in the end, so that
    # every comparison below sees them.
    search.fix(columns[~ambiguous], values[~ambiguous])
    free = search.lp_objective()  # the LP with binary j free bounds both of its sides from below
    for j in np.flatnonzero(ambiguous):
        if search.dive_lps + 2 > MAX_DIVE_LPS or search.out_of_time():
            break
        column = columns[j:j + 1]
        objectives = {}
        for value in (values[j], 1.0 - values[j]):  # the rounded side first
            search.fix(column, np.array([value]))
            search.dive_lps += 1
            objectives[value] = search.lp_objective()
            if objectives[value] <= free + DIVE_TOLERANCE_BP:
                break  # no other side can be cheaper than the LP with j free, within the tolerance
        values[j] = min(objectives, key=lambda v: (objectives[v], v != values[j]))
        if np.isfinite(objectives[values[j]]):
            free = objectives[values[j]]
        search.fix(column, values[j:j + 1])
    return values


def _dive(search: _Search, columns: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray | None:
    """Fix one column at a time (the most decided first), taking the other value when the LP says
    the first is infeasible. For repairs whose all-at-once rounding breaks a row."""
    search.release(columns)
    order = np.argsort(np.abs(x[columns] - values), kind="stable")
    done = np.zeros(len(columns), dtype=bool)
    for j in order:
        done[j] = True
        for value in (values[j], 1.0 - values[j]):
            values[j] = value
            search.fix(columns[done], values[done])
            status = search.lp()
            if status == "optimal":
                break
            if search.out_of_time():
                return None
        else:
            return None
    return values


def _repair(search: _Search, x: np.ndarray) -> _Point | None:
    """Turn a relaxation's point into a polished feasible one (module docstring, step 2)."""
    ambiguous_seen: set[int] = set()
    for round_ in range(MAX_REPAIR_ROUNDS):
        if search.out_of_time():
            return None
        integer = search.integer_columns()
        columns = np.flatnonzero(integer)
        values = np.clip(np.round(x[columns]), search.lower0[columns], search.upper0[columns])
        fractional = np.abs(x[columns] - np.round(x[columns])) > INTEGRAL
        ambiguous_seen.update(columns[fractional].tolist())
        binary = (search.lower0[columns] == 0.0) & (search.upper0[columns] == 1.0)
        if len(columns):
            values = _strong_dive(search, columns, values, fractional & binary)
            search.fix(columns, values)
            status = search.lp()
            if status != "optimal" and binary.all():
                dived = _dive(search, columns, values.copy(), x)
                if dived is None:
                    search.release(columns)
                    return None
                values = dived
        status, _, switched = search.lp_rounds(relaxation=False)
        x = search.x()
        search.release(columns)
        if status != "optimal":
            return None
        if switched and round_ + 1 >= SWITCH_ALL_AFTER:
            # Groups keep breaking as the LP moves to names whose groups are still off (cash spread
            # over 500 names against a minimum trade): switch every group on at once and start the
            # decisions again from the relaxation with all of them on (a relaxation still: a bound).
            activate(search.compiled, search.lazy)
            status, _, _ = search.lp_rounds(relaxation=True)
            if status != "optimal":
                return None
            x = search.x()
            continue
        if switched:
            continue  # newly violated groups: their binaries are decided in the next round
        if search.counts.relaxed and search.counts.mask.any():
            rounded = _round_counts(search, columns, x)
            if rounded is None:
                return None
            x = rounded
        search.ambiguous = np.array(sorted(ambiguous_seen), dtype=np.int64)
        model_before = search.model_size()
        point = search.polish(x)
        if point is not None or search.model_size() == model_before:
            return point
        # Polishing switched groups on or added tangents: decide again in another round, with the
        # share counts free to move again (rounded for the old choices, they may not fit the new).
        search.counts = search.counts.relaxed_again(search.compiled)
        x = search.x()
    return None


def _round_counts(search: _Search, fixed: np.ndarray, x: np.ndarray) -> np.ndarray | None:
    """Whole shares near x with the binaries fixed (solver/rounding.py); the counts then count as
    decided for polishing."""
    rounded = round_counts(search.highs, fixed, search.counts.columns, search.counts.round_up, x,
                           search.deadline, _run)
    search.rounds += 1
    if rounded is not None:
        search.counts = _Counts(search.counts.columns, search.counts.round_up, search.counts.mask,
                                relaxed=False)
    return rounded


def _improve(search: _Search) -> None:
    """Step 3: flip one ambiguous binary at a time (fixed LP, the tangents as they are) and polish
    the flips that lower the objective. A bounded number of moves, in column order."""
    if search.best is None or not len(search.ambiguous):
        return
    integer = search.integer_columns() | (search.counts.mask if not search.counts.relaxed else False)
    columns = np.flatnonzero(integer)
    values = np.round(search.best.x[columns])
    where = {int(c): j for j, c in enumerate(columns)}
    moves = 0
    search.fix(columns, values)
    if search.lp() != "optimal":
        search.release(columns)
        return
    current = float(search.highs.getInfo().objective_function_value)
    improved = False
    for column in search.ambiguous.tolist():
        if moves >= MAX_IMPROVE_MOVES or search.out_of_time():
            break
        j = where.get(column)
        if j is None or search.lower0[column] != 0.0 or search.upper0[column] != 1.0:
            continue
        moves += 1
        values[j] = 1.0 - values[j]
        search.fix(columns[j:j + 1], values[j:j + 1])
        objective = search.lp_objective()
        if objective < current - 1e-9:
            current, improved = objective, True
        else:
            values[j] = 1.0 - values[j]
            search.fix(columns[j:j + 1], values[j:j + 1])
    if improved:
        search.lp()
        x = search.x()
        search.release(columns)
        search.offer(search.polish(x))
    else:
        search.release(columns)


def _prove(search: _Search) -> None:
    """Step 4: close the gap where the work limits allow. A few binaries: branch and bound over LP
    re-solves (share counts continuous: a relaxation), its point rounded to whole shares and polished;
    then, for whole shares still short of the gap, HiGHS's MIP."""
    for _ in range(MAX_REPAIR_ROUNDS):
        if search.closed() or search.out_of_time():
            return
        binaries = np.flatnonzero(search.integer_columns() & ~search.counts.mask)
        if not len(binaries) or len(binaries) > BRANCH_BINARIES or \
                not all(search.compiled.columns[c].is_binary() for c in binaries):
            break
        incumbent = (search.best.objective, search.best.x) if search.best else None
        budget = max(MIN_NODES, min(search.options.max_nodes, NODE_WORK // len(search.compiled.columns)))
        found = branch_and_bound(search.highs, binaries, search.options.mip_gap / 2, search.deadline, _run,
                                 max_nodes=budget, incumbent=incumbent)
        search.nodes += found.nodes
        if found.x is None:
            if found.status == "infeasible" and search.best is None:
                search.stop = "infeasible"  # complete: no binary choice has a feasible relaxation
            return
        search.bound = max(search.bound, found.bound)
        if search.best is not None and found.objective >= search.best.objective - 1e-12:
            break  # nothing better than the incumbent
        x = found.x
        if search.counts.mask.any():
            x = round_counts(search.highs, binaries, search.counts.columns, search.counts.round_up, x,
                             search.deadline, _run)
            if x is None:
                break
        model_before = search.model_size()
        point = search.polish(x)
        if point is None and search.model_size() != model_before:
            continue  # the point broke new tangents or groups: branch again with them
        search.offer(point)
        if found.stop != "complete":
            break
    if search.counts.mask.any() and not search.closed() and not search.out_of_time():
        _whole_share_mip(search)


def _binary_mip(search: _Search) -> None:
    """Whole shares that rounding could not reach from the repaired point: HiGHS's MIP over the
    binaries alone (counts continuous, a relaxation: its bound holds), within a node budget, and its
    point rounded to whole shares; a vertex of the binaries' MIP often rounds where a dive's LP point
    does not."""
    binaries = np.flatnonzero(search.integer_columns() & ~search.counts.mask)
    if not len(binaries):
        return
    highs = search.highs
    highs.setOptionValue("mip_max_nodes", MAX_MIP_NODES)
    status = _run(highs, search.deadline)
    highs.setOptionValue("mip_max_nodes", highspy.kHighsIInf)
    search.nodes += int(highs.getInfo().mip_node_count)
    if status not in ("optimal", "feasible"):
        return
    search.bound = max(search.bound, float(highs.getInfo().mip_dual_bound))
    x = round_counts(highs, binaries, search.counts.columns, search.counts.round_up,
                     np.asarray(highs.getSolution().col_value), search.deadline, _run)
    if x is not None:
        search.counts = _Counts(search.counts.columns, search.counts.round_up, search.counts.mask,
                                relaxed=False)
        search.offer(search.polish(x))


def _whole_share_mip(search: _Search) -> None:
    """Whole shares whose rounding left more than the gap, or found no point: HiGHS's MIP over every
    integer column, started from the best point when there is one, within a node budget. Its point
    may break a lazy group still off (HiGHS sees only the groups switched on): polishing switches it
    on and the MIP runs again, a bounded number of times."""
    highs = search.highs
    search.counts = search.counts.strict(search.compiled)
    _sub_mip_heuristics(highs, True)
    # Without a point, every run adds the tangents or groups its point broke: give it more runs.
    for _ in range(MAX_MIP_RUNS if search.best else MAX_REPAIR_ROUNDS):
        if search.mip_done or search.closed() or search.out_of_time():
            return
        integer = search.integer_columns() | search.counts.mask
        _set_integrality(search.compiled, np.flatnonzero(integer), True)
        # Without a point yet, HiGHS searches until its first whole-share point (or the clock): never
        # nothing when a plan exists. With one, a node budget bounds the improvement.
        highs.setOptionValue("mip_max_nodes", MAX_MIP_NODES if search.best else highspy.kHighsIInf)
        highs.setOptionValue("mip_max_improving_sols", highspy.kHighsIInf if search.best else 1)
        if search.best is not None:
            start = highspy.HighsSolution()
            start.col_value = search.best.x.tolist()
            start.value_valid = True
            highs.setSolution(start)
        status = _run(highs, search.deadline)
        highs.setOptionValue("mip_max_nodes", highspy.kHighsIInf)
        highs.setOptionValue("mip_max_improving_sols", highspy.kHighsIInf)
        search.nodes += int(highs.getInfo().mip_node_count)
        if status not in ("optimal", "feasible"):
            search.mip_done = True
            if status == "infeasible" and search.best is None:
                search.stop = "infeasible"  # the MIP with only some groups on is a relaxation
            return
        search.bound = max(search.bound, float(highs.getInfo().mip_dual_bound))
        model_before = search.model_size()
        point = search.polish(np.asarray(highs.getSolution().col_value))
        search.offer(point)
        # A point that failed its polish for new tangents or groups: the MIP decides again with them.
        search.mip_done = point is not None or search.model_size() == model_before


def solve(model: AccountModel, options: SolveOptions = SolveOptions()) -> Solution:
    """The anytime search of the module docstring: relaxation, repair, improve, prove."""
    started = time.perf_counter()
    search = _Search(model, options, started + options.time_limit)
    timings = {"handoff": time.perf_counter() - started}
    solve_started = time.perf_counter()
    status, converged, _ = search.lp_rounds(relaxation=True)
    if status in ("infeasible", "unbounded", "error", "time_limit"):
        search.stop = status
    elif status == "optimal":
        x = search.x()
        if converged and not np.flatnonzero(search.integer_columns() | search.counts.mask).size:
            search.offer(_Point(x, *search.exact_objective(x)))
        else:
            search.offer(_repair(search, x))
            _improve(search)
            if search.best is None and search.counts.mask.any() and not search.out_of_time():
                _binary_mip(search)  # no whole-share point near the repaired one: HiGHS decides the binaries
            _prove(search)
    # The HiGHS model left behind is the full one, bounds and integrality restored (explanations
    # reopen it).
    search.release(np.arange(len(search.lower0)))
    if search.counts.relaxed:
        search.counts.strict(search.compiled)
    timings["solve"] = time.perf_counter() - solve_started
    if not search.closed():
        search.out_of_time()  # a run that HiGHS ended on its clock: the stop was the time limit
    return _solution(search, timings)


def _solution(search: _Search, timings: dict[str, float]) -> Solution:
    best, gap = search.best, search.gap()
    if best is None:  # no plan: proven infeasible (or unbounded), or the search ran out of work or time
        status = search.stop
    else:
        status = "optimal" if gap <= search.options.mip_gap else "feasible"
        if status == "optimal":
            search.stop = "gap"
    binaries = search.integer_columns() & search.compiled.integer & ~search.counts.mask
    return Solution(status=status, stop=search.stop, proven_optimal=status == "optimal", gap=gap,
                    objective=best.objective if best else float("nan"), bound=search.bound,
                    x=best.x if best else np.zeros(len(search.compiled.columns)), compiled=search.compiled,
                    tracking_error_pct=best.tracking_error_pct if best else float("nan"),
                    rounds=search.rounds, cuts=search.cuts, nodes=search.nodes,
                    binaries_on=int(np.count_nonzero(binaries)),
                    lazy_active=sum(g.active for g in search.lazy), lazy_total=len(search.lazy),
                    timings=timings)
