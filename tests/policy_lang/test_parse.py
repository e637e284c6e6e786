"""Both syntaxes parse to the same AST, with spans pointing at the source."""

from __future__ import annotations

from decimal import Decimal

import pytest

from compiler.language import parse_text
from compiler.rules.cap import CapNode
from compiler.rules.exclude import ExcludeNode
from core.diagnostics import Span, TailorError
from policy_lang.ast import Quantity, Unit
from policy_lang.quantities import format_quantity, parse_quantity

DSL = '''policy "Exec"
layer account
extends "../firm/default.tailor"

rule glide: locked cap AAPL at 10% over 3 years
    sell only long-term lots
    because "concentrated"
exclude category tobacco extended sell as budget allows
'''

YAML = '''policy: Exec
layer: account
extends: ../firm/default.tailor
rules:
  - cap: {ticker: AAPL, max: 10%, over: 3 years, long_term_only: true}
    id: glide
    locked: true
    reason: concentrated
  - exclude:
      category: tobacco
      tier: extended
      sell: as budget allows
'''


def test_both_syntaxes_give_the_same_ast() -> None:
    assert parse_text(DSL, "p.tailor") == parse_text(YAML, "p.yaml")


def test_dsl_spans_cover_the_statement_including_continuation_lines() -> None:
    policy = parse_text(DSL, "p.tailor")
    cap = policy.rules[0]
    assert isinstance(cap, CapNode)
    assert cap.span == Span(file="p.tailor", line=5, column=1, end_line=7, end_column=27)
    assert cap.max is not None and cap.max.span == Span(file="p.tailor", line=5, column=32, end_line=5,
                                                        end_column=35)
    assert cap.over is not None and (cap.over.span.line, cap.over.span.column) == (5, 41)
    assert policy.extends[0].span.column == 9


def test_yaml_spans_point_at_scalars() -> None:
    policy = parse_text(YAML, "p.yaml")
    cap, exclude = policy.rules
    assert isinstance(cap, CapNode) and isinstance(exclude, ExcludeNode)
    assert cap.max is not None and (cap.max.span.line, cap.max.span.column) == (5, 30)
    assert (exclude.subject.span.line, exclude.subject.span.column) == (10, 17)
    assert cap.span.line == 5


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("10%", "10", Unit.PERCENT), ("1.5%", "1.5", Unit.PERCENT), ("150bps", "150", Unit.BPS),
    ("$20,000", "20000", Unit.USD), ("$20k", "20000", Unit.USD), ("$1.5m", "1500000", Unit.USD),
    ("-$5", "-5", Unit.USD), ("500 shares", "500", Unit.SHARES), ("3 years", "3", Unit.YEARS),
    ("1 year", "1", Unit.YEARS), ("31 days", "31", Unit.DAYS), ("0.25", "0.25", Unit.NUMBER),
])
def test_quantities_read_and_print_back(text: str, value: str, unit: Unit) -> None:
    span = Span.point("q", 1, 1)
    q = parse_quantity(text, span)
    assert (q.value, q.unit) == (Decimal(value), unit)
    assert parse_quantity(format_quantity(q), span) == q


def test_dates_are_checked_calendar_dates() -> None:
    span = Span.point("q", 1, 1)
    assert parse_quantity("2024-02-29", span) == Quantity(value=Decimal(0), unit=Unit.DATE, text="2024-02-29",
                                                          span=span)
    with pytest.raises(TailorError) as caught:
        parse_quantity("2023-02-29", span)
    assert caught.value.diagnostics[0].code == "P202"


def test_every_bad_line_is_reported_not_only_the_first() -> None:
    with pytest.raises(TailorError) as caught:
        parse_text("exclude aapl\ncap AAPL at 10%\ntracking error 2%\nbudget $5k\n", "p.tailor")
    assert [(d.code, d.span.line) for d in caught.value.diagnostics if d.span] == [
        ("P103", 1), ("P106", 3), ("P107", 4)]


def test_units_are_checked_where_they_are_used() -> None:
    with pytest.raises(TailorError) as caught:
        parse_text("cap AAPL at 10\nbudget tax 5% per year\n", "p.tailor")
    messages = [d.message for d in caught.value.diagnostics]
    assert messages == ["a cap needs a unit, but `10` is a bare number",
                        "a budget cannot be given in percent: `5%`"]
    assert caught.value.diagnostics[0].hint == "use a percentage (10%) or basis points (150bps)"


def test_yaml_is_data_only() -> None:
    for text in ("policy: !!python/object/apply:os.system [echo]\n", "a: &x [1]\nb: *x\n"):
        with pytest.raises(TailorError) as caught:
            parse_text(text, "p.yaml")
        assert caught.value.diagnostics[0].code in ("P110", "P111")


def test_inputs_are_bounded() -> None:
    with pytest.raises(TailorError) as caught:
        parse_text("exclude MO\n" * 200_000, "big.tailor")
    assert caught.value.diagnostics[0].code == "P121"
    nested = "a: " + "[" * 200_000 + "]" * 200_000 + "\n"  # would overflow a recursive composer
    with pytest.raises(TailorError) as caught:
        parse_text(nested, "deep.yaml")
    assert caught.value.diagnostics[0].code == "P120"
    with pytest.raises(TailorError) as caught:
        parse_text("exclude " + ", ".join(["MO"] * 6000) + "\n", "wide.tailor")
    assert caught.value.diagnostics[0].code == "P121"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n   # and another\n"])
def test_an_empty_policy_file_is_an_error_in_both_syntaxes(text: str) -> None:
    """An empty (or comments-only) file is a mistake, not a policy of defaults: P006 at line 1."""
    for name in ("empty.tailor", "empty.yaml"):
        with pytest.raises(TailorError) as caught:
            parse_text(text, name)
        [diagnostic] = caught.value.diagnostics
        assert (diagnostic.code, diagnostic.message) == ("P006", "the policy file is empty")
        assert diagnostic.span == Span.point(name, 1, 1)
    assert parse_text('policy "Defaults only"\n', "named.tailor").rules == ()
