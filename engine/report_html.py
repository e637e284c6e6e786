"""A small kit for the reports a client reads (transition, taxes saved): one self-contained HTML
file — inline CSS, charts as inline SVG drawn with matplotlib, tables escaped — written atomically.

Charts are deterministic: the same figures give the same bytes (no creation date in the SVG, a fixed
hash salt for its ids, text kept as text in a font every browser has).
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2433;
       max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; }
p.lead { color: #4a5468; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8rem 0 1.2rem; font-size: 0.92rem; }
th, td { padding: 0.3rem 0.7rem; border-bottom: 1px solid #dde2ea; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f5f9; font-weight: 600; }
figure { margin: 1rem 0 1.6rem; } figcaption { color: #4a5468; font-size: 0.9rem; }
.note { color: #4a5468; font-size: 0.88rem; }
"""


def figure(width: float, height: float) -> Figure:
    """A matplotlib figure drawn without a display (no pyplot state shared between reports)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def svg(fig: Figure) -> str:
    """The figure as an inline <svg> element, deterministic."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "tailor", "svg.fonttype": "none",
                                "font.family": ["DejaVu Sans", "sans-serif"]}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: the element goes inline


def chart(fig: Figure, caption: str) -> str:
    return f"<figure>{svg(fig)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def paragraph(text: str, css: str = "") -> str:
    return f'<p class="{css}">{html.escape(text)}</p>' if css else f"<p>{html.escape(text)}</p>"


def page(title: str, lead: str, parts: Iterable[str]) -> str:
    """A whole HTML document: `parts` are HTML fragments made by the helpers above."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class=\"lead\">{html.escape(lead)}</p>"
            + "\n".join(parts) + "</body></html>\n")


def section(title: str, *parts: str) -> str:
    return f"<h2>{html.escape(title)}</h2>" + "".join(parts)
