"""The engine layer: orchestration over time above `solver/`, which never imports it.

    from engine import load_spec, simulate
    result = simulate(load_spec("spec.yaml"))          # or simulate(SimulationSpec(...))

`simulate` steps an account through the price history under a policy (docs/simulate.md).
"""

from engine.records import SimulationResult
from engine.run import simulate
from engine.spec import SimulationSpec
from engine.spec_yaml import load_spec

__all__ = ["SimulationResult", "SimulationSpec", "load_spec", "simulate"]
