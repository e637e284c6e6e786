"""AST → IR: resolve names against the security master, normalise units, find contradictions.

`compile_policy` is the public entry point: files (or a parsed policy) in, a CompiledPolicy out, or
a TailorError carrying every error found (and the warnings). Each rule kind checks its own node
(`RuleKind.check`) through the CheckContext below; cross-rule contradictions are found here.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from compiler.contradictions import find_contradictions
from compiler.ir import CompiledPolicy, RuleIR
from compiler.language import format_dsl, merge_policy
from compiler.rules import RULE_KINDS
from compiler.rules.base import DEFAULT_SPAN
from core.diagnostics import Diagnostic, Related, Span, TailorError, error, warning
from core.limits import MAX_FILE_BYTES, MAX_LIST_ITEMS
from core.suggest import did_you_mean
from market.etfs import is_index_etf
from policy_lang.ast import PolicyFile, Quantity, RuleNode, Subject, Text, Unit
from policy_lang.formatter import content_hash
from policy_lang.quantities import format_quantity

if TYPE_CHECKING:
    from market.master import SecurityMaster

MAX_DOLLARS = Decimal(10) ** 12  # no account holds a trillion dollars; larger is a typo


class CheckContext:
    """What a rule kind's `check` may use: the master, the policy's folder, and diagnostics."""

    def __init__(self, master: SecurityMaster, base_dir: Path):
        self.master = master
        self.base_dir = base_dir
        self.diagnostics: list[Diagnostic] = []
        self.target_universe: tuple[str, ...] | None = None  # tickers of a model target, when known

    # ---- diagnostics ----------------------------------------------------------------------------
    def error(self, code: str, message: str, span: Span | None, hint: str | None = None,
              related: tuple[Related, ...] = ()) -> None:
        self.diagnostics.append(error(code, message, span, hint, related))

    def warning(self, code: str, message: str, span: Span | None, hint: str | None = None,
                related: tuple[Related, ...] = ()) -> None:
        self.diagnostics.append(warning(code, message, span, hint, related))

    def rule_id(self, node: RuleNode) -> str:
        return node.id or RULE_KINDS[node.kind].generated_id(node)

    # ---- names ----------------------------------------------------------------------------------
    def resolve(self, subject: Subject) -> tuple[str, ...] | None:
        """Sorted master tickers a subject covers; None (with an error) when a name is unknown."""
        master = self.master
        name = subject.names[0]
        if subject.kind == "tickers":
            bad = [t for t in subject.names if t not in master and not is_index_etf(t)]
            for ticker in bad:
                self.error("P301", f"unknown ticker `{ticker}`", subject.span,
                           did_you_mean(ticker, master.tickers)
                           or "tickers come from the S&P 500 security master")
            return None if bad else tuple(sorted(set(subject.names)))
        if subject.kind == "category":
            if name not in master.screen_categories:
                self.error("P307", f"unknown screen category `{name}`", subject.span,
                           did_you_mean(name, master.screen_categories)
                           or "categories: " + ", ".join(master.screen_categories))
                return None
            found = master.screen(name, subject.tier or "core")
        else:
            options = {"sector": master.sectors, "industry": master.industries,
                       "sub_industry": master.sub_industries}[subject.kind]
            if name not in options:
                code = {"sector": "P303", "industry": "P304", "sub_industry": "P305"}[subject.kind]
                label = subject.kind.replace("_", "-")
                self.error(code, f"unknown GICS {label} `{name}`", subject.span,
                           did_you_mean(name, options) or f"GICS {label}s: " + ", ".join(options[:12]))
                return None
            found = {"sector": master.in_sector, "industry": master.in_industry,
                     "sub_industry": master.in_sub_industry}[subject.kind](name)
        if not found:
            self.warning("P310", f"{subject.describe()} matches no security in the security master",
                         subject.span, "the rule has no effect; check the name or remove the rule")
        return tuple(sorted(found))

    def tickers_lenient(self, subject: Subject) -> tuple[str, ...]:
        """Tickers that may lie outside the master (e.g. ETFs in a wash-sale group): warn, keep."""
        for ticker in subject.names:
            if ticker not in self.master and not is_index_etf(ticker):
                self.warning("P302", f"`{ticker}` is not in the security master", subject.span,
                             did_you_mean(ticker, self.master.tickers)
                             or "fine for an ETF or a held-away name")
        return tuple(sorted(set(subject.names)))

    def competitors(self, employers: tuple[str, ...], level: str, span: Span) -> tuple[str, ...]:
        found: set[str] = set()
        for ticker in employers:
            security = self.master.get(ticker)
            if security is None:
                self.error("P312", f"`{ticker}` has no GICS classification to find competitors by", span)
                continue
            group = getattr(security, level)
            found.update({"sector": self.master.in_sector, "industry": self.master.in_industry,
                          "sub_industry": self.master.in_sub_industry}[level](group))
        return tuple(sorted(found - set(employers)))

    def warn_if_outside_target(self, tickers: tuple[str, ...], subject: Subject, what: str) -> None:
        universe = self.target_universe
        if universe is not None and tickers and not set(tickers) & set(universe):
            self.warning("P311", f"this {what} matches nothing in the target model", subject.span,
                         "the rule has no effect on a portfolio that tracks this model")

    # ---- files ----------------------------------------------------------------------------------
    def folder_of(self, text: Text) -> Path:
        """The folder a file named in a rule resolves in: that of the file declaring the rule (a
        layer reached through `extends` may live elsewhere), else the policy's own folder."""
        declared = text.span.file if text.span is not None else ""
        if not declared or declared.startswith("<"):  # <default>, <generated>, …: no file on disk
            return self.base_dir
        return Path(declared).parent

    def ticker_file(self, text: Text) -> tuple[str, ...] | None:
        """Tickers listed in a CSV with a `ticker` column (e.g. held-away positions)."""
        folder = self.folder_of(text)
        path = folder / text.value
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            problem = "not found" if not path.is_file() else f"larger than {MAX_FILE_BYTES:,} bytes"
            self.error("P309", f"file `{text.value}` {problem} (looked in {folder})", text.span,
                       "paths are relative to the policy file")
            return None
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.DictReader(handle)
            column = next((c for c in reader.fieldnames or [] if c.strip().lower() == "ticker"), None)
            if column is None:
                self.error("P309", f"`{text.value}` has no `ticker` column", text.span,
                           "the first line must name the columns, e.g. `ticker`")
                return None
            tickers = {(row.get(column) or "").strip().upper() for row in reader} - {""}
        if len(tickers) > MAX_LIST_ITEMS:
            self.error("P121", f"`{text.value}` lists more than {MAX_LIST_ITEMS} tickers", text.span)
            return None
        return self.resolve(Subject(kind="tickers", names=tuple(sorted(tickers)), span=text.span)) \
            if tickers else ()

    def model_file(self, text: Text) -> str | None:
        """Resolved path of a model (ticker → weight CSV) target, read with the market-data reader so
        that its errors point into the CSV itself."""
        folder = self.folder_of(text)
        path = folder / text.value
        if not path.is_file():
            self.error("P308", f"model file `{text.value}` not found (looked in {folder})", text.span,
                       "paths are relative to the policy file")
            return None
        from market.etfs import SP500_ETFS
        from market.model_file import read_model_file
        try:
            weights = read_model_file(str(path), set(self.master.tickers) | set(SP500_ETFS), MAX_FILE_BYTES)
        except TailorError as exc:
            self.diagnostics.extend(exc.diagnostics)
            self.error("P308", f"model file `{text.value}` cannot be used", text.span,
                       "fix the problems reported in the file")
            return None
        self.target_universe = tuple(sorted(weights.index))
        return str(path.resolve())

    # ---- numbers --------------------------------------------------------------------------------
    def weight(self, q: Quantity, what: str, *, signed: bool = False, positive: bool = False) -> float | None:
        value = q.fraction
        low = -1.0 if signed else 0.0
        if value < low or value > 1.0 or (positive and value <= 0):
            bound = ("between -100% and +100%" if signed
                     else ("above 0% and " if positive else "between 0% and ") + "at most 100%")
            self.error("P401", f"{what} of {format_quantity(q)} is out of range", q.span,
                       f"{what} must be {bound}")
            return None
        return value

    def money(self, q: Quantity, what: str) -> Decimal | None:
        if q.value < 0:
            self.error("P403", f"{what} cannot be negative ({format_quantity(q)})", q.span,
                       "use $0 for none")
            return None
        if q.value > MAX_DOLLARS:
            self.error("P401", f"{what} of {format_quantity(q)} is out of range", q.span,
                       "amounts are in dollars, at most $1,000,000,000,000")
            return None
        return q.value.quantize(Decimal("0.01"))

    def whole(self, q: Quantity, what: str, *, low: int, high: int) -> int | None:
        if q.value != q.value.to_integral_value():
            self.error("P404", f"{what} must be a whole number, not {format_quantity(q)}", q.span)
            return None
        if not low <= q.value <= high:
            unit = f" {q.unit.value}" if q.unit is not Unit.NUMBER else ""
            self.error("P401", f"{what} of {format_quantity(q)} is out of range", q.span,
                       f"use {low} to {high}{unit}")
            return None
        return int(q.value)


def compile_policy(paths_or_policy: str | Path | list[str | Path] | PolicyFile,
                   master: SecurityMaster | None = None) -> CompiledPolicy:
    """Load (with `extends` layers), merge, check and compile a policy.

    A list of paths is a stack of layers, top (firm) first. Kinds the policy says nothing about get
    their documented default rule (target sp500, wash sale 30 days in the account, …). Raises
    TailorError with every error and warning found; on success warnings ride on `.warnings`.
    """
    if master is None:
        from market.master import load_master
        master = load_master()
    merged = merge_policy(paths_or_policy)
    present = {rule.kind for rule in merged.rules}
    rules = (*merged.rules, *(d for kind in RULE_KINDS.values()
                              if kind.name not in present and (d := kind.default()) is not None))
    ctx = CheckContext(master, merged.base_dir)
    compiled = _check_rules(rules, ctx)
    find_contradictions((claim for _, ir in compiled for claim in RULE_KINDS[ir.kind].claims(ir)),
                        ctx.error, ctx.warning)
    if any(d.is_error for d in ctx.diagnostics):
        raise TailorError(sorted(merged.warnings + ctx.diagnostics, key=_order))
    canonical = format_dsl(PolicyFile(file="<merged>", name=merged.declared_name, rules=rules,
                                      span=DEFAULT_SPAN))
    return CompiledPolicy(name=merged.name, policy_hash=content_hash(canonical), sources=merged.sources,
                          rules=tuple(ir for _, ir in compiled),
                          warnings=tuple(sorted(merged.warnings + ctx.diagnostics, key=_order)))


def _check_rules(rules: tuple[RuleNode, ...], ctx: CheckContext) -> list[tuple[RuleNode, RuleIR]]:
    """Check every rule, kinds `checked_first` first (the target: its model's universe informs later
    warnings)."""
    order = sorted(range(len(rules)), key=lambda i: (not RULE_KINDS[rules[i].kind].checked_first, i))
    checked: dict[int, tuple[RuleNode, RuleIR]] = {}
    for index in order:
        ir = RULE_KINDS[rules[index].kind].check(rules[index], ctx)
        if ir is not None:
            checked[index] = (rules[index], ir)
    return [checked[i] for i in sorted(checked)]


def _order(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.span.file, d.span.line, d.span.column, d.code) if d.span else ("", 0, 0, d.code)
