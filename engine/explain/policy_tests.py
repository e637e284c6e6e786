"""Policy tests: YAML files (`*.test.yaml`) next to the policies they test, in the spirit of `opa test`.

    tests:
      - name: tobacco is sold and never bought
        policy: faith_esg_family.tailor                   # paths relative to this file
        account: ../../examples/accounts/index_2012/account.yaml
        as_of: 2021-04-21                                 # optional: else the account's as_of
        time_limit: 60                                    # optional, seconds
        expect:
          status: optimal                                 # optimal | feasible | infeasible
          verified: true
          holds_none: [MO, PM]                            # tickers held after trading
          holds_none_of: [screen-tobacco]                 # the tickers a rule names
          buys_none: [XOM]
          buys_none_of: [screen-fossil-fuels]
          sells_none: [MSFT]
          sells_none_of: [keep-msft]
          realized_long_term: {at_most: $20,000}          # this rebalance; also realized_short_term,
          realized_long_term_ytd: {at_most: $20,000}      # …_ytd (with gains earlier this year),
          estimated_tax: {at_most: $8,000}                # estimated_tax, cash_after (dollars),
          tracking_error: {at_most: 3%}                   # tracking_error, turnover (percent),
          trades: {at_least: 1}                           # trades, sells, buys (counts)
          binding: [gift]                                 # rules binding (or shaping the objective)
          not_binding: [keep-msft]
          conflict: [firm-wash-sale, screen-gambling]     # infeasible because of exactly these rules
          explanation_contains: ["kept lot"]              # substrings of the explanation text

Read with positions (`core.yaml_reader`, a safe loader, no Python objects), checked against
this schema with errors naming file, line and column, and a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from core.diagnostics import Diagnostic, Span, TailorError, error
from core.suggest import did_you_mean
from core.yaml_reader import YMap, YNode, YScalar, YSeq, read_yaml

MAX_FILE_BYTES = 1_000_000
CASE_KEYS = ("name", "policy", "account", "as_of", "time_limit", "expect")
BOUND_KEYS = ("at_most", "at_least")
MONEY = (
    "realized_short_term",
    "realized_long_term",
    "realized_short_term_ytd",
    "realized_long_term_ytd",
    "estimated_tax",
    "cash_after",
)
PERCENT = ("tracking_error", "turnover")
COUNT = ("trades", "sells", "buys")
TICKER_LISTS = ("holds_none", "buys_none", "sells_none")
RULE_LISTS = ("holds_none_of", "buys_none_of", "sells_none_of", "binding", "not_binding", "conflict")
EXPECT_KEYS = (
    "status",
    "verified",
    *MONEY,
    *PERCENT,
    *COUNT,
    *TICKER_LISTS,
    *RULE_LISTS,
    "explanation_contains",
)
STATUSES = ("optimal", "feasible", "infeasible")
_MONEY = re.compile(r"^-?\$?-?[0-9][0-9,]*(\.[0-9]+)?k?$")
_PERCENT = re.compile(r"^-?[0-9]+(\.[0-9]+)?%$")


@dataclass(frozen=True)
class Expectation:
    key: str
    span: Span
    value: object  # str | bool | list[str] | tuple[str, Decimal] for bounds ("at_most", 20000)


@dataclass(frozen=True)
class PolicyCase:
    name: str
    file: Path
    span: Span
    policy: Path
    account: Path
    as_of: date | None  # None: the account's own as_of (never a silent default)
    time_limit: float
    expectations: tuple[Expectation, ...] = field(default_factory=tuple)


class _Problems:
    def __init__(self) -> None:
        self.found: list[Diagnostic] = []

    def add(self, message: str, span: Span, hint: str | None = None, code: str = "T102") -> None:
        self.found.append(error(code, message, span, hint))


def _keys(
    node: YMap, allowed: tuple[str, ...], what: str, problems: _Problems
) -> dict[str, tuple[YScalar, YNode]]:
    out = {}
    for key, value in node.items:
        if key.value not in allowed:
            problems.add(
                f"{what} has no key `{key.value}`",
                key.span,
                did_you_mean(key.value, allowed) or f"{what} takes: {', '.join(allowed)}",
                "T103",
            )
        else:
            out[key.value] = (key, value)
    return out


def _scalar(node: YNode, what: str, problems: _Problems) -> YScalar | None:
    if not isinstance(node, YScalar) or node.tag == "null":
        problems.add(f"{what} must be a single value", node.span)
        return None
    return node


def _strings(node: YNode, what: str, problems: _Problems) -> list[str] | None:
    items = node.items if isinstance(node, YSeq) else (node,)
    out = []
    for item in items:
        scalar = _scalar(item, f"each entry of {what}", problems)
        if scalar is None:
            return None
        out.append(scalar.value)
    return out


def _amount(scalar: YScalar, key: str, problems: _Problems) -> Decimal | None:
    text = scalar.value.strip().replace(" ", "")
    if key in PERCENT:
        if not _PERCENT.match(text):
            problems.add(
                f"`{key}` bounds are percentages, not `{scalar.value}`", scalar.span, "write e.g. 3% or 0.5%"
            )
            return None
        return Decimal(text[:-1]) / 100
    if key in COUNT:
        if scalar.tag != "int":
            problems.add(
                f"`{key}` bounds are whole numbers, not `{scalar.value}`", scalar.span, "write e.g. 10"
            )
            return None
        return Decimal(scalar.value)
    if not _MONEY.match(text):
        problems.add(
            f"`{key}` bounds are dollar amounts, not `{scalar.value}`",
            scalar.span,
            "write e.g. $20,000 or 20000 or $20k",
        )
        return None
    thousands = text.endswith("k")
    try:
        value = Decimal(text.rstrip("k").replace("$", "").replace(",", ""))
    except InvalidOperation:
        problems.add(f"`{scalar.value}` is not an amount", scalar.span)
        return None
    return value * 1000 if thousands else value


def _expectation(key: YScalar, node: YNode, problems: _Problems) -> list[Expectation]:
    name = key.value
    if name == "status":
        scalar = _scalar(node, "`status`", problems)
        if scalar is not None and scalar.value not in STATUSES:
            problems.add(f"`status` must be one of {', '.join(STATUSES)}", scalar.span,
                         did_you_mean(scalar.value, STATUSES))
            return []
        return [Expectation(name, key.span, scalar.value)] if scalar else []
    if name == "verified":
        scalar = _scalar(node, "`verified`", problems)
        if scalar is not None and scalar.tag != "bool":
            problems.add("`verified` must be true or false", scalar.span)
            return []
        return [Expectation(name, key.span, scalar.value.lower() == "true")] if scalar else []
    if name in (*MONEY, *PERCENT, *COUNT):
        if not isinstance(node, YMap):
            example = "3%" if name in PERCENT else "10" if name in COUNT else "$20k"
            problems.add(
                f"`{name}` takes bounds: {{at_most: …}} and/or {{at_least: …}}",
                node.span,
                f"e.g. `{name}: {{at_most: {example}}}`",
            )
            return []
        out = []
        for key_node, _ in node.items:
            if key_node.value.isdigit():  # `{at_most: $10,000}`: the comma split the flow mapping
                problems.add(
                    f"`{name}`: an amount with a thousands comma inside {{…}} must be quoted",
                    key_node.span,
                    'write `at_most: "$10,000"`, or `$10k`, or use one line per bound',
                    "T107",
                )
                return []
        for bound, (bkey, bnode) in _keys(node, BOUND_KEYS, f"`{name}`", problems).items():
            scalar = _scalar(bnode, f"`{name}.{bound}`", problems)
            amount = _amount(scalar, name, problems) if scalar else None
            if amount is not None:
                out.append(Expectation(name, bkey.span, (bound, amount)))
        return out
    values = _strings(node, f"`{name}`", problems)
    return [Expectation(name, key.span, tuple(values))] if values is not None else []


def _case(node: YNode, file: Path, problems: _Problems) -> PolicyCase | None:
    if not isinstance(node, YMap):
        problems.add("each test is a mapping with name, policy, account and expect", node.span)
        return None
    keys = _keys(node, CASE_KEYS, "a test", problems)
    expectations: list[Expectation] = []
    expect = keys.get("expect", (None, None))[1]
    if expect is not None and not isinstance(expect, YMap):
        problems.add("`expect` is a mapping of expectations", expect.span, "e.g. `expect: {status: optimal}`")
    elif expect is not None:
        for key, value in _keys(expect, EXPECT_KEYS, "`expect`", problems).values():
            expectations += _expectation(key, value, problems)
    missing = [r for r in ("name", "policy", "account", "expect") if r not in keys]
    for required in missing:
        problems.add(f"this test has no `{required}`", node.span, f"add `{required}: …`", "T104")
    if missing:
        return None
    texts = {k: _scalar(keys[k][1], f"`{k}`", problems) for k in ("name", "policy", "account")}
    as_of: date | None = None
    if "as_of" in keys:
        scalar = _scalar(keys["as_of"][1], "`as_of`", problems)
        try:
            as_of = date.fromisoformat(scalar.value) if scalar else None
        except ValueError:
            problems.add(f"`as_of` must be a date, not `{scalar.value}`", scalar.span, "write YYYY-MM-DD")
    time_limit = 60.0
    if "time_limit" in keys:
        scalar = _scalar(keys["time_limit"][1], "`time_limit`", problems)
        if scalar is not None and (scalar.tag not in ("int", "float") or float(scalar.value) <= 0):
            problems.add("`time_limit` must be a positive number of seconds", scalar.span)
        elif scalar is not None:
            time_limit = float(scalar.value)
    if None in texts.values():
        return None
    base = file.parent
    return PolicyCase(
        name=texts["name"].value,
        file=file,
        span=node.span,
        policy=base / texts["policy"].value,
        account=base / texts["account"].value,
        as_of=as_of,
        time_limit=time_limit,
        expectations=tuple(expectations),
    )


def load_cases(path: Path) -> list[PolicyCase]:
    """Read and schema-check one test file; every problem found is reported, with its position."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TailorError(
            error("T101", f"test file is larger than {MAX_FILE_BYTES:,} bytes", Span.point(str(path), 1, 1))
        )
    root = read_yaml(path.read_text(encoding="utf-8"), str(path))
    problems = _Problems()
    if not isinstance(root, YMap) or root.get("tests") is None:
        raise TailorError(
            error(
                "T102",
                "a policy test file is a mapping with a `tests:` list",
                root.span if root is not None else Span.point(str(path), 1, 1),
                "start the file with `tests:` and list the cases under it",
            )
        )
    _keys(root, ("tests",), "a policy test file", problems)
    tests = root.get("tests")
    if not isinstance(tests, YSeq) or not tests.items:
        problems.add("`tests` must be a non-empty list of test cases", tests.span)  # type: ignore[union-attr]
        raise TailorError(problems.found)
    cases = [c for item in tests.items if (c := _case(item, path, problems)) is not None]
    names = [c.name for c in cases]
    for case in cases:
        if names.count(case.name) > 1:
            problems.add(
                f"two tests are named {case.name!r}", case.span, "give each test its own name", "T105"
            )
            break
    if problems.found:
        raise TailorError(problems.found)
    return cases


def find_test_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob("*.test.yaml"))
        elif path.exists():
            found.append(path)
        else:
            raise TailorError(
                error(
                    "T100",
                    f"no such file or directory: {path}",
                    None,
                    "give test files (*.test.yaml) or folders holding them",
                )
            )
    return sorted(set(found))
