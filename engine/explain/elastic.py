"""Which rules conflict: elastic mode over rule Blocks, a deletion filter for an irreducible set of
conflicting rules, and how much each of them must give.

Generic over rule kinds: every row of every rule Block (found through the provenance map) gets a
slack column in the HiGHS model the failed solve left behind — `s⁺ ≥ 0` on an upper bound
(`row − s⁺ ≤ u`), `s⁻ ≥ 0` on a lower bound (`row + s⁻ ≥ l`). Slack is weighted relative to the
row's own bound (`1 / max(|bound|, 0.05)`, ten times more for locked rules), so giving 10% on a
small limit costs the same as 10% on a large one, and firm-locked rules give last.

* elastic solve: minimise total weighted slack → which rules the nearest plan bends, and by how much;
* deletion filter: start from every rule with rows; drop a rule for good when the others still
  cannot hold together without it → an irreducible conflicting set (an IIS over rule Blocks). It runs
  twice: first on the linear relaxation alone (each test a warm-started LP of milliseconds), which
  localises a conflict already among the rules whose relaxation cannot hold; then with integers over
  that short list only, so the MIP tests — one per rule kept — see a few hard rules, not the whole
  policy. The relaxed pass may keep a rule whose conflict needs whole shares or a minimum trade to
  show; the integer pass drops it, so the set is irreducible for the model itself;
* per conflicting rule: keep every other rule hard and let only this one give → the rule kind's own
  verifier, run on that plan, states in policy terms how far it must move;
* nearest feasible plan (`--relax`): minimum weighted slack first (only unlocked rules give, unless
  locked rules conflict among themselves), then the usual objective.

The HiGHS model underneath, its LP rounds and its integer tests are engine/explain/warm_model.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from compiler.ir import CompiledPolicy
from compiler.lower import Provenance, rule_of
from compiler.rules import RULE_KINDS
from engine.explain.warm_model import WarmModel
from engine.explain.workbench import outcome_at
from solver.handoff import INF, Compiled
from solver.model import AccountModel
from solver.verify import Outcome, Violation

if TYPE_CHECKING:
    from engine.rebalance import Plan

WEIGHT_FLOOR = 0.05
LOCKED_FACTOR = 10.0
SLACK_TOLERANCE = 1e-7
MAX_CONFLICTS = 5
# A least-slack MIP (how far a rule must give, the nearest plan) within this many nodes, a work limit:
# beyond, undecided (the feasibility tests' limit is engine/explain/warm_model.py's MAX_TEST_NODES).
MAX_ELASTIC_NODES = 1_000


@dataclass
class ElasticPoint:
    status: str
    x: np.ndarray
    slack_by_rule: dict[str, float]


def conflicting_rules(plan: Plan, policy: CompiledPolicy) -> tuple[str, ...]:
    """The rules `tailor explain` names as conflicting for an infeasible plan (its `conflict.rules`:
    the same first irreducible set), without the rest of an explanation — how far each rule must
    give, the nearest plan, other forms of a rule — each a further MIP or a whole re-solve. What a
    batch records for an infeasible account; () when no set of rules conflicts."""
    elastic = ElasticModel(plan.model, plan.solution.compiled, policy, plan.provenance)
    return tuple(elastic.irreducible(proven=plan.solution.status == "infeasible"))


class ElasticModel(WarmModel):
    """The failed model with slack columns on every rule row, re-solved under changing slack bounds."""

    def __init__(
        self,
        model: AccountModel,
        compiled: Compiled,
        policy: CompiledPolicy,
        provenance: dict[str, Provenance],
        deadline: float | None = None,
    ):
        super().__init__(model, compiled, deadline)
        self.policy, self.provenance = policy, provenance
        self.original_cost = np.asarray(self.highs.getLp().col_cost_).copy()
        self.slack_cols: dict[str, list[int]] = {}
        # Rules kept in a conflict only because the test without them was undecided within the work
        # limits: without them the others may hold or not. Empty: every conflict found is irreducible.
        self.unproven: set[str] = set()
        self.slack_weight: dict[int, float] = {}
        self._add_slacks()

    def _add_slacks(self) -> None:
        locked = {r.id for r in self.policy.rules if r.locked}
        lower, upper = self.compiled.row_lower, self.compiled.row_upper
        entries: list[tuple[str, int, float, float]] = []  # rule, row, coefficient, weight
        for r, constraint in enumerate(self.compiled.rows):
            owner = rule_of(constraint, self.provenance)
            if owner is None:
                continue
            factor = LOCKED_FACTOR if owner.rule_id in locked else 1.0
            if upper[r] < INF:
                entries.append((owner.rule_id, r, -1.0, factor / max(abs(upper[r]), WEIGHT_FLOOR)))
            if lower[r] > -INF:
                entries.append((owner.rule_id, r, 1.0, factor / max(abs(lower[r]), WEIGHT_FLOOR)))
        first = self.highs.getNumCol()
        n = len(entries)
        if not n:
            return
        self.highs.addCols(
            n,
            np.array([w for *_, w in entries]),
            np.zeros(n),
            np.full(n, INF),
            n,
            np.arange(n, dtype=np.int32),
            np.array([r for _, r, _, _ in entries], dtype=np.int32),
            np.array([c for _, _, c, _ in entries]),
        )
        for k, (rule_id, _, _, weight) in enumerate(entries):
            self.slack_cols.setdefault(rule_id, []).append(first + k)
            self.slack_weight[first + k] = weight
        self.original_cost = np.concatenate([self.original_cost, np.zeros(n)])

    # -- configuring a solve ----------------------------------------------------------------------
    def _set(
        self,
        soft: set[str],
        weighted: bool,
        with_objective: bool = False,
        dropped: frozenset[str] = frozenset(),
    ) -> None:
        """Slack of `soft` rules free (cost = weight, or 0 for a pure feasibility test), of `dropped`
        rules free at no cost (the rule is off); all other rules hard (slack fixed at 0)."""
        all_slack = sorted(c for cols in self.slack_cols.values() for c in cols)
        if not all_slack:
            return
        idx = np.array(all_slack, dtype=np.int32)
        soft_cols = {c for rid in soft for c in self.slack_cols.get(rid, ())}
        free_cols = soft_cols | {c for rid in dropped for c in self.slack_cols.get(rid, ())}
        upper = np.array([INF if c in free_cols else 0.0 for c in all_slack])
        self.highs.changeColsBounds(len(idx), idx, np.zeros(len(idx)), upper)
        cost = np.array([self.slack_weight[c] if weighted and c in soft_cols else 0.0 for c in all_slack])
        self.highs.changeColsCost(len(idx), idx, cost)
        base = np.flatnonzero(self.original_cost[: len(self.compiled.columns)] != 0).astype(np.int32)
        if len(base):
            values = self.original_cost[base] if with_objective else np.zeros(len(base))
            self.highs.changeColsCost(len(base), base, values)

    def _run(self) -> str:
        """LP rounds (warm-started simplex) until tangents and lazy groups settle; then, if integer
        columns are in play, MIP rounds within MAX_ELASTIC_NODES (a least slack not proven within them
        is "feasible" when they found a point, else undecided: "error"). An infeasible relaxation ends
        it at once."""
        status = self._rounds(relaxation=True)
        if status != "optimal" or not self._deciding().any():
            return status
        return self._mip(MAX_ELASTIC_NODES)

    def _point(self, status: str) -> ElasticPoint:
        if status not in ("optimal", "feasible"):
            return ElasticPoint(status, np.zeros(self.highs.getNumCol()), {})
        x = self.x
        slack = {rid: float(x[cols].sum()) for rid, cols in self.slack_cols.items()}
        return ElasticPoint(status, x, {rid: s for rid, s in slack.items() if s > SLACK_TOLERANCE})

    # -- the questions ----------------------------------------------------------------------------
    def feasible(self, hard: set[str], relaxation: bool = False) -> bool:
        """Can these rules hold together (every other rule dropped)? Only a proven "infeasible" says
        no: a test cut short by a work limit (or the clock) keeps the rule in the conflict, so a
        reported conflict is always a real one (at worst not the smallest; `decided` says which). With
        `relaxation`, integrality is ignored: "infeasible" is then still a proof (the relaxation of a
        model that holds holds too), while "feasible" only says the relaxation holds. The policy's own
        objective stays on (the answer does not depend on it): with none, every basis is optimal once
        feasible, and the simplex wandered — on `sp500_2000` (tracking within 0.05%, no net gains) one
        LP took 5.8 s where it takes 0.4, and HiGHS's root LP of one MIP test ran 580,000 iterations
        into its 30 s limit, leaving every later test undecided."""
        self._set(set(self.slack_cols) - hard, weighted=False, with_objective=True)
        status = self._rounds(relaxation=True)
        self.decided = status in ("optimal", "infeasible")
        if relaxation or status != "optimal" or not self._deciding().any():
            return status != "infeasible"
        return self.integer_point_exists()

    def elastic(self, soft: set[str] | None = None, dropped: frozenset[str] = frozenset()) -> ElasticPoint:
        """Minimum weighted slack with only `soft` rules allowed to give (all rules when None), and
        `dropped` rules switched off."""
        self._set(set(self.slack_cols) if soft is None else soft, weighted=True, dropped=dropped)
        return self._point(self._run())

    def nearest(self) -> ElasticPoint:
        """Minimum weighted slack, then the best plan by the policy's own objective at that slack.
        Locked rules take precedence: only when they cannot hold together does any of them give."""
        unlocked = {r.id for r in self.policy.rules if not r.locked} & set(self.slack_cols)
        soft = unlocked
        first = self.elastic(soft)
        if first.status != "optimal":
            soft = set(self.slack_cols)
            first = self.elastic(soft)
            if first.status != "optimal":
                return first
        total = sum(self.slack_weight[c] * first.x[c] for c in self.slack_weight)
        cols = np.array(sorted(self.slack_weight), dtype=np.int32)
        weights = np.array([self.slack_weight[c] for c in cols])
        self.highs.addRow(-INF, total * (1 + 1e-6) + 1e-9, len(cols), cols, weights)
        self._set(soft, weighted=False, with_objective=True)
        point = self._point(self._run())
        self.highs.deleteRows(1, np.array([self.highs.getNumRow() - 1], dtype=np.int32))
        return point

    def irreducible(self, candidates: list[str] | None = None, proven: bool = False) -> list[str]:
        """An irreducible set of rules that cannot hold together ([] when the candidates can): the
        deletion filter on the linear relaxation localises one, then the filter with integers over
        that short list makes it irreducible for the model itself. A rule kept only because its test
        was undecided is added to `unproven`: the set is then proven to conflict, not to be the
        smallest. When only integrality makes the
        candidates conflict, there is nothing to localise, and the filter runs with integers on all.
        `proven`: the candidates are known not to hold together (the solve proved the model, every
        rule with rows, infeasible), which spares the integer test of them all."""
        if candidates is None:
            candidates = self.candidates()
        if not self.feasible(set(candidates), relaxation=True):
            return self.deletion_filter(self.deletion_filter(candidates, relaxation=True), relaxation=False)
        if not proven and self.feasible(set(candidates)):
            if not self.decided:
                self.unproven |= set(candidates)  # no conflict shown, none ruled out
            return []
        return self.deletion_filter(candidates, relaxation=False)

    def deletion_filter(self, conflicting: list[str], relaxation: bool) -> list[str]:
        """Drop each rule (the most specific, last in policy order, first) for good when the others
        still cannot hold without it. `conflicting` must be known not to hold together (with integers,
        or already in the relaxation). Tests that fail are mostly LP-fast; with integers, each rule
        kept costs a MIP."""
        keep = list(conflicting)
        for rule_id in reversed(conflicting):
            trial = [r for r in keep if r != rule_id]
            if not self.feasible(set(trial), relaxation):
                keep = trial
            elif not relaxation and not self.decided:
                self.unproven.add(rule_id)
        return keep

    def candidates(self) -> list[str]:
        """The rules that may give, in policy order: the policy's, then a household's accounts' own
        (as the plan names them, `smith-joint/no-energy`), the most specific last."""
        ordered = dict.fromkeys([*(r.id for r in self.policy.rules),
                                 *(p.rule_id for p in self.provenance.values())])
        return [rule_id for rule_id in ordered if rule_id in self.slack_cols]

    def conflicts(self, limit: int = MAX_CONFLICTS, proven: bool = False) -> list[list[str]]:
        """Several irreducible conflicts, when there are several: after each, its most specific rule
        (the last in policy order: account before household before firm) is set aside and the filter
        runs again on the rest, until the rest can hold together. `proven`: as for `irreducible`, the
        first time."""
        candidates = self.candidates()
        found: list[list[str]] = []
        while len(found) < limit:
            conflict = self.irreducible(candidates, proven=proven and not found)
            if not conflict:
                break
            found.append(conflict)
            candidates = [r for r in candidates if r != conflict[-1]]
        return found

    # -- from a point to policy terms -------------------------------------------------------------
    def outcome(self, point: ElasticPoint) -> Outcome:
        return outcome_at(self.model, self.compiled, point.x)

    def violations(self, outcome: Outcome, rule_ids: set[str] | None = None) -> list[Violation]:
        """What the rules' own verifiers say about a relaxed plan (kinds without a verifier are skipped)."""
        found = []
        for rule in self.policy.rules:
            if rule_ids is not None and rule.id not in rule_ids:
                continue
            try:
                found += [
                    v.model_copy(update={"rule_id": rule.id, "span": v.span or rule.span})
                    for v in RULE_KINDS[rule.kind].verify(rule, outcome)
                ]
            except NotImplementedError:
                continue
        return found
