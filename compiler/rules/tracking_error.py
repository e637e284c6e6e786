"""tracking error — at most x% ex-ante against the target; active-weight bands per security or group.

    tracking error at most 1.5%
    tracking error at most 2% band sector "Energy" -1% to +1% band AAPL -2% to +2%
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, combine, compare_bound, fraction_or_none
from policy_lang.ast import Node, Quantity, RuleNode, Subject
from policy_lang.formatting import format_subject, subject_to_yaml
from policy_lang.quantities import WEIGHT_UNITS, format_quantity, signed_weight
from policy_lang.syntax import SyntaxErrorExample
from policy_lang.yaml_fields import SUBJECT_KEYS, Fields, fail

if TYPE_CHECKING:
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from solver.contribution import Contribution
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation


class BandNode(Node):
    subject: Subject
    lower: Quantity
    upper: Quantity


class TrackingErrorNode(RuleNode):
    kind: ClassVar[str] = "tracking_error"
    max: Quantity | None = None
    bands: tuple[BandNode, ...] = ()

    def subject_key(self) -> str:
        return "" if self.max is not None else "bands-" + "-".join(b.subject.slug() for b in self.bands)


class Band(BaseModel):
    model_config = ConfigDict(frozen=True)
    subject: str
    tickers: tuple[str, ...]
    lower: float  # active weight of the subject (sum over its tickers), e.g. -0.02
    upper: float  # e.g. +0.02


class TrackingErrorIR(RuleIR):
    kind: Literal["tracking_error"] = "tracking_error"
    max_te: float | None  # annualised ex-ante tracking error as a fraction, e.g. 0.015
    bands: tuple[Band, ...] = ()


class TrackingError(RuleKind[TrackingErrorNode, TrackingErrorIR]):
    name = "tracking_error"
    keyword = "tracking error"
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "tracking": ("P106", "tracking error takes `at most X%` and/or `band …` clauses",
                     "write `tracking error at most 1.5%` or `tracking error band AAPL -2% to +2%`",
                     ["tracking error 2%\n", "tracking error\n", "tracking error max 2%\n"])}
    node_type = TrackingErrorNode
    ir_type = TrackingErrorIR
    summary = "ex-ante tracking error limit and active-weight bands"
    yaml_keys = ("max", "bands")
    grammar = r"""
tracking_error_rule: "tracking" "error" tracking_error_clause+
tracking_error_clause: "at" "most" quantity                -> tracking_error_max
                     | "band" subject quantity "to" quantity -> tracking_error_band
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        max_te, bands = None, []
        for clause in reader.trees(tree):
            if clause.data == "tracking_error_max":
                if max_te is not None:
                    reader.fail("P212", "`at most` given twice in one tracking error rule", clause)
                max_te = reader.quantity(clause.children[0], WEIGHT_UNITS, "a tracking error limit")
            else:
                subject, lower, upper = clause.children
                bands.append(BandNode(subject=reader.subject(subject), span=reader.span(clause),
                                      lower=reader.quantity(lower, WEIGHT_UNITS, "a band"),
                                      upper=reader.quantity(upper, WEIGHT_UNITS, "a band")))
        return {"max": max_te, "bands": tuple(bands)}

    def format(self, node: TrackingErrorNode) -> str:
        parts = ["tracking error"]
        if node.max is not None:
            parts.append(f"at most {format_quantity(node.max)}")
        text = " ".join(parts)
        bands = [f"band {format_subject(b.subject)} {signed_weight(b.lower)} to {signed_weight(b.upper)}"
                 for b in node.bands]
        return "\n    ".join([text, *bands])

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        bands = []
        for item in fields.maps("bands", "{sector: Energy, lower: -1%, upper: +1%}"):
            band = Fields(item, "band", (*SUBJECT_KEYS, "lower", "upper"))
            bands.append(BandNode(subject=band.subject(), span=item.span,
                                  lower=band.quantity("lower", WEIGHT_UNITS, "a band", required=True),
                                  upper=band.quantity("upper", WEIGHT_UNITS, "a band", required=True)))
            band.finish()
        max_te = fields.quantity("max", WEIGHT_UNITS, "a tracking error limit")
        if max_te is None and not bands:
            fail("P205", "`tracking_error` needs `max` (e.g. max: 1.5%) or `bands`", fields.span)
        return {"max": max_te, "bands": tuple(bands)}

    def to_yaml(self, node: TrackingErrorNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node.max is not None:
            out["max"] = format_quantity(node.max)
        if node.bands:
            out["bands"] = [{**subject_to_yaml(b.subject), "lower": signed_weight(b.lower),
                             "upper": signed_weight(b.upper)} for b in node.bands]
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    def lower(self, rule: TrackingErrorIR, block: Block, model: AccountModel) -> Contribution:
        from solver.contribution import Contribution

        contribution = Contribution()
        if rule.max_te is not None:
            # The model's variance is in %² and, thanks to the refined tangent cuts, within half a
            # basis point of the exact ex-ante figure (solver/tracking.py).
            model.add(block, "limit", model.m.variance, upper=(100.0 * rule.max_te) ** 2)
        for k, band in enumerate(rule.bands):
            if model.ids(band.tickers):
                model.add(block, f"band_{k}", model.active_of(band.tickers), lower=band.lower,
                          upper=band.upper)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def verify(self, rule: TrackingErrorIR, outcome: Outcome) -> list[Violation]:
        from solver.verify import TE_TOLERANCE, WEIGHT_TOLERANCE, Violation

        found = []
        if rule.max_te is not None and outcome.tracking_error_after > rule.max_te + TE_TOLERANCE:
            found.append(Violation(code="V209", message=f"tracking error {outcome.tracking_error_after:.4%} "
                                   f"exceeds the limit of {rule.max_te:.2%}"))
        for band in rule.bands:
            active = float(outcome.weight_after(band.tickers)) - outcome.target_of(band.tickers)
            if not band.lower - WEIGHT_TOLERANCE <= active <= band.upper + WEIGHT_TOLERANCE:
                found.append(Violation(code="V210", message=f"{band.subject} active weight {active:+.4%} "
                                       f"outside [{band.lower:+.2%}, {band.upper:+.2%}]"))
        return found

    def explain(self, rule: TrackingErrorIR, outcome: Outcome) -> list[str]:
        limit = f"limit {rule.max_te:.2%}" if rule.max_te is not None else "no overall limit"
        return [f"tracking error {outcome.tracking_error_after:.2%} ({limit}); {len(rule.bands)} band(s)"]

    def compare(self, old: TrackingErrorNode, new: TrackingErrorNode) -> Change:
        changes = [compare_bound(fraction_or_none(old.max), fraction_or_none(new.max), upper=True)]
        old_bands = {b.subject: b for b in old.bands}
        new_bands = {b.subject: b for b in new.bands}
        for subject in old_bands.keys() | new_bands.keys():
            a, b = old_bands.get(subject), new_bands.get(subject)
            if a is None or b is None:
                changes.append(Change.TIGHTER if a is None else Change.LOOSER)
            else:
                changes.append(compare_bound(a.upper.fraction, b.upper.fraction, upper=True))
                changes.append(compare_bound(a.lower.fraction, b.lower.fraction, upper=False))
        return combine(*changes)

    def check(self, node: TrackingErrorNode, ctx: CheckContext) -> TrackingErrorIR | None:
        max_te = ctx.weight(node.max, "a tracking error limit", positive=True) if node.max else None
        bands = []
        for band in node.bands:
            lower = ctx.weight(band.lower, "a band", signed=True)
            upper = ctx.weight(band.upper, "a band", signed=True)
            tickers = ctx.resolve(band.subject)
            if lower is None or upper is None or tickers is None:
                continue
            if lower > upper:
                ctx.error("P402", f"band {signed_weight(band.lower)} to {signed_weight(band.upper)} is "
                          "empty: the lower end is above the upper end", band.span, "swap the two ends")
                continue
            bands.append(Band(subject=band.subject.describe(), tickers=tickers, lower=lower, upper=upper))
        if max_te is not None and max_te > 0.10:
            ctx.warning("P451", f"a tracking error limit of {format_quantity(node.max)} is unusually "
                        "loose for an index-tracking account", node.max.span,  # type: ignore[union-attr]
                        "typical limits are 0.5% to 3%")
        return TrackingErrorIR(id=ctx.rule_id(node), span=node.span, reason=node.reason,
                               locked=node.locked, max_te=max_te, bands=tuple(bands))

