"""Read a household from `household.yaml`: its id, as-of date, policy and accounts (docs/households.md).

    household: smith
    as_of: 2020-03-23
    policy: ../../../policies/households/smith.tailor
    accounts:
      - name: smith-joint
        type: taxable
        account: joint/account.yaml
        policy: joint.tailor         # optional: layered under the household policy
      - name: smith-ira
        type: traditional_ira
        account: ira/account.yaml
        max_contribution: 0          # optional: cash the other accounts may move in (default none)

Like a book (tailor/batch/book.py), household.yaml is an operator's file: the paths it names are
relative to its folder and not confined to it; each account file then reads its own data confined to
its folder as always. Every problem of household.yaml is reported together, located, with a fix hint
(A135–A140, and the account file codes for values); an account file that fails to load reports its
own diagnostics, and the problems of every account are reported at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from core.dates import parse_date
from core.diagnostics import Diagnostic, Span, TailorError, error
from core.limits import MAX_ACCOUNT_YAML_BYTES, MAX_MONEY
from core.problems import Problems
from core.suggest import did_you_mean
from core.yaml_reader import YamlDialect, YMap, YNode, YScalar, YSeq, read_yaml
from solver.account import Account
from solver.account_data_files import decode, quote, read_bytes
from solver.account_files import known_keys, load_account
from solver.account_values import check_number
from solver.household import ACCOUNT_TYPE_OF, HOUSEHOLD_ACCOUNT_KINDS, Household, HouseholdAccount

HOUSEHOLD_KEYS = ("accounts", "as_of", "household", "policy")
ACCOUNT_ENTRY_KEYS = ("account", "max_contribution", "name", "policy", "type")
REQUIRED_ACCOUNT_KEYS = ("name", "type", "account")
EXAMPLES = {"household": "smith", "as_of": "2020-03-23", "policy": "household.tailor",
            "name": "smith-joint", "type": "taxable", "account": "joint/account.yaml",
            "max_contribution": "7000.00"}

HOUSEHOLD_YAML = YamlDialect(
    document="a household file", plural="household files", syntax="A119", refused="A119", key="A119",
    duplicate="A120", nesting="A119", size="A119", note_first=True,
    shape="household.yaml has three levels: its keys, the list of accounts, and each account's keys")


def _scalars(found: dict[str, YNode], problems: Problems) -> dict[str, YScalar]:
    """The keys that take one value, each a non-empty scalar."""
    scalars = {}
    for name, node in found.items():
        if not isinstance(node, YScalar):
            problems.add(error("A135", f"`{name}` takes a single value, not a list or mapping", node.span,
                               f"e.g. `{name}: {EXAMPLES[name]}`"))
        elif node.tag == "null" or not node.value.strip():
            problems.add(error("A135", f"`{name}` is empty", node.span, f"e.g. `{name}: {EXAMPLES[name]}`"))
        else:
            scalars[name] = node
    return scalars


def _missing(found: dict[str, YNode], required: tuple[str, ...], where: Span, problems: Problems,
             what: str) -> None:
    for name in required:
        if name not in found:
            problems.add(error("A135", f"{what} has no `{name}`", where, f"add `{name}: {EXAMPLES[name]}`"))


def _within(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):  # a NUL byte (YAML's "\0"), a loop of links: not a file of the folder
        return False


def _file(base: Path, node: YScalar, key: str, problems: Problems, inside: Path | None) -> Path | None:
    """The file `key:` names, relative to household.yaml's folder; a missing one is A101 with the
    closest name in that folder. With `inside` (a household sent to the service), a path leading out
    of that folder is A145, before anything there is read or listed."""
    path = base / node.value
    if inside is not None and not _within(path, inside):
        problems.add(error("A145", f"`{key}`: {quote(node.value)} is outside the household's files",
                           node.span, f"send the {key} file with household.yaml and name it by its path "
                           "among them"))
        return None
    if path.is_file():
        return path
    folder = path.parent
    nearby = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    problems.add(error("A101", f"`{key}`: file {quote(node.value)} not found (looked in {folder})", node.span,
                       did_you_mean(path.name, nearby) or f"give the {key} file's path relative to "
                       "household.yaml's folder"))
    return None


class _Entry:
    """One item of `accounts:` as written, before its account file is loaded."""

    def __init__(self, node: YMap, scalars: dict[str, YScalar], account_file: Path, policy: Path | None,
                 max_contribution: Decimal):
        self.node, self.scalars, self.account_file = node, scalars, account_file
        self.policy, self.max_contribution = policy, max_contribution

    @property
    def name(self) -> str:
        return self.scalars["name"].value

    @property
    def kind(self) -> str:
        return self.scalars["type"].value


def _entry(node: YNode, base: Path, problems: Problems, inside: Path | None) -> _Entry | None:
    if not isinstance(node, YMap):
        problems.add(error("A135", "each item of `accounts` is a mapping of an account's keys", node.span,
                           "e.g. `- name: smith-joint` and, indented below it, `type: taxable` and "
                           "`account: joint/account.yaml`"))
        return None
    before = len(problems.found)
    found = known_keys(node, ACCOUNT_ENTRY_KEYS, problems, " in an account of the household", "A135")
    _missing(found, REQUIRED_ACCOUNT_KEYS, node.span, problems, "this account")
    scalars = _scalars(found, problems)
    kind = scalars.get("type")
    if kind is not None and kind.value not in HOUSEHOLD_ACCOUNT_KINDS:
        problems.add(error("A136", f"unknown account type {quote(kind.value)}", kind.span,
                           did_you_mean(kind.value, HOUSEHOLD_ACCOUNT_KINDS)
                           or "use taxable, traditional_ira, roth or held_away"))
    limit = Decimal(0)
    if "max_contribution" in scalars:
        given = scalars["max_contribution"]
        number, problem = check_number(given.value, "max_contribution", given.span, low=Decimal(0),
                                       high=MAX_MONEY)
        if problem is not None:
            problems.add(problem)
        elif number is not None:
            limit = number
        if number and kind is not None and kind.value == "held_away":
            problems.add(error("A140", "a held-away account takes no contribution: tailor never trades it",
                               given.span, "remove `max_contribution` from this account"))
    if "policy" in scalars and kind is not None and kind.value == "held_away":
        problems.add(error("A140", "a held-away account has no policy: tailor never trades it",
                           scalars["policy"].span, "remove `policy` from this account"))
    account_file = _file(base, scalars["account"], "account", problems, inside) if "account" in scalars \
        else None
    policy = _file(base, scalars["policy"], "policy", problems, inside) if "policy" in scalars else None
    if len(problems.found) > before or account_file is None:
        return None
    return _Entry(node, scalars, account_file, policy, limit)


def _check_member(entry: _Entry, account: Account, household_id: str, as_of: date) -> list[Diagnostic]:
    """What the account file says against what household.yaml says of it (A138, A114, A139)."""
    found, scalars = [], entry.scalars
    if account.household_id is not None and account.household_id != household_id:
        found.append(error("A138", f"{account.source} names household {quote(account.household_id)}, not "
                           f"{quote(household_id)}", scalars["account"].span,
                           f"set `household: {household_id}` in {account.source}, or remove it"))
    if account.account_id != entry.name:
        found.append(error("A138", f"the household names this account {quote(entry.name)}, its file "
                           f"{quote(account.account_id)}", scalars["name"].span,
                           f"write `name: {account.account_id}`, or `account: {entry.name}` in "
                           f"{account.source}"))
    expected = ACCOUNT_TYPE_OF.get(entry.kind)
    if expected is not None and account.account_type != expected:
        found.append(error("A138", f"a {entry.kind} account, but {account.source} gives type "
                           f"{account.account_type!r} (taxable when it states none)", scalars["type"].span,
                           f"set `type: {expected}` in {account.source}, or correct the type here"))
    if account.as_of is not None and account.as_of != as_of:
        found.append(error("A114", f"{account.source} is as of {account.as_of}, the household as of {as_of}",
                           account.as_of_span or scalars["account"].span,
                           "a household is rebalanced on one date: make the account's `as_of` the "
                           "household's, or remove it"))
    if account.household_transactions is not None:
        found.append(error("A139", f"{account.source} gives `household_transactions`: in a household the "
                           "other accounts' trades come from their own files", scalars["account"].span,
                           f"remove `household_transactions` from {account.source}"))
    return found


def _root(path: Path) -> tuple[bytes, YMap]:
    raw = read_bytes(path, str(path), MAX_ACCOUNT_YAML_BYTES, None)
    root = read_yaml(decode(raw, str(path), None), str(path), HOUSEHOLD_YAML)
    if root is None:
        raise TailorError(error("A135", f"{path} is empty", Span.point(str(path), 1, 1),
                                "write `household:`, `as_of:`, `policy:` and the list of `accounts:`"))
    if not isinstance(root, YMap):
        raise TailorError(error("A135", "expected a mapping of keys to values", root.span,
                                "write one `key: value` per line, e.g. `household: smith`"))
    return raw, root


def _accounts(found: dict[str, YNode], base: Path, problems: Problems, inside: Path | None) -> list[_Entry]:
    node = found.get("accounts")
    if node is None:
        return []
    if not isinstance(node, YSeq) or not node.items:
        problems.add(error("A135", "`accounts` is a list of the household's accounts", node.span,
                           "write `accounts:` and below it one `- name: …` item per account"))
        return []
    entries = [entry for item in node.items if (entry := _entry(item, base, problems, inside)) is not None]
    _unique(entries, "name", lambda entry: entry.name, problems)
    _unique(entries, "account", lambda entry: entry.account_file.resolve(), problems)
    return entries


def _unique(entries: list[_Entry], key: str, identity: Callable[[_Entry], object],
            problems: Problems) -> None:
    """A137: two accounts with the same `key` (a name, or one account file)."""
    first: dict[object, _Entry] = {}
    for entry in entries:
        earlier = first.setdefault(identity(entry), entry)
        if earlier is not entry:
            problems.add(error("A137", f"`{key}: {entry.scalars[key].value}` is given to another account of "
                               f"the household too (line {earlier.scalars[key].span.line})",
                               entry.scalars[key].span, "give each account its own name and account file"))


def load_household(path: str | Path, inside: Path | None = None) -> Household:
    """Load household.yaml and every account file it names; see the module docstring. `inside`: the
    folder every file it names must be in (A145; the service's request folder)."""
    path = Path(path)
    raw, root = _root(path)
    problems = Problems(str(path), "A126")
    found = known_keys(root, HOUSEHOLD_KEYS, problems, "", "A135")
    _missing(found, ("household", "policy", "accounts"), root.span, problems, "the household")
    scalars = _scalars({k: v for k, v in found.items() if k != "accounts"}, problems)
    as_of = parse_date(scalars["as_of"].value) if "as_of" in scalars else None
    if "as_of" in scalars and as_of is None:
        given = scalars["as_of"]
        problems.add(error("A103", f"as_of: {quote(given.value)} is not a date", given.span,
                           "write the date the accounts are as of as YYYY-MM-DD, e.g. `as_of: 2020-03-23`"))
    elif "as_of" not in found:
        problems.add(error("A113", "the household states no `as_of`", root.span,
                           "add `as_of: YYYY-MM-DD`: the date all its accounts' lots and cash are as of"))
    base = path.parent
    policy = _file(base, scalars["policy"], "policy", problems, inside) if "policy" in scalars else None
    entries = _accounts(found, base, problems, inside)
    problems.check()
    assert as_of is not None and policy is not None  # else a problem was raised above
    household_id = scalars["household"].value
    diagnostics: list[Diagnostic] = []
    loaded: list[tuple[_Entry, Account]] = []
    for entry in entries:
        try:
            account = load_account(entry.account_file)
        except TailorError as exc:  # every account's problems at once
            diagnostics += exc.diagnostics
            continue
        diagnostics += _check_member(entry, account, household_id, as_of)
        loaded.append((entry, account))
    if diagnostics:
        raise TailorError(diagnostics)
    return _household(household_id, as_of, (policy, scalars["policy"].span), loaded, path, raw)


def _household(household_id: str, as_of: date, policy: tuple[Path, Span],
               loaded: list[tuple[_Entry, Account]], path: Path, raw: bytes) -> Household:
    """The household, each account on the household's date and seeing the others' recent trades as
    `household_transactions` (a wash sale of scope household counts them)."""
    digest = hashlib.sha256(raw)
    for _, account in loaded:
        digest.update(account.input_hash.encode())
    members = []
    for entry, account in loaded:
        others = tuple(trade.model_copy(update={"account": other.account_id})
                       for _, other in loaded if other is not account for trade in other.transactions)
        members.append(HouseholdAccount(
            name=entry.name, kind=entry.kind, policy=str(entry.policy) if entry.policy else None,  # type: ignore[arg-type]
            policy_span=entry.scalars["policy"].span if entry.policy else None,
            max_contribution=entry.max_contribution, span=entry.node.span,
            account=account.model_copy(update={
                "household_id": household_id, "household_transactions": others, "as_of": as_of,
                "as_of_span": account.as_of_span or entry.node.span})))
    return Household(household_id=household_id, as_of=as_of, policy=str(policy[0]), policy_span=policy[1],
                     accounts=tuple(members),
                     source=str(path), input_hash=digest.hexdigest())
