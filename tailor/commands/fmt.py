"""`tailor fmt FILE [--to yaml|tailor] [--write]` — print a policy in canonical form, or convert it.

Formatting is exact: parsing the output gives the same policy. Comments are not part of a policy
(a reason that must reach compliance goes in `because "…"`), but they are kept next to the rule they
precede or trail, in either syntax, unless `--drop-comments` is given.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fmt", help="print a policy in canonical form or convert its syntax",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--to", choices=("tailor", "yaml"), help="output syntax (default: the file's own)")
    parser.add_argument("--write", action="store_true",
                        help="write the result (next to FILE with the new suffix when converting)")
    parser.add_argument("--drop-comments", action="store_true", help="print without the file's comments")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from compiler.language import format_dsl, format_yaml, parse_text
    from policy_lang.comments import Comments, collect
    from policy_lang.load import read_source, syntax_of

    source = read_source(args.file)
    syntax = syntax_of(args.file)
    policy = parse_text(source, args.file, syntax)
    comments = Comments() if args.drop_comments else collect(source, policy)
    target = args.to or syntax
    text = format_dsl(policy, comments) if target == "tailor" else format_yaml(policy, comments)
    if not args.write:
        print(text, end="")
        return 0
    out = Path(args.file).with_suffix(".tailor" if target == "tailor" else ".yaml")
    handle, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        source_path = Path(args.file)
        mode = source_path.stat().st_mode & 0o777 if source_path.is_file() else 0o644
        os.chmod(temp, mode)  # mkstemp creates 0600; keep the policy's own permissions
        os.replace(temp, out)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    print(f"wrote {out}")
    return 0
