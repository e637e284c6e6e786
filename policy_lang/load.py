"""Reading policy files of either syntax, bounded in size, with `git:REV:path` for `tailor diff`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from core.diagnostics import TailorError, error
from core.limits import MAX_FILE_BYTES
from policy_lang.ast import PolicyFile
from policy_lang.parser import parse_dsl
from policy_lang.syntax import RuleKinds
from policy_lang.yaml_policy import parse_yaml

DSL_SUFFIXES = (".tailor",)
YAML_SUFFIXES = (".yaml", ".yml")
POLICY_SUFFIXES = DSL_SUFFIXES + YAML_SUFFIXES
TEST_SUFFIXES = (".test.yaml", ".test.yml")  # policy test suites (`tailor test`), not policies


def is_policy_file(path: Path) -> bool:
    """A policy file when a folder is searched: .tailor/.yaml/.yml, but not a `*.test.yaml` suite."""
    name = path.name.lower()
    return path.suffix.lower() in POLICY_SUFFIXES and not name.endswith(TEST_SUFFIXES) and path.is_file()


def syntax_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in DSL_SUFFIXES:
        return "tailor"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    raise TailorError(error("P001", f"`{name}` is neither a .tailor nor a .yaml policy", None,
                            "policy files end in .tailor (text DSL) or .yaml"))


def parse_text(text: str, file: str, syntax: str | None = None, *, kinds: RuleKinds) -> PolicyFile:
    """Parse policy text of the given syntax ("tailor" or "yaml"; by default from the file name)."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise TailorError(error("P121", f"`{file}` is larger than {MAX_FILE_BYTES:,} bytes", None,
                                "a policy is a short file; split large lists into referenced files"))
    if "\x00" in text:
        raise TailorError(error("P002", f"`{file}` is not a text file (it contains NUL bytes)"))
    syntax = syntax or syntax_of(file)
    return parse_dsl(text, file, kinds=kinds) if syntax == "tailor" else parse_yaml(text, file, kinds=kinds)


def read_source(name: str) -> str:
    """File text, or `git:REV:path` from the repository that holds the path."""
    if name.startswith("git:"):
        _, rev, path = [*name.split(":", 2), "", ""][:3]
        if not rev or not path:
            raise TailorError(error("P003", f"`{name}` is not of the form git:REV:path", None,
                                    "e.g. git:HEAD~1:policies/clients/executive.tailor"))
        cwd = Path(path).parent if Path(path).parent.is_dir() else Path.cwd()
        rel = subprocess.run(["git", "-C", str(cwd), "ls-files", "--full-name", "--", Path(path).name],
                             capture_output=True, text=True, check=False).stdout.strip() or path
        done = subprocess.run(["git", "-C", str(cwd), "show", f"{rev}:{rel}"], capture_output=True,
                              check=False)
        if done.returncode != 0:
            raise TailorError(error("P003", f"cannot read `{path}` at git revision `{rev}`", None,
                                    done.stderr.decode("utf-8", "replace").strip() or None))
        data = done.stdout
    else:
        path_obj = Path(name)
        if not path_obj.is_file():
            raise TailorError(error("P004", f"no such policy file `{name}`"))
        if path_obj.stat().st_size > MAX_FILE_BYTES:
            raise TailorError(error("P121", f"`{name}` is larger than {MAX_FILE_BYTES:,} bytes", None,
                                    "a policy is a short file; split large lists into referenced files"))
        data = path_obj.read_bytes()
    try:
        return data.decode("utf-8-sig")  # a byte-order mark from Windows editors is not text
    except UnicodeDecodeError as exc:
        raise TailorError(error("P002", f"`{name}` is not UTF-8 text (byte {exc.start})")) from None


def parse_file(name: str, *, kinds: RuleKinds) -> PolicyFile:
    """Parse a policy file (or `git:REV:path`) of either syntax."""
    return parse_text(read_source(name), name, syntax_of(name.rsplit(":", 1)[-1]), kinds=kinds)
