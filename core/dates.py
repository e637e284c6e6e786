"""Calendar dates as inputs write them: YYYY-MM-DD and nothing else (account files, market snapshots,
simulation specs, `--as-of`)."""

from __future__ import annotations

import re
from datetime import date

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # date.fromisoformat alone also takes 20210421, 2021-W16


def parse_date(text: str) -> date | None:
    """A calendar date written YYYY-MM-DD; None for anything else."""
    text = text.strip()
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
