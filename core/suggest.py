""""Did you mean …?" — one ranking of close spellings for every diagnostic in tailor.

Names people mistype are short (tickers, keywords, lot ids): a typo is one or two keystrokes, often
two letters swapped (APPL for AAPL). So candidates are ranked by edit distance with adjacent swaps,
then same length, then same letters, then same first letter; when nothing is that close, difflib's
similarity still finds partial names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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


def closest(word: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """The choices closest to `word` by spelling, case-insensitive, best first."""
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


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Hint text such as "did you mean `AAPL`?", or None when nothing is close."""
    close = closest(word, choices)
    return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?" if close else None
