"""A plan depends on its inputs only, not on the machine's core count (core/blas.py): numpy's and
scipy's BLAS run on one thread whatever the environment asks for, and the command line writes the
same trades on one BLAS thread and on four."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, threads: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)


def test_every_blas_library_runs_on_one_thread_whatever_the_environment_asks() -> None:
    code = ("import json\nfrom threadpoolctl import threadpool_info\nimport solver.market\n"
            "before = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
            "import solver.handoff\n"
            "after = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
            "print(json.dumps([before, after]))\n")
    before, after = json.loads(_run(code, 4).stdout.splitlines()[-1])
    assert before and set(before) == {1}  # numpy's, pinned when the market module loads
    assert len(after) == 2 and set(after) == {1}  # scipy's too, pinned where the solver loads it


def test_a_risk_model_has_the_same_bits_on_one_blas_thread_and_on_four() -> None:
    """Built through `market.risk_build` alone, as `tailor data risk-model` builds and caches it (no
    solver loaded): before it pinned the threads itself, the machine's two threads gave loadings 2e-15
    away from one thread's, and the cache served them to every plan of the date."""
    code = ("import hashlib\nfrom datetime import date\nfrom market.risk_build import build_risk_model\n"
            "model = build_risk_model(date(2010, 7, 2))\n"
            "print(hashlib.sha256(model.exposures.tobytes() + model.specific_var.tobytes()"
            " + model.factor_cov.tobytes()).hexdigest())\n")
    one, four = (_run(code, threads).stdout.splitlines()[-1] for threads in (1, 4))
    assert one == four


def test_the_same_trades_on_one_blas_thread_and_on_four(benchmark_account: Callable[[str], Path],
                                                         tmp_path: Path) -> None:
    """The benchmark set's 14,686-lot di_2021_rally under the direct-indexing model: before the pin,
    two BLAS threads wrote other trades than one (at the same objective)."""
    account = benchmark_account("di_2021_rally")
    code = "import sys\nfrom tailor.cli import main\nraise SystemExit(main(sys.argv[1:]))\n"
    outs = []
    for threads in (1, 4):
        out = tmp_path / f"threads_{threads}"
        _run(code, threads, "rebalance", "--as-of", "2021-04-21", "--policy",
             "policies/models/direct_index.tailor", "--account", str(account), "--out", str(out))
        outs.append(out)
    one, four = outs
    assert (one / "trades.csv").read_bytes() == (four / "trades.csv").read_bytes()
    hashes = [json.loads((out / "result.json").read_text())["plan_hash"] for out in outs]
    assert hashes[0] == hashes[1]
