"""A HiGHS basis kept to start a later LP from: for an LP far from the last one solved but near the
one the basis was taken from (the search's kept bases, solver/search.py; the branch and bound's
open nodes, solver/branch.py). The search adds rows, never columns, and adds them at the end (tangents,
lazy groups' rows put back), so a kept basis is restored with the rows added since basic."""

from __future__ import annotations

from dataclasses import dataclass

import highspy


@dataclass(frozen=True)
class SavedBasis:
    """A basis and the number of rows HiGHS had when it was taken (reading the count back from the
    basis converts every status to a Python object: a millisecond on a 500-name account)."""

    statuses: highspy.HighsBasis
    rows: int


def keep(highs: highspy.Highs) -> SavedBasis:
    """HiGHS's current basis, to `restore` later."""
    return SavedBasis(highs.getBasis(), highs.getNumRow())


def restore(highs: highspy.Highs, basis: SavedBasis) -> None:
    """Start the next LP from `basis`, the rows added since it was kept with their slacks basic."""
    grown = highs.getNumRow() - basis.rows
    if not grown:
        highs.setBasis(basis.statuses)
        return
    restored = highspy.HighsBasis()
    restored.col_status = basis.statuses.col_status
    restored.row_status = [*basis.statuses.row_status, *[highspy.HighsBasisStatus.kBasic] * grown]
    restored.valid = True
    highs.setBasis(restored)
