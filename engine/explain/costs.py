"""What each rule costs: binding or not (row duals of the fixed-integer LP), its shadow price, and a
re-solve with the rule's Block switched off that prices it in objective, tracking error and gains.

A rule whose rows all have zero duals is not binding: removing it leaves the LP optimum optimal, so
it costs nothing and needs no re-solve. A binding rule is priced by re-solving the same HiGHS model
(warm start, tangents refined to the exact tracking error) with its rows freed; integer choices stay
fixed, so the price is local to this plan's set of traded names.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from compiler.ir import CompiledPolicy, RuleIR
from compiler.rules import RULE_KINDS
from engine.explain.forces import Columns
from engine.explain.reasons import cite
from engine.explain.schema import RuleCost
from engine.explain.workbench import LPPoint, Workbench, outcome_at
from solver.tax import money_text, to_cents
from solver.verify import Outcome


def _dollars(bench: Workbench, point: LPPoint, col: int) -> Decimal:
    return to_cents(Decimal(repr(float(point.x[col]) * bench.model.data.value))) if col >= 0 else Decimal(0)


def _turnover(point: LPPoint, cols: Columns) -> float:
    """Sales as a fraction of the account value: the one meaning of turnover (`Outcome.turnover`)."""
    sold = cols.sell[cols.sell >= 0]
    return float(point.x[sold].sum())


def kind_lines(rule: RuleIR, outcome: Outcome | None) -> tuple[str, ...]:
    """The rule kind's own account of its effect; kinds without one yet give nothing."""
    if outcome is None:
        return ()
    try:
        return tuple(RULE_KINDS[rule.kind].explain(rule, outcome))
    except NotImplementedError:
        return ()


def rule_costs(
    bench: Workbench, base: LPPoint, cols: Columns, policy: CompiledPolicy, outcome: Outcome | None
) -> list[RuleCost]:
    values = bench.term_values(base)
    out = []
    for rule in policy.rules:
        rows = bench.rows_by_rule.get(rule.id, [])
        binding = bench.binding_rows(base, rule.id)
        tags = bench.terms_by_rule.get(rule.id, ())
        shapes = sum(abs(values[t]) for t in tags) > 1e-6
        # The rule that prices tracking error sets the trade-off itself: without it nothing would
        # pull the account toward its target, so "the plan without it" is no plan to compare with.
        defines = cols.variance >= 0 and any(bench.terms[t][cols.variance] != 0 for t in tags)
        price = float(np.max(np.abs(base.row_dual[rows]))) if rows else 0.0
        status, free = ("not binding" if rows or shapes else "no rows"), None
        if (binding or shapes) and not defines:
            with bench.without([rule.id]):
                free = bench.solve()
            status = free.status
        changes = None
        if free is not None and free.status == "optimal":
            changes = (
                round(base.objective - free.objective, 2),
                round(base.tracking_error_pct - free.tracking_error_pct, 4),
                _dollars(bench, base, cols.st_gain) - _dollars(bench, free, cols.st_gain),
                _dollars(bench, base, cols.lt_gain) - _dollars(bench, free, cols.lt_gain),
                round(_turnover(base, cols) - _turnover(free, cols), 6),
            )
        if defines:
            status = "defines the objective"
        text = _text(rule, bench, base, cols, bool(binding), shapes, defines, rows, free)
        if binding and free is not None and free.status == "optimal":
            text += _halfway(bench, rule, base, free)
        out.append(
            RuleCost(
                rule_id=rule.id,
                kind=rule.kind,
                span=rule.span,
                locked=rule.locked,
                binding=bool(binding),
                shapes_objective=shapes,
                rows=len(rows),
                binding_rows=len(binding),
                shadow_price_bp=round(price, 4),
                without_status=status,
                objective_change_bp=changes[0] if changes else (0.0 if rows and not binding else None),
                tracking_error_change_pct=changes[1] if changes else (0.0 if rows and not binding else None),
                short_term_change=changes[2] if changes else None,
                long_term_change=changes[3] if changes else None,
                turnover_change=changes[4] if changes else None,
                lines=kind_lines(rule, outcome),
                text=text,
            )
        )
    return out


def _halfway(bench: Workbench, rule: RuleIR, base: LPPoint, free: LPPoint) -> str:
    """Loosen the rule's binding rows halfway to where the plan without it lands, re-solve, and let the
    rule kind's own verifier say in policy terms how far that is ("… exceeded: $30,000 this tax
    year"): the price of the rule at that point, like "raising it to $30,000 cuts that to 0.25%"."""
    rows = np.asarray(bench.binding_rows(base, rule.id), dtype=int)
    matrix = bench.compiled.matrix[rows]
    n = matrix.shape[1]
    at_base, at_free = matrix @ base.x[:n], matrix @ free.x[:n]
    lower, upper = bench.row_lower[rows].copy(), bench.row_upper[rows].copy()
    high, low = at_free > upper, at_free < lower
    upper[high] = (upper[high] + at_free[high]) / 2
    lower[low] = (lower[low] + at_free[low]) / 2
    if not (high.any() or low.any()) or np.allclose(at_base, at_free):
        return ""
    with bench.bounded(rows, lower, upper):
        half = bench.solve()
    if half.status != "optimal":
        return ""
    try:
        said = [
            v.message
            for v in RULE_KINDS[rule.kind].verify(rule, outcome_at(bench.model, bench.compiled, half.x))
        ]
    except NotImplementedError:
        said = []
    if not said:
        return ""
    shown = "; ".join(said[:2]) + (f"; and {len(said) - 2} more" if len(said) > 2 else "")
    return (
        f"; loosened halfway ({shown}), tracking error would be {half.tracking_error_pct:.2f}% "
        f"and the objective {base.objective - half.objective:.2f} bp lower"
    )


def _money(amount: Decimal) -> str:
    return money_text(amount)


def _text(
    rule: RuleIR,
    bench: Workbench,
    base: LPPoint,
    cols: Columns,
    binding: bool,
    shapes: bool,
    defines: bool,
    rows: list[int],
    free: LPPoint | None,
) -> str:
    where = cite(rule.id, bench.provenance)
    if defines:
        return f"{where}: sets the objective's trade-off (it prices tracking error); not priced by removal"
    if not binding and not shapes:
        if rows:
            return f"{where}: not binding — costs nothing at the margin"
        return f"{where}: sets the model up (no constraint rows or objective terms of its own)"
    how = "binding" if binding else "shapes the objective"
    if free is None or free.status != "optimal":
        return f"{where}: {how}; without it the model has no solution with these integer choices"
    objective = base.objective - free.objective
    price = f"costs {objective:.2f} bp" if objective >= 0 else f"saves {-objective:.2f} bp"
    return (
        f"{where}: {how} — {price} of objective; without it tracking error "
        f"{free.tracking_error_pct:.2f}% instead of {base.tracking_error_pct:.2f}%, short-term gains "
        f"{_money(_dollars(bench, free, cols.st_gain))} instead of "
        f"{_money(_dollars(bench, base, cols.st_gain))}, "
        f"long-term gains {_money(_dollars(bench, free, cols.lt_gain))} instead of "
        f"{_money(_dollars(bench, base, cols.lt_gain))}, turnover {_turnover(free, cols):.2%} instead of "
        f"{_turnover(base, cols):.2%}"
    )
