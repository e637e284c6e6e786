"""The text DSL (`*.tailor`): lark LALR grammar composed from the base and every rule kind's fragment.

    policy "Executive with concentrated employer stock"
    layer account
    extends "../firm.tailor"

    rule no-tobacco: locked exclude category tobacco because "firm policy"
    cap AAPL at 10% over 3 years
        sell only long-term lots      # an indented line continues the statement above

Syntax errors are reported for every bad line (the parser re-runs with the bad line blanked), each
with a message from the catalogue of common mistakes in `syntax_errors.py`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from core.diagnostics import Diagnostic, Span, TailorError, error
from core.limits import MAX_LINE, MAX_RULES, MAX_STRING
from core.paths import cache_dir
from core.suggest import did_you_mean
from policy_lang.ast import LAYERS, PolicyFile, RuleNode, Text
from policy_lang.syntax import RuleKinds
from policy_lang.syntax_errors import describe_syntax_error
from policy_lang.tree_reader import TreeReader

MAX_SYNTAX_ERRORS = 10


@lru_cache(maxsize=1)
def _base_grammar() -> str:
    return resources.files("policy_lang").joinpath("grammar.lark").read_text(encoding="utf-8")


def grammar_text(kinds: RuleKinds) -> str:
    """The shared grammar (headers, quantities, subjects) with each kind's `<name>_rule`."""
    base = _base_grammar()
    body = "?rule_body: " + "\n         | ".join(f"{name}_rule" for name in kinds)
    return "\n".join([base, body, *(kind.grammar for kind in kinds.values())])


@lru_cache(maxsize=4)
def _parser(grammar: str) -> Lark:
    # Building the LALR tables (with strict collision checks) takes ~0.5 s, most of a one-account run's
    # start-up; lark keeps them in the project's own cache (not the shared temp dir: the file is a
    # pickle) and loads them only when the grammar, the options and lark's version hash the same.
    return Lark(grammar, parser="lalr", lexer="contextual", strict=True,
                propagate_positions=False, maybe_placeholders=True,
                cache=str(cache_dir() / "policy-grammar.lark-cache"))


def parse_dsl(text: str, file: str, *, kinds: RuleKinds) -> PolicyFile:
    """Parse DSL text into a PolicyFile; raises TailorError with every diagnostic found."""
    _check_lines(text, file)
    source = text if text.endswith("\n") else text + "\n"
    if not statement_spans(source, file):  # blank or comments only: as in YAML, not a default policy
        raise TailorError(error("P006", "the policy file is empty", Span.point(file, 1, 1),
                                'a policy has at least a `policy "name"` line, `extends` or rules'))
    diagnostics: list[Diagnostic] = []
    tree = None
    parser = _parser(grammar_text(kinds))
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            tree = parser.parse(source)
            break
        except UnexpectedInput as exc:
            diagnostics.append(describe_syntax_error(exc, source, file, parser, kinds))
            source = _blank_line(source, exc.line if exc.line and exc.line > 0 else source.count("\n"))
    if diagnostics or tree is None:
        raise TailorError(diagnostics)
    return _Builder(file, statement_spans(source, file), kinds).policy(tree)


_CODE = re.compile(r'(?:[^"#\n]|"(?:[^"\\\n]|\\.)*"?)*')  # a line up to its comment


def statement_spans(source: str, file: str) -> list[Span]:
    """Span of each header line and statement, in order, from the source lines: a statement starts
    on an unindented line and takes the indented lines below it, across comment lines but not
    blank lines (the lexer's continuation rule), without comments and trailing blanks."""
    spans: list[Span] = []
    previous_had_code = False
    for number, raw in enumerate(source.split("\n"), start=1):
        match = _CODE.match(raw)
        code = (match.group(0) if match else raw).rstrip(" \t\r")
        if not code.strip():
            previous_had_code = previous_had_code and raw.strip().startswith("#")  # comments: transparent
            continue
        if spans and previous_had_code and code[0] in " \t":
            spans[-1] = spans[-1].model_copy(update={"end_line": number, "end_column": len(code) + 1})
        else:
            column = len(code) - len(code.lstrip(" \t")) + 1
            spans.append(Span(file=file, line=number, column=column, end_line=number,
                                              end_column=len(code) + 1))
        previous_had_code = True
    return spans


def _check_lines(text: str, file: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            raise TailorError(error("P121", f"line {number} is longer than {MAX_LINE} characters",
                                    Span.point(file, number, 1), "split the statement over lines"))


def _blank_line(source: str, line: int) -> str:
    lines = source.split("\n")
    if 0 < line <= len(lines):
        lines[line - 1] = ""
    return "\n".join(lines)


class _Builder:
    """Parse tree → PolicyFile; collects every statement's diagnostics before raising."""

    def __init__(self, file: str, spans: list[Span], kinds: RuleKinds):
        self.file = file
        self.spans = spans
        self.reader = TreeReader(file)
        self.kinds = kinds

    def policy(self, tree: Tree) -> PolicyFile:
        fields: dict[str, Any] = {}
        rules: list[RuleNode] = []
        diagnostics: list[Diagnostic] = []
        children = [child for child in tree.children if isinstance(child, Tree)]
        for child, span in zip(children, self.spans, strict=False):
            self.reader.statement_span = span
            try:
                if child.data == "statement":
                    rules.append(self.statement(child, span))
                else:
                    self.header(child, fields)
            except TailorError as exc:
                diagnostics.extend(exc.diagnostics)
        if len(rules) > MAX_RULES:
            diagnostics.append(error("P121", f"more than {MAX_RULES} rules in one file",
                                     rules[MAX_RULES].span, "split the policy into layers"))
        if diagnostics:
            raise TailorError(diagnostics)
        end = self.spans[-1].end_line if self.spans else 1
        span = Span(file=self.file, line=1, column=1, end_line=end, end_column=1)
        return PolicyFile(file=self.file, rules=tuple(rules), span=span, **fields)

    def header(self, tree: Tree, fields: dict[str, Any]) -> None:
        key = str(tree.data).removeprefix("policy_")
        if key in fields:
            self.reader.fail("P213", f"`{'policy' if key == 'name' else key}` is given twice", tree,
                             "keep one header line of each kind")
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if key == "name":
            fields["name"] = self._bounded(tokens[0])
        elif key == "layer":
            layer = str(tokens[0])
            if layer not in LAYERS:
                self.reader.fail("P214", f"unknown layer `{layer}`", tokens[0],
                                 did_you_mean(layer, LAYERS) or "layers: " + ", ".join(LAYERS))
            fields["layer"] = layer
        else:
            fields["extends"] = tuple(Text(value=self._bounded(t), span=self.reader.span(t)) for t in tokens)

    def statement(self, tree: Tree, span: Span) -> RuleNode:
        label, locked, rule, because = tree.children
        assert isinstance(rule, Tree)
        kind = self.kinds[str(rule.data).removesuffix("_rule")]
        fields = kind.build(rule, self.reader)
        reason = self._bounded(because.children[0]) if isinstance(because, Tree) else None
        rule_id = str(label.children[0]) if isinstance(label, Tree) else None
        return kind.node_type(id=rule_id, reason=reason, locked=locked is not None, span=span, **fields)

    def _bounded(self, token: Token) -> str:
        value = self.reader.string(token)
        if len(value) > MAX_STRING:
            self.reader.fail("P122", f"string longer than {MAX_STRING} characters", token)
        return value
