"""`RuleKind.compare` decides layering (may a lower layer replace a locked rule?) and `tailor diff`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from compiler.language import parse_text
from compiler.rules import RULE_KINDS, Change
from policy_lang.ast import RuleNode
from tests.policy_lang.strategies import rules


def rule(text: str) -> RuleNode:
    return parse_text(text + "\n", "r.tailor").rules[0]


@pytest.mark.parametrize(("old", "new", "change"), [
    ("cap AAPL at 10%", "cap AAPL at 8%", Change.TIGHTER),
    ("cap AAPL at 10%", "cap AAPL at 1200bps", Change.LOOSER),
    ("cap AAPL at 10% over 3 years", "cap AAPL at 10% over 2 years", Change.TIGHTER),
    ("cap AAPL at 10%", "cap AAPL at 8% over 3 years", Change.CHANGED),
    ("cap AAPL at least 2%", "cap AAPL at least 3%", Change.TIGHTER),
    ("budget tax $5k per year", "budget tax $6k per year", Change.LOOSER),
    ("budget tax $5k per year", "budget tax $5,000 per year", Change.SAME),
    ("tracking error at most 2%", "tracking error at most 1.5%", Change.TIGHTER),
    ("tracking error at most 2%", "tracking error at most 2% band AAPL -1% to +1%", Change.TIGHTER),
    ("exclude category fossil_fuels", "exclude category fossil_fuels extended", Change.TIGHTER),
    ("exclude MO", "exclude MO sell as budget allows", Change.LOOSER),
    ("exclude category tobacco", "exclude category tobacco broad sell as budget allows", Change.CHANGED),
    ("restrict buying competitors of AAPL", "restrict buying competitors of AAPL by sector", Change.TIGHTER),
    ("restrict buying held away AMZN", "restrict buying held away AMZN, NVDA", Change.TIGHTER),
    ("wash sale scope account", "wash sale scope household", Change.TIGHTER),
    ("wash sale window 30 days scope account", "wash sale window 31 days scope account", Change.TIGHTER),
    ("wash sale scope household group GOOG, GOOGL", "wash sale scope household", Change.LOOSER),
    ("harvest losses over 5%", "harvest losses over 3%", Change.LOOSER),
    ("holding period defer 31 days", "holding period no short-term gains defer 31 days", Change.TIGHTER),
    ("trading minimum trade $100", "trading minimum trade $250 whole shares", Change.TIGHTER),
    ("trading max turnover 20%", "trading max turnover 30%", Change.LOOSER),
    ("cash reserve 2%", "cash reserve 3%", Change.TIGHTER),
    ("transition within tax budget $20k per year", "transition within tax budget $10k per year",
     Change.TIGHTER),
    ("transition over 3 years", "transition immediate", Change.CHANGED),
    ("target sp500", "target sp500 equal weight", Change.CHANGED),
    ("preferences balanced", "preferences tax_sensitive", Change.CHANGED),
    ("restrict selling lots \"A\"", "restrict selling lots \"A\", \"B\"", Change.TIGHTER),
    ("restrict buying outside target", "restrict buying outside target", Change.SAME),
    ("rule r: restrict buying outside target", "rule r: restrict buying AAPL", Change.CHANGED),
    ("rule r: restrict buying AAPL", "rule r: restrict buying outside target", Change.CHANGED),
])
def test_compare(old: str, new: str, change: Change) -> None:
    a, b = rule(old), rule(new)
    assert RULE_KINDS[a.kind].compare(a, b) is change


@settings(max_examples=200, deadline=None)
@given(rules)
def test_a_rule_compared_with_itself_is_unchanged(node: RuleNode) -> None:
    assert RULE_KINDS[node.kind].compare(node, node) is Change.SAME
