"""`tailor check` and `--help` stay light: the solver (Pyomo, HiGHS, SciPy: a second and a half of
imports) is imported only by the commands that solve."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_check_does_not_import_the_solver() -> None:
    code = ("import sys\nfrom tailor.cli import main\n"
            "assert main(['check', 'policies/models/direct_index.tailor']) == 0\n"
            "print(sorted(m for m in ('pyomo', 'highspy', 'scipy') if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "[]"
