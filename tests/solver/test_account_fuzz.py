"""Mutated account files only ever load or give diagnostics (issue 10).

Starting from the small valid account in tests/solver/hostile/valid/ (its lots as CSV or as JSON),
random mutations — bytes flipped, lines dropped, duplicated or swapped, values replaced by extremes —
must end in an Account or a TailorError with diagnostics, never another exception, and quickly: a
mutation must not turn into a denial of service. The policy fuzzing this mirrors is
tests/policy_lang/test_fuzz.py."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.diagnostics import TailorError, render_all
from solver.account import Account
from solver.account_files import load_account

VALID = Path(__file__).parent / "hostile" / "valid"
FILES = ("account.yaml", "lots.csv", "transactions.csv", "household_transactions.csv", "lots.json")
# Values another system might send where a number, a date, a ticker or a file name belongs.
EXTREMES = ("NaN", "nan", "Infinity", "-inf", ".inf", "1e30", "-1e30", "1e-999999", "1E+999999999999", "0",
            "-0", "", " ", "9" * 5000, "0.30000000000000004", "1,000", "$5", "1_0", "0x10", "٣", "\x00",
            "\x1b[31m", "é", "\ufeff", "\u2028", "2015-03-021", "2021-02-30", "2021-04-05T00:00:00Z",
            "20210421", '"', "'", ",", "\"a,b\"", "&a", "*a", "&a [1]", "[1, 2]", "{a: 1}", "!!binary AAAA",
            "!!python/object/apply:os.system [ls]", "../lots.csv", "/etc/passwd", "~", "lots.json",
            "lots.parquet", "BRK-B", "brk.b", "A" * 300, "sell", "buy", "short", "true", "null", "~", "-",
            "? x", "- x", "#", "%", "realized", "lot id", "symbol", "Symbol", "lots", "cash", "tax")


def seed_files() -> dict[str, bytes]:
    """The valid account's files, plus its lots as JSON (one record per line) for the JSON reader."""
    files = {name: (VALID / name).read_bytes() for name in FILES if (VALID / name).exists()}
    lines = files["lots.csv"].decode().splitlines()
    header = lines[0].split(",")
    records = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    files["lots.json"] = ("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n").encode()
    return files


SEED = seed_files()


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random change: a byte flipped or inserted, a line dropped, duplicated or swapped, a field or
    a YAML value replaced by an extreme, the file cut short."""
    op = rng.randrange(7)
    if op == 0 and data:  # flip a byte
        at = rng.randrange(len(data))
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:]
    if op == 1:  # insert a byte
        at = rng.randrange(len(data) + 1)
        return data[:at] + bytes([rng.randrange(256)]) + data[at:]
    lines = data.split(b"\n")
    if op == 2 and len(lines) > 1:  # drop a line
        del lines[rng.randrange(len(lines))]
    elif op == 3:  # duplicate a line somewhere
        lines.insert(rng.randrange(len(lines) + 1), lines[rng.randrange(len(lines))])
    elif op == 4 and len(lines) > 1:  # swap two lines
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 5:  # replace a CSV field, a YAML value or a JSON value by an extreme
        i = rng.randrange(len(lines))
        text = lines[i].decode("utf-8", errors="replace")
        extreme = rng.choice(EXTREMES)
        if ": " in text:
            key, _, _ = text.partition(": ")
            text = f"{key}: {extreme}"
        else:
            fields = text.split(",")
            fields[rng.randrange(len(fields))] = extreme
            text = ",".join(fields)
        lines[i] = text.encode("utf-8", errors="surrogatepass")
    else:  # cut the file short
        return data[:rng.randrange(len(data) + 1)]
    return b"\n".join(lines)


def run_case(files: dict[str, bytes], use_json: bool) -> str:
    """'ok' or 'diagnostics'; any other exception propagates (that is the bug this looks for)."""
    folder = Path(tempfile.mkdtemp(prefix="tailor-fuzz-"))
    try:
        for name, data in files.items():
            (folder / name).write_bytes(data)
        if use_json:
            account = folder / "account.yaml"
            account.write_bytes(account.read_bytes().replace(b"lots: lots.csv", b"lots: lots.json"))
        started = time.perf_counter()
        try:
            loaded = load_account(folder / "account.yaml")
        except TailorError as exc:
            assert exc.diagnostics and all(d.message for d in exc.diagnostics)
            rendered = render_all(exc.diagnostics)
            assert len(rendered) < 100_000, "a diagnostic echoed far more than the line at fault"
            outcome = "diagnostics"
        else:
            assert isinstance(loaded, Account)
            outcome = "ok"
        assert time.perf_counter() - started < 2, "a mutation made loading slow"
        return outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def mutated(rng: random.Random) -> tuple[dict[str, bytes], bool]:
    files = dict(SEED)
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(FILES)
        files[name] = mutate(files[name], rng)
    return files, rng.random() < 0.3


def test_mutated_accounts_only_give_diagnostics() -> None:
    outcomes = Counter(run_case(*mutated(random.Random(seed))) for seed in range(1500))
    assert sum(outcomes.values()) == 1500
    assert outcomes["diagnostics"] > 600  # mutations do break accounts …
    assert outcomes["ok"] > 100  # … and some survive (a duplicated comment, a swapped lot)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FILES), st.sampled_from(EXTREMES), st.integers(0, 2**32)),
                min_size=1, max_size=4), st.booleans())
def test_extremes_anywhere_only_give_diagnostics(changes: list[tuple[str, str, int]], use_json: bool) -> None:
    """An extreme value written into a random line and field of a random file."""
    files = dict(SEED)
    for name, extreme, where in changes:
        lines = files[name].decode("utf-8", errors="replace").split("\n")
        i = where % len(lines)
        if ": " in lines[i]:
            lines[i] = lines[i].partition(": ")[0] + ": " + extreme
        else:
            fields = lines[i].split(",")
            fields[where % len(fields)] = extreme
            lines[i] = ",".join(fields)
        files[name] = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    run_case(files, use_json)
