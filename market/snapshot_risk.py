"""The risk model of a rebalance on a market snapshot: the bundled history's, carried to its names.

The bundled returns end 2021-04-21, so a snapshot after that date gets the model estimated through the
last trading day of history on or before the snapshot's date (never after it: no look-ahead), and
the result says how stale it is (`risk_model_age_days` in result.json, warning D117). Two steps put it
on the snapshot's tickers, whose names are today's:

* a renamed ticker (reference/ticker_successors.csv: FB → META) takes its predecessor's row, since
  its history is the predecessor's;
* every other priced stock the model does not estimate (a company listed since, or one without
  returns on that day) gets the convention of `solver.market.risk_arrays` and the verifier: no factor
  exposure and the model's largest specific variance. The rows are written out rather than left to
  the convention because the optimizer's universe is the priced names the model covers
  (solver/account_arrays.py): without a row, such a name could not be bought toward its index weight.
  Written as that convention, the figures are the ones the model and the verifier would use anyway.

S&P 500 ETFs stay outside the universe, as with the bundled market (a held one is counted by the same
convention).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable
from datetime import date
from functools import cache

import numpy as np

from core.paths import data_dir
from market.etfs import is_index_etf
from market.master import normalise_ticker
from market.prices import load_prices
from market.risk import RiskModel
from market.risk_build import risk_model


@cache
def _predecessors() -> dict[str, str]:
    """Today's ticker → the ticker its price history is filed under (META → FB)."""
    with (data_dir() / "reference" / "ticker_successors.csv").open(newline="", encoding="utf-8") as handle:
        return {normalise_ticker(row["new"]): normalise_ticker(row["old"]) for row in csv.DictReader(handle)}


def snapshot_risk_model(as_of: date,
                        priced: Iterable[str]) -> tuple[RiskModel, tuple[str, ...], dict[str, str]]:
    """The risk model for a snapshot on `as_of` pricing `priced`; the priced stocks given the
    no-estimate convention; and the renamed tickers estimated from their predecessor's history."""
    history = load_prices()
    base = risk_model(history.trading_day_on(min(as_of, history.last)))
    position = {t: i for i, t in enumerate(base.tickers)}
    missing = [t for t in sorted(priced) if t not in position and not is_index_etf(t)]
    renamed = {t: old for t in missing if (old := _predecessors().get(t)) in position}
    unknown = tuple(t for t in missing if t not in renamed)
    if not missing:
        return base, (), {}
    rows = [position[old] for old in renamed.values()]
    exposures = [base.exposures, base.exposures[rows], np.zeros((len(unknown), base.exposures.shape[1]))]
    largest = float(base.specific_var.max())
    specific = [base.specific_var, base.specific_var[rows], np.full(len(unknown), largest)]
    model = dataclasses.replace(base, tickers=(*base.tickers, *renamed, *unknown),
                                exposures=np.vstack(exposures), specific_var=np.concatenate(specific))
    return model, unknown, renamed
