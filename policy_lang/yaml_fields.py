"""Typed access to one YAML mapping of a rule, with diagnostics for wrong shapes and unknown keys."""

from __future__ import annotations

import re
from typing import Any, NoReturn

from core.diagnostics import Span, TailorError, error
from core.limits import MAX_STRING
from core.suggest import did_you_mean
from core.yaml_reader import YMap, YScalar, YSeq
from policy_lang.ast import TIERS, Quantity, Subject, Text, Unit
from policy_lang.quantities import expect_units, parse_quantity

_EXAMPLES = {"ticker": "AAPL", "tickers": "[MO, PM]", "sector": "Energy", "industry": "Banks",
             "sub_industry": "Tobacco", "category": "tobacco"}
SUBJECT_KEYS: tuple[str, ...] = ("ticker", "tickers", "sector", "industry", "sub_industry", "category",
                                 "tier")
TICKER_PATTERN = re.compile(r"[A-Z][A-Z0-9]*([.\-][A-Z0-9]+)?")  # as TICKER in grammar.lark
WORD_PATTERN = re.compile(r"[a-z][a-z0-9_\-]*")  # as WORD in grammar.lark


def fail(code: str, message: str, span: Span, hint: str | None = None) -> NoReturn:
    raise TailorError(error(code, message, span, hint))


class Fields:
    """The mapping under a rule's kind key, e.g. `{ticker: AAPL, max: 10%}` for `cap:`.

    Each accessor marks its key as used; `finish` reports keys nobody asked for."""

    def __init__(self, mapping: YMap, kind: str, allowed: tuple[str, ...]):
        self.mapping = mapping
        self.kind = kind
        self.allowed = allowed
        self.span = mapping.span

    def finish(self) -> None:
        for key, _ in self.mapping.items:
            if key.value not in self.allowed:
                hint = (did_you_mean(key.value, self.allowed)
                        or f"`{self.kind}` takes: {', '.join(self.allowed)}")
                fail("P204", f"`{self.kind}` has no field `{key.value}`", key.span, hint)

    def scalar(self, key: str, required: bool = False) -> YScalar | None:
        node = self.mapping.get(key)
        if node is None or (isinstance(node, YScalar) and node.tag == "null"):
            if required:
                fail("P205", f"`{self.kind}` needs the field `{key}`", self.span,
                     f"add `{key}: …` under `{self.kind}`")
            return None
        if not isinstance(node, YScalar):
            fail("P206", f"`{key}` must be a single value, not a list or mapping", node.span)
        if len(node.value) > MAX_STRING:
            fail("P122", f"`{key}` is longer than {MAX_STRING} characters", node.span)
        return node

    def string(self, key: str, required: bool = False) -> str | None:
        node = self.scalar(key, required)
        return None if node is None else node.value

    def text(self, key: str, required: bool = False) -> Text | None:
        node = self.scalar(key, required)
        return None if node is None else Text(value=node.value, span=node.span)

    def boolean(self, key: str) -> bool:
        node = self.scalar(key)
        if node is None:
            return False
        if node.tag != "bool":
            fail("P207", f"`{key}` must be true or false, not {node.describe()}", node.span)
        return node.value.lower() in ("true", "yes", "on", "y")

    def choice(self, key: str, options: tuple[str, ...], required: bool = False) -> str | None:
        node = self.scalar(key, required)
        if node is None:
            return None
        value = node.value.strip().replace(" ", "_").replace("-", "_")
        if value not in options:
            hint = did_you_mean(value, options) or "use one of: " + ", ".join(options)
            fail("P208", f"`{key}` cannot be `{node.value}`", node.span, hint)
        return value

    def quantity(self, key: str, units: tuple[Unit, ...], what: str,
                 required: bool = False) -> Quantity | None:
        node = self.scalar(key, required)
        if node is None:
            return None
        return expect_units(parse_quantity(node.value, node.span), units, what)

    def scalars(self, key: str) -> list[YScalar]:
        """A list of values; a single value counts as a one-item list."""
        node = self.mapping.get(key)
        if node is None:
            return []
        items = node.items if isinstance(node, YSeq) else (node,)
        out = []
        for item in items:
            if not isinstance(item, YScalar) or item.tag == "null":
                fail("P206", f"entries of `{key}` must be single values", item.span)
            out.append(item)
        return out

    def tickers(self, key: str) -> Subject | None:
        """A ticker or list of tickers under `key` (e.g. `competitors_of`), as a tickers Subject."""
        node = self.mapping.get(key)
        if node is None:
            return None
        names = tuple(_ticker(s) for s in self.scalars(key))
        if not names:
            fail("P205", f"`{key}` lists no tickers", node.span)
        return Subject(kind="tickers", names=names, span=node.span)

    def ticker_groups(self, key: str) -> tuple[Subject, ...]:
        """A list of ticker lists, e.g. `groups: [[GOOG, GOOGL], [VOO, IVV]]`."""
        node = self.mapping.get(key)
        if node is None or (isinstance(node, YScalar) and node.tag == "null"):
            return ()
        if not isinstance(node, YSeq) or not all(isinstance(item, YSeq) for item in node.items):
            fail("P206", f"`{key}` must be a list of ticker lists, e.g. [[GOOG, GOOGL]]", node.span)
        groups = []
        for item in node.items:
            assert isinstance(item, YSeq)
            names = []
            for entry in item.items:
                if not isinstance(entry, YScalar):
                    fail("P206", "a group lists tickers", entry.span)
                names.append(_ticker(entry))
            if not names:
                fail("P205", "an empty group", item.span)
            groups.append(Subject(kind="tickers", names=tuple(names), span=item.span))
        return tuple(groups)

    def maps(self, key: str, shape: str) -> list[YMap]:
        """A list of mappings (e.g. tilts or bands); `shape` tells the author what one looks like."""
        node = self.mapping.get(key)
        if node is None or (isinstance(node, YScalar) and node.tag == "null"):
            return []
        items = node.items if isinstance(node, YSeq) else (node,)
        for item in items:
            if not isinstance(item, YMap):
                fail("P206", f"entries of `{key}` must be mappings: {shape}", item.span)
        return list(items)  # type: ignore[arg-type]

    def subject(self, required: bool = True) -> Subject | None:
        present = [k for k in SUBJECT_KEYS[:-1] if self.mapping.get(k) is not None]
        if len(present) > 1:
            fail("P209", f"`{self.kind}` names {' and '.join(present)}; give exactly one subject",
                 self.span, "write one rule per subject")
        if not present:
            if self.mapping.get("tier") is not None:
                fail("P209", "`tier` applies only to a screen `category`", self.span)
            if required:
                fail("P205", f"`{self.kind}` needs a subject", self.span,
                     "add one of: ticker, tickers, sector, industry, sub_industry, category")
            return None
        key = present[0]
        node = self.mapping.get(key)
        assert node is not None
        if isinstance(node, YScalar) and node.tag == "null":
            fail("P205", f"`{key}` has no value", node.span, f"write e.g. `{key}: {_EXAMPLES[key]}`")
        tier = self.choice("tier", TIERS)
        if tier is not None and key != "category":
            fail("P209", "`tier` applies only to a screen `category`", self.span)
        if key in ("ticker", "tickers"):
            tickers = tuple(_ticker(s) for s in self.scalars(key))
            if not tickers:
                fail("P205", f"`{key}` lists no tickers", node.span)
            return Subject(kind="tickers", names=tickers, span=node.span)
        value = self.string(key)
        assert value is not None
        if key == "category" and WORD_PATTERN.fullmatch(value) is None:
            fail("P210", f"`{value}` is not a screen category name", node.span,
                 "categories are lower-case words, e.g. `tobacco` or `fossil_fuels`")
        kind: Any = key
        return Subject(kind=kind, names=(value,), tier=tier, span=node.span)


def _ticker(scalar: YScalar) -> str:
    value = scalar.value.strip()
    if TICKER_PATTERN.fullmatch(value) is None:
        fail("P210", f"`{scalar.value}` is not a ticker symbol", scalar.span,
             "tickers are upper-case symbols such as MO or BRK.B; put names in the `reason`")
    return value
