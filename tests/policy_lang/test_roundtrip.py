"""Round trips are exact: AST → DSL → AST and AST → YAML → AST give equal ASTs (spans aside), and
converting between the syntaxes preserves the policy."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from policy_lang.ast import PolicyFile
from policy_lang.formatter import format_dsl, format_yaml
from policy_lang.load import parse_text
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
