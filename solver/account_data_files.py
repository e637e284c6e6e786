"""Where an account's data lives and how its bytes are read (solver/account_files.py): the files
account.yaml names, confined to its folder and bounded in size, decoded as UTF-8 without control
characters; a record's position, built only when a diagnostic needs it."""

from __future__ import annotations

import bisect
import codecs
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from core.diagnostics import Span, TailorError, error
from core.limits import MAX_TABLE_BYTES, MAX_TABLE_LINE
from core.suggest import did_you_mean
from core.yaml_reader import YScalar

# C0 controls but tab and line ends, DEL and C1: no account file has them, and echoed to a terminal
# (in a message or the quoted line) they can rewrite what the reader sees.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What each key of account.yaml looks like, for messages that show an example.
EXAMPLES = {"lots": "lots.csv", "transactions": "transactions.csv", "type": "taxable", "cash": "15000.00",
            "household_transactions": "household_transactions.csv",
            "as_of": "2021-04-21", "target": "model.csv", "account": "smith-taxable", "household": "smith"}


# ---- where things are -------------------------------------------------------------------------------
def quote(text: str, limit: int = 40) -> str:
    """A value from a file, quoted for a message and cut short: messages never repeat a file back."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass(frozen=True)
class DataFile:
    """A file that account.yaml names: its path (as messages show it), the confined real path it is
    read from, and the value in account.yaml that names it. Problems with the file as a whole point
    at that value, so a file that is not an account file is never quoted."""

    path: Path
    real: Path
    named_at: Span
    kind: str  # "lots", "transactions", "target": for messages

    @property
    def name(self) -> str:
        return str(self.path)


class Row:
    """One record of a table file. A field's span is built only when a diagnostic needs it (a CSV
    row keeps its line and each field's column and width: building six Spans a row was most of the
    time spent reading a large file); `where` is the whole record. `label`
    names the record in messages when the span cannot (a Parquet row, a JSON record on a long line)."""

    __slots__ = ("fields", "label", "line", "values", "where")

    def __init__(self, values: dict[str, str], where: Span, label: str = "",
                 line: int = 0, fields: dict[str, tuple[int, int]] | None = None):
        self.values, self.where, self.label, self.line, self.fields = values, where, label, line, fields

    def span(self, name: str) -> Span:
        if self.fields is None:
            return self.where
        column, width = self.fields[name]
        return Span.point(self.where.file, self.line, column, width)


class TextLines:
    """Line starts of a text, to turn an offset into (line, column) and to know whether a line is
    short enough to quote in a diagnostic."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1

    def length(self, line: int) -> int:
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return end - self.starts[line - 1]


def span_in(file: DataFile, lines: TextLines, line: int, column: int, width: int = 1) -> tuple[Span, str]:
    """A span in the data file when its line can be quoted; otherwise the key naming the file, and the
    position as text for the message (a minified 50 MB JSON line is not printed back)."""
    if lines.length(line) <= MAX_TABLE_LINE:
        return Span.point(file.name, line, column, width), ""
    return file.named_at, f"{file.name}:{line}:{column}: "


# ---- reading bytes and text -------------------------------------------------------------------------
def locate(account: Path, node: YScalar, key: str, missing_code: str) -> DataFile:
    """The file `key:` names, relative to account.yaml's folder and inside it (A125): a service reads
    account files from other systems, and `lots: /etc/passwd` or a symlink out of the folder must
    not make it read (and quote) a file of its own."""
    given, folder, example = node.value, account.parent, EXAMPLES.get(key, key + ".csv")
    if not given.strip():
        raise TailorError(error("A102", f"`{key}` names no file", node.span, f"e.g. `{key}: {example}`"))
    if CONTROL.search(given) or len(given) > 1_000:
        raise TailorError(error("A125", f"`{key}` is not a usable file name", node.span,
                                f"name a file in the account's folder, e.g. `{key}: {example}`"))
    outside = error("A125", f"`{key}: {quote(given)[1:-1]}` is outside the account's folder {folder}",
                    node.span, "account files are read from the folder of account.yaml and below; copy the "
                    f"file there and write e.g. `{key}: {example}`")
    if Path(given).is_absolute():
        raise TailorError(outside)
    candidate = folder / given
    try:
        root = folder.resolve()
        real = candidate.resolve()
        exists = real.is_file()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
        raise TailorError(error("A125", f"`{key}`: {quote(given)} cannot be opened", node.span,
                                "name a regular file in the account's folder")) from None
    if not real.is_relative_to(root):  # `..`, or a symlink that leads out of the folder
        if Path(os.path.normpath(candidate.absolute())).is_relative_to(folder.absolute()):
            outside = outside.model_copy(update={"message": f"`{key}: {quote(given)[1:-1]}` is a symbolic "
                                                 f"link that leads outside the account's folder {folder}"})
        raise TailorError(outside)
    if not exists and real.exists():
        raise TailorError(error("A101", f"`{key}`: {quote(given)} is not a regular file", node.span,
                                "name a file, not a folder, a pipe or a device"))
    if not exists:
        nearby = sorted(p.name for p in candidate.parent.iterdir() if p.is_file()) \
            if candidate.parent.is_dir() and candidate.parent.resolve().is_relative_to(root) else []
        raise TailorError(error(
            missing_code, f"`{key}`: file {quote(given)} not found (looked in {candidate.parent})",
            node.span,
            did_you_mean(candidate.name, nearby) or f"give the {key} file's path relative to {account.name}"))
    return DataFile(path=candidate, real=real, named_at=node.span, kind=key)


def read_bytes(path: Path, shown: str, limit: int, named_at: Span | None, *, follow: bool = True) -> bytes:
    """The file's bytes, refusing anything but a regular file of at most `limit` bytes. The size is
    checked on the open file and the read stops past the limit, so a file growing after the check
    cannot make tailor read more; a FIFO does not block the open (O_NONBLOCK). `follow=False` for a
    confined path already resolved: a symlink put in its place since is refused (O_NOFOLLOW)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        with open(os.open(path, flags), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise TailorError(error("A101", f"{shown} is not a regular file", named_at,
                                        "name a file, not a folder or a device"))
            if info.st_size > limit:
                raise TailorError(error("A101", f"{shown} is larger than {limit:,} bytes", named_at,
                                        "split the account, or check that this is the right file"))
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise TailorError(error("A101", f"file not found: {shown}", named_at, "check the path")) from None
    except OSError as exc:
        raise TailorError(error("A101", f"{shown} cannot be read: {exc.strerror or 'error'}", named_at,
                                "check the file's permissions")) from None
    if len(data) > limit:
        raise TailorError(error("A101", f"{shown} is larger than {limit:,} bytes", named_at))
    return data


def read_text(path: Path) -> bytes:
    """The bytes of the target model file, for the account's hash."""
    return read_bytes(path, str(path), MAX_TABLE_BYTES, None)


def decode(data: bytes, shown: str, named_at: Span | None) -> str:
    """UTF-8 text (a UTF-8 byte order mark is fine). UTF-16/32, Latin-1, binary files and control
    characters are A122. The position goes in the message and the span is the key naming the file
    (None for account.yaml): the renderer would quote the offending line, control characters and all."""
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            raise TailorError(error("A122", f"{shown} is {name} text; tailor reads UTF-8", named_at,
                                    "save it as UTF-8 (in Excel: CSV UTF-8; in an editor: encoding UTF-8)"))
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        start = body.rfind(b"\n", 0, exc.start) + 1
        column = len(body[start:exc.start].decode("utf-8", errors="replace")) + 1
        guess = "UTF-16" if b"\x00" in body[:4096] else "Latin-1 or Windows-1252"
        where = f"{shown}:{line}:{column}"
        raise TailorError(error(
            "A122", f"{shown} is not UTF-8: byte 0x{body[exc.start]:02X} at {where} (the file looks like "
            f"{guess} text or is not a text file)", named_at,
            "save it as UTF-8 (in Excel: CSV UTF-8; in an editor: encoding UTF-8)")) from None
    found = CONTROL.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
        if found.group() == "\x00":
            kind, hint = "a NUL byte", "the file is UTF-16 or binary: save it as UTF-8 text"
        else:
            kind, hint = f"control character U+{ord(found.group()):04X}", "remove it"
        raise TailorError(error("A122", f"{shown}:{line}:{column}: {kind}; an account file is plain text",
                                named_at, hint))
    return text


