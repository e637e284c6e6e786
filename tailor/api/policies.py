"""Checking policy files: the files a list of names and folders stands for, each compiled with every
diagnostic kept. Light at import time (the compiler loads on first use), like `tailor check`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.diagnostics import Diagnostic, TailorError


def policy_files(names: list[str]) -> list[str]:
    from policy_lang.load import is_policy_file
    found: list[str] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(str(p) for p in path.rglob("*") if is_policy_file(p)))
        else:
            found.append(name)
    return found


def check_files(names: list[str]) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    from compiler.check import compile_policy
    files, diagnostics = [], []
    for name in policy_files(names):
        try:
            compiled = compile_policy(name)
        except TailorError as exc:  # messages without a span name their file themselves
            diagnostics.extend(exc.diagnostics)
            files.append({"file": name, "ok": not any(d.is_error for d in exc.diagnostics),
                          "name": None, "policy_hash": None, "rules": None})
            continue
        diagnostics.extend(compiled.warnings)
        files.append({"file": name, "ok": True, "name": compiled.name, "policy_hash": compiled.policy_hash,
                      "rules": len(compiled.rules)})
    return files, diagnostics


