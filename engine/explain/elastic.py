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
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np

from compiler.ir import CompiledPolicy
from compiler.lower import Provenance, rule_of
from compiler.rules import RULE_KINDS
from engine.explain.workbench import fork, outcome_at, release_forbidden_buys
from solver.branch import branch_and_bound
from solver.handoff import INF, Compiled
from solver.lazy import LazyGroups, activate_violated, relax
from solver.model import AccountModel
from solver.tracking import refine, tracking_columns, variance_backed_off, variance_limit_rows
from solver.verify import Outcome, Violation
from solver.whole_shares import count_columns

if TYPE_CHECKING:
    from engine.rebalance import Plan

WEIGHT_FLOOR = 0.05
LOCKED_FACTOR = 10.0
SLACK_TOLERANCE = 1e-7
TE_TOLERANCE_PCT = 0.005
MAX_ROUNDS = 20
SOLVE_TIME_LIMIT = 30.0
MAX_CONFLICTS = 5
INTEGRAL = 1e-9
MAX_BRANCH_BINARIES = 24  # a feasibility test branches itself on at most this many binaries ...
MAX_BRANCH_NODES = 200  # ... within this many node LPs; beyond either, HiGHS's MIP decides ...
# ... within this many nodes; beyond, the test is undecided and its rule stays in the conflict (a work
# limit, not the clock: the same conflict at any machine load)
MAX_TEST_NODES = 200
MAX_ELASTIC_NODES = 1_000  # the same for a least-slack MIP (how far a rule must give, the nearest plan)


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


class ElasticModel:
    """The failed model with slack columns on every rule row, re-solved under changing slack bounds."""

    def __init__(
        self,
        model: AccountModel,
        compiled: Compiled,
        policy: CompiledPolicy,
        provenance: dict[str, Provenance],
    ):
        compiled = fork(compiled)
        self.model, self.compiled, self.highs, self.policy = model, compiled, compiled.highs, policy
        self.provenance = provenance
        self.cols = tracking_columns(model, compiled)
        self.highs.setOptionValue("time_limit", SOLVE_TIME_LIMIT)
        self.lazy: LazyGroups = relax(compiled, model.lazy.groups)
        # The Schedule D binaries never decide feasibility (any gains net): alone, they need no MIP.
        self.netting = compiled.cols(model.netting_binaries())
        release_forbidden_buys(self.model, self.compiled)
        self.original_cost = np.asarray(self.highs.getLp().col_cost_).copy()
        self.x = np.zeros(0)  # the last solved point (kept: changing bounds clears HiGHS's solution)
        # Whole-share counts, and which way each rounds safely (solver/whole_shares.py)
        count_cols, up = count_columns(model, compiled)
        self.counts = np.zeros(len(compiled.columns), dtype=bool)
        self.round_up = np.zeros(len(compiled.columns), dtype=bool)
        self.counts[count_cols], self.round_up[count_cols] = True, up
        self.variance_limits = variance_limit_rows(compiled, compiled.col(model.m.variance))
        self.slack_cols: dict[str, list[int]] = {}
        self.decided = True  # whether the last `feasible` test was decided (a proof either way)
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
        is undecided: "error"). An infeasible relaxation ends it at once."""
        status = self._rounds(relaxation=True)
        if status != "optimal" or not self._deciding().any():
            return status
        return self._mip(MAX_ELASTIC_NODES)

    def _deciding(self) -> np.ndarray:
        """The integer columns that decide feasibility (all but the Schedule D binaries)."""
        deciding = self._integers()
        deciding[self.netting[self.netting >= 0]] = False
        return deciding

    def _branch(self, fixed: np.ndarray | None = None) -> bool | None:
        """Feasibility by branch and bound over the deciding binaries (solver/branch.py), each leaf
        polished as `_holds_rounded` polishes: True when a leaf is a point of the model, False when no
        choice of the binaries has a feasible relaxation (a proof: tangents and lazy groups off only
        relax), None when undecided within the work limits (general integers, too many binaries, a
        node limit) — the MIP then decides. Integer columns in `fixed` (the caller fixed them) are not
        branched on; an exhausted tree then proves nothing about the model, only about that fixing."""
        for _ in range(MAX_ROUNDS):
            cols = np.flatnonzero(self._integers() & ~fixed if fixed is not None else self._integers())
            # (the Schedule D binaries among them: the leaf fixes them)
            binary = all(self.compiled.columns[c].is_binary() for c in cols)
            if len(cols) > MAX_BRANCH_BINARIES or not binary:
                return None
            found = branch_and_bound(self.highs, cols, 0.0, time.perf_counter() + SOLVE_TIME_LIMIT,
                                     lambda _highs, _deadline: self._solve(), max_nodes=MAX_BRANCH_NODES)
            if found.status == "infeasible":
                return False if fixed is None else None
            if found.x is None:
                return None
            self.x = found.x
            size = (sum(g.active for g in self.lazy), self.highs.getNumRow())
            if self._holds_rounded():
                return True
            if (sum(g.active for g in self.lazy), self.highs.getNumRow()) == size:
                return None  # the leaf fails for another reason than the groups or tangents it grew
        return None

    def _holds_rounded(self) -> bool:
        """Fix the integer columns at the last LP point's values, rounded, and polish (tangents and lazy
        groups, as `_mip` polishes its point): True when that is a point of the model — a feasible
        integer point, found without the MIP. Bounds are restored either way."""
        cols = np.flatnonzero(self._integers()).astype(np.int32)
        lp = self.highs.getLp()
        lower, upper = np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]
        active = sum(g.active for g in self.lazy)
        for values in self._roundings(cols):
            self.highs.changeColsBounds(len(cols), cols, *(np.clip(values, lower, upper),) * 2)
            try:
                if self._rounds(relaxation=True) == "optimal" and sum(g.active for g in self.lazy) == active:
                    return True
            finally:
                self.highs.changeColsBounds(len(cols), cols, lower, upper)
            if sum(g.active for g in self.lazy) != active:
                break  # the point broke a group: rounding again from it would not be the LP's point
        return False

    def _roundings(self, cols: np.ndarray) -> Iterator[np.ndarray]:
        """The last LP point's integer values rounded: to the nearest, then whole-share counts the safe
        way (a sale up, a buy down: more cash). Each with the Schedule D binaries as rounded, then
        flipped: they follow the gains the rounded trades realise, which rounding them alone ignores
        (a fractional `nets_to_gain` at 0.43 rounded to 0 under net gains has no point at all)."""
        x = self.x[cols]
        nearest = np.round(x)
        safe = np.where(self.counts[cols], np.where(self.round_up[cols], np.ceil(x - INTEGRAL),
                                                    np.floor(x + INTEGRAL)), nearest)
        netting = np.flatnonzero(np.isin(cols, self.netting))
        for k, values in enumerate((nearest, safe)):
            if k and np.array_equal(values, nearest):
                return
            for flips in itertools.product((False, True), repeat=len(netting)):
                choice = values.copy()
                choice[netting] = np.where(flips, 1.0 - values[netting], values[netting])
                yield choice

    def _holds_counts_rounded(self) -> bool:
        """Whole shares: the share counts rounded (to the nearest, then the safe way) and fixed, and the
        few binaries left — lazy groups' switches, minimum trades, the Schedule D binaries — decided by
        branching on warm LPs, so that they follow the rounded counts (rounded alone, a switch at 0.3
        beside a count rounded up contradicts it). True when a leaf is a point of the model."""
        if not self.counts.any():
            return False
        cols = np.flatnonzero(self.counts & self._integers()).astype(np.int32)
        fixed = np.zeros(len(self.counts), dtype=bool)
        fixed[cols] = True
        _, _, _, lower, upper, _ = self.highs.getCols(len(cols), cols)
        x = self.x[cols]
        safe = np.where(self.round_up[cols], np.ceil(x - INTEGRAL), np.floor(x + INTEGRAL))
        for k, values in enumerate((np.round(x), safe)):
            if k and np.array_equal(values, np.round(x)):
                break
            self.highs.changeColsBounds(len(cols), cols, *(np.clip(values, lower, upper),) * 2)
            try:
                if self._branch(fixed):
                    return True
            finally:
                self.highs.changeColsBounds(len(cols), cols, lower, upper)
        return False

    def _holds_backed_off(self) -> bool:
        """With whole shares under a binding tracking-error limit, the relaxation's point sits on the
        limit and its whole-share neighbours pass it (the search's `repair_backed_off`): the relaxation
        once more with the variance limits backed off, its point rounded and polished under the limits
        themselves. In the batch book's `retiree_cash` conflicts this spares HiGHS's MIP 2–4 s a test."""
        if not self.counts.any() or not len(self.variance_limits):
            return False
        with variance_backed_off(self.highs, self.variance_limits):
            if self._rounds(relaxation=True) != "optimal":
                return False
        return self._holds_rounded() or self._holds_counts_rounded()

    def _integers(self) -> np.ndarray:
        integer = self.compiled.integer.copy()
        for group in self.lazy:
            integer[group.binaries] = group.active
        return integer

    def _status(self) -> str:
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal"
        infeasible = (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible)
        return "infeasible" if status in infeasible else "error"

    def _solve(self) -> str:
        """One HiGHS run. A run that ends undecided without reaching the time limit (`kUnknown`: the
        simplex gave up on the basis it inherited from an earlier test) runs again once from scratch,
        which decides it: left undecided, it would count as "feasible" and keep a rule in a conflict
        it is not needed for."""
        self.highs.run()
        status = self._status()
        limits = (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kSolutionLimit)
        if status == "error" and self.highs.getModelStatus() not in limits:
            self.highs.clearSolver()
            self.highs.run()
            status = self._status()
        return status

    def _rounds(self, relaxation: bool) -> str:
        self.highs.setOptionValue("solve_relaxation", relaxation)
        for _ in range(MAX_ROUNDS):
            status = self._solve()
            if status != "optimal":
                return status
            self.x = np.asarray(self.highs.getSolution().col_value)
            x = self.x[: len(self.compiled.columns)]
            _, added = refine(self.compiled, self.cols, x, TE_TOLERANCE_PCT)
            if not added and not activate_violated(self.compiled, self.lazy, x):
                return "optimal"
        return "error"

    def _mip(self, max_nodes: int) -> str:
        """Solve the MIP once, fix its integer choices and polish the tangents on the LP (as the solve
        does); only when polishing needs new integer choices (a lazy group switched on, or the fixed
        choices no longer fit the refined tangents) is the MIP solved again. All runs together
        within `max_nodes` branch-and-bound nodes: reaching them leaves the question undecided."""
        nodes = 0
        for _ in range(MAX_ROUNDS):
            if nodes >= max_nodes:
                return "error"
            self.highs.setOptionValue("solve_relaxation", False)
            self.highs.setOptionValue("mip_max_nodes", max_nodes - nodes)
            try:
                status = self._solve()
            finally:
                self.highs.setOptionValue("mip_max_nodes", highspy.kHighsIInf)
            nodes += max(1, self.highs.getInfo().mip_node_count)
            if status != "optimal":
                return status
            x = np.asarray(self.highs.getSolution().col_value)
            cols = np.flatnonzero(self._integers()).astype(np.int32)
            lp = self.highs.getLp()
            lower, upper = np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]
            values = np.clip(np.round(x[cols]), lower, upper)
            self.highs.changeColsBounds(len(cols), cols, values, values)
            size = (sum(g.active for g in self.lazy), self.highs.getNumRow())
            polished = self._rounds(relaxation=True)
            self.highs.changeColsBounds(len(cols), cols, lower, upper)
            if polished == "optimal" and sum(g.active for g in self.lazy) == size[0]:
                return "optimal"
            if (sum(g.active for g in self.lazy), self.highs.getNumRow()) == size:
                break  # the point fails for another reason than groups or tangents: the MIP would repeat it
        return "error"

    def _point(self, status: str) -> ElasticPoint:
        if status != "optimal":
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
        model that holds holds too), while "feasible" only says the relaxation holds."""
        self._set(set(self.slack_cols) - hard, weighted=False)
        status = self._rounds(relaxation=True)
        self.decided = status in ("optimal", "infeasible")
        if relaxation or status != "optimal" or not self._deciding().any():
            return status != "infeasible"
        # Any integer point proves these rules can hold: the relaxation's own, rounded, often is one,
        # and a few binaries are decided by branching on warm LPs — where the MIP would cost a presolve
        # and a root solve from scratch, most of a batch's conflict search.
        if self._holds_rounded():
            return True
        branched = self._branch()
        if branched is not None:
            return branched
        if self._holds_counts_rounded() or self._holds_backed_off():
            return True
        status = self._mip(MAX_TEST_NODES)
        self.decided = status in ("optimal", "infeasible")
        return status != "infeasible"

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
        """An irreducible set of rules that cannot hold together ([] when the candidates can; a rule
        kept only because a test was undecided is added to `unproven`, and then the set is proven to
        conflict but not to be the smallest): the
        deletion filter on the linear relaxation localises one, then the filter with integers over
        that short list makes it irreducible for the model itself. When only integrality makes the
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
