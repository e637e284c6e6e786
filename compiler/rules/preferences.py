"""preferences — the trade-off between tax, tracking error and trading cost in the objective: a named
preset, optionally with explicit weights that override it.

    preferences balanced
    preferences tax_sensitive tracking 0.5
    preferences tax 2 tracking 1 cost 0.5
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import DEFAULT_SPAN, Change, RuleKind
from core.suggest import did_you_mean
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import format_quantity
from policy_lang.yaml_fields import WORD_PATTERN, fail

if TYPE_CHECKING:
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.contribution import Contribution
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation

# (tax, tracking, cost): relative weights of the three objective terms.
PRESETS: dict[str, tuple[float, float, float]] = {
    "balanced": (1.0, 1.0, 1.0),
    "tax_sensitive": (2.0, 0.5, 1.0),
    "tight_tracking": (0.5, 2.0, 1.0),
    "low_turnover": (1.0, 1.0, 3.0),
}
_WEIGHTS = ("tax", "tracking", "cost")


class PreferencesNode(RuleNode):
    kind: ClassVar[str] = "preferences"
    preset: str | None = None
    tax: Quantity | None = None
    tracking: Quantity | None = None
    cost: Quantity | None = None


class PreferencesIR(RuleIR):
    kind: Literal["preferences"] = "preferences"
    preset: str | None
    tax_weight: float
    tracking_weight: float
    cost_weight: float


class Preferences(RuleKind[PreferencesNode, PreferencesIR]):
    name = "preferences"
    keyword = "preferences"
    node_type = PreferencesNode
    ir_type = PreferencesIR
    summary = "objective trade-off between tax, tracking and cost (preset and/or weights)"
    yaml_keys = ("preset", *_WEIGHTS)
    grammar = r"""
preferences_rule: "preferences" WORD? preferences_weight*
preferences_weight: "tax" quantity       -> preferences_tax
                  | "tracking" quantity  -> preferences_tracking
                  | "cost" quantity      -> preferences_cost
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for child in tree.children:
            if not hasattr(child, "data"):
                fields["preset"] = str(child)
                continue
            key = str(child.data).removeprefix("preferences_")
            if key in fields:
                reader.fail("P212", f"`{key}` given twice in one preferences rule", child, "keep one")
            fields[key] = reader.quantity(child.children[0], (Unit.NUMBER,), f"the {key} weight")
        if not fields:
            reader.fail("P205", "preferences need a preset or weights", tree,
                        "e.g. `preferences balanced` or `preferences tax 2 tracking 1 cost 1`")
        return fields

    def format(self, node: PreferencesNode) -> str:
        parts = ["preferences"] + ([node.preset] if node.preset else [])
        parts += [f"{key} {format_quantity(q)}" for key in _WEIGHTS if (q := getattr(node, key))]
        return " ".join(parts)

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        preset = fields.scalar("preset")
        out = {"preset": preset.value if preset else None,
               **{key: fields.quantity(key, (Unit.NUMBER,), f"the {key} weight") for key in _WEIGHTS}}
        if preset is not None and WORD_PATTERN.fullmatch(preset.value) is None:
            fail("P208", f"`{preset.value}` is not a preset name", preset.span,
                 "presets: " + ", ".join(PRESETS))
        if not any(out.values()):
            fail("P205", "`preferences` needs a `preset` or weights (tax, tracking, cost)", fields.span)
        return out

    def to_yaml(self, node: PreferencesNode) -> dict[str, Any]:
        out: dict[str, Any] = {"preset": node.preset} if node.preset else {}
        for key in _WEIGHTS:
            q = getattr(node, key)
            if q is not None:
                out[key] = int(q.value) if q.value == q.value.to_integral_value() else float(q.value)
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    def lower(self, rule: PreferencesIR, block: Block, model: AccountModel) -> Contribution:
        """The objective: tax + tracking + trading cost, each in basis points of account value and
        scaled by its weight, and for a taxable account the value of losses carried to next year
        (`carryforward_value`, at the tax weight). The core prices each term (`AccountModel.tax_cost`,
        `carryforward_value`, `tracking_penalty`, `trading_cost`) but adds none of them: a checked
        policy always carries exactly one preferences rule (the balanced default when it says
        nothing), so the trade-off has one home. The weights go into the model's `objective_weight`
        Params at assembly; rules pricing a term in tax units (harvest, gift) reference those Params,
        so they scale with the tax weight whichever order the rules are lowered in."""
        from solver.contribution import Contribution

        contribution = Contribution()
        weights = model.m.objective_weight
        for term, weight, cost in (("tax", rule.tax_weight, model.tax_cost),
                                   ("tracking", rule.tracking_weight, model.tracking_penalty),
                                   ("cost", rule.cost_weight, model.trading_cost)):
            contribution.objective_weights[term] = weight
            contribution.add_objective(f"{rule.id}.{term}", weights[term] * cost())
        if model.data.taxable:
            # Its own term, priced in tax units: the tax term stays the reported estimated tax.
            contribution.add_objective(f"{rule.id}.carryforward", weights["tax"] * model.carryforward_value())
        if model.data.household:  # where each name's dividends are taxed, priced in tax units too
            contribution.add_objective(f"{rule.id}.asset_location",
                                       weights["tax"] * model.asset_location_cost())
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def verify(self, rule: PreferencesIR, outcome: Outcome) -> list[Violation]:
        """Preferences rank feasible answers; they forbid none, so there is nothing to violate. The
        figures they trade off are reported by `explain`."""
        return []

    def explain(self, rule: PreferencesIR, outcome: Outcome) -> list[str]:
        from solver.tax import to_cents

        name = f"{rule.preset} preset" if rule.preset else "explicit weights"
        traded = sum((t.amount for t in outcome.buys), Decimal(0)) + sum(
            (s.trade.amount for s in outcome.sales), Decimal(0))
        return [f"objective weights tax {rule.tax_weight:g}, tracking {rule.tracking_weight:g}, cost "
                f"{rule.cost_weight:g} ({name}): estimated tax ${to_cents(outcome.estimated_tax):,}, "
                f"tracking error {outcome.tracking_error_before:.2%} → {outcome.tracking_error_after:.2%}, "
                f"${to_cents(traded):,} traded"]

    def default(self) -> PreferencesNode:
        return PreferencesNode(preset="balanced", span=DEFAULT_SPAN, reason="default: balanced preset")

    def compare(self, old: PreferencesNode, new: PreferencesNode) -> Change:
        return Change.SAME if old == new else Change.CHANGED

    def check(self, node: PreferencesNode, ctx: CheckContext) -> PreferencesIR | None:
        base = PRESETS["balanced"]
        if node.preset is not None:
            if node.preset not in PRESETS:
                ctx.error("P306", f"unknown preferences preset `{node.preset}`", node.span,
                          did_you_mean(node.preset, list(PRESETS)) or "presets: " + ", ".join(PRESETS))
                return None
            base = PRESETS[node.preset]
        weights = []
        for key, default in zip(_WEIGHTS, base, strict=True):
            q = getattr(node, key)
            if q is not None and q.value < 0:
                ctx.error("P403", f"the {key} weight cannot be negative", q.span, "use 0 to ignore it")
                return None
            weights.append(float(q.value) if q is not None else default)
        if not any(weights):
            ctx.error("P409", "all preference weights are zero: nothing to optimise", node.span,
                      "give at least one positive weight")
            return None
        return PreferencesIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                             preset=node.preset, tax_weight=weights[0], tracking_weight=weights[1],
                             cost_weight=weights[2])
