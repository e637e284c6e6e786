"""solver/probing.py on the seeded small MILPs of test_branch.py, against enumeration, and on the
3-account household of docs/benchmarks.md, which it lets the search prove to the requested gap.

Exactness: whatever the cutoff, the least bound of the regions given up and the optimum over what
is left (every binary fixed by probing at 1) bound the true optimum together; when the optimum is
below the cutoff, fixing keeps it. The fixed binaries' bounds are set, every other column's restored.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import highspy
import numpy as np
import pytest

from compiler.check import compile_policy
from engine.rebalance import RebalanceOptions, plan
from solver.account_files import load_account
from solver.household_view import HouseholdTerms
from solver.market import Market
from solver.probing import probe
from tests.solver.test_branch import Instance, brute_force, case, later, run

ROOT = Path(__file__).resolve().parents[2]
CASES = [(family, seed) for family in ("knapsack", "facility", "mixed") for seed in range(30)]


def probed(instance: Instance, cutoff: float) -> tuple[np.ndarray, float, highspy.Highs]:
    highs = instance.highs()
    found = probe(highs, instance.binaries, cutoff, later(), run, max_probes=1_000, max_free=1_000)
    return found.columns, found.bound, highs


@pytest.mark.parametrize(("family", "seed"), CASES)
def test_what_probing_gives_up_and_what_it_leaves_bound_the_optimum(family: str, seed: int) -> None:
    """With no incumbent (cutoff +inf) a binary is fixed only where its 0-side has no point at all, so
    what is left has the same optimum — +inf too, for the infeasible instances."""
    instance, optimum = case(family, seed)
    scale = max(1.0, abs(optimum)) if np.isfinite(optimum) else 1.0
    cutoffs = (optimum + 0.01 * scale, optimum, optimum - 0.05 * scale) if np.isfinite(optimum) else ()
    for cutoff in (*cutoffs, highspy.kHighsInf):
        fixed, bound, highs = probed(instance, cutoff)
        lp = highs.getLp()
        lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
        assert np.all(lower[fixed] == 1.0) and np.all(upper[fixed] == 1.0)
        others = np.setdiff1d(np.arange(len(instance.cost)), fixed)
        assert np.array_equal(lower[others], instance.col_lower[others])
        assert np.array_equal(upper[others], instance.col_upper[others])
        assert highs.getOptionValue("objective_bound")[1] == highspy.kHighsInf
        slack = instance.tolerance(cutoff) if np.isfinite(cutoff) else 0.0
        assert not fixed.size or bound >= cutoff - slack  # every region reached it (+inf: had no point)
        restricted = Instance(instance.cost, instance.matrix, instance.row_lower, instance.row_upper,
                              np.where(np.isin(np.arange(len(lower)), fixed), 1.0, instance.col_lower),
                              instance.col_upper, instance.binaries)
        left = brute_force(restricted)
        if not np.isfinite(cutoff):
            assert left == optimum if not np.isfinite(optimum) else left == pytest.approx(
                optimum, abs=instance.tolerance(optimum))
            continue
        assert min(bound, left) <= optimum + instance.tolerance(optimum)
        if optimum < cutoff - instance.tolerance(cutoff):
            assert left == pytest.approx(optimum, abs=instance.tolerance(optimum))


def test_probing_fixes_what_its_far_side_proves_and_nothing_else() -> None:
    """min −3a − b − c, a + b ≤ 1.5: the LP takes a = c = 1, b = ½ (−4.5). Against the incumbent −4
    (a = c = 1), a = 0 cannot beat it (LP −2) nor can c = 0 (−3.5): both are fixed at 1; b, nearer 0,
    is not probed."""
    instance = Instance(cost=np.array([-3.0, -1.0, -1.0]), matrix=np.array([[1.0, 1.0, 0.0]]),
                        row_lower=np.array([-highspy.kHighsInf]), row_upper=np.array([1.5]),
                        col_lower=np.zeros(3), col_upper=np.ones(3), binaries=np.arange(3, dtype=np.int32))
    fixed, bound, _ = probed(instance, cutoff=-4.0)
    assert fixed.tolist() == [0, 2]
    assert bound >= -4.0


def test_the_three_account_household_is_proved_to_the_requested_gap() -> None:
    """The 2,000-lot S&P 500 account's lots dealt to a joint taxable account, an IRA and a Roth (as
    benchmarks/bench_household_modes.py deals them): 35 binaries on, more than the branch and bound
    takes; probing fixes enough of them for it to prove the requested 0.1%."""
    source = load_account(ROOT / "examples" / "accounts" / "sp500_2000" / "account.yaml")
    kinds = [("joint", "taxable"), ("ira", "ira"), ("roth", "roth")]
    accounts = [source.model_copy(update={
        "account_id": name, "account_type": kind, "household_id": "bench", "household_transactions": (),
        "lot_spans": {}, "lots": source.lots[k::3], "cash": (source.cash / 3).quantize(Decimal("0.01"))})
        for k, (name, kind) in enumerate(kinds)]
    policy = compile_policy(ROOT / "policies" / "households" / "smith.tailor")
    found = plan(accounts, policy, Market.load(source.as_of), RebalanceOptions(), HouseholdTerms())
    solve = found.result.solve
    assert found.result.verified
    assert solve.status == "optimal"
    assert solve.mip_gap <= RebalanceOptions().mip_gap
