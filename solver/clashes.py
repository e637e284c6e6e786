"""Choices that clash in a repair (solver/solve.py): binaries fixed together that leave no feasible LP,
found by bisection on the order they were decided in and flipped."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from solver.search import Search

MAX_CLASH_LPS = 60  # LP re-solves finding and flipping the choices that clash, per call


def flip_clashes(search: Search, columns: np.ndarray, values: np.ndarray, order: np.ndarray,
                  feasible: int) -> bool:
    """`values` fixed together leave no feasible LP: some were rounded one by one (safe-side binaries,
    and those past the strong branching's budget), and two roundings may clash (a loss sale that must
    sell its matched shares against a sale rounded away). Find by bisection on `order` (the order of
    the decisions) the first choice that makes the LP infeasible, flip it (in `values`), and go on: a
    few LPs per clash rather than one per binary. `feasible`: a prefix of `order` known to have a
    feasible LP when fixed. False when a flip does not help either, or the budget runs out; then
    every column is fixed at `values` again."""
    spent = search.dive_lps
    while search.dive_lps - spent < MAX_CLASH_LPS and not search.out_of_time():
        low, high = feasible, len(order)  # the prefix of length `high` is infeasible
        while high - low > 1:
            middle = (low + high) // 2
            search.release(columns)
            search.fix(columns[order[:middle]], values[order[:middle]])
            search.dive_lps += 1
            low, high = (middle, high) if search.lp() == "optimal" else (low, middle)
        culprit = order[high - 1]
        values[culprit] = 1.0 - values[culprit]
        search.release(columns)
        search.fix(columns[order[:high]], values[order[:high]])
        search.dive_lps += 1
        if search.lp() != "optimal":
            break  # neither side fits the choices before it
        feasible = high
        search.fix(columns, values)
        search.dive_lps += 1
        if search.lp() == "optimal":
            return True
    search.fix(columns, values)
    return False
