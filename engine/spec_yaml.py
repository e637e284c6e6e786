"""Read a simulation spec file: plain YAML data, every key read, every problem located.

An unknown key is an error with "did you mean" (a misspelt `on_infeasable` silently ignored would run
a different simulation than the one written), as is a key that only another setting reads (`bands`
without `fast_path: bands`). All problems of the file are reported at once. Paths (`policy`,
`account`) are relative to the spec's folder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.dates import parse_date
from core.diagnostics import Diagnostic, Span, TailorError, error
from core.suggest import did_you_mean
from core.yaml_reader import YamlDialect, YMap, YNode, YScalar, YSeq, read_yaml
from engine.spec import CADENCES, EVERY, FAST_PATHS, RISK_REFRESH, SimulationSpec
from solver.account_files import check_number

SPEC_YAML = YamlDialect(
    document="a simulation spec", plural="simulation specs", syntax="M100", refused="M100", key="M100",
    duplicate="M100", nesting="M100", size="M100", note_first=True,
    shape="a spec has three levels: its keys, the entries of `cash_flows`, and their fields")
MAX_SPEC_BYTES = 1_000_000
MAX_MONEY = Decimal(10) ** 12
TOP = ("start", "end", "cadence", "policy", "account", "cash", "account_type", "cash_flows", "tax", "costs",
       "on_infeasible", "fast_path", "bands", "risk_model", "solver")
FLOW = ("deposit", "withdraw", "on", "every", "from", "until")
TAX = ("short_term_rate", "long_term_rate", "dividend_rate", "paid_from")
COSTS = ("spread_bp", "fee")
BANDS = ("cash", "tracking_error")
SOLVER = ("time_limit", "gap")
EXAMPLE = {"start": "2019-07-01", "end": "2020-12-31", "cadence": "monthly", "policy": "policy.tailor",
           "account": "account.yaml", "cash": "100000", "on_infeasible": "skip", "fast_path": "proof",
           "risk_model": "monthly", "account_type": "taxable"}


class _Reader:
    """Collects problems while turning nodes into plain values; `check` raises them all."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Diagnostic] = []
        self.spans: dict[str, Span] = {}

    def add(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.problems.append(error(code, message, span, hint))

    def mapping(self, node: YNode, where: str, allowed: tuple[str, ...]) -> dict[str, YNode]:
        if not isinstance(node, YMap):
            self.add("M102", f"`{where}` is a mapping of keys to values", node.span,
                     f"write one key per line under `{where}:`, e.g. `{allowed[0]}: …`")
            return {}
        found = {}
        for key, value in node.items:
            path = f"{where}.{key.value}" if where else key.value
            if key.value in allowed:
                found[key.value] = value
                self.spans[path] = value.span
            else:
                self.add("M102", f"unknown key `{key.value}`{f' under `{where}`' if where else ''}: "
                         "tailor simulate does not read it", key.span,
                         did_you_mean(key.value, allowed) or f"the keys read here: {', '.join(allowed)}")
        return found

    def scalar(self, node: YNode, name: str) -> YScalar | None:
        if isinstance(node, YScalar) and node.tag != "null" and node.value.strip():
            return node
        shape = "an empty value" if isinstance(node, YScalar) else "a list or mapping"
        self.add("M102", f"`{name}` takes a single value, not {shape}", node.span,
                 f"e.g. `{name}: {EXAMPLE.get(name, '…')}`")
        return None

    def date(self, node: YNode, name: str) -> date | None:
        scalar = self.scalar(node, name)
        found = parse_date(scalar.value) if scalar else None
        if scalar and found is None:
            self.add("M103", f"`{name}`: `{scalar.value[:40]}` is not a date", scalar.span,
                     "write YYYY-MM-DD, e.g. 2020-01-31")
        return found

    def number(self, node: YNode, name: str, low: Decimal | None, high: Decimal) -> Decimal | None:
        scalar = self.scalar(node, name)
        if scalar is None:
            return None
        value, problem = check_number(scalar.value, name, scalar.span, low=low, high=high)
        if problem is not None:  # the account reader's wording, under this file's code
            self.problems.append(problem.model_copy(update={"code": "M103"}))
        return value

    def fraction(self, node: YNode, name: str) -> float | None:
        """A fraction in [0, 1): `0.005` or `0.5%`."""
        scalar = self.scalar(node, name)
        if scalar is None:
            return None
        text = scalar.value.strip()
        scale = Decimal("0.01") if text.endswith("%") else Decimal(1)
        value, problem = check_number(text.removesuffix("%"), name, scalar.span, low=Decimal(0),
                                      high=Decimal(100))
        if problem is None and value is not None and not value * scale < 1:
            problem = error("M103", f"`{name}` must be a fraction below 1, got `{text}`", scalar.span,
                            "write 37% as 0.37 or 37%")
        if problem is not None:
            self.problems.append(problem.model_copy(update={"code": "M103"}))
            return None
        return float(value * scale) if value is not None else None

    def choice(self, node: YNode, name: str, choices: tuple[str, ...]) -> str | None:
        scalar = self.scalar(node, name)
        if scalar is None:
            return None
        if scalar.value not in choices:
            self.add("M103", f"`{name}`: `{scalar.value[:40]}` is not one of {', '.join(choices)}",
                     scalar.span, did_you_mean(scalar.value, choices) or f"use one of: {', '.join(choices)}")
            return None
        return scalar.value

    def path(self, node: YNode, name: str, folder: Path) -> str | None:
        scalar = self.scalar(node, name)
        return str(folder / scalar.value) if scalar else None

    def check(self) -> None:
        if self.problems:
            raise TailorError(self.problems)


def _flow(reader: _Reader, node: YNode, k: int) -> dict[str, Any] | None:
    where = f"cash_flows[{k}]"
    reader.spans[where] = node.span
    keys = reader.mapping(node, where, FLOW)
    if not isinstance(node, YMap):
        return None
    amounts = [name for name in ("deposit", "withdraw") if name in keys]
    timing = [name for name in ("on", "every") if name in keys]
    if len(amounts) != 1:
        reader.add("M102", f"cash flow {k + 1} needs exactly one of `deposit` or `withdraw`", node.span,
                   "e.g. `- deposit: 5000` with `every: month`, or `- withdraw: 20000` with `on: 2020-06-15`")
    if len(timing) != 1:
        reader.add("M102", f"cash flow {k + 1} needs exactly one of `on` (a date) or `every` (week, month, "
                   "quarter, year)", node.span, "add `on: 2020-06-15`, or `every: month`")
    for name in ("from", "until"):
        if name in keys and "every" not in keys:
            reader.add("M107", f"`{name}` is read only with `every`: a flow `on` one date has no range",
                       reader.spans[f"{where}.{name}"],
                       f"remove `{name}`, or make the flow recur with `every`")
    flow: dict[str, Any] = {}
    for name in amounts[:1]:
        value = reader.number(keys[name], name, Decimal(0), MAX_MONEY)
        flow["amount"] = None if value is None else (value if name == "deposit" else -value)
    if "on" in keys:
        flow["on"] = reader.date(keys["on"], "on")
    if "every" in keys:
        flow["every"] = reader.choice(keys["every"], "every", EVERY)
    for name in ("from", "until"):
        if name in keys and "every" in keys:
            flow[name] = reader.date(keys[name], name)
    return flow


def _section(reader: _Reader, keys: dict[str, YNode], name: str, allowed: tuple[str, ...],
             read: Callable[[str, YNode], Any]) -> dict[str, Any]:
    if name not in keys:
        return {}
    return {key: read(key, value) for key, value in reader.mapping(keys[name], name, allowed).items()}


def _tax(reader: _Reader, key: str, node: YNode) -> Any:
    if key == "paid_from":
        return reader.choice(node, key, ("cash", "outside"))
    value = reader.fraction(node, key)
    return None if value is None else Decimal(repr(value))


def _read(reader: _Reader, root: YMap, folder: Path) -> dict[str, Any]:
    keys = reader.mapping(root, "", TOP)
    for name in ("start", "end", "cadence", "policy"):
        if name not in keys:
            reader.add("M102", f"missing key `{name}`", root.span, f"add e.g. `{name}: {EXAMPLE[name]}`")
    if ("account" in keys) == ("cash" in keys):
        reader.add("M105", "give the starting account as `account` (an account.yaml) or as `cash` to "
                   "invest on the first step" + (", not both" if "account" in keys else ""), root.span,
                   "e.g. `account: account.yaml`, or `cash: 100000`")
    if "account_type" in keys and "account" in keys:
        reader.add("M107", "`account_type` is read only with `cash`: an account.yaml states its own `type`",
                   reader.spans["account_type"], "remove `account_type`, or set `type:` in the account file")
    fields: dict[str, Any] = {}
    for name in ("start", "end"):
        if name in keys:
            fields[name] = reader.date(keys[name], name)
    if "cadence" in keys:
        fields["cadence"] = reader.choice(keys["cadence"], "cadence", CADENCES)
    for name in ("policy", "account"):
        if name in keys:
            fields[name] = reader.path(keys[name], name, folder)
    if "cash" in keys:
        fields["cash"] = reader.number(keys["cash"], "cash", Decimal(0), MAX_MONEY)
    choices = {"account_type": ("taxable", "ira", "roth"), "on_infeasible": ("skip", "stop"),
               "fast_path": FAST_PATHS, "risk_model": RISK_REFRESH}
    for name, allowed in choices.items():
        if name in keys:
            fields[name] = reader.choice(keys[name], name, allowed)
    if "cash_flows" in keys:
        node = keys["cash_flows"]
        if not isinstance(node, YSeq):
            reader.add("M102", "`cash_flows` is a list of flows", node.span,
                       "write each flow on a line starting with `- `, e.g. `- deposit: 5000`")
        else:
            fields["cash_flows"] = [_flow(reader, item, k) for k, item in enumerate(node.items)]
    fields["tax"] = _section(reader, keys, "tax", TAX, lambda k, v: _tax(reader, k, v))
    fields["costs"] = _section(reader, keys, "costs", COSTS,
                               lambda k, v: reader.number(v, k, Decimal(0), Decimal(10_000)))
    if "bands" in keys:
        if keys.get("fast_path") is None or fields.get("fast_path") != "bands":
            reader.add("M107", "`bands` is read only with `fast_path: bands`", reader.spans["bands"],
                       "remove `bands`, or set `fast_path: bands`")
        fields["bands"] = _section(reader, keys, "bands", BANDS, lambda k, v: reader.fraction(v, k))
    solver = _section(reader, keys, "solver", SOLVER,
                      lambda k, v: reader.number(v, k, Decimal(0), Decimal(3600)))
    if "time_limit" in solver and solver["time_limit"] is not None:
        fields["time_limit"] = float(solver["time_limit"])
    if "gap" in solver and solver["gap"] is not None:
        fields["gap"] = float(solver["gap"])
    return fields


def _drop_missing(value: Any) -> Any:
    """Values a problem already reported left as None are dropped, so the model sees only good ones."""
    if isinstance(value, dict):
        return {k: _drop_missing(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_missing(v) for v in value if v is not None]
    return value


def load_spec(path: str | Path) -> SimulationSpec:
    """Read and check the spec file's own content (shape, keys, values); `engine.inputs` checks it
    against the data, the policy and the account."""
    path = Path(path)
    shown = str(path)
    try:
        raw = path.read_bytes() if path.is_file() else None
    except OSError as exc:
        raise TailorError(error("M101", f"cannot read {shown}: {exc.strerror or exc}")) from None
    if raw is None:
        nearby = [p.name for p in path.parent.iterdir() if p.is_file()] if path.parent.is_dir() else []
        raise TailorError(error("M101", f"simulation spec {shown} not found", None,
                                did_you_mean(path.name, nearby) or "give the path of a spec file (YAML)"))
    if len(raw) > MAX_SPEC_BYTES:
        raise TailorError(error("M101", f"{shown} is larger than {MAX_SPEC_BYTES:,} bytes", None,
                                "a spec is a few lines; tables belong in files it names"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TailorError(error("M101", f"{shown} is not UTF-8 text", Span.point(shown, 1, 1),
                                "save the spec as UTF-8")) from None
    root = read_yaml(text, shown, SPEC_YAML)
    if not isinstance(root, YMap):
        raise TailorError(error("M102", f"{shown} is not a mapping of keys to values",
                                root.span if root is not None else Span.point(shown, 1, 1),
                                "write one `key: value` per line, starting with `start:`, `end:`, "
                                "`cadence:` and `policy:`"))
    reader = _Reader(shown)
    reader.spans[""] = root.span
    fields = _drop_missing(_read(reader, root, path.parent))
    reader.check()
    return SimulationSpec(**fields, source=shown, spans=reader.spans)
