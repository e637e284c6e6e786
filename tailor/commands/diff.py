"""`tailor diff OLD NEW` — semantic changes between two versions of a policy (files or git:REV:path):
rules added, removed, tightened, loosened or changed; not a text diff."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("diff", help="semantic changes between two versions of a policy",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("old", metavar="OLD", help="policy file or git:REV:path")
    parser.add_argument("new", metavar="NEW", help="policy file or git:REV:path")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from policy_lang.diff import diff_policies, render_diff
    from policy_lang.load import parse_file

    changes = diff_policies(parse_file(args.old), parse_file(args.new))
    if args.format == "json":
        print(json.dumps({"version": 1, "old": args.old, "new": args.new,
                          "changes": [c.as_dict() for c in changes]}, indent=2))
    else:
        print(render_diff(changes, args.old, args.new), end="")
    return 0
