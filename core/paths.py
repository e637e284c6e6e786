"""Where the shipped data lives and where derived artefacts (fast price format, risk models) are cached.

The data directory is the repository's own `data/` (a fresh clone works without ../shared). The
cache directory is `$TAILOR_CACHE` if set, else `<repo>/.tailor-cache/` (git-ignored). Everything in
the cache can be deleted: it is rebuilt from `data/` on demand.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("TAILOR_DATA", REPO_ROOT / "data"))


def cache_dir() -> Path:
    path = Path(os.environ.get("TAILOR_CACHE", REPO_ROOT / ".tailor-cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_digest(*paths: Path) -> str:
    """Short content hash of source files: cache keys change whenever the shipped data changes."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Let `write` fill a temporary file beside `path`, then rename it into place.

    Readers never see a half-written file, and two processes building the same artefact at once
    both end with a complete one (the last rename wins; the contents are identical).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
