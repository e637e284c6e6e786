"""`tailor test` — run policy tests (`*.test.yaml` next to the policies), like `opa test`.

    tailor test                                   # every *.test.yaml under policies/
    tailor test policies/clients/gift_appreciated.test.yaml [--run REGEX] [--format text|json]

Each case rebalances an account under a policy and checks its expectations (status, verified, no
holdings of a screen, gains and tax within limits, rules binding or not, infeasible because of given
rules, …; see docs/explain.md). Files are schema-checked first: problems are reported with file,
line and column. Exit 0 when every test passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from core.diagnostics import TailorError, error


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "test", help="run policy tests (*.test.yaml)", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        default=["policies"],
        help="test files or folders to search for *.test.yaml (default: policies)",
    )
    parser.add_argument("--run", dest="pattern", metavar="REGEX", help="only tests whose name matches")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from core.diagnostics import render_all
    from engine.explain.policy_test_runner import run_case
    from engine.explain.policy_tests import find_test_files, load_cases

    try:
        pattern = re.compile(args.pattern) if args.pattern else None
    except re.error as exc:
        raise TailorError(error("T106", f"--run: {exc}", hint="give a Python regular expression")) from None
    files = find_test_files([Path(p) for p in args.paths])
    if not files:
        raise TailorError(error("T108", "no policy tests (*.test.yaml) found in " + ", ".join(args.paths)))
    problems, cases = [], []
    for path in files:
        try:
            cases += [c for c in load_cases(path) if pattern is None or pattern.search(c.name)]
        except TailorError as exc:
            problems += exc.diagnostics
    if problems:
        raise TailorError(problems)
    markets: dict = {}
    results, current = [], None
    for case in cases:
        if args.format == "text" and case.file != current:
            current = case.file
            print(f"{case.file}:")
        result = run_case(case, markets)
        results.append(result)
        if args.format == "text":
            print(f"  {'PASS' if result.passed else 'FAIL'}: {case.name} ({result.seconds:.1f}s)", flush=True)
            for failure in result.failures:
                print(f"    {failure}")
            if result.errors:
                print("    " + render_all(result.errors).replace("\n", "\n    "))
    passed = sum(r.passed for r in results)
    if args.format == "json":
        sys.stdout.write(
            json.dumps(
                {
                    "schema": "tailor.test-report/1",
                    "passed": passed,
                    "failed": len(results) - passed,
                    "tests": [
                        {
                            "file": str(r.case.file),
                            "name": r.case.name,
                            "passed": r.passed,
                            "failures": r.failures,
                            "errors": [d.message for d in r.errors],
                        }
                        for r in results
                    ],
                },
                indent=2,
            )
            + "\n"
        )
    else:
        print("-" * 80)
        print(
            f"PASS: {passed}/{len(results)}"
            + (f"  FAIL: {len(results) - passed}/{len(results)}" if passed < len(results) else "")
        )
    return 0 if passed == len(results) else 1
