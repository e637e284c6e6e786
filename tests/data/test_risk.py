"""Risk model: the tracking-error algebra, estimation on real returns, caching and pickling."""

from __future__ import annotations

import pickle
from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.diagnostics import TailorError
from market import risk_build
from market.index import index_weights, renormalise
from market.master import load_master
from market.risk_build import build_risk_model, load_model, risk_model, save_model

AS_OF = date(2019, 12, 31)


@pytest.fixture(scope="module")
def model():
    return build_risk_model(AS_OF)


@pytest.fixture(scope="module")
def ex_tech():
    benchmark = index_weights(AS_OF, "cap")
    portfolio = renormalise(benchmark, load_master().in_sector("Information Technology"))
    return portfolio.sub(benchmark, fill_value=0.0)


def test_shape_and_factor_names(model):
    n, k = model.exposures.shape
    assert n == len(model.tickers) >= 500 and k == 1 + 11 + risk_build.STATISTICAL
    assert model.factor_names[0] == "market" and model.factor_names[-1] == "stat_5"
    assert np.allclose(model.factor_cov, model.factor_cov.T)
    assert np.linalg.eigvalsh(model.factor_cov).min() > -1e-12  # positive semi-definite
    root = model.factor_cov_sqrt
    assert np.allclose(root @ root.T, model.factor_cov)
    assert (model.specific_var >= risk_build.SPECIFIC_FLOOR).all()
    assert model.window_end == AS_OF and model.observations == risk_build.LOOKBACK


def test_tracking_error_equals_the_dense_quadratic_form(model, ex_tech):
    a = model.to_array(ex_tech)
    assert model.tracking_error(ex_tech) == pytest.approx(float(np.sqrt(a @ model.covariance() @ a)))
    assert 0.005 < model.tracking_error(ex_tech) < 0.08


def test_gradient_matches_finite_differences(model, ex_tech):
    a = model.to_array(ex_tech)
    gradient = model.gradient_array(a)
    rng = np.random.default_rng(1)
    for _ in range(3):
        direction = rng.standard_normal(len(a)) * 1e-3
        step = 1e-4
        numeric = (model.tracking_error_array(a + step * direction)
                   - model.tracking_error_array(a - step * direction)) / (2 * step)
        assert numeric == pytest.approx(gradient @ direction, rel=1e-5)
    assert model.te_gradient(ex_tech).index.tolist() == list(model.tickers)


def test_gradient_gives_valid_outer_approximation_cuts(model, ex_tech):
    a0 = model.to_array(ex_tech)
    cut = (model.tracking_error_array(a0), model.gradient_array(a0))
    rng = np.random.default_rng(2)
    for _ in range(20):
        a = a0 + rng.standard_normal(len(a0)) * 0.002
        assert model.tracking_error_array(a) >= cut[0] + cut[1] @ (a - a0) - 1e-12


def test_contributions_sum_to_tracking_error_and_exposures_are_b_transpose_a(model, ex_tech):
    assert model.marginal_contributions(ex_tech).sum() == pytest.approx(model.tracking_error(ex_tech))
    exposures = model.factor_exposures(ex_tech)
    assert exposures["sector:Information Technology"] < -0.15
    assert np.allclose(exposures.to_numpy(), model.exposures.T @ model.to_array(ex_tech))
    split = model.risk_split(ex_tech)
    assert split["factor"] + split["specific"] == pytest.approx(model.tracking_error(ex_tech) ** 2)


def test_zero_active_weights_have_zero_risk(model):
    zero = pd.Series(0.0, index=list(model.tickers[:10]))
    assert model.tracking_error(zero) == 0.0
    assert not model.te_gradient(zero).any()


def test_unknown_names_with_weight_are_errors(model):
    with pytest.raises(TailorError) as info:
        model.tracking_error(pd.Series({"AAPL": 0.01, "APPL": -0.01}))
    assert info.value.diagnostics[0].code == "D102"
    assert model.tracking_error(pd.Series({"AAPL": 0.0, "NOPE": 0.0})) == 0.0


def test_arrays_are_read_only_and_the_model_pickles(model, ex_tech):
    with pytest.raises(ValueError, match="read-only"):
        model.exposures[0, 0] = 1.0
    clone = pickle.loads(pickle.dumps(model))
    assert clone.tracking_error(ex_tech) == model.tracking_error(ex_tech)


def test_short_history_gets_prior_exposures():
    young = build_risk_model(date(2020, 5, 29))  # OTIS and CARR started trading 2020-03-19
    assert {"OTIS", "CARR"} <= set(young.short_history)
    row = young.exposures[young.position("OTIS")]
    industrials = young.factor_names.index("sector:Industrials")
    assert row[0] == 1.0 and row[industrials] == 1.0 and np.count_nonzero(row) == 2


def test_too_little_history_is_a_clear_error():
    with pytest.raises(TailorError) as info:
        build_risk_model(date(1999, 12, 15))
    assert info.value.diagnostics[0].code == "D107"


def test_cache_round_trip(model, ex_tech, tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.tickers == model.tickers and loaded.settings == model.settings
    assert loaded.tracking_error(ex_tech) == model.tracking_error(ex_tech)
    monkeypatch.setenv("TAILOR_CACHE", str(tmp_path / "cache"))
    first = risk_model(date(2020, 1, 1))  # a holiday: the model is the one for 2019-12-31
    assert first.as_of == AS_OF and len(list((tmp_path / "cache" / "risk").glob("*.npz"))) == 1
    again = risk_model(AS_OF)
    assert np.array_equal(again.exposures, model.exposures)
