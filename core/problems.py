"""Every problem of one input, reported together — but a bounded number of them.

Each diagnostic quotes a line of its file when rendered, so an unbounded list would print a broken
50 MB file back many times over: at most MAX_FILE_PROBLEMS are listed, the rest counted in a note
under the input's own code (A126 for account files, D110 for market snapshots)."""

from __future__ import annotations

from core.diagnostics import Diagnostic, Severity, TailorError
from core.limits import MAX_FILE_PROBLEMS


class Problems:
    def __init__(self, where: str, note_code: str):
        self.where, self.note_code, self.more = where, note_code, 0
        self.found: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        if len(self.found) < MAX_FILE_PROBLEMS:
            self.found.append(diagnostic)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.found)

    @property
    def full(self) -> bool:
        """No more problems will be listed: skip building a costly one ("did you mean" over the master)."""
        return len(self.found) >= MAX_FILE_PROBLEMS

    def check(self) -> None:
        """Raise the problems found, if any (with the note counting those not listed)."""
        if not self.found:
            return
        if self.more:
            self.found.append(Diagnostic(
                severity=Severity.NOTE, code=self.note_code, span=None,
                message=f"{self.more:,} more problem(s) in {self.where} are not listed",
                hint=f"fix the {MAX_FILE_PROBLEMS} above first; the rest are often the same mistake"))
        raise TailorError(self.found)
