"""Money to the cent, as trades settle and their lines report it. Shared by the optimiser's side, the
independent verifier and the simulation's ledger: it imports neither side."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, ROUND_UP, Decimal

CENT = Decimal("0.01")


def apportioned(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` shared among parts in proportion to `weights`, each part to the cent, the parts adding
    up to `total` (when it is whole cents): the parts so far take the total times their weight so far
    over all the weight, rounded half-even, less what the earlier parts took."""
    whole, so_far, taken, parts = sum(weights, Decimal(0)), Decimal(0), Decimal(0), []
    for weight in weights:
        so_far += weight
        upto = (total * so_far / whole).quantize(CENT, rounding=ROUND_HALF_EVEN) if whole else Decimal(0)
        parts.append(upto - taken)
        taken = upto
    return parts


def shares_freeing(dollars: Decimal, price: Decimal, step: Decimal) -> Decimal:
    """The fewest `step`s of shares (a millionth, or a whole share) whose sale or purchase moves a
    trade's amount by at least `dollars`: a cent more than `dollars` at `price`, as the amount is its
    shares × price to the cent both before and after."""
    return ((dollars + CENT) / price).quantize(step, rounding=ROUND_UP)
