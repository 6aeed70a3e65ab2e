"""The shared calibrator: monotone, honest on synthetic scores, and round-trips through JSON."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError, InputError
from groomwatch.models.calibration import Calibrator, fit_calibrator


def _scores_with_known_probabilities(n: int = 4000, seed: int = 0):
    """Labels drawn with P(y=1 | s) = sigmoid(2s - 1): a perfect calibrator recovers that."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * s - 1)))).astype(int)
    return s, y


def test_sigmoid_recovers_the_true_map():
    s, y = _scores_with_known_probabilities()
    cal = fit_calibrator(s, y, "sigmoid")
    assert cal.a == pytest.approx(2.0, abs=0.25) and cal.b == pytest.approx(-1.0, abs=0.2)


def test_isotonic_is_monotone_and_close_to_the_true_map():
    s, y = _scores_with_known_probabilities()
    cal = fit_calibrator(s, y, "isotonic")
    grid = np.linspace(-1.5, 1.5, 50)
    p = cal(grid)
    assert np.all(np.diff(p) >= 0)
    assert np.abs(p - 1 / (1 + np.exp(-(2 * grid - 1)))).mean() < 0.06


def test_perfectly_separated_validation_does_not_give_certainty():
    cal = fit_calibrator(np.array([-2.0, -1.0, 1.0, 2.0]), np.array([0, 0, 1, 1]))
    assert 0.5 < cal(np.array([5.0]))[0] < 1.0


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_save_load_round_trip(method, tmp_path):
    s, y = _scores_with_known_probabilities(500)
    cal = fit_calibrator(s, y, method)
    cal.save(tmp_path)
    np.testing.assert_array_equal(Calibrator.load(tmp_path)(s), cal(s))


def test_errors():
    with pytest.raises(InputError, match="both"):
        fit_calibrator(np.array([0.1, 0.2]), np.array([1, 1]))
    with pytest.raises(ConfigError, match="calibration"):
        fit_calibrator(np.array([0.1, 0.2]), np.array([0, 1]), "beta")
