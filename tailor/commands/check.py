"""`tailor check FILES...` — validate policies (files or folders) against the security master.

Exit status 1 when any file has errors. `--format json` prints a stable machine-readable schema
(version 1) for editors and CI:
  {"version": 1, "files": [{"file", "ok", "name", "policy_hash", "rules"}],
   "diagnostics": [{"severity", "code", "message", "file", "line", "column", "end_line",
                    "end_column", "hint", "related": [{"message", "file", "line", "column"}]}],
   "summary": {"files", "errors", "warnings"}}
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from core.diagnostics import Diagnostic, TailorError, error, render_all
from tailor.api.policies import check_files


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="check policy files (.tailor, .yaml) or folders of them",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE", help="policy files or folders")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    span = d.span
    return {"severity": d.severity.value, "code": d.code, "message": d.message,
            "file": span.file if span else None, "line": span.line if span else None,
            "column": span.column if span else None, "end_line": span.end_line if span else None,
            "end_column": span.end_column if span else None, "hint": d.hint,
            "related": [{"message": r.message, "file": r.span.file, "line": r.span.line,
                         "column": r.span.column} for r in d.related]}


def run(args: argparse.Namespace) -> int:
    files, diagnostics = check_files(args.files)
    if not files:
        raise TailorError(error("P005", "no policy files found", None,
                                "pass .tailor or .yaml files, or a folder holding them"))
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if args.format == "json":
        print(json.dumps({"version": 1, "files": files,
                          "diagnostics": [_diagnostic_json(d) for d in diagnostics],
                          "summary": {"files": len(files), "errors": errors, "warnings": warnings}},
                         indent=2))
    else:
        if diagnostics:
            print(render_all(diagnostics) + "\n")
        for entry in files:
            status = f"ok    {entry['policy_hash'][:12]}  {entry['rules']:>3} rules" if entry["policy_hash"] \
                else "FAIL"
            print(f"{status}  {entry['file']}")
        print(f"\nchecked {len(files)} file{'s' * (len(files) != 1)}: {errors} error{'s' * (errors != 1)}, "
              f"{warnings} warning{'s' * (warnings != 1)}")
    return 1 if errors else 0
