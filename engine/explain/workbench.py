"""The explanation workbench: the solved model, re-opened as a linear programme with its integer choices
fixed, so that row duals, reduced costs and "what if this rule were gone" re-solves come straight from
the model that produced the trades.

It works on the HiGHS model the solve left behind (`Solution.compiled`): no Pyomo rebuild and no new
hand-off, so each experiment is a warm-started re-solve of a few milliseconds. Changes:

* binary columns are fixed at the solution's 0/1 values; general integers (whole-share counts) are
  relaxed — they round trades, they do not decide them, and fixing them would freeze every trade;
* column bounds that `declare_forbidden_buys` derived from rules are released: the rule Blocks keep the same
  restriction as rows, so duals land on a row that names its rule, and dropping the rule frees it;
* tracking-error tangents are refined after every re-solve (`solver.tracking.refine`), so tracking
  error figures are the exact ex-ante ones, never the linear proxy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import highspy
import numpy as np
from pyomo.repn import generate_standard_repn

from compiler.lower import Provenance, rule_of
from solver.handoff import INF, Compiled
from solver.model import AccountModel
from solver.solve import Solution
from solver.tracking import TrackingColumns, refine, tracking_columns
from solver.trades import extract_trades
from solver.verify import Outcome, build_outcome

DUAL_TOLERANCE = 1e-7
TE_TOLERANCE_PCT = 0.005
MAX_ROUNDS = 20


@dataclass
class LPPoint:
    """One solved state of the workbench: primal values, row duals, reduced costs, exact TE."""

    status: str
    x: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    objective: float
    tracking_error_pct: float


def fork(compiled: Compiled) -> Compiled:
    """A private copy of the solved HiGHS model (tangent cuts and bounds included), so explaining a
    plan never changes it: explaining twice gives the same answer. Every row at its own index
    (`Compiled.restore_layout`): the search leaves switched-off lazy rows out of HiGHS."""
    compiled.restore_layout()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    for option in (
        "threads",
        "random_seed",
        "mip_rel_gap",
        "mip_allow_restart",
        "mip_heuristic_run_rins",
        "mip_heuristic_run_rens",
        "mip_heuristic_run_root_reduced_cost",
    ):
        highs.setOptionValue(option, compiled.highs.getOptionValue(option)[1])
    highs.passModel(compiled.highs.getModel())
    basis = compiled.highs.getBasis()
    if basis.valid:  # start from where the solve ended: the first re-solve is a few pivots
        highs.setBasis(basis)
    return replace(compiled, highs=highs)


def objective_vectors(model: AccountModel, compiled: Compiled) -> dict[str, np.ndarray]:
    """Each tagged objective term (`Contribution.objective`, gathered by `AccountModel.assemble`) as
    a vector over the HiGHS columns."""
    out = {}
    for tag, expr in sorted(model.objective_terms.items()):
        repn = generate_standard_repn(expr, quadratic=False)
        vector = np.zeros(len(compiled.columns))
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            col = compiled.column_of.get(id(var))
            if col is not None:
                vector[col] += float(coef)
        out[tag] = vector
    return out


def outcome_at(model: AccountModel, compiled: Compiled, x: np.ndarray) -> Outcome:
    """The exact-decimal outcome of a model point (snapped trades applied to the account), for the
    rule kinds' own verifiers and explanations."""
    solution = Solution(
        status="feasible",
        stop="work_limit",
        proven_optimal=False,
        gap=float("inf"),
        objective=float("nan"),
        bound=float("nan"),
        nodes=0,
        binaries_on=0,
        x=x[: len(compiled.columns)],
        compiled=compiled,
        tracking_error_pct=float("nan"),
        rounds=0,
        cuts=0,
        lazy_active=0,
        lazy_total=0,
    )
    trades = extract_trades(model, solution, whole_shares=model.whole_shares)
    target = {t: float(w) for t, w in zip(model.data.tickers, model.target_weights, strict=True) if w > 0}
    return build_outcome(model.data.account, model.data.market, trades, target, model.cash_flow,
                         cash_moved=model.total_cash_flow - model.cash_flow)


def release_forbidden_buys(model: AccountModel, compiled: Compiled) -> None:
    """Give the names a rule forbids buying their natural bound again in the HiGHS copy, so the
    forbidding rule's own row (not a zero column bound) holds them: its dual and its slack then speak
    for that rule."""
    m = model.m
    cols = compiled.cols([m.buy[i] for i in sorted(model.buy_forbidden)])
    cols = cols[cols >= 0].astype(np.int32)
    if len(cols):
        upper = np.full(len(cols), min(1.0, 1.0 + float(m.flow.value)))
        compiled.highs.changeColsBounds(len(cols), cols, np.zeros(len(cols)), upper)


class Workbench:
    def __init__(
        self, model: AccountModel, compiled: Compiled, x: np.ndarray, provenance: dict[str, Provenance]
    ):
        compiled = fork(compiled)
        self.model, self.compiled, self.highs = model, compiled, compiled.highs
        self.provenance = provenance
        self.cols: TrackingColumns = tracking_columns(model, compiled)
        self.base_rows = len(compiled.rows)
        self.rows_by_rule: dict[str, list[int]] = defaultdict(list)
        for r, constraint in enumerate(compiled.rows):
            owner = rule_of(constraint, provenance)
            if owner is not None:
                self.rows_by_rule[owner.rule_id].append(r)
        self.terms = objective_vectors(model, compiled)
        rule_ids = {p.rule_id for p in provenance.values()}
        self.terms_by_rule: dict[str, list[str]] = defaultdict(list)
        for tag in self.terms:
            owner = tag if tag in rule_ids else tag.rsplit(".", 1)[0]
            if owner in rule_ids:
                self.terms_by_rule[owner].append(tag)
        lp = self.highs.getLp()  # one copy; bounds and costs are tracked here from now on
        self.row_lower, self.row_upper = np.array(lp.row_lower_), np.array(lp.row_upper_)
        self.cost = np.array(lp.col_cost_)
        self._fix_integers(x, np.asarray(lp.col_lower_), np.asarray(lp.col_upper_))
        self._release_forbidden_buys()
        self.highs.setOptionValue("solve_relaxation", True)

    # -- set-up -----------------------------------------------------------------------------------
    def _fix_integers(self, x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        binary = self.compiled.integer & (lower >= 0) & (upper <= 1)
        cols = np.flatnonzero(binary).astype(np.int32)
        if len(cols):
            values = np.clip(np.round(x[cols]), lower[cols], upper[cols])
            self.highs.changeColsBounds(len(cols), cols, values, values)

    def _release_forbidden_buys(self) -> None:
        release_forbidden_buys(self.model, self.compiled)

    # -- rows -------------------------------------------------------------------------------------
    def row_bounds(self, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
        idx = np.asarray(rows, dtype=int)
        return self.row_lower[idx], self.row_upper[idx]

    @contextmanager
    def without(self, rule_ids: list[str]) -> Iterator[None]:
        """Re-solves inside the block see the model with these rules' Blocks switched off: their rows
        made free and the objective terms they tagged taken out."""
        rows = np.array(sorted(r for rid in rule_ids for r in self.rows_by_rule.get(rid, ())), dtype=np.int32)
        lower, upper = self.row_bounds(list(rows))
        if len(rows):
            self.highs.changeRowsBounds(len(rows), rows, np.full(len(rows), -INF), np.full(len(rows), INF))
        removed = sum(
            (self.terms[t] for rid in rule_ids for t in self.terms_by_rule.get(rid, ())),
            np.zeros(len(self.compiled.columns)),
        )
        changed = np.flatnonzero(removed).astype(np.int32)
        cost = self.cost[changed]
        if len(changed):
            self.highs.changeColsCost(len(changed), changed, cost - removed[changed])
        try:
            yield
        finally:
            if len(rows):
                self.highs.changeRowsBounds(len(rows), rows, lower, upper)
            if len(changed):
                self.highs.changeColsCost(len(changed), changed, cost)

    @contextmanager
    def bounded(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> Iterator[None]:
        """Re-solves inside the block see these rows with other bounds (e.g. a limit loosened)."""
        rows = rows.astype(np.int32)
        self.highs.changeRowsBounds(len(rows), rows, lower, upper)
        try:
            yield
        finally:
            self.highs.changeRowsBounds(len(rows), rows, self.row_lower[rows], self.row_upper[rows])

    def term_values(self, point: LPPoint) -> dict[str, float]:
        """Each tagged objective term's value at a point (bp of account value)."""
        return {tag: float(vector @ point.x[: len(vector)]) for tag, vector in self.terms.items()}

    # -- solving ----------------------------------------------------------------------------------
    def solve(self) -> LPPoint:
        """Solve the fixed-integer LP, refining tangents until the tracking error is exact."""
        te, status = float("nan"), "error"
        for _ in range(MAX_ROUNDS):
            self.highs.run()
            model_status = self.highs.getModelStatus()
            if model_status != highspy.HighsModelStatus.kOptimal:
                status = (
                    "infeasible"
                    if model_status
                    in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible)
                    else "error"
                )
                break
            status = "optimal"
            x = np.asarray(self.highs.getSolution().col_value)
            te, added = refine(self.compiled, self.cols, x, TE_TOLERANCE_PCT)
            if not added:
                break
        if status != "optimal":
            n, m = self.highs.getNumCol(), self.highs.getNumRow()
            return LPPoint(status, np.zeros(n), np.zeros(m), np.zeros(n), float("nan"), float("nan"))
        solution = self.highs.getSolution()
        return LPPoint(
            status=status,
            x=np.asarray(solution.col_value),
            row_dual=np.asarray(solution.row_dual),
            col_dual=np.asarray(solution.col_dual),
            objective=float(self.highs.getInfo().objective_function_value),
            tracking_error_pct=te,
        )

    def binding_rows(self, point: LPPoint, rule_id: str) -> list[int]:
        """Rows of the rule whose dual is nonzero: the rule holds the solution back there."""
        rows = self.rows_by_rule.get(rule_id, [])
        return [r for r in rows if abs(point.row_dual[r]) > DUAL_TOLERANCE]
