"""Files sent to the service, laid out in a private folder per request, and what they may reach.

The loaders then read them as they read files on disk, with the same diagnostics. A request must not
make the service read anything else: names are plain relative paths (H106), account and snapshot
files already stay in their folders (A125, D110), and a sent policy may name (in `extends`, a model
or ticker file) only files of the same request, never `..`, an absolute path or `git:`; a library
policy is a file inside the service's --policies folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from compiler.language import parse_file
from core.diagnostics import Span, TailorError, error
from policy_lang.ast import Text
from policy_lang.load import is_policy_file
from tailor.service.models import FileSet, PolicyRef

CONTROL = re.compile(r"[\x00-\x1f\x7f\\:]")


def _unsafe(what: str, hint: str) -> TailorError:
    return TailorError(error("H106", what, None, hint))


def _relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    odd = any(part in ("..", ".", "") for part in path.parts)
    if CONTROL.search(name) or path.is_absolute() or not path.parts or odd:
        raise _unsafe(f"file name {name[:80]!r} is not a plain relative path",
                      "name files like `lots.csv` or `models/target.csv`: no `..`, no leading `/`, no `\\`")
    return path


def write_files(files: FileSet, folder: Path) -> Path:
    """The files under `folder`; the path of the entry point (`main`)."""
    main = _relative(files.main)
    if files.main not in files.files:
        raise TailorError(error("H104", f"main: {files.main!r} is not one of the files sent", None,
                                "set `main` to the name of one of `files`"))
    for name, text in files.files.items():
        path = folder.joinpath(*_relative(name).parts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except UnicodeEncodeError:  # JSON may carry lone surrogates, which no file can hold
            raise TailorError(error("H104", f"file {name[:80]!r} is not valid Unicode text", None,
                                    "send files as UTF-8 text")) from None
        except OSError as exc:  # a name too long for the file system, a file and a folder of one name
            raise _unsafe(f"file {name[:80]!r} cannot be laid out ({exc.strerror or exc})",
                          "use short names, and no name both as a file and as a folder") from None
    return folder.joinpath(*main.parts)


def hide_folder(exc: TailorError, folder: Path) -> TailorError:
    """The diagnostics with the request's private folder taken out of file names: a caller sees
    `account/lots.csv:3:1`, not where the service keeps it."""
    prefix = str(folder) + "/"

    def span(found: Span | None) -> Span | None:
        return found.model_copy(update={"file": found.file.replace(prefix, "")}) if found else None

    return TailorError([d.model_copy(update={
        "span": span(d.span), "message": d.message.replace(prefix, ""),
        "related": tuple(r.model_copy(update={"span": span(r.span)}) for r in d.related)})
        for d in exc.diagnostics])


def _texts(node: object) -> Iterator[Text]:
    if isinstance(node, Text):
        yield node
    elif isinstance(node, BaseModel):
        for value in node.__dict__.values():
            yield from _texts(value)
    elif isinstance(node, tuple | list):
        for value in node:
            yield from _texts(value)


def _confine(folder: Path) -> None:
    """Every file a sent policy names must be a file of the request."""
    for path in sorted(folder.rglob("*")):
        if is_policy_file(path):
            _confine_policy(path, folder.resolve())


def _confine_policy(path: Path, root: Path) -> list[Path]:
    """Refuse a file the policy at `path` names outside `root` (H106); the policy files it names."""
    named = []
    for text in _texts(parse_file(str(path))):
        value = text.value
        escapes = value.startswith(("/", "git:")) or ".." in PurePosixPath(value).parts
        if escapes or not (path.parent / value).resolve().is_relative_to(root):
            span = text.span or Span.point(str(path), 1, 1)
            raise TailorError(error("H106", f"{value[:80]!r} names a file outside the request", span,
                                    "send the files a policy extends or names with it, or use a policy "
                                    "of the service's library"))
        if is_policy_file(path.parent / value):
            named.append(path.parent / value)
    return named


def confine_policies(policies: list[Path], root: Path) -> None:
    """The policies a sent household names, and every policy they extend, name only files of the
    request (H106); household.yaml and the account files, YAML too, are not policies to parse."""
    todo, seen = list(policies), set()
    while todo:
        path = todo.pop()
        if path.resolve() not in seen:
            seen.add(path.resolve())
            todo += _confine_policy(path, root.resolve())


def policy_path(ref: PolicyRef, library: Path | None, folder: Path) -> Path:
    """The policy's entry file: in the library, or written (and confined) under `folder`."""
    if (ref.library is None) == (ref.files is None):
        raise TailorError(error("H104", "policy: give exactly one of `library` and `files`", None,
                                "name a policy of the service's library, or send the policy's files"))
    if ref.files is not None:
        main = write_files(ref.files, folder)
        _confine(folder)
        return main
    if library is None:
        raise _unsafe("this service has no policy library", "send the policy's files, or start the service "
                      "with --policies DIR")
    assert ref.library is not None  # exactly one of the two is given (checked above)
    path = library.joinpath(*_relative(ref.library.path).parts)
    inside = path.resolve().is_relative_to(library.resolve())
    if not inside or not path.is_file() or not is_policy_file(path):
        raise _unsafe(f"no policy {ref.library.path!r} in the library", "name a .tailor or .yaml file by its "
                      "path in the library, e.g. clients/executive.tailor")
    return path
