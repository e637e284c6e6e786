"""restrict buying — never buy named tickers, an employer's competitors, or held-away positions.

    restrict buying TSLA, NVDA
    restrict buying competitors of AAPL                  # same GICS sub-industry
    restrict buying competitors of JPM by industry       # or: by sector
    restrict buying held away AMZN, GOOGL                # names the client owns elsewhere
    restrict buying held away file "held_away.csv"       # a CSV with a `ticker` column
    restrict buying outside target                       # only names the target holds may be bought

`outside target` is for model mandates: a 100-name model would otherwise need the other ~400 index
names listed. Which names are outside is decided when the policy is applied, not when it is checked:
the target (an S&P 500 target's members on the as-of date, a model file, or the account's own
target, with tilts) is only known then. Lowering reads the target the `target` rule has set on the
model (set before any rule is lowered), and the verifier checks every buy against the target it
verified independently (V201), so the two checks together do not trust the optimizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.claims import Claim, Says
from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind
from policy_lang.ast import RuleNode, Subject, Text
from policy_lang.formatting import format_subject, quote, subject_to_yaml
from policy_lang.syntax import SyntaxErrorExample
from policy_lang.yaml_fields import SUBJECT_KEYS, fail

if TYPE_CHECKING:
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account_scope import RuleScope
    from solver.contribution import Contribution
    from solver.verify import Outcome, Violation

Level = Literal["sub_industry", "industry", "sector"]
LEVELS: tuple[str, ...] = ("sub_industry", "industry", "sector")  # narrow → broad


class RestrictBuyingNode(RuleNode):
    kind: ClassVar[str] = "restrict_buying"
    subject: Subject | None = None
    competitors_of: Subject | None = None  # tickers of the employer(s)
    level: Level = "sub_industry"
    held_away: Subject | None = None
    held_away_file: Text | None = None
    outside_target: bool = False  # every name with zero target weight

    def subject_key(self) -> str:
        if self.outside_target:
            return "outside-target"
        if self.competitors_of is not None:
            return "competitors-" + self.competitors_of.slug()
        if self.held_away is not None or self.held_away_file is not None:
            return "held-away"
        return self.subject.slug() if self.subject else ""


class RestrictBuyingIR(RuleIR):
    kind: Literal["restrict_buying"] = "restrict_buying"
    subject: str
    tickers: tuple[str, ...]  # empty for `outside target`: the names are known only with the market
    outside_target: bool = False


class RestrictBuying(RuleKind[RestrictBuyingNode, RestrictBuyingIR]):
    name = "restrict_buying"
    keyword = "restrict buying"
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "restrict": ("P115", "say whether buying or selling is restricted",
                     "write `restrict buying …` or `restrict selling …`",
                     ["restrict AAPL\n", "restrict buy AAPL\n", "restrict\n"])}
    node_type = RestrictBuyingNode
    ir_type = RestrictBuyingIR
    summary = ("never buy: tickers, an employer's competitors, positions held away, or names outside "
               "the target")
    yaml_keys = (*SUBJECT_KEYS, "competitors_of", "level", "held_away", "held_away_file", "outside_target")
    grammar = r"""
restrict_buying_rule: "restrict" "buying" restrict_buying_what
restrict_buying_what: subject                                                -> restrict_buying_subject
    | "competitors" "of" ticker_list restrict_buying_level?                  -> restrict_buying_competitors
    | "held" "away" ticker_list                                              -> restrict_buying_held_away
    | "held" "away" "file" STRING                                            -> restrict_buying_held_away_file
    | "outside" "target"                                                     -> restrict_buying_outside_target
restrict_buying_level: "by" "sub-industry"  -> restrict_buying_by_sub_industry
                     | "by" "industry"      -> restrict_buying_by_industry
                     | "by" "sector"        -> restrict_buying_by_sector
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        what = reader.trees(tree)[0]
        form = str(what.data).removeprefix("restrict_buying_")
        if form == "outside_target":
            return {"outside_target": True}
        first = what.children[0]
        if form == "subject":
            return {"subject": reader.subject(first)}
        if form == "held_away_file":
            return {"held_away_file": reader.text(first)}
        tickers = Subject(kind="tickers", names=reader.tickers(first), span=reader.span(first))
        if form == "held_away":
            return {"held_away": tickers}
        level = reader.trees(what)[1:]
        return {"competitors_of": tickers,
                "level": str(level[0].data).removeprefix("restrict_buying_by_") if level else "sub_industry"}

    def format(self, node: RestrictBuyingNode) -> str:
        if node.outside_target:
            return "restrict buying outside target"
        if node.competitors_of is not None:
            level = "" if node.level == "sub_industry" else f" by {node.level}"
            return f"restrict buying competitors of {format_subject(node.competitors_of)}{level}"
        if node.held_away is not None:
            return f"restrict buying held away {format_subject(node.held_away)}"
        if node.held_away_file is not None:
            return f"restrict buying held away file {quote(node.held_away_file.value)}"
        assert node.subject is not None
        return f"restrict buying {format_subject(node.subject)}"

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        found = {"competitors_of": fields.tickers("competitors_of"), "held_away": fields.tickers("held_away"),
                 "held_away_file": fields.text("held_away_file"), "subject": fields.subject(required=False),
                 # `outside_target: false` says nothing, like leaving the key out
                 "outside_target": fields.boolean("outside_target") or None}
        given = {k: v for k, v in found.items() if v is not None}
        if len(given) != 1:
            fail("P209", "`restrict_buying` takes exactly one of: a subject (ticker, tickers, sector, …), "
                 "competitors_of, held_away, held_away_file, outside_target: true", fields.span)
        level = fields.choice("level", LEVELS)
        if level is not None and "competitors_of" not in given:
            fail("P209", "`level` applies only to `competitors_of`", fields.span)
        return {**given, "level": level or "sub_industry"}

    def to_yaml(self, node: RestrictBuyingNode) -> dict[str, Any]:
        if node.outside_target:
            return {"outside_target": True}
        if node.competitors_of is not None:
            out: dict[str, Any] = {"competitors_of": _one_or_list(node.competitors_of)}
            if node.level != "sub_industry":
                out["level"] = node.level
            return out
        if node.held_away is not None:
            return {"held_away": _one_or_list(node.held_away)}
        if node.held_away_file is not None:
            return {"held_away_file": node.held_away_file.value}
        assert node.subject is not None
        return subject_to_yaml(node.subject)

    # ---- optimizer side -----------------------------------------------------------------------
    @staticmethod
    def barred(rule: RestrictBuyingIR, model: RuleScope) -> tuple[str, ...]:
        if rule.outside_target:
            return _outside_target(model.data.tickers, model.target_weights)
        return rule.tickers

    def not_per_account(self, rule: RestrictBuyingIR) -> str | None:
        return None  # no buys of the names in that account

    def forbidden_buys(self, rule: RestrictBuyingIR, model: RuleScope) -> list[int]:
        return model.ids(self.barred(rule, model))

    def lower(self, rule: RestrictBuyingIR, block: Block, model: RuleScope) -> Contribution:
        from solver.contribution import Contribution

        contribution = Contribution()
        model.add(block, "no_buy", model.bought_of(self.barred(rule, model)), upper=0)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def verify(self, rule: RestrictBuyingIR, outcome: Outcome) -> list[Violation]:
        from solver.verify import Violation

        if rule.outside_target:
            # `outcome.target` is the target the optimizer tracked; the target rule's own check
            # (V201) rebuilds it from the policy, the account and the market and compares.
            return [Violation(code="V204", message=f"bought {t.shares} shares of {t.ticker}, which is "
                              "not in the target (zero target weight)")
                    for t in outcome.buys if outcome.target.get(t.ticker, 0.0) <= 0.0]
        return [Violation(code="V204", message=f"bought {t.shares} shares of restricted {t.ticker}")
                for t in outcome.bought(rule.tickers)]

    def explain(self, rule: RestrictBuyingIR, outcome: Outcome) -> list[str]:
        if rule.outside_target:
            outside = sorted(set(outcome.shares_after) - {t for t, w in outcome.target.items() if w > 0})
            held = outcome.weight_after(outside)
            return [f"no buying outside the target ({len(outcome.target)} names in it): none bought; "
                    f"{held:.2%} of the account held outside it after the trades"]
        held = outcome.weight_after(rule.tickers)
        return [f"no buying {rule.subject} ({len(rule.tickers)} names): none bought; "
                f"{held:.2%} of the account held in them after the trades"]

    def compare(self, old: RestrictBuyingNode, new: RestrictBuyingNode) -> Change:
        if old == new:
            return Change.SAME
        if old.outside_target or new.outside_target:
            # "outside the target" and a list of names are neither subset nor superset of each other
            # until the target is known (it may change with the as-of date or the account)
            return Change.SAME if old.outside_target == new.outside_target else Change.CHANGED
        if old.competitors_of == new.competitors_of and old.competitors_of is not None:
            broader = LEVELS.index(new.level) > LEVELS.index(old.level)
            return Change.TIGHTER if broader else Change.LOOSER
        for a, b in ((old.subject, new.subject), (old.held_away, new.held_away)):
            if a is not None and b is not None and a.kind == b.kind == "tickers":
                if set(a.names) < set(b.names):
                    return Change.TIGHTER
                if set(a.names) > set(b.names):
                    return Change.LOOSER
        return Change.CHANGED

    def claims(self, rule: RestrictBuyingIR) -> list[Claim]:
        return [Claim(Says.NO_BUYING, rule.tickers, rule.subject, rule.id, rule.span)]

    def check(self, node: RestrictBuyingNode, ctx: CheckContext) -> RestrictBuyingIR | None:
        if node.outside_target:
            return RestrictBuyingIR(id=ctx.rule_id(node), span=node.span, reason=node.reason,
                                    locked=node.locked, subject="names outside the target", tickers=(),
                                    outside_target=True)
        if node.competitors_of is not None:
            employers = ctx.resolve(node.competitors_of)
            if employers is None:
                return None
            tickers = ctx.competitors(employers, node.level, node.competitors_of.span)
            label = node.level.replace("_", "-")
            subject = f"competitors of {', '.join(employers)} (same {label})"
        elif node.held_away_file is not None:
            found = ctx.ticker_file(node.held_away_file)
            if found is None:
                return None
            tickers, subject = found, f"held away ({node.held_away_file.value})"
        else:
            target = node.held_away or node.subject
            assert target is not None
            resolved = ctx.resolve(target)
            if resolved is None:
                return None
            tickers = resolved
            subject = ("held away " if node.held_away else "") + target.describe()
        return RestrictBuyingIR(id=ctx.rule_id(node), span=node.span, reason=node.reason,
                                locked=node.locked, subject=subject, tickers=tickers)


def _outside_target(tickers: Sequence[str], target: Sequence[float]) -> tuple[str, ...]:
    """The universe's names with zero target weight (the model's target, set before any lowering)."""
    if not any(w > 0.0 for w in target):
        # a policy from compile_policy always has a target rule (the default one), whose weights are
        # set before any rule is lowered; without one every name would count as outside
        raise ValueError("`restrict buying outside target` needs the policy's target rule")
    return tuple(t for t, w in zip(tickers, target, strict=True) if w <= 0.0)


def _one_or_list(subject: Subject) -> str | list[str]:
    return subject.names[0] if len(subject.names) == 1 else list(subject.names)
