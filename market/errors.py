"""Market-data diagnostics (codes D1xx).

Codes are stable; docs/data.md lists them.
  D101 date outside the price history          D102 unknown ticker
  D103 unknown name (sector, category, tier…)  D104 shipped data file fails validation
  D105 model-weights file error                D106 date outside the membership history
  D107 not enough history to estimate a risk model
  D109 (warning) the as-of date is not a trading day: priced at the last close before it
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from core.diagnostics import Span, TailorError, error
from core.suggest import did_you_mean


def unknown_name(kind: str, word: str, choices: Iterable[str], span: Span | None = None) -> TailorError:
    choices = list(choices)
    hint = did_you_mean(word, choices)
    if hint is None and len(choices) <= 12:
        hint = f"known {kind}s: {', '.join(choices)}"
    code = "D102" if kind == "ticker" else "D103"
    return TailorError(error(code, f"unknown {kind} {word!r}", span=span, hint=hint))


def date_outside(what: str, when: date, first: date, last: date, code: str = "D101") -> TailorError:
    return TailorError(error(code, f"{when.isoformat()} is outside the {what} "
                                   f"({first.isoformat()} … {last.isoformat()})",
                             hint=f"use a date between {first.isoformat()} and {last.isoformat()}"))
