"""What one rule's lowering hands back, beyond the rows in its own Block.

A rule kind's `lower` writes its variables and rows into its own Pyomo Block, which references the base
model's variables and changes nothing outside itself; everything the rule adds to the *shared* parts of
the model comes back as a `Contribution`, each piece tagged with the rule's id, and one assembler
(`AccountModel.assemble`) applies them all. So no lowering depends on another's side effects, and a
reader of the result (explanations, the search) finds each piece with the rule that asked for it.

What rules declare for each other *before* any is lowered (the target, the names no one may buy, the
minimum trades, cash flows, transfers in kind) is not here: those are hooks on the rule kind
(`compiler/rules/base.py`), read by `compiler/lower.py` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the verifier imports rule modules, and with them nothing of Pyomo
    import pyomo.environ as pyo


@dataclass(frozen=True)
class Transfer:
    """Securities leaving the account in kind (a gift of shares), declared before lowering: `dollars`
    of value taken from `lots` (positions in the account's lot list), with no sale and no gain."""

    lots: tuple[int, ...]
    dollars: Decimal


@dataclass(frozen=True)
class LazyGroup:
    """A disjunction — rows tied by a few binaries — that the search may leave out of HiGHS until a
    solution violates it (solver/lazy.py). Only for rows nothing else relies on. `safe`: for each
    binary, the side that only forgoes trades (the search's fallback when choices clash), or None.
    `splits`: names whose weight the binary splits in two modes (solver/perspective.py), whose rows
    are switched on with the group's."""

    rows: list
    binaries: list
    safe: list[float] | None = None
    splits: list = field(default_factory=list)


@dataclass(frozen=True)
class GainTerm:
    """`coefficient · variable` added to the realized gains of one holding period (a wash sale's
    disallowed loss, which the basis of the replacement shares carries instead)."""

    long_term: bool
    coefficient: float
    variable: pyo.Var


@dataclass
class Contribution:
    """One rule's additions to the shared model. Objective terms are in basis points of account value,
    keyed by tag (the rule id, or `id.part`); `objective_weights` set the policy's trade-off Params
    (`objective_weight[tax|tracking|cost]`), which other rules' terms may reference symbolically."""

    objective: dict[str, pyo.Expression] = field(default_factory=dict)
    objective_weights: dict[str, float] = field(default_factory=dict)
    gain_terms: list[GainTerm] = field(default_factory=list)
    lazy_groups: list[LazyGroup] = field(default_factory=list)
    whole_shares: bool = False  # trade whole shares only (solver/whole_shares.py, written at assembly)

    def add_objective(self, tag: str, expr: pyo.Expression) -> None:
        self.objective[tag] = self.objective.get(tag, 0) + expr
