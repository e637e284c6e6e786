"""YAML with positions: every mapping, sequence and scalar keeps its Span.

Reading uses a safe-loader subclass and stops at the node graph (`compose`): nothing is constructed
from tags, so no object can be built from a policy. Aliases and non-standard tags are refused (a
policy needs neither, and aliases allow exponential "billion laughs" documents). Nesting depth and
collection sizes are bounded.

Policies and account files share the reader; a `YamlDialect` gives each its own diagnostic codes
and words (P1xx for a policy, A1xx for `account.yaml`), so a policy's messages stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import yaml

from core.diagnostics import Related, Span, TailorError, error
from core.limits import MAX_LIST_ITEMS, MAX_NESTING

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
}


@dataclass(frozen=True)
class YamlDialect:
    """Who is reading: the codes and words of the reader's diagnostics."""

    document: str  # "a policy", "an account file": ends "… is not allowed in {document}"
    plural: str  # "policies", "account files": "{plural} are plain data"
    syntax: str  # invalid YAML, a character YAML does not allow
    refused: str  # an alias or a non-standard tag
    key: str  # a mapping key that is not a plain word
    duplicate: str  # a key given twice in one mapping
    nesting: str  # nested too deep
    size: str  # too many entries in one collection
    shape: str  # hint: how deep a document of this kind goes
    # Point a duplicate key's diagnostic at the first one as well (a note with its line). Policies
    # keep their message as it was; account files name both lines (issue 10).
    note_first: bool = False


POLICY = YamlDialect(document="a policy", plural="policies", syntax="P110", refused="P111", key="P112",
                     duplicate="P113", nesting="P120", size="P121",
                     shape="a policy needs only a few levels: rules → rule → fields")


@dataclass(frozen=True)
class _Positioned:
    """Where a node is; the Span is built only when a diagnostic or an AST node asks for it."""

    file: str
    start: yaml.Mark
    end: yaml.Mark

    @cached_property
    def span(self) -> Span:
        line, column = self.start.line + 1, self.start.column + 1
        end_line, end_column = self.end.line + 1, self.end.column + 1
        if (end_line, end_column) <= (line, column):
            end_line, end_column = line, column + 1
        return Span(file=self.file, line=line, column=column, end_line=end_line, end_column=end_column)


@dataclass(frozen=True)
class YScalar(_Positioned):
    value: str  # the text as written (quotes removed)
    tag: str  # resolved the safe_load way: "str", "int", "float", "bool", "null", "timestamp"

    def describe(self) -> str:
        return f"`{self.value}`" if self.tag != "null" else "an empty value"


@dataclass(frozen=True)
class YSeq(_Positioned):
    items: tuple[YNode, ...]


@dataclass(frozen=True)
class YMap(_Positioned):
    items: tuple[tuple[YScalar, YNode], ...]
    index: dict[str, YNode] = field(default_factory=dict, compare=False)

    def get(self, key: str) -> YNode | None:
        return self.index.get(key)


YNode = YScalar | YSeq | YMap


class PositionedLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml's when installed). We only compose the node graph, which keeps
    every node's position, and never construct Python objects from it."""


def _check_events(text: str, file: str, dialect: YamlDialect) -> None:
    """Bound nesting and refuse aliases on the flat event stream first: composing a deeply nested
    document recurses (and libyaml's composer can overflow the C stack), and an alias is best shown
    where it is used (`*a`), not where its anchor is."""
    loader = PositionedLoader(text)
    depth = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, yaml.AliasEvent):
            start, end = event.start_mark, event.end_mark
            raise TailorError(error(dialect.refused, f"aliases (*name) are not allowed in {dialect.document}",
                                    Span.point(file, start.line + 1, start.column + 1,
                                               end.column - start.column if end.line == start.line else 1),
                                    f"write the value out; {dialect.plural} are plain data"))
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                mark = event.start_mark
                raise TailorError(error(dialect.nesting, f"YAML nested more than {MAX_NESTING} levels deep",
                                        Span.point(file, mark.line + 1, mark.column + 1), dialect.shape))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_yaml(text: str, file: str, dialect: YamlDialect = POLICY) -> YNode | None:
    """Parse one YAML document into positioned nodes; None for an empty document."""
    try:
        _check_events(text, file, dialect)
        loader = PositionedLoader(text)
        root = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise TailorError(error(dialect.syntax, f"character U+{exc.character:04X} is not allowed in YAML",
                                Span.point(file, line, column), "remove it or write it inside a quoted "
                                "string as an escape")) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        lines = text.splitlines() or [""]
        if line > len(lines):  # at the end of the stream: point just past the last line's text
            line, col = len(lines), len(lines[-1]) + 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise TailorError(error(dialect.syntax, f"YAML syntax error: {problem}", Span.point(file, line, col),
                                "check indentation, colons and quotes around this point")) from None
    except yaml.YAMLError as exc:
        raise TailorError(error(dialect.syntax, f"YAML syntax error: {exc}",
                                Span.point(file, 1, 1))) from None
    return None if root is None else _convert(root, file, 0, set(), dialect)


def _convert(node: yaml.Node, file: str, depth: int, seen: set[int], dialect: YamlDialect) -> YNode:
    where = (file, node.start_mark, node.end_mark)
    span = _Positioned(*where).span if depth > MAX_NESTING or id(node) in seen else None
    if id(node) in seen:  # composing resolves an alias to the anchored node itself
        raise TailorError(error(dialect.refused, f"aliases (*name) are not allowed in {dialect.document}",
                                span, f"write the value out; {dialect.plural} are plain data"))
    seen.add(id(node))
    if depth > MAX_NESTING:
        raise TailorError(error(dialect.nesting, f"YAML nested more than {MAX_NESTING} levels deep", span,
                                dialect.shape))
    if node.tag not in _STANDARD_TAGS:
        raise TailorError(error(dialect.refused, f"YAML tag `{_shown(node.tag)}` is not allowed in "
                                f"{dialect.document}", _Positioned(*where).span,
                                f"remove the `!tag`; {dialect.plural} are data and use plain YAML values"))
    if isinstance(node, yaml.ScalarNode):
        return YScalar(*where, value=node.value, tag=node.tag.rsplit(":", 1)[-1])
    if len(node.value) > MAX_LIST_ITEMS:
        raise TailorError(error(dialect.size, f"more than {MAX_LIST_ITEMS} entries in one YAML collection",
                                _Positioned(*where).span, "split the list or reference a file"))
    if isinstance(node, yaml.SequenceNode):
        items = tuple(_convert(item, file, depth + 1, seen, dialect) for item in node.value)
        return YSeq(*where, items=items)
    items: list[tuple[YScalar, YNode]] = []
    index: dict[str, YNode] = {}
    for key_node, value_node in node.value:
        key = _convert(key_node, file, depth + 1, seen, dialect)
        if not isinstance(key, YScalar):
            raise TailorError(error(dialect.key, "mapping keys must be plain words", key.span))
        if key.value in index:
            first = next(k for k, _ in items if k.value == key.value)
            if not dialect.note_first:
                raise TailorError(error(dialect.duplicate, f"key `{_shown(key.value)}` appears twice in this "
                                        "mapping", key.span, "keep one; YAML would silently use the last"))
            raise TailorError(error(
                dialect.duplicate, f"key `{_shown(key.value)}` appears twice in this mapping: on line "
                f"{first.span.line} and on line {key.span.line}", key.span,
                "keep one; YAML would silently use the last, and tailor does not guess which you meant",
                (Related(message=f"`{_shown(key.value)}` first given here", span=first.span),)))
        value = _convert(value_node, file, depth + 1, seen, dialect)
        items.append((key, value))
        index[key.value] = value
    return YMap(*where, items=tuple(items), index=index)


def _shown(text: str, limit: int = 60) -> str:
    """A name from the document, cut short for a message: a 40 MB key is not repeated back."""
    return text if len(text) <= limit else text[:limit] + "…"
