"""`tailor serve` — the HTTP service (FastAPI on uvicorn): check, rebalance, explain, batch jobs.

    tailor serve [--host 127.0.0.1] [--port 8000] [--policies policies/] [--token-file FILE]
                 [--max-body 10000000] [--time-limit 60] [--workers 1 | --scheduler tcp://HOST:PORT]

OpenAPI schema at /openapi.json, interactive docs at /docs (docs/service.md). With --token-file (or
TAILOR_SERVICE_TOKEN), every request but /v1/health needs `Authorization: Bearer <token>`; without
one, the service listens on localhost only unless --host says otherwise.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from core.diagnostics import TailorError, error

TOKEN_ENV = "TAILOR_SERVICE_TOKEN"


def register(subparsers: argparse._SubParsersAction) -> None:
    from tailor.commands.batch import LOG_HELP

    parser = subparsers.add_parser("serve", help="the HTTP service (check, rebalance, explain, jobs)",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--policies", metavar="DIR", help="the policy library requests may name by path")
    parser.add_argument("--token-file", metavar="FILE", help=f"bearer token (or ${TOKEN_ENV})")
    parser.add_argument("--max-body", type=int, default=10_000_000, metavar="BYTES",
                        help="largest request body (default 10 MB)")
    parser.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                        help="longest request, and the most a solve is given (default 60 s)")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="processes for batch jobs")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler for batch jobs")
    parser.add_argument("--decision-log", metavar="URL", help=LOG_HELP)
    parser.set_defaults(run=run)


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise TailorError(error("H103", f"--token-file {args.token_file}: cannot read it ({exc})", None,
                                    "give a UTF-8 text file holding the token")) from None
        if not token:
            raise TailorError(error("H103", f"--token-file {args.token_file} is empty", None,
                                    "write the token into the file"))
        return token
    return os.environ.get(TOKEN_ENV) or None


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from tailor.service.app import ServiceSettings, create_app

    if args.max_body < 1 or args.time_limit <= 0 or args.workers < 1:
        raise TailorError(error("B108", "--max-body, --time-limit and --workers must be positive"))
    policies = Path(args.policies) if args.policies else None
    if policies is not None and not policies.is_dir():
        raise TailorError(error("H106", f"--policies {args.policies} is not a folder", None,
                                "give the folder of the policy library"))
    settings = ServiceSettings(policies=policies, token=_token(args), max_body=args.max_body,
                               time_limit=args.time_limit, workers=args.workers, scheduler=args.scheduler,
                               decision_log=args.decision_log)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0
