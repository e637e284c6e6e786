"""Market-data diagnostics (codes D1xx) and "did you mean" suggestions.

Codes are stable; docs/data.md lists them.
  D101 date outside the price history          D102 unknown ticker
  D103 unknown name (sector, category, tier…)  D104 shipped data file fails validation
  D105 model-weights file error                D106 date outside the membership history
  D107 not enough history to estimate a risk model
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date

from policy_lang.diagnostics import Span, TailorError, error


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def did_you_mean(word: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """Closest choices by spelling, case-insensitive, best first.

    Ranked by edit distance (a ticker typo is one or two keystrokes), then same length, then same
    letters (a swap), then same first letter; when nothing is that close, difflib's similarity
    finds partial names.
    """
    key = word.casefold()
    unique = sorted(set(choices))
    allowed = max(1, len(key) // 3)
    ranked = []
    for choice in unique:
        folded = choice.casefold()
        if abs(len(folded) - len(key)) > allowed:
            continue
        distance = edit_distance(key, folded)
        if distance <= allowed:
            ranked.append((distance, len(folded) != len(key), sorted(folded) != sorted(key),
                           folded[:1] != key[:1], choice))
    if ranked:
        return [choice for *_, choice in sorted(ranked)[:limit]]
    by_key = {choice.casefold(): choice for choice in unique}
    return [by_key[m] for m in difflib.get_close_matches(key, list(by_key), n=limit, cutoff=0.6)]


def suggestion_hint(word: str, choices: Iterable[str]) -> str | None:
    close = did_you_mean(word, choices)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None


def unknown_name(kind: str, word: str, choices: Iterable[str], span: Span | None = None) -> TailorError:
    choices = list(choices)
    hint = suggestion_hint(word, choices)
    if hint is None and len(choices) <= 12:
        hint = f"known {kind}s: {', '.join(choices)}"
    code = "D102" if kind == "ticker" else "D103"
    return TailorError(error(code, f"unknown {kind} {word!r}", span=span, hint=hint))


def date_outside(what: str, when: date, first: date, last: date, code: str = "D101") -> TailorError:
    return TailorError(error(code, f"{when.isoformat()} is outside the {what} "
                                   f"({first.isoformat()} … {last.isoformat()})",
                             hint=f"use a date between {first.isoformat()} and {last.isoformat()}"))
