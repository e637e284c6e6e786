"""The shape of the registry: one `ErrorCode` per code, grouped into `Family`s by their first two
characters (P2xx, A1xx, …). Kept apart from the tables so that each family module imports only this."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A letter for who reports the problem and three digits. tests/policy_lang/test_error_codes.py finds
# codes in the sources with the same pattern, so a code of a new family letter is found too.
CODE_PATTERN = re.compile(r"[A-Z][0-9]{3}")


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One diagnostic code, written for the advisor or integrator who meets it."""

    code: str  # "P205"
    title: str  # a short phrase, no final period: "Missing value"
    meaning: str  # what tailor found and why it refuses (or warns)
    fix: str  # what to do about it


@dataclass(frozen=True, slots=True)
class Family:
    """Codes sharing their first two characters, e.g. every P2xx code."""

    prefix: str  # "P2"
    name: str  # "Policy fields and structure"
    about: str  # what the family covers and where its diagnostics come from
    codes: tuple[ErrorCode, ...]

    @property
    def label(self) -> str:
        return f"{self.prefix}xx"
