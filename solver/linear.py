"""Linear expressions built for Pyomo in one step: the base model, its whole-share rows and every
rule's lowering write their rows through this."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression


def linear(coefs: Iterable[float], variables: Iterable[pyo.Var], constant: float = 0.0) -> LinearExpression:
    """A linear expression built in one step (no operator overloading in hot loops). Coefficients are
    made plain Python floats first: numpy scalars cost Pyomo a type check per term."""
    values = coefs.tolist() if isinstance(coefs, np.ndarray) else [float(c) if isinstance(c, np.floating)
                                                                     else c for c in coefs]
    terms = [MonomialTermExpression((c, v)) for c, v in zip(values, variables, strict=True)]
    return LinearExpression(args=[constant, *terms] if constant else terms)
