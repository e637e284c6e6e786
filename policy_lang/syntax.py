"""What the language needs of a rule kind: its grammar, how it reads and prints, how versions compare.

The kinds themselves live in `compiler/rules/` (each kind's syntax, checks, lowering and verifier check
in one module) and lower into solver's model, so they sit above this package. Every entry point here
that depends on the kinds (parsing, printing, layering, diffing) takes them as an argument, `kinds`;
`compiler.language` binds tailor's own table to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from lark import Tree

    from policy_lang.ast import RuleNode
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields


class Change(StrEnum):
    """How a new version of a rule relates to the old one; decides layering and `tailor diff`."""

    SAME = "unchanged"
    TIGHTER = "tightened"
    LOOSER = "loosened"
    CHANGED = "changed"  # neither tighter nor looser (e.g. a different benchmark); treated as loosening


# (code, message, hint, example statements that fail the same way): lark's `match_examples` names a
# syntax error by the example whose parser state it shares.
SyntaxErrorExample = tuple[str, str, str, list[str]]


class RuleSyntax(Protocol):
    """A rule kind as the language sees it (`compiler.rules.base.RuleKind` implements it)."""

    keyword: ClassVar[str]  # how the DSL statement starts, e.g. "restrict buying"
    grammar: ClassVar[str]  # lark fragment defining `<name>_rule`
    node_type: ClassVar[type[RuleNode]]
    yaml_keys: ClassVar[tuple[str, ...]]
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]]  # the kind's own syntax errors, by label

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]: ...
    def format(self, node: Any) -> str: ...
    def from_yaml(self, fields: Fields) -> dict[str, Any]: ...
    def to_yaml(self, node: Any) -> dict[str, Any]: ...
    def generated_id(self, node: Any) -> str: ...
    def compare(self, old: Any, new: Any) -> Change: ...


RuleKinds = Mapping[str, RuleSyntax]  # by kind name ("restrict_buying"), in grammar order
