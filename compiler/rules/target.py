"""target — the benchmark to track: the S&P 500 (cap- or equal-weighted) or a model file of ticker →
weight (ETFs allowed), with optional active tilts per security or sector.

    target sp500
    target model "models/growth.csv" tilt sector "Energy" -2% tilt AAPL +1%

An account may bring its own target model (`target: model.csv` in account.yaml, or `tailor rebalance
--target FILE`; `solver.account_files`). It replaces the policy's benchmark for that account — the
tilts still apply — unless the policy's target rule is `locked`, which refuses it (A117). The
override happens here, in lowering, verification and explanation, which all read the account
(`Target.weights`): every caller of the engine gets the same target for the same inputs, and the
solver core and the compiled policy (and so its hash) are untouched. The account's target file is
part of the account's input hash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from compiler.claims import Claim, Says
from compiler.ir import RuleIR
from compiler.rules.base import DEFAULT_SPAN, Change, RuleKind
from policy_lang.ast import Node, Quantity, RuleNode, Subject, Text
from policy_lang.formatting import format_subject, quote, subject_to_yaml
from policy_lang.quantities import WEIGHT_UNITS, signed_weight
from policy_lang.syntax import SyntaxErrorExample
from policy_lang.yaml_fields import SUBJECT_KEYS, Fields, fail

if TYPE_CHECKING:
    import pandas as pd
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from solver.account import Account
    from solver.contribution import Contribution
    from solver.market import Market
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation

Benchmark = Literal["sp500", "sp500_equal", "model"]
BENCHMARKS: tuple[str, ...] = ("sp500", "sp500_equal", "model")


class TiltNode(Node):
    subject: Subject
    active: Quantity


class TargetNode(RuleNode):
    kind: ClassVar[str] = "target"
    benchmark: Benchmark = "sp500"
    model: Text | None = None
    tilts: tuple[TiltNode, ...] = ()


class Tilt(BaseModel):
    model_config = ConfigDict(frozen=True)
    subject: str
    tickers: tuple[str, ...]
    active: float  # additive active weight: +0.02 overweights by two percentage points


class TargetIR(RuleIR):
    kind: Literal["target"] = "target"
    benchmark: Benchmark
    model_path: str | None = None  # resolved path of the ticker → weight CSV when benchmark is "model"
    tilts: tuple[Tilt, ...] = ()


class Target(RuleKind[TargetNode, TargetIR]):
    name = "target"
    keyword = "target"
    checked_first = True
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "tilt_weight": ("P126", "a tilt needs an active weight", "write e.g. `tilt sector \"Energy\" -2%`",
                        ["target sp500 tilt AAPL\n", "target sp500 tilt sector \"Energy\"\n"])}
    node_type = TargetNode
    ir_type = TargetIR
    summary = "the benchmark to track (S&P 500 or a model file) with optional tilts"
    # First: rules that depend on which names the target holds (`restrict buying outside target`)
    # read it from the model when they are lowered. Lowering a target adds no rows, only the weights.
    yaml_keys = ("benchmark", "model", "tilts")
    grammar = r"""
target_rule: "target" target_benchmark target_tilt*
target_benchmark: "sp500"                   -> target_sp500
                | "sp500" "equal" "weight"  -> target_sp500_equal
                | "model" STRING            -> target_model
target_tilt: "tilt" subject quantity
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        bench, *tilts = reader.trees(tree)
        benchmark = str(bench.data).removeprefix("target_")
        model = reader.text(bench.children[0]) if benchmark == "model" else None
        return {"benchmark": benchmark, "model": model, "tilts": tuple(
            TiltNode(subject=reader.subject(t.children[0]),
                     active=reader.quantity(t.children[1], WEIGHT_UNITS, "a tilt"), span=reader.span(t))
            for t in tilts)}

    def format(self, node: TargetNode) -> str:
        head = {"sp500": "target sp500", "sp500_equal": "target sp500 equal weight"}.get(
            node.benchmark, f"target model {quote(node.model.value if node.model else '')}")
        tilts = [f"tilt {format_subject(t.subject)} {signed_weight(t.active)}" for t in node.tilts]
        return "\n    ".join([head, *tilts])

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        benchmark = fields.choice("benchmark", BENCHMARKS, required=True)
        model = fields.text("model")
        if (benchmark == "model") != (model is not None):
            fail("P211", "a `model` file goes with `benchmark: model`, and only with it", fields.span,
                 "write `benchmark: model` and `model: path/to/weights.csv`, or drop `model`")
        tilts = []
        for item in fields.maps("tilts", "each tilt is a mapping like {sector: Energy, active: -2%}"):
            tilt = Fields(item, "tilt", (*SUBJECT_KEYS, "active"))
            tilts.append(TiltNode(subject=tilt.subject(), span=item.span, active=tilt.quantity(
                "active", WEIGHT_UNITS, "a tilt", required=True)))
            tilt.finish()
        return {"benchmark": benchmark, "model": model, "tilts": tuple(tilts)}

    def to_yaml(self, node: TargetNode) -> dict[str, Any]:
        out: dict[str, Any] = {"benchmark": node.benchmark}
        if node.model is not None:
            out["model"] = node.model.value
        if node.tilts:
            out["tilts"] = [{**subject_to_yaml(t.subject), "active": signed_weight(t.active)}
                            for t in node.tilts]
        return out

    def default(self) -> TargetNode:
        return TargetNode(benchmark="sp500", span=DEFAULT_SPAN, reason="default: track the S&P 500")

    def check_account(self, rule: TargetIR, account: Account) -> None:
        """A locked target is the firm's: an account may not bring its own (A117)."""
        from core.diagnostics import Related, TailorError, error

        target = account.target
        if target is None or not rule.locked:
            return
        related = (Related(message="the account's target is given here", span=target.span),) \
            if target.span else ()
        raise TailorError(error(
            "A117", f"the policy's target rule `{rule.id}` is locked at {rule.span.file}:{rule.span.line}, "
            f"so the account's target model {target.given} ({target.origin}) cannot replace it", rule.span,
            f"remove the account's target ({target.origin}), or ask the owner of the policy layer that "
            "locks the target to unlock it", related))

    # ---- optimizer side -----------------------------------------------------------------------
    def weights(self, rule: TargetIR, market: Market, account: Account | None = None) -> pd.Series:
        """Benchmark weights with the tilts applied: a tilt moves its names' total weight by
        `active` (pro rata to their benchmark weights, equally if they have none); the other names
        absorb the difference pro rata, so the target still sums to one. The account's own target
        model, when it has one, replaces the policy's benchmark (refused under a locked rule)."""
        import pandas as pd

        if account is not None and account.target is not None:
            self.check_account(rule, account)
            base = pd.Series(dict(account.target.weights), dtype=float)
        else:
            base = market.target(rule.benchmark, rule.model_path).astype(float)
        weights = base[base > 0] / float(base[base > 0].sum())
        for tilt in rule.tilts:
            names = [t for t in tilt.tickers if t in market.prices.index]
            if not names:
                continue
            weights = weights.reindex(weights.index.union(names), fill_value=0.0)
            inside = weights[names]
            share = inside / inside.sum() if inside.sum() > 0 else inside * 0 + 1.0 / len(names)
            new_inside = (inside + tilt.active * share).clip(lower=0.0)
            rest = weights.drop(names)
            room = 1.0 - float(new_inside.sum())
            weights = pd.concat([new_inside, rest * (room / float(rest.sum()))]).clip(lower=0.0)
        return (weights / float(weights.sum())).sort_index()

    def target_weights(self, rule: TargetIR, model: AccountModel) -> pd.Series:
        return self.weights(rule, model.data.market, model.data.account)

    def lower(self, rule: TargetIR, block: Block, model: AccountModel) -> Contribution:
        """Nothing of its own: the target is set before any rule is lowered (`target_weights`), and the
        base model's tracking rows and the other rules read it from there."""
        from solver.contribution import Contribution

        contribution = Contribution()
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def intended(rule: TargetIR, market: Market, account: Account | None = None) -> dict[str, float]:
        """The target the rule describes, ticker → weight. Its base is the account's own model when it
        brings one (unless the rule is locked: the firm's benchmark then stands) or else the benchmark,
        keeping the names with positive weight and scaled to sum to one. Each tilt in turn moves the
        total weight of its priced names by `active`, shared among them in proportion to their
        weights (equally when none has any), none going below zero; the other names give or take
        the difference in proportion to theirs. The result is scaled to sum to one."""
        if account is not None and account.target is not None and not rule.locked:
            base = dict(account.target.weights)
        else:
            base = {t: float(w) for t, w in market.target(rule.benchmark, rule.model_path).items()}
        positive = {t: w for t, w in base.items() if w > 0}
        total = sum(positive.values())
        weights = {t: w / total for t, w in positive.items()}
        for tilt in rule.tilts:
            names = [t for t in tilt.tickers if t in market.prices.index]
            if not names:
                continue
            held = sum(weights.get(t, 0.0) for t in names)
            tilted = {t: max(weights.get(t, 0.0) + tilt.active * (weights.get(t, 0.0) / held if held > 0
                                                                    else 1.0 / len(names)), 0.0)
                      for t in names}
            others = {t: w for t, w in weights.items() if t not in tilted}
            scale = (1.0 - sum(tilted.values())) / sum(others.values())
            weights = {**{t: max(w * scale, 0.0) for t, w in others.items()}, **tilted}
        total = sum(weights.values())
        return {t: w / total for t, w in weights.items()}

    def verify(self, rule: TargetIR, outcome: Outcome) -> list[Violation]:
        from solver.verify import Violation

        intended = self.intended(rule, outcome.market, outcome.account)
        # Over every name either side names: a name the optimizer gave weight that the target does
        # not hold is as wrong as a missing one (`restrict buying outside target` relies on this).
        worst = max((abs(outcome.target.get(t, 0.0) - intended.get(t, 0.0))
                     for t in set(intended) | set(outcome.target)), default=0.0)
        if worst > 1e-9:
            return [Violation(code="V201", message=f"the optimiser tracked a different target than "
                              f"{_name(rule, outcome.account)} (weights differ by up to {worst:.2e})")]
        return []

    def explain(self, rule: TargetIR, outcome: Outcome) -> list[str]:
        name = _name(rule, outcome.account)
        tilts = "".join(f", {t.subject} {t.active:+.2%}" for t in rule.tilts)
        etfs = outcome.looked_through
        through = f" ({', '.join(etfs)} looked through to the S&P 500's stocks)" if etfs else ""
        return [f"tracks {name}{tilts}: tracking error {outcome.tracking_error_before:.2%} before, "
                f"{outcome.tracking_error_after:.2%} after{through}"]

    def compare(self, old: TargetNode, new: TargetNode) -> Change:
        return Change.SAME if old == new else Change.CHANGED

    def claims(self, rule: TargetIR) -> list[Claim]:
        return [Claim(Says.MORE, tilt.tickers, tilt.subject, rule.id, rule.span)
                for tilt in rule.tilts if tilt.active > 0]

    def check(self, node: TargetNode, ctx: CheckContext) -> TargetIR | None:
        model_path = ctx.model_file(node.model) if node.model is not None else None
        tilts = []
        for tilt in node.tilts:
            active = ctx.weight(tilt.active, "a tilt", signed=True)
            tickers = ctx.resolve(tilt.subject)
            if active is not None and tickers is not None:
                tilts.append(Tilt(subject=tilt.subject.describe(), tickers=tickers, active=active))
        if node.model is not None and model_path is None:
            return None
        return TargetIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                        benchmark=node.benchmark, model_path=model_path, tilts=tuple(tilts))


def _name(rule: TargetIR, account: Account | None) -> str:
    if account is not None and account.target is not None:
        return (f"the account's target model {account.target.given} (in place of the policy's "
                f"{_BENCHMARK_NAMES.get(rule.benchmark, f'model {rule.model_path}')})")
    return _BENCHMARK_NAMES.get(rule.benchmark, f"the model {rule.model_path}")


_BENCHMARK_NAMES = {"sp500": "the S&P 500", "sp500_equal": "the equal-weighted S&P 500"}
