"""`tailor codes [CODE ...]` — what a diagnostic code means and how to fix it.

    tailor codes A124          # one code's entry (case does not matter)
    tailor codes               # every code with its title, family by family
    tailor codes --markdown    # the page docs/errors.md (`make docs` writes it)

Everything comes from one registry (core/error_codes/). An unknown code is a usage error
(exit 2), with the closest codes suggested.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("codes", help="what a diagnostic code (error[A124]) means, how to fix it",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("codes", nargs="*", metavar="CODE", help="codes to explain, e.g. A124 P205")
    parser.add_argument("--markdown", action="store_true",
                        help="print every code as the Markdown page docs/errors.md")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from core.error_codes import CODES
    from core.error_codes.render import explanation, listing, markdown
    from core.suggest import did_you_mean

    if args.markdown and args.codes:
        print("tailor codes: --markdown prints every code; give it no CODE", file=sys.stderr)
        return 2
    if args.markdown:
        print(markdown(), end="")
        return 0
    if not args.codes:
        print(listing(), end="")
        return 0
    unknown = [code for code in args.codes if code.upper() not in CODES]
    for code in unknown:
        hint = did_you_mean(code.upper(), CODES) or "`tailor codes` lists them all"
        print(f"tailor codes: unknown code {code!r}; {hint}", file=sys.stderr)
    if unknown:
        return 2
    print("\n".join(explanation(CODES[code.upper()]) for code in args.codes), end="")
    return 0
