"""Every option of every rule kind changes the model it lowers to (issue 10 §2: nothing accepted and
ignored). Each case is a pair of policies that differ in one option; both are compiled, lowered on
the same realistic account and handed to HiGHS, and the two problems (matrix, bounds, costs,
integrality) must differ. A kind that gains a YAML key without a case here fails the coverage test.

The same cases show that every lowering is pure (issue 11 §2): with every option of every kind, a
rule's `lower` changes nothing outside its own Block — no bound, Param, row or registry of the shared
model — and hands everything else back as its `Contribution`.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

from compiler.check import compile_policy
from compiler.language import parse_text
from compiler.lower import lower_policy
from compiler.rules import RULE_KINDS
from policy_lang.yaml_fields import SUBJECT_KEYS
from solver.account import Account, Transaction
from solver.account_files import load_account
from solver.contribution import Contribution
from solver.handoff import compile_to_highs
from solver.lots import Lot
from solver.market import Market
from solver.model import AccountModel

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2021, 4, 21)

# (kind, yaml key, policy rules, the same rules with that one option changed)
CASES: list[tuple[str, str, str, str]] = [
    ("target", "benchmark", "target sp500", "target sp500 equal weight"),
    ("target", "model", "target sp500", 'target model "model.csv"'),
    ("target", "tilts", "target sp500", 'target sp500 tilt sector "Energy" -2%'),
    ("exclude", "ticker", "exclude XOM", "exclude CVX"),
    ("exclude", "tickers", "exclude XOM", "exclude tickers XOM, CVX"),
    ("exclude", "sector", "exclude XOM", 'exclude sector "Energy"'),
    ("exclude", "industry", "exclude XOM", 'exclude industry "Tobacco"'),
    ("exclude", "sub_industry", "exclude XOM", 'exclude sub-industry "Tobacco"'),
    ("exclude", "category", "exclude XOM", "exclude category fossil_fuels"),
    ("exclude", "tier", "exclude category fossil_fuels", "exclude category fossil_fuels extended"),
    ("exclude", "sell", "exclude XOM", "exclude XOM sell as budget allows"),
    ("restrict_buying", "competitors_of", "restrict buying JPM", "restrict buying competitors of JPM"),
    ("restrict_buying", "level", "restrict buying competitors of JPM",
     "restrict buying competitors of JPM by sector"),
    ("restrict_buying", "held_away", "restrict buying JPM", "restrict buying held away AAPL, NVDA"),
    ("restrict_buying", "held_away_file", "restrict buying JPM", 'restrict buying held away file "away.csv"'),
    ("restrict_buying", "outside_target", "restrict buying JPM", "restrict buying outside target"),
    ("restrict_selling", "lots", "restrict selling JPM", 'restrict selling JPM lots "LEG-00001"'),
    ("cap", "max", "cap JPM at 10%", "cap JPM at 5%"),
    ("cap", "min", "cap JPM at 10%", "cap JPM between 2% and 10%"),
    ("cap", "over", "cap JPM at 10%", "cap JPM at 10% over 3 years"),
    ("cap", "starting", "cap JPM at 10% over 3 years", "cap JPM at 10% over 3 years starting 2021-04-21"),
    ("cap", "from", "cap JPM at 10% over 3 years starting 2020-04-21 from 30%",
     "cap JPM at 10% over 3 years starting 2020-04-21 from 28%"),
    ("cap", "long_term_only", "cap JPM at 10%", "cap JPM at 10% sell only long-term lots"),
    ("cap", "as_budget_allows", "cap JPM at 10%", "cap JPM at 10% as budget allows"),
    ("budget", "measure", "budget long-term gains $20,000 per year", "budget net gains $20,000 per year"),
    ("budget", "amount", "budget long-term gains $50,000 per year",
     "budget long-term gains $30,000 per year"),
    ("tracking_error", "max", "tracking error at most 3%", "tracking error at most 2%"),
    ("tracking_error", "bands", "tracking error at most 3%",
     'tracking error at most 3% band sector "Energy" -1% to 1%'),
    ("harvest", "min_loss", "harvest losses over 5%", "harvest losses over 20%"),
    ("harvest", "min_loss_usd", "harvest losses over 5%", "harvest losses over 5% and $20,000"),
    ("wash_sale", "window", "wash sale window 30 days", "wash sale window 40 days"),
    ("wash_sale", "scope", "wash sale scope account", "wash sale scope household"),
    ("wash_sale", "groups", "wash sale window 30 days", "wash sale window 30 days group INTC, AMD"),
    ("holding_period", "no_short_term_gains", "holding period defer 31 days",
     "holding period no short-term gains defer 31 days"),
    ("holding_period", "defer", "holding period defer 5 days", "holding period defer 31 days"),
    ("trading", "min_trade", "trading minimum trade $10", "trading minimum trade $500"),
    ("trading", "whole_shares", "trading minimum trade $10", "trading minimum trade $10 whole shares"),
    ("trading", "max_turnover", "trading minimum trade $10", "trading minimum trade $10 max turnover 5%"),
    ("trading", "max_positions", "trading minimum trade $10", "trading minimum trade $10 max positions 25"),
    ("cash", "reserve", "cash reserve 1%", "cash reserve 3%"),
    ("cash", "deposit", "cash reserve 1%", "cash reserve 1% deposit $10,000"),
    ("cash", "withdraw", "cash reserve 1%", "cash reserve 1% withdraw $10,000"),
    ("transition", "mode", "transition immediate", "transition over 3 years"),
    ("transition", "years", "transition over 3 years", "transition over 5 years"),
    ("transition", "starting", "transition over 3 years", "transition over 3 years starting 2020-01-02"),
    ("transition", "budget", "transition within tax budget $30,000 per year",
     "transition within tax budget $15,000 per year"),
    ("gift", "amount", "gift $20,000", "gift $50,000"),
    ("preferences", "preset", "preferences balanced", "preferences tax_sensitive"),
    ("preferences", "tax", "preferences balanced", "preferences balanced tax 3"),
    ("preferences", "tracking", "preferences balanced", "preferences balanced tracking 3"),
    ("preferences", "cost", "preferences balanced", "preferences balanced cost 3"),
    ("dividend_yield", "min", "dividend yield at least 1%", "dividend yield at least 2%"),
    ("dividend_yield", "max", "dividend yield at least 1%", "dividend yield between 1% and 3%"),
]


@pytest.fixture(scope="module")
def market() -> Market:
    return Market.load(AS_OF)


@pytest.fixture(scope="module")
def account() -> Account:
    """The legacy example, plus what makes each option bite: a loss lot, a short-term gain lot, one
    turning long-term within the month, a recent loss sale outside 30 days, a household trade."""
    base = load_account(ROOT / "examples" / "accounts" / "legacy_jpm" / "account.yaml")
    lots = (Lot(lot_id="XOM-LOSS", ticker="XOM", acquired=date(2014, 6, 2), shares=Decimal(300),
                basis_per_share=Decimal(100)),
            Lot(lot_id="AAPL-NEW", ticker="AAPL", acquired=date(2020, 11, 2), shares=Decimal(40),
                basis_per_share=Decimal(100)),
            Lot(lot_id="MSFT-SOON", ticker="MSFT", acquired=date(2020, 5, 1), shares=Decimal(40),
                basis_per_share=Decimal(170)))
    sold = Transaction(on=date(2021, 3, 17), ticker="CSCO", action="sell", shares=Decimal(50),
                       price=Decimal(50), realized_gain=Decimal(-300))
    other = Transaction(on=date(2021, 4, 9), ticker="PFE", action="sell", shares=Decimal(80),
                        price=Decimal(36), realized_gain=Decimal(-400), account="legacy-ira")
    return base.model_copy(update={"lots": (*base.lots, *lots), "transactions": (*base.transactions, sold),
                                   "household_id": "legacy", "household_transactions": (other,)})


def lowered(rules: str, folder: Path, account: Account, market: Market) -> AccountModel:
    """The assembled model of a policy of `rules` on `account`."""
    path = folder / "walk.tailor"
    path.write_text('policy "walk"\n' + rules + "\n")
    policy = compile_policy(parse_text(path.read_text(), str(path)))
    if "wash_sale" not in rules.replace(" ", "_") or "scope account" in rules:
        account = account.model_copy(update={"household_id": None, "household_transactions": None})
    model = AccountModel([account], market)
    lower_policy(policy, model)
    return model


def fingerprint(rules: str, folder: Path, account: Account, market: Market) -> str:
    """The HiGHS problem a policy of `rules` lowers to on `account`, as a hash."""
    model = lowered(rules, folder, account, market)
    lp = compile_to_highs(model.m)
    digest = hashlib.sha256()
    for part in (lp.matrix.data, lp.matrix.indices, lp.matrix.indptr, lp.row_lower, lp.row_upper,
                 lp.integer, *lp.highs.getLp().col_cost_, lp.highs.getLp().col_lower_,
                 lp.highs.getLp().col_upper_):
        digest.update(np.round(np.asarray(part, dtype=float), 9).tobytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("walk")
    (folder / "model.csv").write_text("ticker,weight\nAAPL,0.5\nMSFT,0.3\nJPM,0.2\n")
    shutil.copy(ROOT / "policies" / "clients" / "executive_held_away.csv", folder / "away.csv")
    return folder


@pytest.mark.parametrize(("kind", "key", "base", "variant"), CASES, ids=[f"{k}.{o}" for k, o, _, _ in CASES])
def test_the_option_changes_the_model(kind: str, key: str, base: str, variant: str, folder: Path,
                                      account: Account, market: Market) -> None:
    assert fingerprint(base, folder, account, market) != fingerprint(variant, folder, account, market)


def test_every_option_of_every_kind_has_a_case() -> None:
    """A subject key (ticker, sector, …) is one reader shared by every kind, walked on `exclude`."""
    covered = {(kind, key) for kind, key, _, _ in CASES}
    wanted = {(name, key) for name, kind in RULE_KINDS.items() for key in kind.yaml_keys
              if name == "exclude" or key not in SUBJECT_KEYS}
    assert wanted - covered == set()


def shared_state(model: AccountModel) -> tuple:
    """Everything of the model outside the rule Blocks that a lowering could change: each Var's
    bounds and domain, each Param's value, each row's bounds, and the registries the assembly fills."""
    def outside(kind: type) -> list:
        return [c for c in model.m.component_data_objects(kind, descend_into=True)
                if not c.name.startswith("rule_")]
    return (tuple((v.name, v.lb, v.ub, v.domain.name, v.fixed) for v in outside(pyo.Var)),
            tuple((p.name, pyo.value(p)) for p in outside(pyo.Param)),
            tuple((c.name, c.lower is None, c.upper is None) for c in outside(pyo.Constraint)),
            tuple(model.objective_terms), tuple(len(t) for t in model._gain_terms.values()),
            len(model.lazy.groups), len(model.lazy.safe_sides), tuple(model.lazy.min_buy),
            tuple(model.lazy.min_sell), model.whole_shares, tuple(sorted(model.transferable)),
            tuple(sorted(model.buy_forbidden)), model.cash_flow)


def watch_lowerings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Wrap every kind's `lower` to compare the shared model before and after it; returns the kinds
    lowered, as they are lowered."""
    seen: list[str] = []
    for name, kind in RULE_KINDS.items():
        def checked(rule: object, block: pyo.Block, model: AccountModel, lower: object = kind.lower,
                    name: str = name) -> Contribution:
            before = shared_state(model)
            contribution = lower(rule, block, model)
            assert shared_state(model) == before, \
                f"lowering a {name} rule changed the model outside its Block"
            assert isinstance(contribution, Contribution)
            seen.append(name)
            return contribution
        monkeypatch.setattr(kind, "lower", checked)
    return seen


@pytest.mark.parametrize(("kind", "key", "base", "variant"), CASES, ids=[f"{k}.{o}" for k, o, _, _ in CASES])
def test_the_lowering_changes_nothing_outside_its_block(kind: str, key: str, base: str, variant: str,
                                                        folder: Path, account: Account, market: Market,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = watch_lowerings(monkeypatch)
    lowered(variant, folder, account, market)
    assert kind in seen


def test_a_lowering_that_changes_a_bound_is_caught(folder: Path, account: Account, market: Market,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: an exclusion that zeroes a buy bound itself, as `forbidden_buys`
    declarations do before lowering, is refused."""
    exclude = RULE_KINDS["exclude"]
    original = exclude.lower

    def impure(rule: object, block: pyo.Block, model: AccountModel) -> Contribution:
        model.m.buy[model.data.index["XOM"]].setub(0.0)
        return original(rule, block, model)
    monkeypatch.setattr(exclude, "lower", impure)
    watch_lowerings(monkeypatch)
    with pytest.raises(AssertionError, match="exclude rule changed the model outside its Block"):
        lowered("exclude CVX", folder, account, market)
