"""Reading a market snapshot's files: `snapshot.yaml` and the CSV tables it names (D110, D111).

A snapshot comes from the caller's systems, so it is read as warily as an account file
(solver/account_files.py): bounded sizes, UTF-8 text, plain YAML, the tables inside the snapshot's
folder, every key and column one tailor reads (anything else is an error with "did you mean", never
dropped) and every problem located at file:line:column. What the values mean is checked in
market/snapshot.py; this module only hands it located cells.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from core.diagnostics import Related, Span, TailorError, error
from core.limits import MAX_TABLE_LINE
from core.problems import Problems
from core.suggest import closest, did_you_mean
from core.yaml_reader import YamlDialect, YMap, YNode, YScalar, read_yaml
from market.csv_lines import split_csv

MAX_YAML_BYTES = 100_000  # snapshot.yaml holds a date, three file names and a few lines of text
MAX_TABLE_BYTES = 10_000_000  # prices of every US-listed stock (~10,000 rows) take about 200 KB
MAX_ROWS = 50_000  # rows of one table
SNAPSHOT_YAML = YamlDialect(
    document="a snapshot file", plural="snapshot files", syntax="D110", refused="D110", key="D110",
    duplicate="D110", nesting="D110", size="D110", note_first=True,
    shape="snapshot.yaml is one level of keys; only `sources` holds a list (of text)")
# C0 controls but tab and line ends, DEL and C1: echoed to a terminal they can rewrite what is shown.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Cell:
    text: str
    span: Span | None  # None for a value given in Python rather than in a file


@dataclass(frozen=True)
class Row:
    """One record of a table, by canonical column. `label` names it in messages when it has no span
    (a value given in Python: "prices[AAPL]")."""

    cells: dict[str, Cell]
    where: Span | None
    label: str = ""

    def text(self, name: str) -> str:
        return self.cells[name].text

    def span(self, name: str) -> Span | None:
        return self.cells[name].span


@dataclass(frozen=True)
class Table:
    """A table file as read: its rows, and the span of its header (the file as a whole)."""

    name: str
    rows: list[Row]
    header: Span | None
    data: bytes = field(repr=False, default=b"")


def quote(text: str, limit: int = 40) -> str:
    """A value from a file, quoted for a message and cut short: messages never repeat a file back."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


# ---- files -------------------------------------------------------------------------------------------
def snapshot_file(given: str | Path) -> Path:
    """`--market` names the snapshot's folder (holding snapshot.yaml) or snapshot.yaml itself."""
    path = Path(given)
    candidate = path / "snapshot.yaml" if path.is_dir() else path
    if not candidate.is_file():
        where = "has no snapshot.yaml" if path.is_dir() else "is not a file or folder"
        raise TailorError(error("D110", f"market snapshot {given}: {where}", None,
                                "give the snapshot's folder (with snapshot.yaml, prices.csv …) or its "
                                "snapshot.yaml; docs/data.md describes the format"))
    return candidate


def read_bytes(path: Path, shown: str, limit: int, named_at: Span | None) -> bytes:
    """A regular file of at most `limit` bytes; the size is checked on the open file and the read stops
    past the limit, so a file growing meanwhile cannot make tailor read more (O_NONBLOCK: a FIFO does
    not hang the open)."""
    try:
        with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise TailorError(error("D110", f"{shown} is not a regular file", named_at,
                                        "name a file, not a folder or a device"))
            data = handle.read(limit + 1)
    except OSError as exc:
        raise TailorError(error("D110", f"{shown} cannot be read: {exc.strerror or 'error'}", named_at,
                                "check that the file exists and may be read")) from None
    if len(data) > limit:
        raise TailorError(error("D110", f"{shown} is larger than {limit:,} bytes", named_at,
                                "check that this is the right file"))
    return data


def decode(data: bytes, shown: str, named_at: Span | None) -> str:
    """UTF-8 text (a byte order mark is fine). The position of a bad byte goes into the message and the
    span stays on the key naming the file, so a binary file is never quoted back."""
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise TailorError(error("D110", f"{shown} is not UTF-8 text (byte 0x{body[exc.start]:02X} on line "
                                f"{line})", named_at, "save it as UTF-8 (in Excel: CSV UTF-8)")) from None
    found = CONTROL.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise TailorError(error("D110", f"{shown}: control character U+{ord(found.group()):04X} on line "
                                f"{line}; a snapshot file is plain text", named_at, "remove it"))
    return text


def read_snapshot_yaml(path: Path) -> tuple[YMap, bytes]:
    data = read_bytes(path, str(path), MAX_YAML_BYTES, None)
    root = read_yaml(decode(data, str(path), None), str(path), SNAPSHOT_YAML)
    if not isinstance(root, YMap):
        raise TailorError(error("D110", f"{path} is not a mapping of keys to values",
                                root.span if root is not None else Span.point(str(path), 1, 1),
                                "write one `key: value` per line, e.g. `as_of: 2026-11-20` and "
                                "`prices: prices.csv`"))
    return root, data


def locate(snapshot: Path, given: str, key: str, named_at: Span) -> Path:
    """The file `key:` names, relative to snapshot.yaml's folder and inside it: a service reads
    snapshots from other systems, and `prices: /etc/passwd` must not make it read a file of its own."""
    folder = snapshot.parent
    example = f"{key}.csv"
    if not given.strip() or CONTROL.search(given) or len(given) > 1_000:
        raise TailorError(error("D110", f"`{key}` does not name a usable file", named_at,
                                f"name a file in the snapshot's folder, e.g. `{key}: {example}`"))
    candidate = folder / given
    try:
        inside = not Path(given).is_absolute() and candidate.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
        inside = False
    if not inside:
        raise TailorError(error("D110", f"`{key}: {quote(given)[1:-1]}` is outside the snapshot's folder "
                                f"{folder}", named_at, f"copy the file beside snapshot.yaml and write e.g. "
                                f"`{key}: {example}`"))
    if not candidate.is_file():
        nearby = sorted(p.name for p in folder.iterdir() if p.is_file())
        raise TailorError(error("D110", f"`{key}`: file {quote(given)} not found (looked in {folder})",
                                named_at, did_you_mean(candidate.name, nearby)
                                or f"give the file's path relative to {snapshot.name}"))
    return candidate


def node_text(node: YNode, key: str, problems: Problems) -> str | None:
    """A key's single value as text; a list or mapping where one value belongs is D110."""
    if isinstance(node, YScalar) and node.tag != "null":
        return node.value
    problems.add(error("D110", f"`{key}` takes a single value" if not isinstance(node, YScalar)
                       else f"`{key}` is empty", node.span, f"write one value after `{key}:` on its line"))
    return None


# ---- tables ------------------------------------------------------------------------------------------
def _normal(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def read_table(path: Path, named_at: Span, kind: str, columns: dict[str, tuple[str, ...]]) -> Table:
    """A CSV table whose first line names the columns: every name one tailor reads (D111, with "did
    you mean"), each at most once, all of `columns` present; then one Row per non-blank line."""
    name = str(path)
    data = read_bytes(path, name, MAX_TABLE_BYTES, named_at)
    lines = re.split(r"\r\n|\r|\n", decode(data, name, named_at))
    if lines and lines[-1] == "":
        lines.pop()
    expected = ", ".join(columns)
    if not lines or not lines[0].strip():
        raise TailorError(error("D111", f"{name} is empty or its first line is blank", named_at,
                                f"the first line names the columns: {expected}"))
    if len(lines) > MAX_ROWS + 1:
        raise TailorError(error("D111", f"{name} has {len(lines) - 1:,} rows, more than {MAX_ROWS:,}",
                                named_at, f"a {kind} table lists each security once"))
    long = next((n for n, line in enumerate(lines, 1) if len(line) > MAX_TABLE_LINE), None)
    if long is not None:  # not quoted back: the renderer would print the whole line
        raise TailorError(error("D111", f"{name}:{long}: a line of more than {MAX_TABLE_LINE:,} "
                                f"characters; this is not a {kind} table", named_at,
                                "check that the file is the right one"))
    header_span = Span.point(name, 1, 1, len(lines[0]))
    mapping = _map_header(name, split_csv(lines[0]), columns, header_span)
    problems = Problems("the snapshot", "D110")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = split_csv(line)
        extra = [(value, column) for value, column in fields[len(mapping):] if value.strip()]
        if len(fields) > len(mapping) and extra:
            value, column = extra[0]
            problems.add(error("D111", f"{len(fields)} fields on this line but {len(mapping)} named columns",
                               Span.point(name, number, column, len(value)),
                               "a value in no column is not read: quote a value that contains a comma"))
            continue
        cells = {}
        for canonical, index in mapping.items():
            value, column = fields[index] if index < len(fields) else ("", len(line) + 1)
            cells[canonical] = Cell(value.strip(), Span.point(name, number, column, max(len(value), 1)))
        rows.append(Row(cells, Span.point(name, number, 1, len(line))))
    problems.check()
    return Table(name=name, rows=rows, header=header_span, data=data)


def _map_header(name: str, header: list[tuple[str, int]], columns: dict[str, tuple[str, ...]],
                header_span: Span) -> dict[str, int]:
    while header and not header[-1][0].strip():  # a trailing comma after the last name (Excel)
        header.pop()
    spellings = {_normal(alias): canonical for canonical, aliases in columns.items() for alias in aliases}
    expected = ", ".join(columns)
    problems = Problems("the snapshot", "D110")
    mapping: dict[str, int] = {}
    for index, (title, column) in enumerate(header):
        span = Span.point(name, 1, column, max(len(title), 1))
        canonical = spellings.get(_normal(title))
        if canonical is None:
            close = list(dict.fromkeys(spellings[c] for c in closest(_normal(title), spellings)))
            hint = ("did you mean " + " or ".join(f"`{c}`" for c in close) + "?") if close \
                else f"the columns tailor reads: {expected}."
            problems.add(error("D111", f"unknown column {quote(title.strip())} in {name}: tailor does not "
                               "read it" if title.strip() else f"column {index + 1} of {name} has no name",
                               span, hint + " Rename or remove it: a column tailor does not read could hold "
                               "data you expect to count"))
        elif canonical in mapping:
            first = header[mapping[canonical]]
            problems.add(error("D111", f"two columns give the {canonical}: {quote(first[0].strip())} and "
                               f"{quote(title.strip())}", span, "keep one of them",
                               (Related(message="the first is here",
                                        span=Span.point(name, 1, first[1], max(len(first[0]), 1))),)))
        else:
            mapping[canonical] = index
    missing = [c for c in columns if c not in mapping]
    if missing:
        problems.add(error("D111", f"{name}: missing column(s) {', '.join(missing)}", header_span,
                           f"the first line names the columns: {expected}"))
    problems.check()
    return mapping
