"""Solve an account model with HiGHS: an anytime search that always returns its best verified point.

1. **Relaxation.** Hand the Pyomo model to HiGHS (`solver.handoff`) with tangent cuts near the
   current holdings; refine the tracking-error tangents and switch on violated lazy groups on the LP
   relaxation, which re-solves from the previous basis in milliseconds. Every LP optimum here is the
   optimum of a relaxation of the full problem, so the best of them is a valid lower *bound*. The
   account's Schedule D binaries (at most two) are then decided as the law signs its gains, and
   their other choices bounded once the repair has a point (solver/netting_choice.py).
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

import numpy as np

from solver.branch import branch_and_bound
from solver.clashes import flip_clashes
from solver.handoff import Compiled
from solver.lazy import activate
from solver.mip_phases import binary_mip, whole_share_mip
from solver.model import AccountModel
from solver.search import (
    DEFAULT_OPTIONS,
    INTEGRAL,
    MAX_LP_ROUNDS,
    Point,
    Search,
    SolveOptions,
    run_highs,
)

MAX_DIVE_LPS = 240  # LP re-solves deciding binaries one by one during repairs
DIVE_TOLERANCE_BP = 1e-6
MAX_REPAIR_ROUNDS = 12  # rounds of deciding newly violated groups during a repair; after
SWITCH_ALL_AFTER = 6  # this many rounds that each broke new groups, every group is switched on
MAX_IMPROVE_MOVES = 40  # single flips tried after the repair
BRANCH_BINARIES = 24  # the branch and bound takes on at most this many binaries
# Branch-and-bound nodes: SolveOptions.max_nodes, and at most NODE_WORK / columns (at least MIN_NODES)
NODE_WORK = 2_000_000  # a node re-solves an LP whose cost grows with the model (~20 ms at 16,000 columns)
MIN_NODES = 50
MIP_PROVE_MAX_COLUMNS = 4_000  # models up to ~2,000 lots (legacy and transition accounts)
VARIANCE_BACK_OFF = 0.94  # a variance limit's share while a first whole-share point is sought (TE 0.97)
WHOLE_SHARE_MIP_MAX_COUNTS = 400  # share counts HiGHS's MIP may improve once a whole-share point exists


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


def _strong_dive(search: Search, columns: np.ndarray, values: np.ndarray,
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
        objectives: dict[float, float] = {}
        for value in (values[j], 1.0 - values[j]):  # the rounded side first
            search.fix(column, np.array([value]))
            search.dive_lps += 1
            # The other side only needs to be seen to cost more than the rounded one (ties go to the
            # rounded side): its LP stops once its bound passes that.
            objectives[value] = search.lp_objective(cutoff=objectives.get(values[j], float("inf")))
            if objectives[value] <= free + DIVE_TOLERANCE_BP:
                break  # no other side can be cheaper than the LP with j free, within the tolerance
        values[j] = min(objectives, key=lambda v: (objectives[v], v != values[j]))
        if np.isfinite(objectives[values[j]]):
            free = objectives[values[j]]
        search.fix(column, values[j:j + 1])
    return values


def _dive(search: Search, columns: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray | None:
    """Fix one column at a time (the most decided first), taking the other value when the LP says
    the first is infeasible. For repairs whose all-at-once rounding breaks a row."""
    search.release(columns)
    order = np.argsort(np.abs(x[columns] - values), kind="stable")
    done = np.zeros(len(columns), dtype=bool)
    for j in order:
        if search.out_of_time():  # (each LP is quick: past the deadline, hundreds would still run)
            return None
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


def _repair(search: Search, x: np.ndarray) -> Point | None:
    """Turn a relaxation's point into a polished feasible one (module docstring, step 2)."""
    ambiguous_seen: set[int] = set()
    for round_ in range(MAX_REPAIR_ROUNDS):
        if search.out_of_time():
            return None
        integer = search.integer_columns() & (search.lower0 < search.upper0)  # (not fixed for good)
        columns = np.flatnonzero(integer)
        values = np.clip(np.round(x[columns]), search.lower0[columns], search.upper0[columns])
        fractional = np.abs(x[columns] - np.round(x[columns])) > INTEGRAL
        ambiguous_seen.update(columns[fractional].tolist())
        binary = (search.lower0[columns] == 0.0) & (search.upper0[columns] == 1.0)
        # Binaries with a safe side (a wash sale's harvest, LazyBinaries.safe_sides) keep the rounded
        # side, clashes flipped below: strong branching on each of a crash's hundred harvests cost
        # ten times the rest of the search.
        ambiguous_now = fractional & binary & np.isnan(search.safe_value[columns])
        # The order they are decided in: the relaxation's own choices (which its point meets), the
        # rounded safe sides, the strong branching's.
        order = np.r_[np.flatnonzero(~fractional), np.flatnonzero(fractional & ~ambiguous_now),
                      np.flatnonzero(ambiguous_now)]
        if len(columns):
            values = _strong_dive(search, columns, values, ambiguous_now)
            search.fix(columns, values)
            # (This LP also leaves the basis the tangent rounds below start from.)
            # Fixing everything at once may leave no feasible LP: the few choices that clash found by
            # bisection and flipped, else one binary at a time.
            if search.lp() != "optimal" and binary.all() and \
                    not flip_clashes(search, columns, values, order, int((~fractional).sum())) and \
                    _dive(search, columns, values.copy(), x) is None:
                search.release(columns)
                return None
        status, _, switched = search.lp_rounds(relaxation=False)
        if status == "infeasible" and switched and len(columns) and binary.all() and \
                flip_clashes(search, columns, values, order, 0):
            # A group switched on here clashed with a few of the choices just fixed (a minimum sale that
            # must take a small position whole, against a loss sale that keeps its replacement lots).
            status, _, _ = search.lp_rounds(relaxation=False)
        x = search.x()
        search.release(columns)
        if status == "infeasible" and switched:
            # ... with many of them: decide again from the relaxation with those groups on (still a
            # relaxation: a bound).
            status, _, _ = search.lp_rounds(relaxation=True)
            if status != "optimal":
                return None
            x = search.x()
            continue
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
            rounded = search.round_counts(columns, x)
            if rounded is None:
                return None
            x = rounded
        # The Schedule D binaries first (dropped once settled): one flip changes every gain's price.
        netting = search.netting.columns
        # (Not the harvest choices share for share: flipping one alone mostly breaks its pair — a loss
        # sale given up under a forced order kept — and on a crash's direct index their 40 LPs were half
        # the search's work for no better plan.)
        seen = [c for c in sorted(ambiguous_seen - set(netting.tolist())) if np.isnan(search.safe_value[c])]
        search.ambiguous = np.r_[netting, seen].astype(np.int64)
        model_before = search.model_size()
        point = search.polish(x)
        if point is not None or search.model_size() == model_before:
            return point
        # Polishing switched groups on or added tangents: decide again in another round, with the
        # share counts free to move again (rounded for the old choices, they may not fit the new).
        search.counts = search.counts.relaxed_again(search.compiled)
        x = search.x()
    return None


def _repair_safely(search: Search) -> Point | None:
    """The repair once more, every binary that has a safe side fixed there for good
    (`LazyBinaries.safe_sides`: a wash sale's harvest given up, as before sales share for share were
    offered). What is left is a restriction of the problem whose choices each forgo a trade, so its
    repair finds a point wherever the search without those choices did; the bound stays the one of
    the whole problem."""
    if np.isnan(search.safe_value).all() or search.out_of_time():
        return None
    search.fix_safe_sides()
    status, _, _ = search.lp_rounds(relaxation=True)  # (raises no bound now: `Search.restricted`)
    return _repair(search, search.x()) if status == "optimal" else None


def _repair_backed_off(search: Search) -> Point | None:
    """No whole-share point by rounding nor by HiGHS's MIP within its first budget: when a
    tracking-error limit binds, the relaxation's point sits on it and its whole-share neighbours pass
    it. The repair once more with every upper limit on the variance backed off (TE by 3%): a point
    found inside keeps the limit itself. On acct-0557 of the batch book (51 lots, a $60,000
    withdrawal, whole shares, TE at most 3%) HiGHS's MIP found no point in 120 s; a plan exists under
    2.9%. The bound does not rise meanwhile (`Search.restricted`). Tried before HiGHS's MIP, right
    after the repair, it cost accounts that MIP serves (acct-0107: 16.6 → 42.6 s): the groups a failed
    backed-off repair switches on weigh on every MIP run after it."""
    compiled = search.compiled
    column = compiled.matrix[:, [search.variance_col]].tocoo()
    rows = column.row[(column.data > 0) & (compiled.row_upper[column.row] < float("inf"))
                      & (compiled.row_lower[column.row] == -float("inf"))].astype(np.int32)
    if not len(rows) or not search.counts.mask.any() or search.best is not None or search.out_of_time():
        return None
    lower, upper = compiled.row_lower[rows], compiled.row_upper[rows]
    restricted, search.restricted = search.restricted, True
    search.highs.changeRowsBounds(len(rows), rows, lower, upper * VARIANCE_BACK_OFF)
    try:
        search.counts = search.counts.relaxed_again(compiled)
        status, _, _ = search.lp_rounds(relaxation=True)
        return _repair(search, search.x()) if status == "optimal" else None
    finally:
        search.highs.changeRowsBounds(len(rows), rows, lower, upper)
        search.restricted = restricted


def _from_backed_off(search: Search) -> None:
    """HiGHS's MIP found no first whole-share point within its budget: the repair with the
    tracking-error limits backed off, and from its point, when it finds one, the search's own
    improvement and proof."""
    if search.offer(_repair_backed_off(search)):
        _improve(search)
        _prove(search)


def _improve(search: Search) -> None:
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
        objective = search.lp_objective(cutoff=current)  # (a flip that costs more stops early)
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


def _prove(search: Search) -> None:
    """Step 4: close the gap where the work limits allow. A few binaries: branch and bound over LP
    re-solves (share counts continuous: a relaxation), its point rounded to whole shares and polished;
    then, for whole shares still short of the gap, HiGHS's MIP."""
    for _ in range(MAX_REPAIR_ROUNDS):
        if search.closed() or search.out_of_time():
            return
        binaries = np.setdiff1d(np.flatnonzero(search.integer_columns() & ~search.counts.mask
                                                & (search.lower0 < search.upper0)),
                                search.netting.held())
        budget = max(MIN_NODES, min(search.options.max_nodes, NODE_WORK // len(search.compiled.columns)))
        if len(binaries) > BRANCH_BINARIES:
            # Too many for the branch and bound over LP re-solves: on a small model, HiGHS's MIP within
            # the same node budget (its cuts and heuristics close such gaps: a 94-lot transition went
            # from 10.6% to 0.05%). On a direct index its root alone took 10–60 s: there the gap stays.
            if len(search.compiled.columns) <= MIP_PROVE_MAX_COLUMNS and binary_mip(search, budget):
                continue
            break
        if not len(binaries) or not all(search.compiled.columns[c].is_binary() for c in binaries):
            break
        incumbent = (search.best.objective, search.best.x) if search.best else None
        with search.netting.holding(search) as held:
            found = branch_and_bound(search.highs, binaries, search.options.mip_gap / 2, search.deadline,
                                     run_highs, max_nodes=budget, incumbent=incumbent)
        search.nodes += found.nodes
        if found.x is None:
            complete = not len(held) and not search.restricted  # (a restriction's proof proves nothing)
            if found.status == "infeasible" and search.best is None and complete:
                search.stop = "infeasible"  # complete: no binary choice has a feasible relaxation
            return
        search.netting.raise_bound(search, found.bound, held)
        if search.best is not None and found.objective >= search.best.objective - 1e-12:
            break  # nothing better than the incumbent
        x = found.x
        if search.counts.mask.any():
            x = search.round_counts(binaries, x)
            if x is None:
                break
        model_before = search.model_size()
        point = search.polish(x)
        if point is None and search.model_size() != model_before:
            continue  # the point broke new tangents or groups: branch again with them
        search.offer(point)
        if found.stop != "complete":
            break
    if search.counts.mask.any() and not search.closed() and not search.out_of_time() and (
            search.best is None or len(search.counts.columns) <= WHOLE_SHARE_MIP_MAX_COUNTS):
        # With a whole-share point in hand, HiGHS's MIP improves it only where its root is cheap: with
        # 1,075 share counts (a 570-lot account against a 500-name index) the root alone took 17 s on
        # a quiet core and 35–65 s at load 3–5, overrunning the clock (HiGHS checks it rarely there),
        # so the time limit, not the inputs, decided the plan. There the rounded point stands, with
        # its honest gap.
        whole_share_mip(search, lambda: _from_backed_off(search))


def solve(model: AccountModel, options: SolveOptions = DEFAULT_OPTIONS) -> Solution:
    """The anytime search of the module docstring: relaxation, repair, improve, prove."""
    started = time.perf_counter()
    search = Search(model, options, started + options.time_limit)
    timings = {"handoff": time.perf_counter() - started}
    solve_started = time.perf_counter()
    # With Schedule D binaries, one LP: its gains choose their combination, whose LP rounds refine the
    # tangents instead (solver/netting_choice.py).
    status, converged, _ = search.lp_rounds(relaxation=True,
                                            rounds=1 if len(search.netting.columns) else MAX_LP_ROUNDS)
    if status in ("infeasible", "unbounded", "error", "time_limit"):
        search.stop = status
    elif status == "optimal":
        x = search.x()
        if converged and not np.flatnonzero(search.integer_columns() | search.counts.mask).size:
            search.offer(Point(x, *search.exact_objective(x)))
        else:
            decided = search.netting.decide(search, x)
            search.offer(_repair(search, x if decided is None else decided) or _repair_safely(search))
            search.netting.settle(search)
            _improve(search)
            if search.best is None and search.counts.mask.any() and not search.out_of_time():
                binary_mip(search)  # no whole-share point near the repaired one: HiGHS decides the binaries
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


def _solution(search: Search, timings: dict[str, float]) -> Solution:
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
