"""Read an account from files: `account.yaml` pointing at a lots file (CSV, Parquet or JSON).

Every problem is reported as a diagnostic naming file, line and column (A1xx codes), and all
problems in a file are reported together. Lots files use the columns an advisor sends a manager;
common spellings of the headers are accepted (see `LOT_COLUMNS`).

The file may state the account's as-of date (`as_of:`) and its own target model (`target:`). A
rebalance never guesses the date: `resolve_as_of` takes the command line's or the file's and refuses
neither or two different ones. A target may also come from the command line (`load_account(...,
target=...)`); its bytes are part of the account's input hash either way.

Account files come from other systems, so nothing in them is trusted (issue 10): account.yaml is
read as plain YAML data (no aliases, no tags, no key given twice); every number is finite and bounded
(`core/limits.py`); text is UTF-8; a column or key tailor does not read is an error, never
silently dropped; the files account.yaml names stay inside its folder; and a problem with a whole
file points at the key that names it rather than quoting the file, so a file that is not an account
file is never echoed back.
"""


from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from pyomo.common.gc_manager import PauseGC

from core.dates import parse_date
from core.diagnostics import Span, TailorError, error
from core.limits import MAX_ACCOUNT_YAML_BYTES, MAX_MONEY
from core.problems import Problems
from core.suggest import did_you_mean
from core.yaml_reader import YamlDialect, YMap, YNode, YScalar, read_yaml
from solver.account import Account, AccountTarget, TaxProfile
from solver.account_data_files import EXAMPLES, decode, locate, quote, read_bytes, read_text
from solver.account_tables import read_table_file
from solver.account_values import check_household_trades, check_number, read_lots, read_transactions

ACCOUNT_KEYS = {"account", "household", "type", "cash", "lots", "transactions", "household_transactions",
                "tax", "as_of", "target"}
ACCOUNT_TYPES = ("taxable", "ira", "roth")
TAX_KEYS = set(TaxProfile.model_fields)

ACCOUNT_YAML = YamlDialect(
    document="an account file", plural="account files", syntax="A119", refused="A119", key="A119",
    duplicate="A120", nesting="A119", size="A119", note_first=True,
    shape="account.yaml has two levels: its keys, and the numbers under `tax`")

# ---- account.yaml -------------------------------------------------------------------------------------
# Bounds of the `tax:` numbers (rates are A109 outside [0, 1); carryforwards are positive amounts).
FRACTIONS = {"short_term_rate", "long_term_rate", "carryforward_value"}
TAX_BOUNDS = {"realized_short_term_ytd": -MAX_MONEY, "realized_long_term_ytd": -MAX_MONEY,
              "carryforward_short_term": Decimal(0), "carryforward_long_term": Decimal(0)}


def known_keys(root: YMap, allowed: Iterable[str], problems: Problems, where: str,
               code: str = "A102") -> dict[str, YNode]:
    """The mapping's values by key; an unknown key is a `code` problem with the closest known one."""
    allowed = sorted(allowed)
    found = {}
    for key, value in root.items:
        if key.value in allowed:
            found[key.value] = value
        else:
            problems.add(error(code, f"unknown key {quote(key.value)}{where}: tailor does not read it",
                               key.span, did_you_mean(key.value, allowed)
                               or f"the keys tailor reads{where}: {', '.join(allowed)}"))
    return found


def _scalar(name: str, node: YNode, problems: Problems) -> YScalar | None:
    if isinstance(node, YScalar):
        return node
    problems.add(error("A102", f"`{name}` takes a single value, not a list or mapping", node.span,
                       f"e.g. `{name}: {EXAMPLES.get(name, '…')}`"))
    return None


def _as_of(node: YScalar, problems: Problems) -> date | None:
    found = parse_date(node.value)
    if found is None:
        problems.add(error("A103", f"as_of: {quote(node.value)} is not a date", node.span,
                           "write the date the lots and cash are as of as YYYY-MM-DD, e.g. "
                           "`as_of: 2021-04-21`"))
    return found


def _tax(node: YNode, problems: Problems) -> dict[str, Decimal]:
    if not isinstance(node, YMap):
        problems.add(error("A102", "`tax` is a mapping of rates and amounts", node.span,
                           "e.g. `tax:` and on the next line, indented, `short_term_rate: 0.37`"))
        return {}
    tax, spans = {}, {}
    for name, value in known_keys(node, TAX_KEYS, problems, " under `tax`").items():
        scalar = _scalar(name, value, problems)
        if scalar is None:
            continue
        spans[name] = scalar.span
        if name in FRACTIONS:
            number, problem = check_number(scalar.value, name, scalar.span, low=None, high=None)
            if number is not None and not 0 <= number < 1:
                problem = error("A109", f"{name} must be a fraction between 0 and 1, got "
                                f"{quote(scalar.value)[1:-1]}", scalar.span, "write 37% as 0.37")
        else:
            number, problem = check_number(scalar.value, name, scalar.span, low=TAX_BOUNDS[name],
                                           high=MAX_MONEY)
        if problem is not None:
            problems.add(problem)
        elif number is not None:
            tax[name] = number
    _check_rates(tax, spans, node.span, problems)
    return tax


def _check_rates(tax: dict[str, Decimal], spans: dict[str, Span], where: Span, problems: Problems) -> None:
    """Rates the optimiser's Schedule D netting can use (solver/account.py: tax_rate_problem), A128 at
    the line of the value at fault (the key left out takes its default)."""
    from solver.account import CARRYFORWARD_DISCOUNT, tax_rate_problem

    defaults = TaxProfile()
    short, long = (tax.get(name, getattr(defaults, name)) for name in ("short_term_rate", "long_term_rate"))
    problem = tax_rate_problem(short, long, tax.get("carryforward_value"))
    if problem is None:
        return
    at = "carryforward_value" if problem.startswith("carryforward_value") else "long_term_rate"
    problems.add(error("A128", problem, spans.get(at) or spans.get("short_term_rate") or where,
                       "check which rate is which: e.g. `short_term_rate: 0.37`, `long_term_rate: 0.20`"
                       if at == "long_term_rate" else
                       f"state a value below the short-term rate, or leave it out for the default "
                       f"({CARRYFORWARD_DISCOUNT} × the long-term rate)"))


def _target(file: Path, given: str, origin: str, span: Span | None) -> AccountTarget:
    """Read a target model file (ticker,weight CSV, as `target model "file.csv"` in a policy); its
    own problems point into the CSV, and one A115 says which target they belong to. Its tickers are
    normalised by the model-file reader (BRK-B → BRK.B), as a lots file's are."""
    from market.etfs import SP500_ETFS
    from market.index import MAX_MODEL_BYTES
    from market.master import load_master
    from market.model_file import read_model_file

    try:
        too_large = file.stat().st_size > MAX_MODEL_BYTES  # checked before the reader loads it whole
    except OSError:
        too_large = False  # the reader says what is wrong with it
    if too_large:
        raise TailorError(error("A115", f"{origin}: target model file `{given}` is larger than "
                                f"{MAX_MODEL_BYTES:,} bytes", span, "a model file lists ticker,weight rows"))
    try:
        weights = read_model_file(str(file), set(load_master().tickers) | set(SP500_ETFS), MAX_MODEL_BYTES)
    except TailorError as exc:
        raise TailorError([*exc.diagnostics, error(
            "A115", f"{origin}: target model file `{given}` cannot be used", span,
            "fix the problems reported in the file (a ticker,weight CSV whose weights sum to 1)")]) from None
    return AccountTarget(path=str(file.resolve()), given=given, origin=origin, span=span,
                         weights=tuple((str(t), float(w)) for t, w in weights.items()))


def _cli_target(given: str) -> AccountTarget:
    """--target: a path the operator typed, relative to the current directory (not confined)."""
    file = Path.cwd() / given
    if not file.is_file():
        nearby = [p.name for p in file.parent.iterdir() if p.is_file()] if file.parent.is_dir() else []
        raise TailorError(error(
            "A115", f"--target: target model file `{given}` not found (looked in {file.parent})", None,
            did_you_mean(file.name, nearby) or "give a ticker,weight CSV; the path is relative to the "
            "current directory"))
    return _target(file, given, "--target", None)


def _same_file(a: str, b: str) -> bool:
    """The same model: one file, or two copies with the same bytes (and so the same hash)."""
    return Path(a) == Path(b) or Path(a).read_bytes() == Path(b).read_bytes()


def resolve_as_of(account: Account, given: date | None, flag: str = "--as-of") -> date:
    """The date to rebalance `account` on: `given` (the command line's) or the account's own
    `as_of`. Never a default: a wrong date values every lot at the wrong prices, silently.
    Neither is A113; both, and different, is A114 (pointing at the account's `as_of`)."""
    if given is not None and account.as_of is not None and given != account.as_of:
        raise TailorError(error(
            "A114", f"{flag} {given} differs from the account's as_of {account.as_of}", account.as_of_span,
            f"give the date in one place: drop {flag} to use {account.as_of}, or change `as_of:` in "
            f"{account.source} if the lots and cash are as of {given}"))
    found = given or account.as_of
    if found is None:
        raise TailorError(error(
            "A113", f"no as-of date for account {account.account_id}: {account.source} states no "
            f"`as_of` and {flag} was not given", Span.point(account.source, 1, 1),
            f"add `as_of: YYYY-MM-DD` (the date the lots and cash are as of) to {account.source}, or pass "
            f"{flag} YYYY-MM-DD; {_data_range()}"))
    return found


def _data_range() -> str:
    from market.prices import load_prices

    dates = load_prices().dates
    return f"price data covers {dates[0].date()} to {dates[-1].date()}"


def load_account(path: str | Path, *, target: str | Path | None = None) -> Account:
    """Load `account.yaml` (see docs/solver.md for the format) and the files it names.

    `target` is a target model file given on the command line (relative to the current directory);
    the account file's own `target:` may name the same file, but not a different one (A116)."""
    path = Path(path)
    raw = read_bytes(path, str(path), MAX_ACCOUNT_YAML_BYTES, None)
    root = read_yaml(decode(raw, str(path), None), str(path), ACCOUNT_YAML)
    if root is None:
        raise TailorError(error("A102", f"{path} is empty", Span.point(str(path), 1, 1),
                                "write e.g. `lots: lots.csv` and `cash: 15000.00`"))
    if not isinstance(root, YMap):
        raise TailorError(error("A102", "expected a mapping of keys to values", root.span,
                                "write one `key: value` per line, e.g. `lots: lots.csv`"))
    problems = Problems(str(path), "A126")
    keys = known_keys(root, ACCOUNT_KEYS, problems, "")
    values = {name: node for name, node in keys.items() if name != "tax" and _scalar(name, node, problems)}
    scalars: dict[str, YScalar] = {name: node for name, node in values.items() if isinstance(node, YScalar)}
    tax = _tax(keys["tax"], problems) if "tax" in keys else {}
    account_type = scalars["type"].value if "type" in scalars else "taxable"
    if account_type not in ACCOUNT_TYPES:
        problems.add(error("A127", f"unknown account type {quote(account_type)}", scalars["type"].span,
                           did_you_mean(account_type, ACCOUNT_TYPES) or "use taxable, ira or roth"))
    cash = Decimal(0)
    if "cash" in scalars:
        found, problem = check_number(scalars["cash"].value, "cash", scalars["cash"].span, low=Decimal(0),
                                      high=MAX_MONEY)
        if problem is not None:
            problems.add(problem)
        cash = found if found is not None else cash
    as_of = _as_of(scalars["as_of"], problems) if "as_of" in scalars else None
    if "lots" not in keys:
        problems.add(error("A102", "missing key 'lots'", root.span,
                           "add `lots: lots.csv` naming the tax-lot file"))
    problems.check()  # account.yaml's own problems, all at once, before any file it names is read
    lots_file = locate(path, scalars["lots"], "lots", "A101")
    lots_bytes = read_table_file(lots_file)
    with PauseGC():  # ~10 objects a lot (values, dates, spans), none in a cycle: collections only pause
        lots, spans = read_lots(lots_file, lots_bytes)
    digest = hashlib.sha256(raw)
    digest.update(lots_bytes)
    trades = []
    if "transactions" in scalars:
        trades_file = locate(path, scalars["transactions"], "transactions", "A101")
        trades_bytes = read_table_file(trades_file)
        trades = read_transactions(trades_file, trades_bytes)
        digest.update(trades_bytes)
    household_trades = None
    if "household_transactions" in scalars:
        household_file = locate(path, scalars["household_transactions"], "household_transactions", "A101")
        household_bytes = read_table_file(household_file)
        household_trades = tuple(read_transactions(household_file, household_bytes, household=True))
        digest.update(household_bytes)
    own = None
    if "target" in scalars:
        node = scalars["target"]
        own = _target(locate(path, node, "target", "A115").real, node.value, f"{path} `target`", node.span)
    chosen = own
    if target is not None:
        cli = _cli_target(str(target))
        if own is not None and not _same_file(own.path, cli.path):
            raise TailorError(error(
                "A116", f"--target {target} and the account's `target: {own.given}` name different "
                "target models", own.span,
                "give the target in one place: drop --target to use the account's, or remove or change "
                f"`target:` in {path}"))
        chosen = own or cli  # the same file: keep the account's, which knows where it is written
    if chosen is not None:  # the target is an input like the lots: a different model, a different hash
        digest.update(read_text(Path(chosen.path)))

    def text(name: str) -> str | None:
        node = scalars.get(name)
        return node.value if node is not None and node.tag != "null" and node.value.strip() else None

    account_id = text("account") or path.parent.name
    if household_trades is not None:
        check_household_trades(household_trades, account_id, text("household"),
                                scalars["household_transactions"].span)
    return Account(account_id=account_id, household_id=text("household"),
                   account_type=account_type, cash=cash, lots=tuple(lots), transactions=tuple(trades),
                   household_transactions=household_trades,
                   tax=TaxProfile(**tax), source=str(path), lot_spans=spans, input_hash=digest.hexdigest(),
                   as_of=as_of, as_of_span=scalars["as_of"].span if "as_of" in scalars else None,
                   target=chosen)
