"""The state of one solve (solver/solve.py): the HiGHS model with its tangents, lazy groups and
share counts, the work spent, the best bound and the best polished point — and the operations every
phase of the search shares: LP rounds, fixing and releasing columns, polishing a candidate into a
verified-feasible point, and the exact objective that every status and gap is judged by.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from solver.deadline import grace, run_mip_within
from solver.defaults import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT, OBJECTIVE_FLOOR_BP
from solver.handoff import Compiled, compile_to_highs
from solver.highs_runs import STATUS, configure, run_highs
from solver.implied_bounds import tighten
from solver.kept_basis import SavedBasis, keep, restore
from solver.lazy import activate, activate_violated, leave_out_off, relax, violated
from solver.model import AccountModel
from solver.netting_choice import NettingChoice
from solver.perspective import SplitTangents
from solver.rounding import round_counts
from solver.tracking import initial_tangents, refine, tracking_columns
from solver.whole_shares import count_columns

TE_TOLERANCE_PCT = 0.005  # half a basis point of tracking error, tightened by the gap (_te_tolerance)
MAX_LP_ROUNDS = 30  # LP re-solves for tangents and lazy groups, in one call of `lp_rounds`
INTEGRAL = 1e-9
MAX_NODES = 400  # branch-and-bound nodes (solver/solve.py scales this down on large models)


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float = DEFAULT_TIME_LIMIT
    mip_gap: float = DEFAULT_MIP_GAP
    te_tolerance_pct: float = TE_TOLERANCE_PCT
    max_nodes: int = MAX_NODES
    log: bool = False


DEFAULT_OPTIONS = SolveOptions()


def relative_gap(objective: float, bound: float) -> float:
    """The gap every status is judged by: (objective − bound) / max(|objective|, 1 bp)."""
    if not np.isfinite(bound):
        return float("inf")
    return max(objective - bound, 0.0) / max(abs(objective), OBJECTIVE_FLOOR_BP)


@dataclass(frozen=True)
class ShareCounts:
    """Whole-share counts (`solver.whole_shares.share_counts`): HiGHS columns, safe rounding direction, and
    whether they are still relaxed (continuous in HiGHS, rounded after the binaries are decided)."""

    columns: np.ndarray
    round_up: np.ndarray
    names: np.ndarray  # the name each count trades
    mask: np.ndarray
    relaxed: bool

    @classmethod
    def of(cls, model: AccountModel, compiled: Compiled) -> ShareCounts:
        columns, round_up, names = count_columns(model, compiled)
        mask = np.zeros(len(compiled.columns), dtype=bool)
        mask[columns] = True
        set_integrality(compiled, columns, False)
        return cls(columns=columns, round_up=round_up, names=names, mask=mask, relaxed=len(columns) > 0)

    def rounded(self) -> ShareCounts:
        """The counts rounded (by solver/rounding.py): no longer relaxed, integral in the point."""
        return ShareCounts(self.columns, self.round_up, self.names, self.mask, relaxed=False)

    def relaxed_again(self, compiled: Compiled) -> ShareCounts:
        """The counts continuous again, to be rounded anew."""
        set_integrality(compiled, self.columns, False)
        return ShareCounts(self.columns, self.round_up, self.names, self.mask, relaxed=len(self.columns) > 0)

    def strict(self, compiled: Compiled) -> ShareCounts:
        """The counts integer in HiGHS from now on."""
        set_integrality(compiled, self.columns, True)
        return self.rounded()


def set_integrality(compiled: Compiled, columns: np.ndarray, integer: bool) -> None:
    if not len(columns):
        return  # (even an empty change would drop HiGHS's basis, which explanations start from)
    kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
    cols = columns.astype(np.int32)
    compiled.highs.changeColsIntegrality(len(cols), cols, np.full(len(cols), kind.value, dtype=np.int32))


@dataclass
class Point:
    x: np.ndarray
    objective: float  # exact
    tracking_error_pct: float


class Search:
    """The state of one solve: the HiGHS model, its tangents and lazy groups, the work spent, the
    best bound and the best polished point."""

    def __init__(self, model: AccountModel, options: SolveOptions, deadline: float):
        self.options, self.deadline = options, deadline
        self.compiled = compile_to_highs(model.m)
        self.highs = self.compiled.highs
        configure(self.highs, options, household=model.data.household)
        self.cols = tracking_columns(model, self.compiled)
        self.cuts = initial_tangents(self.compiled, self.cols, model.data.held - self.cols.target)
        # Before `relax`, every row still at its bounds. The switches' rows keep their coefficients:
        # a switch's binary prices its perspective split too, and its rows cap each loss lot at the
        # lot's value already; shrunk by a lot's fractional share under whole shares, they led the
        # repair to worse plans on three retirees of the batch book (gaps 0.03–0.09% → 0.17–0.56%),
        # and on the set to one plan better and three worse (docs/benchmarks.md, session 20).
        switches = [c for constraints, _, splits in model.lazy.groups if splits for c in constraints]
        self.tightened = tighten(self.compiled, np.array(self.compiled.rows_of(switches), dtype=np.int64))
        self.lazy = relax(self.compiled, model.lazy.groups)
        self.splits = SplitTangents(self.compiled, self.cols, self.lazy,
                                    self.cols.look.effective(model.data.held - self.cols.target))
        leave_out_off(self.compiled, self.lazy)
        # Every lazy group's binaries in one array, for integer_columns (called in every phase).
        self.lazy_binaries = np.concatenate([g.binaries for g in self.lazy] or [np.zeros(0, np.int32)])
        self.lazy_sizes = np.array([len(g.binaries) for g in self.lazy], dtype=np.int64)
        self.counts = ShareCounts.of(model, self.compiled)
        self.netting = NettingChoice(model, self.compiled)  # the Schedule D binaries
        safe = self.compiled.cols([var for var, _ in model.lazy.safe_sides])
        self.safe_value = np.full(len(self.compiled.columns), np.nan)  # NaN: no safe side
        self.safe_value[safe[safe >= 0]] = np.array([side for _, side in model.lazy.safe_sides])[safe >= 0]
        lp = self.highs.getLp()
        self.lower0, self.upper0 = np.asarray(lp.col_lower_).copy(), np.asarray(lp.col_upper_).copy()
        self.cost = np.asarray(lp.col_cost_).copy()
        self.variance_col = self.compiled.col(model.m.variance)
        self.rounds = self.nodes = self.dive_lps = 0
        self.restricted = False  # safe sides fixed for good (`fix_safe_sides`): bounds no longer rise
        self.unrestricted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (their old bounds)
        self.bound = -float("inf")
        self.best: Point | None = None
        self.te_tolerance = options.te_tolerance_pct
        self.ambiguous = np.zeros(0, dtype=np.int64)  # binaries the relaxation left fractional
        self.mip_done = False  # HiGHS's whole-share MIP has run to an end that another run won't change
        self.stop = "work_limit"
        self.best_basis: SavedBasis | None = None  # the basis the best point was polished on
        # The last LP optimum of `lp_rounds`: HiGHS's own figure is reset by the rows a round adds
        # after it (its point stays), so a caller reads this one.
        self.last_objective = float("nan")

    @property
    def bound(self) -> float:
        return self._bound

    @bound.setter
    def bound(self, value: float) -> None:
        # Once safe sides are fixed for good, the model is a restriction: its LPs and proofs bound it,
        # not the problem, so the bound stays the one found before.
        if not self.restricted:
            self._bound = value

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
    def lp_rounds(self, relaxation: bool, rounds: int = MAX_LP_ROUNDS,
                  switch: bool = True) -> tuple[str, bool, bool]:
        """Re-solve the LP (from the previous basis) until the tangents are exact enough, switching on
        violated lazy groups (unless not `switch`: each LP is then still a relaxation, the groups
        still off relaxed). Returns (status, converged, switched any). With `relaxation`, each
        optimum is a relaxation's and raises the bound."""
        switched_any, status = False, "error"
        self.highs.setOptionValue("solve_relaxation", True)
        try:
            for _ in range(rounds):
                if self.out_of_time():
                    return "time_limit", False, switched_any
                self.rounds += 1
                status = run_highs(self.highs, self.deadline)
                if status != "optimal":
                    return status, False, switched_any
                objective = self.last_objective = float(self.highs.getInfo().objective_function_value)
                if relaxation:
                    self.bound = max(self.bound, objective)
                x = np.asarray(self.highs.getSolution().col_value)
                added = self.tighten(x)
                switched = activate_violated(self.compiled, self.lazy, x) if switch else 0
                switched_any |= bool(switched)
                if not added and not switched:
                    return status, True, switched_any
            return status, False, switched_any
        finally:
            self.highs.setOptionValue("solve_relaxation", False)

    def tighten(self, x: np.ndarray, closing: float = -np.inf) -> int:
        """Tangents where the model's tracking error at `x` falls short of the exact one by more than
        the tolerance (itself tightened by the gap at x's exact objective); returns how many were
        added. Tangents under-estimate a convex function everywhere, so they are valid in every LP of
        the search, the branch and bound's nodes included. `closing`: add none unless x's exact
        objective reaches it — a node of the branch and bound is tightened only when the rise could
        close it (its LP cannot rise above the exact objective of its own point)."""
        exact, te = self.exact_objective(x)
        if exact < closing:
            return 0
        self.te_tolerance = min(self.te_tolerance, self._te_tolerance(exact, te))
        _, added = refine(self.compiled, self.cols, x, self.te_tolerance)
        added += self.splits.refine(x, self.te_tolerance, float(x[self.variance_col]))
        self.cuts += added
        return added

    def x(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().col_value)

    # -- integer columns -----------------------------------------------------------------------------
    def integer_columns(self) -> np.ndarray:
        """Columns that must be integral now: binaries of switched-on lazy groups and every other
        integer column of the model, except share counts while they are relaxed."""
        integer = self.compiled.integer.copy()
        active = np.fromiter((g.active for g in self.lazy), dtype=bool, count=len(self.lazy))
        integer[self.lazy_binaries] = np.repeat(active, self.lazy_sizes)
        if self.counts.relaxed:
            integer &= ~self.counts.mask
        return integer

    def binary_columns(self) -> np.ndarray:
        """The columns of `integer_columns` that are binaries, not share counts."""
        return np.flatnonzero(self.integer_columns() & ~self.counts.mask)

    def fix(self, columns: np.ndarray, values: np.ndarray) -> None:
        self.highs.changeColsBounds(len(columns), columns.astype(np.int32), values, values)

    def release(self, columns: np.ndarray) -> None:
        cols = columns.astype(np.int32)
        self.highs.changeColsBounds(len(cols), cols, self.lower0[cols], self.upper0[cols])

    def lp_objective(self, cutoff: float = float("inf")) -> float:
        """One LP solve of the current state: its objective, or inf when it has no optimum or its
        optimum is above `cutoff`: the dual simplex then stops as soon as its objective, a bound of
        the optimum, passes the cutoff (`objective_bound`), where a comparison needs no more."""
        self.highs.setOptionValue("objective_bound", cutoff)
        try:
            optimal = self.lp() == "optimal"
        finally:
            self.highs.setOptionValue("objective_bound", float("inf"))
        return float(self.highs.getInfo().objective_function_value) if optimal else float("inf")

    def lp(self) -> str:
        """One LP solve of the current (fixed) state, counted as a round."""
        self.rounds += 1
        self.highs.setOptionValue("solve_relaxation", True)
        try:
            return run_highs(self.highs, self.deadline)
        finally:
            self.highs.setOptionValue("solve_relaxation", False)

    # -- polishing: a candidate becomes a verified-feasible point -----------------------------------
    def polish(self, x: np.ndarray) -> Point | None:
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
            return Point(point, objective, te)
        finally:
            self.release(columns)

    def polish_or_grow(self, x: np.ndarray) -> tuple[Point | None, bool]:
        """`polish`, and whether it failed for tangents or groups the point broke (added now: a point
        decided again on the grown model may pass)."""
        before = self.model_size()
        point = self.polish(x)
        return point, point is None and self.model_size() != before

    def round_counts(self, fixed: np.ndarray, x: np.ndarray) -> np.ndarray | None:
        """Whole shares near x with the columns `fixed` (binaries) fixed (solver/rounding.py); the
        counts then count as decided for polishing."""
        self.rounds += 1
        counts = self.counts
        rounded = round_counts(self.highs, fixed, counts.columns, counts.round_up, counts.names, x,
                               self.deadline, run_highs, self.first_point)
        if rounded is not None:
            self.counts = self.counts.rounded()
        return rounded

    def first_point(self, highs: highspy.Highs, max_nodes: int) -> np.ndarray | None:
        """HiGHS's MIP on `highs` as it stands, until its first point within `max_nodes` (counted)."""
        run = run_mip_within(highs, max_nodes, True, self.deadline, grace(self.options.time_limit), None,
                             STATUS)
        self.nodes += run.nodes
        return run.x

    def fix_safe_sides(self) -> None:
        """Fix every binary that has a safe side (LazyBinaries.safe_sides) there for the rest of the
        search, its group switched on: the choices it offered are given up. A safe side the implied
        bounds rule out (a sale the withdrawal forces) is no choice: that binary keeps its bounds."""
        with np.errstate(invalid="ignore"):  # (NaN: no safe side)
            columns = np.flatnonzero((self.safe_value >= self.lower0) & (self.safe_value <= self.upper0))
        activate(self.compiled, [g for g in self.lazy if np.isin(g.binaries, columns).any()])
        self.unrestricted = (columns, self.lower0[columns].copy(), self.upper0[columns].copy())
        self.lower0[columns] = self.upper0[columns] = self.safe_value[columns]
        self.release(columns)
        self.restricted = True

    def proves_the_problem(self, held: np.ndarray) -> bool:
        """Does a proof on the current model, with the Schedule D binaries `held`, cover the whole
        problem? Not a restriction's (safe sides fixed for good); one with the netting held covers the
        other combinations only when none of them holds a point."""
        return not self.restricted and (not len(held) or self.netting.others_hold_no_point())

    def free_safe_sides(self) -> None:
        """Undo `fix_safe_sides` (its groups stay on): the whole problem again, for a proof."""
        if self.unrestricted is not None:
            columns, lower, upper = self.unrestricted
            self.lower0[columns], self.upper0[columns] = lower, upper
            self.release(columns)
            self.restricted, self.unrestricted = False, None

    def model_size(self) -> tuple[int, int]:
        """Tangent cuts and lazy groups switched on: what a failed polish may have added."""
        return self.cuts, sum(g.active for g in self.lazy)

    def offer(self, point: Point | None) -> bool:
        """Keep the point if it is the best; its basis is HiGHS's now (a point comes from `polish`)."""
        if point is not None and (self.best is None or point.objective < self.best.objective - 1e-12):
            self.best = point
            self.best_basis = self.basis()
            return True
        return False

    def basis(self) -> SavedBasis:
        """HiGHS's current basis, to `restore` later."""
        return keep(self.highs)

    def restore(self, basis: SavedBasis | None) -> None:
        """Start the next LP from a basis kept earlier (solver/kept_basis.py), if any."""
        if basis is not None:
            restore(self.highs, basis)


