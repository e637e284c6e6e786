"""Hand the Pyomo model to HiGHS as arrays: `Highs.passModel` takes one sparse matrix in one call.

Rows come from two places. Components kept as arrays (`solver.matrix_rows.MatrixRows`: the base
model's rows over every lot) are copied straight from their CSR arrays, mapping their Vars to
columns. Everything else (rule Blocks, links, the objective) goes through Pyomo's own
`LinearStandardFormCompiler` (mixed form), with the array components switched off while it runs. No
files and no per-constraint Python callbacks on the solver side. The column and row lists keep the
link from every HiGHS index back to its Pyomo component (and so to its rule Block).

Layout: the array rows first (in component order), then the compiler's rows; columns are the array
components' Vars in first-seen order, then the compiler's other columns. As with the compiler, a
column needs a nonzero entry, fixed Vars move to the row bounds and rows without bounds are left out
(tests/solver/test_handoff.py checks the matrix against the compiler's for the whole model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from scipy import sparse

from core.blas import one_thread
from solver.matrix_rows import MatrixRows

one_thread()  # scipy's BLAS, loaded by the imports above (core/blas.py)

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
    _row_index: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # Each row's index in HiGHS (-1: not there) while a search keeps its switched-off lazy groups' rows
    # out (`solver.lazy.leave_out_off`); None when every row is at its own index.
    highs_row: np.ndarray | None = None

    def col(self, var: pyo.Var) -> int:
        return self.column_of[id(var)]

    def row_index(self) -> dict[int, tuple[int, ...]]:
        """id(constraint) → its HiGHS rows (a ranged constraint may take two rows), built once."""
        if not self._row_index:
            ids = list(map(id, self.rows))
            self._row_index = dict(zip(ids, zip(range(len(ids))), strict=True))  # one (row,) each, in C
            if len(self._row_index) < len(ids):  # some constraint has two rows
                self._row_index = {}
                for r, key in enumerate(ids):
                    self._row_index[key] = (*self._row_index.get(key, ()), r)
        return self._row_index

    def rows_of(self, constraints: list[pyo.Constraint]) -> list[int]:
        """HiGHS rows of these constraints (a ranged constraint may take two rows)."""
        index = self.row_index()
        return [r for c in constraints for r in index.get(id(c), ())]

    def cols(self, variables: list[pyo.Var]) -> np.ndarray:
        return np.array([self.column_of.get(id(v), -1) for v in variables], dtype=np.int32)

    def in_highs(self, rows: np.ndarray) -> np.ndarray:
        """These rows' indices in HiGHS (-1: left out)."""
        return rows if self.highs_row is None else self.highs_row[rows]

    def leave_out(self, rows: np.ndarray) -> None:
        """Delete these rows from HiGHS (each later row moves up) until `put_back`: a row that only
        constrains when its lazy group is switched on would otherwise sit there free, and HiGHS's every
        run pays for it (a third of a direct index's rows: ~25% of each warm re-solve)."""
        assert self.highs_row is None  # (from the layout of `compile_to_highs`: compiled rows first)
        self.highs.deleteRows(len(rows), rows.astype(np.int32))
        kept = np.ones(len(self.rows), dtype=bool)
        kept[rows] = False
        self.highs_row = np.where(kept, np.cumsum(kept) - 1, -1)

    def put_back(self, rows: np.ndarray) -> None:
        """These rows (left out) added at the end of HiGHS's rows, with their bounds."""
        block = self.matrix[rows]
        first = self.highs.getNumRow()
        self.highs.addRows(len(rows), self.row_lower[rows], self.row_upper[rows], block.nnz,
                           block.indptr[:-1].astype(np.int32), block.indices.astype(np.int32),
                           block.data.astype(float))
        self.highs_row[rows] = first + np.arange(len(rows))  # type: ignore[index]

    def restore_layout(self) -> None:
        """Every row at its own index again, the rows the search added (tangents) after them in their
        order; rows still left out come back free. The basis moves with its rows (a row put back: its
        slack basic), so what reopens the model (explanations) finds the layout of `compile_to_highs`."""
        if self.highs_row is None:
            return
        highs, lp = self.highs, self.highs.getLp()
        n_rows, n_cols = highs.getNumRow(), highs.getNumCol()
        current = sparse.csc_array((np.asarray(lp.a_matrix_.value_), np.asarray(lp.a_matrix_.index_),
                                    np.asarray(lp.a_matrix_.start_)), shape=(n_rows, n_cols)).tocsr()
        absent = np.flatnonzero(self.highs_row < 0)
        place = self.highs_row.copy()
        place[absent] = n_rows + np.arange(len(absent))
        order = np.r_[place, np.setdiff1d(np.arange(n_rows), self.highs_row[self.highs_row >= 0])]
        matrix = sparse.vstack([current, self.matrix[absent]]).tocsr()[order].tocsc()
        lower = np.r_[np.asarray(lp.row_lower_), np.full(len(absent), -INF)][order]
        upper = np.r_[np.asarray(lp.row_upper_), np.full(len(absent), INF)][order]
        basis = highs.getBasis()
        status = [*basis.row_status, *[highspy.HighsBasisStatus.kBasic] * len(absent)]
        integrality = np.asarray(lp.integrality_, dtype=np.int32) if len(lp.integrality_) else \
            np.zeros(n_cols, dtype=np.int32)
        highs.passModel(n_cols, len(order), matrix.nnz, 1, 1, lp.offset_, np.asarray(lp.col_cost_),
                        np.asarray(lp.col_lower_), np.asarray(lp.col_upper_), lower, upper,
                        matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
                        matrix.data.astype(float), integrality)
        self.highs_row = None
        if basis.valid:
            basis.row_status = [status[r] for r in order.tolist()]
            highs.setBasis(basis)


@dataclass
class _Part:
    """Rows in coordinate form over the global columns, with their bounds and constraint objects."""

    row: np.ndarray
    col: np.ndarray
    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    constraints: list


def _compiled_part(model: pyo.ConcreteModel,
                   arrays: list[MatrixRows]) -> tuple[_Part, list[pyo.Var], np.ndarray, float]:
    """Everything but the array components through Pyomo's standard-form compiler."""
    switched_off = [[row for row in component.values() if not row.active] for component in arrays]
    for component in arrays:
        component.deactivate()
    try:
        info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=pyo.minimize)
    finally:
        for component, rows in zip(arrays, switched_off, strict=True):
            component.activate()  # (which switches every row on: restore the ones that were off)
            for row in rows:
                row.deactivate()
    sense = np.array([row.bound_type for row in info.rows], dtype=int)
    rhs = np.asarray(info.rhs, dtype=float)
    matrix = info.A.tocoo()
    part = _Part(matrix.row, matrix.col, matrix.data, np.where(sense == 1, -INF, rhs),
                 np.where(sense == -1, INF, rhs), [row.constraint for row in info.rows])
    cost = np.asarray(info.c.toarray()).ravel() if info.c.shape[0] else np.zeros(len(info.columns))
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    return part, list(info.columns), cost, offset


def _array_parts(arrays: list[MatrixRows]) -> tuple[list[_Part], list[pyo.Var]]:
    """The array components' active, bounded rows, and their columns: every Var with an entry in such
    a row, in first-seen order (fixed Vars move to the row bounds, as with the compiler). Vars shared
    by several components (a sale is in four rows) are looked at once."""
    if not arrays:
        return [], []
    kept, offsets, identities, entries = [], [0], [], []
    for component in arrays:
        rows = list(component.values())
        keep = np.fromiter((row.active for row in rows), dtype=bool, count=len(rows))
        keep &= (component.row_lower > -INF) | (component.row_upper < INF)  # else it constrains nothing
        matrix = component.matrix if keep.all() else component.matrix[keep]
        kept.append((rows, keep, matrix))
        identities.append(np.fromiter(map(id, component.variables), dtype=np.int64,
                                      count=len(component.variables)))
        entries.append(np.bincount(matrix.indices, minlength=matrix.shape[1]) > 0)
        offsets.append(offsets[-1] + len(component.variables))
    everything = [var for component in arrays for var in component.variables]
    unique, first, inverse = np.unique(np.concatenate(identities), return_index=True, return_inverse=True)
    used = np.zeros(len(unique), dtype=bool)
    used[inverse[np.concatenate(entries)]] = True
    order = np.flatnonzero(used)[np.argsort(first[used], kind="stable")]  # first-seen: deterministic
    candidates = [everything[i] for i in first[order].tolist()]
    fixed = np.fromiter(map(attrgetter("fixed"), candidates), dtype=bool, count=len(candidates))
    fixed_value = np.full(len(unique), np.nan)
    fixed_value[order[fixed]] = [float(var.value) for var in compress(candidates, fixed.tolist())]
    global_of = np.full(len(unique), -1, dtype=np.int64)
    global_of[order[~fixed]] = np.arange(int((~fixed).sum()))
    columns = list(compress(candidates, (~fixed).tolist()))
    parts = []
    for component, (rows, keep, matrix), start, stop in zip(arrays, kept, offsets, offsets[1:], strict=False):
        local = inverse[start:stop]
        lower, upper = component.row_lower[keep], component.row_upper[keep]
        shifted = ~np.isnan(fixed_value[local])
        if shifted.any():
            shift = matrix[:, np.flatnonzero(shifted)] @ fixed_value[local][shifted]
            lower, upper = lower - shift, upper - shift
        coo = matrix.tocoo()
        col = global_of[local[coo.col]]
        present = col >= 0
        parts.append(_Part(coo.row[present], col[present], coo.data[present], lower, upper,
                           list(compress(rows, keep.tolist()))))
    return parts, columns


def _integrality(columns: list[pyo.Var]) -> np.ndarray:
    """Integer or binary, decided by each column's domain (checked once per domain)."""
    flag_of: dict[int, bool] = {}
    domains = list(map(attrgetter("domain"), columns))
    for var, domain in zip(columns, domains, strict=True):
        if id(domain) not in flag_of:
            flag_of[id(domain)] = var.is_integer() or var.is_binary()
    return np.fromiter(map(flag_of.__getitem__, map(id, domains)), dtype=bool, count=len(columns))


def _column_bounds(columns: list[pyo.Var]) -> tuple[np.ndarray, np.ndarray]:
    lower, upper = zip(*map(attrgetter("bounds"), columns), strict=True) if columns else ((), ())
    lower_array, upper_array = np.array(lower, dtype=float), np.array(upper, dtype=float)  # None → nan
    return (np.where(np.isnan(lower_array), -INF, lower_array),
            np.where(np.isnan(upper_array), INF, upper_array))


def compile_to_highs(model: pyo.ConcreteModel, highs: highspy.Highs | None = None) -> Compiled:
    with PauseGC():  # tens of thousands of short-lived objects: the cyclic GC would only add pauses
        return _compile(model, highs)


def _compile(model: pyo.ConcreteModel, highs: highspy.Highs | None) -> Compiled:
    arrays = [c for c in model.component_objects(pyo.Constraint, active=True, descend_into=True)
              if isinstance(c, MatrixRows)]
    compiled, compiled_columns, compiled_cost, offset = _compiled_part(model, arrays)
    array_parts, columns = _array_parts(arrays)
    column_of = dict(zip(map(id, columns), range(len(columns)), strict=True))
    placed = np.fromiter(map(column_of.get, map(id, compiled_columns), repeat(-1)), dtype=np.int64,
                         count=len(compiled_columns))
    new = np.flatnonzero(placed < 0)  # columns only rule rows or the objective use
    placed[new] = len(columns) + np.arange(len(new))
    columns += [compiled_columns[c] for c in new.tolist()]
    column_of.update(zip(map(id, columns[len(columns) - len(new):]), placed[new].tolist(), strict=True))
    compiled.col = placed[compiled.col]
    parts = [*array_parts, compiled]
    starts = np.cumsum([0] + [len(part.lower) for part in parts])
    n_rows, n_cols = int(starts[-1]), len(columns)
    matrix = sparse.csc_array((np.concatenate([p.value for p in parts]),
                               (np.concatenate([p.row + s for p, s in zip(parts, starts, strict=False)]),
                                np.concatenate([p.col for p in parts]))), shape=(n_rows, n_cols))
    row_lower = np.concatenate([p.lower for p in parts])
    row_upper = np.concatenate([p.upper for p in parts])
    cost = np.zeros(n_cols)
    cost[placed] = compiled_cost
    col_lower, col_upper = _column_bounds(columns)
    integer = _integrality(columns)
    if highs is None:
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
    highs.passModel(n_cols, n_rows, matrix.nnz, 1, 1, offset, cost, col_lower, col_upper, row_lower,
                    row_upper, matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
                    matrix.data.astype(float), integer.astype(np.int32))
    return Compiled(highs=highs, columns=columns, rows=[c for p in parts for c in p.constraints],
                    column_of=column_of, integer=integer, objective_offset=offset,
                    matrix=sparse.csr_array(matrix), row_lower=row_lower, row_upper=row_upper)
