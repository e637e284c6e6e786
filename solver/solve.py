"""Solve an account model with HiGHS: an anytime search that always returns its best verified point.

1. **Relaxation.** Hand the Pyomo model to HiGHS (`solver.handoff`) with tangent cuts near the
   current holdings, its bounds and big-M coefficients tightened as a MIP presolve would
   (`solver.implied_bounds`; put back when the solve ends); refine the tracking-error tangents and
   switch on violated lazy groups on the LP relaxation, which re-solves from the previous basis in
   milliseconds. A wash-sale switch switched
   on comes with its perspective split (solver/perspective.py), so a harvest bought back pays its
   tracking error from the first LP on. Every LP optimum here is the optimum of a relaxation of the
   full problem, so the best of them is a valid lower *bound*. The account's Schedule D binaries (at
   most two) are then decided as the law signs its gains, and their other choices bounded once the
   repair has a point (solver/netting_choice.py).
2. **Repair** (`solver/repair.py`). The relaxation's point is turned into a feasible one: binaries are
   rounded (a trade below its minimum dropped or raised, a rebuy that would wash cancelled or the
   loss sale given up), then flipped where the fixed LP's reduced costs say the other side is
   cheaper; the LP re-solves the continuous rest with those choices fixed and newly violated groups
   are decided the same way. Whole-share counts are rounded afterwards (`solver.rounding`).
3. **Improve** (`_improve`): flip one ambiguous choice at a time and keep what lowers the objective;
   then the relaxation once more with the groups the repair switched on (`_rebound`), for its bound.
4. **Prove** (`_prove`): binaries whose 0-side probing proves no better than the incumbent are fixed
   at 1 (`solver.probing`); then branch and bound over LP re-solves (`solver.branch`) from the
   incumbent, the tangents tightened at a node they could close (`Search.tighten`), a leaf that breaks
   groups repaired from, within one node budget for the whole proof — on a model of up to 4,000 columns only
   with up to BRANCH_BINARIES left, HiGHS's MIP over more; with whole shares still short of the gap,
   HiGHS's MIP from the best point (with more than WHOLE_SHARE_MIP_MAX_COUNTS share counts, its root
   only, on the full problem: every lazy group switched on). When the repairs find no point at all
   (nor rounding a whole-share one), HiGHS's MIP decides the binaries (counts continuous) on the
   whole problem, the safe sides free again (with whole shares, after the restriction): its point,
   rounded, or a proof that there is none; failing that, HiGHS searches the full MIP until its first
   point — so "no plan" means infeasible, or a limit that is reported.
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

from solver import repair
from solver.branch import branch_and_bound
from solver.handoff import Compiled
from solver.highs_runs import run_highs
from solver.mip_phases import binary_mip, full_problem_mip, whole_share_mip
from solver.model import AccountModel
from solver.probing import Probed, probe
from solver.repair import MAX_REPAIR_ROUNDS
from solver.search import (
    DEFAULT_OPTIONS,
    MAX_LP_ROUNDS,
    Point,
    Search,
    SolveOptions,
    relative_gap,
)

MAX_IMPROVE_MOVES = 40  # single flips tried after the repair
BRANCH_BINARIES = 24  # on a model of MIP_PROVE_MAX_COLUMNS or fewer, the branch and bound takes at most
# this many binaries (HiGHS's MIP the rest); on a larger one, any number, within the node budget
# Branch-and-bound nodes: SolveOptions.max_nodes, and at most NODE_WORK / columns (at least MIN_NODES)
NODE_WORK = 3_000_000  # a node re-solves an LP whose cost grows with the model (~20 ms at 16,000 columns);
# 2,000,000 until session 19: the 2008 crash's direct index (10,881 columns) then stopped at 183 nodes and
# 0.19%, and closes the gap in 219
MIN_NODES = 50
MIP_PROVE_MAX_COLUMNS = 4_000  # models up to ~2,000 lots (legacy and transition accounts)
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


def _from_backed_off(search: Search) -> None:
    """HiGHS's MIP found no first whole-share point within its budget: the repair with the
    tracking-error limits backed off, and from its point, when it finds one, the search's own
    improvement and proof."""
    if search.offer(repair.repair_backed_off(search)):
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
    search.restore(search.best_basis)  # (the LP the best point was polished on: few iterations)
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
        point, grew = search.polish_or_grow(x)
        if grew:
            # The flips broke groups still off (the fixed LP sees only those on): their choices are
            # nearly a plan, repaired from. In a month of the 10-year monthly simulation the flips
            # reached −21.62 bp against the plan's −21.11, and were lost; HiGHS's MIP then took 1.9 s
            # to find −21.62.
            point = repair.repair_point(search, x)
        search.offer(point)
    else:
        search.release(columns)


def _rebound(search: Search) -> None:
    """After the repair and its improvement, the relaxation once more, now with the groups the repair
    switched on and their splits' tangents (solver/perspective.py): LP rounds to convergence, each LP
    a relaxation, the last one's optimum a bound. On the benchmark set it raises the bound in 4 cases
    of 56 (`di_2009_bottom × direct_index` −140.652 → −140.596 bp: the plan proven within 0.1%).
    Its point was once repaired too, a second candidate: with the switches' rows per loss lot and the
    branch and bound on every model (session 16) that found a better plan in one case of the set, by
    0.0016 bp, for 12,000 simplex iterations over the set (a second on `di_user_2013q ×
    retiree_cash`), and was dropped."""
    if search.closed() or search.restricted or not search.splits.any_on():
        return
    search.lp_rounds(relaxation=True)


def _decide_without_point(search: Search) -> None:
    """No point from the repairs, near the relaxation's nor with every safe side taken: HiGHS's MIP
    decides the binaries (counts continuous) — its point, or a proof that there is none — on the whole
    problem, the safe sides free again. With whole shares it searches the restriction first, as
    before (its point is rounded). A policy with no plan on `sp500_2000` (tracking within 0.05%, no
    net gains) ended "no plan within the work limits" on the restriction's proof, which proves
    nothing, where HiGHS's presolve proves the whole problem infeasible in 0.1 s."""
    if search.counts.mask.any() or not search.restricted:
        binary_mip(search)
    if search.best is None and search.restricted and not search.out_of_time():
        search.free_safe_sides()
        binary_mip(search)


def _probe(search: Search, binaries: np.ndarray, budget: int) -> Probed:
    """Fix the binaries whose 0-side probing proves no better than the incumbent (solver/probing.py),
    within the node budget: proved once at the root, a binary is settled for the whole tree, where
    the branch and bound proves it again in every subtree (on the batch sample, acct-0041 went from
    137 nodes to 41). With more binaries than the branch and bound takes, probing must leave at most
    BRANCH_BINARIES free; needing more than half of them fixed, it is not tried (it fixed 19 of the
    3-account household's 35; none of the Smiths' 216 in its first 9 probes)."""
    if search.best is None or len(binaries) > 2 * BRANCH_BINARIES:
        return Probed.nothing()
    return probe(search.highs, binaries, search.best.objective, search.deadline, run_highs, budget,
                 BRANCH_BINARIES)


def _prove(search: Search) -> None:
    """Step 4: close the gap where the work limits allow, within one node budget: branch and bound
    over LP re-solves (share counts continuous: a relaxation), its point rounded to whole shares and
    polished — on a small model with more than BRANCH_BINARIES binaries, HiGHS's MIP instead; then,
    for whole shares still short of the gap, HiGHS's MIP (solver/mip_phases.py)."""
    budget = max(MIN_NODES, min(search.options.max_nodes, NODE_WORK // len(search.compiled.columns)))
    for _ in range(MAX_REPAIR_ROUNDS):
        if search.closed() or search.out_of_time() or budget <= 0:
            return
        binaries = search.binary_columns()
        binaries = np.setdiff1d(binaries[search.lower0[binaries] < search.upper0[binaries]],
                                search.netting.held())
        every_binary = all(search.compiled.columns[c].is_binary() for c in binaries)
        if not len(binaries) or (len(binaries) <= BRANCH_BINARIES and not every_binary):
            break
        incumbent = (search.best.objective, search.best.x) if search.best else None
        with search.netting.holding(search) as held:
            probed = _probe(search, binaries, budget) if every_binary else Probed.nothing()
            free = np.setdiff1d(binaries, probed.columns)
            # On a small model with many binaries, HiGHS's MIP (below); else the branch and bound over
            # LP re-solves, within the node budget.
            small = len(search.compiled.columns) <= MIP_PROVE_MAX_COLUMNS

            def enough(bound: float, held: np.ndarray = held, probed: Probed = probed) -> bool:
                # The tree aims at half the requested gap, room for a leaf's tangent error; the plan in
                # hand is polished and exact, so once the tree's bound, as the search would take it,
                # puts that plan within the requested gap, the proof is done (`di_2021_rally ×
                # direct_index` went on from 0.086% to 0.064%, 54 nodes and 0.6 s more, when its node
                # budget grew). A restriction's bound bounds nothing (`Search.bound`).
                if search.best is None or search.restricted:
                    return False
                covered = max(search.bound, search.netting.covering(min(bound, probed.bound), held))
                return relative_gap(search.best.objective, covered) <= search.options.mip_gap

            try:
                found = None if small and len(free) > BRANCH_BINARIES else branch_and_bound(
                    search.highs, free, search.options.mip_gap / 2, search.deadline, run_highs,
                    max_nodes=max(budget - probed.probes, 1), incumbent=incumbent,
                    tighten=search.tighten, enough=enough)
            finally:
                search.release(probed.columns)
        search.nodes += probed.probes
        if found is None:
            # HiGHS's MIP within the same node budget: its cuts and heuristics close such gaps (a 94-lot
            # transition went from 10.6% to 0.05%). On a direct index its root alone took 1–15 s (its
            # cut separation), where the branch and bound's nodes take 10–20 ms each.
            nodes = search.nodes
            grew = binary_mip(search, budget)
            budget -= search.nodes - nodes
            if grew:
                continue
            break
        found.bound = min(found.bound, probed.bound)  # (the regions probing gave up)
        search.nodes += found.nodes
        budget -= probed.probes + found.nodes  # (one budget for every round of the proof)
        if found.x is None:
            if found.status == "infeasible" and search.best is None and search.proves_the_problem(held):
                search.stop = "infeasible"  # no binary choice has a feasible relaxation
            return
        search.netting.raise_bound(search, found.bound, held)
        if search.best is not None and found.objective >= search.best.objective - 1e-12:
            break  # nothing better than the incumbent
        x = found.x
        if search.counts.mask.any():
            x = search.round_counts(binaries, x)
            if x is None:
                break
        point, grew = search.polish_or_grow(x)
        if grew:
            # The leaf broke tangents or groups the tree did not have: its choices are nearly a plan,
            # repaired from (share counts rounded anew), and the tree branches again with them while
            # the budget lasts. On `di_2009_bottom × faith_esg_family` the budget ended there and the
            # leaf (489.49 bp on the tangents) was lost; repaired, it is a plan of 489.51 bp where the
            # incumbent had 493.98.
            if search.counts.mask.any():
                search.counts = search.counts.relaxed_again(search.compiled)
            search.offer(repair.repair_point(search, found.x))
            continue
        search.offer(point)
        if found.stop != "complete":
            break
    if search.counts.mask.any() and not search.closed() and not search.out_of_time():
        if search.best is None or len(search.counts.columns) <= WHOLE_SHARE_MIP_MAX_COUNTS:
            whole_share_mip(search, lambda: _from_backed_off(search))
        else:
            # With more counts, HiGHS's MIP on the model as the search left it spent its root alone 17 s
            # (1,075 counts: a 570-lot account against a 500-name index; 35–65 s at load 3–5). On the
            # full problem, every group on, its root took 0.7–6.6 s on the extreme policies of that
            # account and of sp500_2000, and is all that runs: it proved the set's two whole-share
            # retirees (0.40% → 0.084%, 0.14% → 0.005%) and eight accounts of the batch book
            # (docs/benchmarks.md, session 21).
            full_problem_mip(search)


def solve(model: AccountModel, options: SolveOptions = DEFAULT_OPTIONS) -> Solution:
    """The anytime search of the module docstring: relaxation, repair, improve, prove."""
    started = time.perf_counter()
    search = Search(model, options, started + options.time_limit)
    timings = {"handoff": time.perf_counter() - started}
    solve_started = time.perf_counter()
    # The splits from the first LP on: the repair then rounds a relaxation that already prices a
    # harvest bought back. Enabled only after the first repair, the plain relaxation's point made
    # the worse plan on 12 of the 14 plain-harvest cases of the benchmark set, which `_rebound`'s
    # repair then beat, and the set took 41% more simplex iterations (docs/benchmarks.md, "Session 14").
    search.cuts += search.splits.enable()
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
            search.offer(repair.repair_point(search, x if decided is None else decided)
                         or repair.repair_safely(search))
            search.netting.settle(search)
            _improve(search)
            _rebound(search)
            if search.best is None and not search.out_of_time():
                _decide_without_point(search)
            _prove(search)
    # The HiGHS model left behind is the full one, bounds, coefficients and integrality restored
    # (explanations reopen it, through `Compiled.restore_layout`: the rows of groups still off come
    # back then).
    search.tightened.undo(search.compiled, search.lower0, search.upper0)
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
