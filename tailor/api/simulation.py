"""simulate on an object or a file: what `tailor simulate` does, as a function (docs/simulate.md).

The engine layer (engine/) steps an account through the price history; this is its entry for API
callers, with the spec given as a `SimulationSpec` or a spec file. The result is the engine's
`SimulationResult` (its files follow `tailor.simulation/1`).
"""

from __future__ import annotations

from pathlib import Path

from engine.records import SimulationResult
from engine.run import simulate as run_simulation
from engine.spec import SimulationSpec
from engine.spec_yaml import load_spec
from tailor.api.inputs import PathLike


def simulate(spec: SimulationSpec | PathLike, *, out: PathLike | None = None, resume: bool = False,
             max_steps: int | None = None) -> SimulationResult:
    """Run a simulation; with `out`, write its outputs there (and `resume` from its checkpoint)."""
    loaded = spec if isinstance(spec, SimulationSpec) else load_spec(Path(spec))
    return run_simulation(loaded, out=Path(out) if out is not None else None, resume=resume,
                          max_steps=max_steps)
