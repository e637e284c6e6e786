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
    parser.add_argument("--policy", metavar="P", help="OLD and NEW are two versions of a model P extends: "
                        "show what the change means for P after its overrides")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from compiler.language import diff_policies, parse_file
    from policy_lang.diff import render_diff

    if args.policy:
        return _for_policy(args)
    changes = diff_policies(parse_file(args.old), parse_file(args.new))
    if args.format == "json":
        print(json.dumps({"version": 1, "old": args.old, "new": args.new,
                          "changes": [c.as_dict() for c in changes]}, indent=2))
    else:
        print(render_diff(changes, args.old, args.new), end="")
    return 0


def _for_policy(args: argparse.Namespace) -> int:
    """The model's own changes, then what they change in the policy that extends it."""
    from policy_lang.diff import render_diff
    from tailor.api.overrides import effective_change

    found = effective_change(args.policy, args.old, args.new)
    if args.format == "json":
        print(json.dumps({"version": 1, "old": args.old, "new": args.new, "policy": args.policy,
                          "model": [c.as_dict() for c in found.model],
                          "effective": [c.as_dict() for c in found.effective]}, indent=2))
        return 0
    print(render_diff(found.model, args.old, args.new), end="")
    print(f"\nfor {args.policy}, after its overrides:")
    labels = (f"{args.policy} with {args.old}", f"{args.policy} with {args.new}")
    print(render_diff(found.effective, *labels), end="")
    return 0
