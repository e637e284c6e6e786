"""`tailor` command line. Sub-commands live in `tailor.commands`, one module each.

Exit codes: 0 success, 1 input or policy errors (diagnostics printed), 2 usage errors,
3 an internal error (a bug; TAILOR_DEBUG=1 shows the traceback).
User-facing failures are rendered as diagnostics, never as tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import tailor.commands
from core.diagnostics import TailorError, render_all


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tailor", description="Declarative, verified, tax-managed portfolio rebalancing.",
        epilog="`tailor COMMAND --help` describes a command; docs/ has the reference.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(tailor.commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"tailor.commands.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except TailorError as exc:
        print(render_all(exc.diagnostics), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in tailor, not bad input: say so in one line, keep the trace opt-in
        if os.environ.get("TAILOR_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc}\n  this is a bug in tailor, not in your input; "
              "run again with TAILOR_DEBUG=1 to see the traceback and please report it", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
