"""solver/branch.py's tightening (its module docstring, "Tightening"): a node whose LP optimum the
caller's cuts cut off is solved once more, asked only where the cuts could close it."""

from __future__ import annotations

from collections.abc import Callable

import highspy
import numpy as np
import pytest

from solver.branch import branch_and_bound
from tests.solver.test_branch import INF, later, run


def tangent_model() -> tuple[highspy.Highs, Callable[[np.ndarray, float], int]]:
    """min t − x + 0.2·y with x ≤ y, y ∈ {0, 1}, x ∈ [0, 1], t ≥ 0 standing for x² (columns x, y,
    t), and the callback that adds the tangent t ≥ 2c·x − c² at the point's x = c when it is loose
    and the point's exact value (t replaced by x²) reaches `closing`. The optimum is y = 1, x = ½:
    −0.05; the LP on `t ≥ 0` alone reaches −0.8 at x = y = 1."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(3, 1, 2, 1, 1, 0.0, np.array([-1.0, 0.2, 1.0]), np.zeros(3), np.array([1.0, 1.0, INF]),
                    np.array([-INF]), np.array([0.0]), np.array([0, 1, 2, 2], dtype=np.int32),
                    np.array([0, 0], dtype=np.int32), np.array([1.0, -1.0]),
                    np.array([0, 1, 0], dtype=np.int32))

    def tighten(x: np.ndarray, closing: float) -> int:
        c = float(x[0])
        if c * c - c + 0.2 * x[1] < closing or x[2] >= c * c - 1e-9:
            return 0
        highs.addRow(-c * c, INF, 2, np.array([0, 2], dtype=np.int32), np.array([-2.0 * c, 1.0]))
        return 1

    return highs, tighten


def test_a_node_is_tightened_where_its_cuts_can_close_it() -> None:
    """With the optimum as incumbent, the loose model's root is an integral leaf at −0.8, taken as
    better (the caller's polish rejects it) with −0.8 as bound; tightened where the exact value could
    close a node, the search proves the incumbent optimal — through the tangents at x = 1 and x = ½."""
    incumbent = (-0.05, np.array([0.5, 1.0, 0.25]))
    highs, _ = tangent_model()
    loose = branch_and_bound(highs, np.array([1]), 1e-4, later(), run, incumbent=incumbent)
    assert loose.objective == pytest.approx(-0.8) and loose.bound == pytest.approx(-0.8)
    highs, tighten = tangent_model()
    tight = branch_and_bound(highs, np.array([1]), 1e-4, later(), run, incumbent=incumbent, tighten=tighten)
    assert tight.status == "optimal" and tight.objective == -0.05 and tight.bound == pytest.approx(-0.05)
    assert highs.getNumRow() == 3  # the two tangents
    # A node whose exact value cannot reach the closing objective gets no cut: with a far worse
    # incumbent (+1), the root's exact value 0.2 cannot close it, and the loose leaf beats it.
    highs, tighten = tangent_model()
    far = branch_and_bound(highs, np.array([1]), 1e-4, later(), run, incumbent=(1.0, incumbent[1]),
                           tighten=tighten)
    assert highs.getNumRow() == 1 and far.objective == pytest.approx(-0.8)
