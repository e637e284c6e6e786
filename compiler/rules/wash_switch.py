"""The wash-sale rule's binaries that allow a sum of loss-lot sales, the optimiser's side
(`WashSale.lower`), each a lazy disjunction (solver/lazy.py) capping each loss lot's sale on its own:

* the switch: a loss sale of a group or a buy of it in the same rebalance, not both, its names'
  weights split between its two sides (solver/perspective.py);
* the liquidation: a name another rule keeps out, sold whole (its recent lots too) or not at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyomo.environ as pyo
    from pyomo.environ import Block

    from solver.contribution import LazyGroup
    from solver.matrix_rows import MatrixRows
    from solver.model import AccountModel


def switch_groups(model: AccountModel, block: Block, switches: list[tuple[pyo.Var, list[int], list[int]]],
                  splits: list[list]) -> list[LazyGroup]:
    """The switches (z, the group's names, its loss lots) as rows on `block` (`switch`), and a lazy
    group each with its names' `splits`: a switch's rows are one per loss lot, then its buy row."""
    from solver.contribution import LazyGroup

    block.switch = switch_rows(model, switches)
    groups, first = [], 0
    for (z, _, losses), split in zip(switches, splits, strict=True):
        groups.append(LazyGroup([block.switch[r] for r in range(first, first + len(losses) + 1)], [z],
                                splits=split))
        first += len(losses) + 1
    return groups


def liquidation_groups(model: AccountModel, block: Block,
                       liquidations: list[tuple[list[int], list[int], list[int]]], splits: list[list]
                       ) -> list[LazyGroup]:
    """Each liquidation (the group's names, its loss lots, every lot it holds) with its binary
    `block.liquidate[k]` and its rows in `block.conflict`: z = 1 sells every lot held and buys none,
    z = 0 sells no loss lot (each capped on its own); a lazy group each with its names' `splits` (a
    liquidation is a switch whose loss-sale side sells the rest too: solver/perspective.py).

    z = 1 sells each lot: a row per lot, not one for their sum, which a fraction of z met by selling
    the lots the LP liked best. With the sum, the ESG family's root LP on 2009-03-09 sold a screened
    name's deepest losses at a fraction of z and kept the rest (HiGHS's root cuts were these rows)."""
    from solver.contribution import LazyGroup
    from solver.model import linear

    m, value = model.m, model.data.lot_value
    groups = []
    for k, ((ids, losses, held), split) in enumerate(zip(liquidations, splits, strict=True)):
        z = block.liquidate[k]
        rows = [*(block.conflict.add(model.sells[x] <= float(value[x]) * z) for x in losses),
                *(block.conflict.add(model.sells[x] >= float(value[x]) * z) for x in held),
                block.conflict.add(linear([1.0] * len(ids), [m.buy[i] for i in ids])
                                   <= sum(float(m.buy[i].ub) for i in ids) * (1 - z))]
        for mode in split:
            mode.weight_on.setub(0.0)  # z = 1 keeps none of the name: its weight in that mode is 0
        groups.append(LazyGroup(rows, [z], splits=split))
    return groups


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
