"""Random and mutated inputs never raise anything but TailorError with diagnostics.

The test run covers ~3,000 cases; benchmarks/bench_policy.py runs 10,000+ and prints the counts."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.policy_lang.fuzzing import PIECES, mutants, run_case, yaml_documents

KEYWORDS = ("exclude", "cap", "at", "least", "budget", "long-term", "gains", "tracking", "error",
            "most", "band", "wash", "sale", "window", "group", "scope", "household", "restrict",
            "buying", "selling", "competitors", "of", "held", "away", "file", "lots", "trading",
            "minimum", "trade", "whole", "shares", "cash", "reserve", "withdraw", "transition",
            "over", "within", "tax", "gift", "preferences", "policy", "layer", "extends", "rule",
            "sell", "as", "allows", "immediately", "target", "model", "tilt", "harvest", "losses")


def test_mutated_shipped_policies_only_give_diagnostics() -> None:
    outcomes = Counter(run_case(text, name) for text, name in mutants(2500, seed=7))
    assert sum(outcomes.values()) == 2500
    assert outcomes["diagnostics"] > 500  # mutations do break policies …
    assert outcomes["ok"] > 50  # … and some survive (e.g. a shuffled line order)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(KEYWORDS + PIECES + ("MO", "10%", "$5k", "3 years", "31 days", '"x"')),
                max_size=30).map(" ".join), st.sampled_from(["f.tailor", "f.yaml"]))
def test_token_soup_only_gives_diagnostics(text: str, name: str) -> None:
    run_case(text, name)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["f.tailor", "f.yaml"]))
def test_arbitrary_text_only_gives_diagnostics(text: str, name: str) -> None:
    run_case(text, name)


@settings(max_examples=400, deadline=None)
@given(yaml_documents())
def test_yaml_of_the_wrong_shape_only_gives_diagnostics(text: str) -> None:
    run_case(text, "f.yaml")
