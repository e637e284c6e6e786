"""One line of a CSV file as Excel and custodians write it, split into fields that keep their columns.

Shared by the account files (solver/account_files.py) and market snapshots (market/snapshot_files.py):
both point a diagnostic at the exact cell, so each field carries the column it starts at.
"""

from __future__ import annotations


def split_csv(line: str) -> list[tuple[str, int]]:
    """The fields of one CSV line with the (1-based) column each starts at. Quotes as Excel writes
    them (a quoted comma, a doubled quote), so a quoted $1,234.50 does not shift the later columns."""
    fields, i, n = [], 0, len(line)
    while True:
        start = i
        if line.startswith('"', i):
            parts, i = [], i + 1
            while True:
                quote = line.find('"', i)
                if quote < 0:
                    parts.append(line[i:])
                    i = n
                    break
                parts.append(line[i:quote])
                if line.startswith('"', quote + 1):
                    parts.append('"')
                    i = quote + 2
                    continue
                i = quote + 1
                break
            comma = line.find(",", i)
            comma = n if comma < 0 else comma
            fields.append(("".join(parts) + line[i:comma], start + 1))
        else:
            comma = line.find(",", i)
            comma = n if comma < 0 else comma
            fields.append((line[i:comma], start + 1))
        i = comma
        if i >= n:
            return fields
        i += 1
