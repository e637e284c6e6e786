"""Mutation fuzzing of policy text: every input must end as a policy or as diagnostics, never as an
uncaught exception. Used by tests (a few thousand cases) and benchmarks/bench_policy.py (more)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from compiler.check import compile_policy
from compiler.language import parse_text
from core.diagnostics import TailorError
from policy_lang.load import is_policy_file

POLICY_ROOT = Path(__file__).resolve().parents[2] / "policies"
# Fragments that stress the lexer and both syntaxes: units, quotes, YAML indicators, unicode.
PIECES = ("%", "$", "bps", " years", " days", "-", "+", ",", ":", '"', "'", "\\", "#", "\n", "\n    ",
          "{", "}", "[", "]", "&a", "*a", "!!python/object:os.system", "\t", "0", "9" * 30, "1e9",
          "2024-02-30", " locked", "rule x: ", " because ", "category ", "sector ", "AAPL", "aapl",
          "é", "\u2028", "\x00", "?", "|", ">", "- ", "---\n", "...", "~", "null", "true")


def seed_texts() -> list[tuple[str, str]]:
    """(text, file name) of every shipped policy, both syntaxes."""
    return [(p.read_text(encoding="utf-8"), str(p)) for p in sorted(POLICY_ROOT.rglob("*"))
            if is_policy_file(p)]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(text))
        op = rng.randrange(6)
        if op == 0:
            text = text[:pos] + text[pos + rng.randint(1, 8):]
        elif op == 1:
            text = text[:pos] + rng.choice(PIECES) + text[pos:]
        elif op == 2:
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
            text = "\n".join(lines)
        elif op == 3:
            text = text[:pos]
        elif op == 4:
            text = text[:pos] + chr(rng.randint(32, 0x2FFF)) + text[pos:]
        else:
            lines = text.split("\n")
            rng.shuffle(lines)
            text = "\n".join(lines)
    return text


def mutants(count: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    seeds = seed_texts()
    for _ in range(count):
        text, name = rng.choice(seeds)
        yield mutate(text, rng), name


def run_case(text: str, name: str) -> str:
    """'ok' or 'diagnostics'; any other exception propagates (that is the bug fuzzing looks for)."""
    try:
        policy = parse_text(text, name)
        compile_policy(policy)
    except TailorError as exc:
        assert exc.diagnostics, "a TailorError must carry diagnostics"
        assert all(d.message for d in exc.diagnostics)
        return "diagnostics"
    return "ok"


def yaml_documents():  # type: ignore[no-untyped-def]
    """Hypothesis strategy: YAML policies of plausible shape with random content — right keys with
    wrong kinds of values, nulls, nesting where a scalar belongs, and so on."""
    import yaml
    from hypothesis import strategies as st

    from compiler.rules import RULE_KINDS

    field_names = sorted({key for kind in RULE_KINDS.values() for key in kind.yaml_keys}
                         | {"id", "reason", "locked", "active", "lower", "upper"})
    values = st.sampled_from(["10%", "-2%", "150bps", "$5k", "$-1", "3 years", "31 days", "AAPL", "MO",
                              "tobacco", "Energy", "sp500", "model", "household", "core", "as_budget_allows",
                              "over_years", "balanced", "2024-02-30", "x.csv", "", "1e9"])
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), values, st.text(max_size=6))
    leaves = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.sampled_from(field_names), inner, max_size=4), max_leaves=12)
    rule = st.dictionaries(st.sampled_from([*RULE_KINDS, "id", "reason", "locked", "cap "]), leaves,
                           min_size=1, max_size=3)
    document = st.fixed_dictionaries({"rules": st.lists(rule, max_size=5)},
                                     optional={"policy": scalars, "layer": scalars, "extends": leaves})
    return document.map(lambda doc: yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
