"""The registry as text: docs/errors.md (Markdown), one code's entry and the list of every code (terminal)."""

from __future__ import annotations

import textwrap

from core.error_codes import FAMILIES, ErrorCode, family_of

_WIDTH = 100

_HEADER = """\
# Error codes

<!-- Generated from core/error_codes/ by `tailor codes --markdown > docs/errors.md` (`make docs`).
     Do not edit: tests/policy_lang/test_error_codes.py fails when this page differs from the output. -->

Every problem tailor reports carries a code, as in `` error[P301]: unknown ticker `APPL` ``. The
letter says which stage found it: **P** reading and checking a policy, **A** loading an account,
**D** the market data, **S** the solve, **V** the independent verifier, **T** policy tests, **M**
simulations, **B** books and batches, **L** the decision log, **H** the HTTP service. A code
has one meaning; the message gives the particulars (which file, line and value) and its `help:`
line the nearest fix. `tailor codes CODE` prints a code's entry in the terminal.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _anchor(name: str) -> str:
    """An explicit anchor: links such as errors.md#a124 do not depend on how headings are slugged."""
    return f'<a id="{name.lower()}"></a>'


def markdown() -> str:
    """docs/errors.md: an index of the families, then each family's description and table."""
    out = [_HEADER, "| Codes | Family |", "|---|---|"]
    out += [f"| [{f.label}](#{f.label.lower()}) | {f.name} |" for f in FAMILIES]
    for family in FAMILIES:
        out += ["", f"## {_anchor(family.label)}{family.label} — {family.name}", "", family.about, "",
                "| Code | Title | What it means | How to fix it |", "|---|---|---|---|"]
        out += [f"| {_anchor(e.code)}{e.code} | {_cell(e.title)} | {_cell(e.meaning)} | {_cell(e.fix)} |"
                for e in family.codes]
    return "\n".join(out) + "\n"


def _paragraph(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent)


def explanation(entry: ErrorCode) -> str:
    """One code for the terminal, as `rustc --explain` prints one: title, meaning, fix, family."""
    family = family_of(entry.code)
    assert family is not None  # a registered code belongs to a family (tested)
    return "\n".join([f"{entry.code}: {entry.title}", "", _paragraph(entry.meaning), "",
                      _paragraph(f"How to fix it: {entry.fix}"), "",
                      _paragraph(f"{family.label} — {family.name}: {family.about}")]) + "\n"


def listing() -> str:
    """Every code with its title, family by family."""
    lines: list[str] = []
    for family in FAMILIES:
        lines.append(f"{family.label}  {family.name}")
        lines += [f"  {e.code}  {e.title}" for e in family.codes]
    return "\n".join(lines) + "\n"

