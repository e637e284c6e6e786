"""Spans and diagnostics shared by every stage: parsing, checking, data loading, verification.

A diagnostic is product, not a log line: it names the file, line and column, says what is wrong,
and hints how to fix it. Rendering underlines the span in the source, the way a good compiler does.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    """A region of a source file. Lines and columns are 1-based; end_column is exclusive."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, file: str, line: int, column: int, width: int = 1) -> Span:
        return cls(file=file, line=line, column=column, end_line=line, end_column=column + max(width, 1))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Related(BaseModel):
    """A secondary location that explains a diagnostic, e.g. where a locked rule was declared."""

    model_config = ConfigDict(frozen=True)

    message: str
    span: Span


class Diagnostic(BaseModel):
    model_config = ConfigDict(frozen=True)

    severity: Severity
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    related: tuple[Related, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class TailorError(Exception):
    """Raised when input cannot be used; carries every diagnostic found, not only the first."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        self.diagnostics = [diagnostics] if isinstance(diagnostics, Diagnostic) else list(diagnostics)
        super().__init__("\n".join(f"{d.span or '<input>'}: {d.severity}[{d.code}]: {d.message}"
                                   for d in self.diagnostics))


def error(code: str, message: str, span: Span | None = None, hint: str | None = None,
          related: tuple[Related, ...] = ()) -> Diagnostic:
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, span=span, hint=hint,
                      related=related)


def warning(code: str, message: str, span: Span | None = None, hint: str | None = None,
            related: tuple[Related, ...] = ()) -> Diagnostic:
    return Diagnostic(severity=Severity.WARNING, code=code, message=message, span=span, hint=hint,
                      related=related)


def _source_line(span: Span, sources: dict[str, str]) -> str | None:
    text = sources.get(span.file)
    if text is None:
        path = Path(span.file)
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    return lines[span.line - 1] if 0 < span.line <= len(lines) else None


def _excerpt(span: Span, sources: dict[str, str]) -> list[str]:
    line = _source_line(span, sources)
    if line is None:
        return []
    gutter = str(span.line)
    end = span.end_column if span.end_line == span.line else len(line) + 1
    width = max(end - span.column, 1)
    pad = " " * len(gutter)
    return [f"{pad} |", f"{gutter} | {line}", f"{pad} | {' ' * (span.column - 1)}{'^' * width}"]


def render(diagnostic: Diagnostic, sources: dict[str, str] | None = None) -> str:
    """Compiler-style text: `error[E123]: message`, the location, the underlined source, a hint."""
    sources = sources or {}
    out = [f"{diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}"]
    if diagnostic.span is not None:
        out.append(f"  --> {diagnostic.span}")
        out.extend(_excerpt(diagnostic.span, sources))
    for rel in diagnostic.related:
        out.append(f"  note: {rel.message} at {rel.span}")
        out.extend(_excerpt(rel.span, sources))
    if diagnostic.hint:
        out.append(f"  = help: {diagnostic.hint}")
    return "\n".join(out)


def render_all(diagnostics: list[Diagnostic], sources: dict[str, str] | None = None) -> str:
    return "\n\n".join(render(d, sources) for d in diagnostics)
