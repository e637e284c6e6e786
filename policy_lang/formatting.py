"""Shared pieces of printing: DSL strings and subjects, YAML subjects."""

from __future__ import annotations

from typing import Any

from policy_lang.ast import Subject

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


_TABLE = str.maketrans(_ESCAPES)


def quote(text: str) -> str:
    """A DSL string literal that reads back as `text`."""
    return '"' + text.translate(_TABLE) + '"'


def format_subject(subject: Subject) -> str:
    if subject.kind == "tickers":
        return ", ".join(subject.names)
    if subject.kind == "category":
        return f"category {subject.names[0]}" + (f" {subject.tier}" if subject.tier else "")
    keyword = "sub-industry" if subject.kind == "sub_industry" else subject.kind
    return f"{keyword} {quote(subject.names[0])}"


def subject_to_yaml(subject: Subject) -> dict[str, Any]:
    if subject.kind == "tickers":
        if len(subject.names) == 1:
            return {"ticker": subject.names[0]}
        return {"tickers": list(subject.names)}
    out: dict[str, Any] = {subject.kind: subject.names[0]}
    if subject.tier:
        out["tier"] = subject.tier
    return out
