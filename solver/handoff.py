"""Hand the Pyomo model to HiGHS as arrays: Pyomo's own standard-form compiler → `Highs.passModel`.

No files and no per-constraint Python callbacks on the solver side: Pyomo compiles the model to a
sparse matrix in one pass, and the matrix goes to HiGHS in one call. The column and row lists keep
the link from every HiGHS index back to its Pyomo component (and so to its rule Block).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from scipy import sparse

INF = highspy.kHighsInf


@dataclass
class Compiled:
    highs: highspy.Highs
    columns: list[pyo.Var]
    rows: list[pyo.Constraint]
    column_of: dict[int, int]
    integer: np.ndarray
    objective_offset: float
    matrix: sparse.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    _row_index: dict[int, list[int]] = field(default_factory=dict)

    def col(self, var: pyo.Var) -> int:
        return self.column_of[id(var)]

    def rows_of(self, constraints: list[pyo.Constraint]) -> list[int]:
        """HiGHS rows of these constraints (a ranged constraint may take two rows)."""
        if not self._row_index:
            for r, row in enumerate(self.rows):
                self._row_index.setdefault(id(row), []).append(r)
        return [r for c in constraints for r in self._row_index.get(id(c), ())]

    def cols(self, variables: list[pyo.Var]) -> np.ndarray:
        return np.array([self.column_of.get(id(v), -1) for v in variables], dtype=np.int32)


def _bound(value: float | None, default: float) -> float:
    return default if value is None else float(value)


def compile_to_highs(model: pyo.ConcreteModel, highs: highspy.Highs | None = None) -> Compiled:
    info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=pyo.minimize)
    columns = list(info.columns)
    matrix = info.A.tocsc()
    n_rows, n_cols = matrix.shape
    sense = np.array([row.bound_type for row in info.rows])
    rhs = np.asarray(info.rhs, dtype=float)
    row_lower = np.where(sense == 1, -INF, rhs)
    row_upper = np.where(sense == -1, INF, rhs)
    col_lower = np.array([_bound(v.lb, -INF) for v in columns])
    col_upper = np.array([_bound(v.ub, INF) for v in columns])
    integer = np.array([v.is_integer() or v.is_binary() for v in columns], dtype=bool)
    cost = np.asarray(info.c.toarray()).ravel() if info.c.shape[0] else np.zeros(n_cols)
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    if highs is None:
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
    highs.passModel(n_cols, n_rows, matrix.nnz, 1, 1, offset, cost, col_lower, col_upper, row_lower,
                    row_upper, matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
                    matrix.data.astype(float), integer.astype(np.int32))
    return Compiled(highs=highs, columns=columns, rows=[row.constraint for row in info.rows],
                    column_of={id(v): c for c, v in enumerate(columns)}, integer=integer,
                    objective_offset=offset, matrix=sparse.csr_array(matrix), row_lower=row_lower,
                    row_upper=row_upper)
