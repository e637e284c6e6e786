"""Rows kept as arrays: a Pyomo Constraint component whose rows are a sparse matrix over a list of Vars.

The base account model has rows that touch every lot (cash, gains, traded, holdings). As Pyomo
expressions they cost ~10⁵ objects to build and as many steps for the standard-form compiler to walk
again, against microseconds for numpy. `MatrixRows` is Pyomo's own `MatrixConstraint` (rows stored in
CSR arrays, no expression objects): still an indexed Constraint on the model, with its rows as
constraint data (provenance, row duals, `active`), and the hand-off (`solver.handoff`) copies its
arrays straight into the HiGHS matrix.

Pyomo 6.10's `_MatrixConstraintData` predates the Constraint rewrite of Pyomo PR #3293: it lacks
`expr` and `to_bounded_expression`, so Pyomo's writers fail on it. The row class here builds both on
demand (and reports ±inf bounds as None, as Pyomo does), so any Pyomo tool still reads these rows —
only slowly, through expressions.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.matrix_constraint import MatrixConstraint, _MatrixConstraintData
from pyomo.core.expr.relational_expr import inequality
from scipy import sparse


class _Row(_MatrixConstraintData):
    __slots__ = ()

    def __init__(self, index: int, component_ref: weakref.ref):
        super().__init__(index, component_ref)
        self._expr = None  # ConstraintData's slot, unused here: set so that copies and pickles find it

    @property
    def lower(self) -> float | None:
        bound = float(self.parent_component().row_lower[self._index])
        return None if bound == -np.inf else bound

    @property
    def upper(self) -> float | None:
        bound = float(self.parent_component().row_upper[self._index])
        return None if bound == np.inf else bound

    lb, ub = lower, upper  # already numbers

    @property
    def equality(self) -> bool:
        return self.lower is not None and self.lower == self.upper

    def to_bounded_expression(self, evaluate_bounds: bool = False) -> tuple:
        return self.lower, self.body, self.upper

    @property
    def expr(self) -> object:
        if self.equality:
            return self.body == self.upper
        return inequality(self.lower, self.body, self.upper)

    def get_value(self) -> object:
        return self.expr


class MatrixRows(MatrixConstraint):
    """`lower ≤ A·x ≤ upper`, row by row: A a scipy sparse matrix over `variables` (bounds ±inf when
    absent). Rows are indexed 0 … m−1."""

    def __init__(self, matrix: sparse.sparray, lower: np.ndarray, upper: np.ndarray,
                 variables: list[pyo.Var]):
        self.matrix = sparse.csr_array(matrix)
        self.row_lower = np.asarray(lower, dtype=float)
        self.row_upper = np.asarray(upper, dtype=float)
        self.variables = tuple(variables)
        if self.matrix.shape != (len(self.row_lower), len(self.variables)):
            raise ValueError(f"matrix {self.matrix.shape} does not match {len(self.row_lower)} bounds "
                             f"and {len(self.variables)} variables")
        super().__init__(self.matrix.data, self.matrix.indices, self.matrix.indptr, self.row_lower,
                         self.row_upper, self.variables)

    def construct(self, data: object = None) -> None:
        if self._constructed:
            return
        self._constructed = True
        ref = weakref.ref(self)
        # A dict, like every other indexed component (MatrixConstraint's tuple reads as a Reference).
        self._data = {i: _Row(i, ref) for i in range(len(self.row_lower))}

    # MatrixConstraint takes these from `Mapping`, whose signatures lack the `sort` argument that
    # Pyomo's block iteration passes (`Block.component_data_objects` fails on it in 6.10).
    def keys(self, sort: object = None, ordered: object = None) -> Iterable[int]:
        return self._data.keys()

    def values(self, sort: object = None, ordered: object = None) -> Iterable[_Row]:
        return self._data.values()

    def items(self, sort: object = None, ordered: object = None) -> Iterable[tuple[int, _Row]]:
        return self._data.items()


def matrix_rows(shape: tuple[int, int], row: np.ndarray, col: np.ndarray, value: np.ndarray,
                lower: np.ndarray | float, upper: np.ndarray | float, variables: list[pyo.Var]) -> MatrixRows:
    """Rows from coordinates (duplicates add up, zeros are dropped); scalar bounds apply to every row."""
    matrix = sparse.csr_array((value, (row, col)), shape=shape)
    matrix.eliminate_zeros()
    return MatrixRows(matrix, np.broadcast_to(lower, shape[0]).astype(float),
                      np.broadcast_to(upper, shape[0]).astype(float), variables)


def one_row(coefs: np.ndarray, variables: list[pyo.Var], lower: float, upper: float) -> MatrixRows:
    """A single row `lower ≤ coefs·variables ≤ upper`."""
    count = len(variables)
    return matrix_rows((1, count), np.zeros(count, dtype=np.int64), np.arange(count), coefs, lower, upper,
                       variables)


def summed_row(terms: list[tuple[float, pyo.Var]], lower: float, upper: float) -> MatrixRows:
    """A single row `lower ≤ Σ coef·var ≤ upper`, a variable given twice listed once (summed)."""
    summed: dict[int, list] = {}  # by id: Pyomo's Vars are not hashable
    for coef, var in terms:
        summed.setdefault(id(var), [0.0, var])[0] += coef
    return one_row(np.array([c for c, _ in summed.values()]), [v for _, v in summed.values()], lower, upper)
