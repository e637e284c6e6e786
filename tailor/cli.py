"""`tailor` command line. Sub-commands live in `tailor.commands`, one module each.

Exit codes: 0 success, 1 input or policy errors (diagnostics printed), 2 usage errors.
User-facing failures are rendered as diagnostics, never as tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from policy_lang.diagnostics import TailorError, render_all

import tailor.commands


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


if __name__ == "__main__":
    sys.exit(main())
