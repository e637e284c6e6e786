"""The wash-sale switch's rows, the optimiser's side (`WashSale.lower`): a loss sale of a group or a
buy of it in the same rebalance, not both — one binary z per group, a lazy disjunction
(solver/lazy.py) whose names' weights are split between its two sides (solver/perspective.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from solver.matrix_rows import MatrixRows
    from solver.model import AccountModel


def switch_rows(model: AccountModel, switches: list[tuple[pyo.Var, list[int], list[int]]]) -> MatrixRows:
    """The rows of the switches (z, the group's names, its loss lots), one array component: for each,
    a row per loss lot, sell ≤ the lot's value · z, then the buy row, Σ buys ≤ their bound · (1 − z).

    A row per loss lot, not one for their sum: z must then be 1 for any loss lot sold in full. With
    the sum alone, the relaxation sold a name's deepest loss lot whole at z = its share of the name's
    losses, and bought the name back almost freely: on the benchmark set the proven gap of 13 direct
    indexes fell to 0.1% or less with the rows per lot (docs/benchmarks.md, session 16)."""
    import numpy as np

    from solver.matrix_rows import matrix_rows

    m, value = model.m, model.data.lot_value
    variables: list[pyo.Var] = []
    rows, cols, coefs, upper = [], [], [], []
    for z, ids, losses in switches:
        at = len(variables)
        variables += [z, *(m.sell[x] for x in losses), *(m.buy[i] for i in ids)]
        first = len(upper)
        for n, x in enumerate(losses):  # sell[x] − value·z ≤ 0
            rows += [first + n] * 2
            cols += [at + 1 + n, at]
            coefs += [1.0, -float(value[x])]
        bound = sum(float(m.buy[i].ub) for i in ids)  # Σ buys + bound·z ≤ bound
        rows += [first + len(losses)] * (len(ids) + 1)
        cols += [*range(at + 1 + len(losses), at + 1 + len(losses) + len(ids)), at]
        coefs += [1.0] * len(ids) + [bound]
        upper += [0.0] * len(losses) + [bound]
    return matrix_rows((len(upper), len(variables)), np.array(rows, dtype=np.int64),
                       np.array(cols, dtype=np.int64), np.array(coefs), -np.inf, np.array(upper), variables)
