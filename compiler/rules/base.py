"""`RuleKind`: everything about one kind of rule, in one place.

A rule kind module (`compiler/rules/<kind>.py`) defines an AST node class, an IR class and one
`RuleKind` subclass holding: the DSL grammar fragment and tree → node builder, DSL formatting, the YAML
shape (reader and writer), comparison of two versions (for layering and `tailor diff`), checking
(node → IR against the security master), and — for the optimizer side — lowering to a Pyomo Block,
the independent verifier check and the explanation text. Registering the instance in
`compiler/rules/__init__.py: RULE_KINDS` is all it takes to add a kind.

Pyomo and the solver are imported only for type checking here, so `tailor check` stays fast.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from compiler.ir import RuleIR
from core.diagnostics import Span
from policy_lang.ast import Quantity, RuleNode
from policy_lang.syntax import Change, SyntaxErrorExample

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    import pandas
    import pyomo.environ
    from lark import Tree

    import solver.account
    import solver.contribution
    import solver.model
    import solver.verify
    from compiler.check import CheckContext
    from compiler.claims import Claim
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields

# The span of a rule the policy does not state (a kind's `default`): `<default>` in messages.
DEFAULT_SPAN = Span(file="<default>", line=1, column=1, end_line=1, end_column=1)

N = TypeVar("N", bound=RuleNode)
I = TypeVar("I", bound=RuleIR)  # noqa: E741 - the conventional name for the IR type parameter


class RuleKind(ABC, Generic[N, I]):
    """One kind of rule. Subclasses set the class attributes and implement the methods."""

    name: ClassVar[str]  # "restrict_buying": YAML key, IR `kind`, prefix of grammar rules
    keyword: ClassVar[str]  # "restrict buying": how the DSL statement starts (for messages/docs)
    node_type: ClassVar[type[RuleNode]]
    ir_type: ClassVar[type[RuleIR]]
    grammar: ClassVar[str]  # lark fragment defining `<name>_rule` (and helpers prefixed <name>_)
    yaml_keys: ClassVar[tuple[str, ...]]  # keys allowed in the kind's YAML mapping
    summary: ClassVar[str]  # one line for docs and `--help`
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {}  # labelled examples (policy_lang.syntax)
    # Lots may leave the account in kind (no sale, no cash) only when a rule of a kind that says so is in
    # the policy; the verifier rejects any other transfer out.
    moves_lots_out: ClassVar[bool] = False
    # Checked before every other kind, so their checks can use what it resolved (the target: the
    # model's universe informs the warnings of rules naming names outside it).
    checked_first: ClassVar[bool] = False

    # ---- syntax -------------------------------------------------------------------------------
    @abstractmethod
    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        """Fields of the node from the `<name>_rule` parse tree (id/reason/locked/span are added)."""

    @abstractmethod
    def format(self, node: N) -> str:
        """Canonical DSL text of the rule body, e.g. `cap AAPL at 10% over 3 years`."""

    @abstractmethod
    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        """Fields of the node from the kind's YAML mapping."""

    @abstractmethod
    def to_yaml(self, node: N) -> dict[str, Any]:
        """Plain YAML data (str/bool/int/float/list/dict) of the kind's mapping."""

    # ---- meaning ------------------------------------------------------------------------------
    def generated_id(self, node: N) -> str:
        """Id of a rule that has none: kind plus subject, so layers override the same rule."""
        key = node.subject_key()
        return f"{self.name}-{key}" if key else self.name

    def default(self) -> N | None:
        """The rule in force when a policy says nothing about this kind (None: no rule)."""
        return None

    @abstractmethod
    def compare(self, old: N, new: N) -> Change:
        """Is `new` tighter, looser, the same, or a different rule than `old`?"""

    def claims(self, rule: I) -> list[Claim]:
        """What the rule says about holding names (caps, floors, forced sales, frozen names), for the
        contradiction check (compiler/contradictions.py); none by default."""
        return []

    @abstractmethod
    def check(self, node: N, ctx: CheckContext) -> I | None:
        """Resolve names and normalise units; report problems on ctx; None when unusable."""

    def check_account(self, rule: I, account: solver.account.Account) -> None:
        """Refuse (TailorError) an account whose inputs this rule cannot honour as written — e.g. an
        account's own target under a locked target rule — before any market data is loaded."""

    def started(self, rule: I, first_day: date, weight_of: Callable[[tuple[str, ...]], Decimal]) -> I:
        """The rule as a run of rebalances from `first_day` (a simulation) carries it from step to step:
        state the rule reads on its first day is fixed in the IR (a glide path's starting weight,
        `weight_of(tickers)` before that day's rebalance), and a rule that cannot hold from that day is
        refused (TailorError) before the first step. Most rules carry nothing."""
        return rule

    # ---- optimizer side (implemented in each rule module by the solver work) ---------------------
    # What a rule declares for the others is read from every rule before any is lowered
    # (compiler/lower.py), so no lowering depends on the order of the policy's rules.
    def target_weights(self, rule: I, model: solver.model.AccountModel) -> pandas.Series | None:
        """The target weights the rule sets (None: it sets none; the target kind does)."""
        return None

    def forbidden_buys(self, rule: I, model: solver.model.AccountModel) -> list[int]:
        """Universe positions of the names the rule keeps the account from buying, from the IR, the
        account, the market and the target: every lowering sees the whole set."""
        return []

    def minimum_trade(self, rule: I, model: solver.model.AccountModel) -> float | None:
        """The smallest buy or sale the rule allows, as a fraction of the account (None: no minimum),
        declared before any rule is lowered: a wash sale's share-for-share rows state valid
        inequalities over the minimum-trade binaries."""
        return None

    def cash_flow(self, rule: I) -> Decimal:
        """The deposit (positive) or withdrawal (negative) the rule makes with this rebalance: every
        rule's rows see the account after its flows."""
        return Decimal(0)

    def transfer(self, rule: I, model: solver.model.AccountModel) -> solver.contribution.Transfer | None:
        """Securities the rule moves out of the account in kind (a gift of shares); None: none."""
        return None

    def not_per_account(self, rule: I) -> str | None:
        """Why the rule cannot govern one account of a household model, as that account's own policy
        states it (None: it can). A kind that can lowers and verifies through `RuleScope` alone
        (solver/account_scope.py), so its rows read the account's lots, buys, cash and value when its
        `lower` is handed an account's scope, and its `verify` is given the account's own outcome."""
        return f"household mode applies a `{self.keyword}` rule to the household as one, not to one account"

    def lower(self, rule: I, block: pyomo.environ.Block,
              model: solver.model.AccountModel) -> solver.contribution.Contribution:
        """Write this rule's variables and rows into `block` — referencing the base model's variables,
        changing nothing outside the Block — and return what it adds to the shared model (objective
        terms, gain terms, lazy binary groups, whole shares), which the assembler applies."""
        raise NotImplementedError(f"rule kind {self.name!r} has no lowering yet")

    def verify(self, rule: I, outcome: solver.verify.Outcome) -> list[solver.verify.Violation]:
        """Independent check of a solved outcome against this rule: the rule's meaning re-derived from
        the IR, with the verifier's tax law (`solver.verify_law`) and helpers of its own — no helper
        of `lower`, nothing of the optimizer (`tests/verify/test_independence.py`)."""
        raise NotImplementedError(f"rule kind {self.name!r} has no verifier check yet")

    def explain(self, rule: I, outcome: solver.verify.Outcome) -> list[str]:
        """Plain-language lines on how this rule shaped the outcome."""
        raise NotImplementedError(f"rule kind {self.name!r} has no explanation yet")

    def alternatives(self, rule: I) -> list[tuple[str, I]]:
        """Other forms of the rule an advisor could choose instead of loosening its limit (a cap
        spread over years), mildest change first, each with a phrase where `{rule}` stands for the
        rule's citation. When rules conflict, explanations re-solve with each and offer the first
        under which the whole policy holds."""
        return []


def years_after(day: date, years: int) -> date:
    """The same calendar day `years` later (28 February for 29 February): where a glide path that
    starts on `day` ends (the lowering's reading; each verifier computes its own)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def day_or_none(quantity: Quantity | None) -> float | None:
    """A date quantity as a number that orders like the date (for `compare_bound`)."""
    from datetime import date

    if quantity is None or not quantity.text:
        return None
    return float(date.fromisoformat(quantity.text).toordinal())


def fraction_or_none(quantity: Quantity | None) -> float | None:
    """A percentage quantity as a fraction (0.10 for 10%); None for no limit."""
    return None if quantity is None else quantity.fraction


def compare_bound(old: float | None, new: float | None, *, upper: bool) -> Change:
    """Compare one limit. For an upper bound (a cap) smaller is tighter; for a lower bound larger is.
    None means "no limit"."""
    if old == new:
        return Change.SAME
    if old is None:
        return Change.TIGHTER
    if new is None:
        return Change.LOOSER
    tighter = new < old if upper else new > old
    return Change.TIGHTER if tighter else Change.LOOSER


def combine(*changes: Change) -> Change:
    """Several aspects of one rule: all same → same; only tighter/same → tighter; etc."""
    found = {c for c in changes if c is not Change.SAME}
    if not found:
        return Change.SAME
    if found == {Change.TIGHTER}:
        return Change.TIGHTER
    if found == {Change.LOOSER}:
        return Change.LOOSER
    return Change.CHANGED
