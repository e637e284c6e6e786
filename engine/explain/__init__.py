"""Explanations of a rebalance plan, derived from the model that produced it.

    explanation = explain(plan_, policy)            # why each trade, what each rule costs
    explanation = explain(infeasible_plan, policy)  # which rules conflict, how much each must give
    relaxed = relaxed_plan(infeasible_plan, policy) # the nearest feasible plan (`--relax`)

Feasible plans are explained on the fixed-integer LP (`workbench`): row duals say which rule Blocks
bind, the balance of marginal forces on each trade says which rules and objective terms drive it
(`forces`, `reasons`), and a re-solve with a rule's Block switched off prices it (`costs`).
Infeasible plans go through elastic mode (`elastic`).
"""

from __future__ import annotations

import time

from compiler.ir import CompiledPolicy
from compiler.rules import RULE_KINDS
from compiler.verify_rules import verify
from engine.explain.costs import rule_costs
from engine.explain.elastic import ElasticModel
from engine.explain.forces import Forces
from engine.explain.reasons import ReasonBuilder, cite
from engine.explain.schema import Conflict, Explanation, Relaxation
from engine.explain.workbench import Workbench
from engine.rebalance import Plan, RebalanceOptions, _summary, _trade_lines, account_outcome
from engine.rebalance import plan as solve_plan
from solver.result import RebalanceResult

METHOD_FEASIBLE = (
    "reasons and binding rules from the row duals of the LP with integer choices fixed; "
    "rule prices from a re-solve with the rule's Block switched off"
)
METHOD_INFEASIBLE = (
    "elastic mode: weighted slack on every rule row; deletion filter over rule Blocks for "
    "an irreducible conflict; per-rule relaxation with all other rules held"
)

ALTERNATIVE_TIME_LIMIT = 10.0  # seconds for each re-solve that tries another form of a rule


def explain(plan: Plan, policy: CompiledPolicy, deadline: float | None = None) -> Explanation:
    """Why each trade of a plan, what each rule costs; for a policy without a plan, which rules
    conflict (`conflict`, ended by `deadline`, a `time.perf_counter()` value)."""
    result = plan.result
    head = {
        "account_id": result.account_id,
        "as_of": result.as_of.isoformat(),
        "policy_name": result.policy_name,
        "policy_hash": result.policy_hash,
        "status": result.solve.status,
    }
    if plan.outcome is None:
        if result.solve.status != "infeasible":  # a time limit or solver error: nothing to explain yet
            return Explanation(**head, method="none: no plan was found", trades=(), kept=(), rules=())
        return Explanation(
            **head, method=METHOD_INFEASIBLE, trades=(), kept=(), rules=(),
            conflict=conflict(plan, policy, deadline)
        )
    bench = Workbench(plan.model, plan.solution.compiled, plan.solution.x, plan.provenance)
    base = bench.solve()
    forces = Forces(bench, base)
    reasons = ReasonBuilder(forces, plan.outcome, plan.provenance)
    return Explanation(
        **head,
        method=METHOD_FEASIBLE,
        trades=tuple(reasons.trades()),
        kept=tuple(reasons.kept()),
        rules=tuple(rule_costs(bench, base, forces.cols, policy, plan.outcome)),
    )


def conflict(plan: Plan, policy: CompiledPolicy, deadline: float | None = None) -> Conflict:
    """The rules that conflict, for a rebalance that found no plan (`explain` calls it then). A plan
    that was found has no conflict to name: asked of one, this is a caller's error. Work limits
    decide every question; `deadline` (by default EXPLAIN_TIME_LIMIT from now) is the clock behind
    them for the whole search, the re-solves of the rules' alternatives included."""
    if plan.outcome is not None:
        raise ValueError(f"a conflict search needs a rebalance without a plan; this one found a plan "
                         f"({plan.result.solve.status}): explain it with `explain` instead")
    elastic = ElasticModel(plan.model, plan.solution.compiled, policy, plan.provenance, deadline)
    found = elastic.conflicts(proven=plan.solution.status == "infeasible")
    if not found and elastic.unproven:
        return Conflict(rules=(), unproven=tuple(sorted(elastic.unproven)), relaxations=(),
                        elastic_violations=(),
                        text="whether the rules can hold together was not decided within the search's "
                             "limits (its work limits, or its clock): no conflict is shown, and none is "
                             "ruled out")
    if not found:
        return Conflict(
            rules=(),
            relaxations=(),
            elastic_violations=(),
            text=(
                "no set of rules conflicts: the account cannot be traded at all under the model's own "
                "constraints (cash flows, whole shares, holdings) — check the account and cash rules"
            ),
        )
    rules = found[0]
    relaxations = [_relaxation(elastic, plan, policy, rule_id, found) for rule_id in rules]
    nearest = elastic.elastic()
    given = (
        tuple(f"{v.rule_id}: {v.message}" for v in elastic.violations(elastic.outcome(nearest)))
        if nearest.status == "optimal"
        else ()
    )
    alternatives = [found_alt for rule_id in rules
                    if (found_alt := _alternative(plan, policy, rule_id, elastic.deadline))]
    names = " and ".join(cite(r, plan.provenance) for r in rules)
    verb = "cannot hold together" if len(rules) > 1 else "cannot hold on this account"
    options = [r.text for r in relaxations if r.decided] + alternatives
    text = f"{names} {verb}."
    if len(options) > 1:
        text += " Either " + ", or ".join(options) + "."
    elif options:
        text += " " + options[0][:1].upper() + options[0][1:] + "."
    undecided = [cite(r.rule_id, plan.provenance) for r in relaxations if not r.decided]
    if undecided:
        text += (" Whether relaxing " + " or ".join(undecided) + " alone is enough was not decided within "
                 "the search's limits (its work limits, or its clock).")
    for other in found[1:]:
        text += (
            " Also: "
            + " and ".join(cite(r, plan.provenance) for r in other)
            + (" cannot hold together." if len(other) > 1 else " cannot hold on this account.")
        )
    unproven = [rule_id for rule_id in rules if rule_id in elastic.unproven]
    if unproven:
        text += (" Whether the others hold without " + " or ".join(cite(r, plan.provenance) for r in unproven)
                 + " was not decided within the search's limits (its work limits, or its clock): the set "
                   "may not be the smallest.")
    return Conflict(
        rules=tuple(rules),
        unproven=tuple(unproven),
        also=tuple(tuple(c) for c in found[1:]),
        relaxations=tuple(relaxations),
        elastic_violations=given,
        alternatives=tuple(alternatives),
        text=text,
    )


def _alternative(plan: Plan, policy: CompiledPolicy, rule_id: str, deadline: float) -> str | None:
    """The mildest other form of the rule (its kind's `alternatives`) under which the whole policy
    holds, checked by a verified re-solve (each within ALTERNATIVE_TIME_LIMIT, none past the
    deadline); None when the kind offers none, none holds, or the deadline has passed."""
    own = plan.account_rule(rule_id)
    rule = own[1] if own else policy.by_id(rule_id)
    data = plan.model.data
    for text, other in RULE_KINDS[rule.kind].alternatives(rule):
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        options = RebalanceOptions(time_limit=min(ALTERNATIVE_TIME_LIMIT, left),
                                   mip_gap=plan.result.solve.requested_gap)
        changed, account_rules = policy, dict(plan.account_rules)
        if own is None:
            changed = policy.model_copy(update={"rules": tuple(other if r.id == rule_id else r
                                                               for r in policy.rules)})
        else:
            owner = data.accounts[own[0]].account_id
            account_rules[owner] = tuple(other if r is rule else r for r in account_rules[owner])
        terms = data.terms if data.household else None
        result = solve_plan(data.accounts, changed, data.market, options, terms, account_rules).result
        if result.summary is not None and result.verified:
            where = cite(rule_id, plan.provenance)
            return text.format(rule=where) + " (a re-solve confirms the policy then holds)"
    return None


def _relaxation(
    elastic: ElasticModel, plan: Plan, policy: CompiledPolicy, rule_id: str, found: list[list[str]]
) -> Relaxation:
    """Let only this rule give, every other rule held (except the set-aside rule of each other
    conflict, switched off): the rule kind's verifier on that plan says how far it must move."""
    own = plan.account_rule(rule_id)
    rule = own[1] if own else policy.by_id(rule_id)
    aside = frozenset(c[-1] for c in found[1:] if rule_id not in c)
    point = elastic.elastic(soft={rule_id}, dropped=aside)
    holds = point.status in ("optimal", "feasible")  # a plan with only this rule relaxed
    bound = point.status == "feasible"  # ... its slack not proven the least: how far at most
    needs: tuple[str, ...] = ()
    if holds and own is None:
        needs = tuple(v.message for v in elastic.violations(elastic.outcome(point), {rule_id}))
    elif holds:  # an account's own rule, on that account's own trades
        relaxed = elastic.outcome(point)
        mine = account_outcome(plan.model, relaxed.trades, own[0], relaxed.target)
        needs = tuple(v.message for v in RULE_KINDS[rule.kind].verify(rule, mine))
    where = cite(rule_id, plan.provenance)
    if point.status not in ("optimal", "feasible", "infeasible"):
        text = (f"relaxing {where} alone: not decided within the search's limits (its work limits, or "
                "its clock)")
    elif not holds:
        text = f"relaxing {where} alone is not enough"
    elif needs:
        text = f"relax {where}{' by at most' if bound else ''}: " + "; ".join(needs)
        if bound:
            text += " (a plan holds then; whether less would do was not settled within the search's limits)"
        if aside:
            text += " (once the other conflicts are resolved)"
    else:
        text = f"relax {where} slightly (within rounding of its limit)"
    if rule.locked:
        text += " — locked by a higher policy layer"
    return Relaxation(
        rule_id=rule_id,
        kind=rule.kind,
        span=rule.span,
        locked=rule.locked,
        feasible_alone=holds,
        decided=holds or point.status == "infeasible",
        least=not bound,
        slack=round(point.slack_by_rule.get(rule_id, 0.0), 8),
        needs=needs,
        text=text,
    )


def relaxed_plan(plan: Plan, policy: CompiledPolicy,
                 deadline: float | None = None) -> RebalanceResult | None:
    """The nearest feasible plan: least weighted slack on the rule rows (locked rules first), then the
    policy's objective (the search ended by `deadline`, as `conflict`'s). The verifier checks it
    against every rule it does not give up; a plan that breaks any other rule is not presented
    (None), nor is one the elastic solve did not find."""
    elastic = ElasticModel(plan.model, plan.solution.compiled, policy, plan.provenance, deadline)
    point = elastic.nearest()
    if point.status != "optimal":
        return None
    outcome = elastic.outcome(point)
    violations = tuple(verify(outcome, policy.rules))
    given_up = set(point.slack_by_rule)
    if any(v.rule_id not in given_up for v in violations):
        return None
    solve = plan.result.solve.model_copy(update={"status": "relaxed", "proven_optimal": False})
    return plan.result.model_copy(
        update={
            "solve": solve,
            "verified": False,
            "verified_except": tuple(sorted({v.rule_id for v in violations if v.rule_id})),
            "violations": violations,
            "summary": _summary(outcome),
            "trades": _trade_lines(outcome),
        }
    )


__all__ = ["Conflict", "Explanation", "conflict", "explain", "relaxed_plan"]
