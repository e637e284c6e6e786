"""One HiGHS instance's settings for a search (`configure`), and one run of it (`run_highs`): the time
limit on HiGHS's cumulative clock, the retry where the simplex gives up, the status named as the search
names it (solver/search.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import highspy

from solver.model import PRIMAL_TOLERANCE

if TYPE_CHECKING:
    from solver.search import SolveOptions

WHOLE_SHARE_HEURISTIC_EFFORT = 0.3  # HiGHS's default is 0.05
RENS = "mip_heuristic_run_rens"
SUB_MIP_HEURISTICS = ("mip_heuristic_run_rins", RENS, "mip_heuristic_run_root_reduced_cost")
CHOOSE, DEVEX, STEEPEST_EDGE = -1, 1, 2  # HiGHS's simplex_dual_edge_weight_strategy (0: Dantzig)


STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
}


def configure(highs: highspy.Highs, options: SolveOptions, household: bool = False) -> None:
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
    sub_mip_heuristics(highs, False)
    # Devex pricing for the dual simplex, not HiGHS's choice (steepest edge): the search re-solves the
    # same LP dozens of times after a few bound changes, and steepest edge's exact weights cost more per
    # iteration than they save there. On 100 accounts of the batch book, 45.7 → 39.2 s CPU with the same
    # plan on every account; the monthly simulation 73.1 → 66.4 s. Not in a household: on the Smiths'
    # the other vertices it reaches led the repair to switch every lazy group on (24 s and a 50% gap,
    # against 5.3 s and 1.6%) — measured, not understood (docs/benchmarks.md).
    highs.setOptionValue("simplex_dual_edge_weight_strategy", CHOOSE if household else DEVEX)


def sub_mip_heuristics(highs: highspy.Highs, on: bool, which: tuple[str, ...] = SUB_MIP_HEURISTICS) -> None:
    """On (`which` of them), with more effort, once whole-share counts are integer: from a rounded
    start, RINS and RENS find the better whole-share points that close the gap."""
    for name in SUB_MIP_HEURISTICS:
        highs.setOptionValue(name, on and name in which)
    highs.setOptionValue("mip_heuristic_effort", WHOLE_SHARE_HEURISTIC_EFFORT if on else 0.05)


def run_highs(highs: highspy.Highs, deadline: float) -> str:
    # HiGHS's clock runs across every run() of one instance: the limit is on its cumulative time.
    highs.setOptionValue("time_limit", highs.getRunTime() + max(deadline - time.perf_counter(), 0.01))
    highs.run()
    if highs.getModelStatus() == highspy.HighsModelStatus.kUnknown and highs.getOptionValue(
            "solve_relaxation")[1] and time.perf_counter() < deadline:
        # The simplex sometimes gives up from a warm basis (numerical trouble: a branch-and-bound node
        # once ended its search this way, leaving HiGHS's MIP 18 s of work); from scratch it solves,
        # and where Devex pricing gives up from scratch too, steepest edge (acct-0137 of the batch
        # book: an infeasible LP left undecided after 351 iterations).
        highs.clearSolver()
        highs.run()
        pricing = highs.getOptionValue("simplex_dual_edge_weight_strategy")[1]
        if highs.getModelStatus() == highspy.HighsModelStatus.kUnknown and pricing != STEEPEST_EDGE:
            highs.setOptionValue("simplex_dual_edge_weight_strategy", STEEPEST_EDGE)
            try:
                highs.clearSolver()
                highs.run()
            finally:
                highs.setOptionValue("simplex_dual_edge_weight_strategy", pricing)
    status = STATUS.get(highs.getModelStatus(), "error")
    if status in ("time_limit", "error") and highs.getInfo().primal_solution_status == 2:
        return "feasible"  # stopped early (time, solution or node limit) with a feasible point
    return status
