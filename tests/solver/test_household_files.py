"""household.yaml: a household loads with its accounts typed and seeing each other's recent trades;
every bad input is refused with file:line:column, what is wrong and a fix hint."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.diagnostics import TailorError
from solver.household_files import load_household

LOTS = "lot_id,ticker,acquired,shares,basis_per_share\nL1,AAPL,2020-01-02,5,75.09\n"
TRADES = "date,ticker,action,shares,price,realized_gain\n{}\n"
GOOD = """household: smith
as_of: 2020-03-23
policy: household.tailor
accounts:
  - name: joint
    type: taxable
    account: joint/account.yaml
  - name: ira
    type: traditional_ira
    account: ira/account.yaml
    max_contribution: 7000
  - name: away
    type: held_away
    account: away/account.yaml
"""


def write_member(root: Path, name: str, extra: str = "", trade: str = "") -> None:
    folder = root / name
    folder.mkdir(exist_ok=True)
    (folder / "lots.csv").write_text(LOTS)
    body = f"account: {name}\nlots: lots.csv\n{extra}"
    if trade:
        (folder / "transactions.csv").write_text(TRADES.format(trade))
        body += "transactions: transactions.csv\n"
    (folder / "account.yaml").write_text(body)


def write_household(root: Path, text: str = GOOD, ira_type: str = "type: ira\n") -> Path:
    (root / "household.tailor").write_text('policy "Smith household"\nlayer household\n')
    write_member(root, "joint", "household: smith\n", "2020-03-10,AAPL,sell,3,60.00,-45.27")
    write_member(root, "ira", ira_type, "2020-03-16,AAPL,buy,2,61.00,")
    write_member(root, "away", "type: ira\n")
    path = root / "household.yaml"
    path.write_text(text)
    return path


def located(tmp_path: Path, text: str, **members: str) -> list[tuple[str, str, int, int]]:
    """The diagnostics of loading `text` as household.yaml: (code, file name, line, column)."""
    path = write_household(tmp_path, text, **members)
    with pytest.raises(TailorError) as exc:
        load_household(path)
    for d in exc.value.diagnostics:
        assert d.hint, d  # every refusal says how to fix it
    return [(d.code, Path(d.span.file).name, d.span.line, d.span.column) for d in exc.value.diagnostics
            if d.span is not None]


def test_a_household_loads_typed_and_picklable(tmp_path: Path) -> None:
    household = load_household(write_household(tmp_path))
    assert household.household_id == "smith" and household.as_of == date(2020, 3, 23)
    assert [(m.name, m.kind, m.account.account_type, m.tradable) for m in household.accounts] == [
        ("joint", "taxable", "taxable", True), ("ira", "traditional_ira", "ira", True),
        ("away", "held_away", "ira", False)]
    assert household.member("ira").max_contribution == Decimal(7000)
    assert household.member("joint").max_contribution == Decimal(0)  # none unless the file allows it
    assert all(m.account.household_id == "smith" and m.account.as_of == date(2020, 3, 23)
               for m in household.accounts)
    assert household.policy_layers(household.member("joint")) == [str(tmp_path / "household.tailor")]
    assert pickle.loads(pickle.dumps(household)) == household


def test_each_account_sees_the_other_accounts_recent_trades(tmp_path: Path) -> None:
    household = load_household(write_household(tmp_path))
    joint = household.member("joint").account
    assert [(t.account, t.action, t.on) for t in joint.household_transactions or ()] == [
        ("ira", "buy", date(2020, 3, 16))]
    ira = household.member("ira").account
    assert [(t.account, t.action, t.realized_gain) for t in ira.household_transactions or ()] == [
        ("joint", "sell", Decimal("-45.27"))]
    assert [t.account for t in household.recent_transactions()] == ["joint", "ira"]


def test_an_account_policy_layers_under_the_household_policy(tmp_path: Path) -> None:
    text = GOOD.replace("    account: joint/account.yaml\n",
                        "    account: joint/account.yaml\n    policy: joint.tailor\n")
    (tmp_path / "joint.tailor").write_text('policy "Joint"\nlayer account\n')
    household = load_household(write_household(tmp_path, text))
    assert household.policy_layers(household.member("joint")) == [
        str(tmp_path / "household.tailor"), str(tmp_path / "joint.tailor")]


def test_unknown_keys_are_refused_with_the_closest_one(tmp_path: Path) -> None:
    text = GOOD.replace("policy: household", "polcy: household").replace("    type: roth", "")
    text = text.replace("    max_contribution: 7000", "    max_contributions: 7000")
    path = write_household(tmp_path, text)
    with pytest.raises(TailorError) as exc:
        load_household(path)
    found = [(d.code, d.span.line, d.span.column, d.hint) for d in exc.value.diagnostics]
    assert ("A135", 3, 1, "did you mean `policy`?") in found
    assert ("A135", 11, 5, "did you mean `max_contribution`?") in found
    assert ("A135", 1, 1, "add `policy: household.tailor`") in found  # the key it then misses


def test_missing_keys_and_wrong_shapes(tmp_path: Path) -> None:
    text = "household: [smith]\npolicy: household.tailor\naccounts:\n  - joint\n"
    assert located(tmp_path, text) == [("A135", "household.yaml", 1, 12), ("A113", "household.yaml", 1, 1),
                                       ("A135", "household.yaml", 4, 5)]
    no_accounts = "household: smith\nas_of: 2020-03-23\npolicy: household.tailor\naccounts: []\n"
    assert located(tmp_path, no_accounts) == [("A135", "household.yaml", 4, 11)]
    entry_without_type = GOOD.replace("    type: taxable\n", "")
    assert located(tmp_path, entry_without_type) == [("A135", "household.yaml", 5, 5)]


def test_an_empty_file_and_a_bad_date(tmp_path: Path) -> None:
    assert located(tmp_path, "") == [("A135", "household.yaml", 1, 1)]
    assert located(tmp_path, GOOD.replace("2020-03-23", "23/03/2020")) == [("A103", "household.yaml", 2, 8)]


def test_an_unknown_type_suggests_the_closest(tmp_path: Path) -> None:
    path = write_household(tmp_path, GOOD.replace("traditional_ira", "tradtional_ira"))
    with pytest.raises(TailorError) as exc:
        load_household(path)
    (found,) = exc.value.diagnostics
    assert (found.code, found.span.line, found.span.column) == ("A136", 9, 11)
    assert found.hint == "did you mean `traditional_ira`?"


def test_missing_files_are_named_with_the_closest(tmp_path: Path) -> None:
    text = GOOD.replace("policy: household.tailor", "policy: houshold.tailor")
    text = text.replace("ira/account.yaml", "ira/acount.yaml")
    path = write_household(tmp_path, text)
    with pytest.raises(TailorError) as exc:
        load_household(path)
    found = [(d.code, d.span.line, d.span.column, d.hint) for d in exc.value.diagnostics]
    assert [f[:3] for f in found] == [("A101", 3, 9), ("A101", 10, 14)]
    assert found[0][3].startswith("did you mean `household.tailor`")
    assert found[1][3] == "did you mean `account.yaml`?"


def test_names_and_account_files_are_unique(tmp_path: Path) -> None:
    text = GOOD.replace("name: away", "name: ira").replace("away/account.yaml", "joint/account.yaml")
    path = write_household(tmp_path, text)
    with pytest.raises(TailorError) as exc:
        load_household(path)
    found = [(d.code, d.span.line, d.span.column) for d in exc.value.diagnostics]
    assert found == [("A137", 12, 11), ("A137", 14, 14)]
    assert "line 8" in exc.value.diagnostics[0].message and "line 7" in exc.value.diagnostics[1].message


def test_a_held_away_account_takes_no_contribution(tmp_path: Path) -> None:
    text = GOOD + "    max_contribution: 100\n"
    assert located(tmp_path, text) == [("A140", "household.yaml", 15, 23)]


def test_a_held_away_account_has_no_policy(tmp_path: Path) -> None:
    (tmp_path / "away.tailor").write_text('policy "Away"\nlayer account\n')
    assert located(tmp_path, GOOD + "    policy: away.tailor\n") == [("A140", "household.yaml", 15, 13)]


def test_a_negative_contribution_is_refused(tmp_path: Path) -> None:
    assert located(tmp_path, GOOD.replace("7000", "-5"))[0][0] == "A103"


def test_the_account_file_must_agree_with_the_household(tmp_path: Path) -> None:
    """Another household, another id, another type: each at the line of household.yaml or the
    account file that disagrees."""
    path = write_household(tmp_path, ira_type="")
    (tmp_path / "joint" / "account.yaml").write_text("account: joint2\nhousehold: jones\nlots: lots.csv\n")
    with pytest.raises(TailorError) as exc:
        load_household(path)
    found = [(d.code, Path(d.span.file).name, d.span.line, d.span.column) for d in exc.value.diagnostics]
    assert found == [("A138", "household.yaml", 7, 14), ("A138", "household.yaml", 5, 11),
                     ("A138", "household.yaml", 9, 11)]


def test_an_account_on_another_date_is_refused(tmp_path: Path) -> None:
    found = located(tmp_path, GOOD, ira_type="type: ira\nas_of: 2020-03-20\n")
    assert found == [("A114", "account.yaml", 4, 8)]


def test_household_transactions_inside_a_household_are_refused(tmp_path: Path) -> None:
    write_household(tmp_path)
    extra = "type: ira\nhousehold: smith\nhousehold_transactions: others.csv\n"
    write_member(tmp_path, "away", extra)
    (tmp_path / "away" / "others.csv").write_text(
        "date,ticker,action,shares,price,realized_gain,account\n2020-03-16,AAPL,buy,2,61.00,,joint\n")
    path = tmp_path / "household.yaml"
    with pytest.raises(TailorError) as exc:
        load_household(path)
    assert [(d.code, d.span.line) for d in exc.value.diagnostics] == [("A139", 14)]


def test_every_accounts_own_problems_are_reported_together(tmp_path: Path) -> None:
    path = write_household(tmp_path)
    (tmp_path / "joint" / "lots.csv").write_text(LOTS.replace(",5,", ",-5,"))
    (tmp_path / "ira" / "lots.csv").write_text(LOTS.replace("2020-01-02", "02/01/2020"))
    with pytest.raises(TailorError) as exc:
        load_household(path)
    assert [(d.code, Path(d.span.file).parent.name) for d in exc.value.diagnostics] == [
        ("A104", "joint"), ("A103", "ira")]


def test_yaml_that_is_not_plain_data_is_refused(tmp_path: Path) -> None:
    assert located(tmp_path, GOOD + "household: jones\n")[0][:3] == ("A120", "household.yaml", 15)
    assert located(tmp_path, "household: &h smith\nas_of: *h\n")[0][0] == "A119"
