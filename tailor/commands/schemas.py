"""`tailor schemas [NAME…] [--write DIR]` — the JSON Schemas of tailor's versioned results.

Without --write, prints the named schemas (all when none is named) as JSON; with --write, writes one
file per schema into DIR (`make docs` keeps docs/schemas/ current).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.diagnostics import TailorError, error
from core.suggest import did_you_mean


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schemas", help="JSON Schemas of the results (tailor.result/1, …)",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="e.g. tailor.result/1 (default: all)")
    parser.add_argument("--write", metavar="DIR", help="write one .json file per schema into DIR")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tailor.api.outputs import check_out_dir, commit
    from tailor.api.schemas import SCHEMAS, file_name, schema_text

    unknown = [name for name in args.names if name not in SCHEMAS]
    if unknown:
        raise TailorError([error("H107", f"no schema named {name!r}", None,
                                 did_you_mean(name, SCHEMAS) or "schemas: " + ", ".join(SCHEMAS))
                           for name in unknown])
    names = args.names or list(SCHEMAS)
    if args.write:
        out = check_out_dir(args.write)
        for path in commit(Path(out), {file_name(name): schema_text(name) for name in names}):
            print(f"wrote {path}")
    else:
        sys.stdout.write("".join(schema_text(name) for name in names))
    return 0
