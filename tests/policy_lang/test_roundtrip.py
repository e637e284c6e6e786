"""Round trips are exact: AST → DSL → AST and AST → YAML → AST give equal ASTs (spans aside), and
converting between the syntaxes preserves the policy."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.language import format_dsl, format_yaml, parse_text
from policy_lang.ast import PolicyFile
from policy_lang.comments import collect
from tests.policy_lang.strategies import policies

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(policies)
def test_dsl_round_trip(policy: PolicyFile) -> None:
    text = format_dsl(policy)
    assert parse_text(text, "gen.tailor") == policy, text


@SETTINGS
@given(policies)
def test_yaml_round_trip(policy: PolicyFile) -> None:
    text = format_yaml(policy)
    assert parse_text(text, "gen.yaml") == policy, text


@SETTINGS
@given(policies)
def test_conversion_is_stable(policy: PolicyFile) -> None:
    """DSL → YAML → DSL prints the same canonical text: formatting is a fixed point."""
    dsl = format_dsl(policy)
    via_yaml = parse_text(format_yaml(parse_text(dsl, "a.tailor")), "b.yaml")
    assert format_dsl(via_yaml) == dsl


@SETTINGS
@given(policies, st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["# a", "# b: c", "# 'q' \"#\""])),
                          max_size=6))
def test_comments_survive_formatting_without_changing_the_policy(policy: PolicyFile,
                                                                 inserts: list[tuple[int, str]]) -> None:
    """Comments put anywhere between statements are kept by `fmt`, in both syntaxes, and the
    formatted text still parses to the same policy."""
    lines = format_dsl(policy).splitlines()
    for position, comment in inserts:
        lines.insert(min(position, len(lines)), comment)
    source = "\n".join(lines) + "\n"
    parsed = parse_text(source, "c.tailor")
    comments = collect(source, parsed)
    for text, name in ((format_dsl(parsed, comments), "o.tailor"), (format_yaml(parsed, comments), "o.yaml")):
        assert parse_text(text, name) == policy
        assert sorted(c for c in text.splitlines() if c.startswith("#")) == sorted(c for _, c in inserts)
