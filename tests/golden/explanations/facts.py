"""The unique facts of an explanation: what every correct solve of the same inputs must agree on.

A rebalance is a degenerate optimisation problem: many plans reach the same objective, and which one
HiGHS returns depends on pivoting rules, floating point and the machine. So do the trade list, the
per-lot amounts, the row duals (hence the "binding — costs 0.00 bp" verdicts of rules that cost
nothing), and everything measured on the plan "without this rule" or "loosened halfway". None of
that is pinned here. What is pinned:

* the header: account, date, policy name and hash, status, method (exact);
* the plan: status, verified, the rules it violates (exact), and its objective (within tolerance);
* each rule: id, kind, source line, locked, role (exact); its price — objective with the rule minus
  without it, both LP optima — within tolerance, unless the rule declares binaries of its own (below);
  whether its rows bind, where that is unique (`as_golden`);
* a conflict: the irreducible rule sets (exact), each rule's relaxation: whether it suffices alone
  (exact), its minimum slack (within tolerance), and what it must give, in the rule kind's words with
  the figures masked; the rules the nearest plan gives up; the alternative forms that hold (exact);
* the outline of the rendered text (`render.to_text`): header, section headings, one line per rule
  naming it (and its verdict where that is structural), the conflict's sentences with figures masked.

Tolerances (each written into the golden file beside its value, so a reviewer sees them):

Each uses `gap`: the requested gap, or the plan's proven gap when that is larger (a `feasible` plan,
stopped at a work limit, is proven only within it, so its objective pins no point inside it).

* objective of the plan: `gap × max(|objective|, 1 bp) + 0.01 bp`. The objective reported
  is the exact one (tangent proxy replaced by the exact variance, solver/solve.py), and an `optimal`
  plan is proven within the requested gap of the optimum (the gap's denominator never falls below
  1 bp), so two correct plans differ by at most that; 0.01 bp is the resolution explanations print.
* price of a rule: `requested_gap × (max(|with|, 1 bp) + max(|without|, 1 bp)) + 0.02 bp`: the same
  bound on each of the two objectives it is the difference of, and 0.01 bp of rounding on each. (Both
  re-solves refine their tangents to the same 0.005 pp of tracking error at nearly the same point;
  across HiGHS strategies and seeds, and between the old and the new solve loop, prices agreed to
  0.01-0.09 bp — the test's second pass re-checks every golden with another HiGHS strategy.)
  Both LPs keep the plan's integer choices (engine/explain: local to the plan's choices). For a rule
  whose own Block declares binaries (a wash-sale rule's loss-sale switches), the price is the worth
  of the plan's own decisions of them, and another plan within the gap decides them otherwise:
  `gift_appreciated__sp500_2000`'s plan went from −33.4753 to −33.4767 bp with a change of the search
  (session 14), and its wash-sale rule's price from 5.00 to 4.78 bp, beyond the tolerance. Such a
  rule's price and `binding` are not pinned ("either"); its role is.
  A price that is clear of zero says the rule moves the optimum: for an LP, removing rows whose duals
  can all be zero leaves the optimum unchanged, so such a rule binds in every dual optimum (or its
  objective terms carry the price). A price within tolerance of zero says it costs nothing at the
  solver's precision, whatever its duals (a degenerate LP has several).
* slack of a conflicting rule (fractions of the account value, or %² for tracking-error rows):
  `requested_gap × slack + 1e-6`, plus, for a tracking-error rule, what the tangent approximation may
  leave out of the variance at that tracking error (`2·TE·0.005 + 0.005²` %², TE in percent).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pyomo.environ as pyo

from compiler.ir import CompiledPolicy
from engine.explain.schema import Explanation, RuleCost
from engine.rebalance import Plan

FORMAT = "tailor.golden.explanation/1"
EITHER = "either"  # in a golden file: any value matches (a fact that is not unique)
DISPLAY_BP = 0.01  # explanations print objective effects to 0.01 bp
FLOOR_BP = 1.0  # the gap's denominator never falls below 1 bp of the account (solver/solve.py)
SLACK_ABS = 1e-6  # rows are fractions of the account value: a dollar on a $1M account
TE_TOLERANCE_PCT = 0.005  # tangents are refined until the model's TE is exact to this (solver/tracking.py)

# A figure in running text: $1,234.56, -3.2%, 23.9700%, 10 — but not the digits of an identifier
# (lot B2000-00002, rule cap-2), of a date (2021-04-01) or of a source line (p.tailor:7).
FIGURE = re.compile(r"(?<![\w\-.:])-?\$?-?\d[\d,]*(?:\.\d+)?%?(?![\w\-])")


def mask(text: str) -> str:
    return FIGURE.sub("#", text)


def approx(value: float, tolerance: float) -> dict[str, float]:
    """A value and its tolerance (rounded up, so the file never claims more precision than meant)."""
    return {"value": value, "tolerance": math.ceil(tolerance * 1e8) / 1e8}


def objective_tolerance(objective_bp: float, requested_gap: float) -> float:
    return requested_gap * max(abs(objective_bp), FLOOR_BP) + DISPLAY_BP


def price_tolerance(with_bp: float, without_bp: float, requested_gap: float) -> float:
    return requested_gap * (max(abs(with_bp), FLOOR_BP) + max(abs(without_bp), FLOOR_BP)) + 2 * DISPLAY_BP


def role(cost: RuleCost) -> str:
    """What the rule is to the model: structural, the same for every optimum."""
    if cost.without_status == "defines the objective":
        return "defines the objective"
    if cost.without_status == "no rows":
        return "sets the model up"
    if cost.objective_change_bp is None:
        return f"indispensable: without it {cost.without_status}"
    return "priced"


def deciding_rules(solved: Plan) -> set[str]:
    """The rules whose own Block declares binaries: their price is the worth of the plan's decisions."""
    return {solved.provenance[block.local_name].rule_id
            for block in solved.model.m.component_objects(pyo.Block, descend_into=True)
            if block.local_name in solved.provenance
            and any(var.is_binary() for var in block.component_data_objects(pyo.Var))}


def rule_facts(e: Explanation, plan_objective: float | None, requested_gap: float,
               deciding: set[str]) -> list[dict[str, Any]]:
    out = []
    for cost in e.rules:
        price, tolerance = cost.objective_change_bp, 0.0
        if price is not None and plan_objective is not None:
            tolerance = price_tolerance(plan_objective, plan_objective - price, requested_gap)
        chosen = cost.rule_id in deciding and price is not None
        out.append({
            "id": cost.rule_id,
            "kind": cost.kind,
            "at": f"{cost.span.file}:{cost.span.line}",
            "locked": cost.locked,
            "role": role(cost),
            "price_bp": EITHER if chosen else None if price is None else approx(price, tolerance),
            "binding": EITHER if chosen else cost.binding,
        })
    return out


def as_golden(found: dict[str, Any]) -> dict[str, Any]:
    """The facts as written to a golden file: `binding` (a nonzero dual on the rule's own rows) stays
    only where it is unique. A rule priced beyond twice its tolerance moves the optimum, so no optimal
    dual is zero on it (its rows bind, or its objective terms carry the price: `binding` false); a
    rule that may cost nothing may or may not get a dual in a degenerate LP: "either"."""
    rules = []
    for rule in found["rules"]:
        price = rule["price_bp"]
        if isinstance(price, dict) and abs(price["value"]) <= 2 * price["tolerance"]:
            rule = {**rule, "binding": EITHER}
        rules.append(rule)
    return {**found, "rules": rules}


def slack_tolerance(slack: float, rule_kind: str, max_te: float | None, requested_gap: float) -> float:
    tolerance = requested_gap * abs(slack) + SLACK_ABS
    if rule_kind == "tracking_error" and max_te is not None:
        te_pct = math.sqrt((100 * max_te) ** 2 + max(slack, 0.0))
        tolerance += 2 * te_pct * TE_TOLERANCE_PCT + TE_TOLERANCE_PCT**2
    return tolerance


def conflict_facts(e: Explanation, policy: CompiledPolicy, requested_gap: float) -> dict[str, Any] | None:
    c = e.conflict
    if c is None:
        return None
    relaxations = []
    for r in c.relaxations:
        rule = policy.by_id(r.rule_id)
        tolerance = slack_tolerance(r.slack, r.kind, getattr(rule, "max_te", None), requested_gap)
        relaxations.append({
            "id": r.rule_id,
            "kind": r.kind,
            "at": f"{r.span.file}:{r.span.line}",
            "locked": r.locked,
            "feasible_alone": r.feasible_alone,
            "slack": approx(r.slack, tolerance),
            "needs": [mask(n) for n in r.needs],
        })
    return {
        "rules": list(c.rules),
        "also": [list(s) for s in c.also],
        "relaxations": relaxations,
        "gives_up": [mask(v) for v in c.elastic_violations],
        "alternatives": list(c.alternatives),
    }


def outline(text: str) -> list[str]:
    """The stable skeleton of `render.to_text`: header lines, section headings without their counts,
    one line per rule naming it (with its verdict only when that is structural, "sets ..."), and the
    conflict's lines with figures masked. Trade lines and the rule kinds' figures are left out."""
    out: list[str] = []
    section = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            heading = re.sub(r" \(\d+\)$", "", line)
            section = heading if heading != line or heading in ("Rules", "Conflict") else section
            out.append(heading)
        elif section == "Conflict":
            out.append(mask(line))
        elif section == "Rules" and line.startswith("  `"):
            head, _, verdict = line.partition("): ")
            out.append(line if verdict.startswith("sets ") else head + ")")
    return out


def facts(
    case: dict[str, str], solved: Plan, e: Explanation, policy: CompiledPolicy, text: str
) -> dict[str, Any]:
    result = solved.result
    # A `feasible` plan is proven only within its own gap: the optimum (and each re-solve behind a rule's
    # price) lies anywhere in it, so the tolerances widen to that gap and pin no point inside it.
    gap = max(result.solve.requested_gap, result.solve.mip_gap or 0.0)
    objective = result.solve.objective_bp if result.summary is not None else None
    return {
        "format": FORMAT,
        "case": case,
        "tolerances": {
            "requested_gap": result.solve.requested_gap,
            "objective_bp": "gap × max(|objective|, 1 bp) + 0.01 bp",
            "price_bp": "gap × (max(|with|, 1 bp) + max(|without|, 1 bp)) + 0.02 bp",
            "slack": "gap × slack + 1e-6 (+ the tangents' variance error, tracking-error rules)",
            "gap": "the requested gap, or a feasible plan's proven gap when larger",
            "why": "tests/golden/explanations/facts.py",
        },
        "explanation": {
            "account_id": e.account_id,
            "as_of": e.as_of,
            "policy_name": e.policy_name,
            "policy_hash": e.policy_hash,
            "status": e.status,
            "method": e.method,
        },
        "plan": {
            "status": result.solve.status,
            "verified": result.verified,
            "violated_rules": sorted({v.rule_id or "" for v in result.violations}),
            "objective_bp": (
                None if objective is None else approx(objective, objective_tolerance(objective, gap))
            ),
        },
        "rules": rule_facts(e, objective, gap, deciding_rules(solved)),
        "conflict": conflict_facts(e, policy, gap),
        "outline": outline(text),
    }


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` departs from `expected`: exact equality everywhere, except that a
    {"value", "tolerance"} pair matches a value within the *expected* tolerance, and "either" matches
    anything."""
    if expected == EITHER:
        return []
    if isinstance(expected, dict) and set(expected) == {"value", "tolerance"}:
        if not (isinstance(actual, dict) and set(actual) == {"value", "tolerance"}):
            return [f"{path}: expected {expected['value']} ± {expected['tolerance']}, got {actual!r}"]
        if abs(actual["value"] - expected["value"]) > expected["tolerance"]:
            return [f"{path}: {actual['value']} is not within {expected['tolerance']} of {expected['value']}"]
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual or key not in expected:
                where = "missing" if key not in actual else "unexpected"
                found.append(f"{path}.{key}: {where}")
            else:
                found += differences(expected[key], actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} entries instead of {len(expected)}: {actual!r}"]
        pairs = enumerate(zip(expected, actual, strict=True))
        return [d for k, (a, b) in pairs for d in differences(a, b, f"{path}[{k}]")]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]
