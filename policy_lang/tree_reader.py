"""Reading lark parse trees into AST values, with spans: what rule-kind builders use."""

from __future__ import annotations

from typing import NoReturn

from lark import Token, Tree

from core.diagnostics import Span, TailorError, error
from policy_lang.ast import Quantity, Subject, Text, Unit
from policy_lang.quantities import expect_units, parse_quantity

_SUBJECT_KINDS = {
    "subject_tickers": "tickers",
    "subject_sector": "sector",
    "subject_industry": "industry",
    "subject_sub_industry": "sub_industry",
    "subject_category": "category",
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _edge(tree: Tree, first: bool) -> Token | None:
    for child in (tree.children if first else reversed(tree.children)):
        if isinstance(child, Token):
            return child
        found = _edge(child, first) if isinstance(child, Tree) else None
        if found is not None:
            return found
    return None


class TreeReader:
    """Span-aware accessors over a parse tree of one file."""

    def __init__(self, file: str):
        self.file = file
        self.statement_span = Span.point(file, 1, 1)  # the statement being built (set by the parser)

    def span(self, item: Tree | Token) -> Span:
        """A token's own span; a tree's from its first to its last named token. (Lark's position
        propagation would also cover keywords, but costs two thirds of the parse time; statement
        spans come from the source lines instead.) A tree of keywords only gets its statement's."""
        first, last = (item, item) if isinstance(item, Token) else (_edge(item, True), _edge(item, False))
        if first is None or last is None:
            return self.statement_span
        line, column = first.line or 1, first.column or 1
        return Span(file=self.file, line=line, column=column,
                                    end_line=last.end_line or line, end_column=last.end_column or column + 1)

    def fail(self, code: str, message: str, item: Tree | Token, hint: str | None = None) -> NoReturn:
        raise TailorError(error(code, message, self.span(item), hint))

    def string(self, token: Token) -> str:
        """A quoted DSL string without its quotes, escapes resolved (\\n \\t \\r \\" \\\\)."""
        body = str(token)[1:-1]
        out, escaped = [], False
        for ch in body:
            if escaped:
                out.append(_ESCAPES.get(ch, ch))
                escaped = False
            elif ch == "\\":
                escaped = True
            else:
                out.append(ch)
        return "".join(out)

    def text(self, token: Token) -> Text:
        return Text(value=self.string(token), span=self.span(token))

    def quantity(self, tree: Tree, units: tuple[Unit, ...], what: str) -> Quantity:
        token = tree.children[0]
        assert isinstance(token, Token)
        return expect_units(parse_quantity(str(token), self.span(token)), units, what)

    def tickers(self, tree: Tree) -> tuple[str, ...]:
        return tuple(str(tok) for tok in tree.children if isinstance(tok, Token))

    def subject(self, tree: Tree) -> Subject:
        kind = _SUBJECT_KINDS[str(tree.data)]
        span = self.span(tree)
        if kind == "tickers":
            return Subject(kind="tickers", names=self.tickers(tree.children[0]), span=span)
        if kind == "category":
            word, tier = tree.children
            return Subject(kind="category", names=(str(word),), tier=str(tier) if tier else None, span=span)
        return Subject(kind=kind, names=(self.string(tree.children[0]),), span=span)

    @staticmethod
    def trees(tree: Tree) -> list[Tree]:
        """Sub-trees only (clauses), skipping tokens and absent optionals."""
        return [child for child in tree.children if isinstance(child, Tree)]
